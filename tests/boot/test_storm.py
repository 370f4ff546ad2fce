"""A fault storm in one VM beside another VM's occasional faults (the hostile issue's item 5,
tests/guest/storm.dts). "flood"'s edu faults in a loop, each transfer enough to fill the
SMMU's one event queue; "faulter"'s edu faults 32 times, 150 ms apart, each at an IOVA of
its own. The hypervisor pauses a storming VM's streams (core/vm/vm_iommu.h "Fault storms"),
so the queue keeps room for the other VM: each of the faulter's faults is reported to it,
while the flood still hears of its own between pauses. On both SMMU flavours."""
import re

import pytest

from qemu import Qemu, assert_clean, hypervisor_prompt_stats, machine_args, printed
from test_dma import FLAVOURS, edu

FAULTER_DONE = r"\[faulter\] GUEST: faulter: (\d+) of (\d+) faults reported, missing (\S+), (\d+) DMA\(s\) timed out$"


@pytest.fixture(scope="module", params=sorted(FLAVOURS))
def storm_run(request):
    """One boot per SMMU flavour, until the faulter is done and the flood reported once
    more."""
    q = Qemu(machine_args(machine=FLAVOURS[request.param], smp=4), [*edu("2.0"), *edu("5.0")],
             image="storm")
    try:
        end = q.wait_for(FAULTER_DONE, timeout=60).end()
        q.wait_for(r"\[flood\] GUEST: flood: \d+ DMAs, \d+ fault events\n", since=end)
        q.stats = hypervisor_prompt_stats(q)
    except AssertionError:
        pass
    yield q
    q.kill()


def test_the_other_vm_hears_of_each_of_its_faults(storm_run):
    """Every one of the faulter's faults reached its virtio-iommu's event queue."""
    m = printed(storm_run, FAULTER_DONE)
    assert m.group(1) == m.group(2), getattr(storm_run, "stats", "") + storm_run.output


def test_the_storming_vm_is_paused_and_still_hears_of_its_faults(storm_run):
    """The flood's streams were paused (one sampled line), and it went on hearing of
    faults: its count of fault events rose from one report to the last."""
    printed(storm_run, r"^WARN: vm 'flood': its devices made over \d+ SMMU faults in \d+ ms: "
                       r"their DMA is paused for \d+ ms")
    counts = [int(n) for n in re.findall(r"^\[flood\] GUEST: flood: \d+ DMAs, (\d+) fault "
                                         r"events$", storm_run.output, re.M)]
    assert len(counts) >= 2 and counts[-1] > counts[0] > 0, storm_run.output
    assert "paused" not in "".join(re.findall(r"^WARN: vm 'faulter'.*$", storm_run.output,
                                              re.M)), storm_run.output
    assert_clean(storm_run)
