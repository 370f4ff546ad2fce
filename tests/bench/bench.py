#!/usr/bin/env python3
"""`make bench`: the DMA path's cost under Portcullis against the alternatives a user would
pick, on the same QEMU, the same Linux kernel and the same disk image, in one run: Linux 6.12
built from source (BENCH_LINUX, as make sets it: Debian's kernels lack dma_map_benchmark).
docs/performance.md explains the method; this prints the table and writes it as
build/bench/results.md and build/bench/results.csv.

Map/unmap latencies run with one vCPU and `-icount shift=0`: virtual time follows executed
guest instructions (1 ns each), and QEMU's own device models (its SMMU, its virtio-iommu,
the disks) run as host code that costs no virtual time. So those figures are deterministic
counts of guest (and, under Portcullis, hypervisor) instructions, not wall-clock times. A
second boot with two vCPUs and no -icount gives the wall-clock figures: the disk, and
dma_map_benchmark with one thread and with two.

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
from qemu import (FOCUS_KEY, QEMU, VIOMMU_COST_PARTS, Qemu, focus_next, image_path,  # noqa: E402
                  machine_args, ready, run_devices, viommu_cost_line, viommu_costs,
                  viommu_counters)

OUT = ROOT / "build" / "bench"
DISK_MIB = 64
RANDOM_READS = 1000
DISK_TIMEOUT = 60  # seconds per diskbench run; a healthy one takes under 2
# Linux guests: dma_map_benchmark keeps the CPU busy, so under -icount its figures are exact
# instruction counts. The disk workload runs in a second boot without -icount and its
# figures are wall-clock medians of WALL_RUNS runs: under -icount the guest's waits for the
# disk either pass in real time (sleep=on) or stretch to its next timer tick (sleep=off).
ICOUNT = ["-icount", "shift=0"]
# Our bare-metal guest idles only for its timer: skipping idle time keeps it exact.
GUEST_ICOUNT = ["-icount", "shift=0,sleep=off"]
WALL_RUNS = 5  # each wall-clock figure: min, median and max of so many runs
THREADS = 2  # dma_map_benchmark threads (and vCPUs) in the wall-clock boot
def EDU_AT(addr):
    return ["-device", f"edu,dma_mask=0xffffffffffffffff,bus=pcie.0,addr={addr}"]


EDU = EDU_AT("3.0")
# The disk at 00:02.0 (the configs' first PCI device): nvme while dma_map_benchmark runs;
# virtio-blk (iommu_platform=on) for the disk workload. A second nvme at 00:05.0, the same
# image, for the disk workload on nvme: with MSI-X in every configuration (Portcullis's
# guests through their virtual ITS, docs/msi.md), nvme no longer meets the INTx storm
# docs/performance.md describes.
NVME2 = ["-device", "nvme,dbcs=off,serial=b1,drive=disk2,bus=pcie.0,addr=5.0"]
DEVICES = ["-device", "nvme,dbcs=off,serial=b0,drive=disk,bus=pcie.0,addr=2.0", *EDU, *NVME2]
DISK_DEVICES = ["-device", "virtio-blk-pci,drive=disk,iommu_platform=on,disable-legacy=on,"
                "bus=pcie.0,addr=2.0", *EDU, *NVME2]
DISK_DEV = "/dev/vda"
NVME_DEV = "/dev/nvme0n1"  # in the disk boot, the nvme at 00:05.0 is the only one
APPEND = "console=ttyAMA0"
# tests/linux/guest.sh's name of the kernel, and the suffix of the bench's images.
LINUX = os.environ.get("BENCH_LINUX", "6.12-src")
LINUX_NAME = LINUX.removesuffix("-src")

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
              f"bench-iso-linux-{LINUX}"),
    "P-viommu": ("portcullis", "virt,virtualization=on,gic-version=3,iommu=smmuv3", [],
                 f"bench-viommu-linux-{LINUX}"),
    "P-viommu lazy": ("portcullis", "virt,virtualization=on,gic-version=3,iommu=smmuv3", [],
                      f"bench-viommu-lazy-linux-{LINUX}"),
}
SMOKE = ["Q-none", "P-viommu"]
PEERS = ["Q-none", "Q-smmu", "Q-viommu"]
# metric: column title
METRICS = {
    "map4k": "map 4 KiB (µs)",
    "unmap4k": "unmap 4 KiB (µs)",
    "map64k": "map 64 KiB (µs)",
    "unmap64k": "unmap 64 KiB (µs)",
    "map1m": "map 1 MiB (µs)",
    "unmap1m": "unmap 1 MiB (µs)",
    "seq": "seq 1 MiB reads (MiB/s)",
    "rand": "random 4 KiB reads (KiB/s)",
    "map4k_wall": "map 4 KiB, wall clock (µs)",
    "unmap4k_wall": "unmap 4 KiB, wall clock (µs)",
    "map4k_mt": f"map 4 KiB, {THREADS} threads, wall clock (µs)",
    "unmap4k_mt": f"unmap 4 KiB, {THREADS} threads, wall clock (µs)",
    "nvme_seq": "nvme seq 1 MiB reads (MiB/s)",
    "nvme_rand": "nvme random 4 KiB reads (KiB/s)",
    "nvme_msi_s": "nvme MSIs per second (random reads)",
}
# The wall-clock figures: each the median of WALL_RUNS runs, printed with their min and max.
WALL_METRICS = ("seq", "rand", "map4k_wall", "unmap4k_wall", "map4k_mt", "unmap4k_mt",
                "nvme_seq", "nvme_rand", "nvme_msi_s")


class Guest(Qemu):
    """A Linux guest on QEMU, straight (direct) or under Portcullis, console on a pipe."""

    def __init__(self, kind, machine, extra, arg, disk, kernel, initramfs, icount=True,
                 devices=DEVICES):
        smp = 1 if icount else THREADS
        base = [QEMU, "-machine", machine, "-cpu", "max", "-smp", str(smp), "-m",
                "2G" if kind == "portcullis" else "512M", *(ICOUNT if icount else []),
                "-display", "none",
                "-nic", "none", "-monitor", "none", "-serial", "stdio", *devices, *extra,
                "-drive", f"if=none,id=disk,file={disk},format=raw,readonly=on",
                "-drive", f"if=none,id=disk2,file={disk},format=raw,readonly=on"]
        if kind == "portcullis":
            image = arg if smp == 1 else arg.replace("-linux", f"-smp{smp}-linux")
            self.cmd = base + ["-kernel", str(image_path(image))]
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


def dma_map(g, granule_pages, seconds, threads=1):
    m = g.run(f"dma_map_benchmark -t {threads} -s {seconds} -g {granule_pages} -d 0",
              r"average unmap latency\(us\):([0-9.]+) standard")
    mp = re.findall(r"average map latency\(us\):([0-9.]+)", g.output)
    return float(mp[-1]), float(m.group(1))


def hypervisor_stats(g):
    """Portcullis's counters for linux0's virtio-iommu, from the prompt's `stats`."""
    text = prompt_stats(g, "linux0")
    s = viommu_counters(text, "linux0")
    return {"maps": s["map"], "unmaps": s["unmap"], "refused": s["refused"],
            "syncs": s["syncs"], "cost": viommu_costs(text, "linux0")}


