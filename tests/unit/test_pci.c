/*
 * Unit tests for drivers/pci (enumeration, BAR and window layout, INTx and StreamID
 * routing) against a fake ECAM: configuration spaces whose registers keep only their
 * writable bits, as hardware does, so that BAR sizing reads back a size mask and a bridge
 * forwards configuration cycles only to the buses it was given. The host bridge is the one
 * discovery reads from QEMU's own device tree (tests/unit/dtbs.mk), edited where a test
 * needs another shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "core/dev/vpci.h"
#include "core/lib/errno.h"
#include "core/platform/platform.h"
#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"
#include "test_util.h"

#define Q8 "qemu-smmu-smp8-4g"
#define IO_CPU 0x3eff0000ULL /* QEMU virt: I/O space 0.. at this CPU address */

/* ---- the fake ECAM ---- */

#define FAKE_MAX_FNS 80
#define FAKE_CFG 256 /* the extended space reads as zero */

enum fake_bar { BAR_IO, BAR_MEM32, BAR_MEM32_PREF, BAR_MEM64, BAR_MEM64_PREF };

struct fake_fn {
	int parent; /* the bridge above, -1: the root bus */
	uint8_t dev, fn;
	uint8_t cfg[FAKE_CFG], wmask[FAKE_CFG];
};

static struct {
	struct fake_fn f[FAKE_MAX_FNS];
	int n;
	uint32_t root_bus;
	unsigned bad_accesses;    /* misaligned, or of a size other than 1, 2, 4 */
	unsigned decoding_writes; /* BAR writes while I/O or memory decoding was on */
	unsigned writes;
} fk;

