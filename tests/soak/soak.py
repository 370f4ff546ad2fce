#!/usr/bin/env python3
"""`make soak` (issue 15): tests/soak/soak.dts for SOAK_TIME seconds (default 600). The Linux
VM writes a fresh random pattern into each of its two disks, drops its page cache and reads
it back, again and again, all of it through its virtio-iommu; beside it one test guest
floods SMMU faults and another resets its VM every two seconds. At the end, one summary
line: the time run, the Linux VM's rounds and checksum mismatches (must be 0), the virtio-
iommu requests it was served, the resets, the faults, and the hypervisor's ERROR lines
(must be 0). Exits 1 if either must-be-0 figure is not.

    SOAK_TIME=1800 make soak
"""
import os
import re
import sys
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


def one_round(q, n, dev):
    """Write a fresh pattern at a place of its own, drop the caches, read it back: True if
    the device gave back what was written."""
    seek = (n * 4099) % (DISK_MIB * 256 - BLOCKS)
    m = run(q, "linux",
            f"dd if=/dev/urandom of=/p bs=4096 count={BLOCKS} 2>/dev/null; "
            f"dd if=/p of={dev} bs=4096 seek={seek} conv=fsync 2>/dev/null; "
            "echo 3 > /proc/sys/vm/drop_caches; "
            f"a=$(sha256sum < /p); b=$(dd if={dev} bs=4096 skip={seek} count={BLOCKS} "
            "2>/dev/null | sha256sum); [ \"$a\" = \"$b\" ] && echo SOAK-SAME || echo SOAK-DIFF",
            r"SOAK-(SAME|DIFF)\s", ROUND_TIMEOUT)
    return m.group(1) == "SAME"


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
    rounds = mismatches = 0
    start = time.monotonic()
    try:
        q.wait_for(ready("linux"), 300)
        focus_next(q, "linux")
        while time.monotonic() - start < SOAK_TIME:
            for dev in DISKS:
                mismatches += not one_round(q, rounds, dev)
            rounds += 1
        stats = prompt_stats(q)
    finally:
        q.kill()
    hours = (time.monotonic() - start) / 3600
    linux, flood = viommu_counters(stats, "linux"), viommu_counters(stats, "flood")
    resets = len(re.findall(r"^vm 'resetter' restarted", q.output, re.M))
    errors = re.findall(r"^ERROR: .*$", q.output, re.M)
    print(f"soak: {hours:.2f} h, {rounds} rounds of both disks, {mismatches} checksum "
          f"mismatches, {linux['map'] + linux['unmap']} virtio-iommu requests served, "
          f"{resets} resets, {flood['faults']} faults sent to the flooding guest "
          f"({flood['dropped']} dropped), {len(errors)} hypervisor errors")
    for e in errors[:10]:
        print(e)
    sys.exit(1 if mismatches or errors else 0)


if __name__ == "__main__":
    main()
