#!/usr/bin/env bash
# Configures and builds natss3 into ./build (Release-ish, warnings as errors under CI).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NATSS3_BUILD_DIR:-$here/build}"
werror=OFF; [ "${CI:-}" = true ] && werror=ON
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNATSS3_WERROR="$werror" >/dev/null
cmake --build "$build" -j"${NATSS3_JOBS:-2}" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
# grep swallows the build's status: check it explicitly.
cmake --build "$build" -j"${NATSS3_JOBS:-2}" >/dev/null
