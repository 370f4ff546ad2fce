"""Guests under Portcullis (issue: guests): our bare-metal test guest (tests/guest) checks
from inside a VM what Linux would hide, and every config error is refused with its message.

Each config boots once per module: the fixture waits until the guests are done and the
tests then read what they printed, so a test that fails names the check that failed."""
import re
import time

import pytest

from qemu import Qemu, assert_clean, machine_args, printed

RUN_TIMEOUT = 30


def boot(image, done):
    """Start QEMU with the test image and wait until pattern done appears (a whole line:
    the VM with the input focus has its unfinished lines printed at once). If it does not,
    the tests still run and each reports what it misses."""
    q = Qemu(machine_args(smp=4), image=image)
    try:
        q.wait_for(done, timeout=RUN_TIMEOUT)
    except AssertionError:
        pass
    return q


# Printed when the vGIC could not place an interrupt: also trouble here.
VGIC_TROUBLE = "vGIC:"


# ---- two-vms.dts: a 2-vCPU prober on CPUs 0-1, a watcher on CPU 2 ----

@pytest.fixture(scope="module")
def two_vms():
    q = boot("two-vms", r"vm 'prober' stopped")
    yield q
    q.kill()


def test_outside_ram_aborts(two_vms):
    m = printed(two_vms, r"\[prober\] GUEST: probed (\d+) addresses outside RAM, (\d+) aborted")
    assert int(m.group(1)) == 63 and m.group(2) == m.group(1), two_vms.output
    # The hypervisor said what happened, naming the VM.
    printed(two_vms, r"WARN: vm 'prober' vCPU 0: read at IPA 40000000 .*outside the VM's "
                     r"memory and devices: external abort injected")


def test_guest_faults_are_logged_sampled(two_vms):
    """The prober's 126 aborted accesses (a read and a write at each of 63 addresses) are
    logged as the first 32, numbered, not one line each: a guest that loops on faults
    cannot flood the console every VM shares (issue 15, item 6)."""
    lines = re.findall(r"^WARN: vm 'prober' vCPU \d: .* external abort injected \((\d+) so "
                       r"far\)$", two_vms.output, re.M)
    assert [int(n) for n in lines] == list(range(1, 33)), two_vms.output


def test_psci_cpu_on_off_on_its_own_vcpus(two_vms):
    # CPU_ON works, the secondary ran and turned itself off, a second CPU_ON after CPU_OFF
    # works again, a vCPU it does not have is refused (INVALID_PARAMETERS).
    printed(two_vms, r"\[prober\] GUEST: CPU_ON 0 secondary 1 affinity-after-off 1 "
                     r"second-on 0 bad-target 2$")


@pytest.mark.parametrize("vcpu", [0, 1])
def test_virtual_timer_ppi_27_ticks(two_vms, vcpu):
    """Three 5 ms virtual timer interrupts on each vCPU (PPI 27, forwarded with the HW bit:
    the next one comes only if the guest's EOI deactivated the physical PPI), none taken
    before its deadline (ISTATUS set in the handler), no fourth once the timer is off, and
    no other interrupt."""
    m = printed(two_vms, rf"\[prober\] GUEST: vCPU {vcpu} vtimer 3 ticks of 5 ms in (\d+) ms, "
                         r"early 0, stray 0$")
    assert 15 <= int(m.group(1)) < 1000, two_vms.output


def test_sgis_between_vcpus(two_vms):
    """vCPU 0 started vCPU 1 (CPU_ON), which enabled SGIs 3, 5 and 7 in its redistributor.
    SGI 3 by target list went 0 -> 1, then 1 -> 0; SGI 5 with IRM = 1 from each vCPU
    reached the other only (reaching the sender too would count 2); SGI 7 to vCPU 2 and to
    affinity 0.0.1.x, which nobody has, reached nobody."""
    printed(two_vms, r"\[prober\] GUEST: SGI partner CPU_ON 0 ready 1 done 1 off 1$")
    for vcpu in (0, 1):
        printed(two_vms, rf"\[prober\] GUEST: vCPU {vcpu} got SGI 3: 1, SGI 5: 1, SGI 7: 0, "
                         r"stray 0$")


def test_reset_restarts_only_that_vm_and_resets_its_vgic(two_vms):
    # Before: distributor enabled (ARE | DS | EnableGrp1), SGIs 3/5/7 and PPI 27 enabled and
    # both redistributors awake. After SYSTEM_RESET: all back to their reset values.
    printed(two_vms, r"\[prober\] GUEST: vGIC before reset: GICD_CTLR 0x52, "
                     r"vCPU 0 ISENABLER0 0x80000a8 WAKER 0x0, vCPU 1 ISENABLER0 0x80000a8 "
                     r"WAKER 0x0$")
    printed(two_vms, r"vm 'prober': PSCI SYSTEM_RESET from vCPU 0")
    printed(two_vms, r"vm 'prober' restarted \(reset 1\)")
    printed(two_vms, r"\[prober\] GUEST: prober boot 2")
    printed(two_vms, r"\[prober\] GUEST: vGIC after reset: GICD_CTLR 0x50, "
                     r"vCPU 0 ISENABLER0 0x0 WAKER 0x6, vCPU 1 ISENABLER0 0x0 WAKER 0x6$")
    printed(two_vms, r"vm 'prober' stopped")
    # The watcher never noticed: later heartbeats, canary intact, no interrupt reached it
    # (its SGIs are enabled: the prober's IRM SGIs stay in the prober's VM).
    beats = int(two_vms.wait_for(r"\[watcher\] GUEST: watcher heartbeat (\d+) canary ok",
                                 since=len(two_vms.output)).group(1))
    m = two_vms.wait_for(rf"\[watcher\] GUEST: watcher heartbeat {beats + 2} canary ok, "
                         r"interrupts (\d+)$")
    assert m.group(1) == "0", two_vms.output
    assert_clean(two_vms, VGIC_TROUBLE)


