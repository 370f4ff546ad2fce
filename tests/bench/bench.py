#!/usr/bin/env python3
"""`make bench`: the DMA path's cost under Portcullis against the alternatives a user would
pick, on the same QEMU, the same Linux 6.12 kernel and the same disk image, in one run.
docs/performance.md explains the method; this prints the table and writes it as
build/bench/results.md and build/bench/results.csv.

Every configuration runs with one vCPU and `-icount shift=0`: virtual time follows executed
guest instructions (1 ns each), and QEMU's own device models (its SMMU, its virtio-iommu,
the disks) run as host code that costs no virtual time. So the figures are deterministic
counts of guest (and, under Portcullis, hypervisor) instructions, not wall-clock times.

    bench.py [--smoke]     --smoke: two configurations, short runs, for make test
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "boot"))
from qemu import FOCUS_KEY, QEMU, Qemu, image_path  # noqa: E402

OUT = ROOT / "build" / "bench"
DISK_MIB = 64
RANDOM_READS = 2000
ICOUNT = ["-icount", "shift=0"]
DEVICES = ["-device", "nvme,serial=b0,drive=disk,bus=pcie.0,addr=2.0",
           "-device", "edu,dma_mask=0xffffffffffffffff,bus=pcie.0,addr=3.0"]
APPEND = "console=ttyAMA0"

# name: (how it runs, machine, extra QEMU args, kernel command line or Portcullis image)
CONFIGS = {
    "Q-none": ("direct", "virt,gic-version=3", [], APPEND),
    "Q-smmu": ("direct", "virt,gic-version=3,iommu=smmuv3", [], APPEND),
    "Q-viommu": ("direct", "virt,gic-version=3",
                 ["-device", "virtio-iommu-pci,bus=pcie.0,addr=4.0"], APPEND + " iommu.strict=1"),
    "Q-viommu lazy": ("direct", "virt,gic-version=3",
                      ["-device", "virtio-iommu-pci,bus=pcie.0,addr=4.0"],
                      APPEND + " iommu.strict=0"),
    "P-iso": ("portcullis", "virt,virtualization=on,gic-version=3,iommu=smmuv3", [],
              "bench-iso-linux-6.12"),
    "P-viommu": ("portcullis", "virt,virtualization=on,gic-version=3,iommu=smmuv3", [],
                 "bench-viommu-linux-6.12"),
    "P-viommu lazy": ("portcullis", "virt,virtualization=on,gic-version=3,iommu=smmuv3", [],
                      "bench-viommu-lazy-linux-6.12"),
}
SMOKE = ["Q-none", "P-viommu"]
PEERS = ["Q-none", "Q-smmu", "Q-viommu"]
# metric: (column title, lower is better)
METRICS = {
    "map4k": ("map 4 KiB (µs)", True),
    "unmap4k": ("unmap 4 KiB (µs)", True),
    "map64k": ("map 64 KiB (µs)", True),
    "unmap64k": ("unmap 64 KiB (µs)", True),
    "seq": ("seq 1 MiB reads (MiB/s)", False),
    "rand": ("random 4 KiB reads (KiB/s)", False),
}


class Guest(Qemu):
    """A Linux guest on QEMU, straight (direct) or under Portcullis, console on a pipe."""

    def __init__(self, kind, machine, extra, arg, disk, kernel, initramfs):
        base = [QEMU, "-machine", machine, "-cpu", "max", "-smp", "1", "-m",
                "2G" if kind == "portcullis" else "512M", *ICOUNT, "-display", "none",
                "-nic", "none", "-monitor", "none", "-serial", "stdio", *DEVICES, *extra,
                "-drive", f"if=none,id=disk,file={disk},format=raw,readonly=on"]
        if kind == "portcullis":
            self.cmd = base + ["-kernel", str(image_path(arg))]
            self.prefix = r"\[linux0\] "
        else:
            self.cmd = base + ["-kernel", str(kernel), "-initrd", str(initramfs),
                               "-append", arg]
            self.prefix = ""
        self.kind = kind
        self.output = ""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)

    def run(self, command, expect, timeout=300):
        since = len(self.output)
        self.send(command + "\n")
        return self.wait_for(self.prefix + expect, timeout, since)


def dma_map(g, granule_pages, seconds):
    m = g.run(f"dma_map_benchmark -t 1 -s {seconds} -g {granule_pages} -d 0",
              r"average unmap latency\(us\):([0-9.]+)")
    mp = re.findall(r"average map latency\(us\):([0-9.]+)", g.output)
    return float(mp[-1]), float(m.group(1))


def hypervisor_stats(g):
    """Portcullis's counters for linux0's virtio-iommu, from the prompt's `stats`."""
    since = len(g.output)
    g.send(FOCUS_KEY)
    g.wait_for(r"console: input goes to the hypervisor prompt", 10, since)
    g.send("stats\r")
    m = g.wait_for(r"linux0: virtio-iommu: (\d+) attach, (\d+) detach, (\d+) map, (\d+) unmap, "
                   r"\d+ probe \((\d+) refused\), (\d+) syncs", 10, since)
    c = g.wait_for(r"linux0: virtio-iommu ns each: map validate (\d+) table (\d+), unmap "
                   r"validate (\d+) table\+tlbi (\d+), sync (\d+) per unmap, notification "
                   r"(\d+) \((\d+)\)", 10, since)
    cost = dict(zip(("map_validate", "map_table", "unmap_validate", "unmap_table", "sync",
                     "notification", "notifications"), (int(x) for x in c.groups())))
    return {"maps": int(m.group(3)), "unmaps": int(m.group(4)), "refused": int(m.group(5)),
            "syncs": int(m.group(6)), "cost": cost}