static uint32_t get(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put(uint8_t *p, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t cfg_get(int i, unsigned off, unsigned size) { return get(fk.f[i].cfg + off, size); }

/* Does bridge b forward configuration cycles for bus to its secondary side? */
static bool routes(int b, uint32_t bus)
{
	uint32_t sec = fk.f[b].cfg[PCI_SECONDARY_BUS], sub = fk.f[b].cfg[PCI_SUBORDINATE_BUS];

	if (sec == 0 || bus < sec || bus > sub)
		return false;
	return fk.f[b].parent < 0 || routes(fk.f[b].parent, bus);
}

/* The bus function i answers on, -1 when no configuration cycle reaches it. */
static int bus_of(int i)
{
	int p = fk.f[i].parent;

	if (p < 0)
		return (int)fk.root_bus;
	return routes(p, fk.f[p].cfg[PCI_SECONDARY_BUS]) ? fk.f[p].cfg[PCI_SECONDARY_BUS] : -1;
}

static int fake_find(uint32_t off)
{
	uint32_t bus = fk.root_bus + (off >> 20), dev = (off >> 15) & 31, fn = (off >> 12) & 7;

	for (int i = 0; i < fk.n; i++)
		if (fk.f[i].dev == dev && fk.f[i].fn == fn && bus_of(i) == (int)bus)
			return i;
	return -1;
}

static bool access_ok(uint32_t off, unsigned size)
{
	bool ok = (size == 1 || size == 2 || size == 4) && (off & (size - 1)) == 0;

	fk.bad_accesses += !ok;
	return ok;
}

static uint32_t fake_read(void *ctx, uint32_t off, unsigned size)
{
	int i = fake_find(off);
	unsigned reg = off & 0xfff;

	assert_ptr_equal(ctx, &fk);
	if (!access_ok(off, size))
		return 0;
	if (i < 0)
		return size == 4 ? ~0U : (1U << (8 * size)) - 1;
	return reg < FAKE_CFG ? get(fk.f[i].cfg + reg, size) : 0;
}

static bool is_bar(int i, unsigned reg)
{
	unsigned n = (fk.f[i].cfg[PCI_HEADER_TYPE] & 0x7f) == 1 ? 2 : 6;

	return reg >= PCI_BAR(0) && reg < PCI_BAR(n);
}

static void fake_write(void *ctx, uint32_t off, unsigned size, uint32_t v)
{
	int i = fake_find(off);
	unsigned reg = off & 0xfff;

	fk.writes++;
	if (!access_ok(off, size) || i < 0 || reg >= FAKE_CFG)
		return;
	if (is_bar(i, reg) && (cfg_get(i, PCI_COMMAND, 2) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		fk.decoding_writes++;
	for (unsigned b = 0; b < size; b++) {
		uint8_t m = fk.f[i].wmask[reg + b], nv = (uint8_t)(v >> (8 * b));

		fk.f[i].cfg[reg + b] = (uint8_t)((fk.f[i].cfg[reg + b] & ~m) | (nv & m));
	}
}

static const struct pci_cfg_ops fake_ops = { fake_read, fake_write, &fk };

static void fake_reset(uint32_t root_bus)
{
	memset(&fk, 0, sizeof(fk));
	fk.root_bus = root_bus;
}

/* A function: type 0 header; Command's I/O, Memory, Bus Master and INTx Disable writable. */
static int fk_fn(int parent, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
		 uint32_t class)
{
	struct fake_fn *f = &fk.f[fk.n];

	assert_true(fk.n < FAKE_MAX_FNS);
	*f = (struct fake_fn){ .parent = parent, .dev = dev, .fn = fn };
	put(f->cfg + PCI_VENDOR_ID, 2, vendor);
	put(f->cfg + PCI_DEVICE_ID, 2, device);
	put(f->cfg + PCI_CLASS_REVISION, 4, class << 8 | 1);
	put(f->wmask + PCI_COMMAND, 2, 0x0407);
	f->wmask[0x3c] = 0xff; /* Interrupt Line: scratch for software */
	return fk.n++;
}

static void fk_multi(int i) { fk.f[i].cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FN; }
static void fk_pin(int i, uint8_t pin) { fk.f[i].cfg[PCI_INTERRUPT_PIN] = pin; }

/* BAR n of size bytes: the type bits read-only, the address bits above the size writable. */
static void fk_bar(int i, unsigned n, uint64_t size, enum fake_bar kind)
{
	uint8_t *cfg = fk.f[i].cfg + PCI_BAR(n), *wm = fk.f[i].wmask + PCI_BAR(n);
	uint64_t addr_mask = ~(size - 1);
	uint32_t type = kind == BAR_IO ? 1 : (kind >= BAR_MEM64 ? 4 : 0) |
				    (kind == BAR_MEM32_PREF || kind == BAR_MEM64_PREF ? 8 : 0);

	put(cfg, 4, type);
	put(wm, 4, (uint32_t)addr_mask & (kind == BAR_IO ? ~3U : ~0xfU));
	if (kind >= BAR_MEM64)
		put(wm + 4, 4, (uint32_t)(addr_mask >> 32));
}

/* A PCI Express Capability at 0x40 of Device/Port Type type (PCIe Base 4.0, 7.5.3.2). */
static void fk_pcie(int i, uint8_t type)
{
	uint8_t *cfg = fk.f[i].cfg;

	cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	cfg[PCI_CAPABILITY_LIST] = 0x40;
	cfg[0x40] = PCI_CAP_ID_EXP;
	cfg[0x41] = 0; /* the last capability */
	put(cfg + 0x40 + PCI_EXP_FLAGS, 2, (uint32_t)type << 4 | 2);
}

/* A conventional PCI bridge: no capabilities at all. */
static void fk_conventional(int i)
{
	fk.f[i].cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_CAP_LIST;
}

/* A PCI-to-PCI bridge: bus numbers, a memory window, optional I/O and prefetchable ones. It
 * is a PCI Express root port (fk_pcie to make it another kind, fk_conventional none). */
static int fk_bridge(int parent, uint8_t dev, bool io, bool pref, bool pref64)
{
	int i = fk_fn(parent, dev, 0, 0x1b36, 0x000c, 0x060400);
	struct fake_fn *f = &fk.f[i];

	f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	memset(f->wmask + PCI_PRIMARY_BUS, 0xff, 3);
	put(f->wmask + PCI_MEMORY_BASE, 4, 0xfff0fff0);
	if (io) {
		put(f->wmask + PCI_IO_BASE, 2, 0xf0f0);
		put(f->cfg + PCI_IO_BASE, 2, 0x0101); /* 32-bit I/O decoding */
		put(f->wmask + PCI_IO_BASE_UPPER16, 4, ~0U);
	}
	if (pref) {
		put(f->wmask + PCI_PREF_MEMORY_BASE, 4, 0xfff0fff0);
		put(f->cfg + PCI_PREF_MEMORY_BASE, 4, pref64 ? 0x00010001 : 0);
	}
	if (pref && pref64) {
		put(f->wmask + PCI_PREF_BASE_UPPER32, 4, ~0U);
		put(f->wmask + PCI_PREF_LIMIT_UPPER32, 4, ~0U);
	}
	/* what firmware might have left: stale bus numbers and an open window */
	f->cfg[PCI_SECONDARY_BUS] = 0x42;
	put(f->cfg + PCI_MEMORY_BASE, 4, 0x10001000);
	fk_pcie(i, PCI_EXP_TYPE_ROOT_PORT);
	return i;
}

static int fk_index(uint16_t bdf)
{
	for (int i = 0; i < fk.n; i++)
		if (bus_of(i) >= 0 && (uint16_t)(bus_of(i) << 8 | fk.f[i].dev << 3 | fk.f[i].fn) == bdf)
			return i;
	fail_msg("no fake function %04x", bdf);
	return -1;
}

/* ---- what a fake function ended up with ---- */

/* BAR n's bus address as programmed. */
static uint64_t fk_bar_addr(int i, unsigned n)
{
	uint32_t lo = cfg_get(i, PCI_BAR(n), 4);
	bool io = lo & 1, is64 = !io && (lo & 6) == 4;
	uint64_t a = lo & (io ? ~3U : ~0xfU);

	return is64 ? a | (uint64_t)cfg_get(i, PCI_BAR(n + 1), 4) << 32 : a;
}

struct span {
	uint64_t first, last;
};

static bool open_(struct span s) { return s.first <= s.last; }

static struct span fk_window(int i, enum pci_win w)
{
	switch (w) {
	case PCI_WIN_IO:
		return (struct span){ (uint64_t)(cfg_get(i, PCI_IO_BASE, 1) & 0xf0) << 8 |
					      (uint64_t)cfg_get(i, PCI_IO_BASE_UPPER16, 2) << 16,
				      (uint64_t)(cfg_get(i, PCI_IO_LIMIT, 1) & 0xf0) << 8 | 0xfff |
					      (uint64_t)cfg_get(i, PCI_IO_BASE_UPPER16 + 2, 2) << 16 };
	case PCI_WIN_MEM:
		return (struct span){ (uint64_t)(cfg_get(i, PCI_MEMORY_BASE, 2) & 0xfff0) << 16,
				      (uint64_t)(cfg_get(i, PCI_MEMORY_LIMIT, 2) & 0xfff0) << 16 | 0xfffff };
	default:
		return (struct span){ (uint64_t)(cfg_get(i, PCI_PREF_MEMORY_BASE, 2) & 0xfff0) << 16 |
					      (uint64_t)cfg_get(i, PCI_PREF_BASE_UPPER32, 4) << 32,
				      (uint64_t)(cfg_get(i, PCI_PREF_MEMORY_LIMIT, 2) & 0xfff0) << 16 |
					      0xfffff | (uint64_t)cfg_get(i, PCI_PREF_LIMIT_UPPER32, 4) << 32 };
	}
}

static void expect_window(uint16_t bdf, enum pci_win w, uint64_t first, uint64_t size)
{
	struct span s = fk_window(fk_index(bdf), w);

	assert_int_equal(s.first, first);
	assert_int_equal(s.last, first + size - 1);
}

static void expect_closed(uint16_t bdf, enum pci_win w)
{
	assert_false(open_(fk_window(fk_index(bdf), w)));
}

static uint16_t fk_command(uint16_t bdf) { return (uint16_t)cfg_get(fk_index(bdf), PCI_COMMAND, 2); }

/* ---- the host bridge, as discovered from QEMU's tree ---- */

static struct platform plat;

/* Each test starts from QEMU's host bridge and an empty bus. */
static int setup(void **state)
{
	discover_ok(Q8, &plat);
	fake_reset(0);
	fake_log_count = 0;
	return 0;
}

static const struct pci_dev *dev(uint16_t bdf)
{
	const struct pci_dev *d = pci_find(bdf);

	if (!d)
		fail_msg("%04x was not enumerated", bdf);
	return d;
}

static void expect_desc(uint16_t bdf, const char *want)
{
	char buf[PCI_DESC_LEN];

	pci_describe(dev(bdf), buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* ---- invariants every layout keeps ---- */

static uint64_t cpu_offset(bool io) { return io ? IO_CPU : 0; }

/* Is fake function i below (behind) bridge b? */
static bool below(int i, int b)
{
	for (int p = fk.f[i].parent; p >= 0; p = fk.f[p].parent)
		if (p == b)
			return true;
	return false;
}

/* The window of the bridge above fake function i that a BAR of this kind must sit in. */
static bool in_parent_window(int i, bool io, struct span s)
{
	int p = fk.f[i].parent;
	struct span a = fk_window(p, PCI_WIN_IO), m = fk_window(p, PCI_WIN_MEM),
		    pf = fk_window(p, PCI_WIN_PREF);

	if (io)
		return open_(a) && s.first >= a.first && s.last <= a.last;
	return (open_(m) && s.first >= m.first && s.last <= m.last) ||
	       (open_(pf) && s.first >= pf.first && s.last <= pf.last);
}

/*
 * For every assigned BAR: the driver's record matches the register, the address is
 * naturally aligned (at least to a page), it lies in its bridge's window, and no two BARs
 * share a page. Every open bridge window lies within its own bridge's windows.
 */
static void check_layout(void)
{
	struct {
		struct span s;
		bool io;
	} used[6 * PCI_MAX_DEVS];
	unsigned n = 0;

	for (unsigned k = 0; k < pci_count(); k++) {
		const struct pci_dev *d = pci_dev_at(k);
		int i = fk_index(d->bdf);

		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &d->bar[b];
			bool io = bar->flags & PCI_BAR_F_IO;
			uint64_t at = fk_bar_addr(i, b), room = bar->size < 4096 ? 4096 : bar->size;
			struct span s = { at, at + room - 1 };

			if (!(bar->flags & PCI_BAR_F_ASSIGNED))
				continue;
			assert_int_equal(bar->pa.v, at + cpu_offset(io));
			assert_int_equal(at % room, 0);
			if (fk.f[i].parent >= 0 && !in_parent_window(i, io, s))
				fail_msg("%04x BAR%u at %llx is outside its bridge's windows", d->bdf, b,
					 (unsigned long long)at);
			for (unsigned u = 0; u < n; u++)
				if (used[u].io == io && s.first <= used[u].s.last && used[u].s.first <= s.last)
					fail_msg("%04x BAR%u at %llx overlaps another BAR", d->bdf, b,
						 (unsigned long long)at);
			used[n].s = s;
			used[n++].io = io;
		}
		for (int w = 0; d->secondary && fk.f[i].parent >= 0 && w < PCI_NUM_WIN; w++) {
			struct span s = fk_window(i, w);

			if (open_(s) && !in_parent_window(i, w == PCI_WIN_IO, s))
				fail_msg("%04x window %d is outside its bridge's windows", d->bdf, w);
		}
	}
	/* no BAR of a device on one side of a bridge sits in that bridge's window unless below */
	for (int b = 0; b < fk.n; b++) {
		if ((fk.f[b].cfg[PCI_HEADER_TYPE] & 0x7f) != 1 || bus_of(b) < 0)
			continue;
		for (unsigned k = 0; k < pci_count(); k++) {
			int i = fk_index(pci_dev_at(k)->bdf);

			for (unsigned bar = 0; bar < PCI_NUM_BARS && !below(i, b); bar++) {
				const struct pci_bar *pb = &pci_dev_at(k)->bar[bar];
				uint64_t at = fk_bar_addr(i, bar);

				for (int w = 0; w < PCI_NUM_WIN && (pb->flags & PCI_BAR_F_ASSIGNED); w++) {
					struct span s = fk_window(b, w);

					if ((w == PCI_WIN_IO) == !!(pb->flags & PCI_BAR_F_IO) && open_(s) &&
					    at >= s.first && at <= s.last)
						fail_msg("%04x BAR%u is in the window of a bridge it is not behind",
							 pci_dev_at(k)->bdf, bar);
				}
			}
		}
	}
	assert_int_equal(fk.bad_accesses, 0);
	assert_int_equal(fk.decoding_writes, 0);
}

/* ---- QEMU's machine as the boot test starts it ---- */

/*
 * -device nvme -device edu -device pcie-root-port -device virtio-blk-pci behind it:
 * the same layout the hypervisor gives them on QEMU (compared with `info pci`).
 */
static void qemu_devices(void)
{
	int nvme, edu, rp, blk;

	fk_fn(-1, 0, 0, 0x1b36, 0x0008, 0x060000);
	nvme = fk_fn(-1, 1, 0, 0x1b36, 0x0010, 0x010802);
	fk_bar(nvme, 0, 0x4000, BAR_MEM64);
	fk_pin(nvme, 1);
	edu = fk_fn(-1, 2, 0, 0x1234, 0x11e8, 0x00ff00);
	fk_bar(edu, 0, 0x100000, BAR_MEM32);
	fk_pin(edu, 1);
	rp = fk_bridge(-1, 3, true, true, true);
	fk_bar(rp, 0, 0x1000, BAR_MEM32);
	fk_pin(rp, 1);
	blk = fk_fn(rp, 0, 0, 0x1af4, 0x1042, 0x010000);
	fk_bar(blk, 1, 0x1000, BAR_MEM32);
	fk_bar(blk, 4, 0x4000, BAR_MEM64_PREF);
	fk_pin(blk, 1);
	/* firmware left it decoding and mastering, with INTx disabled */
	put(fk.f[blk].cfg + PCI_COMMAND, 2, 0x0407);
}

static void test_qemu_machine(void **state)
{
	qemu_devices();
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 5);
	assert_int_equal(dev(0x0000)->class, 0x060000);
	assert_int_equal(dev(0x0008)->vendor, 0x1b36);
	assert_int_equal(dev(0x0008)->device, 0x0010);
	/* bus numbers */
	assert_int_equal(fk.f[fk_index(0x0018)].cfg[PCI_PRIMARY_BUS], 0);
	assert_int_equal(fk.f[fk_index(0x0018)].cfg[PCI_SECONDARY_BUS], 1);
	assert_int_equal(fk.f[fk_index(0x0018)].cfg[PCI_SUBORDINATE_BUS], 1);
	assert_ptr_equal(dev(0x0100)->parent, dev(0x0018));
	assert_null(dev(0x0008)->parent);
	/* 64-bit BAR from the 64-bit window; 32-bit BARs and windows from the 32-bit one */
	assert_int_equal(fk_bar_addr(fk_index(0x0008), 0), 0x8000100000);
	assert_int_equal(fk_bar_addr(fk_index(0x0010), 0), 0x10000000);
	assert_int_equal(fk_bar_addr(fk_index(0x0018), 0), 0x10200000);
	assert_int_equal(fk_bar_addr(fk_index(0x0100), 1), 0x10100000);
	assert_int_equal(fk_bar_addr(fk_index(0x0100), 4), 0x8000000000);
	assert_true(dev(0x0008)->bar[0].flags & PCI_BAR_F_64);
	assert_int_equal(dev(0x0008)->bar[1].size, 0); /* the upper half */
	expect_window(0x0018, PCI_WIN_MEM, 0x10100000, 0x100000);
	expect_window(0x0018, PCI_WIN_PREF, 0x8000000000, 0x100000);
	expect_closed(0x0018, PCI_WIN_IO);
	/* Memory on, I/O off, Bus Master off, INTx Disable kept */
	for (unsigned k = 0; k < pci_count(); k++)
		assert_int_equal(fk_command(pci_dev_at(k)->bdf) & 7, PCI_COMMAND_MEMORY);
	assert_int_equal(fk_command(0x0100), 0x0402);
	/* QEMU's interrupt-map: slot s, pin p -> SPI 3 + (s + p - 1) % 4 */
	assert_int_equal(dev(0x0008)->intid, 32 + 4);
	assert_int_equal(dev(0x0010)->intid, 32 + 5);
	assert_int_equal(dev(0x0018)->intid, 32 + 6);
	assert_int_equal(dev(0x0100)->intid, 32 + 6); /* INTA of slot 0 behind 00:03.0 */
	assert_int_equal(dev(0x0000)->pin, 0);
	/* iommu-map <0 &smmu 0 0x10000>: StreamID = RID */
	for (unsigned k = 0; k < pci_count(); k++) {
		assert_true(pci_dev_at(k)->has_sid);
		assert_int_equal(pci_dev_at(k)->sid, pci_dev_at(k)->bdf);
	}
	check_layout();
	assert_int_equal(fake_log_count, 0);
	expect_desc(0x0008, "PCI 00:01.0 [1b36:0010] class 010802, BAR0 8000100000 16K 64-bit, "
			    "INTA -> INTID 36, StreamID 0x8");
	expect_desc(0x0018, "PCI 00:03.0 [1b36:000c] class 060400, bridge to 01-01, mem 10100000 "
			    "1M, pref 8000000000 1M, BAR0 10200000 4K, INTA -> INTID 38, StreamID 0x18");
	expect_desc(0x0100, "PCI 01:00.0 [1af4:1042] class 010000, BAR1 10100000 4K, BAR4 "
			    "8000000000 16K 64-bit pref, INTA -> INTID 38, StreamID 0x100");
	expect_desc(0x0000, "PCI 00:00.0 [1b36:0008] class 060000, StreamID 0x0");
}

/* ---- a larger tree ---- */

/*
 * 00:04.x  multi-function: fn 0 (I/O BAR, INTA) and fn 2 (INTB); fn 1 absent
 * 00:05.0  bridge -> 02:00.0 bridge -> 03:00.0 (64K + 2M 64-bit pref), 03:01.0 (INTB, I/O)
 * 00:06.0  a 1 GiB 32-bit BAR: more than the 32-bit window holds
 * 00:07.0  single-function, though something answers as 00:07.1 too
 */
static void larger_tree(void)
{
	int mf0, mf2, b1, b2, d0, d1, big, one;

	qemu_devices();
	mf0 = fk_fn(-1, 4, 0, 0x8086, 0x1000, 0x020000);
	fk_multi(mf0);
	fk_bar(mf0, 0, 0x100, BAR_IO);
	fk_bar(mf0, 1, 0x20000, BAR_MEM32);
	fk_pin(mf0, 1);
	mf2 = fk_fn(-1, 4, 2, 0x8086, 0x1001, 0x020000);
	fk_bar(mf2, 0, 0x1000, BAR_MEM32);
	fk_pin(mf2, 2);
	b1 = fk_bridge(-1, 5, true, true, true);
	b2 = fk_bridge(b1, 0, true, true, true);
	d0 = fk_fn(b2, 0, 0, 0x10ee, 0x7021, 0x058000);
	fk_bar(d0, 0, 0x10000, BAR_MEM32);
	fk_bar(d0, 2, 0x200000, BAR_MEM64_PREF);
	fk_pin(d0, 1);
	d1 = fk_fn(b2, 1, 0, 0x10ee, 0x7022, 0x058000);
	fk_bar(d1, 0, 0x1000, BAR_MEM32);
	fk_bar(d1, 1, 0x20, BAR_IO);
	fk_pin(d1, 2);
	big = fk_fn(-1, 6, 0, 0x1234, 0x5678, 0x030000);
	fk_bar(big, 0, 0x40000000, BAR_MEM32);
	fk_bar(big, 1, 0x1000, BAR_MEM32);
	one = fk_fn(-1, 7, 0, 0x1234, 0x0001, 0x078000);
	fk_bar(one, 0, 0x1000, BAR_MEM32);
	fk_fn(-1, 7, 1, 0x1234, 0x0002, 0x078000);
}

static void test_larger_tree(void **state)
{
	larger_tree();
	pci_enumerate(&plat.pci, &fake_ops);

	/* 5 of QEMU's, 00:04.0 and .2, 00:05.0, 02:00.0, 03:00.0, 03:01.0, 00:06.0, 00:07.0 */
	assert_int_equal(pci_count(), 13);
	assert_null(pci_find(0x0021)); /* 00:04.1 */
	assert_null(pci_find(0x0039)); /* 00:07.1: 00:07.0 is not multi-function */
	/* depth-first bus numbers: 00:03.0 -> 1, 00:05.0 -> 2..3, 02:00.0 -> 3 */
	assert_int_equal(dev(0x0028)->secondary, 2);
	assert_int_equal(dev(0x0028)->subordinate, 3);
	assert_int_equal(dev(0x0200)->secondary, 3);
	assert_int_equal(dev(0x0200)->subordinate, 3);
	assert_int_equal(fk.f[fk_index(0x0200)].cfg[PCI_PRIMARY_BUS], 2);
	assert_int_equal(fk.f[fk_index(0x0028)].cfg[PCI_SUBORDINATE_BUS], 3);
	assert_ptr_equal(dev(0x0308)->parent, dev(0x0200));
	assert_ptr_equal(dev(0x0200)->parent, dev(0x0028));

	/* I/O: from 0x1000 of the I/O window, one page each, through both bridges */
	assert_true(dev(0x0020)->bar[0].flags & PCI_BAR_F_ASSIGNED);
	assert_int_equal(dev(0x0020)->bar[0].size, 0x100);
	assert_int_equal(fk_command(0x0020) & 7, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_true(dev(0x0308)->bar[1].pa.v >= IO_CPU + 0x1000);
	expect_window(0x0028, PCI_WIN_IO, dev(0x0308)->bar[1].pa.v - IO_CPU, 0x1000);
	expect_window(0x0200, PCI_WIN_IO, dev(0x0308)->bar[1].pa.v - IO_CPU, 0x1000);
	assert_int_equal(fk_command(0x0308) & 7, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	/* bridge windows: 1 MiB granules, aligned for what is inside */
	assert_int_equal(dev(0x0200)->win[PCI_WIN_MEM].size, 0x100000);
	assert_int_equal(dev(0x0200)->win[PCI_WIN_PREF].size, 0x200000);
	assert_int_equal(dev(0x0200)->win[PCI_WIN_PREF].base % 0x200000, 0);
	assert_true(dev(0x0300)->bar[2].pa.v >= 0x8000000000);
	assert_int_equal(fk_window(fk_index(0x0028), PCI_WIN_PREF).first,
			 fk_window(fk_index(0x0200), PCI_WIN_PREF).first);

	/* swizzle: 03:01.0 INTB -> INTC at 02:00.0 -> INTC at slot 5 -> SPI 3 + (5 + 3 - 1) % 4 */
	assert_int_equal(dev(0x0308)->intid, 32 + 6);
	assert_int_equal(dev(0x0300)->intid, 32 + 4); /* INTA -> INTA -> slot 5 */
	assert_int_equal(dev(0x0020)->intid, 32 + 3 + (4 + 1 - 1) % 4);
	assert_int_equal(dev(0x0022)->intid, 32 + 3 + (4 + 2 - 1) % 4);

	/* the BAR too big: a warning naming it, not usable, no decoding; the rest goes on */
	assert_false(dev(0x0030)->usable);
	assert_false(dev(0x0030)->bar[0].flags & PCI_BAR_F_ASSIGNED);
	assert_int_equal(fk_command(0x0030) & 7, 0);
	assert_int_equal(pci_set_bus_master(0x0030, true), -E_NODEV);
	assert_true(dev(0x0038)->usable);
	for (unsigned k = 0; k < pci_count(); k++)
		assert_true(pci_dev_at(k)->usable || pci_dev_at(k)->bdf == 0x0030);
	assert_int_equal(fake_log_count, 1);
	assert_string_equal(fake_log_last,
			    "PCI 00:06.0: BAR0 (0x40000000 bytes) does not fit in the windows of the "
			    "host bridge: device not usable\n");
	expect_desc(0x0030, "PCI 00:06.0 [1234:5678] class 030000, BAR0 1G unassigned, BAR1 "
			    "10322000 4K, StreamID 0x30, NOT USABLE");
	check_layout();
}

/* ---- other host bridges ---- */

/* Only the 32-bit window: 64-bit BARs go there too; I/O BARs stay unassigned. */
static void test_32bit_window_only(void **state)
{
	plat.pci.ranges[0] = plat.pci.ranges[1];
	plat.pci.n_ranges = 1;
	larger_tree();
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 13);
	for (unsigned k = 0; k < pci_count(); k++) {
		const struct pci_dev *d = pci_dev_at(k);

		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			if (!(d->bar[b].flags & PCI_BAR_F_ASSIGNED))
				continue;
			assert_true(d->bar[b].pa.v >= 0x10000000);
			assert_true(d->bar[b].pa.v + d->bar[b].size <= 0x3eff0000);
		}
	}
	assert_int_equal(fk_bar_addr(fk_index(0x0008), 0) >> 32, 0);
	assert_false(dev(0x0020)->bar[0].flags & PCI_BAR_F_ASSIGNED);
	assert_true(dev(0x0020)->usable); /* an I/O BAR unassigned is only a warning */
	assert_int_equal(fk_command(0x0020) & 7, PCI_COMMAND_MEMORY);
	expect_closed(0x0028, PCI_WIN_IO);
	/* the prefetchable windows sit below 4 GiB, upper halves zero */
	assert_int_equal(cfg_get(fk_index(0x0028), PCI_PREF_BASE_UPPER32, 4), 0);
	assert_true(open_(fk_window(fk_index(0x0028), PCI_WIN_PREF)));
	expect_desc(0x0020, "PCI 00:04.0 [8086:1000] class 020000, BAR0 I/O 256 unassigned, BAR1 "
			    "10600000 128K, INTA -> INTID 35, StreamID 0x20");
	check_layout();
}

static bool logged(const char *line)
{
	/* fake_log_last holds only the last line: callers check the order they expect */
	return strcmp(fake_log_last, line) == 0;
}

/* A bridge whose memory window cannot fit: what is behind it is not usable. */
static void test_bridge_window_too_big(void **state)
{
	int b = fk_bridge(-1, 1, false, false, false), d;

	d = fk_fn(b, 0, 0, 0x1234, 0x1, 0x010000);
	fk_bar(d, 0, 0x80000000, BAR_MEM64_PREF); /* no prefetchable window: the memory one */
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 2);
	assert_false(dev(0x0100)->usable);
	assert_true(logged("PCI 01:00.0: BAR0 (0x80000000 bytes) does not fit in the windows of "
			   "bridge 00:01.0: device not usable\n"));
	assert_int_equal(fake_log_count, 2);
	assert_false(dev(0x0008)->win[PCI_WIN_MEM].assigned);
	expect_closed(0x0008, PCI_WIN_MEM); /* it has no I/O or prefetchable window */
}

/* bus-range 0x10..0x11, two bridges: the second gets no bus; ECAM offsets from bus 0x10. */
static void test_bus_range(void **state)
{
	int b1, b2;

	plat.pci.bus_start = 0x10;
	plat.pci.bus_end = 0x11;
	fake_reset(0x10);
	b1 = fk_bridge(-1, 1, false, true, true);
	fk_fn(b1, 0, 0, 0x1234, 0x1, 0x010000);
	b2 = fk_bridge(-1, 2, false, true, true);
	fk_fn(b2, 0, 0, 0x1234, 0x2, 0x010000);
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 3);
	assert_non_null(pci_find(0x1008));
	assert_int_equal(dev(0x1008)->secondary, 0x11);
	assert_non_null(pci_find(0x1100));
	assert_int_equal(dev(0x1010)->secondary, 0);
	assert_int_equal(fk.f[b2].cfg[PCI_SECONDARY_BUS], 0);
	assert_true(logged("PCI 10:02.0: bridge with no bus number left for it: nothing behind it "
			   "is used\n"));
	assert_int_equal(pci_cfg_read(0x1100, PCI_DEVICE_ID, 2), 1);
	assert_int_equal(dev(0x1100)->sid, 0x1100);
}

/* Bridges 17 deep: the walk stops at 16 with a warning. */
static void test_depth_limit(void **state)
{
	int parent = -1;

	for (int i = 0; i < 17; i++)
		parent = fk_bridge(parent, 0, false, false, false);
	fk_fn(parent, 0, 0, 0x1234, 0x1, 0x010000);
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 17);
	assert_true(logged("PCI 10:00.0: bridge nested deeper than 16: nothing behind it is used\n"));
	assert_int_equal(dev(0x0000)->subordinate, 16);
	check_layout();
}

/* More functions than PCI_MAX_DEVS: the rest are left disabled, Bus Master included. */
static void test_too_many_functions(void **state)
{
	for (uint8_t d = 0; d < 9; d++)
		for (uint8_t f = 0; f < 8; f++) {
			int i = fk_fn(-1, d, f, 0x1234, 0x1, 0x010000);

			if (f == 0)
				fk_multi(i);
			put(fk.f[i].cfg + PCI_COMMAND, 2, 0x0007);
		}
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), PCI_MAX_DEVS);
	assert_int_equal(fake_log_count, 8);
	assert_true(logged("PCI 00:08.7: more than 64 functions: left disabled\n"));
	for (int i = 0; i < fk.n; i++)
		assert_int_equal(cfg_get(i, PCI_COMMAND, 2) & PCI_COMMAND_MASTER, 0);
	assert_int_equal(fk_command(0x0047) & 7, 0);
}

