"""The virtio-iommu driven by our own bare-metal guest (issue: virtio-iommu), through real DMA
with QEMU's edu: tests/guest/viommu.dts gives the "viommu" VM the edu at 00:02.0 and a
virtio-iommu, and tests/guest/viommu.c checks one rule per line (conformance), then breaks
its queues on purpose, races two vCPUs on one queue and runs into its limits (hostile
driver) while a watcher VM keeps checking its canary. Run on
both of QEMU's SMMU flavours (nested and stage 1 only)."""
import re

import pytest

from qemu import assert_clean, printed
from test_dma import FLAVOURS, assert_canary_after, run_beside_watcher

RUN_TIMEOUT = 60
RAM_END = 0x80000000 + 0x4000000  # the VM's RAM (viommu.dts)

# (case, status): statuses of virtio 1.2 5.13.6 (OK 0, INVAL 4, RANGE 5, NOENT 6).
STATUSES = [
    ("attach foreign endpoint", 6),  # not the VM's device: NOENT
    ("attach", 0),
    ("map src", 0),
    ("map dst", 0),
    ("map overlapping", 4),          # INVAL
    ("map unaligned", 5),            # RANGE
    ("map outside RAM", 5),          # RANGE: not the VM's RAM
    ("map hypervisor", 5),           # RANGE: just past the VM's RAM
    ("map 8K", 0),
    ("map over the MSI doorbell", 4),        # INVAL: the endpoint's RESV_MEM MSI region
    ("map around the MSI doorbell", 4),
    ("map its edu's BAR as MMIO", 0),        # peer to peer: a BAR of the VM's is its MMIO
    ("map its edu's BAR as RAM", 5),         # RANGE: without the MMIO flag, RAM only
    ("unmap the BAR", 0),
    ("unmap splitting", 5),          # RANGE, nothing removed
    ("unmap dst", 0),
    ("detach", 0),
    ("attach again", 0),
    ("unmap them all", 0),           # one UNMAP removes 16,384 mappings
    ("unmap those", 0),
    ("map after the limits", 0),     # what the limits took is back
    ("map split over 6 descriptors", 0),  # the readable part gathered from 6 buffers
    ("attach after reset", 0),
    ("map after reset", 0),          # not INVAL: the batch reset interrupted left nothing
    ("detach after reset", 0),
    ("after race, probe", 0),        # two vCPUs raced on one queue; a reset, and it works
    ("after reset, probe", 0),
]
DMA = [
    ("unattached", "blocked"),                # an endpoint in no domain: abort
    ("attached, nothing mapped", "blocked"),
    ("mapped", "landed"),
    ("dst unmapped", "blocked"),              # strict UNMAP: gone when the status came
    ("detached", "blocked"),
    ("batch never notified", "blocked"),      # made available, then the device reset
]


DONE = r"\[viommu\] GUEST: viommu: done$"


@pytest.fixture(scope="module", params=sorted(FLAVOURS))
def run(request):
    q = run_beside_watcher(request.param, "viommu", DONE, RUN_TIMEOUT)
    yield q
    q.kill()


def line(q, case):
    return printed(q, rf"^\[viommu\] GUEST: viommu: {re.escape(case)}: (.*)$").group(1)


def test_device_probes(run):
    printed(run, r"\[viommu\] GUEST: viommu: device 23 version 2 magic ok")
    printed(run, r"vm 'viommu': virtio-iommu with 1 endpoint\(s\), domains " +
            ("nested over stage 2" if run.flavour == "stage2" else "stage 1 only"))


def test_probe_reports_the_msi_doorbell(run):
    """PROBE's first property: RESV_MEM (type 1, length 20), subtype MSI (1), the page of
    the virtual ITS's GITS_TRANSLATER (docs/msi.md); the two MAPs over it above are
    refused."""
    printed(run, r"\[viommu\] GUEST: viommu: probe: type 1 length 20 subtype 1 start "
                 r"0x8090000 end 0x8090fff$")


