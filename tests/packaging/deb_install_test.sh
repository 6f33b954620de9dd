#!/usr/bin/env bash
# Package test: builds natss3_*.deb, installs it with "apt install ./natss3_*.deb" into a fresh
# Debian 12 root (mmdebstrap, else debootstrap, from Debian's archive), then in that chroot (no
# systemd running) shows the day-one flow with no flags anywhere: natss3d as its service runs it
# (user natss3, conffile, /run/natss3 as RuntimeDirectory=) with its embedded nats-server;
# natss3ctl ls/put/get as root and as a member of group natss3 (alice), a clean refusal for a
# user outside it (bob); "mount -t natss3fs all /mnt/nats" as root and "natss3fs all ~/nats" as
# alice (FUSE through the host's /dev/fuse); S3 GETs (curl SigV4) of the same objects. Then an
# upgrade that keeps data and config, remove, purge (keeps /var/lib/natss3 and says how to delete
# it), a reinstall on the kept data, and NATSS3_PURGE_DATA=yes purge, which leaves nothing.
#
# Usage: tests/packaging/deb_install_test.sh [--deb FILE]
#   --deb FILE   test this package instead of building one with packaging/deb/build.sh
# Environment: NATSS3_TEST_CACHE (default /var/cache/natss3-test: base rootfs tarball, cached
#   .debs), NATSS3_TEST_MIRROR (default http://deb.debian.org/debian), NATSS3_TEST_SECURITY_MIRROR
#   (default http://deb.debian.org/debian-security), NATSS3_DEB_BUILD_DIR (passed to build.sh).
# Needs root (exits 77, "skipped", otherwise), mmdebstrap or debootstrap, curl, and the network
# to Debian's archive.
set -euo pipefail

t_start=$(date +%s)
phase_start=$t_start
phase() {  # prints how long the previous phase took
  local now; now=$(date +%s)
  echo "--- [$((now - t_start))s total, previous step $((now - phase_start))s] $*"
  phase_start=$now
}
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the package test needs root (chroot, mounts, apt)"
  exit 77
fi

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
deb=""
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb="$(readlink -f "$2")"; shift 2 ;;
    *) echo "usage: $0 [--deb FILE]" >&2; exit 2 ;;
  esac
done

cache="${NATSS3_TEST_CACHE:-/var/cache/natss3-test}"
mirror="${NATSS3_TEST_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${NATSS3_TEST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
base_tar="$cache/bookworm-base.tar"
max_base_age_days=30
for tool in curl chroot mount; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/deps.sh test installs it)"
done

# ---------------------------------------------------------------------------------------------
phase "building the package"
out=""
if [ -z "$deb" ]; then
  out="$(mktemp -d /tmp/natss3-deb.XXXXXX)"
  "$repo/packaging/deb/build.sh" -o "$out" || { rm -rf "$out"; fail "packaging/deb/build.sh failed"; }
  deb="$(ls "$out"/natss3_*.deb)"
fi
[ -f "$deb" ] || fail "no package file $deb"
version="$(dpkg-deb -f "$deb" Version)"
upstream_version="${version%-*}"
echo "package: $deb ($version)"

# ---------------------------------------------------------------------------------------------
phase "base Debian 12 root"
mkdir -p "$cache/archives/partial"
sources=("deb $mirror bookworm main"
         "deb $mirror bookworm-updates main"
         "deb $security_mirror bookworm-security main")
if [ -f "$base_tar" ] && [ -z "$(find "$base_tar" -mtime +"$max_base_age_days")" ]; then
  echo "using cached $base_tar"