def measure(name, disk, kernel, initramfs, smoke):
    kind, machine, extra, arg = CONFIGS[name]
    g = Guest(kind, machine, extra, arg, disk, kernel, initramfs)
    try:
        g.wait_for(g.prefix + r"PORTCULLIS-GUEST-READY", 600)
        g.wait_for(g.prefix + r"\S* # ", 60)
        g.run("echo dma_map_benchmark > /sys/bus/pci/devices/0000:00:03.0/driver_override; "
              "echo 0000:00:03.0 > /sys/bus/pci/drivers_probe; echo bound $?", r"bound 0")
        r = {}
        r["map4k"], r["unmap4k"] = dma_map(g, 1, 1)
        r["map64k"], r["unmap64k"] = dma_map(g, 16, 1)
        m = g.run(f"diskbench /dev/nvme0n1 {100 if smoke else RANDOM_READS}",
                  r"diskbench seq_mib_s ([0-9.]+) rand_kib_s ([0-9.]+) bytes (\d+)")
        r["seq"], r["rand"] = float(m.group(1)), float(m.group(2))
        if int(m.group(3)) != DISK_MIB << 20:
            raise RuntimeError(f"{name}: diskbench read {m.group(3)} bytes")
        if "viommu" in name and kind == "portcullis":
            r.update(hypervisor_stats(g))
        r["wall_s"] = round(g.elapsed(), 1)
        return r
    except AssertionError as e:
        raise RuntimeError(f"{name}: {e}") from None
    finally:
        g.kill()


def ratio(value, peer, lower_better):
    if not peer or value is None:
        return ""
    return f"{value / peer:.2f}"


def table(results):
    names = list(results)
    head = ["configuration"] + [METRICS[k][0] for k in METRICS]
    rows = [[n] + [f"{results[n][k]:g}" for k in METRICS] for n in names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if "P-viommu" in results and "Q-viommu" in results:
        p, q = results["P-viommu"], results["Q-viommu"]
        lines.append("| P-viommu: Linux's driver (= Q-viommu) | " +
                     " | ".join(f"{q[k]:g}" for k in METRICS) + " |")
        lines.append("| P-viommu: added by Portcullis (P - Q) | " +
                     " | ".join(f"{p[k] - q[k]:+.1f}" for k in METRICS) + " |")
    out = ["Deterministic: one vCPU, -icount shift=0 (guest instructions; QEMU's device "
           "models cost no virtual time). Latencies from Linux's dma_map_benchmark (the "
           "kernel rounds each sample down to 0.1 µs); disk: 64 MiB nvme, O_DIRECT.", "",
           *lines, ""]
    for peer in PEERS:
        if peer not in results:
            continue
        head = [f"ratio to {peer}"] + [METRICS[k][0] for k in METRICS]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for n in names:
            out.append("| " + n + " | " + " | ".join(
                ratio(results[n][k], results[peer][k], METRICS[k][1]) for k in METRICS) + " |")
        out.append("")
    out.append("Ratios are value / peer: below 1 is faster for latencies, slower for "
               "throughput.")
    for n in names:
        if "maps" in results[n]:
            r = results[n]
            out.append(f"{n}: {r['maps']} MAP and {r['unmaps']} UNMAP requests served, "
                       f"{r['syncs']} CMD_SYNCs, {r['refused']} refused.")
    return "\n".join(out) + "\n"


def built(*cmd):
    return Path(subprocess.run(cmd, check=True, text=True,
                               stdout=subprocess.PIPE).stdout.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", action="append", help="run only this configuration")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    disk = OUT / "disk.img"
    if not disk.exists() or disk.stat().st_size != DISK_MIB << 20:
        disk.write_bytes(os.urandom(DISK_MIB << 20))
    kernel = built(str(ROOT / "tests" / "linux" / "build.sh"), "6.12")
    initramfs = built(str(HERE / "tools.sh"))
    results = {}
    for name in (args.only or (SMOKE if args.smoke else CONFIGS)):
        t = time.monotonic()
        results[name] = measure(name, disk, kernel, initramfs, args.smoke)
        print(f"bench: {name}: {results[name]} ({time.monotonic() - t:.0f} s)", flush=True)
    text = table(results)
    (OUT / "results.md").write_text(text)
    with open(OUT / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["configuration", *METRICS, "maps", "unmaps", "syncs"])
        for n, r in results.items():
            w.writerow([n, *(r[k] for k in METRICS), r.get("maps", ""), r.get("unmaps", ""),
                        r.get("syncs", "")])
    print(text)


if __name__ == "__main__":
    main()
