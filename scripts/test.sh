#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest). Extra args go to ctest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/deps.sh" test
"$here/scripts/build.sh"
cd "${NATSS3_BUILD_DIR:-$here/build}"
rc=0
ctest --output-on-failure --timeout 900 -j"${NATSS3_TEST_JOBS:-2}" "$@" || rc=$?
failed=Testing/Temporary/LastTestsFailed.log
# Whether every failed test carries the cluster label (harness runs and gtest cases alike).
only_cluster_failed() {
  local cluster name
  cluster="$(ctest -N -L cluster | sed -n 's/^ *Test *#[0-9]*: //p')"
  while IFS=: read -r _ name; do
    grep -qxF "$name" <<<"$cluster" || return 1
  done < "$failed"
}
if [ "$rc" -ne 0 ] && [ -s "$failed" ] && only_cluster_failed; then
  # Only cluster-suite tests failed. They race real node kills and pauses, and rare failures
  # of theirs are known and open (docs/cluster.md, "Known gaps"): they get one more run, and
  # the first failure stays in the log above.
  echo "=== cluster tests failed: $(cut -d: -f2 "$failed" | tr '\n' ' '); running them once more"
  rc=0
  ctest --output-on-failure --timeout 900 --rerun-failed || rc=$?
fi
exit "$rc"
