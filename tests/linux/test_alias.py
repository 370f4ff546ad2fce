"""DMA aliases (issue 15, 8c): conventional PCI devices behind QEMU pcie-pci-bridges do their
DMA and MSI writes as the bridge's (secondary bus, 0, 0) (PCI Express to PCI/PCI-X Bridge 1.0,
2.3), which Linux attaches too and QEMU's SMMU and ITS see. linux0 puts its two virtio-blk
disks behind one bridge, which share that alias, in one IOMMU group of its virtio-iommu with
the bridge;
linux1 uses its own, behind another bridge, in isolation mode. Both read their disks whole,
by MSI-X. One boot, Linux 7.3, tests/linux/alias.dts."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "boot"))
from qemu import (Qemu, focus_next, machine_args, msi_counts, printed, prompt,  # noqa: E402
                  ready, run)
from test_passthrough import COMMAND_TIMEOUT, SMMU_FLAVOURS, make_disk  # noqa: E402
from test_viommu import hypervisor_stats  # noqa: E402

LINUX = "7.3"
VBLK = "virtio-blk-pci,iommu_platform=on,disable-legacy=on"
# disk: (VM, its PCI function as the VM sees it, the QEMU bridge and slot it sits in)
DISKS = {"vblk0": ("linux0", "0000:01:01.0", "br0", "1.0"),
         "vblk1": ("linux0", "0000:01:02.0", "br0", "2.0"),
         "vblk2": ("linux1", "0000:02:02.0", "br1", "2.0")}


def bridged_disks(tmp_path):
    """Random disks behind two pcie-pci-bridges at 00:06.0 and 00:07.0: their checksums and
    the QEMU arguments."""
    sums, args = {}, []
    for br, slot in (("br0", "6.0"), ("br1", "7.0")):
        args += ["-device", f"pcie-pci-bridge,id={br},bus=pcie.0,addr={slot}"]
    for name, (_, _, br, slot) in DISKS.items():
        path = tmp_path / f"{name}.img"
        sums[name] = make_disk(path)
        args += ["-device", f"{VBLK},drive={name},bus={br},addr={slot}",
                 "-drive", f"if=none,id={name},file={path},format=raw"]
    return sums, args


def iommu_groups(q, vm):
    """The focused VM's IOMMU groups, each as the sorted PCI functions in it."""
    since = len(q.output)
    run(q, vm, "for g in /sys/kernel/iommu_groups/*; do echo GROUP $(ls $g/devices); done; "
               "echo GROUPS-END", r"GROUPS-END\n")
    return [sorted(line.split()[2:]) for line in q.output[since:].splitlines()
            if line.startswith(f"[{vm}] GROUP ")]


def read_disks(q, vm, devs):
    """Checksum each of the focused VM's disks whole; their MSIs before and after."""
    before = msi_counts(q, vm)
    sums = {run(q, vm, f"sha256sum {d}", rf"([0-9a-f]{{64}})  {d}\n", COMMAND_TIMEOUT).group(1)
            for d in devs}
    return sums, before, msi_counts(q, vm)


def assert_msis_rose(vm, before, after):
    for name, (owner, fn, _, _) in DISKS.items():
        if owner == vm:
            assert before.get(fn) is not None and after.get(fn, 0) > before[fn], \
                f"{name} ({fn}): its MSIs did not rise with I/O: {before} -> {after}"


def test_devices_behind_a_pcie_to_pci_bridge(tmp_path):
    sums, devices = bridged_disks(tmp_path)
    q = Qemu(machine_args(machine=SMMU_FLAVOURS["stage2"], smp=4, mem="2G"), devices,
             image=f"alias-linux-{LINUX}")
    try:
        q.wait_for(ready("linux0"), 120)
        q.wait_for(ready("linux1"), 120)
        q.wait_for(prompt("linux0"), 30)
        # The disks that share the alias 01:00.0 share an IOMMU group with the bridge whose
        # alias it is.
        groups = iommu_groups(q, "linux0")
        assert ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0"] in groups, groups
        got0, before, after = read_disks(q, "linux0", ("/dev/vda", "/dev/vdb"))
        assert got0 == {sums["vblk0"], sums["vblk1"]}, "linux0 read other data than its disks"
        assert_msis_rose("linux0", before, after)
        focus_next(q, "linux1")
        got1, before, after = read_disks(q, "linux1", ("/dev/vda",))
        assert got1 == {sums["vblk2"]}, "linux1 read other data than its disk"
        assert_msis_rose("linux1", before, after)
        stats = hypervisor_stats(q)
        print(f"linux0's virtio-iommu: {stats}")
        # The hypervisor found the aliases; linux0's virtio-iommu has the disks, their alias
        # and the bridge as endpoints.
        for fn, alias in (("01:01.0", "01:00.0"), ("01:02.0", "01:00.0"), ("02:02.0", "02:00.0")):
            printed(q, rf"^ +PCI {fn} \[1af4:1042\] .*, DMA alias {alias} \(StreamID "
                       rf"0x{alias[1]}00\)$")
        assert "vm 'linux0': virtio-iommu with 4 endpoint(s)" in q.output
        assert "SMMU: " not in q.output, "a device faulted"
        assert "ERROR" not in q.output and "PANIC" not in q.output
    finally:
        q.kill()
    assert stats["refused"] == 0 and stats["faults"] == 0, stats
    assert stats["attach"] >= 4 and stats["probe"] >= 3, stats
