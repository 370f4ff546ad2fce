"""Boot Portcullis on QEMU virt and check what it prints (issue: boot foundation)."""
import re
import struct

import pytest

from qemu import dump_dtb, machine_args

READY = r"Portcullis ready: (\d+) CPUs online"
MACHINE_NO_SMMU = "virt,virtualization=on,gic-version=3"


def mib(mem):
    return int(mem[:-1]) * (1024 if mem.endswith("G") else 1)


@pytest.mark.parametrize("cpu", ["max", "cortex-a72"])
@pytest.mark.parametrize("smp", [1, 4])
@pytest.mark.parametrize("mem", ["512M", "4G"])
def test_boots_to_summary_with_every_cpu(qemu, cpu, smp, mem):
    q = qemu(machine_args(cpu=cpu, smp=smp, mem=mem))
    assert int(q.wait_for(READY).group(1)) == smp
    print(f"boot to ready: {q.elapsed():.2f} s")
    out = q.output
    for i in range(smp):
        assert re.search(rf"CPU {i} online \(MPIDR {i:x}", out), out
    assert f"CPUs      {smp} online of {smp}, PSCI via smc" in out
    assert f"Memory    {mib(mem)} MiB in 1 bank(s)" in out
    assert "GICv3     distributor 8000000" in out
    assert "UART      arm,pl011 at 9000000" in out
    assert "SMMUv3    9050000" in out
    assert re.search(r"PCIe      ECAM 4010000000, buses 0-255, .*, MSIs to the ITS$", out,
                     re.M), out
    # The physical ITS is up: tables, command queue, a collection per CPU, and an INT
    # command's LPI taken at EL2 on every CPU in turn.
    assert re.search(rf"^ITS at 8080000: \d+ DeviceID bits, \d+-byte ITT entries, {smp} "
                     r"collection\(s\)", out, re.M), out
    assert re.search(r"^ITS: self-test: INT \(DeviceID 0x[0-9a-f]+\) -> LPI 8192 taken on "
                     rf"each of {smp} CPU\(s\), at most \d+ us$", out, re.M), out
    assert f"IPI: CPU 0 pinged {smp - 1} CPU(s), {smp - 1} answered" in out
    ticks = re.search(r"Timer: (\d+) ticks of 10 ms on CPU 0 in (\d+) us", out)
    assert ticks and int(ticks.group(1)) == 10
    # Ten 10 ms periods cannot take less than 100 ms; the bound above allows a loaded host.
    assert 100_000 <= int(ticks.group(2)) < 1_000_000
    assert "ERROR" not in out


def test_allocator_owns_ram_outside_image_and_dtb(qemu):
    q = qemu(machine_args(mem="1G"))
    q.wait_for(READY)
    m = re.search(r"Allocator (\d+) KiB free of (\d+) KiB", q.output)
    free, total = int(m.group(1)), int(m.group(2))
    image = re.search(r"Image     (\d+) KiB text, (\d+) KiB rodata, (\d+) KiB data\+bss", q.output)
    image_kib = sum(int(x) for x in image.groups())
    # All of RAM but the image and the DTB (QEMU's is 1 MiB) belongs to the allocator ...
    assert 1024 * 1024 - image_kib - 1024 - 64 <= total <= 1024 * 1024 - image_kib
    # ... and boot itself used little of it: bitmaps, a few table pages and the SMMU's
    # queues (its event queue alone is 128 KiB, room for a fault storm's burst).
    assert total - 256 <= free < total


def test_without_smmu_warns_and_boots(qemu):
    q = qemu(machine_args(machine=MACHINE_NO_SMMU))
    q.wait_for(READY)
    assert re.search(r"WARN: device tree: .*no SMMUv3", q.output), q.output
    assert "SMMUv3    none" in q.output


def test_wrong_exception_level_is_reported(qemu):
    q = qemu(machine_args(machine="virt,gic-version=3"))
    q.wait_for(r"must be started at EL2 but runs at EL1")
    q.wait_for(r"Portcullis halted: wrong exception level")


