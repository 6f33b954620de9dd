#!/usr/bin/env bash
# Builds natss3_<version>_<arch>.deb with dpkg-buildpackage in a copy of the source tree: debian/rules
# (packaging/deb/debian, linked as debian/ at the top of the tree) compiles natss3d, natss3fs and
# natss3ctl with CMake and Debian's flags through debhelper, packs them with the files of
# packaging/deb/ (systemd units, conffile, mount helper, man pages, bash completion), and lintian
# checks the result. The copy keeps the checkout free of dh's build tree and debian/ outputs.
#
# Usage: packaging/deb/build.sh [-o OUTDIR] [--no-lintian] [--source]
#   -o OUTDIR      where the .deb (and with --source the .dsc and .tar.xz) go (default: the
#                  build directory)
#   --no-lintian   skip the lintian run
#   --source       build the source package (dpkg-buildpackage -S) instead of the .deb
# Environment: NATSS3_DEB_BUILD_DIR (default <repo>/build-deb), NATSS3_JOBS (default 2),
#   NATSS3_DEB_PREBUILT=DIR: pack the binaries of an existing CMake build tree DIR (DIR/s3d/natss3d,
#   DIR/fuse/natss3fs, DIR/cli/natss3ctl, e.g. the tree ctest runs in) instead of compiling them
#   with Debian's flags (lintian then notes the missing hardening flags).
#   ccache is used when installed (/usr/lib/ccache).
# Needs: cmake and the build dependencies (scripts/deps.sh), debhelper, dpkg-dev, fakeroot,
#   lintian.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${NATSS3_DEB_BUILD_DIR:-$repo/build-deb}"
jobs="${NATSS3_JOBS:-2}"
outdir=""
run_lintian=1
source_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    -o) outdir="$2"; shift 2 ;;
    --no-lintian) run_lintian=0; shift ;;
    --source) source_only=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

die() { echo "packaging/deb/build.sh: $*" >&2; exit 1; }
for tool in cmake dpkg-buildpackage dh fakeroot; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/deps.sh test (needs debhelper, dpkg-dev, fakeroot)"
done

# The Debian version (a native package: no revision) must be the CMake project version.
cmake_version="$(sed -n 's/^project(natss3 VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")"
deb_version="$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)"
[ "$deb_version" = "$cmake_version" ] ||
  die "debian/changelog version $deb_version does not match CMake project version $cmake_version: add a changelog entry (dch -v $cmake_version)"
[ -L "$repo/debian" ] && [ "$(readlink "$repo/debian")" = packaging/deb/debian ] ||
  die "$repo/debian must be a symbolic link to packaging/deb/debian"

mkdir -p "$build"
build="$(cd "$build" && pwd)"
if [ -n "${NATSS3_DEB_PREBUILT:-}" ]; then
  NATSS3_DEB_PREBUILT="$(cd "$NATSS3_DEB_PREBUILT" && pwd)"
  export NATSS3_DEB_PREBUILT
  for t in s3d/natss3d fuse/natss3fs cli/natss3ctl; do
    [ -x "$NATSS3_DEB_PREBUILT/$t" ] || die "missing binary $NATSS3_DEB_PREBUILT/$t"
  done
  echo "build.sh: packing the binaries built in $NATSS3_DEB_PREBUILT" >&2
fi

# The source tree as git knows it (tracked and new files, uncommitted changes included; no build
# trees or ignored files), else the checkout without its build directories.
work="$build/pkg/natss3-$cmake_version"
rm -rf "$build/pkg"
mkdir -p "$work"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$work" -xf -
else
  tar -C "$repo" --exclude='./build*' --exclude='./obj-*' --exclude=./Testing -cf - . |
    tar -C "$work" -xf -
fi

export DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}"
[ -d /usr/lib/ccache ] && export PATH="/usr/lib/ccache:$PATH" CCACHE_BASEDIR="$work"
if [ "$source_only" = 1 ]; then
  echo "build.sh: building the source package in $work" >&2
  (cd "$work" && dpkg-buildpackage -S -us -uc -d >"$build/dpkg-buildpackage.log" 2>&1) ||
    { tail -40 "$build/dpkg-buildpackage.log" >&2; die "dpkg-buildpackage -S failed (log: $build/dpkg-buildpackage.log)"; }
  dsc="$build/pkg/natss3_${deb_version}.dsc"
  [ -f "$dsc" ] || die "dpkg-buildpackage -S made no $dsc"
  dest="${outdir:-$build}"
  mkdir -p "$dest"
  cp "$dsc" "$build/pkg/natss3_${deb_version}.tar.xz" "$dest/"
  echo "$(cd "$dest" && pwd)/$(basename "$dsc")"
  exit 0
fi

[ -n "${NATSS3_DEB_PREBUILT:-}" ] || echo "build.sh: compiling and packing in $work (dh, CMake)" >&2
(cd "$work" && dpkg-buildpackage -b -us -uc >"$build/dpkg-buildpackage.log" 2>&1) ||
  { grep -E 'error|Error' "$build/dpkg-buildpackage.log" | head -30 >&2
    tail -20 "$build/dpkg-buildpackage.log" >&2
    die "dpkg-buildpackage failed (log: $build/dpkg-buildpackage.log)"; }

arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
deb="$build/pkg/natss3_${deb_version}_${arch}.deb"
[ -f "$deb" ] || die "dpkg-buildpackage made no $deb"
if [ -n "$outdir" ]; then
  mkdir -p "$outdir"
  cp "$deb" "$outdir/"
  deb="$(cd "$outdir" && pwd)/$(basename "$deb")"
else
  cp "$deb" "$build/"
  deb="$build/$(basename "$deb")"
fi

if [ "$run_lintian" = 1 ]; then
  if command -v lintian >/dev/null; then
    # Errors fail the build; warnings not overridden in lintian-overrides are shown.
    lintian --fail-on error --info --display-info "$deb" >&2 || die "lintian reported errors on $deb"
  else
    echo "build.sh: lintian not installed, not checked" >&2
  fi
fi
echo "$deb"
