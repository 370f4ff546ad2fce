"""Boot the Linux guests straight on QEMU, without Portcullis: proves that tests/linux/guest.sh
gives kernels and initramfs that reach a shell (Debian's 7.3 and 6.12 loading their modules,
6.1 built from source), and that their IOMMU drivers work. Times boot to the marker line (run
with -s to see the figures)."""
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "boot"))
from qemu import LINUX_VERSIONS, linux_guest  # noqa: E402
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
# The whole line, up to its newline: the console's output comes in pieces.
READY = r"PORTCULLIS-GUEST-READY cpus=(\d+) mem_kib=(\d+)\n"
# ash's prompt is "<cwd> # ", then a cursor-position query (ESC [6n) nobody answers.
PROMPT = r"^\S* # (?:\x1b\[6n)?"


# Only the kernels built from source have the bench's dma_map_benchmark (Debian's config
# leaves it out).
BUILT_FROM_SOURCE = {"6.1"}


@pytest.fixture(scope="session", params=LINUX_VERSIONS)
def kernel(request):
    """(version, Image, initramfs) of a Linux guest."""
    return (request.param, *linux_guest(request.param))


class Guest:
    """One QEMU running a guest kernel; its console on pipes, killed by the fixture."""

    def __init__(self, image, initramfs, machine="virt,gic-version=3", extra=()):
        self.started = time.monotonic()
        self.output = ""
        self.proc = subprocess.Popen(
            [QEMU, "-machine", machine, "-cpu", "max", "-smp", "2", "-m", "512M",
             "-nographic", "-nic", "none", "-kernel", str(image), "-initrd", str(initramfs),
             "-append", "console=ttyAMA0", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait_for(self, pattern, timeout=60):
        """Wait for pattern (a regex, multiline) in the console output not yet consumed;
        consume up to the match's end and return the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern, re.M)
        while not (m := regex.search(self.output)):
            left = deadline - time.monotonic()
            ready = left > 0 and select.select([self.proc.stdout], [], [], min(left, 0.2))[0]
            chunk = ready and os.read(self.proc.stdout.fileno(), 65536)
            if left <= 0 or ready and not chunk:   # timed out, or QEMU is gone
                raise AssertionError(f"no {pattern!r} after {timeout} s; console:\n{self.output}")
            if chunk:
                self.output += chunk.decode(errors="replace").replace("\r", "")
        self.output = self.output[m.end():]
        return m

    def run(self, command, timeout=30):
        """Type a command at the shell; return what it printed."""
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        self.wait_for(re.escape(command) + r"\n")   # the terminal's echo of it
        prompt = self.wait_for(PROMPT, timeout)
        return prompt.string[:prompt.start()]

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdin.close()
        self.proc.stdout.close()


@pytest.fixture
def guest():
    """Factory: guest(image, initramfs, ...) boots one; every one is killed at the end."""
    started = []

    def start(*args, **kw):
        started.append(Guest(*args, **kw))
        return started[-1]

    yield start
    for g in started:
        g.kill()


def test_boots_to_shell(kernel, guest):
    version, image, initramfs = kernel
    g = guest(image, initramfs, extra=["-device", "edu,addr=03.0"])
    m = g.wait_for(READY)
    print(f"Linux {version}: marker after {time.monotonic() - g.started:.2f} s, "
          f"Image {image.stat().st_size // 1024} KiB")
    assert int(m.group(1)) == 2
    assert 400 * 1024 < int(m.group(2)) < 512 * 1024
    g.wait_for(PROMPT)
    assert g.run("echo hello $((6*7))") == "hello 42\n"
    if version not in BUILT_FROM_SOURCE:
        # Debian's kernel: the modules /init loaded are there, none failed.
        assert "PORTCULLIS-MODULE-FAILED" not in g.output
        assert g.run("grep -c '^virtio_iommu ' /proc/modules") == "1\n"
        return
    # What the map/unmap benchmark needs: its driver, bound to edu, makes its debugfs file.
    edu = "/sys/bus/pci/devices/0000:00:03.0"
    g.run(f"echo dma_map_benchmark > {edu}/driver_override")
    g.run("echo 0000:00:03.0 > /sys/bus/pci/drivers_probe")
    assert g.run("ls /sys/kernel/debug/dma_map_benchmark") == \
        "/sys/kernel/debug/dma_map_benchmark\n"


# Each IOMMU the guest must drive: machine, a disk whose DMA goes through it, the disk's name
# and the sysfs path of its PCI function.
IOMMUS = {
    "smmuv3": ("virt,gic-version=3,iommu=smmuv3",
               ["-device", "nvme,dbcs=off,drive=d,serial=portcullis"],
               "nvme0n1", "/sys/class/nvme/nvme0/device"),
    "virtio-iommu": ("virt,gic-version=3",
                     ["-device", "virtio-iommu-pci",
                      "-device", "virtio-blk-pci,drive=d,iommu_platform=on,disable-legacy=on"],
                     "vda", "/sys/block/vda/device/.."),
}


@pytest.mark.parametrize("iommu", IOMMUS)
def test_reads_disk_through_iommu(kernel, guest, tmp_path, iommu):
    machine, devices, disk, pci = IOMMUS[iommu]
    backing = tmp_path / "disk.raw"
    backing.write_bytes(b"PORTCULLIS-DISK\n" + bytes(4 * 1024 * 1024 - 16))
    g = guest(kernel[1], kernel[2], machine=machine, extra=[
        "-drive", f"if=none,id=d,format=raw,file={backing}", *devices])
    g.wait_for(READY)
    g.wait_for(PROMPT)
    # A DMA domain: the IOMMU driver took the disk and the DMA API maps through it.
    assert g.run(f"cat {pci}/iommu_group/type") == "DMA\n"
    assert g.run(f"head -c 16 /dev/{disk}") == "PORTCULLIS-DISK\n"