def corrupt_nameoff(dtb_path, out_path, node_suffix="cpu@0", prop="reg"):
    """Point one property's name offset outside the strings block: QEMU still loads the
    blob, but its structure is invalid (devicetree spec 5.4.1)."""
    d = bytearray(dtb_path.read_bytes())
    _, _, off_struct, off_strings = struct.unpack(">4I", d[:16])
    p, path = off_struct, []
    while True:
        tok = struct.unpack(">I", d[p:p + 4])[0]
        p += 4
        if tok == 1:  # FDT_BEGIN_NODE
            end = d.index(0, p)
            path.append(d[p:end].decode())
            p = (end + 1 + 3) & ~3
        elif tok == 2:  # FDT_END_NODE
            path.pop()
        elif tok == 3:  # FDT_PROP
            length, nameoff = struct.unpack(">II", d[p:p + 8])
            name = d[off_strings + nameoff:d.index(0, off_strings + nameoff)].decode()
            if path[-1] == node_suffix and name == prop:
                struct.pack_into(">I", d, p + 4, 0x7ffffff0)
                out_path.write_bytes(d)
                return out_path
            p = (p + 8 + length + 3) & ~3
        elif tok == 9:  # FDT_END
            raise AssertionError(f"{node_suffix}/{prop} not found")


def test_corrupt_dtb_gives_clear_error_and_halts(qemu, tmp_path):
    dtb = corrupt_nameoff(dump_dtb(tmp_path / "virt.dtb"), tmp_path / "corrupt.dtb")
    q = qemu(machine_args(), ["-dtb", str(dtb)])
    q.wait_for(r"ERROR: device tree: .+")
    q.wait_for(r"Portcullis halted: unusable device tree")
    assert "online" not in q.settle(0.5)


def test_missing_required_property_names_node_and_property(qemu, dtc, tmp_path):
    def drop_cpu0_reg(dts):
        return re.sub(r"(cpu@0 \{[^}]*?)reg = <0x00>;", r"\1", dts, count=1, flags=re.S)

    dtb = dtc(dump_dtb(tmp_path / "virt.dtb"), drop_cpu0_reg)
    q = qemu(machine_args(), ["-dtb", str(dtb)])
    q.wait_for(r"ERROR: device tree: /cpus/cpu@0: missing 'reg'")
    q.wait_for(r"Portcullis halted: unusable device tree")


def with_selftest(kind):
    def edit(dts):
        return dts.replace("chosen {", f'chosen {{\n\t\tportcullis,selftest = "{kind}";', 1)
    return edit


@pytest.mark.parametrize("kind, esr_class, detail", [
    ("data-abort", "data abort, same EL", r"FAR_EL2 0*([0-9a-f]+)"),
    ("stack-overflow", "data abort, same EL", r"stack overflow: SP [0-9a-f]+ reached a guard page"),
])
def test_el2_fault_is_reported_and_stops_only_that_cpu(qemu, dtc, tmp_path, kind, esr_class, detail):
    dtb = dtc(dump_dtb(tmp_path / "virt.dtb", smp=4), with_selftest(kind))
    q = qemu(machine_args(smp=4), ["-dtb", str(dtb)])
    q.wait_for(r"unexpected synchronous exception at EL2 on CPU 1: CPU stopped")
    q.wait_for(rf"ESR_EL2 [0-9a-f]+ \(EC 0x25: {esr_class}")
    q.wait_for(detail)
    q.wait_for(r"x30 [0-9a-f]{16}  sp  [0-9a-f]{16}")
    # The three other CPUs keep running and answer IPIs.
    q.wait_for(r"IPI: CPU 0 pinged 2 CPU\(s\), 2 answered")
    q.wait_for(r"Portcullis ready: 3 CPUs online")


def test_prompt_answers_without_guests(qemu):
    """With no VM config every CPU idles, and console input goes to the prompt."""
    q = qemu(machine_args(smp=2))
    q.wait_for(r"No VM config in this image")
    q.send("vms\r")
    q.wait_for(r"id name\s+state\s+cpus\s+ram MiB\s+resets\n")
    since = len(q.output)
    q.send("stats\r")
    q.wait_for(r"smmu: \d+ commands \(\d+ CFGI, \d+ TLBI, \d+ CMD_SYNC\), 0 STE writes, 0 events",
               since=since)


def test_without_an_its_pci_devices_keep_intx(qemu):
    """virt with its=off: one warning at boot, MSIs none; everything else as usual."""
    q = qemu(machine_args(machine="virt,virtualization=on,gic-version=3,its=off,iommu=smmuv3",
                          smp=2))
    q.wait_for(READY)
    out = q.output
    assert re.search(r"^WARN: .*/pcie@10000000: no ITS \(arm,gic-v3-its\): PCI devices have "
                     r"INTx only, no MSI$", out, re.M), out
    assert re.search(r"PCIe      ECAM 4010000000, .*, MSIs none \(INTx only\)$", out, re.M), out
    assert "ITS:" not in out and "ITS at" not in out, out
    assert "ERROR" not in out
