#!/usr/bin/env bash
# Builds and runs the core benchmark: raw cnats (ceiling) vs @nats-io/obj vs natss3 core.
# Starts its own nats-server on 127.0.0.1; prints a summary table (ratios of medians, peak RSS).
# Usage: bench/core/run.sh [natss3_bench_core args, e.g. --rounds 3 --large 256,1024]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${NATSS3_BENCH_BUILD:-$root/build-bench}"
"$root/scripts/deps.sh" test
js_dir="$root/tests/interop/js"
if [ ! -d "$js_dir/node_modules/@nats-io/obj" ]; then
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DNATSS3_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target natss3_bench_core -j"$(nproc)" >/dev/null
exec "$build/bench/core/natss3_bench_core" --node "$(command -v node)" \
  --js-tool "$js_dir/ostool.mjs" "$@"
