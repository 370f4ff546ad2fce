#!/usr/bin/env bash
# A Linux guest for the tests, `make run` and the bench: prints two lines, the kernel Image's
# path and the initramfs's path. Progress goes to stderr.
# Usage: tests/linux/guest.sh 7.3|6.12|6.1|6.12-src [PROGRAM ...]
#   7.3, 6.12: Debian's own prebuilt kernels (tests/linux/debian-kernel.sh), their modules in
#              the initramfs;
#   6.1:       built from linux-source-6.1 (Debian's 6.1 arm64 kernel has no virtio-iommu);
#   6.12-src:  built from linux-source-6.12, for the bench (Debian's has no dma_map_benchmark).
# PROGRAMs (static arm64 binaries) go into the initramfs's /bin.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VER=${1:-}
[ $# -gt 0 ] && shift
case $VER in
  7.3|6.12)
    dir=$("$HERE/debian-kernel.sh" "$VER")
    echo "$dir/Image"
    "$HERE/initramfs.sh" --modules "$dir" "$@" ;;
  6.1|6.12-src)
    "$HERE/build.sh" "${VER%-src}"
    "$HERE/initramfs.sh" "$@" ;;
  *) echo "usage: $0 7.3|6.12|6.1|6.12-src [PROGRAM ...]" >&2; exit 2 ;;
esac
