"""Two Linux VMs side by side under Portcullis, with the board's default config (the one
`make run` boots): each reaches init, sees the CPUs and memory its config gives it, runs
commands typed on its multiplexed console (issue: guests), and its disks interrupt by MSI-X
(issue 16)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "boot"))
from qemu import (FOCUS_KEY, LINUX_VERSIONS, Qemu, focus_next, kernel_image_size,  # noqa
                  kernel_line, linux_guest, machine_args, msi_counts, prompt, ready, run,
                  run_devices)

VM_RAM_KIB = 256 * 1024  # board/qemu-virt/default.dts


def assert_disks_interrupt_by_msi(q, vm, disks):
    """Each of vm's disks ({device: PCI function}) has MSI vectors, and reading 64 KiB of
    it past the page cache raises their count."""
    before = msi_counts(q, vm)
    for dev in disks:
        run(q, vm, f"echo 3 > /proc/sys/vm/drop_caches; dd if={dev} of=/dev/null bs=4096 "
                   f"count=16 2>/dev/null; echo read {dev}", rf"read {dev}\n")
    after = msi_counts(q, vm)
    for dev, fn in disks.items():
        assert before.get(fn) is not None and after.get(fn, 0) > before[fn], (dev, before, after)


@pytest.fixture
def qemu(tmp_path):
    started = []

    def start(image):
        q = Qemu(machine_args(smp=4, mem="2G"), run_devices(tmp_path), image=image)
        started.append(q)
        return q

    yield start
    for q in started:
        q.kill()


@pytest.mark.parametrize("linux", LINUX_VERSIONS)
def test_two_linux_vms_side_by_side(qemu, linux):
    # MemTotal is the RAM minus the kernel's image and what it keeps for itself (a few MiB).
    kernel_kib = kernel_image_size(linux_guest(linux)[0]) // 1024
    q = qemu(f"default-linux-{linux}")
    for vm in ("linux0", "linux1"):
        m = q.wait_for(ready(vm), timeout=120)
        assert int(m.group(1)) == 2, f"{vm} sees {m.group(1)} CPUs, its config gives it 2"
        assert VM_RAM_KIB - kernel_kib - 24 * 1024 < int(m.group(2)) <= VM_RAM_KIB
    print(f"Linux {linux}: both VMs at init {q.elapsed():.2f} s after QEMU started")
    # linux0's virtio-iommu probed, and its two disks joined IOMMU groups through it.
    q.wait_for(kernel_line("linux0", r"virtio_iommu virtio\d: input address: 48 bits"), 30)
    for bdf in ("0000:00:02.0", "0000:00:03.0"):
        q.wait_for(kernel_line("linux0", rf"\S+ {bdf}: Adding to iommu group \d"), 30)
    q.wait_for(prompt("linux0"), timeout=30)
    run(q, "linux0", "echo vm0 $((6*7)) $(nproc)", r"vm0 42 2\n")
    # Every disk of make run's VMs on MSI-X, through their virtual ITSs: a read of each
    # raises its count.
    assert_disks_interrupt_by_msi(q, "linux0", {"/dev/nvme0n1": "0000:00:02.0",
                                                "/dev/vda": "0000:00:03.0"})
    # Input moves to the next VM; its shell answers there, not in linux0.
    focus_next(q, "linux1")
    run(q, "linux1", "echo vm1 $((7*7)) $(grep -c ^processor /proc/cpuinfo)", r"vm1 49 2\n")
    assert_disks_interrupt_by_msi(q, "linux1", {"/dev/nvme0n1": "0000:00:04.0"})
    # And once more to the hypervisor prompt, which lists both VMs running.
    since = len(q.output)
    q.send(FOCUS_KEY)
    q.wait_for(r"portcullis> ", 10, since)
    q.send("vms\n")
    q.wait_for(r"linux0.*running", 10, since)
    q.wait_for(r"linux1.*running", 10, since)
    # stats names each vCPU's most acknowledged interrupts: the virtual timer (27) for all.
    since = len(q.output)
    q.send("stats\n")
    for vm in ("linux0", "linux1"):
        for vcpu in (0, 1):
            q.wait_for(rf"^{vm}\s+{vcpu} interrupts taken: .*\b27 x\d+", 10, since)
    assert "PANIC" not in q.output and "ERROR" not in q.output
