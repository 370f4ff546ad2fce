#!/usr/bin/env bash
# Fetches Debian's own prebuilt arm64 kernel for a Linux guest and prints the folder that holds
# it: Image (Debian's uncompressed arm64 Image), modules/*.ko (the modules the guests need and
# what they depend on, uncompressed) and modules/load-order (one name a line, dependencies
# first), for tests/linux/initramfs.sh --modules. Progress goes to stderr.
# Usage: tests/linux/debian-kernel.sh 7.3|6.12
#
# The packages (tools/deps.sh adds their suites; nothing of them is installed on the host):
#   7.3:  linux-binary-7.3.N+deb13-arm64 and linux-modules-7.3.N+deb13-arm64, trixie-backports
#   6.12: linux-image-6.12.N+deb12-arm64 (modules inside), Debian 12's suites
# Debian replaces these as it updates them, so the newest one apt's lists hold is taken at each
# call, named on stderr, and the cache folder is keyed by its name and version:
# ${PORTCULLIS_CACHE:-~/.cache/portcullis}/debian-<package>_<version>/.
set -euo pipefail

VER=${1:-}
case $VER in
  7.3) PREFIX=linux-binary-7.3.; IMAGE_RE='^linux-binary-7\.3\.[0-9]+\+deb13-arm64$'
       MODULES_PKG='linux-modules-' ;;
  6.12) PREFIX=linux-image-6.12.; IMAGE_RE='^linux-image-6\.12\.[0-9]+\+deb12-arm64$'
       MODULES_PKG= ;;
  *) echo "usage: $0 7.3|6.12" >&2; exit 2 ;;
esac
CACHE=${PORTCULLIS_CACHE:-$HOME/.cache/portcullis}
# What the guests load: the virtio-mmio transport of Portcullis's virtio-iommu, the
# virtio-iommu driver, and the disks' drivers. Their dependencies are read from the modules.
NEEDED=(virtio_mmio virtio_iommu nvme virtio_blk)
OBJCOPY=aarch64-linux-gnu-objcopy

say() { echo "debian-kernel.sh: Linux $VER: $*" >&2; }

# "name version" of the newest package of this series that apt can download, or nothing.
newest_package() {
  local name v
  for name in $(apt-cache pkgnames "$PREFIX" | grep -E "$IMAGE_RE" | sort -rV); do
    v=$(apt-cache madison "$name:arm64" | awk -F'|' 'NR==1 { gsub(/ /, "", $2); print $2 }')
    [ -n "$v" ] && { echo "$name $v"; return; }
  done
}

# The newest kernel already in the cache, for when apt's lists cannot be read.
newest_cached() {
  local d
  d=$(ls -d "$CACHE"/debian-linux-*-"${VER}".*/ 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -f "$d/Image" ] && echo "${d%/}"
}

# Prints the .modinfo field $2 of module file $1.
modinfo_field() {
  "$OBJCOPY" -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
    tr '\0' '\n' | sed -n "s/^$2=//p"
}

# Copies module $1 (a name, - and _ alike) and its dependencies, uncompressed, into $OUT_MODS,
# appending each to load-order after what it depends on. $INDEX maps names to files.
add_module() {
  local name=${1//-/_} file dep
  grep -qx "$name" "$OUT_MODS/.seen" 2>/dev/null && return 0
  echo "$name" >> "$OUT_MODS/.seen"
  file=$(awk -v n="$name" '$1 == n { print $2; exit }' "$INDEX")
  if [ -z "$file" ]; then
    if grep -qE "/${name//_/[-_]}\.ko\$" "$MODROOT"/modules.builtin 2>/dev/null ||
       [ ! -f "$MODROOT/modules.builtin" ]; then
      say "$name is built in"; return 0
    fi
    say "no module $name in this kernel"; exit 1
  fi
  case $file in
    *.ko.xz) xz -dc "$file" > "$OUT_MODS/$name.ko" ;;
    *.ko.zst) zstd -qdc "$file" > "$OUT_MODS/$name.ko" ;;
    *.ko) cp "$file" "$OUT_MODS/$name.ko" ;;
  esac
  for dep in $(modinfo_field "$OUT_MODS/$name.ko" depends | tr ',' ' '); do
    add_module "$dep"
  done
  echo "$name" >> "$OUT_MODS/load-order"
}

unpack() {   # $1 package name, $2 version, $3 folder to fill
  local tmp pkgs=("$1:arm64=$2") abi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"; trap - RETURN' RETURN
  if [ -n "$MODULES_PKG" ]; then
    abi=${1#linux-binary-}
    pkgs+=("$MODULES_PKG$abi:arm64=$2")
  fi
  say "downloading ${pkgs[*]}"
  (cd "$tmp" && apt-get download -q "${pkgs[@]}" >"$tmp/apt.log" 2>&1) ||
    { cat "$tmp/apt.log" >&2; say "apt-get download failed"; return 1; }
  say "unpacking ($(du -sh "$tmp" | cut -f1) of packages)"
  local deb; for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  local image
  image=$(find "$tmp/root" -path '*/boot/vmlinuz-*' -o -path '*/modules/*/vmlinuz' | head -1)
  # An arm64 Image has "ARM\x64" at offset 0x38 (Documentation/arch/arm64/booting.rst).
  [ -n "$image" ] && [ "$(dd if="$image" bs=1 skip=56 count=4 2>/dev/null)" = $'ARM\x64' ] ||
    { say "no uncompressed arm64 Image in the package"; return 1; }
  MODROOT=$(find "$tmp/root" -maxdepth 4 -type d -path '*/modules/*' -name '*-arm64' | head -1)
  INDEX=$tmp/index OUT_MODS=$3/modules
  find "$MODROOT" -name '*.ko*' | awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko.*/, "", n);
    gsub(/-/, "_", n); print n, $0 }' > "$INDEX"
  mkdir -p "$OUT_MODS"
  local m; for m in "${NEEDED[@]}"; do add_module "$m"; done
  rm -f "$OUT_MODS/.seen"
  cp "$image" "$3/Image"
}

resolve() { read -r pkg version < <(newest_package || true) || true; }

# Apt's lists may be older than the suite: a package they name can be gone, or the newest be
# missing. As root, read them anew and resolve again.
refresh() {
  [ "$(id -u)" = 0 ] || return 1
  say "reading Debian's package lists anew (apt-get update)"
  apt-get update -q >/dev/null 2>&1 || true
  resolve
}

# Fills $CACHE/debian-<package>_<version> for the resolved package; 1 if that fails.
fetch() {
  OUT=$CACHE/debian-${pkg}_$version
  [ -f "$OUT/Image" ] && { say "Debian's $pkg $version (cached)"; return 0; }
  say "Debian's $pkg $version"
  rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
  unpack "$pkg" "$version" "$OUT.tmp" || return 1
  rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
  say "ready in $OUT (modules: $(tr '\n' ' ' < "$OUT/modules/load-order"))"
}

resolve
[ -n "${pkg:-}" ] || refresh || true
if [ -z "${pkg:-}" ]; then
  if dir=$(newest_cached); then
    say "apt's lists name no such package; using the cached $(basename "$dir")"
    echo "$dir"; exit 0
  fi
  say "apt's lists name no package matching $IMAGE_RE: run tools/deps.sh"; exit 1
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.debian-$VER.lock"
flock 9
fetch || { refresh && fetch; } || { say "cannot fetch the kernel: run tools/deps.sh"; exit 1; }
echo "$OUT"