# ---- passthrough.dts: the PL031 RTC and its SPI given to 'rtc' (CPU 1), not to the
# watcher (CPU 2) ----

@pytest.fixture(scope="module")
def passthrough():
    q = boot("passthrough", r"\[rtc\] GUEST: RTC routed to vCPU 0: .*\n")
    yield q
    q.kill()


def test_passed_through_rtc_is_at_its_ipa_only(passthrough):
    """The PL031's identification registers answer at the config's mmio-ipa; its physical
    address is in the emulated window, where this VM has no device: an abort."""
    printed(passthrough, r"\[rtc\] GUEST: RTC at IPA 0xc000000: PeriphID 0x141031 "
                         r"PCellID 0xb105f00d; at its physical address 0x9010000: aborted$")
    printed(passthrough, r"WARN: vm 'rtc' vCPU 0: read at IPA 9010000 .*outside the VM's "
                         r"memory and devices: external abort injected")


def test_forwarded_spi_34_follows_the_guests_distributor(passthrough):
    """The RTC counts seconds of the host's clock. A match one second on raises its
    interrupt: enabled but routed (IROUTER) to a vCPU the VM lacks, it does not arrive;
    routed to vCPU 0 it does, as INTID 34. The handler leaves the level-sensitive line high
    the first time, so it arrives again only because the guest's EOI deactivated the
    physical SPI (HW bit); it clears it the second time, and no third one comes."""
    m = printed(passthrough, r"\[rtc\] GUEST: RTC reads (\d+), match (\d+) raised after (\d+) "
                             r"ms; SPI 34 enabled 1, routed to no vCPU: 0 interrupts$")
    t0, match, waited = int(m.group(1)), int(m.group(2)), int(m.group(3))
    assert abs(t0 - time.time()) < 3600 and match == t0 + 1, passthrough.output
    assert waited <= 2000, passthrough.output
    m = printed(passthrough, r"\[rtc\] GUEST: RTC routed to vCPU 0: 2 interrupts of INTID 34, "
                             r"stray 0, RTCDR at the first (\d+), RTCRIS after clearing 0$")
    # QEMU's PL031 raises the match 1 s after RTCMR was written, not on a second boundary,
    # and the handler runs some 20 ms later: the count has advanced by one or two.
    assert t0 + 1 <= int(m.group(1)) <= t0 + 2, passthrough.output
    assert_clean(passthrough, VGIC_TROUBLE)


def test_vm_without_the_device_cannot_reach_it(passthrough):
    """The watcher: the RTC page aborts at its physical address (emulated window, no device
    there) and at the IPA where the rtc VM sees it; its distributor neither enables nor
    pends SPI 34; and none of the RTC's interrupts reaches it."""
    printed(passthrough, r"\[watcher\] GUEST: watcher: RTC page at 0x9010000 aborted, at "
                         r"0xc000000 aborted; SPI 34 enabled 0 pending 0$")
    for ipa in ("9010000", "c000000"):
        printed(passthrough, rf"WARN: vm 'watcher' vCPU 0: read at IPA {ipa} .*outside the "
                             r"VM's memory and devices: external abort injected")
    end = printed(passthrough, r"\[rtc\] GUEST: RTC routed to vCPU 0").end()
    m = passthrough.wait_for(r"\[watcher\] GUEST: watcher heartbeat \d+ canary ok, "
                             r"interrupts (\d+)$", since=end)
    assert m.group(1) == "0", passthrough.output
    assert_clean(passthrough, VGIC_TROUBLE)


# ---- configs that must be refused ----

@pytest.mark.parametrize("image, message", [
    ("bad-ram-overlap", r"vm 'overlap': memory: 0x82000000\+0x4000000 overlaps 0x80000000\+0x4000000"),
    ("bad-cpu-twice", r"vm 'second': cpus: CPU 1 is already given to vm 'first'"),
    ("bad-mmio-twice", r"vm 'second': mmio: 0x9010000\+0x1000 overlaps 0x9010000\+0x1000 of vm 'first'"),
    ("bad-irq-shared", r"vm 'second': intids: INTID 34 is already given to vm 'first'"),
    ("bad-over-hypervisor", r"vm 'greedy': memory-phys: 0x40000000\+0x4000000 overlaps the hypervisor's"),
])
def test_config_error_is_refused_with_its_message(qemu, image, message):
    q = qemu(machine_args(smp=4), image=image)
    q.wait_for(rf"ERROR: config: {message}")
    q.wait_for(r"config: invalid, no guest started; the hypervisor keeps running")
    assert "GUEST:" not in q.settle(0.5)


def test_pinned_ram_is_claimed_before_any_vm_allocates(qemu):
    q = qemu(machine_args(smp=4), image="pinned")
    q.wait_for(r"\[early\] GUEST: watcher heartbeat 2 canary ok")
    q.wait_for(r"\[late\] GUEST: watcher heartbeat 2 canary ok")
    assert "not started" not in q.output and "ERROR" not in q.output, q.output