def bind_edu(g):
    g.run("echo dma_map_benchmark > /sys/bus/pci/devices/0000:00:03.0/driver_override; "
          "echo 0000:00:03.0 > /sys/bus/pci/drivers_probe; echo bound $?", r"bound 0")


def boot(name, disk, kernel, initramfs, icount):
    kind, machine, extra, arg = CONFIGS[name]
    g = Guest(kind, machine, extra, arg, disk, kernel, initramfs, icount,
              DEVICES if icount else DISK_DEVICES)
    g.wait_for(g.prefix + r"PORTCULLIS-GUEST-READY", 600)
    g.wait_for(g.prefix + r"\S* # ", 60)
    return g


def measure_dma_map(name, disk, kernel, initramfs):
    """Deterministic: map/unmap latencies under -icount, and the hypervisor's counters."""
    g = boot(name, disk, kernel, initramfs, True)
    try:
        bind_edu(g)
        r = {}
        r["map4k"], r["unmap4k"] = dma_map(g, 1, 1)
        r["map64k"], r["unmap64k"] = dma_map(g, 16, 1)
        if "viommu" in name and g.kind == "portcullis":
            # The EL2 split is of the 4 KiB and 64 KiB requests, as before the 1 MiB ones.
            r.update(hypervisor_stats(g))
            focus_next(g, "linux0")
        r["map1m"], r["unmap1m"] = dma_map(g, 256, 1)
        return r
    finally:
        g.kill()