/* BAR sizing corner cases, in a type 0 header and in a bridge's two BARs. */
static void test_bar_sizing(void **state)
{
	int d = fk_fn(-1, 1, 0, 0x1234, 0x1, 0x010000), b;

	fk_bar(d, 0, 0x10, BAR_MEM32);              /* 16 bytes: takes a page */
	fk_bar(d, 2, 0x200000000ULL, BAR_MEM64);    /* 8 GiB, non-prefetchable */
	fk_bar(d, 4, 0x1000, BAR_MEM32_PREF);       /* 32-bit prefetchable: the 32-bit window */
	put(fk.f[d].cfg + PCI_BAR(5), 4, 4);        /* 64-bit in the last slot: no upper half */
	put(fk.f[d].wmask + PCI_BAR(5), 4, 0xfffff000);
	b = fk_bridge(-1, 2, false, true, true);
	fk_bar(b, 0, 0x4000, BAR_MEM64);            /* both of a bridge's BAR slots */
	fk_bar(fk_fn(-1, 3, 0, 0x1234, 0x2, 0x010000), 0, 0x20, BAR_MEM32); /* a page of its own */
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(dev(0x0008)->bar[0].size, 0x10);
	assert_int_equal(dev(0x0008)->bar[1].size, 0);
	assert_int_equal(dev(0x0008)->bar[2].size, 0x200000000ULL);
	assert_int_equal(dev(0x0008)->bar[2].pa.v % 0x200000000ULL, 0);
	assert_true(dev(0x0008)->bar[2].pa.v >= 0x8000000000);
	assert_int_equal(dev(0x0008)->bar[3].size, 0);
	assert_true(dev(0x0008)->bar[4].flags & PCI_BAR_F_PREFETCH);
	assert_true(dev(0x0008)->bar[4].pa.v < 0x3eff0000);
	assert_int_equal(dev(0x0008)->bar[5].size, 0);
	assert_true(logged("PCI 00:01.0: BAR5 is 64-bit but has no upper half: ignored\n"));
	assert_int_equal(dev(0x0010)->bar[0].size, 0x4000);
	assert_true(dev(0x0010)->bar[0].flags & PCI_BAR_F_64);
	assert_true(dev(0x0010)->usable);
	expect_closed(0x0010, PCI_WIN_MEM);
	check_layout();
}

