"""MSIs of a passed-through device through the VM's virtual ITS (issue 16), with QEMU's edu
and a hostile test guest (tests/guest/msi.c, tests/guest/msi.dts): its MSIs reach it as LPIs
and nothing else does; aimed elsewhere, forged, or with ITS commands for what is not its,
they reach nothing, while a watcher VM's canary and interrupt count stay as they were. Then
the guest resets its VM with everything mapped, and does it all again. On both SMMU
flavours (the devices' own stage 2, or a hypervisor-owned stage 1)."""
import re

import pytest

from qemu import Qemu, assert_clean, machine_args, printed
from test_dma import EDU, FLAVOURS, assert_canary_after

DONE = r"\[msi\] GUEST: msi: done after reset$"
BOOTS = 2  # the guest's work, before and after its reset


@pytest.fixture(scope="module", params=sorted(FLAVOURS))
def msi_run(request):
    """One boot per SMMU flavour, until the msi guest is done after its reset and the
    watcher has checked its canary twice more."""
    q = Qemu(machine_args(machine=FLAVOURS[request.param], smp=4),
             ["-device", f"{EDU},addr=2.0", "-device", f"{EDU},addr=3.0"], image="msi")
    try:
        end = q.wait_for(DONE, timeout=60).end()
        beat = int(q.wait_for(r"\[watcher\] GUEST: watcher heartbeat (\d+)", since=end).group(1))
        q.wait_for(rf"\[watcher\] GUEST: watcher heartbeat {beat + 1} .*\n", since=end)
    except AssertionError:
        pass
    q.flavour = request.param
    yield q
    q.kill()


def test_the_vm_has_lpis_and_an_its(msi_run):
    """GICD_TYPER.LPIS, and the ITS's TYPER: physical LPIs, 8-byte ITT entries, 10 EventID
    bits, 16 DeviceID bits, one collection per possible vCPU held by the ITS; the setup
    commands (MAPD, MAPC, MAPTI, INV, SYNC) were all read."""
    printed(msi_run, r"\[msi\] GUEST: msi: GICD_TYPER.LPIS 1, GITS_TYPER 0x801e971, "
                     r"commands read$")
    printed(msi_run, r"\[msi\] GUEST: msi: MSI enable reads 1$")


def test_each_msi_is_one_lpi(msi_run):
    """edu's raises, through the ITS: one LPI each, before and after everything hostile."""
    printed(msi_run, r"\[msi\] GUEST: msi: 3 raises through the ITS, LPI 0x2020: 3 LPI\(s\)$")
    printed(msi_run, r"\[msi\] GUEST: msi: 3 raises through the ITS again, LPI 0x2020: "
                     r"3 LPI\(s\)$")


def test_every_sampled_msi_arrives(msi_run):
    """The latency samples (make bench reads the figure under -icount): each of the 100
    raises brought its LPI, or the average would not be printed as a plain number."""
    ns = int(printed(msi_run, r"\[msi\] GUEST: msi: MSI latency ns (\d+)$").group(1))
    assert 0 < ns < 200_000_000, msi_run.output


def test_msis_aimed_elsewhere_or_forged_reach_nothing(msi_run):
    """Aimed at the hypervisor's memory or the watcher's canary (physical addresses), the
    SMMU refuses the write and the hypervisor logs it; aimed into its own RAM, it is a
    plain DMA write there; with an EventID the guest did not map (or past its ITT), the
    physical ITS drops it. No LPI in any case."""
    for target in ("0x40000000", "0x61100000"):
        printed(msi_run, rf"\[msi\] GUEST: msi: MSI to {target}: 0 LPI\(s\)$")
    printed(msi_run, r"\[msi\] GUEST: msi: MSI to its own RAM 0x81330000: 0 LPI\(s\)$")
    printed(msi_run, r"\[msi\] GUEST: msi: its own RAM then holds 0x77$")
    for event in ("0x0", "0x3", "0x6"):
        printed(msi_run, rf"\[msi\] GUEST: msi: forged EventID {event}: 0 LPI\(s\)$")
    where = "IPA " if msi_run.flavour == "stage2" else "address "
    logged = re.findall(r"^WARN: SMMU.*$", msi_run.output, re.M)
    assert logged == [
        f"WARN: SMMU: F_TRANSLATION from StreamID 0x10 (vm 'msi') at {where}{target}, "
        f"write (event {2 * boot + i + 1})"
        for boot in range(BOOTS) for i, target in enumerate(("40000000", "61100000"))
    ], msi_run.output


def test_hostile_its_commands_are_refused_and_the_queue_goes_on(msi_run):
    """A DeviceID not the VM's, an event of it, an EventID past the ITT, two LPI numbers out
    of range, a GICv4 command, an INT for another device: each refused by name, and the
    queue read on; a command queue over MMIO makes no progress; CWRITER past the queue is
    ignored; a CPU's write to GITS_TRANSLATER raises nothing."""
    printed(msi_run, r"\[msi\] GUEST: msi: 7 hostile commands read, the queue went on$")
    printed(msi_run, r"\[msi\] GUEST: msi: queue over MMIO: CREADR 0x0; CWRITER past the "
                     r"queue: CWRITER 0x0; CPU write to GITS_TRANSLATER: 0 LPI\(s\)$")
    refusals = re.findall(r"^WARN: vm 0: vITS: (.*) refused: (.*) \(\d+ so far\)$",
                          msi_run.output, re.M)
    assert [why for _, why in refusals] == BOOTS * [
        "DeviceID is none of the VM's devices",
        "DeviceID not mapped (MAPD) or none of the VM's",
        "EventID beyond the device's ITT",
        "LPI number outside GICD_TYPER.IDbits",
        "LPI number outside GICD_TYPER.IDbits",
        "not a GICv3 ITS command (GICv4 ones included)",
        "no such event mapped (DeviceID, EventID)",
        "not in the VM's RAM",
        "not in the VM's RAM",
        "beyond the command queue",
        "only devices send MSIs",
    ], msi_run.output


def test_a_reset_leaves_msi_off_and_the_its_empty(msi_run):
    """The guest resets its VM with its event mapped and MSI on. After the restart, MSI is
    off at the device, the ITS and LPIs are off, and with LPIs and MSI turned on again
    before any ITS command, a raise brings nothing: the reset discarded the physical
    event. Then everything works as on the first boot."""
    printed(msi_run, r"\[msi\] GUEST: msi: done, resetting$")
    printed(msi_run, r"^vm 'msi' restarted \(reset 1\)$")
    printed(msi_run, r"\[msi\] GUEST: msi: after reset: MSI enable reads 0, ITS enabled 0, "
                     r"EnableLPIs 0; a raise then brings 0 LPI\(s\)$")
    raises = re.findall(r"^\[msi\] GUEST: msi: 3 raises through the ITS.*: (\d) LPI",
                        msi_run.output, re.M)
    assert raises == ["3"] * 2 * BOOTS, msi_run.output


def test_the_watcher_sees_nothing_and_everything_keeps_running(msi_run):
    """The watcher's canary (where one MSI was aimed, physically) intact and no interrupt
    reached it, on every heartbeat, two of them after the msi guest finished."""
    assert_canary_after(msi_run, DONE)
    assert "vm 'msi' stopped" not in msi_run.output, msi_run.output
    assert_clean(msi_run, "ERROR")
