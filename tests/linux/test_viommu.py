"""Linux's own virtio-iommu driver programs Portcullis's virtio-iommu (issue: virtio-iommu):
linux0 puts its passed-through nvme and virtio-blk disks in IOMMU groups and reads and writes
them whole through domains it maps itself, while linux1 does the same with its own nvme disk
in isolation mode. On `virt` the domains are nested stage-1 contexts over linux0's stage 2,
on `virt-9.1` stage-1 contexts alone; in strict and lazy mode, and with identity (bypass)
domains; each on Debian's Linux 7.3 and 6.12 and on 6.1. tests/linux/viommu*.dts are the configs."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "boot"))
from qemu import (LINUX_VERSIONS, Qemu, focus_next, kernel_line, machine_args,  # noqa: E402
                  prompt, ready, run, viommu_costs, viommu_counters, viommu_counters_line)
from test_passthrough import (SMMU_FLAVOURS, assert_disks_interrupt_by_msi,  # noqa: E402
                              assert_disks_used, three_disks, use_three_disks)

CASES = {
    # id: (SMMU flavour, config)
    "nested-strict": ("stage2", "viommu"),
    "stage1-strict": ("stage1", "viommu"),
    "nested-lazy": ("stage2", "viommu-lazy"),
    "nested-bypass": ("stage2", "viommu-passthrough"),
}


def hypervisor_stats(q):
    """Move the focus to the prompt (past linux1) and read linux0's virtio-iommu counters,
    and its costs (None unless its config says measure-costs)."""
    focus_next(q, "the hypervisor prompt")
    since = len(q.output)
    q.send("stats\r")
    m = q.wait_for(viommu_counters_line("linux0"), 10, since)
    q.wait_for(r"portcullis> ", 10, m.end())  # the rest of stats's output
    text = q.output[since:]
    return {**viommu_counters(text, "linux0"), "costs": viommu_costs(text, "linux0")}


@pytest.mark.parametrize("linux", LINUX_VERSIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_linux_programs_the_virtio_iommu(tmp_path, case, linux):
    flavour, config = CASES[case]
    disks, sums, devices = three_disks(tmp_path)
    q = Qemu(machine_args(machine=SMMU_FLAVOURS[flavour], smp=4, mem="2G"), devices,
             image=f"{config}-linux-{linux}")
    try:
        q.wait_for(r"vm 'linux0': virtio-iommu with 2 endpoint\(s\), domains " +
                   ("nested over stage 2" if flavour == "stage2" else "stage 1 only"))
        q.wait_for(ready("linux0"), 120)
        q.wait_for(ready("linux1"), 120)
        # The driver probed the device and both disks joined IOMMU groups of their own.
        q.wait_for(kernel_line("linux0", r"virtio_iommu virtio\d: page mask: 0x40201000"), 30)
        for bdf in ("0000:00:02.0", "0000:00:03.0"):
            q.wait_for(kernel_line("linux0", rf"\S+ {bdf}: Adding to iommu group \d"), 30)
        # PROBE reported the doorbell as each endpoint's MSI region (issue 16): both groups.
        q.wait_for(prompt("linux0"), 30)
        regions = run(q, "linux0", "echo $(cat /sys/kernel/iommu_groups/*/reserved_regions)",
                      r"(0x\S+ 0x\S+ \S+ ?)+\n").group(0)
        its_lines = [x for x in q.output.splitlines() if "ITS" in x or "MSI" in x]
        assert regions.count("0x0000000008090000 0x0000000008090fff msi") == 2, \
            "\n".join([regions, *its_lines])
        got = use_three_disks(q)
        assert_disks_interrupt_by_msi(q, got)
        stats = hypervisor_stats(q)
        print(f"{case}: {stats}")
        assert "SMMU: " not in q.output, "a device faulted"
        assert "ERROR" not in q.output and "PANIC" not in q.output
    finally:
        q.kill()
    assert_disks_used(disks, sums, got)
    assert stats["refused"] == 0 and stats["faults"] == 0
    assert stats["attach"] >= 2 and stats["probe"] >= 2
    if config == "viommu-passthrough":
        # Identity domains: ATTACH with the BYPASS flag, nothing mapped.
        assert stats["map"] == 0 and stats["unmap"] == 0 and stats["table_pages"] == 0
    else:
        # 2 x 16 MiB read in 4 KiB to 512 KiB pieces, each mapped and unmapped again.
        assert stats["map"] > 100 and stats["unmap"] > 100
        assert stats["syncs"] > 0
    if config == "viommu-lazy":
        # Measured at EL2 by the PMU: cycles on QEMU without -icount. Every part of a MAP's
        # and an UNMAP's way through the hypervisor took some.
        c = stats["costs"]
        assert c and c["unit"] == "EL2 cycles" and c["notifications"] > 100, c
        for part in ("map_validate", "map_table", "unmap_validate", "unmap_table",
                     "unmap_tlbi", "sync", "trap", "handler"):
            assert c[part] > 0, (part, c)
    else:
        assert stats["costs"] is None, "measured without measure-costs"
