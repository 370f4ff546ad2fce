"""U-Boot as the firmware of QEMU's virt machine, for tests/boot/test_uboot.py (docs/uboot.md).

Debian's u-boot-qemu (qemu_arm64) is QEMU's -bios; it finds a boot disk by its standard
distro boot (boot_targets, then scan_dev_for_boot: extlinux/extlinux.conf, then boot.scr).
Disks are built as plain files, without root or loop devices: a filesystem image made by
mkfs.ext4 -d or mkfs.vfat + mcopy, after a 1 MiB gap, with an MBR partition table written by
sfdisk (U-Boot's distro boot only scans partitions).
"""
import shutil
import subprocess
import time
from pathlib import Path

from qemu import QEMU, Qemu

UBOOT_BIN = Path("/usr/lib/u-boot/qemu_arm64/u-boot.bin")
PART_START = 1 << 20  # the partition's offset: 2048 sectors of 512 bytes
SECTOR = 512


def _run(*cmd, **kw):
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, **kw)


def _fs_size(files, slack):
    """Bytes for a filesystem holding files (name -> path), rounded up to a MiB."""
    total = sum(Path(p).stat().st_size for p in files.values()) + slack
    return (total + (1 << 20) - 1) & ~((1 << 20) - 1)


def ext4_image(out, files, label="boot"):
    """An ext4 filesystem image holding files ({name in the filesystem: host path})."""
    root = Path(str(out) + ".d")
    shutil.rmtree(root, ignore_errors=True)
    for name, src in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, root / name)
    size = _fs_size(files, 8 << 20)
    _run("mkfs.ext4", "-q", "-F", "-L", label, "-d", root, out, f"{size >> 10}K")
    shutil.rmtree(root)
    return out


def vfat_image(out, files, label="BOOT"):
    """A FAT filesystem image holding files, copied in with mtools' mcopy."""
    size = max(_fs_size(files, 4 << 20), 34 << 20)  # FAT32 wants at least 32 MiB
    Path(out).unlink(missing_ok=True)
    _run("mkfs.vfat", "-C", "-F", "32", "-n", label, out, size >> 10)
    for name in sorted({str(Path(n).parent) for n in files} - {"."}):
        _run("mmd", "-i", out, f"::{name}")
    for name, src in files.items():
        _run("mcopy", "-i", out, src, f"::{name}")
    return out


def disk_image(out, fs_image, mbr_type):
    """A disk: 1 MiB gap, then fs_image as partition 1 (bootable, MBR type mbr_type)."""
    fs = Path(fs_image).read_bytes()
    with open(out, "wb") as f:
        f.truncate(PART_START)
        f.seek(PART_START)
        f.write(fs)
    _run("sfdisk", "-q", out,
         input=f"start={PART_START // SECTOR}, size={len(fs) // SECTOR}, type={mbr_type}, "
               "bootable\n".encode())
    return out


def boot_script(out, text):
    """A U-Boot script image (boot.scr) made by mkimage from text."""
    src = Path(str(out) + ".cmd")
    src.write_text(text)
    _run("mkimage", "-A", "arm64", "-O", "linux", "-T", "script", "-C", "none", "-d", src, out)
    return out


class UBootQemu(Qemu):
    """QEMU with U-Boot as its firmware and disk as a virtio block device; no -kernel: U-Boot
    finds and starts Portcullis itself. Read its console with wait_for(), as for Qemu."""

    def __init__(self, args, disk, extra=()):
        self.cmd = [QEMU, *args, "-display", "none", "-nic", "none", "-monitor", "none",
                    "-serial", "stdio", "-bios", str(UBOOT_BIN),
                    "-drive", f"if=none,file={disk},format=raw,id=boot",
                    "-device", "virtio-blk-device,drive=boot", *extra]
        self.output = ""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
