#!/usr/bin/env bash
# natss3fs benchmark (not part of ctest): sequential 1 GiB write/read through the mount vs the
# core's own put/get (natss3ctl), ls -l of 1k/10k/100k entries, RSS with 100 open files.
# Usage: bench/fuse/run.sh [BUILD_DIR]   (needs nats-server, dd; natss3ctl for the baseline)
set -euo pipefail
build=${1:-build-fuse}
fs_bin=$(find "$build" -name natss3fs -type f -perm -u+x | head -1)
ctl_bin=$(find "$build" -name natss3ctl -type f -perm -u+x | head -1 || true)
size_mib=${SIZE_MIB:-1024}
work=$(mktemp -d /tmp/natss3fs-bench.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
url=nats://127.0.0.1:$port
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/store" >"$work/nats.log" 2>&1 &
ns_pid=$!
mnt=$work/mnt; mkdir -p "$mnt"
cleanup() { fusermount3 -u "$mnt" 2>/dev/null || true; kill "$ns_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
mount_fs() { "$fs_bin" -s "$url" --cache-dir "$work/cache" "$mnt"; }
umount_fs() { fusermount3 -u "$mnt"; }
mount_fs
mkdir "$mnt/bench"
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$size_mib/($2-$1):.1f}')"; }
head -c $((size_mib << 20)) /dev/urandom >"$work/src"
declare -a rows
for round in 1 2; do
  t0=$(now); dd if="$work/src" of="$mnt/bench/f$round" bs=1M status=none; t1=$(now)
  umount_fs; mount_fs
  t2=$(now); dd if="$mnt/bench/f$round" of=/dev/null bs=1M status=none; t3=$(now)
  rows+=("fuse round $round: write $(rate $t0 $t1) MiB/s, read $(rate $t2 $t3) MiB/s")
  if [ -n "$ctl_bin" ]; then
    t0=$(now); "$ctl_bin" -s "$url" put bench "$work/src" --name c$round >/dev/null 2>&1 || true; t1=$(now)
    t2=$(now); "$ctl_bin" -s "$url" get bench c$round "$work/out" >/dev/null 2>&1 || true; t3=$(now)
    rows+=("core round $round: put $(rate $t0 $t1) MiB/s, get $(rate $t2 $t3) MiB/s (natss3ctl)")
  fi
done
rm -f "$work/src" "$work/out"
for n in ${LS_SIZES:-1000 10000 100000}; do
  mkdir "$mnt/bench/d$n"
  python3 - "$mnt/bench/d$n" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    open(os.path.join(d, f"f{i:06d}"), "wb").close()
PY
  umount_fs; mount_fs
  t0=$(now); ls -l "$mnt/bench/d$n" >/dev/null; t1=$(now)
  rows+=("ls -l of $n entries: $(python3 -c "print(f'{$t1-$t0:.2f}')") s")
done
pid=$(pgrep -n -f "$fs_bin -s $url")
idle=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
exec_fds=()
for i in $(seq 0 99); do exec {fd}<"$mnt/bench/d1000/f$(printf %06d $i)"; exec_fds+=($fd); done
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
for fd in "${exec_fds[@]}"; do exec {fd}<&-; done
rows+=("RSS idle ${idle} KiB, with 100 open files ${rss} KiB")
echo "==== natss3fs benchmark (${size_mib} MiB) ===="
printf '%s\n' "${rows[@]}"