else
  tmp_tar="$cache/bookworm-base.tmp$$.tar"  # mmdebstrap picks the format by extension
  if command -v mmdebstrap >/dev/null; then
    mmdebstrap --quiet --variant=apt --mode=root --components=main bookworm "$tmp_tar" \
      "${sources[@]}" || { rm -f "$tmp_tar"; fail "mmdebstrap failed"; }
  elif command -v debootstrap >/dev/null; then
    tmp_dir="$(mktemp -d /var/tmp/natss3-debootstrap.XXXXXX)"
    debootstrap --variant=minbase bookworm "$tmp_dir" "$mirror" >/dev/null ||
      { rm -rf "$tmp_dir"; fail "debootstrap failed"; }
    printf '%s\n' "${sources[@]}" >"$tmp_dir/etc/apt/sources.list"
    rm -rf "$tmp_dir"/var/cache/apt/archives/*.deb "$tmp_dir"/var/lib/apt/lists/*_Packages
    tar -C "$tmp_dir" -cf "$tmp_tar" . && rm -rf "$tmp_dir"
  else
    fail "neither mmdebstrap nor debootstrap is installed (scripts/deps.sh test)"
  fi
  mv "$tmp_tar" "$base_tar"
fi

root="$(mktemp -d /var/tmp/natss3-root.XXXXXX)"
fuse_node=""
chroot_pids() {  # processes whose root directory is the test root
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local pids m
  # FUSE mounts of the test inside the root go first (rm must never walk into them).
  for m in $(awk -v r="$root/" 'index($2, r) == 1 && $3 ~ /fuse/ {print $2}' /proc/mounts); do
    umount -l "$m" 2>/dev/null || true
  done
  pids="$(chroot_pids)"
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  for m in var/cache/apt/archives dev/fuse dev/pts dev proc; do
    if [ "$m" = dev/fuse ]; then
      [ -n "$fuse_node" ] && umount -l "$root/$m" 2>/dev/null
    elif mountpoint -q "$root/$m"; then
      umount -l "$root/$m"
    fi
  done
  [ -z "$fuse_node" ] || rm -f "$fuse_node"
  rm -rf --one-file-system "$root"
  [ -z "$out" ] || rm -rf "$out"  # the package this run built
}
trap cleanup EXIT
tar -C "$root" -xf "$base_tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --make-private "$root/dev"  # mounts below it (dev/fuse, next) must not reach the host's /dev
mount --bind /dev/pts "$root/dev/pts"
# FUSE for users: Debian's udev gives /dev/fuse mode 0666 (fusermount3 is setuid and checks the
# rest); a container host may have it 0600. The root gets its own 0666 node of the same device.
fuse_node=""
if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
  fuse_node="$root.fuse"
  mknod -m 0666 "$fuse_node" c "$((16#$(stat -c %t /dev/fuse)))" "$((16#$(stat -c %T /dev/fuse)))"
  mount --bind "$fuse_node" "$root/dev/fuse"
fi
# A booted Debian has /etc/mtab -> ../proc/self/mounts (systemd-tmpfiles); fusermount3 -u needs it.
[ -e "$root/etc/mtab" ] || ln -s ../proc/self/mounts "$root/etc/mtab"
# Downloaded .debs are kept between runs (the root itself is fresh each time).
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
[ ! -d "$root/run/systemd/system" ] || fail "the test root must not look like a running systemd"

# What existed before the package, to check that purge leaves no trace of it.
snapshot() {
  in_root sh -c 'find / -xdev \( -path /proc -o -path /dev -o -path /tmp -o -path /var/cache \
    -o -path /var/lib/apt/lists -o -path /var/log \) -prune -o -print' | grep -i natss3 | sort || true
}
[ -z "$(snapshot)" ] || fail "fresh root already contains natss3 files"

# ---------------------------------------------------------------------------------------------
phase "apt install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq || fail "apt-get update in the root failed"
in_root sh -c "cd /tmp && apt install -y -q ./$(basename "$deb")" >"$root/tmp/apt-install.log" 2>&1 ||
  { tail -30 "$root/tmp/apt-install.log"; fail "apt install of the package failed"; }
grep -E '^(Setting up|The following NEW)' "$root/tmp/apt-install.log" | head -40 || true
in_root dpkg-query -W -f='${Status}\n' natss3 | grep -q "install ok installed" ||
  fail "natss3 is not installed"
in_root dpkg-query -W -f='${Status}\n' nats-server fuse3 | grep -c "install ok installed" |
  grep -qx 2 || fail "Depends fuse3 and Recommends nats-server were not installed"

for f in /usr/bin/natss3d /usr/bin/natss3fs /usr/bin/natss3ctl /sbin/mount.natss3fs \
         /etc/natss3/natss3d.conf /lib/systemd/system/natss3d.service \
         /lib/systemd/system/natss3fs@.service \
         /usr/share/man/man1/natss3d.1.gz /usr/share/man/man1/natss3fs.1.gz \
         /usr/share/man/man1/natss3ctl.1.gz /usr/share/man/man8/mount.natss3fs.8.gz \
         /usr/share/bash-completion/completions/natss3ctl /usr/share/doc/natss3/copyright \
         /usr/share/doc/natss3/changelog.gz; do
  [ -e "$root$f" ] || fail "installed package lacks $f"
done
in_root getent passwd natss3 >/dev/null || fail "postinst did not create the natss3 user"
[ "$(in_root stat -c %U:%G:%a /var/lib/natss3)" = natss3:natss3:700 ] ||
  fail "/var/lib/natss3 is not 0700 natss3:natss3: $(in_root stat -c %U:%G:%a /var/lib/natss3)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/natss3d.service" ] ||
  fail "natss3d.service was not enabled"
in_root sh -c 'ldd /usr/bin/natss3d /usr/bin/natss3fs /usr/bin/natss3ctl' | grep 'not found' &&
  fail "a library of the binaries is missing: Depends is incomplete"

# ---------------------------------------------------------------------------------------------
phase "natss3ctl --version, mount helper"
ctl_version="$(in_root natss3ctl --version)" || fail "natss3ctl --version failed"
echo "natss3ctl --version: $ctl_version"
grep -qF "$upstream_version" <<<"$ctl_version" ||
  fail "natss3ctl --version does not print the package's version $upstream_version"
in_root natss3fs --help >/dev/null 2>&1 || fail "natss3fs --help failed"
in_root natss3d --help >/dev/null 2>&1 || fail "natss3d --help failed"
# mount.natss3fs without arguments: its usage message, exit status 1 (as mount(8) expects).
set +e; in_root /sbin/mount.natss3fs >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || fail "mount.natss3fs without arguments exited $rc, not 1"

# ---------------------------------------------------------------------------------------------
phase "natss3d with the embedded nats-server (as the service runs it)"
# The service's settings that let every local tool find the store without flags.
conf="$root/etc/natss3/natss3d.conf"
unit="$root/lib/systemd/system/natss3d.service"
grep -qx 'NATSS3_LISTEN=127.0.0.1:5222' "$conf" || fail "the conffile does not default to 127.0.0.1:5222"
grep -qx 'NATSS3_EMBEDDED_NATS_PORT=5223' "$conf" ||
  fail "the conffile does not fix the embedded nats-server on 5223"
grep -qx 'NATSS3_CONTEXT_FILE=/run/natss3/nats-context.json' "$conf" ||
  fail "the conffile does not write the context to /run/natss3/nats-context.json"
grep -qx 'RuntimeDirectory=natss3' "$unit" && grep -qx 'RuntimeDirectoryMode=0750' "$unit" &&
  grep -qx 'StateDirectoryMode=0700' "$unit" ||
  fail "natss3d.service lacks RuntimeDirectory=natss3 (0750) or StateDirectoryMode=0700"
# Users: alice is in group natss3, bob is not.
in_root useradd -m -s /bin/sh alice && in_root useradd -m -s /bin/sh bob ||
  fail "useradd failed"
in_root adduser --quiet alice natss3 || fail "adduser alice natss3 failed"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
nats_port="$(free_port)"
# As natss3d.service: the conffile's NATSS3_* variables, user natss3, cwd /var/lib/natss3, and
# /run/natss3 as systemd's RuntimeDirectory= makes it. Only the two ports differ from the
# shipped ones (5222, 5223): the root shares the host's network, where a natss3d may run.
in_root install -d -o natss3 -g natss3 -m 0750 /run/natss3
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 sh -c '
  set -a; . /etc/natss3/natss3d.conf; set +a
  export NATSS3_LISTEN=127.0.0.1:'"$port"' NATSS3_EMBEDDED_NATS_PORT='"$nats_port"'
  cd /var/lib/natss3
  umask 0027
  exec setpriv --reuid=natss3 --regid=natss3 --init-groups --inh-caps=-all \
    /usr/bin/natss3d $NATSS3D_ARGS' >"$root/tmp/natss3d.log" 2>&1 &
natss3d_pid=$!
url="http://127.0.0.1:$port"
deadline=$(( $(date +%s) + 60 ))
until curl -fsS -o /dev/null "$url/_natss3/health/ready" 2>/dev/null; do
  kill -0 "$natss3d_pid" 2>/dev/null || { cat "$root/tmp/natss3d.log"; fail "natss3d exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || { cat "$root/tmp/natss3d.log"; fail "natss3d not healthy within 60s"; }
  sleep 0.2
done
echo "natss3d healthy on $url"
for pid in $(chroot_pids); do cat "/proc/$pid/comm" 2>/dev/null; done | grep -qx nats-server ||
  fail "natss3d did not start its embedded nats-server"
ls "$root/var/lib/natss3" | sed 's/^/  \/var\/lib\/natss3\//'

# The context for the group: 0640 natss3:natss3 in /run/natss3, the embedded server's address.
ctx=/run/natss3/nats-context.json
[ "$(in_root stat -c %U:%G:%a "$ctx" 2>/dev/null)" = natss3:natss3:640 ] ||
  { cat "$root/tmp/natss3d.log"; fail "$ctx is not 0640 natss3:natss3"; }
grep -q "\"url\": \"nats://127.0.0.1:$nats_port\"" "$root$ctx" || fail "$ctx does not name the embedded server"

# Credentials: the development credentials natss3d created in the state directory.
creds_file="$root/var/lib/natss3/credentials.json"
[ -f "$creds_file" ] || { cat "$root/tmp/natss3d.log"; fail "natss3d did not create $creds_file"; }
read -r access_key secret_key < <(python3 -c '
import json,sys; c=json.load(open(sys.argv[1]))["credentials"][0]; print(c["access_key"], c["secret_key"])' \
  "$creds_file") || fail "cannot read credentials from $creds_file"
# curl signs with SigV4; S3 wants x-amz-content-sha256 on every signed request.
s3() { curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
head -c 300000 /dev/urandom >"$root/tmp/object.bin"
chmod 0644 "$root/tmp/object.bin"
s3 -X PUT --data-binary '' "$url/pkgtest" -o /dev/null || fail "S3 CreateBucket failed"
s3 -X PUT --data-binary @"$root/tmp/object.bin" "$url/pkgtest/dir/object.bin" -o /dev/null ||
  fail "S3 PutObject failed"
s3 "$url/pkgtest/dir/object.bin" -o "$root/tmp/object.got" || fail "S3 GetObject failed"
cmp "$root/tmp/object.bin" "$root/tmp/object.got" || fail "S3 GetObject returned other bytes"
echo "S3 put and get of 300000 bytes: identical"

# ---------------------------------------------------------------------------------------------
phase "natss3ctl with no flags: root, a member of group natss3, a user outside it"
as_user() {  # as_user USER CMD...: a login-like environment with the user's groups
  local u="$1"; shift
  chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME="/home/$u" USER="$u" LANG=C.UTF-8 \
    setpriv --reuid="$u" --regid="$u" --init-groups "$@"
}
# Without natss3d's credentials the embedded server refuses.
in_root natss3ctl -s "nats://127.0.0.1:$nats_port" ls >/dev/null 2>&1 &&
  fail "the embedded nats-server accepted a client without natss3d's credentials"
in_root natss3ctl ls | grep -qw pkgtest || fail "natss3ctl ls as root does not list pkgtest"
in_root natss3ctl get pkgtest dir/object.bin -O /tmp/object.ctl >/dev/null ||
  fail "natss3ctl get (root) of the S3 object failed"
cmp "$root/tmp/object.bin" "$root/tmp/object.ctl" || fail "natss3ctl get returned other bytes"
in_root natss3ctl put pkgtest /tmp/object.bin --name ctl/object.bin -f >/dev/null ||
  fail "natss3ctl put (root) failed"
s3 "$url/pkgtest/ctl/object.bin" -o "$root/tmp/object.s3" || fail "S3 GetObject of the natss3ctl object failed"
cmp "$root/tmp/object.bin" "$root/tmp/object.s3" || fail "natss3ctl put (root) and S3 get differ"
echo "root: natss3ctl ls, get of the S3 object, put read back by S3 GET: ok"

as_user alice natss3ctl ls | grep -qw pkgtest || fail "natss3ctl ls as alice (group natss3) failed"
as_user alice natss3ctl put pkgtest /tmp/object.bin --name alice/object.bin >/dev/null ||
  fail "natss3ctl put as alice (group natss3) failed"
s3 "$url/pkgtest/alice/object.bin" -o "$root/tmp/object.alice" || fail "S3 GetObject of alice's object failed"
cmp "$root/tmp/object.bin" "$root/tmp/object.alice" || fail "alice's natss3ctl put and S3 get differ"
echo "alice (group natss3): natss3ctl ls, put read back by S3 GET: ok"

set +e
bob_out="$(as_user bob natss3ctl ls 2>&1)"; rc=$?
set -e
echo "bob (not in group natss3): natss3ctl ls exits $rc: $bob_out"
[ "$rc" = 1 ] || fail "natss3ctl ls as bob exited $rc, not 1"
grep -q "$ctx" <<<"$bob_out" && grep -q "group natss3" <<<"$bob_out" ||
  fail "bob's refusal does not name $ctx and group natss3"
grep -q pkgtest <<<"$bob_out" && fail "bob could list the buckets"

# ---------------------------------------------------------------------------------------------
phase "natss3fs: mount -t natss3fs all (root), natss3fs all (alice), no server option"
if [ -c /dev/fuse ] && in_root test -c /dev/fuse; then
  in_root mkdir -p /mnt/nats
  in_root mount -t natss3fs all /mnt/nats || fail "mount -t natss3fs all /mnt/nats failed"
  cmp "$root/tmp/object.bin" "$root/mnt/nats/pkgtest/dir/object.bin" ||
    fail "the S3 object read through the natss3fs mount differs"
  in_root cp /tmp/object.bin /mnt/nats/pkgtest/fuse.bin || fail "writing through the mount failed"
  in_root umount /mnt/nats || fail "umount /mnt/nats failed"
  s3 "$url/pkgtest/fuse.bin" -o "$root/tmp/object.fuse" || fail "S3 GetObject of the file written through FUSE failed"
  cmp "$root/tmp/object.bin" "$root/tmp/object.fuse" || fail "the file written through FUSE differs in S3"
  echo "root: mount -t natss3fs all /mnt/nats, read of the S3 object, write read back by S3 GET: ok"
  as_user alice mkdir -p /home/alice/nats
  as_user alice natss3fs all /home/alice/nats || fail "natss3fs all as alice (group natss3) failed"
  as_user alice cmp /tmp/object.bin /home/alice/nats/pkgtest/alice/object.bin ||
    fail "alice's read through her natss3fs mount differs"
  as_user alice fusermount3 -u /home/alice/nats || fail "fusermount3 -u as alice failed"
  echo "alice (group natss3): natss3fs all ~/nats and a read: ok"
else
  fail "/dev/fuse is missing (in the root, bound from the host): the FUSE check cannot run"
fi

phase "stopping natss3d"
kill -TERM "$natss3d_pid"
deadline=$(( $(date +%s) + 30 ))
while kill -0 "$natss3d_pid" 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "natss3d did not stop within 30s of SIGTERM"
  sleep 0.2
done
wait "$natss3d_pid" || echo "natss3d exit status $? after SIGTERM"
deadline=$(( $(date +%s) + 10 ))
while [ -n "$(chroot_pids)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "processes left in the root after natss3d stopped: $(chroot_pids)"
  sleep 0.2
done
[ -n "$(ls -A "$root/var/lib/natss3")" ] || fail "natss3d stored nothing in /var/lib/natss3"
# systemd removes the RuntimeDirectory when the service stops.
rm -rf "$root/run/natss3"

# ---------------------------------------------------------------------------------------------
phase "upgrade keeps data and configuration"
echo "# edited by the package test" >>"$root/etc/natss3/natss3d.conf"
echo keep >"$root/var/lib/natss3/upgrade-marker"
in_root dpkg -i "/tmp/$(basename "$deb")" >/dev/null || fail "upgrade (dpkg -i over itself) failed"
grep -q "edited by the package test" "$root/etc/natss3/natss3d.conf" || fail "upgrade lost the edited conffile"
[ -f "$root/var/lib/natss3/upgrade-marker" ] || fail "upgrade lost /var/lib/natss3"

phase "apt remove keeps data, configuration and user"
in_root apt-get remove -y -q natss3 >/dev/null || fail "apt-get remove natss3 failed"
[ ! -e "$root/usr/bin/natss3d" ] || fail "remove left /usr/bin/natss3d"
[ -f "$root/etc/natss3/natss3d.conf" ] || fail "remove deleted the conffile"
[ -f "$root/var/lib/natss3/upgrade-marker" ] || fail "remove deleted /var/lib/natss3"
in_root getent passwd natss3 >/dev/null || fail "remove deleted the natss3 user"

phase "apt purge removes the configuration, keeps the data and says how to delete it"
in_root apt-get purge -y -q natss3 >"$root/tmp/purge.log" 2>&1 ||
  { cat "$root/tmp/purge.log"; fail "apt-get purge natss3 failed"; }
grep '^natss3:' "$root/tmp/purge.log" || true
grep -q 'rm -rf /var/lib/natss3' "$root/tmp/purge.log" ||
  fail "purge did not say how to delete the kept data"
in_root dpkg-query -W -f='${Status}\n' natss3 2>/dev/null | grep -q "^install ok" &&
  fail "natss3 still installed after purge"
for f in /etc/natss3 /usr/share/doc/natss3 /usr/bin/natss3d; do
  [ ! -e "$root$f" ] || fail "purge left $f"
done
[ -f "$root/var/lib/natss3/upgrade-marker" ] || fail "purge deleted /var/lib/natss3 without being asked to"
in_root getent passwd natss3 >/dev/null || fail "purge deleted the natss3 user owning the kept data"

phase "reinstall after purge uses the kept data"
in_root dpkg -i "/tmp/$(basename "$deb")" >/dev/null || fail "reinstall after purge failed"
[ "$(in_root stat -c %U:%G:%a /var/lib/natss3)" = natss3:natss3:700 ] ||
  fail "reinstall changed /var/lib/natss3"
grep -q '"password"' "$root/var/lib/natss3/nats-context.json" || fail "the kept embedded credentials are gone"

phase "NATSS3_PURGE_DATA=yes apt purge removes everything the package created"
in_root sh -c 'NATSS3_PURGE_DATA=yes apt-get purge -y -q natss3' >/dev/null || fail "apt-get purge natss3 failed"
for f in /etc/natss3 /var/lib/natss3 /run/natss3 /usr/share/doc/natss3; do
  [ ! -e "$root$f" ] || fail "purge with NATSS3_PURGE_DATA=yes left $f"
done
for db in passwd group shadow gshadow; do
  ! grep -q '^natss3:' "$root/etc/$db" || fail "purge left natss3 in /etc/$db"
done
# (alice's own membership line goes with the group; her home has no natss3 files.)
left="$(snapshot)"
[ -z "$left" ] || fail "purge left files named natss3: $left"

phase "done"
total=$(( $(date +%s) - t_start ))
echo "package test passed in ${total}s"
if [ "$total" -gt 120 ]; then
  echo "NOTE: the package test took ${total}s, more than 2 minutes"
fi
