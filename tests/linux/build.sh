#!/usr/bin/env bash
# Builds a Linux guest kernel from Debian's linux-source-<ver> and guest.config; prints the
# path of its Image (progress goes to stderr, one line per stage; the compiler's output goes
# to build.log in the cache folder, named on failure). Usage: tests/linux/build.sh [6.12|6.1]
#
# Only for what Debian's prebuilt kernels cannot be (tests/linux/guest.sh): 6.1 (Debian's 6.1
# arm64 kernel has no virtio-iommu) and the bench's kernel (CONFIG_DMA_MAP_BENCHMARK). Results
# live outside the checkout, in ${PORTCULLIS_CACHE:-~/.cache/portcullis}/linux-<ver>-<hash>/
# {Image,.config}, where hash covers everything that shapes the kernel: the source package's
# version, the cross compiler, guest.config and this script. Only Image and .config are kept.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VER=${1:-6.12}
case $VER in 6.12|6.1) ;; *) echo "usage: $0 [6.12|6.1]" >&2; exit 2 ;; esac
CROSS=aarch64-linux-gnu-
PKG=linux-source-$VER
TARBALL=/usr/src/$PKG.tar.xz
CONFIG=$HERE/guest.config

if ! pkgver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) || [ ! -f "$TARBALL" ]; then
  echo "build.sh: $PKG is not installed: run tools/deps.sh" >&2
  exit 1
fi
hash=$({ echo "$PKG $pkgver"; "${CROSS}gcc" --version | head -1; cat "$CONFIG" "$0"; } |
  sha256sum | cut -c1-16)
OUT=${PORTCULLIS_CACHE:-$HOME/.cache/portcullis}/linux-$VER-$hash
mkdir -p "$OUT"

# A second caller waits here for the first one's build instead of starting its own.
exec 9>"$OUT/.lock"
flock -n 9 || { echo "build.sh: waiting for the build under way in $OUT" >&2; flock 9; }

say() { echo "build.sh: Linux $VER: $*" >&2; }
LOG=$OUT/build.log
fail() { say "failed: $*; the full log is $LOG"; tail -n 20 "$LOG" >&2; exit 1; }

# Prints how many objects the compile has made so far, every 15 s, while it runs.
watch_compile() {
  local start=$SECONDS
  while sleep 15; do
    say "compiling: $(grep -c '^  CC ' "$LOG" || true) files so far, $((SECONDS - start)) s"
  done
}

if [ ! -f "$OUT/Image" ]; then
  say "building from $PKG $pkgver in $OUT (log: $LOG)"
  start=$SECONDS
  SRC=$OUT/src
  : > "$LOG"
  rm -rf "$SRC"   # left by an interrupted or failed build
  mkdir -p "$SRC"
  say "unpacking the source"
  tar xJf "$TARBALL" -C "$SRC" --strip-components=1
  kmake() { make -C "$SRC" ARCH=arm64 CROSS_COMPILE="$CROSS" "$@" >>"$LOG" 2>&1; }
  say "configuring (allnoconfig + tests/linux/guest.config)"
  # KCONFIG_ALLCONFIG forces the fragment's values; allnoconfig turns everything else off.
  kmake KCONFIG_ALLCONFIG="$CONFIG" allnoconfig || fail "allnoconfig"
  kmake olddefconfig || fail "olddefconfig"
  # Kconfig silently drops a symbol whose dependencies are unmet: refuse such a kernel.
  missing=$(grep -E '^CONFIG_[A-Za-z0-9_]+=y$' "$CONFIG" | grep -vxF -f "$SRC/.config" || true)
  if [ -n "$missing" ]; then
    say "these guest.config symbols are not =y after olddefconfig" \
      "(unmet dependencies?); the source tree is kept in $SRC:"
    echo "$missing" >&2
    exit 1
  fi
  say "compiling with $(nproc) jobs"
  watch_compile &
  watcher=$!
  trap 'kill $watcher 2>/dev/null || true' EXIT
  kmake -j"$(nproc)" Image || fail "compile"
  kill $watcher 2>/dev/null || true
  cp "$SRC/.config" "$OUT/.config"
  cp "$SRC/arch/arm64/boot/Image" "$OUT/Image.tmp"
  mv "$OUT/Image.tmp" "$OUT/Image"   # Image appears only once complete
  rm -rf "$SRC"
  say "built in $((SECONDS - start)) s ($(grep -c '^  CC ' "$LOG") files compiled)"
fi
echo "$OUT/Image"
