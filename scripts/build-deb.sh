#!/usr/bin/env bash
# Builds the Debian package from this tree, offline, with Debian's
# build-dependencies (scripts/install-deps.sh installs them), and puts
# dnsleak_VERSION_ARCH.deb in OUT_DIR (default: dist/). The build runs in a
# copy of the tree, so the source tree and its build/ stay as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out_dir=${OUT_DIR:-$root/dist}
# Always the same directory, one build at a time: the package's compiler
# lines name it (-ffile-prefix-map), so a random one would miss ccache on
# every build, and the package test would compile everything each time.
work=${DNSLEAK_DEB_WORK:-/tmp/dnsleak-deb-build}
exec 9>"$work.lock"
flock 9
rm -rf "$work"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/dnsleak" "$out_dir"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # What git tracks, and new files not ignored: never build trees or dist/.
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
    tar -C "$root" --null -T - -cf - | tar -C "$work/dnsleak" -xf -
else
  tar -C "$root" --exclude='./build*' --exclude=./dist --exclude=./.git -cf - . | tar -C "$work/dnsleak" -xf -
fi

cd "$work/dnsleak"
dpkg-checkbuilddeps
# debhelper gives the build a HOME of its own, and ccache would keep its
# cache there, empty each time: it keeps the user's instead.
if command -v ccache >/dev/null; then
  CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}
  export CCACHE_DIR
fi
# ccache serves rebuilds when it is there (see $work above); the package's flags are its own.
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" dpkg-buildpackage -b -us -uc --no-sign >"$work/build.log" 2>&1 || {
  tail -50 "$work/build.log"
  echo "build-deb: dpkg-buildpackage failed (log above)" >&2
  exit 1
}
cp "$work"/dnsleak_*.deb "$out_dir"/
ls "$out_dir"/dnsleak_*.deb
