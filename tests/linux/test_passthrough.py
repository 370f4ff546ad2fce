"""Linux VMs with passed-through PCI disks in isolation mode (issue: SMMUv3 and PCI device
assignment): each VM reads and writes its own disks through the SMMU, on both of QEMU's SMMU
flavours, with tests/linux/passthrough.dts."""
import hashlib
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "boot"))
from qemu import (LINUX_VERSIONS, Qemu, focus_next, machine_args, msi_counts,  # noqa: E402
                  prompt, ready, run)

DISK_MIB = 16
WRITE_AT = 1024  # 4 KiB block where each VM writes its pattern
WRITE_BLOCKS = 64
COMMAND_TIMEOUT = 120  # seconds: sha256sum of a whole disk, writes with fsync
SMMU_FLAVOURS = {
    "stage2": "virt,virtualization=on,gic-version=3,iommu=smmuv3",
    "stage1": "virt-9.1,virtualization=on,gic-version=3,iommu=smmuv3",
}


def make_disk(path):
    path.write_bytes(os.urandom(DISK_MIB << 20))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def written_region(path):
    data = path.read_bytes()[WRITE_AT * 4096:(WRITE_AT + WRITE_BLOCKS) * 4096]
    return hashlib.sha256(data).hexdigest()


def read_and_write(q, vm, dev):
    """Checksum the whole disk, then write a random pattern at WRITE_AT and say its sum."""
    whole = run(q, vm, f"sha256sum {dev}", rf"([0-9a-f]{{64}})  {dev}\n",
                COMMAND_TIMEOUT).group(1)
    pattern = run(q, vm, f"dd if=/dev/urandom of=/pattern bs=4096 count={WRITE_BLOCKS} "
                         f"2>/dev/null; dd if=/pattern of={dev} bs=4096 seek={WRITE_AT} "
                         f"conv=fsync 2>/dev/null; echo wrote $(sha256sum < /pattern)",
                  r"wrote ([0-9a-f]{64})", COMMAND_TIMEOUT).group(1)
    return whole, pattern


def three_disks(tmp_path):
    """Random disks for linux0 (nvme at 00:02.0, virtio-blk at 00:03.0, as passthrough.dts
    and viommu.dts assign them) and linux1 (nvme at 00:04.0): their paths, checksums, and
    the QEMU arguments that attach them."""
    disks = {name: tmp_path / f"{name}.img" for name in ("nvme0", "vblk0", "nvme1")}
    sums = {name: make_disk(path) for name, path in disks.items()}
    devices = [
        "-device", "nvme,dbcs=off,serial=n0,drive=nvme0,bus=pcie.0,addr=2.0",
        "-device", "virtio-blk-pci,drive=vblk0,iommu_platform=on,disable-legacy=on,"
                   "bus=pcie.0,addr=3.0",
        "-device", "nvme,dbcs=off,serial=n1,drive=nvme1,bus=pcie.0,addr=4.0",
    ]
    for name, path in disks.items():
        devices += ["-drive", f"if=none,id={name},file={path},format=raw"]
    return disks, sums, devices


# Each disk's PCI function, as the VM sees it: its MSIs are counted by that name.
DISK_FUNCTIONS = {"nvme0": ("linux0", "0000:00:02.0"), "vblk0": ("linux0", "0000:00:03.0"),
                  "nvme1": ("linux1", "0000:00:04.0")}


def use_three_disks(q):
    """From linux0's prompt: each VM checksums its disks whole and writes a pattern into
    each (read_and_write), its MSIs counted before and after; returns what they said, by
    disk, with "msi": {disk: (before, after)}, and leaves the focus on linux1."""
    q.wait_for(prompt("linux0"), 30)
    before = msi_counts(q, "linux0")
    got = {"nvme0": read_and_write(q, "linux0", "/dev/nvme0n1"),
           "vblk0": read_and_write(q, "linux0", "/dev/vda")}
    after = msi_counts(q, "linux0")
    focus_next(q, "linux1")
    before.update(msi_counts(q, "linux1"))
    got["nvme1"] = read_and_write(q, "linux1", "/dev/nvme0n1")
    after.update(msi_counts(q, "linux1"))
    got["msi"] = {disk: (before.get(fn), after.get(fn))
                  for disk, (_, fn) in DISK_FUNCTIONS.items()}
    return got


def assert_disks_interrupt_by_msi(q, got):
    """Every disk's driver took MSI(-X) vectors (issue 16: through the virtual ITS), their
    counts rose with its I/O, and no interrupt line stormed."""
    assert "nobody cared" not in q.output and "Disabling IRQ" not in q.output, q.output
    for disk, (before, after) in got["msi"].items():
        assert before is not None and after is not None, f"{disk}: no MSI vectors: {got['msi']}"
        assert after > before, f"{disk}: its MSIs did not rise with I/O: {got['msi']}"


def assert_disks_used(disks, sums, got):
    """Each VM read what its disk held, and its write landed there (QEMU has exited)."""
    for name in disks:
        whole, pattern = got[name]
        assert whole == sums[name], f"{name}: the VM read other data than the disk holds"
        assert written_region(disks[name]) == pattern, f"{name}: the VM's write did not land"


@pytest.mark.parametrize("linux", LINUX_VERSIONS)
@pytest.mark.parametrize("flavour", sorted(SMMU_FLAVOURS))
def test_passed_through_disks_read_and_write_through_the_smmu(tmp_path, flavour, linux):
    disks, sums, devices = three_disks(tmp_path)
    q = Qemu(machine_args(machine=SMMU_FLAVOURS[flavour], smp=4, mem="2G"), devices,
             image=f"passthrough-linux-{linux}")
    try:
        q.wait_for(r"SMMUv3.1: stage 1\+2" if flavour == "stage2" else r"SMMUv3.1: stage 1 only")
        q.wait_for(ready("linux0"), 120)
        q.wait_for(ready("linux1"), 120)
        got = use_three_disks(q)
        assert_disks_interrupt_by_msi(q, got)
        assert "SMMU: " not in q.output, "a device faulted"
        assert "ERROR" not in q.output and "PANIC" not in q.output
    finally:
        q.kill()
    assert_disks_used(disks, sums, got)
