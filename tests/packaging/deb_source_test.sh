#!/usr/bin/env bash
# Source-package test (cheap, no compilation): debian/rules is the dh + CMake form, the
# Build-Depends name every library scripts/deps.sh installs and are satisfied here, dh's
# configure step (CMake with Debian's flags, tests off) succeeds, and "dpkg-buildpackage -S"
# makes a source package that dpkg-source extracts to a buildable tree (debian/ at its top).
# Usage: tests/packaging/deb_source_test.sh
# Needs: dpkg-dev, debhelper, cmake and the build dependencies (scripts/deps.sh test).
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
deb="$repo/packaging/deb/debian"
t_start=$(date +%s)
for tool in dpkg-buildpackage dpkg-source dh cmake; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/deps.sh test)"
done

# 1. debian/ at the top of the tree is the packaging directory.
[ "$(readlink "$repo/debian")" = packaging/deb/debian ] || fail "$repo/debian is not a link to packaging/deb/debian"

# 2. rules: dh with CMake, the three programs built, the tests off.
grep -qE '^	dh \$@ --buildsystem=cmake( |$)' "$deb/rules" || fail "debian/rules does not run dh \$@ --buildsystem=cmake"
configure="$(make -s -n -f "$deb/rules" override_dh_auto_configure)"
grep -q 'dh_auto_configure -- .*-DNATSS3_BUILD_TESTS=OFF' <<<"$configure" ||
  fail "dh_auto_configure does not turn the tests off: $configure"
build="$(make -s -n -f "$deb/rules" override_dh_auto_build)"
[ "$build" = "dh_auto_build -- natss3d natss3fs natss3ctl" ] || fail "dh_auto_build runs: $build"
sequence="$(cd "$repo" && dh binary --no-act --buildsystem=cmake)"
for step in override_dh_auto_configure override_dh_auto_build override_dh_auto_install \
            dh_installsystemd dh_strip dh_shlibdeps dh_gencontrol dh_builddeb; do
  grep -q "$step" <<<"$sequence" || fail "dh's binary sequence lacks $step"
done

# 3. Build-Depends: every development package scripts/deps.sh installs for the build (test
# frameworks aside), and all of them installed here.
build_pkgs="$(sed -n '/^build_pkgs=(/,/)/p' "$repo/scripts/deps.sh" | tr -d '()"' | sed 's/build_pkgs=//')"
build_depends="$(sed -n '/^Build-Depends:/,/^[A-Z][-A-Za-z]*:/p' "$deb/control" | sed '$d')"
for p in $build_pkgs; do
  case "$p" in libgtest-dev|libgmock-dev) continue ;; *-dev|cmake|pkg-config) ;; *) continue ;; esac
  grep -qE "(^|[ ,:])$p([ ,(]|$)" <<<"$build_depends" || fail "Build-Depends lacks $p (scripts/deps.sh installs it)"
done
(cd "$repo" && dpkg-checkbuilddeps) || fail "Build-Depends not satisfied on this host (scripts/deps.sh test)"

# 4. The source package, extracted again.
work="$(mktemp -d /tmp/natss3-src.XXXXXX)"
trap 'rm -rf "$work"' EXIT
dsc="$(NATSS3_DEB_BUILD_DIR="$work/build" "$repo/packaging/deb/build.sh" --source -o "$work/out")" ||
  fail "packaging/deb/build.sh --source (dpkg-buildpackage -S -us -uc -d) failed"
echo "source package: $(basename "$dsc") $(du -k "$work/out"/*.tar.xz | cut -f1) KiB"
(cd "$work" && dpkg-source -x "$dsc" extracted >/dev/null) || fail "dpkg-source -x $dsc failed"
for f in debian/rules debian/control debian/changelog debian/copyright CMakeLists.txt \
         core/src/connect_config.cc s3d/main.cc fuse/mount.natss3fs docs/install.md; do
  [ -e "$work/extracted/$f" ] || fail "the source package lacks $f"
done
[ -z "$(cd "$work/extracted" && ls -d build build-* obj-* 2>/dev/null)" ] || fail "the source package holds build trees"

# 5. dh's CMake configure step in the extracted tree, with Debian's build flags.
(cd "$work/extracted" && eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)" &&
  ./debian/rules override_dh_auto_configure >"$work/configure.log" 2>&1) ||
  { tail -20 "$work/configure.log"; fail "dh_auto_configure (CMake) failed in the source package"; }
cache="$(ls "$work"/extracted/obj-*/CMakeCache.txt)"
grep -qx 'NATSS3_BUILD_TESTS:BOOL=OFF' "$cache" || fail "the package build configures the tests"
grep -qx 'CMAKE_BUILD_TYPE:STRING=None' "$cache" || fail "the package build is not CMAKE_BUILD_TYPE=None"
grep -q '^CMAKE_CXX_FLAGS:STRING=.*-fstack-protector-strong' "$cache" ||
  fail "the package build lacks Debian's hardening flags"
echo "source package test passed in $(( $(date +%s) - t_start ))s"