@pytest.mark.parametrize("case,status", STATUSES)
def test_request_status(run, case, status):
    assert line(run, case) == f"status {status}", run.output


@pytest.mark.parametrize("case,outcome", DMA)
def test_dma_follows_the_mappings(run, case, outcome):
    assert line(run, case) == f"DMA {outcome}", run.output


def test_fault_events_on_the_eventq(run):
    """A DOMAIN fault (reason 1) for the endpoint in no domain: its stream is unconfigured,
    so the SMMU records C_BAD_STE, which names no address (issue 15, item 8: it used to
    abort silently, and the guest heard nothing); a read fault at the unmapped source IOVA
    once attached; a write fault at the unmapped destination after its UNMAP (reason 2
    MAPPING, flags READ 1 / WRITE 2 | ADDRESS 0x100, endpoint = requester ID 0x10)."""
    events = re.findall(r"^\[viommu\] GUEST: viommu: fault event: (.*)$", run.output, re.M)
    assert events == [
        "reason 1 flags 0x0 endpoint 0x10 address 0x0",
        "reason 2 flags 0x101 endpoint 0x10 address 0x100000",
        "reason 2 flags 0x102 endpoint 0x10 address 0x200000",
        "reason 2 flags 0x101 endpoint 0x10 address 0x100000",
    ], run.output


def test_per_vm_limits_answer_nomem(run):
    """16,384 live mappings per VM, then NOMEM (8); then, one page every 2 MiB so that each
    needs a level-3 table, the VM's 1,023 table pages run out (1,017 maps: the root, a level-1
    and two level-2 tables take the rest, and the level-2 and level-3 tables of the MSI
    doorbell, which every domain maps), NOMEM again. Nothing else is affected."""
    assert line(run, "mappings until refused") == "16384 then status 8", run.output
    assert line(run, "tables until refused") == "1017 then status 8", run.output
    printed(run, r"vm 'viommu': virtio-iommu: MAP domain 1 \[14000000-14000fff\] -> 81200000: NOMEM")


def test_refused_requests_are_logged(run):
    """The VM, the request as sent and its status: the only sign of a refused MAP that a
    Linux 6.12 guest (which never reads MAP statuses) leaves."""
    printed(run, r"vm 'viommu': virtio-iommu: MAP domain 1 \[300000-300fff\] -> 40000000: RANGE")
    printed(run, r"vm 'viommu': virtio-iommu: ATTACH 1 24: NOENT")
    printed(run, rf"vm 'viommu': virtio-iommu: MAP domain 1 \[300000-300fff\] -> "
                 rf"{RAM_END:x}: RANGE")


def test_broken_queues_stop_only_the_device(run):
    """A ring outside the VM's RAM, a descriptor loop and a 4 GiB buffer each set
    DEVICE_NEEDS_RESET (0x40) and nothing is served; a reset brings the device back."""
    assert line(run, "ring in hypervisor memory") == "ready 0 status 0x4b", run.output
    assert line(run, "descriptor loop") == "used 0 status 0x4f", run.output
    assert line(run, "huge length") == "status 0x4f", run.output
    for why in ("ring outside guest RAM", r"chain longer than the queue \(loop\)",
                "buffer outside guest RAM"):
        printed(run, rf"vm 'viommu': virtio-iommu: queue 0: {why}: device needs reset")


def test_vcpus_racing_on_one_queue(run):
    """vCPUs 0 and 1 each send 300 MAP+UNMAP pairs on the same queue without a lock between
    them: both finish (every request completes in its notifying vCPU's trap), the
    hypervisor keeps running, and the device works after a reset."""
    assert line(run, "race") == "partner done", run.output


def test_watcher_canary_survives(run):
    assert_canary_after(run, DONE)
    assert_clean(run, "MISMATCH", "ERROR")
