#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest). Extra args go to ctest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/deps.sh" test
"$here/scripts/build.sh"
cd "${NATSS3_BUILD_DIR:-$here/build}"
ctest --output-on-failure --timeout 900 -j"${NATSS3_TEST_JOBS:-2}" "$@"