/* A BAR of 2^63 bytes (hostile hardware) fits nowhere and wraps nothing. */
static void test_huge_bar(void **state)
{
	int d = fk_fn(-1, 1, 0, 0x1234, 0x1, 0x010000), b, e;

	fk_bar(d, 0, 1ULL << 63, BAR_MEM64_PREF);
	fk_bar(d, 2, 0x1000, BAR_MEM32);
	b = fk_bridge(-1, 2, false, true, true);
	e = fk_fn(b, 0, 0, 0x1234, 0x2, 0x010000);
	fk_bar(e, 0, 1ULL << 63, BAR_MEM64_PREF);
	fk_bar(e, 2, 1ULL << 63, BAR_MEM64_PREF);
	pci_enumerate(&plat.pci, &fake_ops);

	assert_false(dev(0x0008)->usable);
	assert_true(dev(0x0008)->bar[2].flags & PCI_BAR_F_ASSIGNED);
	assert_false(dev(0x0100)->usable);
	check_layout();
}

/* ---- routing ---- */

/* PCI-to-PCI Bridge Architecture 1.2, table 9-1. */
static void test_swizzle(void **state)
{
	static const uint32_t table[4][4] = {
		/* device 0, 1, 2, 3 (then repeating) for INTA..INTD */
		{ 1, 2, 3, 4 }, { 2, 3, 4, 1 }, { 3, 4, 1, 2 }, { 4, 1, 2, 3 },
	};

	for (uint32_t dv = 0; dv < 32; dv++)
		for (uint32_t pin = 1; pin <= 4; pin++)
			assert_int_equal(pci_swizzle(pin, dv), table[dv % 4][pin - 1]);
}