def median(values):
    return sorted(values)[len(values) // 2]


def spread(values):
    """(min, median, max) of a wall-clock figure's runs."""
    return min(values), median(values), max(values)


def diskbench(g, name, dev, reads):
    """One diskbench run on dev: (seq MiB/s, random KiB/s), or None if it crawled on a
    disabled interrupt line."""
    try:
        m = g.run(f"diskbench {dev} {reads}", r"diskbench seq_mib_s ([0-9.]+) "
                  r"rand_kib_s ([0-9.]+) bytes (\d+) reads \d+\s", DISK_TIMEOUT)
    except AssertionError:
        if not re.search(r"Disabling IRQ #\d+", g.output):
            raise
        return None
    if int(m.group(3)) != DISK_MIB << 20:
        raise RuntimeError(f"{name}: diskbench read {m.group(3)} bytes")
    return float(m.group(1)), float(m.group(2))


def nvme_msis(g):
    """The nvme's MSIs so far, all vectors and CPUs (/proc/interrupts)."""
    return int(g.run("echo msis $(grep nvme /proc/interrupts | awk '{ s += $2 + $3 } "
                     "END { print s + 0 }')", r"msis (\d+)\s").group(1))


def nvme_run(g, name, reads):
    """diskbench on the nvme: (seq MiB/s, random KiB/s, MSIs per second of the whole
    run, in guest time: the time diskbench's rates imply), or zeros after a storm."""
    before = nvme_msis(g)
    r = diskbench(g, name, NVME_DEV, reads)
    if not r:
        return 0.0, 0.0, 0.0
    seconds = DISK_MIB / r[0] + reads * 4 / r[1]
    return r[0], r[1], (nvme_msis(g) - before) / seconds


def measure_wall_clock(name, disk, kernel, initramfs, runs, reads):
    """Wall clock, THREADS vCPUs: runs diskbench runs (virtio-blk, then nvme) and runs
    dma_map_benchmark runs with one thread and with THREADS threads; each figure the median,
    with its runs' min and max in r["spread"]."""
    g = boot(name, disk, kernel, initramfs, False)
    try:
        bind_edu(g)
        one = [dma_map(g, 1, 1) for _ in range(runs)]
        mt = [dma_map(g, 1, 1, THREADS) for _ in range(runs)]
        got = []
        for _ in range(runs):
            r = diskbench(g, name, DISK_DEV, reads)
            got.append(r or (0.0, 0.0))
            if not r:
                break
        nvme = [nvme_run(g, name, reads) for _ in range(runs)]
        # A storm of interrupts with nothing to handle makes Linux disable the nvme's line
        # and poll: such figures measure that, not the DMA path (docs/performance.md).
        storm = re.search(r"irq (\d+): nobody cared|Disabling IRQ #\d+", g.output)
        runs_of = {"seq": [x[0] for x in got], "rand": [x[1] for x in got],
                   "nvme_seq": [x[0] for x in nvme], "nvme_rand": [x[1] for x in nvme],
                   "nvme_msi_s": [round(x[2]) for x in nvme],
                   "map4k_wall": [x[0] for x in one], "unmap4k_wall": [x[1] for x in one],
                   "map4k_mt": [x[0] for x in mt], "unmap4k_mt": [x[1] for x in mt]}
        r = {k: median(v) for k, v in runs_of.items()}
        r["spread"] = {k: spread(v) for k, v in runs_of.items()}
        r["storm"] = bool(storm)
        return r
    finally:
        g.kill()


def measure(name, disk, kernel, initramfs, smoke):
    t = time.monotonic()
    try:
        r = measure_dma_map(name, disk, kernel, initramfs)
        r.update(measure_wall_clock(name, disk, kernel, initramfs, 1 if smoke else WALL_RUNS,
                                    100 if smoke else RANDOM_READS))
    except AssertionError as e:
        raise RuntimeError(f"{name}: {e}") from None
    r["wall_s"] = round(time.monotonic() - t, 1)
    return r


# ---- the hypervisor's own costs, scale and footprint ----

GUEST_EDUS = 16  # tests/guest/viommu-bench.dts


def prompt_stats(q, vm):
    """Focus the prompt and read `stats` whole (the memory line comes after the vCPUs')."""
    for _ in range(3):  # VM 0, VM 1, ..., the prompt
        since = len(q.output)
        q.send(FOCUS_KEY)
        m = q.wait_for(r"console: input goes to (.*)\n", 10, since)
        if m.group(1).startswith("the hypervisor prompt"):
            break
    since = len(q.output)
    q.send("stats\r")
    q.wait_for(r"memory: hypervisor allocations \d+ KiB.*\n", 10, since)
    if vm:
        q.wait_for(viommu_cost_line(vm), 10, since)
    return q.output[since:]


def measure_guest_costs():
    """Our bare-metal guest (role=viommubench): a trapped MMIO read, the virtual timer's
    latency to the guest's handler from WFI, and MAP+UNMAP round trips with 10, 10^3, 10^5
    live mappings and 1, 4, 16 endpoints attached; then the tables those 10^5 mappings
    hold."""
    edus = []
    for i in range(GUEST_EDUS):
        edus += ["-device", f"edu,dma_mask=0xffffffffffffffff,bus=pcie.0,addr={2 + i:x}.0"]
    q = Qemu(["-machine", CONFIGS["P-viommu"][1], "-cpu", "max", "-smp", "1", "-m", "2G",
              *GUEST_ICOUNT], edus, image="viommu-bench")
    try:
        q.wait_for(r"GUEST: viommu-bench: done", 600)
        stats = prompt_stats(q, "bench")
    except AssertionError as e:
        raise RuntimeError(f"viommu-bench: {e}") from None
    finally:
        q.kill()
    r = {"trap_ns": int(re.search(r"mmio read ns (\d+)", q.output).group(1)),
         "vtimer_ns": int(re.search(r"vtimer latency ns (\d+)", q.output).group(1)),
         "scale": {(int(a), int(b)): int(c) for a, b, c in re.findall(
             r"live (\d+) endpoints (\d+) map\+unmap ns (\d+)", q.output)}}
    m = re.search(r"(\d+) mappings, (\d+) table pages", stats)
    r["mappings"], r["table_pages"] = int(m.group(1)), int(m.group(2))
    return r


class BareGuest(Qemu):
    """Our bare-metal guest straight on QEMU (Q-none's machine), console on a pipe."""

    def __init__(self, args):
        self.cmd = [QEMU, "-machine", CONFIGS["Q-none"][1], "-cpu", "max", "-smp", "1", "-m",
                    "1G", *GUEST_ICOUNT, "-display", "none", "-nic", "none", "-monitor",
                    "none", "-serial", "stdio", *EDU_AT("2.0"), "-kernel",
                    str(ROOT / "build" / "guest" / "test-guest-qemu.bin"), "-append", args]
        self.output = ""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)


