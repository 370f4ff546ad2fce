"""Start QEMU with Portcullis and read its console: the harness every boot test uses.

QEMU always gets `-nic none` (no network), its serial console on a pipe, and is always
killed when the test ends (the `qemu` fixture in conftest.py). Below the harness, what the
tests of tests/boot and tests/linux share to read that console and type on it.
"""
import os
import re
import select
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOARD = os.environ.get("BOARD", "qemu-virt")
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
# The Linux guests every Linux test runs on (tests/linux/guest.sh; make linux-images builds an
# image <config>-linux-<version> of each): Debian's own 7.3 and 6.12, and 6.1 from source.
LINUX_VERSIONS = ["7.3", "6.12", "6.1"]


def linux_guest(version):
    """(Image, initramfs) of a Linux guest, from tests/linux/guest.sh (cached: a first call
    fetches or builds it, with no timeout)."""
    out = subprocess.run([str(ROOT / "tests" / "linux" / "guest.sh"), version], check=True,
                         text=True, stdout=subprocess.PIPE).stdout.split()
    return Path(out[0]), Path(out[1])


def kernel_image_size(image):
    """The image_size field of an arm64 Image header: the memory the kernel occupies
    (Documentation/arch/arm64/booting.rst)."""
    with open(image, "rb") as f:
        return int.from_bytes(f.read(24)[16:24], "little")


def board_settings(board=BOARD):
    """The `NAME := value` lines of board/<board>/board.mk (backslash continuations joined)."""
    settings = {}
    text = (ROOT / "board" / board / "board.mk").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        m = re.match(r"^(\w+)\s*:=\s*(.*)$", line)
        if m:
            settings[m.group(1)] = " ".join(m.group(2).split())
    return settings


def run_devices(disk_dir, board=BOARD):
    """The PCI devices `make run` gives the default config (board.mk QEMU_RUN_DEVICES), on
    fresh 64 MiB disk images in disk_dir."""
    s = board_settings(board)
    args = s.get("QEMU_RUN_DEVICES", "").split()
    for name in s.get("RUN_DISKS", "").split():
        path = Path(disk_dir) / f"{name}.img"
        with open(path, "wb") as f:
            f.truncate(64 << 20)
        args += ["-drive", f"if=none,id={name},file={path},format=raw"]
    return args


def image_path(name=None, board=BOARD):
    """The plain hypervisor, or the image `make image IMAGE_NAME=name` built."""
    if name:
        return ROOT / "build" / board / "images" / name / "portcullis.bin"
    return ROOT / "build" / board / "portcullis.bin"


def machine_args(machine=None, cpu=None, smp=None, mem=None, board=BOARD):
    s = board_settings(board)
    return ["-machine", machine or s["QEMU_MACHINE"], "-cpu", cpu or s["QEMU_CPU"],
            "-smp", str(smp or s["QEMU_SMP"]), "-m", mem or s["QEMU_MEM"]]


def dump_dtb(path, **kw):
    """Have QEMU write the device tree it would pass for these machine settings."""
    args = machine_args(**kw)
    i = args.index("-machine") + 1
    args[i] += f",dumpdtb={path}"
    subprocess.run([QEMU, *args, "-nographic", "-nic", "none"], check=True,
                   capture_output=True, timeout=60)
    return path


class Qemu:
    """One QEMU run; read what the console printed with wait_for()."""

    def __init__(self, args, extra=(), image=None):
        self.cmd = [QEMU, *args, "-display", "none", "-nic", "none", "-monitor", "none",
                    "-serial", "stdio", "-kernel", str(image_path(image)), *extra]
        self.output = ""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def send(self, text):
        """Type text on the serial console."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def _read_some(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.output += chunk.decode(errors="replace").replace("\r", "")
        return True

    def wait_for(self, pattern, timeout=30, since=0):
        """Wait until pattern (a regex, multiline) appears in the output from offset since
        on; returns the match (positions relative to the whole output), or raises with the
        console output so far."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern, re.M)
        while True:
            m = regex.search(self.output, since)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._read_some(0)):
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {pattern!r}; console:\n{self.output}")
            self._read_some(min(left, 0.2))

    def settle(self, seconds):
        """Read whatever the console prints in the next seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read_some(max(0.0, min(0.2, deadline - time.monotonic())))
        return self.output

    def elapsed(self):
        return time.monotonic() - self.started

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stdin.close()


# ---- reading the console ----

# What the test guest (tests/guest) and the hypervisor print when something went wrong; a
# physical interrupt without a handler among them.
TROUBLE = ("PANIC", "unexpected", "CORRUPT", "TIMED OUT", "has no handler")


def printed(q, pattern):
    """The match of pattern in what the console printed so far, or a failure showing it."""
    m = re.search(pattern, q.output, re.M)
    assert m, f"{pattern!r} not printed; console:\n{q.output}"
    return m


def assert_clean(q, *also):
    """Nothing in what the console printed so far is in TROUBLE, nor in also."""
    for text in (*TROUBLE, *also):
        assert text not in q.output, f"{text!r} printed; console:\n{q.output}"


# ---- Linux guests (tests/linux) on the multiplexed console ----

FOCUS_KEY = "\x1d"  # Ctrl-]: the console's focus key (docs/console.md)


def ready(vm):
    """The line tests/linux/init prints in vm: groups CPUs and MemTotal in KiB."""
    return rf"^\[{vm}\] PORTCULLIS-GUEST-READY cpus=(\d+) mem_kib=(\d+)\n"


def kernel_line(vm, text):
    """A kernel message text (a regex) of vm, with or without printk's time stamp (Debian's
    kernels have PRINTK_TIME, the ones built from tests/linux/guest.config not)."""
    return rf"\[{vm}\] (?:\[\s*\d+\.\d+\] )?{text}"


def prompt(vm):
    return rf"^\[{vm}\] \S* # "


def run(q, vm, command, expect, timeout=30):
    """Type command on the focused VM's console; wait for expect (a regex) in its output."""
    since = len(q.output)
    q.send(command + "\n")
    return q.wait_for(rf"^\[{vm}\] {expect}", timeout, since)