/* QEMU's interrupt-map for every slot and pin; function and bus bits are masked off. */
static void test_intx_lookup(void **state)
{
	uint32_t intid;

	for (uint32_t slot = 0; slot < 32; slot++)
		for (uint32_t pin = 1; pin <= 4; pin++) {
			assert_int_equal(pci_intx_lookup(&plat.pci, PCI_BDF(0, slot, 3), pin, &intid), 0);
			assert_int_equal(intid, 32 + 3 + (slot + pin - 1) % 4);
		}
	assert_int_equal(pci_intx_lookup(&plat.pci, PCI_BDF(7, 1, 0), 1, &intid), 0);
	assert_int_equal(intid, 32 + 4);
	assert_int_equal(pci_intx_lookup(&plat.pci, 0, 0, &intid), -E_NOENT);
	assert_int_equal(pci_intx_lookup(&plat.pci, 0, 5, &intid), -E_NOENT);
	plat.pci.n_intx_map = 1; /* slot 0 INTA only */
	assert_int_equal(pci_intx_lookup(&plat.pci, PCI_BDF(0, 1, 0), 1, &intid), -E_NOENT);
}

/* An iommu-map covering bus 0 only, with an offset: bus 1 gets no StreamID. */
static void test_iommu_map_partial(void **state)
{
	uint32_t sid;

	plat.pci.iommu_map[0] = (struct plat_rid_map){ 0, plat.smmu.phandle, 0x1000, 0x100 };
	plat.pci.iommu_map[1] = (struct plat_rid_map){ 0x200, plat.smmu.phandle, 0x20, 0x8 };
	plat.pci.n_iommu_map = 2;
	assert_int_equal(pci_rid_to_sid(&plat.pci, 0xff, &sid), 0);
	assert_int_equal(sid, 0x10ff);
	assert_int_equal(pci_rid_to_sid(&plat.pci, 0x207, &sid), 0);
	assert_int_equal(sid, 0x27);
	assert_int_equal(pci_rid_to_sid(&plat.pci, 0x208, &sid), -E_NOENT);
	assert_int_equal(pci_rid_to_sid(&plat.pci, 0x100, &sid), -E_NOENT);

	qemu_devices();
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(dev(0x0010)->sid, 0x1010);
	assert_false(dev(0x0100)->has_sid);
	assert_int_equal(fake_log_count, 1);
	assert_true(logged("PCI 01:00.0: RID 0x100 is not in 'iommu-map': no StreamID, its DMA "
			   "cannot be isolated\n"));
	expect_desc(0x0100, "PCI 01:00.0 [1af4:1042] class 010000, BAR1 10100000 4K, BAR4 "
			    "8000000000 16K 64-bit pref, INTA -> INTID 38, no StreamID");
}

