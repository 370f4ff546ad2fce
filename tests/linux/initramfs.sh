#!/usr/bin/env bash
# Builds a Linux guest's initramfs: Debian's static arm64 busybox (unpacked by tools/deps.sh)
# and tests/linux/init, plus, with --modules DIR (a folder of tests/linux/debian-kernel.sh),
# that kernel's modules and their load order in /lib/modules, plus any static programs named
# as arguments (put in /bin: the bench's tools); prints the path of the gzip cpio archive.
# Usage: tests/linux/initramfs.sh [--modules DIR] [PROGRAM ...]
# Cached like build.sh's kernels, in ${PORTCULLIS_CACHE:-~/.cache/portcullis}/initramfs-<hash>/,
# hash covering the busybox binary, init, the modules, the extra programs and this script.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUSYBOX=${PORTCULLIS_SYSROOT:-$ROOT/build/sysroot-arm64}/bin/busybox
[ -x "$BUSYBOX" ] || { echo "initramfs.sh: $BUSYBOX missing: run tools/deps.sh" >&2; exit 1; }

MODULES=
if [ "${1:-}" = --modules ]; then
  MODULES=$2/modules
  shift 2
  [ -f "$MODULES/load-order" ] || { echo "initramfs.sh: no $MODULES/load-order" >&2; exit 1; }
fi
MODULE_FILES=()
[ -z "$MODULES" ] || MODULE_FILES=("$MODULES/load-order" "$MODULES"/*.ko)

hash=$(cat "$BUSYBOX" "$HERE/init" "$0" "${MODULE_FILES[@]}" "$@" | sha256sum | cut -c1-16)
OUT=${PORTCULLIS_CACHE:-$HOME/.cache/portcullis}/initramfs-$hash
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9   # another caller may be writing this very archive

if [ ! -f "$OUT/initramfs.cpio.gz" ]; then
  echo "initramfs.sh: building $OUT/initramfs.cpio.gz" >&2
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  # The applets' links are made at boot (busybox --install -s) in these directories.
  # No /dev/console node (so no root needed): the kernel's own built-in initramfs
  # (usr/default_cpio_list, linked in as INITRAMFS_SOURCE is empty) has it, and is unpacked
  # before this archive.
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,lib/modules}
  cp "$BUSYBOX" "$stage/bin/busybox"
  cp "$HERE/init" "$stage/init"
  [ ${#MODULE_FILES[@]} = 0 ] || cp "${MODULE_FILES[@]}" "$stage/lib/modules/"
  for extra in "$@"; do cp "$extra" "$stage/bin/"; done
  (cd "$stage" && find . -mindepth 1 | cpio --quiet -o -H newc --owner=0:0) |
    gzip -9 > "$OUT/initramfs.cpio.gz.tmp"
  mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
fi
echo "$OUT/initramfs.cpio.gz"
