#!/usr/bin/env bash
# natss3fs benchmark (not part of ctest). One run, interleaved rounds (natss3d, natss3fs, s3fs):
#  - sequential write/read of SIZE_MIB (default 1 GiB) through natss3fs, vs natss3d PUT/GET of
#    the same file (curl), vs Debian's s3fs mounted on that natss3d; the three reads read the
#    same object; ratios of medians;
#    CPU-seconds per GiB of natss3fs, natss3d and nats-server in each phase
#  - ls -l of directories of 1k/10k/100k entries (created through the core, in parallel):
#    first listing after mounting (cold: includes loading the bucket index) and again (warm)
#  - natss3fs RSS with 100 files open and being read
# Usage: bench/fuse/run.sh [BUILD_DIR]
#   env: SIZE_MIB=1024 ROUNDS=3 LS_SIZES="1000 10000 100000" PHASES="seq ls rss"
#        FS_BIN=... (another natss3fs binary, e.g. an older build, to compare)
#        FS_OPTS="-o chunk_size=512K" (natss3fs options)
# Needs: nats-server, curl, s3fs (optional: skipped when missing), python3; root for FUSE.
set -euo pipefail
build=${1:-build-fuse}
fs_bin=${FS_BIN:-$build/fuse/natss3fs}
s3d_bin=${S3D_BIN:-$build/s3d/natss3d}
fill_bin=$build/bench/fuse/natss3fs_bench_fill
size_mib=${SIZE_MIB:-1024}
rounds=${ROUNDS:-3}
ls_sizes=${LS_SIZES:-1000 10000 100000}
phases=${PHASES:-seq ls rss}
for f in "$fs_bin" "$s3d_bin" "$fill_bin"; do
  [ -x "$f" ] || { echo "missing $f (build natss3fs natss3d natss3fs_bench_fill)" >&2; exit 1; }
done
have_s3fs=$(command -v s3fs >/dev/null && echo 1 || echo "")