/* No interrupt-map: pins recorded, no INTID, no warning per device (discovery warned). */
static void test_no_interrupt_map(void **state)
{
	plat.pci.n_intx_map = 0;
	qemu_devices();
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(dev(0x0010)->pin, 1);
	assert_int_equal(dev(0x0010)->intid, 0);
	assert_int_equal(fake_log_count, 0);
	expect_desc(0x0010, "PCI 00:02.0 [1234:11e8] class 00ff00, BAR0 10000000 1M, INTA -> no "
			    "INTID, StreamID 0x10");
}

/* An interrupt-map entry missing and a pin out of range: warnings, INTx unused. */
static void test_intx_unrouted(void **state)
{
	int d;

	plat.pci.n_intx_map = 4; /* slot 0 only */
	d = fk_fn(-1, 1, 0, 0x1234, 0x1, 0x010000);
	fk_pin(d, 2);
	d = fk_fn(-1, 0, 0, 0x1234, 0x2, 0x010000);
	fk_pin(d, 9);
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(dev(0x0000)->pin, 0);
	assert_int_equal(dev(0x0008)->intid, 0);
	assert_int_equal(fake_log_count, 2);
	assert_true(logged("PCI 00:01.0: INTB matches no 'interrupt-map' entry: INTx not used\n"));
}

/* ---- the API a VM's emulated ECAM builds on ---- */