def msi_latency(q):
    try:
        return int(q.wait_for(r"GUEST: msi: MSI latency ns (\d+)\s", 600).group(1))
    except AssertionError as e:
        raise RuntimeError(f"msi latency: {e}") from None
    finally:
        q.kill()


def measure_msi_latency():
    """Deterministic, our bare-metal guest (role=msibench, tests/guest/msi.c): edu's MSI to
    the guest's LPI handler, averaged over 100 raises, under Portcullis (isolation mode,
    the VM's virtual ITS) and straight on QEMU (Q-none: its ITS)."""
    p = msi_latency(Qemu(["-machine", CONFIGS["P-iso"][1], "-cpu", "max", "-smp", "1", "-m",
                          "2G", *GUEST_ICOUNT], EDU_AT("2.0"), image="msi-bench"))
    return {"msi_ns": p, "msi_ns_q": msi_latency(BareGuest("role=msibench"))}


def measure_footprint(tmp):
    """Image sections, and the default config's two Linux VMs: the hypervisor's allocations
    and the exits of idle vCPUs over 5 s of wall-clock time (no -icount here)."""
    elf = ROOT / "build" / "qemu-virt" / "portcullis.elf"
    out = subprocess.run(["aarch64-linux-gnu-size", "-A", str(elf)], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    sec = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\.\S+)\s+(\d+)", out, re.M)}
    r = {"text": sec.get(".text", 0), "rodata": sec.get(".rodata", 0),
         "data": sec.get(".data", 0), "bss": sec.get(".bss", 0)}
    q = Qemu(machine_args(smp=4, mem="2G"), run_devices(tmp), image="default-linux-7.3")
    try:
        q.wait_for(ready("linux0"), 120)
        q.wait_for(ready("linux1"), 120)
        time.sleep(2)
        first = prompt_stats(q, None)
        time.sleep(5)
        since = len(q.output)
        q.send("stats\r")
        q.wait_for(r"memory: hypervisor allocations \d+ KiB.*\n", 10, since)
        second = q.output[since:]
    finally:
        q.kill()

    def exits(text):
        return [int(x) for x in re.findall(r"^linux\d\s+\d+\s+\d+\s+(\d+)", text, re.M)]
    e1, e2 = exits(first), exits(second)
    r["idle_exits_per_s"] = round(sum(b - a for a, b in zip(e1, e2)) / len(e1) / 5)
    r["alloc_kib"] = int(re.search(r"hypervisor allocations (\d+) KiB", second).group(1))
    return r


