#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, own build dir) and runs each for a bounded time.
# Fails on any crash, leak, timeout, OOM or sanitizer report; prints executions per target.
# Env: NATSS3_FUZZ_TIME (seconds per target, 45), NATSS3_FUZZ_RSS_MB (2048),
#      NATSS3_FUZZ_BUILD_DIR (build-fuzz), NATSS3_FUZZ_TARGETS (space-separated, all),
#      NATSS3_JOBS (build parallelism, 2). Exit 77 (ctest: skipped) only if clang is absent.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${NATSS3_FUZZ_BUILD_DIR:-$here/build-fuzz}"
seconds="${NATSS3_FUZZ_TIME:-45}"
rss_mb="${NATSS3_FUZZ_RSS_MB:-2048}"
all_targets="sigv4_header sigv4_presign aws_chunked range xml listing names fuse_paths"
targets="${NATSS3_FUZZ_TARGETS:-$all_targets}"

# Anything else missing (clang++, the libFuzzer or sanitizer runtimes) fails the build below.
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is not installed (scripts/deps.sh test installs it); skipping" >&2
  exit 77
fi

echo "fuzz: building in $build" >&2
mkdir -p "$build"
if ! CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DNATSS3_FUZZ=ON \
    -DNATSS3_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  echo "fuzz: configure failed" >&2
  exit 1
fi
if ! cmake --build "$build" --target natss3_fuzz -j"${NATSS3_JOBS:-2}" >"$build/build.log" 2>&1
then
  grep -E 'error|Error' "$build/build.log" | head -50 >&2
  echo "fuzz: build failed (log: $build/build.log)" >&2
  exit 1
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
failed=()
summary=()
for t in $targets; do
  exe="$build/fuzz/fuzz_$t"
  seeds="$here/fuzz/corpus/$t"
  work="$build/corpus/$t"         # grows during runs; the committed seeds stay untouched
  artifacts="$build/artifacts/$t/"
  log="$build/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  [ -x "$exe" ] || { echo "fuzz: $exe missing" >&2; failed+=("$t"); continue; }
  echo "fuzz: $t for ${seconds}s" >&2
  "$exe" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)"
  [ -n "$execs" ] || execs="$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)"
  # Sanitizer reports that did not stop the run count too.
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed' "$log"; then
    failed+=("$t")
    summary+=("$(printf '%-14s FAILED (exit %s, %s executions) log: %s' "$t" "$rc" "${execs:-?}" "$log")")
    grep -E 'ERROR|runtime error|invariant failed|SUMMARY|Test unit written' "$log" | head -20 >&2
  else
    summary+=("$(printf '%-14s ok  %s executions in %ss' "$t" "${execs:-?}" "$seconds")")
  fi
done

printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (crashing inputs under $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets clean"