def msi_function(chip):
    """The PCI function an MSI line of /proc/interrupts names: "ITS-PCI-MSIX-0000:00:02.0"
    (Linux 6.12 on), or "ITS-MSI 32769" (6.1: the hwirq, requester ID << 11 | vector)."""
    m = re.fullmatch(r"ITS-PCI-MSIX?-(\S+)|ITS-MSI (\d+)", chip)
    if m.group(1):
        return m.group(1)
    rid = int(m.group(2)) >> 11
    return f"0000:{rid >> 8:02x}:{(rid >> 3) & 0x1f:02x}.{rid & 7:x}"


def msi_counts(q, vm):
    """The focused Linux VM's MSIs from /proc/interrupts: by PCI function ("0000:00:02.0"),
    the interrupts taken over all its vectors and CPUs."""
    since = len(q.output)
    run(q, vm, "cat /proc/interrupts; echo PORTCULLIS-IRQS-END", "PORTCULLIS-IRQS-END")
    counts = {}
    for m in re.finditer(rf"^\[{vm}\]\s+\d+:([\d ]+) +(ITS-PCI-MSIX?-\S+|ITS-MSI \d+)\s",
                         q.output[since:], re.M):
        fn = msi_function(m.group(2))
        counts[fn] = counts.get(fn, 0) + sum(map(int, m.group(1).split()))
    return counts


# ---- the hypervisor prompt's `stats`: a VM's virtio-iommu lines (iommu/viommu/viommu_dev.c) ----

VIOMMU_COUNTERS = ("attach", "detach", "map", "unmap", "probe", "refused", "syncs", "faults",
                   "dropped", "dropped_busy", "mappings", "table_pages")
# With the VM's measure-costs: each part's cost per request; unit a string, the rest ints.
VIOMMU_COST_PARTS = ("unit", "map_validate", "map_table", "map_tlbi", "unmap_validate",
                     "unmap_table", "unmap_tlbi", "sync", "trap", "handler", "notifications")


def viommu_counters_line(vm):
    return (rf"{vm}: virtio-iommu: (\d+) attach, (\d+) detach, (\d+) map, (\d+) unmap, "
            r"(\d+) probe \((\d+) refused\), (\d+) syncs, (\d+) faults sent, (\d+) dropped "
            r"\((\d+) while busy\), (\d+) mappings, (\d+) table pages")


def viommu_cost_line(vm):
    return (rf"{vm}: virtio-iommu (EL2 instructions|EL2 cycles|ns) each: map validate (\d+) "
            r"table (\d+) tlbi (\d+), unmap validate (\d+) table (\d+) tlbi (\d+), sync "
            r"(\d+) per unmap, notification trap (\d+) handler (\d+) \((\d+)\)")


def viommu_counters(text, vm):
    """vm's virtio-iommu counters in text (a `stats` output), by VIOMMU_COUNTERS."""
    m = re.search(viommu_counters_line(vm), text)
    assert m, f"no virtio-iommu counters for {vm} in:\n{text}"
    return dict(zip(VIOMMU_COUNTERS, (int(g) for g in m.groups())))


def viommu_costs(text, vm):
    """vm's virtio-iommu costs in text, by VIOMMU_COST_PARTS, or None if not measured."""
    m = re.search(viommu_cost_line(vm), text)
    if not m:
        return None
    return dict(zip(VIOMMU_COST_PARTS, (g if i == 0 else int(g) for i, g in enumerate(m.groups()))))


def longest_exit_line(vm):
    """A vCPU's longest exit in `stats` (core/dev/console.c): vCPU, microseconds, what it was."""
    return rf"^{vm}\s+(\d+) longest exit: (\d+) us \(([^)]*)\)"


def hypervisor_prompt_stats(q):
    """Move the focus to the hypervisor prompt, type `stats`, return what it printed."""
    for _ in range(4):
        if focus_next(q).group(1) == "the hypervisor prompt":
            break
    since = len(q.output)
    q.send("stats\r")
    m = q.wait_for(r"^memory: hypervisor allocations", 10, since)
    q.wait_for(r"portcullis> ", 10, m.end())
    return q.output[since:]


def focus_next(q, vm=""):
    """Press the focus key; wait until the console says input goes to vm (any, if empty)."""
    since = len(q.output)
    q.send(FOCUS_KEY)
    target = vm or r"the hypervisor prompt|\S+"
    return q.wait_for(rf"console: input goes to ({target}) \(", 10, since)