static void test_cfg_access(void **state)
{
	unsigned writes;

	qemu_devices();
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(pci_cfg_read(0x0010, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(pci_cfg_read(0x0010, PCI_VENDOR_ID, 4), 0x11e81234);
	assert_int_equal(pci_cfg_read(0x0010, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(pci_cfg_read(0x0010, 0x800, 4), 0); /* extended space */
	/* refused: a function not enumerated, a bad size, misaligned, past 4 KiB */
	assert_int_equal(pci_cfg_read(0x0011, PCI_VENDOR_ID, 2), 0xffffffff);
	assert_int_equal(pci_cfg_read(0x0010, PCI_VENDOR_ID, 3), 0xffffffff);
	assert_int_equal(pci_cfg_read(0x0010, 1, 2), 0xffffffff);
	assert_int_equal(pci_cfg_read(0x0010, 0xffe, 4), 0xffffffff);
	assert_int_equal(pci_cfg_read(0x0010, 0x1000, 1), 0xffffffff);
	writes = fk.writes;
	pci_cfg_write(0x0011, 0x3c, 1, 5);
	pci_cfg_write(0x0010, 0x3d, 2, 5);
	pci_cfg_write(0x0010, 0x3c, 8, 5);
	assert_int_equal(fk.writes, writes);
	pci_cfg_write(0x0010, 0x3c, 1, 0x2a);
	assert_int_equal(pci_cfg_read(0x0010, 0x3c, 1), 0x2a);
	assert_int_equal(fk.bad_accesses, 0);
	/* before any enumeration (or with no host), nothing answers */
	plat.pci.present = false;
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(pci_count(), 0);
	assert_null(pci_dev_at(0));
	assert_int_equal(pci_cfg_read(0x0010, PCI_VENDOR_ID, 2), 0xffffffff);
}

static void test_bus_master(void **state)
{
	qemu_devices();
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(pci_set_bus_master(0x0100, true), 0);
	assert_true(fk_command(0x0100) & PCI_COMMAND_MASTER);
	assert_true(fk_command(0x0018) & PCI_COMMAND_MASTER); /* the root port forwards it */
	assert_false(fk_command(0x0010) & PCI_COMMAND_MASTER);
	assert_int_equal(fk_command(0x0100), 0x0406); /* INTx Disable still kept */
	assert_int_equal(pci_set_bus_master(0x0100, false), 0);
	assert_false(fk_command(0x0100) & PCI_COMMAND_MASTER);
	assert_true(fk_command(0x0018) & PCI_COMMAND_MASTER);
	assert_int_equal(pci_set_bus_master(0x0011, true), -E_NOENT);
	assert_null(pci_dev_at(pci_count()));
}

/* ---- vPCI's rules (core/dev/vpci_rules.c) ---- */

static struct vm_configs cfgs;

static void give(unsigned v, const char *name, u16 bdf)
{
	struct vm_config *c = &cfgs.vm[v];

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->pci_bdf[c->n_pci++] = bdf;
	cfgs.n = MAX(cfgs.n, v + 1);
}

/* A bridge's COMMAND and Secondary Bus Reset reach all behind it: no VM may be given a
 * bridge with another VM's device below it, however deep. Before, such a config ran. */

/* vpci_check_configs refuses cfgs, saying why. */
static void assert_configs_refused(const char *why)
{
	char err[200];

	assert_int_equal(vpci_check_configs(&cfgs, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, why);
}
static void test_bridge_above_another_vms_device_is_refused(void **state)
{
	char err[160];

	larger_tree();
	pci_enumerate(&plat.pci, &fake_ops);
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0028); /* 00:05.0, above 02:00.0 above 03:00.0 */
	give(1, "b", 0x0300);
	assert_configs_refused("vm 'a': pci-devices: 00:05.0 is a bridge above 03:00.0 of vm 'b'");
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0300);
	give(1, "b", 0x0200); /* the bridge right above, in the later VM */
	assert_configs_refused("vm 'b': pci-devices: 02:00.0 is a bridge above 03:00.0 of vm 'a'");
	/* The VM's own device below its bridge, and another VM's beside it: fine. */
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0200);
	give(0, "a", 0x0300);
	give(1, "b", 0x0038); /* 00:07.0 */
	assert_int_equal(vpci_check_configs(&cfgs, err, sizeof(err)), 0);
}

/*
 * DMA aliases (PCI Express to PCI/PCI-X Bridge 1.0, 2.3), as Linux's pci_for_each_dma_alias
 * and QEMU's SMMU see them: a QEMU pcie-pci-bridge at 00:06.0 with devices at 01:00.0,
 * 01:01.0, 01:02.0 and a conventional bridge at 01:03.0 with 02:02.0 behind it; a
 * conventional bridge at 00:07.0 with 03:05.0; a root port at 00:08.0 with 04:00.0; 00:02.0
 * on the root bus.
 */
static void aliased_tree(void)
{
	int x2p, inner, conv, rp;

	fk_fn(-1, 0, 0, 0x1b36, 0x0008, 0x060000);
	fk_fn(-1, 2, 0, 0x1b36, 0x0010, 0x010802);
	x2p = fk_bridge(-1, 6, false, true, true);
	fk_pcie(x2p, PCI_EXP_TYPE_PCI_BRIDGE);
	for (uint8_t d = 0; d < 3; d++)
		fk_fn(x2p, d, 0, 0x1af4, 0x1042, 0x010000);
	inner = fk_bridge(x2p, 3, false, false, false);
	fk_conventional(inner);
	fk_fn(inner, 2, 0, 0x1af4, 0x1042, 0x010000);
	conv = fk_bridge(-1, 7, false, false, false);
	fk_conventional(conv);
	fk_fn(conv, 5, 0, 0x1af4, 0x1042, 0x010000);
	rp = fk_bridge(-1, 8, false, false, false);
	fk_fn(rp, 0, 0, 0x1af4, 0x1042, 0x010000);
}

static void expect_alias(uint16_t bdf, uint16_t alias, bool nested)
{
	assert_true(dev(bdf)->has_alias);
	assert_int_equal(dev(bdf)->alias_rid, alias);
	assert_non_null(dev(bdf)->alias_bridge);
	assert_int_equal(dev(bdf)->nested_alias, nested);
	assert_true(dev(bdf)->has_alias_sid);
	assert_int_equal(dev(bdf)->alias_sid, alias); /* QEMU's iommu-map: StreamID = RID */
}

/* Before, no device had an alias: its DMA went out on a StreamID nothing configured. */
static void test_dma_aliases(void **state)
{
	aliased_tree();
	pci_enumerate(&plat.pci, &fake_ops);

	assert_int_equal(pci_count(), 12);
	expect_alias(0x0108, 0x0100, false); /* (secondary bus, 0, 0) of the pcie-pci-bridge */
	expect_alias(0x0110, 0x0100, false);
	expect_alias(0x0118, 0x0100, false); /* the conventional bridge behind it, too */
	expect_alias(0x0210, 0x0100, true);  /* 01:03.0's RID, then the topmost's */
	expect_alias(0x0328, 0x0038, false); /* a conventional bridge's own RID */
	assert_int_equal(dev(0x0108)->alias_bridge->bdf, 0x0030);
	assert_int_equal(dev(0x0210)->alias_bridge->bdf, 0x0030);
	assert_false(dev(0x0100)->has_alias); /* the alias is its own RID */
	assert_false(dev(0x0400)->has_alias); /* root ports forward RIDs as they are */
	assert_false(dev(0x0010)->has_alias);
	assert_false(dev(0x0030)->has_alias);
	expect_desc(0x0108, "PCI 01:01.0 [1af4:1042] class 010000, StreamID 0x108, DMA alias "
			    "01:00.0 (StreamID 0x100)");
	assert_int_equal(fake_log_count, 0);
}

/* Devices behind one PCIe-to-PCI bridge share its alias's stream: they go to one VM, and no
 * other VM's device may use that stream. Before, such configs ran. */
static void test_shared_alias_across_vms_is_refused(void **state)
{
	char err[200];

	aliased_tree();
	pci_enumerate(&plat.pci, &fake_ops);
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0108);
	give(1, "b", 0x0110);
	assert_configs_refused("vm 'a': pci-devices: 01:01.0 does its DMA as its alias "
				 "01:00.0, StreamID 0x100, which 01:02.0 of vm 'b' uses too");
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0010);
	give(1, "b", 0x0100); /* the device whose RID is the alias */
	give(0, "a", 0x0110);
	assert_configs_refused("vm 'a': pci-devices: 01:02.0 does its DMA as its alias "
				 "01:00.0, StreamID 0x100, which 01:00.0 of vm 'b' uses too");
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0210);
	assert_configs_refused("vm 'a': pci-devices: 02:02.0 is behind more than one aliasing "
				 "bridge (nested conventional PCI bridges): not supported");
	/* All of them in one VM, with or without a virtio-iommu: fine. */
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0100);
	give(0, "a", 0x0108);
	give(0, "a", 0x0110);
	give(1, "b", 0x0010);
	give(1, "b", 0x0328);
	assert_int_equal(vpci_check_configs(&cfgs, err, sizeof(err)), 0);
	cfgs.vm[0].virtio_iommu = true;
	assert_int_equal(vpci_check_configs(&cfgs, err, sizeof(err)), 0);
}

