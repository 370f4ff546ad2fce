#!/usr/bin/env bash
# Installs every Debian package Portcullis builds and tests with, idempotently.
# Usage: tools/deps.sh [--check]   (--check: exit 1 if anything is missing, install nothing)
#
# QEMU comes from Debian 12's bookworm-backports suite (QEMU 10: its SMMUv3 has stage 2 and
# nested translation); the suite is added on the URI of the machine's own Debian source.
# Debian 13's trixie-backports is added too, for arm64 only and pinned at -1 so that nothing
# is ever installed from it: the Linux 7.3 guest's packages are only downloaded from it
# (tests/linux/debian-kernel.sh).
# The target libfdt.a comes from libfdt-dev:arm64, which conflicts with the host libfdt-dev,
# so it is downloaded and unpacked into a local sysroot instead of installed. Same for
# busybox-static:arm64 (the Linux guests' initramfs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYSROOT=${PORTCULLIS_SYSROOT:-$ROOT/build/sysroot-arm64}

HOST_PKGS=(make gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu device-tree-compiler
  libfdt-dev libcmocka-dev python3-pytest clang llvm lld u-boot-qemu u-boot-tools
  linux-source-6.12 linux-source-6.1 bc bison flex libssl-dev libelf-dev cpio xz-utils
  dosfstools mtools fdisk e2fsprogs libclang-rt-14-dev libc6-dev-arm64-cross zstd
  gdb-multiarch mmdebstrap)
QEMU_PKGS=(qemu-system-arm qemu-utils)
TARGET_DEBS=(libfdt-dev:arm64 libfdt1:arm64 busybox-static:arm64)
QEMU_MIN_MAJOR=10

qemu_ok() {
  command -v qemu-system-aarch64 >/dev/null || return 1
  local v; v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)
  [ "${v:-0}" -ge "$QEMU_MIN_MAJOR" ]
}

host_missing() {
  local p missing=()
  for p in "${HOST_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

sysroot_ok() {
  [ -f "$SYSROOT/usr/lib/aarch64-linux-gnu/libfdt.a" ] && [ -x "$SYSROOT/bin/busybox" ]
}

TRIXIE_SOURCES=/etc/apt/sources.list.d/portcullis-trixie-backports.sources
TRIXIE_PIN=/etc/apt/preferences.d/portcullis-trixie-backports
sources_ok() { [ -f "$TRIXIE_SOURCES" ] && [ -f "$TRIXIE_PIN" ] &&
  grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; }

all_ok() { [ -z "$(host_missing)" ] && qemu_ok && sysroot_ok && sources_ok; }

# The URI of the machine's main Debian source (not the security one), read from apt's sources.
debian_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ / bookworm( |$)/) print u } /^$/{u=""}' "$f"
  done | head -1
  if [ -f /etc/apt/sources.list ]; then
    awk '$1=="deb" && $3=="bookworm" {print $2}' /etc/apt/sources.list | head -1
  fi
}

add_backports() {
  local uri; uri=$(debian_uri | head -1)
  [ -n "$uri" ] || { echo "deps: no Debian bookworm source found in /etc/apt; add bookworm-backports by hand" >&2; exit 1; }
  grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ ||
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" > /etc/apt/sources.list.d/portcullis-backports.sources
  # Bookworm's debian-archive-keyring holds trixie's keys.
  printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nArchitectures: arm64\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" > "$TRIXIE_SOURCES"
  printf 'Package: *\nPin: release n=trixie-backports\nPin-Priority: -1\n' > "$TRIXIE_PIN"
}

unpack_target_debs() {
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download "${TARGET_DEBS[@]}")
  mkdir -p "$SYSROOT"
  local d; for d in "$tmp"/*.deb; do dpkg -x "$d" "$SYSROOT"; done
  rm -rf "$tmp"
}

if all_ok; then exit 0; fi
if [ "${1:-}" = "--check" ]; then exit 1; fi

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages; run as root:  sudo $0" >&2
  echo "deps: (it adds bookworm-backports, dpkg --add-architecture arm64, and apt-get installs:" >&2
  echo "deps:  ${HOST_PKGS[*]} and -t bookworm-backports ${QEMU_PKGS[*]};" >&2
  echo "deps:  it adds trixie-backports for arm64 only, pinned so nothing installs from it)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
LOG=$ROOT/build/deps.log
mkdir -p "$(dirname "$LOG")"
: > "$LOG"
apt_step() {   # $1 what it does; the rest: the command. Its output goes to $LOG.
  local what=$1; shift
  echo "deps: $what" >&2
  "$@" >>"$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; echo "deps: failed: $what (log: $LOG)" >&2; exit 1; }
}
add_backports
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt_step "reading Debian's package lists (apt-get update)" apt-get update -q
missing=$(host_missing)
[ -z "$missing" ] || apt_step "installing $(wc -w <<<"$missing") packages: $missing" \
  apt-get install -y -q --no-install-recommends $missing
qemu_ok || apt_step "installing QEMU 10 from bookworm-backports" \
  apt-get install -y -q --no-install-recommends -t bookworm-backports "${QEMU_PKGS[@]}"
sysroot_ok || apt_step "unpacking arm64 libfdt and busybox into $SYSROOT" unpack_target_debs
all_ok || { echo "deps: install finished but something is still missing" >&2; exit 1; }
echo "deps: all dependencies present"
