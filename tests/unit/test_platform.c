/*
 * Unit tests for core/platform/platform.c (device-tree discovery), on three kinds of trees:
 *  - real ones, dumped by QEMU (tests/unit/dtbs.mk): every value is checked against the
 *    QEMU source tree (hw/arm/virt.c layout, as decompiled by dtc);
 *  - QEMU's tree with one change written under tests/unit/dts/;
 *  - QEMU's tree edited here with libfdt, one case per error path of the discovery code.
 * Every tree is handed over in a buffer of exactly its size, so AddressSanitizer catches any
 * read past its end; two sweeps (every truncation, random bit flips) hammer that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/errno.h"
#include "core/platform/platform.h"
#include "drivers/pci/pci.h"
#include "test_util.h"

#define Q8 "qemu-smmu-smp8-4g"
#define Q1 "qemu-nosmmu-smp1-512m"
#define MSG_LEN PLAT_MSG_LEN

/* ---- discovering (loading, discover_ok, expect_warnings: test_util.h) ---- */

static void expect_err(const char *name, const char *msg)
{
	static struct platform p;
	char err[MSG_LEN];

	assert_int_equal(discover_file(name, &p, err), -E_INVAL);
	assert_string_equal(err, msg);
}

/* ---- edits made with libfdt ---- */

enum edit_op { END, SET, DEL, DELNODE, ADDNODE, RENAME, RSV };

struct edit {
	enum edit_op op;
	const char *path;
	const char *name; /* property (SET, DEL), new node name (ADDNODE, RENAME) */
	const char *ref;  /* SET: the first cell is this node's phandle */
	const char *raw;  /* SET: these bytes rather than cells */
	int raw_len;
	uint32_t cells[36];
	int n;
	uint64_t addr, size; /* RSV */
};

#define NCELLS(...) ((int)(sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)))
#define SET(p, prop, ...) { .op = SET, .path = p, .name = prop, .cells = { __VA_ARGS__ }, \
			    .n = NCELLS(__VA_ARGS__) }
#define REF(p, prop, r, ...) { .op = SET, .path = p, .name = prop, .ref = r, \
			       .cells = { 0, __VA_ARGS__ }, .n = NCELLS(0, __VA_ARGS__) }
/* A string (list) with its final NUL, or raw bytes. */
#define STR(p, prop, s) { .op = SET, .path = p, .name = prop, .raw = s, .raw_len = sizeof(s) }
#define RAW(p, prop, s, l) { .op = SET, .path = p, .name = prop, .raw = s, .raw_len = l }
#define DEL(p, prop) { .op = DEL, .path = p, .name = prop }
#define DELNODE(p) { .op = DELNODE, .path = p }
#define ADDNODE(p, n) { .op = ADDNODE, .path = p, .name = n }
#define RENAME(p, n) { .op = RENAME, .path = p, .name = n }
#define MEMRSV(a, s) { .op = RSV, .addr = a, .size = s }

static uint32_t phandle_of(void *fdt, const char *path)
{
	uint32_t ph = fdt_get_phandle(fdt, fdt_path_offset(fdt, path));

	if (!ph)
		fail_msg("%s has no phandle", path);
	return ph;
}

static int set_prop(void *fdt, int node, const struct edit *e)
{
	fdt32_t be[36];

	if (e->raw)
		return fdt_setprop(fdt, node, e->name, e->raw, e->raw_len);
	for (int i = 0; i < e->n; i++)
		be[i] = cpu_to_fdt32(i == 0 && e->ref ? phandle_of(fdt, e->ref) : e->cells[i]);
	return fdt_setprop(fdt, node, e->name, be, e->n * 4);
}

static void apply(void *fdt, const struct edit *e)
{
	int node = e->path ? fdt_path_offset(fdt, e->path) : 0;
	int ret = node;

	if (node < 0)
		fail_msg("edit: no node %s", e->path);
	switch (e->op) {
	case SET: ret = set_prop(fdt, node, e); break;
	case DEL: ret = fdt_delprop(fdt, node, e->name); break;
	case DELNODE: ret = fdt_del_node(fdt, node); break;
	case ADDNODE: ret = fdt_add_subnode(fdt, node, e->name); break;
	case RENAME: ret = fdt_set_name(fdt, node, e->name); break;
	case RSV: ret = fdt_add_mem_rsv(fdt, e->addr, e->size); break;
	case END: break;
	}
	if (ret < 0)
		fail_msg("edit of %s %s: %s", e->path, e->name, fdt_strerror(ret));
}

/* base with the edits applied, packed, in a buffer of exactly its size. */
static void *edited(const char *base, const struct edit *edits, size_t *size)
{
	size_t bsize;
	void *b = load_dtb(base, &bsize);
	size_t room = fdt_totalsize(b) + 65536;
	void *w = malloc(room), *out;

	assert_int_equal(fdt_open_into(b, w, (int)room), 0);
	for (; edits->op != END; edits++)
		apply(w, edits);
	assert_int_equal(fdt_pack(w), 0);
	*size = fdt_totalsize(w);
	out = malloc(*size);
	memcpy(out, w, *size);
	free(b);
	free(w);
	return out;
}

static int discover_edited(const char *base, const struct edit *edits, struct platform *p,
			   char *err)
{
	size_t size;
	void *fdt = edited(base, edits, &size);
	int ret = platform_discover(fdt, size, p, err, MSG_LEN);

	free(fdt);
	return ret;
}

static void edited_ok(const char *base, const struct edit *edits, struct platform *p)
{
	char err[MSG_LEN];

	if (discover_edited(base, edits, p, err) != 0)
		fail_msg("%s (edited): %s", base, err);
}
#define EDITS(...) ((const struct edit[]){ __VA_ARGS__, { .op = END } })

/* ---- real QEMU trees ---- */