/* An alias outside iommu-map cannot be isolated; an alias whose StreamID is another RID's
 * would give a virtio-iommu two endpoints on one stream. */
static void test_alias_streams_are_checked(void **state)
{
	char err[200];

	plat.pci.iommu_map[0] = (struct plat_rid_map){ 0, plat.smmu.phandle, 0, 0x100 };
	plat.pci.iommu_map[1] = (struct plat_rid_map){ 0x101, plat.smmu.phandle, 0x101, 0xfeff };
	plat.pci.n_iommu_map = 2;
	aliased_tree();
	pci_enumerate(&plat.pci, &fake_ops);
	assert_int_equal(fake_log_count, 5); /* 01:00.0's own RID, then each alias: the last */
	assert_true(logged("PCI 02:02.0: its DMA alias 01:00.0 is not in 'iommu-map': its DMA "
			   "cannot be isolated\n"));
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0108);
	assert_configs_refused("vm 'a': pci-devices: 01:01.0 does its DMA as its alias "
				 "01:00.0, which has no StreamID in 'iommu-map'");

	plat.pci.iommu_map[2] = (struct plat_rid_map){ 0x100, plat.smmu.phandle, 0x10, 1 };
	plat.pci.n_iommu_map = 3; /* RID 01:00.0 -> StreamID 0x10, 00:02.0's */
	fake_reset(0);
	aliased_tree();
	pci_enumerate(&plat.pci, &fake_ops);
	cfgs = (struct vm_configs){ 0 };
	give(0, "a", 0x0010);
	give(0, "a", 0x0108);
	assert_int_equal(vpci_check_configs(&cfgs, err, sizeof(err)), 0);
	cfgs.vm[0].virtio_iommu = true;
	assert_configs_refused("vm 'a': pci-devices: RIDs 00:02.0 and 01:00.0 share StreamID "
				 "0x10, which its virtio-iommu cannot attach to two domains");
}

static unsigned filter(unsigned reg, unsigned size, u32 v, u16 cmd, struct vpci_write *w)
{
	memset(w, 0xa5, VPCI_MAX_WRITES * sizeof(*w));
	return vpci_filter_write(reg, size, v, cmd, w);
}

/* A guest's config writes reach its device byte by byte: a dword at 0x0c is cache line
 * size and latency timer, never header type and BIST (bit 6 of 0x0f starts a self-test);
 * a dword at 0x3c is the interrupt line, never the pin or a bridge's Bridge Control.
 * Before, both dwords went through whole. */
static void test_vpci_filters_writes_by_byte(void **state)
{
	struct vpci_write w[VPCI_MAX_WRITES];

	assert_int_equal(filter(0x0c, 4, 0x40ff2010, 0, w), 2);
	assert_int_equal(w[0].reg, 0x0c);
	assert_int_equal(w[0].size, 1);
	assert_int_equal(w[0].value, 0x10);
	assert_int_equal(w[1].reg, 0x0d);
	assert_int_equal(w[1].size, 1);
	assert_int_equal(w[1].value, 0x20);
	assert_int_equal(filter(0x3c, 4, 0x004001ab, 0, w), 1);
	assert_int_equal(w[0].reg, 0x3c);
	assert_int_equal(w[0].size, 1);
	assert_int_equal(w[0].value, 0xab);
	assert_int_equal(filter(0x0e, 2, 0x4001, 0, w), 0);
	assert_int_equal(filter(0x0f, 1, 0x40, 0, w), 0);
	assert_int_equal(filter(0x3e, 2, 0x0040, 0, w), 0);
	/* COMMAND: the guest's bits only, merged with the rest; STATUS bytes as they are. */
	assert_int_equal(filter(0x04, 4, 0xf900ffff, PCI_COMMAND_IO, w), 3);
	assert_int_equal(w[0].reg, 0x06);
	assert_int_equal(w[0].value, 0x00);
	assert_int_equal(w[1].reg, 0x07);
	assert_int_equal(w[1].value, 0xf9);
	assert_int_equal(w[2].reg, PCI_COMMAND);
	assert_int_equal(w[2].size, 2);
	assert_int_equal(w[2].value, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					     PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(filter(0x05, 1, 0x00, PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_MASTER, w), 1);
	assert_int_equal(w[0].value, PCI_COMMAND_MASTER);
	assert_int_equal(filter(0x00, 4, ~0U, 0, w), 0); /* IDs */
	assert_int_equal(filter(0x40, 4, ~0U, 0, w), 0); /* capabilities */
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_qemu_machine, setup),
		cmocka_unit_test_setup(test_larger_tree, setup),
		cmocka_unit_test_setup(test_32bit_window_only, setup),
		cmocka_unit_test_setup(test_bridge_window_too_big, setup),
		cmocka_unit_test_setup(test_bus_range, setup),
		cmocka_unit_test_setup(test_depth_limit, setup),
		cmocka_unit_test_setup(test_too_many_functions, setup),
		cmocka_unit_test_setup(test_bar_sizing, setup),
		cmocka_unit_test_setup(test_huge_bar, setup),
		cmocka_unit_test_setup(test_swizzle, setup),
		cmocka_unit_test_setup(test_intx_lookup, setup),
		cmocka_unit_test_setup(test_iommu_map_partial, setup),
		cmocka_unit_test_setup(test_no_interrupt_map, setup),
		cmocka_unit_test_setup(test_intx_unrouted, setup),
		cmocka_unit_test_setup(test_cfg_access, setup),
		cmocka_unit_test_setup(test_bus_master, setup),
		cmocka_unit_test_setup(test_bridge_above_another_vms_device_is_refused, setup),
		cmocka_unit_test_setup(test_dma_aliases, setup),
		cmocka_unit_test_setup(test_shared_alias_across_vms_is_refused, setup),
		cmocka_unit_test_setup(test_alias_streams_are_checked, setup),
		cmocka_unit_test(test_vpci_filters_writes_by_byte),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
