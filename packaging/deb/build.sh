#!/usr/bin/env bash
# Builds natss3_<version>_<arch>.deb: CMake build of natss3d, natss3fs and natss3ctl with Debian's
# hardening flags, then debhelper packs them with the files of packaging/deb/ (systemd units,
# conffile, mount helper, man pages, bash completion) and lintian checks the result.
#
# Usage: packaging/deb/build.sh [-o OUTDIR] [--no-lintian]
#   -o OUTDIR      where the .deb goes (default: the build directory)
#   --no-lintian   skip the lintian run
# Environment: NATSS3_DEB_BUILD_DIR (default <repo>/build-deb), NATSS3_JOBS (default 2),
#   NATSS3_DEB_PREBUILT=DIR: pack the binaries of an existing CMake build tree DIR (DIR/s3d/natss3d,
#   DIR/fuse/natss3fs, DIR/cli/natss3ctl, e.g. the tree ctest runs in) instead of building them
#   with Debian's flags (lintian then notes the missing hardening flags).
# Needs: cmake and the build dependencies (scripts/deps.sh), debhelper, dpkg-dev, fakeroot,
#   lintian.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${NATSS3_DEB_BUILD_DIR:-$repo/build-deb}"
jobs="${NATSS3_JOBS:-2}"
outdir=""
run_lintian=1
while [ $# -gt 0 ]; do
  case "$1" in
    -o) outdir="$2"; shift 2 ;;
    --no-lintian) run_lintian=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

die() { echo "packaging/deb/build.sh: $*" >&2; exit 1; }
for tool in cmake dpkg-buildpackage dh fakeroot; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/deps.sh test (needs debhelper, dpkg-dev, fakeroot)"
done

# The Debian version's upstream part must be the CMake project version.
cmake_version="$(sed -n 's/^project(natss3 VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")"
deb_version="$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)"
[ "${deb_version%-*}" = "$cmake_version" ] ||
  die "debian/changelog version $deb_version does not match CMake project version $cmake_version: add a changelog entry (dch -v $cmake_version-1)"

mkdir -p "$build"
build="$(cd "$build" && pwd)"
targets=(natss3d natss3fs natss3ctl)
declare -A target_path=([natss3d]=s3d/natss3d [natss3fs]=fuse/natss3fs [natss3ctl]=cli/natss3ctl)

if [ -n "${NATSS3_DEB_PREBUILT:-}" ]; then
  bindir="$(cd "$NATSS3_DEB_PREBUILT" && pwd)"
  echo "build.sh: packing the binaries built in $bindir" >&2
else
  bindir="$build/cmake"
  # Debian's hardening and optimisation flags (as dh's cmake build system would pass them).
  export DEB_BUILD_MAINT_OPTIONS="hardening=+all"
  eval "$(dpkg-buildflags --export=sh)"
  echo "build.sh: configuring and building ${targets[*]} in $bindir" >&2
  # Given on the command line (not only in the environment, which CMake reads once into its cache);
  # CMake ignores CPPFLAGS, so -D_FORTIFY_SOURCE goes into the compile flags as dh does it.
  cmake -S "$repo" -B "$bindir" -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_C_FLAGS="$CFLAGS $CPPFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS $CPPFLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" -DCMAKE_SHARED_LINKER_FLAGS="$LDFLAGS" \
    -DNATSS3_BUILD_TESTS=OFF -DNATSS3_WERROR=OFF >"$build/cmake-configure.log" 2>&1 ||
    { tail -30 "$build/cmake-configure.log" >&2; die "cmake configure failed (log: $build/cmake-configure.log)"; }
  missing_targets=()
  known_targets="$(cmake --build "$bindir" --target help)"
  for t in "${targets[@]}"; do
    grep -qE "^\.\.\. $t( |$)" <<<"$known_targets" || missing_targets+=("$t")
  done
  [ ${#missing_targets[@]} -eq 0 ] ||
    die "CMake has no target ${missing_targets[*]} yet (s3d/, fuse/, cli/ must define natss3d, natss3fs, natss3ctl)"
  cmake --build "$bindir" -j"$jobs" --target "${targets[@]}" >"$build/cmake-build.log" 2>&1 ||
    { grep -E 'error|Error' "$build/cmake-build.log" | head -30 >&2; die "build failed (log: $build/cmake-build.log)"; }
fi

for t in "${targets[@]}"; do
  [ -x "$bindir/${target_path[$t]}" ] || die "missing binary $bindir/${target_path[$t]} (target $t)"
done

# A debhelper tree: debian/ and the packaged files from packaging/deb/, the binaries in bin/.
work="$build/pkg/natss3-$cmake_version"
rm -rf "$build/pkg"
mkdir -p "$work/bin"
cp -a "$here/debian" "$here/files" "$work/"
cp "$here/lintian-overrides" "$work/debian/natss3.lintian-overrides"
cp "$repo/docs/install.md" "$work/files/install.md" 2>/dev/null || : >"$work/files/install.md"
for t in "${targets[@]}"; do cp "$bindir/${target_path[$t]}" "$work/bin/$t"; done
# The fstab helper belongs to the FUSE front end (fuse/mount.natss3fs).
[ -f "$repo/fuse/mount.natss3fs" ] || die "missing fuse/mount.natss3fs (the natss3fs fstab helper)"
install -m 0755 "$repo/fuse/mount.natss3fs" "$work/files/mount.natss3fs"

echo "build.sh: packing with debhelper" >&2
(cd "$work" && dpkg-buildpackage -b -us -uc >"$build/dpkg-buildpackage.log" 2>&1) ||
  { tail -40 "$build/dpkg-buildpackage.log" >&2; die "dpkg-buildpackage failed (log: $build/dpkg-buildpackage.log)"; }

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
