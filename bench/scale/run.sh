#!/usr/bin/env bash
# Scale benchmark (not part of ctest): a bucket of COUNT zero-byte objects.
#  - fills it once through the core (kept in STORE_DIR, reused by later runs)
#  - natss3_bench_scale measure in a new process: first page after a cold start, full listing
#    keys/s, page p50/p99 at start/middle/end, index memory per key
#  - natss3d (optional, S3D=1): first ListObjectsV2 after start (curl) and natss3d RSS after it
#  - natss3fs (optional, FUSE=1, root): mounts the bucket, times `ls -f` (unsorted, the whole
#    directory through readdir) and `ls` (sorted, with stat) of its COUNT entries, and the
#    mount's RSS per key after them
# Usage: bench/scale/run.sh [BUILD_DIR]   env: COUNT=1000000 STORE_DIR=/tmp/natss3-scale-store
#        BUCKET=scale ROUNDS=1 S3D=1 FUSE=1 SNAPSHOT=1 (write a listing snapshot, measure again)
# Needs: nats-server, curl, python3.
set -euo pipefail
build=${1:-build}
bench=$build/bench/scale/natss3_bench_scale
s3d_bin=$build/s3d/natss3d
fs_bin=$build/fuse/natss3fs
count=${COUNT:-1000000}
store=${STORE_DIR:-/tmp/natss3-scale-store}
bucket=${BUCKET:-scale}
rounds=${ROUNDS:-1}
[ -x "$bench" ] || { echo "missing $bench (build natss3_bench_scale)" >&2; exit 1; }
work=$(mktemp -d /tmp/natss3-scale.XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
cleanup() {
  [ -n "${fs_pid:-}" ] && { fusermount3 -u "$work/mnt" 2>/dev/null || kill "$fs_pid" 2>/dev/null; } || true
  [ -n "${s3d_pid:-}" ] && kill "$s3d_pid" 2>/dev/null || true
  [ -n "${ns_pid:-}" ] && kill "$ns_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
nats_port=$(free_port)
url=nats://127.0.0.1:$nats_port
mkdir -p "$store"
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$store" >"$work/nats.log" 2>&1 &
ns_pid=$!
wait_port "$nats_port"
sleep 1  # JetStream recovers the stored streams after the port opens
if [ ! -e "$store/filled-$bucket-$count" ]; then
  echo "filling $bucket with $count objects" >&2
  "$bench" fill "$url" "$bucket" "$count"
  touch "$store/filled-$bucket-$count"
fi
"$bench" drop-snapshot "$url" "$bucket" || true
for r in $(seq "$rounds"); do
  echo "# round $r: core (new process), whole replay"
  "$bench" measure "$url" "$bucket"
done
if [ "${SNAPSHOT:-1}" = 1 ]; then
  echo "# listing snapshot"
  "$bench" snapshot "$url" "$bucket"
  for r in $(seq "$rounds"); do
    echo "# round $r: core (new process), from the snapshot"
    "$bench" measure "$url" "$bucket"
  done
fi
if [ "${S3D:-1}" = 1 ] && [ -x "$s3d_bin" ]; then
  s3_port=$(free_port)
  t0=$(date +%s.%N)
  "$s3d_bin" --listen "127.0.0.1:$s3_port" --nats-servers "$url" --anonymous \
    --data-dir "$work/s3d" --access-log false >"$work/s3d.log" 2>&1 &
  s3d_pid=$!
  wait_port "$s3_port"
  curl -sf -o /dev/null "http://127.0.0.1:$s3_port/$bucket?list-type=2&max-keys=1000" \
    || echo "natss3d: the first ListObjectsV2 failed" >&2
  t1=$(date +%s.%N)
  echo "# natss3d"
  python3 -c "print(f's3d_first_list_after_start {$t1-$t0:.3f} s')"
  # A snapshot goes on loading after the first page: RSS once it stops growing (3 s flat).
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$s3d_pid/status"); flat=0
  for _ in $(seq 300); do
    sleep 1
    now=$(awk '/VmRSS/ {print $2}' "/proc/$s3d_pid/status")
    if [ "$now" -le $((rss + rss / 100)) ]; then flat=$((flat + 1)); else flat=0; fi
    rss=$now
    [ "$flat" -ge 3 ] && break
  done
  echo "s3d_rss $rss KiB"
  python3 -c "print(f's3d_rss_per_key {$rss*1024/$count:.1f} bytes/key')"
fi
if [ "${FUSE:-1}" = 1 ] && [ -x "$fs_bin" ] && [ -e /dev/fuse ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$work/mnt"
  t0=$(date +%s.%N)
  "$fs_bin" -f --server "$url" --cache-dir "$work/fscache" "$work/mnt" >"$work/natss3fs.log" 2>&1 &
  fs_pid=$!
  for _ in $(seq 200); do mountpoint -q "$work/mnt" && break; sleep 0.05; done
  mountpoint -q "$work/mnt" || { echo "natss3fs did not mount" >&2; cat "$work/natss3fs.log" >&2; exit 1; }
  n_unsorted=$(ls -f "$work/mnt/$bucket" | wc -l)
  t1=$(date +%s.%N)
  n_sorted=$(ls -l "$work/mnt/$bucket" | wc -l)
  t2=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$fs_pid/status")
  echo "# natss3fs"
  python3 -c "print(f'fuse_ls_f_after_mount {$t1-$t0:.3f} s ($n_unsorted names)')"
  python3 -c "print(f'fuse_ls_l {$t2-$t1:.3f} s ($n_sorted lines)')"
  echo "fuse_rss $rss KiB"
  python3 -c "print(f'fuse_rss_per_key {$rss*1024/$count:.1f} bytes/key')"
  fusermount3 -u "$work/mnt"
  wait "$fs_pid" 2>/dev/null || true
  fs_pid=""
fi
