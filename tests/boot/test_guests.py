"""Guests under Portcullis (issue: guests): our bare-metal test guest checks what Linux
would hide, and every config error is refused with its message."""
import re

import pytest

from qemu import machine_args


def test_outside_ram_aborts_and_reset_restarts_only_that_vm(qemu):
    q = qemu(machine_args(smp=4), image="two-vms")
    q.wait_for(r"\[prober\] GUEST: hello, bootargs 'role=prober'")
    q.wait_for(r"\[watcher\] GUEST: watcher heartbeat 1 canary ok")
    m = q.wait_for(r"\[prober\] GUEST: probed (\d+) addresses outside RAM, (\d+) aborted")
    assert int(m.group(1)) >= 60 and m.group(1) == m.group(2), q.output
    # The hypervisor said what happened, naming the VM.
    assert re.search(r"WARN: vm 'prober' vCPU 0: read at IPA 40000000 .*outside the VM's "
                     r"memory and devices: external abort injected", q.output), q.output
    # PSCI on its own vCPUs: CPU_ON works, the secondary ran and turned itself off,
    # a second CPU_ON after CPU_OFF works again, a vCPU it does not have is refused.
    q.wait_for(r"\[prober\] GUEST: CPU_ON 0 secondary 1 affinity-after-off 1 second-on 0 "
               r"bad-target 2")
    q.wait_for(r"vm 'prober': PSCI SYSTEM_RESET from vCPU 0")
    q.wait_for(r"vm 'prober' restarted \(reset 1\)")
    q.wait_for(r"\[prober\] GUEST: prober boot 2")
    q.wait_for(r"vm 'prober' stopped")
    # The watcher never noticed: later heartbeats, canary intact.
    beats = int(q.wait_for(r"\[watcher\] GUEST: watcher heartbeat (\d+) canary ok").group(1))
    q.wait_for(rf"\[watcher\] GUEST: watcher heartbeat {beats + 2} canary ok")
    assert "CORRUPT" not in q.output
    assert "PANIC" not in q.output and "unexpected" not in q.output


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