def costs_table(c, f, p):
    """The second table: Portcullis's own figures."""
    lines = ["| hypervisor figure | value | how |", "|---|---|---|"]
    if c:
        lines += [
            f"| trapped MMIO read, guest to guest | {c['trap_ns']} ns | deterministic |",
            f"| virtual timer deadline to guest handler (guest in WFI) | {c['vtimer_ns']} ns "
            "| deterministic |",
        ]
        if "msi_ns" in c:
            lines.append(f"| device MSI (edu) to guest LPI handler, guest spinning: Portcullis "
                         f"/ Q-none (ratio) | {c['msi_ns']} / {c['msi_ns_q']} ns "
                         f"({c['msi_ns'] / c['msi_ns_q']:.1f}x) | deterministic, bare-metal "
                         "guest |")
        for (live, eps), ns in sorted(c["scale"].items()):
            lines.append(f"| MAP+UNMAP round trip, {live} live mappings, {eps} endpoint(s) | "
                         f"{ns} ns | deterministic, bare-metal guest |")
        lines.append(f"| page-table bytes per mapped 4 KiB ({c['mappings']} mappings) | "
                     f"{c['table_pages'] * 4096 / c['mappings']:.1f} B | count |")
    if p and "cost" in p:
        k = p["cost"]
        how = f"deterministic, PMU at EL2, Linux {LINUX_NAME} (P-viommu)"
        lines += [
            f"| per MAP: validation / table update / SMMU invalidation | {k['map_validate']} / "
            f"{k['map_table']} / {k['map_tlbi']} {k['unit']} | {how} |",
            f"| per UNMAP: validation / table update / SMMU invalidation / CMD_SYNC | "
            f"{k['unmap_validate']} / {k['unmap_table']} / {k['unmap_tlbi']} / {k['sync']} "
            f"{k['unit']} | {how} |",
            f"| per notification ({k['notifications']}): trap (exit, dispatch, return) / "
            f"device handler | {k['trap']} / {k['handler']} {k['unit']} | {how} |",
        ]
    if f:
        lines += [
            f"| image: text / rodata / data / bss | {f['text']} / {f['rodata']} / {f['data']} / "
            f"{f['bss']} B | count |",
            f"| hypervisor allocations, two Linux VMs (default config) | {f['alloc_kib']} KiB "
            "| count |",
            f"| exits per second per idle Linux vCPU | {f['idle_exits_per_s']} | wall-clock, 5 s |",
        ]
    return "\n".join(lines) + "\n"


def ratio(value, peer):
    if not peer or value is None:
        return ""
    return f"{value / peer:.2f}"


