#!/usr/bin/env python3
"""`make soak` (issue 15): tests/soak/soak.dts for SOAK_TIME seconds (default 600). The Linux
VM writes a fresh random pattern into each of its two disks, drops its page cache and reads
it back, again and again, all of it through its virtio-iommu; beside it one test guest
floods SMMU faults and another resets its VM every two seconds. At the end, one summary
line: the time run, the Linux VM's rounds and checksum mismatches (must be 0), the virtio-
iommu requests it was served, the resets, the faults, and the hypervisor's ERROR lines
(must be 0). All along, beside it, the livelock issue's two configurations ("viommu": two
Linux VMs with virtio-iommus; "flood": a Linux VM beside a faulting guest) boot one after
the other, again and again, each checked as tests/linux/test_livelock.py checks it (every
disk read with the right sum, no lockup, stall or storm); the summary counts those boots
and the ones that failed (must be 0). Exits 1 if any must-be-0 figure is not.

    SOAK_TIME=1800 make soak
"""
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "boot"))
from qemu import (FOCUS_KEY, Qemu, focus_next, machine_args, ready, run,  # noqa: E402
                  viommu_counters, viommu_counters_line)

SOAK_TIME = int(os.environ.get("SOAK_TIME", "600"))
OUT = ROOT / "build" / "soak"
DISK_MIB = 64
BLOCKS = 256           # 1 MiB pattern per round and disk, at a different place each round
ROUND_TIMEOUT = 120
DISKS = ("/dev/nvme0n1", "/dev/vda")
LIVELOCK_CASES = "viommu flood"
# Two QEMUs on the same cores: an exit may look long for the host's scheduling alone.
LIVELOCK_LONGEST_EXIT_US = "2000000"


def devices(disk_dir):
    args = ["-device", "edu,dma_mask=0xffffffffffffffff,bus=pcie.0,addr=2.0",
            "-device", "nvme,dbcs=off,serial=s0,drive=d0,bus=pcie.0,addr=3.0",
            "-device", "virtio-blk-pci,drive=d1,iommu_platform=on,disable-legacy=on,"
                       "bus=pcie.0,addr=4.0"]
    for i in range(2):
        path = disk_dir / f"disk{i}.img"
        path.write_bytes(os.urandom(DISK_MIB << 20))
        args += ["-drive", f"if=none,id=d{i},file={path},format=raw"]
    return args


# One round on disk $1 at 4 KiB block $2, defined once in the guest so that each round types
# a short line: a fresh pattern written there, the caches dropped, read back and compared;
# on a difference, read once more, to tell a write that went wrong (the disk holds other
# data) from a read that did (it holds the pattern).
ROUND_FN = (
    "soak_round() { dd if=/dev/urandom of=/p bs=4096 count=%d 2>/dev/null; "
    "dd if=/p of=$1 bs=4096 seek=$2 conv=fsync 2>/dev/null; "
    "echo 3 > /proc/sys/vm/drop_caches; a=$(sha256sum < /p); "
    "b=$(dd if=$1 bs=4096 skip=$2 count=%d 2>/dev/null | sha256sum); "
    "[ \"$a\" = \"$b\" ] && { echo SOAK-SAME; return; }; "
    "echo 3 > /proc/sys/vm/drop_caches; "
    "c=$(dd if=$1 bs=4096 skip=$2 count=%d 2>/dev/null | sha256sum); "
    "[ \"$a\" = \"$c\" ] && echo SOAK-DIFF $1 $2: the read was wrong || "
    "echo SOAK-DIFF $1 $2: the write was wrong; }" % (BLOCKS, BLOCKS, BLOCKS))


def one_round(q, n, dev):
    """soak_round on dev at a place of its own: None if the device gave back what was
    written, else what went wrong."""
    seek = (n * 4099) % (DISK_MIB * 256 - BLOCKS)
    m = run(q, "linux", f"soak_round {dev} {seek}", r"SOAK-(SAME|DIFF .*)\n", ROUND_TIMEOUT)
    return None if m.group(1) == "SAME" else m.group(1)


class LivelockBoots(threading.Thread):
    """The livelock configurations booted one after the other until stop() (each boot
    completes): how many passed, and what the ones that failed printed."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.passed = 0
        self.failed = []

    def run(self):
        env = dict(os.environ, LIVELOCK_CASES=LIVELOCK_CASES, LIVELOCK_BOOTS="1",
                   LIVELOCK_LONGEST_EXIT_US=LIVELOCK_LONGEST_EXIT_US)
        while not self.stopping.is_set():
            for case in LIVELOCK_CASES.split():
                r = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                     f"tests/linux/test_livelock.py::test_linux_reads_its_disks_without_lockup"
                     f"[{case}-0]"], cwd=ROOT, env=env, capture_output=True, text=True)
                if r.returncode == 0:
                    self.passed += 1
                else:
                    self.failed.append(f"livelock {case}: " + r.stdout[-1500:])

    def stop(self):
        self.stopping.set()
        self.join()


def prompt_stats(q):
    """The hypervisor prompt's stats (the focus ends there)."""
    for _ in range(4):
        since = len(q.output)
        q.send(FOCUS_KEY)
        if q.wait_for(r"console: input goes to (.*)\n", 10, since).group(1).startswith(
                "the hypervisor prompt"):
            break
    since = len(q.output)
    q.send("stats\r")
    q.wait_for(viommu_counters_line("linux"), 10, since)
    q.wait_for(r"portcullis> ", 10, since)
    return q.output[since:]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    q = Qemu(machine_args(smp=4, mem="2G"), devices(OUT), image="soak-linux-7.3")
    rounds = 0
    mismatches = []
    start = time.monotonic()
    boots = LivelockBoots()
    boots.start()
    try:
        q.wait_for(ready("linux"), 300)
        focus_next(q, "linux")
        run(q, "linux", ROUND_FN + "; echo SOAK-DEFINED", "SOAK-DEFINED")
        while time.monotonic() - start < SOAK_TIME:
            for dev in DISKS:
                wrong = one_round(q, rounds, dev)
                if wrong:
                    mismatches.append(f"round {rounds}: {wrong}")
            rounds += 1
        stats = prompt_stats(q)
    finally:
        q.kill()
        boots.stop()
    hours = (time.monotonic() - start) / 3600
    linux, flood = viommu_counters(stats, "linux"), viommu_counters(stats, "flood")
    resets = len(re.findall(r"^vm 'resetter' restarted", q.output, re.M))
    errors = re.findall(r"^ERROR: .*$", q.output, re.M)
    print(f"soak: {hours:.2f} h, {rounds} rounds of both disks, {len(mismatches)} checksum "
          f"mismatches, {linux['map'] + linux['unmap']} virtio-iommu requests served, "
          f"{resets} resets, {flood['faults']} faults sent to the flooding guest "
          f"({flood['dropped']} dropped), {len(errors)} hypervisor errors, "
          f"{boots.passed + len(boots.failed)} livelock boots ({len(boots.failed)} failed)")
    for line in [*mismatches, *errors, *boots.failed][:20]:
        print(line)
    sys.exit(1 if mismatches or errors or boots.failed else 0)


if __name__ == "__main__":
    main()
