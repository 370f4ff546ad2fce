"""The U-Boot boot flow (issue: real boards; docs/uboot.md): QEMU's virt machine with Debian's
U-Boot as its firmware, a disk holding Portcullis, found by U-Boot's standard distro boot and
started with booti, with the device tree U-Boot holds. The same guests as `make run` come up.

It also checks the Image header (arch/arm64/head.S) the way a board's U-Boot reads it:
booti accepts it, keeps a 2 MiB aligned image where it was loaded (flags bit 3: "anywhere";
text_offset 0), moves an unaligned one only up to the next 2 MiB boundary rather than to the
start of RAM, and reserves image_size bytes for it.
"""
import struct

import pytest

from qemu import image_path, machine_args, ready, run_devices
from uboot import UBootQemu, boot_script, disk_image, ext4_image, vfat_image

IMAGE = "default-linux-6.1"  # board/qemu-virt/default.dts with the Linux 6.1 guests
# Debian's qemu_arm64 environment (`printenv`): where distro boot loads a kernel.
KERNEL_ADDR_R = 0x40400000
SZ_2M = 0x200000


def image_header(path):
    """text_offset, image_size and flags of an arm64 Image (booting.rst), and its magic."""
    head = path.read_bytes()[:64]
    text_offset, image_size, flags = struct.unpack_from("<QQQ", head, 8)
    return text_offset, image_size, flags, head[56:60]


@pytest.fixture
def image():
    path = image_path(IMAGE)
    if not path.exists():
        pytest.fail(f"{path} missing: `make boot-test` builds it (make linux-images)")
    text_offset, image_size, flags, magic = image_header(path)
    assert magic == b"ARM\x64"
    assert text_offset == 0
    assert flags == 0b1010, "little-endian, 4 KiB pages, placeable anywhere"
    assert image_size >= path.stat().st_size
    return path


@pytest.fixture
def uboot(tmp_path):
    started = []

    def start(disk):
        q = UBootQemu(machine_args(smp=4, mem="2G"), disk, run_devices(tmp_path))
        started.append(q)
        return q

    yield start
    for q in started:
        q.kill()


def portcullis_started(q):
    """Portcullis's banner: (load address, DTB address) it reports."""
    m = q.wait_for(r"Portcullis hypervisor, board qemu-virt: loaded at ([0-9a-f]+), "
                   r"DTB at ([0-9a-f]+), EL2 MMU on", timeout=90)
    return int(m.group(1), 16), int(m.group(2), 16)


def guests_come_up(q):
    """Both VMs of the default config reach init with the CPUs and RAM it gives them."""
    q.wait_for(r"CPUs      4 online of 4, PSCI via smc")
    q.wait_for(r"Memory    2048 MiB in 1 bank\(s\)")
    for vm in ("linux0", "linux1"):
        m = q.wait_for(ready(vm), timeout=150)
        assert int(m.group(1)) == 2
    assert "PANIC" not in q.output and "ERROR" not in q.output


def test_distro_boot_extlinux(uboot, image, tmp_path):
    """extlinux/extlinux.conf on an ext4 partition: U-Boot's distro boot finds it with no
    command typed. Without an fdt line, U-Boot boots with the tree it holds ($fdt_addr, QEMU's
    DTB), which it copies and fixes up (/chosen, memory) before booti."""
    conf = tmp_path / "extlinux.conf"
    conf.write_text("default portcullis\n"
                    "label portcullis\n"
                    "\tkernel /portcullis.bin\n")
    fs = ext4_image(tmp_path / "boot.ext4",
                    {"portcullis.bin": image, "extlinux/extlinux.conf": conf})
    q = uboot(disk_image(tmp_path / "disk.img", fs, "83"))
    q.wait_for(r"Found /extlinux/extlinux\.conf", timeout=60)
    q.wait_for(r"Retrieving file: /portcullis\.bin")
    dtb = int(q.wait_for(r"Loading Device Tree to ([0-9a-f]+), end").group(1), 16)
    q.wait_for(r"Starting kernel \.\.\.")
    load, dtb_seen = portcullis_started(q)
    print(f"extlinux: booti kept the image at {load:#x} (kernel_addr_r); DTB at {dtb:#x}")
    # 2 MiB aligned where it was loaded: booti leaves it there (flags bit 3 set).
    assert "Moving Image" not in q.output
    assert load == KERNEL_ADDR_R
    assert dtb_seen == dtb
    guests_come_up(q)
    print(f"both VMs at init {q.elapsed():.1f} s after QEMU started")


def test_boot_script_booti_relocates(uboot, image, tmp_path):
    """boot.scr on a FAT partition, with the commands a user types (docs/uboot.md): load the
    image 1 MiB past a 2 MiB boundary, take the tree U-Boot runs on ($fdtcontroladdr), booti.
    booti moves the image up to the next 2 MiB boundary only: the header says "anywhere", or it
    would go to the start of RAM (0x40000000) and over QEMU's DTB there."""
    load_at = KERNEL_ADDR_R + 0x100000
    script = boot_script(tmp_path / "boot.scr", "\n".join([
        "echo Portcullis: boot.scr from ${devtype} ${devnum}:${distro_bootpart}",
        f"load ${{devtype}} ${{devnum}}:${{distro_bootpart}} {load_at:#x} /portcullis.bin",
        "fdt addr ${fdtcontroladdr}",
        f"booti {load_at:#x} - ${{fdtcontroladdr}}",
        ""]))
    fs = vfat_image(tmp_path / "boot.vfat", {"boot.scr": script, "portcullis.bin": image})
    q = uboot(disk_image(tmp_path / "disk.img", fs, "c"))
    q.wait_for(r"Found U-Boot script /boot\.scr", timeout=60)
    m = q.wait_for(r"Moving Image from 0x([0-9a-f]+) to 0x([0-9a-f]+), end=([0-9a-f]+)\n")
    src, dst, end = (int(g, 16) for g in m.groups())
    fdt = int(q.wait_for(r"Booting using the fdt blob at 0x([0-9a-f]+)\n").group(1), 16)
    dtb = int(q.wait_for(r"Loading Device Tree to ([0-9a-f]+), end").group(1), 16)
    q.wait_for(r"Starting kernel \.\.\.")
    load, dtb_seen = portcullis_started(q)
    print(f"boot.scr: booti moved the image from {src:#x} to {dst:#x} (end {end:#x}); "
          f"fdt {fdt:#x} copied to {dtb:#x}, where Portcullis found it")
    _, image_size, _, _ = image_header(image)
    assert src == load_at
    assert dst == (load_at + SZ_2M - 1) & ~(SZ_2M - 1)  # + text_offset 0
    assert end == dst + image_size  # U-Boot reserved the header's image_size
    assert load == dst
    assert dtb_seen == dtb
    guests_come_up(q)
    print(f"both VMs at init {q.elapsed():.1f} s after QEMU started")
