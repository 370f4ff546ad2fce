#!/usr/bin/env bash
# Builds the bench's guest programs, static for arm64 against Debian's libc
# (libc6-dev-arm64-cross): Linux's own dma_map_benchmark tool (tools/testing/selftests/dma,
# from linux-source-6.12) and diskbench (tests/bench/diskbench.c). Prints their paths, for
# tests/linux/guest.sh to put in the initramfs's /bin.
# Cached in ${PORTCULLIS_CACHE:-~/.cache/portcullis}/bench-tools-<hash>/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=/usr/src/linux-source-6.12.tar.xz
CC=aarch64-linux-gnu-gcc

hash=$(cat "$0" "$HERE/diskbench.c" <(ls -l "$SRC") | sha256sum | cut -c1-16)
OUT=${PORTCULLIS_CACHE:-$HOME/.cache/portcullis}/bench-tools-$hash
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [ ! -x "$OUT/dma_map_benchmark" ] || [ ! -x "$OUT/diskbench" ]; then
  echo "tools.sh: building $OUT" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tar -C "$tmp" -xJf "$SRC" --wildcards '*/tools/testing/selftests/dma/dma_map_benchmark.c' \
    '*/include/linux/map_benchmark.h'
  mkdir -p "$tmp/inc/linux"
  cp "$tmp"/linux-source-*/include/linux/map_benchmark.h "$tmp/inc/linux/"
  $CC -static -O2 -I"$tmp/inc" -o "$OUT/dma_map_benchmark" \
    "$tmp"/linux-source-*/tools/testing/selftests/dma/dma_map_benchmark.c
  $CC -static -O2 -Wall -Wextra -Werror -o "$OUT/diskbench" "$HERE/diskbench.c"
fi
echo "$OUT/dma_map_benchmark" "$OUT/diskbench"
