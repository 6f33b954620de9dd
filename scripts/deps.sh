#!/usr/bin/env bash
# Installs what natss3 needs on Debian 12 (idempotent; silent when everything is present).
# Usage: scripts/deps.sh [build|test]   (test adds the clients the test suite drives)
set -euo pipefail
mode="${1:-build}"
here="$(cd "$(dirname "$0")/.." && pwd)"

build_pkgs=(build-essential cmake pkg-config libnats-dev libfuse3-dev fuse3 libcpp-httplib-dev
  libpugixml-dev libcxxopts-dev nlohmann-json3-dev libspdlog-dev libisal-dev zlib1g-dev libssl-dev
  libgtest-dev libgmock-dev libsystemd-dev nats-server)
test_pkgs=(golang-go golang-github-nats-io-go-nats-dev awscli s3cmd rclone s3fs nodejs npm curl
  python3 debhelper dpkg-dev fakeroot lintian mmdebstrap debootstrap xxd psmisc rsync util-linux
  clang libfuzzer-14-dev libclang-rt-14-dev
  golang-github-minio-minio-go-v7-dev golang-github-rclone-rclone-dev
  golang-github-coreos-go-semver-dev golang-github-aalpar-deheap-dev golang-github-youmark-pkcs8-dev)
# The last five: the peer suites' sources (tests/peer, built offline in GOPATH mode), and three
# libraries rclone's test builds import that golang-github-rclone-rclone-dev does not depend on.

pkgs=("${build_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere (e.g. a preinstalled Node); accept them if on PATH.
if [ "${#missing[@]}" -gt 0 ]; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in nodejs) command -v node >/dev/null || filtered+=("$p") ;;
      npm) command -v npm >/dev/null || filtered+=("$p") ;;
      python3) command -v python3 >/dev/null || filtered+=("$p") ;;
      *) filtered+=("$p") ;; esac
  done
  missing=("${filtered[@]}")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "natss3: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ]; then
  # npm packages of the interop tests (@nats-io/obj); installed once, offline afterwards.
  for d in "$here"/tests/interop/js; do
    if [ -f "$d/package.json" ] && [ ! -d "$d/node_modules" ]; then
      (cd "$d" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
  done
fi