/* QEMU virt, GICv3 + ITS, SMMUv3, 8 CPUs, 4 GiB: every value against the tree's source. */
static void test_qemu_smmu_smp8_4g(void **state)
{
	static struct platform p;

	discover_ok(Q8, &p);
	assert_string_equal(p.model, "linux,dummy-virt");
	assert_int_equal(p.n_mem, 1);
	expect_range(p.mem[0], 0x40000000, 0x100000000); /* reg = <0 0x40000000 1 0> */
	assert_int_equal(p.n_resv, 0);
	assert_int_equal(p.n_cpus, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(p.cpu_mpidr[i], i);
	assert_int_equal(p.psci, PSCI_SMC);

	/* intc@8000000: reg = <dist 0x8000000 0x10000> <redist 0x80a0000 0xf60000> */
	assert_int_equal(p.gic.dist.v, 0x08000000);
	assert_int_equal(p.gic.dist_size, 0x10000);
	assert_int_equal(p.gic.n_redist, 1);
	expect_range(p.gic.redist[0], 0x080a0000, 0xf60000);
	assert_int_equal(p.gic.redist_stride, 0);
	assert_int_equal(p.gic.maint_irq, 25); /* <1 9 4>: PPI 9 */
	assert_true(p.gic.has_its);
	assert_int_equal(p.gic.its.v, 0x08080000);

	assert_string_equal(p.uart.compatible, "arm,pl011");
	assert_int_equal(p.uart.base.v, 0x09000000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart.irq, 33); /* <0 1 4>: SPI 1 */
	assert_int_equal(p.uart.reg_shift, 0);
	assert_int_equal(p.uart.reg_io_width, 4);

	/* timer: <1 13 4> <1 14 4> <1 11 4> <1 10 4> (then hyp-virt <1 12 4>) */
	assert_int_equal(p.timer.sec_phys_irq, 29);
	assert_int_equal(p.timer.phys_irq, 30);
	assert_int_equal(p.timer.virt_irq, 27);
	assert_int_equal(p.timer.hyp_phys_irq, 26);
	assert_int_equal(p.timer.clock_frequency, 0);

	/* smmuv3@9050000: SPIs 0x4a..0x4d named eventq, priq, cmdq-sync, gerror */
	assert_true(p.smmu.present);
	assert_int_equal(p.smmu.base.v, 0x09050000);
	assert_int_equal(p.smmu.size, 0x20000);
	assert_int_equal(p.smmu.irq_eventq, 0x4a + 32);
	assert_int_equal(p.smmu.irq_priq, 0x4b + 32);
	assert_int_equal(p.smmu.irq_cmdq_sync, 0x4c + 32);
	assert_int_equal(p.smmu.irq_gerror, 0x4d + 32);
	assert_int_not_equal(p.smmu.phandle, 0);
	assert_true(p.smmu.dma_coherent);

	/* pcie@10000000: ECAM at 0x40_1000_0000 (highmem), three windows, iommu-map to smmu */
	assert_true(p.pci.present);
	assert_int_equal(p.pci.ecam.v, 0x4010000000);
	assert_int_equal(p.pci.ecam_size, 0x10000000);
	assert_int_equal(p.pci.bus_start, 0);
	assert_int_equal(p.pci.bus_end, 255);
	assert_int_equal(p.pci.n_ranges, 3);
	assert_int_equal(p.pci.ranges[0].space, 1);
	assert_int_equal(p.pci.ranges[0].pci_addr, 0);
	assert_int_equal(p.pci.ranges[0].cpu_addr.v, 0x3eff0000);
	assert_int_equal(p.pci.ranges[0].size, 0x10000);
	assert_int_equal(p.pci.ranges[1].space, 2);
	assert_int_equal(p.pci.ranges[1].pci_addr, 0x10000000);
	assert_int_equal(p.pci.ranges[1].cpu_addr.v, 0x10000000);
	assert_int_equal(p.pci.ranges[1].size, 0x2eff0000);
	assert_int_equal(p.pci.ranges[2].space, 3);
	assert_false(p.pci.ranges[2].prefetchable);
	assert_int_equal(p.pci.ranges[2].pci_addr, 0x8000000000);
	assert_int_equal(p.pci.ranges[2].cpu_addr.v, 0x8000000000);
	assert_int_equal(p.pci.ranges[2].size, 0x8000000000);
	assert_int_equal(p.pci.n_iommu_map, 1);
	assert_int_equal(p.pci.iommu_map[0].rid_base, 0);
	assert_int_equal(p.pci.iommu_map[0].target_phandle, p.smmu.phandle);
	assert_int_equal(p.pci.iommu_map[0].out_base, 0);
	assert_int_equal(p.pci.iommu_map[0].length, 0x10000);
	assert_true(p.pci.dma_coherent); /* inherited from the root's dma-coherent */
	/* interrupt-map-mask <0x1800 0 0 7>; interrupt-map: slot s (of 4), pin p -> SPI
	 * 3 + (s + p - 1) % 4, as level-high <0 spi 4> after a 2-cell parent unit address */
	assert_int_equal(p.pci.intx_mask[0], 0x1800);
	assert_int_equal(p.pci.intx_mask[1], 0);
	assert_int_equal(p.pci.intx_mask[2], 0);
	assert_int_equal(p.pci.intx_mask[3], 7);
	assert_int_equal(p.pci.n_intx_map, 16);
	for (unsigned i = 0; i < 16; i++) {
		unsigned slot = i / 4, pin = i % 4 + 1;

		assert_int_equal(p.pci.intx_map[i].child[0], slot << 11);
		assert_int_equal(p.pci.intx_map[i].child[1], 0);
		assert_int_equal(p.pci.intx_map[i].child[2], 0);
		assert_int_equal(p.pci.intx_map[i].child[3], pin);
		assert_int_equal(p.pci.intx_map[i].intid, 32 + 3 + (slot + pin - 1) % 4);
	}
	NO_WARNINGS(&p);
}

/* No SMMU, one CPU, 512 MiB: no iommu-map either; the only warning is the SMMU's. */
static void test_qemu_nosmmu_smp1_512m(void **state)
{
	static struct platform p;

	discover_ok(Q1, &p);
	assert_int_equal(p.n_mem, 1);
	expect_range(p.mem[0], 0x40000000, 0x20000000);
	assert_int_equal(p.n_cpus, 1);
	assert_int_equal(p.cpu_mpidr[0], 0);
	assert_false(p.smmu.present);
	assert_true(p.pci.present);
	assert_int_equal(p.pci.n_iommu_map, 0);
	assert_int_equal(p.pci.n_intx_map, 16);
	assert_int_equal(p.gic.redist[0].base.v, 0x080a0000);
	WARNINGS(&p, "no SMMUv3: DMA from devices is not isolated");
}

/* 130 CPUs: capped to MAX_CPUS, and QEMU adds a second redistributor region (high). */
static void test_qemu_smp130(void **state)
{
	static struct platform p;

	discover_ok("qemu-smmu-smp130", &p);
	assert_int_equal(p.n_cpus, MAX_CPUS);
	assert_int_equal(p.cpu_mpidr[MAX_CPUS - 1], MAX_CPUS - 1);
	assert_int_equal(p.gic.n_redist, 2);
	expect_range(p.gic.redist[0], 0x080a0000, 0xf60000);
	expect_range(p.gic.redist[1], 0x4000000000, 0x4000000);
	WARNINGS(&p, "/cpus: 130 CPUs: only the first 16 are used");
}

static void test_qemu_gicv2(void **state)
{
	expect_err("qemu-gicv2",
		   "/intc@8000000: arm,cortex-a15-gic (GICv2) is unsupported: a GICv3 is needed");
}

/* ---- trees from tests/unit/dts ---- */

static void test_truncated(void **state)
{
	expect_err("truncated", "DTB: totalsize 1048576 exceeds the 2000 bytes available");
}

static void test_cpu_noreg(void **state)
{
	expect_err("cpu-noreg", "/cpus/cpu@0: missing 'reg'");
}

static void test_root_cells3(void **state)
{
	expect_err("root-cells3", "/: '#address-cells' is 3, expected 1 or 2");
}

static void test_gic_reg7(void **state)
{
	expect_err("gic-reg7", "/intc@8000000: 'reg' has 7 cells, expected a multiple of 4");
}

static void test_no_stdout(void **state)
{
	static struct platform p;

	discover_ok("no-stdout", &p);
	assert_int_equal(p.uart.base.v, 0x09000000);
	WARNINGS(&p, "/pl011@9000000: no /chosen 'stdout-path': using this arm,pl011");
}

static void test_stdout_alias(void **state)
{
	static struct platform p;

	discover_ok("stdout-alias", &p);
	assert_string_equal(p.uart.compatible, "arm,pl011");
	assert_int_equal(p.uart.base.v, 0x09000000);
	NO_WARNINGS(&p);
}

static void test_no_uart(void **state)
{
	expect_err("no-uart", "no UART: no /chosen 'stdout-path' and no arm,pl011");
}

static void test_memmap(void **state)
{
	static struct platform p;

	discover_ok("memmap", &p);
	assert_int_equal(p.n_mem, 3);
	expect_range(p.mem[0], 0x80000000, 0x40000000);
	expect_range(p.mem[1], 0x880000000, 0x80000000);
	expect_range(p.mem[2], 0x900000000, 0x40000000);
	assert_int_equal(p.n_resv, 4);
	expect_range(p.resv[0], 0x880000000, 0x10000); /* /memreserve/ */
	expect_range(p.resv[1], 0x80000000, 0x200000); /* tf-a, one-cell reg */
	expect_range(p.resv[2], 0xbe000000, 0x1000000); /* optee, two entries */
	expect_range(p.resv[3], 0xbf000000, 0x400000);
	WARNINGS(&p, "/reserved-memory/linux,cma: no 'reg' (dynamic allocation), skipped");
}

static void test_cpus_hvc(void **state)
{
	static const uint64_t mpidr[] = { 0x0, 0x1, 0x100, 0x101,
					  0x10000, 0x10100, 0x100000000, 0xff00ffffff };
	static struct platform p;

	discover_ok("cpus-hvc", &p);
	assert_int_equal(p.psci, PSCI_HVC);
	assert_int_equal(p.n_cpus, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(p.cpu_mpidr[i], mpidr[i]);
}

static void test_smmu_disabled(void **state)
{
	static struct platform p;

	discover_ok("smmu-disabled", &p);
	assert_false(p.smmu.present);
	assert_int_equal(p.smmu.base.v, 0);
	WARNINGS(&p, "no SMMUv3: DMA from devices is not isolated");
}

static void test_soc_bus(void **state)
{
	static struct platform p;

	discover_ok("soc-bus", &p);
	assert_string_equal(p.uart.compatible, "ns16550a");
	assert_int_equal(p.uart.base.v, 0x09001000); /* 0x1000 through ranges 0 -> 0x9000000 */
	assert_int_equal(p.uart.size, 0x100);
	assert_int_equal(p.uart.irq, 40); /* SPI 8 */
	assert_int_equal(p.uart.reg_shift, 2);
	assert_int_equal(p.uart.reg_io_width, 4);
	NO_WARNINGS(&p);
}

/* ---- trees edited here: accepted, with the values or warnings the edit causes ---- */

static void test_psci_variants(void **state)
{
	static struct platform p;

	edited_ok(Q8, EDITS(STR("/psci", "compatible", "arm,psci")), &p);
	assert_int_equal(p.psci, PSCI_NONE);
	WARNINGS(&p, "PSCI 0.1 only (firmware-specific function IDs): not used");
	edited_ok(Q8, EDITS(DELNODE("/psci")), &p);
	WARNINGS(&p, "no PSCI: secondary CPUs cannot be started");
	edited_ok(Q1, EDITS(DELNODE("/psci")), &p); /* one CPU: nothing to start */
	WARNINGS(&p, "no SMMUv3: DMA from devices is not isolated");
}

static void test_extended_intids(void **state)
{
	static struct platform p;

	edited_ok(Q8, EDITS(SET("/pl011@9000000", "interrupts", 2, 5, 4)), &p);
	assert_int_equal(p.uart.irq, 4096 + 5);
	edited_ok(Q8, EDITS(SET("/pl011@9000000", "interrupts", 3, 63, 4)), &p);
	assert_int_equal(p.uart.irq, 1056 + 63);
}

/* [TIMER] interrupt-names without "sec-phys", plus clock-frequency. */
static void test_timer_by_name(void **state)
{
	static struct platform p;

	edited_ok(Q8,
		  EDITS(STR("/timer", "interrupt-names", "phys\0virt\0hyp-phys\0hyp-virt"),
			SET("/timer", "interrupts", 1, 14, 4, 1, 11, 4, 1, 10, 4, 1, 12, 4),
			SET("/timer", "clock-frequency", 62500000)),
		  &p);
	assert_int_equal(p.timer.sec_phys_irq, 0);
	assert_int_equal(p.timer.phys_irq, 30);
	assert_int_equal(p.timer.virt_irq, 27);
	assert_int_equal(p.timer.hyp_phys_irq, 26);
	assert_int_equal(p.timer.clock_frequency, 62500000);
}

static void test_gic_stride(void **state)
{
	static struct platform p;

	edited_ok(Q8, EDITS(SET("/intc@8000000", "redistributor-stride", 0, 0x40000)), &p);
	assert_int_equal(p.gic.redist_stride, 0x40000);
}

static void test_linux_stdout_path(void **state)
{
	static struct platform p;

	edited_ok(Q8,
		  EDITS(DEL("/chosen", "stdout-path"),
			STR("/chosen", "linux,stdout-path", "/pl011@9000000")),
		  &p);
	assert_int_equal(p.uart.base.v, 0x09000000);
	NO_WARNINGS(&p);
}

/* [SMMU] "combined" stands in for every interrupt not named on its own. */
static void test_smmu_combined(void **state)
{
	static struct platform p;

	edited_ok(Q8,
		  EDITS(STR("/smmuv3@9050000", "interrupt-names", "gerror\0combined"),
			SET("/smmuv3@9050000", "interrupts", 0, 0x4d, 1, 0, 0x4a, 1)),
		  &p);
	assert_int_equal(p.smmu.irq_gerror, 0x4d + 32);
	assert_int_equal(p.smmu.irq_eventq, 0x4a + 32);
	assert_int_equal(p.smmu.irq_priq, 0x4a + 32);
	assert_int_equal(p.smmu.irq_cmdq_sync, 0x4a + 32);
}

/* dma-noncoherent on the node wins over the root's dma-coherent. */
static void test_smmu_noncoherent(void **state)
{
	static struct platform p;

	edited_ok(Q8,
		  EDITS(DEL("/smmuv3@9050000", "dma-coherent"),
			RAW("/smmuv3@9050000", "dma-noncoherent", "", 0)),
		  &p);
	assert_false(p.smmu.dma_coherent);
	assert_true(p.pci.dma_coherent);
}

/* Only one SMMUv3 is used: the first in the tree (libfdt adds a node as the first child). */
static void test_second_smmu(void **state)
{
	static struct platform p;

	edited_ok(Q8,
		  EDITS(ADDNODE("/", "iommu@9070000"),
			STR("/iommu@9070000", "compatible", "arm,smmu-v3"),
			SET("/iommu@9070000", "reg", 0, 0x9070000, 0, 0x20000)),
		  &p);
	assert_int_equal(p.smmu.base.v, 0x09070000);
	assert_int_equal(p.smmu.irq_eventq, 0);
	WARNINGS(&p, "/smmuv3@9050000: second SMMUv3 not used: DMA through it is not isolated");
}

static void test_pci_optional_parts(void **state)
{
	static struct platform p;

	edited_ok(Q8, EDITS(DELNODE("/pcie@10000000")), &p);
	assert_false(p.pci.present);
	WARNINGS(&p, "no PCIe host (pci-host-ecam-generic): no PCI devices");
	edited_ok(Q8, EDITS(DEL("/pcie@10000000", "bus-range"), DEL("/pcie@10000000", "iommu-map")),
		  &p);
	assert_int_equal(p.pci.bus_start, 0);
	assert_int_equal(p.pci.bus_end, 255);
	WARNINGS(&p, "/pcie@10000000: no 'bus-range': assuming buses 0-255",
		 "/pcie@10000000: no 'iommu-map': PCI DMA does not go through the SMMU");
	edited_ok(Q8, EDITS(SET("/pcie@10000000", "bus-range", 0, 15),
			    SET("/pcie@10000000", "iommu-map-mask", 0xffff)), &p);
	assert_int_equal(p.pci.bus_end, 15);
	/* phys.hi 0x43000000: prefetchable (bit 30) 64-bit memory (space 3) */
	edited_ok(Q8, EDITS(SET("/pcie@10000000", "ranges", 0x43000000, 0x90, 0, 0x80, 0, 0x1, 0)),
		  &p);
	assert_int_equal(p.pci.n_ranges, 1);
	assert_int_equal(p.pci.ranges[0].space, 3);
	assert_true(p.pci.ranges[0].prefetchable);
	assert_int_equal(p.pci.ranges[0].pci_addr, 0x9000000000);
	assert_int_equal(p.pci.ranges[0].cpu_addr.v, 0x8000000000);
	assert_int_equal(p.pci.ranges[0].size, 0x100000000);
}

/* The phandle of a node of QEMU's tree, for edits that reference it past their first cell. */
static uint32_t q8_phandle(const char *path)
{
	size_t size;
	void *fdt = load_dtb(Q8, &size);
	uint32_t ph = phandle_of(fdt, path);

	free(fdt);
	return ph;
}

#define PCIE "/pcie@10000000"
#define GIC "/intc@8000000"

/* [DT] 2.4.3: interrupt-map-mask is optional, and the GIC's unit address may take 0 cells. */
static void test_pci_intx_variants(void **state)
{
	static struct platform p;
	uint32_t gic = q8_phandle(GIC);

	edited_ok(Q8, EDITS(DEL(PCIE, "interrupt-map")), &p);
	assert_int_equal(p.pci.n_intx_map, 0);
	assert_true(p.pci.present);
	WARNINGS(&p, "/pcie@10000000: no 'interrupt-map': PCI INTx interrupts are not routed");
	edited_ok(Q8, EDITS(RAW(PCIE, "interrupt-map", "", 0)), &p);
	assert_int_equal(p.pci.n_intx_map, 0);
	edited_ok(Q8, EDITS(DEL(PCIE, "interrupt-map-mask")), &p);
	assert_int_equal(p.pci.intx_mask[0], 0xffffffff);
	assert_int_equal(p.pci.intx_mask[3], 0xffffffff);
	assert_int_equal(p.pci.n_intx_map, 16);
	/* no ITS, so nothing else reads the GIC's #address-cells: 0, and 8-cell entries */
	edited_ok(Q8,
		  EDITS(DELNODE(GIC "/its@8080000"), SET(GIC, "#address-cells", 0),
			SET(PCIE, "interrupt-map", 0x800, 0, 0, 2, gic, 0, 7, 4, 0x1000, 0, 0, 1,
			    gic, 2, 9, 1)),
		  &p);
	assert_int_equal(p.pci.n_intx_map, 2);
	assert_int_equal(p.pci.intx_map[0].child[0], 0x800);
	assert_int_equal(p.pci.intx_map[0].child[3], 2);
	assert_int_equal(p.pci.intx_map[0].intid, 32 + 7);
	assert_int_equal(p.pci.intx_map[1].intid, 4096 + 9); /* extended SPI */
	assert_int_equal(p.pci.n_msi_map, 0);
	WARNINGS(&p, "/pcie@10000000: no ITS (arm,gic-v3-its): PCI devices have INTx only, no MSI");
}

/* [PCIMSI] QEMU's msi-map (every RID to the same DeviceID), msi-parent instead, entries that
 * name another controller, and a host with neither. */
static void test_pci_msi_map(void **state)
{
	static struct platform p;
	uint32_t its = q8_phandle(GIC "/its@8080000"), gic = q8_phandle(GIC);
	u32 devid;

	edited_ok(Q8, EDITS(SET(PCIE, "msi-map", 0, its, 0, 0x10000)), &p);
	assert_int_equal(p.gic.its_phandle, its);
	assert_int_equal(p.pci.n_msi_map, 1);
	assert_int_equal(pci_rid_to_devid(&p.pci, 0x18, &devid), 0);
	assert_int_equal(devid, 0x18);
	NO_WARNINGS(&p);
	/* An offset map, and one entry for another controller: dropped, said. */
	edited_ok(Q8, EDITS(SET(PCIE, "msi-map", 0, its, 0x1000, 0x100, 0x100, gic, 0, 0x100)), &p);
	assert_int_equal(p.pci.n_msi_map, 1);
	assert_int_equal(pci_rid_to_devid(&p.pci, 0x18, &devid), 0);
	assert_int_equal(devid, 0x1018);
	assert_int_equal(pci_rid_to_devid(&p.pci, 0x118, &devid), -E_NOENT);
	WARNINGS(&p, "/pcie@10000000: 'msi-map' entry 1 names no ITS of the GIC: RIDs 0x100+0x100 "
		     "have no MSI");
	/* msi-parent: the DeviceID is the RID. */
	edited_ok(Q8, EDITS(DEL(PCIE, "msi-map"), SET(PCIE, "msi-parent", its)), &p);
	assert_int_equal(pci_rid_to_devid(&p.pci, 0xff08, &devid), 0);
	assert_int_equal(devid, 0xff08);
	edited_ok(Q8, EDITS(DEL(PCIE, "msi-map")), &p);
	assert_int_equal(p.pci.n_msi_map, 0);
	WARNINGS(&p, "/pcie@10000000: no 'msi-map' or 'msi-parent': PCI devices have INTx only");
}

/* interrupt-map errors whose cells need a phandle from the tree, or more cells than an edit
 * holds. */
static void test_pci_intx_errors(void **state)
{
	static struct platform p;
	uint32_t gic = q8_phandle(GIC), gpio = q8_phandle("/pl061@9030000");
	fdt32_t big[(PLAT_MAX_INTX_MAP + 1) * 10];
	char err[MSG_LEN];

	assert_int_equal(discover_edited(Q8, EDITS(SET(PCIE, "interrupt-map", 0, 0, 0, 1, gic, 0,
						       0, 0, 3)), &p, err), -E_INVAL);
	assert_string_equal(err, "/pcie@10000000: 'interrupt-map' entry 0 is truncated");
	assert_int_equal(discover_edited(Q8, EDITS(SET(PCIE, "interrupt-map", 0, 0, 0, 1, gic, 0,
						       0, 0, 3, 4, 0x800, 0, 0, 1, gic)),
					 &p, err), -E_INVAL);
	assert_string_equal(err, "/pcie@10000000: 'interrupt-map' entry 1 is truncated");
	assert_int_equal(discover_edited(Q8, EDITS(SET(PCIE, "interrupt-map", 0, 0, 0, 1, gpio, 0,
						       0, 0, 3, 4)), &p, err), -E_INVAL);
	assert_string_equal(err, "/pcie@10000000: 'interrupt-map' entry 0: interrupt parent is not "
				 "the GICv3");
	assert_int_equal(discover_edited(Q8, EDITS(SET(PCIE, "interrupt-map", 0, 0, 0, 1, gic, 0,
						       0, 0, 3, 4, 0, 0, 0, 2, gic, 0, 0, 5, 3, 4)),
					 &p, err), -E_INVAL);
	assert_string_equal(err, "/pcie@10000000: interrupt 1 has type 5, expected 0..3");
	for (unsigned i = 0; i < PLAT_MAX_INTX_MAP + 1; i++) {
		const uint32_t e[10] = { i << 11, 0, 0, 1, gic, 0, 0, 0, 3, 4 };

		for (unsigned k = 0; k < 10; k++)
			big[10 * i + k] = cpu_to_fdt32(e[k]);
	}
	assert_int_equal(discover_edited(Q8, EDITS(RAW(PCIE, "interrupt-map", (const char *)big,
						       sizeof(big))), &p, err), -E_INVAL);
	assert_string_equal(err, "/pcie@10000000: 'interrupt-map' has more than 32 entries");
	/* exactly 32 are accepted */
	assert_int_equal(discover_edited(Q8, EDITS(RAW(PCIE, "interrupt-map", (const char *)big,
						       sizeof(big) - 40)), &p, err), 0);
	assert_int_equal(p.pci.n_intx_map, PLAT_MAX_INTX_MAP);
	assert_int_equal(p.pci.intx_map[31].child[0], 31 << 11);
}

/* Fill e (a SET of 'reg') with 9 banks of 256 MiB at (hi + i) << 32. */
static void nine_banks(struct edit *e, const char *path, uint32_t hi)
{
	*e = (struct edit){ .op = SET, .path = path, .name = "reg", .n = 36 };
	for (uint32_t i = 0; i < 9; i++) {
		e->cells[4 * i] = hi + i;
		e->cells[4 * i + 3] = 0x10000000;
	}
}

/* More than PLAT_MAX_MEM ranges: the first ones are used, with a warning. */
static void test_memory_cap(void **state)
{
	static struct platform p;
	struct edit e[5] = { ADDNODE("/", "memory@1000000000"),
			     STR("/memory@1000000000", "device_type", "memory") };

	nine_banks(&e[2], "/memory@1000000000", 0x10);
	nine_banks(&e[3], "/memory@40000000", 0x1);
	edited_ok(Q8, e, &p);
	/* the added node comes first in the tree: its 9 ranges, then 7 of the other's */
	assert_int_equal(p.n_mem, PLAT_MAX_MEM);
	expect_range(p.mem[0], 0x1000000000, 0x10000000);
	expect_range(p.mem[8], 0x1800000000, 0x10000000);
	expect_range(p.mem[15], 0x700000000, 0x10000000);
	WARNINGS(&p, "/memory@40000000: more than 16 memory ranges: the rest is not used");
}

/* Past PLAT_MAX_WARN warnings the rest are dropped, and nothing overflows. */
static void test_warning_cap(void **state)
{
	static struct platform p;
	struct edit e[PLAT_MAX_WARN + 3] = { { .op = END } };
	char names[PLAT_MAX_WARN + 2][16];

	/* 10 children without 'reg', each added as the first: pool9 comes first */
	for (int i = 0; i < PLAT_MAX_WARN + 2; i++) {
		snprintf(names[i], sizeof(names[i]), "pool%d", i);
		e[i] = (struct edit)ADDNODE("/reserved-memory", names[i]);
	}
	edited_ok("memmap", e, &p);
	assert_int_equal(p.n_warn, PLAT_MAX_WARN);
	assert_string_equal(p.warn[0],
			    "/reserved-memory/pool9: no 'reg' (dynamic allocation), skipped");
	assert_string_equal(p.warn[PLAT_MAX_WARN - 1],
			    "/reserved-memory/pool2: no 'reg' (dynamic allocation), skipped");
}

/* ---- trees edited here: rejected, with exactly this message ---- */

struct bad_case {
	const char *name;
	const char *base;
	struct edit edits[5];
	const char *err;
};

#define LONG_NAME "cpu-with-a-name-far-longer-than-any-real-tree-would-ever-use-so-that-" \
		  "its-path-does-not-fit-in-a-message-of-one-hundred-and-twenty-eight-bytes@0"

static const struct bad_case bad_cases[] = {
	/* cells and properties */
	{ "address-cells-2-cells", Q8, { SET("/", "#address-cells", 2, 2) },
	  "/: '#address-cells' has 2 cells, expected 1" },
	{ "size-cells-3", Q8, { SET("/", "#size-cells", 3) },
	  "/: '#size-cells' is 3, expected 1 or 2" },
	{ "reg-13-bytes", Q8, { RAW("/pl011@9000000", "reg", "0123456789abc", 13) },
	  "/pl011@9000000: 'reg' is 13 bytes, not a whole number of cells" },
	{ "reg-empty", Q8, { RAW("/pl011@9000000", "reg", "", 0) },
	  "/pl011@9000000: 'reg' is empty" },
	{ "reg-missing", Q8, { DEL("/pl011@9000000", "reg") }, "/pl011@9000000: missing 'reg'" },
	{ "reg-size-0", Q8, { SET("/smmuv3@9050000", "reg", 0, 0x9050000, 0, 0) },
	  "/smmuv3@9050000: 'reg' entry 0 has size 0" },
	{ "reg-wraps", Q8, { SET("/memory@40000000", "reg", 0xffffffff, 0xffff0000, 0, 0x20000) },
	  "/memory@40000000: 'reg' entry 0 wraps around the address space" },
	{ "model-unterminated", Q8, { RAW("/", "model", "abc", 3) },
	  "/: 'model' is not a NUL-terminated string" },
	{ "long-path", Q8, { RENAME("/cpus/cpu@0", LONG_NAME), DEL("/cpus/" LONG_NAME, "reg") },
	  ".../cpu-with-a-name-far-longer-than-any-real-tree-wo: missing 'reg'" },
	{ "root-as-device", Q8,
	  { DEL("/chosen", "stdout-path"), DELNODE("/pl011@9000000"),
	    STR("/", "compatible", "arm,pl011") },
	  "/: has no parent node" },
	/* translation through 'ranges' */
	{ "bus-without-ranges", Q8, { DEL("/intc@8000000", "ranges") },
	  "/intc@8000000: no 'ranges': its children are not memory mapped" },
	{ "ranges-miss", "soc-bus", { SET("/soc@9000000", "ranges", 0, 0, 0x9000000, 0x1000) },
	  "/soc@9000000: 'ranges' does not map 0x1000" },
	{ "ranges-wrap", "soc-bus",
	  { SET("/soc@9000000", "ranges", 0, 0xffffffff, 0xfffff000, 0x100000) },
	  "/soc@9000000: 'ranges' entry 0 wraps around the address space" },
	{ "ranges-cells", "soc-bus", { SET("/soc@9000000", "ranges", 0, 0, 0x9000000) },
	  "/soc@9000000: 'ranges' has 3 cells, expected a multiple of 4" },
	/* memory and reservations */
	{ "no-memory", Q8, { DELNODE("/memory@40000000") },
	  "no memory: no enabled node with device_type \"memory\"" },
	{ "memreserve-wraps", Q8, { MEMRSV(0xffffffffffff0000, 0x20000) },
	  "/memreserve/ entry 0 wraps around the address space" },
	/* CPUs and PSCI */
	{ "no-cpus", Q8, { DELNODE("/cpus") }, "no /cpus node" },
	{ "no-cpu-nodes", Q1, { DELNODE("/cpus/cpu@0") },
	  "/cpus: no node with device_type \"cpu\"" },
	{ "cpus-address-cells-3", Q8, { SET("/cpus", "#address-cells", 3) },
	  "/cpus: '#address-cells' is 3, expected 1 or 2" },
	{ "cpus-size-cells-1", Q8, { SET("/cpus", "#size-cells", 1) },
	  "/cpus: '#size-cells' is 1, expected 0" },
	{ "cpu-reg-2-entries", Q8, { SET("/cpus/cpu@1", "reg", 1, 2) },
	  "/cpus/cpu@1: 'reg' has 2 entries, expected 1" },
	{ "cpu-reg-not-affinity", Q8, { SET("/cpus/cpu@1", "reg", 0x01000000) },
	  "/cpus/cpu@1: 'reg' has bits outside the MPIDR_EL1 affinity fields" },
	{ "cpu-duplicate", Q8, { SET("/cpus/cpu@1", "reg", 0) },
	  "/cpus/cpu@1: MPIDR 0x0 is also CPU 0's" },
	{ "psci-no-method", Q8, { DEL("/psci", "method") }, "/psci: missing 'method'" },
	{ "psci-bad-method", Q8, { STR("/psci", "method", "svc") },
	  "/psci: 'method' is \"svc\", expected \"smc\" or \"hvc\"" },
	/* GIC */
	{ "gic-disabled", Q8, { STR("/intc@8000000", "status", "disabled") },
	  "no GICv3: no enabled node compatible with \"arm,gic-v3\"" },
	{ "gic-4-cells", Q8, { SET("/intc@8000000", "#interrupt-cells", 4) },
	  "/intc@8000000: '#interrupt-cells' is 4, expected 3" },
	{ "gic-9-regions", Q8, { SET("/intc@8000000", "#redistributor-regions", 9) },
	  "/intc@8000000: '#redistributor-regions' is 9, expected 1..8" },
	{ "gic-regions-short", Q8, { SET("/intc@8000000", "#redistributor-regions", 2) },
	  "/intc@8000000: 'reg' has 2 entries, expected at least 3" },
	{ "gic-stride-4k", Q8, { SET("/intc@8000000", "redistributor-stride", 0, 0x1000) },
	  "/intc@8000000: 'redistributor-stride' 0x1000 is not a multiple of 64 KiB" },
	{ "gic-stride-1-cell", Q8, { SET("/intc@8000000", "redistributor-stride", 0x20000) },
	  "/intc@8000000: 'redistributor-stride' has 1 cells, expected 2" },
	{ "gic-maint-spi", Q8, { SET("/intc@8000000", "interrupts", 0, 9, 4) },
	  "/intc@8000000: maintenance interrupt is INTID 41, not a PPI" },
	{ "its-no-reg", Q8, { DEL("/intc@8000000/its@8080000", "reg") },
	  "/intc@8000000/its@8080000: missing 'reg'" },
	/* interrupt specifiers */
	{ "irq-parent-dangling", Q8, { SET("/", "interrupt-parent", 0x1234) },
	  "/: 'interrupt-parent' <0x1234> names no node" },
	{ "irq-parent-none", Q8, { DEL("/", "interrupt-parent") },
	  "/intc@8000000: no interrupt parent" },
	{ "irq-parent-loop", Q8,
	  { SET("/pl011@9000000", "phandle", 0x7777),
	    REF("/pl011@9000000", "interrupt-parent", "/pl061@9030000"),
	    SET("/pl061@9030000", "interrupt-parent", 0x7777) },
	  "/pl011@9000000: interrupt parent chain longer than 32 links" },
	{ "irq-parent-not-gic", Q8,
	  { SET("/pl061@9030000", "#interrupt-cells", 2),
	    REF("/pl011@9000000", "interrupt-parent", "/pl061@9030000") },
	  "/pl011@9000000: interrupt parent is not the GICv3" },
	{ "irq-2-cells", Q8, { SET("/pl011@9000000", "interrupts", 0, 1) },
	  "/pl011@9000000: 'interrupts' has 2 cells, expected a multiple of 3" },
	{ "irq-type-5", Q8, { SET("/pl011@9000000", "interrupts", 5, 1, 4) },
	  "/pl011@9000000: interrupt 0 has type 5, expected 0..3" },
	{ "irq-ppi-16", Q8, { SET("/pl011@9000000", "interrupts", 1, 16, 4) },
	  "/pl011@9000000: interrupt 0: PPI 16 is out of range" },
	{ "irq-extended-not-gic", Q8,
	  { DEL("/pl011@9000000", "interrupts"),
	    REF("/pl011@9000000", "interrupts-extended", "/pl061@9030000", 0, 1, 4) },
	  "/pl011@9000000: 'interrupts-extended' entry 0 is not for the GICv3" },
	{ "irq-names-unterminated", Q8, { RAW("/smmuv3@9050000", "interrupt-names", "eventq", 6) },
	  "/smmuv3@9050000: 'interrupt-names' is not a list of strings" },
	{ "irq-names-past-end", Q8,
	  { STR("/smmuv3@9050000", "interrupt-names", "a\0b\0c\0d\0gerror") },
	  "/smmuv3@9050000: 'interrupt-names' has 'gerror' at 4, but there are 4 interrupts" },
	/* timer */
	{ "no-timer", Q8, { DELNODE("/timer") },
	  "no timer: no enabled node compatible with \"arm,armv8-timer\"" },
	{ "timer-2-irqs", Q8, { SET("/timer", "interrupts", 1, 13, 4, 1, 14, 4) },
	  "/timer: 2 interrupts, expected at least 4" },
	{ "timer-spi", Q8, { SET("/timer", "interrupts", 1, 13, 4, 1, 14, 4, 1, 11, 4, 0, 10, 4) },
	  "/timer: hyp-phys interrupt is INTID 42, not a PPI" },
	{ "timer-names-no-virt", Q8,
	  { STR("/timer", "interrupt-names", "sec-phys\0phys\0hyp-phys\0hyp-virt\0x") },
	  "/timer: no 'virt' in 'interrupt-names'" },
	/* UART */
	{ "stdout-unterminated", Q8, { RAW("/chosen", "stdout-path", "/pl011", 6) },
	  "/chosen: 'stdout-path' is not a NUL-terminated string" },
	{ "stdout-nowhere", Q8, { STR("/chosen", "stdout-path", "serial9") },
	  "/chosen: 'stdout-path' \"serial9\" names no node" },
	{ "stdout-disabled", Q8, { STR("/pl011@9000000", "status", "disabled") },
	  "/chosen: 'stdout-path' \"/pl011@9000000\" names a disabled node" },
	{ "alias-unterminated", Q8,
	  { RAW("/aliases", "serial0", "/pl011@9000000", 14),
	    STR("/chosen", "stdout-path", "serial0:115200n8") },
	  "/aliases: 'serial0' is not a NUL-terminated string" },
	{ "uart-no-compatible", Q8, { DEL("/pl011@9000000", "compatible") },
	  "/pl011@9000000: no valid 'compatible'" },
	{ "uart-reg-shift-3", Q8, { SET("/pl011@9000000", "reg-shift", 3) },
	  "/pl011@9000000: 'reg-shift' is 3, expected 0..2" },
	{ "uart-io-width-3", Q8, { SET("/pl011@9000000", "reg-io-width", 3) },
	  "/pl011@9000000: 'reg-io-width' is 3, expected 1, 2 or 4" },
	/* PCIe */
	{ "pci-bus-range-2", Q8, { SET("/pcie@10000000", "bus-range", 0, 1, 2, 3) },
	  "/pcie@10000000: 'bus-range' has 2 entries, expected 1" },
	{ "pci-bus-range-backwards", Q8, { SET("/pcie@10000000", "bus-range", 5, 3) },
	  "/pcie@10000000: 'bus-range' <5 3> is not within 0..255" },
	{ "pci-ecam-small", Q8, { SET("/pcie@10000000", "reg", 0x40, 0x10000000, 0, 0x1000000) },
	  "/pcie@10000000: 'reg' size 0x1000000 is too small for buses 0-255" },
	{ "pci-address-cells-2", Q8, { SET("/pcie@10000000", "#address-cells", 2) },
	  "/pcie@10000000: '#address-cells' is 2, expected 3" },
	{ "pci-size-cells-1", Q8, { SET("/pcie@10000000", "#size-cells", 1) },
	  "/pcie@10000000: '#size-cells' is 1, expected 2" },
	{ "pci-no-ranges", Q8, { DEL("/pcie@10000000", "ranges") },
	  "/pcie@10000000: missing 'ranges'" },
	{ "pci-ranges-empty", Q8, { RAW("/pcie@10000000", "ranges", "", 0) },
	  "/pcie@10000000: 'ranges' has 0 entries, expected 1..4" },
	{ "pci-ranges-5", Q8,
	  { SET("/pcie@10000000", "ranges", 0x2000000, 0, 0, 0, 0x10000000, 0, 0x1000,
		0x2000000, 0, 0x1000, 0, 0x10001000, 0, 0x1000, 0x2000000, 0, 0x2000, 0,
		0x10002000, 0, 0x1000, 0x2000000, 0, 0x3000, 0, 0x10003000, 0, 0x1000,
		0x2000000, 0, 0x4000, 0, 0x10004000, 0, 0x1000) },
	  "/pcie@10000000: 'ranges' has 5 entries, expected 1..4" },
	{ "pci-ranges-6-cells", Q8, { SET("/pcie@10000000", "ranges", 0x2000000, 0, 0, 0, 0, 0) },
	  "/pcie@10000000: 'ranges' has 6 cells, expected a multiple of 7" },
	{ "pci-ranges-config", Q8,
	  { SET("/pcie@10000000", "ranges", 0, 0, 0, 0, 0x3eff0000, 0, 0x10000) },
	  "/pcie@10000000: 'ranges' entry 0 is configuration space" },
	{ "pci-ranges-wrap", Q8,
	  { SET("/pcie@10000000", "ranges", 0x2000000, 0, 0, 0xffffffff, 0xffff0000, 0, 0x20000) },
	  "/pcie@10000000: 'ranges' entry 0 wraps around the address space" },
	{ "pci-map-mask", Q8, { SET("/pcie@10000000", "iommu-map-mask", 0xff00) },
	  "/pcie@10000000: 'iommu-map-mask' 0xff00 is unsupported (only 0xffff)" },
	{ "pci-map-5-cells", Q8, { SET("/pcie@10000000", "iommu-map", 0, 1, 0, 0x100, 0) },
	  "/pcie@10000000: 'iommu-map' has 5 cells, expected a multiple of 4" },
	{ "pci-map-9", Q8,
	  { SET("/pcie@10000000", "iommu-map", 0, 1, 0, 1, 1, 1, 1, 1, 2, 1, 2, 1, 3, 1, 3, 1, 4,
		1, 4, 1, 5, 1, 5, 1, 6, 1, 6, 1, 7, 1, 7, 1, 8, 1, 8, 1) },
	  "/pcie@10000000: 'iommu-map' has 9 entries, at most 8 are supported" },
	{ "pci-map-length-0", Q8, { SET("/pcie@10000000", "iommu-map", 0, 1, 0, 0) },
	  "/pcie@10000000: 'iommu-map' entry 0 has length 0" },
	{ "pci-map-rid", Q8, { SET("/pcie@10000000", "iommu-map", 0x100, 1, 0, 0x10000) },
	  "/pcie@10000000: 'iommu-map' entry 0: RIDs 0x100+0x10000 are not within 16 bits" },
	{ "pci-map-sid", Q8, { SET("/pcie@10000000", "iommu-map", 0, 1, 0xffffff00, 0x1000) },
	  "/pcie@10000000: 'iommu-map' entry 0: StreamIDs 0xffffff00+0x1000 overflow" },
	{ "pci-intx-13-bytes", Q8, { RAW(PCIE, "interrupt-map", "0123456789abc", 13) },
	  "/pcie@10000000: 'interrupt-map' is 13 bytes, not a whole number of cells" },
	{ "pci-intx-4-cells", Q8, { SET(PCIE, "interrupt-map", 0, 0, 0, 1) },
	  "/pcie@10000000: 'interrupt-map' entry 0 is truncated" },
	{ "pci-intx-dangling", Q8, { SET(PCIE, "interrupt-map", 0, 0, 0, 1, 0x1234, 0, 0, 0, 3, 4) },
	  "/pcie@10000000: 'interrupt-map' entry 0: phandle 0x1234 names no node" },
	{ "pci-intx-mask-3", Q8, { SET(PCIE, "interrupt-map-mask", 0x1800, 0, 7) },
	  "/pcie@10000000: 'interrupt-map-mask' has 3 cells, expected 4" },
	{ "pci-intx-mask-bytes", Q8, { RAW(PCIE, "interrupt-map-mask", "abcde", 5) },
	  "/pcie@10000000: 'interrupt-map-mask' is 5 bytes, not a whole number of cells" },
	{ "pci-intx-cells-2", Q8, { SET(PCIE, "#interrupt-cells", 2) },
	  "/pcie@10000000: '#interrupt-cells' is 2, expected 1" },
	{ "pci-intx-no-cells", Q8, { DEL(PCIE, "#interrupt-cells") },
	  "/pcie@10000000: missing '#interrupt-cells'" },
	{ "pci-intx-gic-cells-3", Q8,
	  { DELNODE(GIC "/its@8080000"), SET(GIC, "#address-cells", 3) },
	  "/intc@8000000: '#address-cells' is 3, expected 0..2" },
};

static void run_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	static struct platform p;
	char err[MSG_LEN];

	assert_int_equal(discover_edited(bc->base, bc->edits, &p, err), -E_INVAL);
	assert_string_equal(err, bc->err);
}

/* ---- whole-blob checks ---- */

static void *packed_q8(size_t *size)
{
	return edited(Q8, EDITS({ .op = END }), size);
}

static void test_blob_header(void **state)
{
	static struct platform p;
	char err[MSG_LEN];
	size_t size;
	uint8_t *fdt = packed_q8(&size);

	assert_int_equal(platform_discover(fdt, 10, &p, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "DTB: 10 bytes, smaller than its header");
	fdt[0] ^= 0xff;
	assert_int_equal(platform_discover(fdt, size, &p, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "DTB: bad header (FDT_ERR_BADMAGIC)");
	fdt[0] ^= 0xff;
	/* the first structure tag (FDT_BEGIN_NODE) made an unknown one */
	fdt[fdt_off_dt_struct(fdt) + 3] = 0x42;
	assert_int_equal(platform_discover(fdt, size, &p, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "DTB: malformed (FDT_ERR_BADSTRUCTURE)");
	free(fdt);
}

/* The error buffer's length is honoured, down to none at all. */
static void test_err_len(void **state)
{
	static struct platform p;
	char err[8];
	size_t size;
	void *fdt = packed_q8(&size);

	assert_int_equal(platform_discover(fdt, 10, &p, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "DTB: 10");
	assert_int_equal(platform_discover(fdt, 10, &p, NULL, 0), -E_INVAL);
	free(fdt);
}

/* More reservations than PLAT_MAX_RESV is an error: dropping one would hand it out. */
static void test_resv_cap(void **state)
{
	struct edit e[PLAT_MAX_RESV + 1] = { { .op = END } };
	static struct platform p;
	char err[MSG_LEN];

	for (int i = 0; i < PLAT_MAX_RESV - 1; i++)
		e[i] = (struct edit)MEMRSV(0x90000000 + 0x10000 * (uint64_t)i, 0x1000);
	/* memmap has 1 /memreserve/ and 3 reserved-memory ranges: tf-a is the 33rd */
	assert_int_equal(discover_edited("memmap", e, &p, err), -E_INVAL);
	assert_string_equal(err, "/reserved-memory/tf-a@80000000: more than 32 reserved ranges");
	e[PLAT_MAX_RESV - 1] = (struct edit)MEMRSV(0xa0000000, 0x1000);
	assert_int_equal(discover_edited("memmap", e, &p, err), -E_INVAL);
	assert_string_equal(err, "more than 32 reserved ranges");
}

/* Every truncation of a real tree is refused, reading nothing past the cut. */
static void test_every_truncation(void **state)
{
	static struct platform p;
	char err[MSG_LEN];
	size_t size;
	uint8_t *fdt = packed_q8(&size);

	for (size_t len = 0; len < size; len++) {
		uint8_t *cut = malloc(len ? len : 1);

		memcpy(cut, fdt, len);
		assert_int_equal(platform_discover(cut, len, &p, err, sizeof(err)), -E_INVAL);
		assert_true(err[0] != '\0');
		free(cut);
	}
	free(fdt);
}

static void check_sane(const struct platform *p)
{
	assert_in_range(p->n_cpus, 1, MAX_CPUS);
	assert_in_range(p->n_mem, 1, PLAT_MAX_MEM);
	assert_in_range(p->n_resv, 0, PLAT_MAX_RESV);
	assert_in_range(p->n_warn, 0, PLAT_MAX_WARN);
	assert_in_range(p->gic.n_redist, 1, PLAT_MAX_REDIST);
	assert_in_range(p->pci.n_ranges, 0, PLAT_MAX_PCI_RANGES);
	assert_in_range(p->pci.n_iommu_map, 0, PLAT_MAX_IOMMU_MAP);
	assert_in_range(p->pci.n_intx_map, 0, PLAT_MAX_INTX_MAP);
	assert_non_null(memchr(p->model, 0, sizeof(p->model)));
	assert_non_null(memchr(p->uart.compatible, 0, sizeof(p->uart.compatible)));
	for (unsigned i = 0; i < p->n_warn; i++)
		assert_non_null(memchr(p->warn[i], 0, PLAT_MSG_LEN));
}

/*
 * Random bit flips anywhere in a real tree: discovery either succeeds with sane counts or
 * fails with a message, and (under ASan/UBSan) never reads out of bounds.
 */
static void test_bit_flips(void **state)
{
	static struct platform p;
	char err[MSG_LEN];
	size_t size;
	uint8_t *orig = packed_q8(&size), *fdt = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned ok = 0;

	for (int iter = 0; iter < 4000; iter++) {
		flip_bits(fdt, orig, size, 1 + iter % 3, &x);
		err[0] = '\0';
		if (platform_discover(fdt, size, &p, err, sizeof(err)) == 0) {
			check_sane(&p);
			ok++;
		} else {
			assert_true(err[0] != '\0');
		}
	}
	/* most flips land in values that do not matter; the sweep must exercise both sides */
	print_message("%u of 4000 flipped trees accepted\n", ok);
	assert_true(ok > 100 && ok < 4000);
	free(orig);
	free(fdt);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_qemu_smmu_smp8_4g),
		cmocka_unit_test(test_qemu_nosmmu_smp1_512m),
		cmocka_unit_test(test_qemu_smp130),
		cmocka_unit_test(test_qemu_gicv2),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_cpu_noreg),
		cmocka_unit_test(test_root_cells3),
		cmocka_unit_test(test_gic_reg7),
		cmocka_unit_test(test_no_stdout),
		cmocka_unit_test(test_stdout_alias),
		cmocka_unit_test(test_no_uart),
		cmocka_unit_test(test_memmap),
		cmocka_unit_test(test_cpus_hvc),
		cmocka_unit_test(test_smmu_disabled),
		cmocka_unit_test(test_soc_bus),
		cmocka_unit_test(test_psci_variants),
		cmocka_unit_test(test_extended_intids),
		cmocka_unit_test(test_timer_by_name),
		cmocka_unit_test(test_gic_stride),
		cmocka_unit_test(test_linux_stdout_path),
		cmocka_unit_test(test_smmu_combined),
		cmocka_unit_test(test_smmu_noncoherent),
		cmocka_unit_test(test_second_smmu),
		cmocka_unit_test(test_pci_optional_parts),
		cmocka_unit_test(test_pci_intx_variants),
		cmocka_unit_test(test_pci_msi_map),
		cmocka_unit_test(test_pci_intx_errors),
		cmocka_unit_test(test_memory_cap),
		cmocka_unit_test(test_warning_cap),
		cmocka_unit_test(test_blob_header),
		cmocka_unit_test(test_err_len),
		cmocka_unit_test(test_resv_cap),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bit_flips),
	};

	return RUN_FIXED_AND_CASES("platform", fixed, bad_cases, run_bad_case);
}