STORM_METRICS = ("seq", "rand", "nvme_seq", "nvme_rand", "nvme_msi_s")


def cell(r, k):
    """A figure as the table shows it: a wall-clock one with its runs' min and max."""
    text = f"{r[k]:g}"
    lo, _, hi = r.get("spread", {}).get(k, (r[k], r[k], r[k]))
    if lo != hi:
        text += f" ({lo:g}-{hi:g})"
    if k in STORM_METRICS and r.get("storm"):
        text += " (INTx storm)"
    return text


def table(results):
    names = list(results)
    head = ["configuration"] + [METRICS[k] for k in METRICS]
    rows = [[n] + [cell(results[n], k) for k in METRICS] for n in names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if "P-viommu" in results and "Q-viommu" in results:
        p, q = results["P-viommu"], results["Q-viommu"]
        lines.append("| P-viommu: Linux's driver (= Q-viommu) | " +
                     " | ".join(f"{q[k]:g}" for k in METRICS) + " |")
        lines.append("| P-viommu: added by Portcullis (P - Q) | " +
                     " | ".join(f"{p[k] - q[k]:+.1f}" for k in METRICS) + " |")
    out = ["Map/unmap latencies (Linux's dma_map_benchmark, one thread; the kernel rounds "
           "each sample down to 0.1 µs) are deterministic: one vCPU, -icount shift=0, guest "
           "(and hypervisor) instructions, 1 ns each; QEMU's device models cost no virtual "
           f"time. The disk (64 MiB virtio-blk, O_DIRECT) and the wall-clock map/unmap "
           f"figures come from a second boot with {THREADS} vCPUs and no -icount: medians of "
           f"{WALL_RUNS} runs, (min-max) beside each, on a shared machine, where QEMU's device "
           "models (its SMMU included) do cost time.", "", *lines, ""]
    for peer in PEERS:
        if peer not in results:
            continue
        head = [f"ratio to {peer}"] + [METRICS[k] for k in METRICS]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for n in names:
            out.append("| " + n + " | " + " | ".join(
                ratio(results[n][k], results[peer][k]) for k in METRICS) + " |")
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
    """What a build script printed: the paths of what it built."""
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", action="append", help="run only this configuration")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    disk = OUT / "disk.img"
    if not disk.exists() or disk.stat().st_size != DISK_MIB << 20:
        disk.write_bytes(os.urandom(DISK_MIB << 20))
    tools = built(str(HERE / "tools.sh")).split()
    kernel, initramfs = map(Path, built(str(ROOT / "tests" / "linux" / "guest.sh"), LINUX,
                                        *tools).split())
    results = {}
    for name in (args.only or (SMOKE if args.smoke else CONFIGS)):
        t = time.monotonic()
        results[name] = measure(name, disk, kernel, initramfs, args.smoke)
        print(f"bench: {name}: {results[name]} ({time.monotonic() - t:.0f} s)", flush=True)
    text = table(results)
    if not args.smoke and not args.only:
        costs = measure_guest_costs()
        costs.update(measure_msi_latency())
        print(f"bench: guest costs: {costs}", flush=True)
        foot = measure_footprint(OUT)
        print(f"bench: footprint: {foot}", flush=True)
        text += "\n" + costs_table(costs, foot, results.get("P-viommu"))
    (OUT / "results.md").write_text(text)
    with open(OUT / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["configuration", *METRICS, "intx_storm", "maps", "unmaps", "syncs",
                    *(f"el2_{k}" for k in VIOMMU_COST_PARTS),
                    *(f"{k}_{end}" for k in WALL_METRICS for end in ("min", "max"))])
        for n, r in results.items():
            cost = r.get("cost", {})
            spreads = r.get("spread", {})
            w.writerow([n, *(r[k] for k in METRICS), int(r.get("storm", False)),
                        r.get("maps", ""), r.get("unmaps", ""), r.get("syncs", ""),
                        *(cost.get(k, "") for k in VIOMMU_COST_PARTS),
                        *(spreads.get(k, ("", "", ""))[i] for k in WALL_METRICS
                          for i in (0, 2))])
    print(text)


if __name__ == "__main__":
    main()