work=$(mktemp -d /tmp/natss3fs-bench.XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
nats_port=$(free_port); s3_port=$(free_port)
url=nats://127.0.0.1:$nats_port
endpoint=http://127.0.0.1:$s3_port
mnt=$work/mnt; s3mnt=$work/s3fs; mkdir -p "$mnt" "$s3mnt"
fs_pid=""
cleanup() {
  fusermount3 -u "$mnt" 2>/dev/null || true
  fusermount3 -u "$s3mnt" 2>/dev/null || true
  [ -n "$fs_pid" ] && kill "$fs_pid" 2>/dev/null || true
  [ -n "${s3d_pid:-}" ] && kill "$s3d_pid" 2>/dev/null || true
  [ -n "${ns_pid:-}" ] && kill "$ns_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$work/store" >"$work/nats.log" 2>&1 &
ns_pid=$!
wait_port "$nats_port"
"$s3d_bin" --listen "127.0.0.1:$s3_port" --nats-servers "$url" --anonymous \
  --data-dir "$work/s3d" --access-log false >"$work/s3d.log" 2>&1 &
s3d_pid=$!
wait_port "$s3_port"

now() { date +%s.%N; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
hz=$(getconf CLK_TCK)
mount_fs() {
  # shellcheck disable=SC2086
  "$fs_bin" -f -s "$url" --cache-dir "$work/cache" ${FS_OPTS:-} "$mnt" >>"$work/natss3fs.log" 2>&1 &
  fs_pid=$!
  for _ in $(seq 100); do mountpoint -q "$mnt" && return 0; sleep 0.05; done
  echo "natss3fs did not mount" >&2; cat "$work/natss3fs.log" >&2; exit 1
}
umount_fs() {
  fusermount3 -u "$mnt"
  wait "$fs_pid" 2>/dev/null || true
  fs_pid=""
}
mount_s3fs() {
  s3fs "$1" "$s3mnt" -o url="$endpoint" -o use_path_request_style -o public_bucket=1 \
    -o dbglevel=err
  for _ in $(seq 100); do mountpoint -q "$s3mnt" && return 0; sleep 0.05; done
  echo "s3fs did not mount" >&2; exit 1
}
umount_s3fs() { fusermount -u "$s3mnt" 2>/dev/null || fusermount3 -u "$s3mnt"; sleep 0.2; }
median() { python3 -c 'import statistics,sys;print(f"{statistics.median(map(float,sys.argv[1:])):.1f}")' "$@"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
mibs() { python3 -c "print(f'{$size_mib/($2-$1):.1f}')"; }
declare -a rows
declare -A series cpu_rows
# Runs "$@" timed; appends MiB/s to series[$name]; CPU of the listed pids to cpu_rows[$name].
measure() {
  local name=$1 pids=$2; shift 2
  local -A before
  for p in $pids; do before[$p]=$(cpu "$p"); done
  local t0 t1; t0=$(now); "$@"; t1=$(now)
  series[$name]+=" $(mibs "$t0" "$t1")"
  local line=""
  for p in $pids; do
    local label; label=$(tr -d '\0' <"/proc/$p/comm")
    line+="$label $(python3 -c "print(f'{($(cpu "$p")-${before[$p]})/$hz/($size_mib/1024):.2f}')") "
  done
  cpu_rows[$name]="$line"
}

mount_fs
if [[ " $phases " == *" seq "* ]]; then
  head -c $((size_mib << 20)) /dev/urandom >"$work/src"
  mkdir "$mnt/bench"
  curl -sf -X PUT "$endpoint/s3fsb" >/dev/null
  for round in $(seq "$rounds"); do
    # Writes: natss3d PUT (the daemon s3fs talks to), natss3fs, s3fs on natss3d. Reads: all
    # three read the same object (the one natss3fs wrote), from a fresh mount each.
    measure s3d_put "$s3d_pid $ns_pid" curl -sf -T "$work/src" "$endpoint/bench/put$round" -o /dev/null
    curl -sf -X DELETE "$endpoint/bench/put$round" >/dev/null
    measure fs_write "$fs_pid $ns_pid" dd if="$work/src" of="$mnt/bench/f$round" bs=1M status=none
    umount_fs; mount_fs
    measure fs_read "$fs_pid $ns_pid" dd if="$mnt/bench/f$round" of=/dev/null bs=1M status=none
    measure s3d_get "$s3d_pid $ns_pid" curl -sf "$endpoint/bench/f$round" -o /dev/null
    if [ -n "$have_s3fs" ]; then
      mount_s3fs s3fsb
      measure s3fs_write "$s3d_pid $ns_pid" dd if="$work/src" of="$s3mnt/f$round" bs=1M status=none
      rm "$s3mnt/f$round"
      umount_s3fs; mount_s3fs bench
      measure s3fs_read "$s3d_pid $ns_pid" dd if="$s3mnt/f$round" of=/dev/null bs=1M status=none
      umount_s3fs
    fi
    rm "$mnt/bench/f$round"
  done
  rm -f "$work/src"
  for k in s3d_put s3d_get fs_write fs_read s3fs_write s3fs_read; do
    [ -n "${series[$k]:-}" ] || continue
    rows+=("$(printf '%-11s median %7s MiB/s   rounds:%s   CPU-s/GiB (last round): %s' \
      "$k" "$(median ${series[$k]})" "${series[$k]}" "${cpu_rows[$k]}")")
  done
  w=$(median ${series[fs_write]}); r=$(median ${series[fs_read]})
  rows+=("natss3fs write / natss3d PUT: $(ratio "$w" "$(median ${series[s3d_put]})")   (target >= 0.80)")
  rows+=("natss3fs read  / natss3d GET: $(ratio "$r" "$(median ${series[s3d_get]})")   (target >= 0.80)")
  if [ -n "$have_s3fs" ]; then
    rows+=("natss3fs write / s3fs write:  $(ratio "$w" "$(median ${series[s3fs_write]})")   (target >= 4)")
    rows+=("natss3fs read  / s3fs read:   $(ratio "$r" "$(median ${series[s3fs_read]})")   (target >= 2)")
  fi
fi

if [[ " $phases " == *" ls "* ]]; then
  for n in $ls_sizes; do
    t0=$(now); "$fill_bin" "$url" lsb "d$n/f" "$n" 0 32; t1=$(now)
    rows+=("created $n entries through the core in $(python3 -c "print(f'{$t1-$t0:.1f}')") s")
  done
  for n in $ls_sizes; do
    umount_fs; mount_fs
    ti=$(now); stat "$mnt/lsb/d$n" >/dev/null; t0=$(now)  # the lookup loads the bucket index
    count=$(ls -l "$mnt/lsb/d$n" | grep -c '^-'); t1=$(now)
    t2=$(now); ls -l "$mnt/lsb/d$n" >/dev/null; t3=$(now)
    [ "$count" = "$n" ] || echo "ls -l listed $count of $n entries" >&2
    line=$(python3 -c "print(f'ls -l of {$n} entries: {$t1-$t0:.2f} s, again {$t3-$t2:.2f} s (fresh mount: index of the bucket loaded in {$t0-$ti:.2f} s first)')")
    if [ -n "$have_s3fs" ] && [ "$n" -le "${S3FS_LS_MAX:-10000}" ]; then
      mount_s3fs lsb
      t0=$(now); ls -l "$s3mnt/d$n" >/dev/null; t1=$(now)
      umount_s3fs
      line+=$(python3 -c "print(f'; s3fs {$t1-$t0:.2f} s')")
    fi
    rows+=("$line   (target 100k < 3 s; local ext4 ls -l of 100k here: ~1 s)")
  done
fi

if [[ " $phases " == *" rss "* ]]; then
  "$fill_bin" "$url" rss f 100 $((8 << 20)) 4
  umount_fs; mount_fs
  idle=$(awk '/VmRSS/{print $2}' "/proc/$fs_pid/status")
  rss_line=$(python3 - "$mnt/rss" "$fs_pid" <<'PY'
import os, sys
d, pid = sys.argv[1], sys.argv[2]
files = [open(os.path.join(d, f"f{i:06d}"), "rb", buffering=0) for i in range(100)]
for _ in range(4):                      # 4 MiB of each, round robin: 100 streams in flight
    for f in files:
        f.read(1 << 20)
status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
print(f"RSS with 100 files open and read: {int(status['VmRSS'].split()[0]) // 1024} MiB, "
      f"peak {int(status['VmHWM'].split()[0]) // 1024} MiB")
for f in files:
    f.close()
PY
)
  rows+=("$rss_line (idle $((idle / 1024)) MiB; target < 256 MiB)")
fi

echo "==== natss3fs benchmark: $size_mib MiB, $rounds rounds, $(basename "$fs_bin") ===="
printf '%s\n' "${rows[@]}"
