/*
 * Real boards (docs/boards.md): platform discovery on their device trees, their board/ files,
 * and what discovery and the UART driver had to learn for them.
 *  - the real trees, compiled from Debian's linux-source-6.12 by tests/unit/boards.mk: Arm FVP
 *    Base RevC, TI J721E SK, HiSilicon D05 (16 of its 64 CPUs, an SMMUv3 and UART behind an
 *    MSI-based "mbigen"); every value is checked against the .dts/.dtsi it comes from (paths
 *    under arch/arm64/boot/dts/);
 *  - board/<name>/board.mk against the board's tree (the early console is the tree's console,
 *    the U-Boot load address is free RAM) and board/<name>/default.dts through the config
 *    checks of core/vm/vmconfig.c against the machine the tree describes;
 *  - QEMU trees edited for what real trees do that QEMU's does not: interrupts through an
 *    interrupt-map nexus (vexpress/FVP motherboards), interrupts to another controller than
 *    the GICv3, compatible lists, PCIe hosts Portcullis has no driver for;
 *  - the UART driver on a fake register block: TI's UART (registers 32 bits apart without a
 *    reg-shift in its tree) and compatible lists.
 * Every tree is handed over in a buffer of exactly its size, so AddressSanitizer catches any
 * read past its end.
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
#include "core/vm/vmconfig.h"
#include "test_util.h"

/* The UART driver itself, built here on the host against a fake register block. */
#include "drivers/uart/uart.c"

#define MSG_LEN PLAT_MSG_LEN
#define Q8 "qemu-smmu-smp8-4g"
#define SZ_2M_ 0x200000ULL
/* Room the tests give an image at a board's U-Boot load address: 64 MiB. */
#define IMAGE_BUDGET 0x4000000ULL
/* INTID of an SPI / a PPI in a GICv3 binding's specifier (<0 n flags>, <1 n flags>). */
#define SPI(n) (32 + (n))
#define PPI(n) (16 + (n))

/* ---- what discovery found (loading and discovering: test_util.h) ---- */

/* The UART's compatible list, as one string "a|b|c". */
static const char *compat_list(const struct platform *p)
{
	static char out[PLAT_UART_COMPAT_LEN];
	size_t n = 0;

	for (const char *s = p->uart.compatible; *s; s += strlen(s) + 1) {
		assert_true(s + strlen(s) < p->uart.compatible + sizeof(p->uart.compatible));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? "|" : "", s);
	}
	return out;
}

/* ---- editing a tree with libfdt ---- */

/* name with room to grow, for the edits below. */
static void *work_open(const char *name)
{
	size_t size;
	void *b = load_dtb(name, &size);
	void *w = malloc(size + 65536);

	assert_int_equal(fdt_open_into(b, w, (int)size + 65536), 0);
	free(b);
	return w;
}

static int node(void *w, const char *path)
{
	int n = fdt_path_offset(w, path);

	if (n < 0)
		fail_msg("no node %s", path);
	return n;
}

static void set_cells(void *w, const char *path, const char *prop, const uint32_t *v, int n)
{
	fdt32_t be[64];

	assert_true(n <= 64);
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	assert_int_equal(fdt_setprop(w, node(w, path), prop, be, n * 4), 0);
}
#define CELLS(w, path, prop, ...)                                                              \
	set_cells(w, path, prop, (const uint32_t[]){ __VA_ARGS__ },                             \
		  (int)(sizeof((uint32_t[]){ __VA_ARGS__ }) / 4))

static void set_raw(void *w, const char *path, const char *prop, const char *v, int len)
{
	assert_int_equal(fdt_setprop(w, node(w, path), prop, v, len), 0);
}
#define STR(w, path, prop, s) set_raw(w, path, prop, s, (int)sizeof(s))

static uint32_t phandle(void *w, const char *path)
{
	uint32_t ph = fdt_get_phandle(w, node(w, path));

	if (ph == 0) {
		/* give it one: above any dtc or QEMU hands out */
		static uint32_t next = 0x7000;

		ph = next++;
		assert_int_equal(fdt_setprop_u32(w, node(w, path), "phandle", ph), 0);
	}
	return ph;
}

/* Discover the edited tree w (freed), packed into a buffer of exactly its size. */
static int discover_work(void *w, struct platform *p, char *err)
{
	void *fdt;
	size_t size;
	int ret;

	assert_int_equal(fdt_pack(w), 0);
	size = fdt_totalsize(w);
	fdt = malloc(size);
	memcpy(fdt, w, size);
	free(w);
	ret = platform_discover(fdt, size, p, err, MSG_LEN);
	free(fdt);
	return ret;
}

static void work_ok(void *w, struct platform *p)
{
	char err[MSG_LEN];

	if (discover_work(w, p, err) != 0)
		fail_msg("edited tree: %s", err);
}

static void work_err(void *w, const char *msg)
{
	static struct platform p;
	char err[MSG_LEN];

	assert_int_equal(discover_work(w, &p, err), -E_INVAL);
	assert_string_equal(err, msg);
}

/* ---- the real trees ---- */

/* arm/fvp-base-revc.dts, with rtsm_ve-motherboard.dtsi and rtsm_ve-motherboard-rs2.dtsi. */
static void test_fvp_base_revc(void **state)
{
	static const uint64_t mpidr[] = { 0x0, 0x100, 0x200, 0x300,
					  0x10000, 0x10100, 0x10200, 0x10300 };
	static struct platform p;

	discover_ok("boards/fvp-base-revc", &p);
	assert_string_equal(p.model, "FVP Base RevC");
	/* memory@80000000: 2 GiB at 2 GiB, 2 GiB at 34 GiB */
	assert_int_equal(p.n_mem, 2);
	expect_range(p.mem[0], 0x80000000, 0x80000000);
	expect_range(p.mem[1], 0x880000000, 0x80000000);
	/* /memreserve/ 0x80000000 0x10000; reserved-memory/vram@18000000 (8 MiB, not RAM) */
	assert_int_equal(p.n_resv, 2);
	expect_range(p.resv[0], 0x80000000, 0x10000);
	expect_range(p.resv[1], 0x18000000, 0x800000);
	/* cpus: two clusters of four, reg = <0x0 0x000>, <0x0 0x100>... <0x0 0x10300> */
	assert_int_equal(p.n_cpus, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(p.cpu_mpidr[i], mpidr[i]);
	assert_int_equal(p.psci, PSCI_SMC); /* arm,psci-0.2, method "smc" */

	/* interrupt-controller@2f000000: GICD, GICR (then GICC, GICH, GICV), its@2f020000 */
	assert_int_equal(p.gic.dist.v, 0x2f000000);
	assert_int_equal(p.gic.dist_size, 0x10000);
	assert_int_equal(p.gic.n_redist, 1);
	expect_range(p.gic.redist[0], 0x2f100000, 0x200000);
	assert_int_equal(p.gic.redist_stride, 0);
	assert_int_equal(p.gic.maint_irq, PPI(9));
	assert_true(p.gic.has_its);
	assert_int_equal(p.gic.its.v, 0x2f020000);

	/*
	 * stdout-path "serial0" = v2m_serial0: serial@90000 of iofpga-bus@300000000 (CS3 at
	 * 0x1c000000 through motherboard-bus and bus@8000000's ranges); interrupts = <5>
	 * through bus@8000000's interrupt-map: GIC_SPI 5.
	 */
	assert_string_equal(compat_list(&p), "arm,pl011|arm,primecell");
	assert_int_equal(p.uart.base.v, 0x1c090000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart.irq, SPI(5));
	assert_int_equal(p.uart.reg_shift, 0);
	assert_int_equal(p.uart.reg_io_width, 4);

	/* timer: GIC_PPI 13, 14, 11, 10 */
	assert_int_equal(p.timer.sec_phys_irq, PPI(13));
	assert_int_equal(p.timer.phys_irq, PPI(14));
	assert_int_equal(p.timer.virt_irq, PPI(11));
	assert_int_equal(p.timer.hyp_phys_irq, PPI(10));
	assert_int_equal(p.timer.clock_frequency, 0);

	/* iommu@2b400000: SPIs 74, 79, 75, 77 named eventq, gerror, priq, cmdq-sync */
	assert_true(p.smmu.present);
	assert_int_equal(p.smmu.base.v, 0x2b400000);
	assert_int_equal(p.smmu.size, 0x100000);
	assert_int_equal(p.smmu.irq_eventq, SPI(74));
	assert_int_equal(p.smmu.irq_gerror, SPI(79));
	assert_int_equal(p.smmu.irq_priq, SPI(75));
	assert_int_equal(p.smmu.irq_cmdq_sync, SPI(77));
	assert_true(p.smmu.dma_coherent);
	assert_int_not_equal(p.smmu.phandle, 0);

	/* pci@40000000: generic ECAM, buses 0-1, one 32-bit window, iommu-map to the SMMU */
	assert_true(p.pci.present);
	assert_int_equal(p.pci.ecam.v, 0x40000000);
	assert_int_equal(p.pci.ecam_size, 0x10000000);
	assert_int_equal(p.pci.bus_start, 0);
	assert_int_equal(p.pci.bus_end, 1);
	assert_int_equal(p.pci.n_ranges, 1);
	assert_int_equal(p.pci.ranges[0].space, 2);
	assert_int_equal(p.pci.ranges[0].pci_addr, 0x50000000);
	assert_int_equal(p.pci.ranges[0].cpu_addr.v, 0x50000000);
	assert_int_equal(p.pci.ranges[0].size, 0x10000000);
	assert_int_equal(p.pci.n_iommu_map, 1);
	assert_int_equal(p.pci.iommu_map[0].rid_base, 0);
	assert_int_equal(p.pci.iommu_map[0].target_phandle, p.smmu.phandle);
	assert_int_equal(p.pci.iommu_map[0].out_base, 0);
	assert_int_equal(p.pci.iommu_map[0].length, 0x10000);
	assert_true(p.pci.dma_coherent);
	NO_WARNINGS(&p);
}

/* ti/k3-j721e-sk.dts, with k3-j721e.dtsi, k3-j721e-main.dtsi and k3-j721e-mcu-wakeup.dtsi. */
static void test_ti_j721e_sk(void **state)
{
	static struct platform p;

	discover_ok("boards/k3-j721e-sk", &p);
	assert_string_equal(p.model, "Texas Instruments J721E SK");
	/* memory@80000000: "4G RAM", 2 GiB at 2 GiB and 2 GiB at 34 GiB */
	assert_int_equal(p.n_mem, 2);
	expect_range(p.mem[0], 0x80000000, 0x80000000);
	expect_range(p.mem[1], 0x880000000, 0x80000000);
	/*
	 * reserved-memory: OP-TEE (optee@9e800000, 24 MiB), then a DMA and a firmware region for
	 * each of the 9 remote cores (MCU and MAIN R5Fs, two C66x, the C71x) from 0xa0000000 on,
	 * then the RTOS IPC region ipc-memories@aa000000.
	 */
	assert_int_equal(p.n_resv, 20);
	expect_range(p.resv[0], 0x9e800000, 0x1800000);
	expect_range(p.resv[1], 0xa0000000, 0x100000);
	expect_range(p.resv[2], 0xa0100000, 0xf00000);
	expect_range(p.resv[18], 0xa8100000, 0xf00000);
	expect_range(p.resv[19], 0xaa000000, 0x1c00000);
	/* cpus: two Cortex-A72, reg = <0x000> and <0x001> */
	assert_int_equal(p.n_cpus, 2);
	assert_int_equal(p.cpu_mpidr[0], 0x0);
	assert_int_equal(p.cpu_mpidr[1], 0x1);
	assert_int_equal(p.psci, PSCI_SMC);

	/* gic500: interrupt-controller@1800000: GICD, GICR (2 CPUs), gic_its: msi-controller@1820000 */
	assert_int_equal(p.gic.dist.v, 0x01800000);
	assert_int_equal(p.gic.dist_size, 0x10000);
	assert_int_equal(p.gic.n_redist, 1);
	expect_range(p.gic.redist[0], 0x01900000, 0x100000);
	assert_int_equal(p.gic.maint_irq, PPI(9));
	assert_true(p.gic.has_its);
	assert_int_equal(p.gic.its.v, 0x01820000);

	/*
	 * stdout-path "serial2:115200n8" = main_uart0: serial@2800000 in cbass_main, compatible
	 * "ti,j721e-uart", "ti,am654-uart", GIC_SPI 192. No reg-shift in the tree: the TI UART's
	 * registers are 32 bits apart all the same, which the driver knows (test_uart_ti below).
	 */
	assert_string_equal(compat_list(&p), "ti,j721e-uart|ti,am654-uart");
	assert_int_equal(p.uart.base.v, 0x02800000);
	assert_int_equal(p.uart.size, 0x100);
	assert_int_equal(p.uart.irq, SPI(192));
	assert_int_equal(p.uart.reg_shift, 0);
	assert_int_equal(p.uart.reg_io_width, 4);

	/* a72_timer0 (k3-j721e.dtsi): GIC_PPI 13, 14, 11, 10 */
	assert_int_equal(p.timer.sec_phys_irq, PPI(13));
	assert_int_equal(p.timer.phys_irq, PPI(14));
	assert_int_equal(p.timer.virt_irq, PPI(11));
	assert_int_equal(p.timer.hyp_phys_irq, PPI(10));

	/* smmu0: iommu@36600000 in main_navss (dma-coherent): SPIs 772 eventq, 768 gerror */
	assert_true(p.smmu.present);
	assert_int_equal(p.smmu.base.v, 0x36600000);
	assert_int_equal(p.smmu.size, 0x100000);
	assert_int_equal(p.smmu.irq_eventq, SPI(772));
	assert_int_equal(p.smmu.irq_gerror, SPI(768));
	assert_int_equal(p.smmu.irq_priq, 0);
	assert_int_equal(p.smmu.irq_cmdq_sync, 0);
	assert_true(p.smmu.dma_coherent);

	/* pcie0_rc, pcie1_rc: Cadence hosts ("ti,j721e-pcie-host"), enabled on the SK */
	assert_false(p.pci.present);
	WARNINGS(&p,
		 "/bus@100000/pcie@2900000: PCIe host ti,j721e-pcie-host is unsupported (no driver): "
		 "no PCI devices behind it",
		 "/bus@100000/pcie@2910000: PCIe host ti,j721e-pcie-host is unsupported (no driver): "
		 "no PCI devices behind it");
}

/*
 * hisilicon/hip07-d05.dts with hip07.dtsi: a 64-CPU server whose UART and SMMUs signal
 * through "mbigen" (interrupts turned into MSIs to an ITS), and a vendor PCIe host. Not a
 * board Portcullis supports; discovery must still describe what it can and say what not.
 */
static void test_hisilicon_d05(void **state)
{
	static struct platform p;

	discover_ok("boards/hip07-d05", &p);
	assert_string_equal(p.model, "Hisilicon Hip07 D05 Development Board");
	/* memory@0: 1 GiB at 0 ("updated by UEFI") */
	assert_int_equal(p.n_mem, 1);
	expect_range(p.mem[0], 0x0, 0x40000000);
	assert_int_equal(p.n_resv, 0);
	/* the first 16 CPUs in tree order: clusters 0-3 of node 0, reg = <0x10000>... */
	assert_int_equal(p.n_cpus, MAX_CPUS);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		assert_int_equal(p.cpu_mpidr[i], 0x10000 + ((i / 4) << 8) + i % 4);
	assert_int_equal(p.psci, PSCI_SMC);

	/* gic: 4 redistributor regions (two per die), stride 0x40000, 8 ITSes */
	assert_int_equal(p.gic.dist.v, 0x4d000000);
	assert_int_equal(p.gic.dist_size, 0x10000);
	assert_int_equal(p.gic.n_redist, 4);
	expect_range(p.gic.redist[0], 0x4d100000, 0x400000);
	expect_range(p.gic.redist[1], 0x6d100000, 0x400000);
	expect_range(p.gic.redist[2], 0x4004d100000, 0x400000);
	expect_range(p.gic.redist[3], 0x4006d100000, 0x400000);
	assert_int_equal(p.gic.redist_stride, 0x40000);
	assert_int_equal(p.gic.maint_irq, PPI(9));
	assert_true(p.gic.has_its);
	assert_int_equal(p.gic.its.v, 0x4c000000); /* p0_its_peri_a, the first */

	/* uart0: serial@602b0000, SBSA generic UART, its interrupt through mbigen_uart */
	assert_string_equal(compat_list(&p), "arm,sbsa-uart");
	assert_int_equal(p.uart.base.v, 0x602b0000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart.irq, 0);
	assert_int_equal(p.uart.reg_io_width, 4);

	/* smmu0 (PCIe) is disabled; the first enabled is p0_smmu_alg_a, through mbigen too */
	assert_true(p.smmu.present);
	assert_int_equal(p.smmu.base.v, 0xd0040000);
	assert_int_equal(p.smmu.size, 0x20000);
	assert_int_equal(p.smmu.irq_eventq, 0);
	assert_int_equal(p.smmu.irq_gerror, 0);
	assert_true(p.smmu.dma_coherent);

	assert_false(p.pci.present);
	WARNINGS(&p, "/cpus: 64 CPUs: only the first 16 are used",
		 "/soc/serial@602b0000: interrupt goes to uart_intc, not the GICv3: no console input",
		 "/iommu@d0040000: interrupts go to intc_smmu_alg, not the GICv3: events and errors "
		 "are not signalled",
		 "/iommu@8d0040000: second SMMUv3 not used: DMA through it is not isolated",
		 "/soc/pcie@af800000: PCIe host hisilicon,hip07-pcie-ecam is unsupported (no driver): "
		 "no PCI devices behind it");
}

/* ---- board/<name>/: board.mk and default.dts against the board's tree ---- */

struct board {
	const char *name; /* board/<name> */
	const char *dtb;  /* its tree, in UNIT_DTB_DIR */
	unsigned vms;     /* VMs in its default.dts */
	unsigned cpus[2]; /* CPUs of its first two VMs */
};

static const struct board boards[] = {
	{ "fvp-base-revc", "boards/fvp-base-revc", 2, { 4, 4 } },
	{ "ti-j721e", "boards/k3-j721e-sk", 2, { 1, 1 } },
	/* what `make run` starts has 4 CPUs; the 8-CPU tree holds them */
	{ "qemu-virt", Q8, 2, { 2, 2 } },
};

/* The value of `NAME := value` in board/<board>/board.mk, or NULL. */
struct setting {
	char v[128];
};
#define board_setting(board, name) board_setting_in(board, name, &(struct setting){ 0 })

static const char *board_setting_in(const char *board, const char *name, struct setting *out)
{
	char *value = out->v;
	char path[256], line[256];
	FILE *f;
	const char *found = NULL;

	snprintf(path, sizeof(path), "board/%s/board.mk", board);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository's root)", path);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t n = strlen(name);

		if (strncmp(line, name, n) != 0 || strncmp(line + n, " := ", 4) != 0)
			continue;
		snprintf(value, sizeof(out->v), "%s", line + n + 4);
		value[strcspn(value, "\n")] = '\0';
		found = value;
	}
	fclose(f);
	return found;
}

static bool in_compat_list(const struct platform *p, const char *compat)
{
	for (const char *s = p->uart.compatible; *s; s += strlen(s) + 1)
		if (!strcmp(s, compat))
			return true;
	return false;
}

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* The early console (used before the tree is read) is the console the tree names. */
static void test_board_early_console(void **state)
{
	static struct platform p;

	for (unsigned i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
		const char *compat = board_setting(boards[i].name, "BOARD_EARLY_UART_COMPAT");
		const char *base = board_setting(boards[i].name, "BOARD_EARLY_UART_BASE");

		discover_ok(boards[i].dtb, &p);
		assert_non_null(compat);
		assert_non_null(base);
		if (!in_compat_list(&p, compat))
			fail_msg("%s: BOARD_EARLY_UART_COMPAT %s is not the tree's console (%s)",
				 boards[i].name, compat, compat_list(&p));
		assert_int_equal(strtoull(base, NULL, 0), p.uart.base.v);
	}
}

/* BOARD_LOAD_ADDR (docs/uboot.md): 2 MiB aligned, with room for an image in one RAM bank
 * and clear of every reservation. */
static void test_board_load_address(void **state)
{
	static struct platform p;

	for (unsigned i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
		const char *v = board_setting(boards[i].name, "BOARD_LOAD_ADDR");
		uint64_t load;
		bool in_ram = false;

		if (!v)
			continue; /* QEMU boards: QEMU -kernel or U-Boot's kernel_addr_r */
		load = strtoull(v, NULL, 0);
		discover_ok(boards[i].dtb, &p);
		assert_int_equal(load % SZ_2M_, 0);
		for (unsigned m = 0; m < p.n_mem; m++)
			in_ram |= load >= p.mem[m].base.v &&
				  load + IMAGE_BUDGET <= p.mem[m].base.v + p.mem[m].size;
		if (!in_ram)
			fail_msg("%s: BOARD_LOAD_ADDR %s has no 64 MiB of RAM", boards[i].name, v);
		for (unsigned r = 0; r < p.n_resv; r++)
			if (overlaps(load, IMAGE_BUDGET, p.resv[r].base.v, p.resv[r].size))
				fail_msg("%s: BOARD_LOAD_ADDR %s overlaps reserved %llx+%llx", boards[i].name,
					 v, (unsigned long long)p.resv[r].base.v,
					 (unsigned long long)p.resv[r].size);
	}
}

/* What boot.c keeps for itself (host_resources), for the config checks. */
static void host_of(const struct platform *p, uint64_t image, struct vmconfig_host *h)
{
	memset(h, 0, sizeof(*h));
	h->n_cpus = p->n_cpus;
	h->gic_spi_end = 1020; /* read from GICD_TYPER at run time; the most there can be */
	h->hyp[h->n_hyp++] = (struct mem_range){ { image }, IMAGE_BUDGET };
	h->hyp[h->n_hyp++] = (struct mem_range){ p->uart.base, p->uart.size };
	h->hyp[h->n_hyp++] = (struct mem_range){ p->gic.dist, p->gic.dist_size };
	for (unsigned i = 0; i < p->gic.n_redist; i++)
		h->hyp[h->n_hyp++] = p->gic.redist[i];
	if (p->smmu.present)
		h->hyp[h->n_hyp++] = (struct mem_range){ p->smmu.base, p->smmu.size };
	if (p->pci.present)
		h->hyp[h->n_hyp++] = (struct mem_range){ p->pci.ecam, p->pci.ecam_size };
	if (p->uart.irq)
		h->hyp_irqs[h->n_hyp_irqs++] = p->uart.irq;
}

/* RAM left for guests: every bank less the reservations in it and the image. */
static uint64_t guest_ram(const struct platform *p)
{
	uint64_t total = 0;

	for (unsigned m = 0; m < p->n_mem; m++) {
		total += p->mem[m].size;
		for (unsigned r = 0; r < p->n_resv; r++) {
			uint64_t lo = p->resv[r].base.v, hi = lo + p->resv[r].size;
			uint64_t mlo = p->mem[m].base.v, mhi = mlo + p->mem[m].size;

			if (overlaps(lo, hi - lo, mlo, mhi - mlo))
				total -= (hi < mhi ? hi : mhi) - (lo > mlo ? lo : mlo);
		}
	}
	return total - IMAGE_BUDGET;
}

/* board/<name>/default.dts passes every config check on the board's machine, and its VMs'
 * RAM fits in what the board has left. */
static void test_board_default_config(void **state)
{
	static struct platform p;
	static struct vm_configs cfg;

	for (unsigned i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
		const struct board *b = &boards[i];
		const char *load = board_setting(b->name, "BOARD_LOAD_ADDR");
		struct vmconfig_host host;
		char name[128], err[256];
		uint64_t ram = 0;
		size_t size;
		void *fdt;

		discover_ok(b->dtb, &p);
		host_of(&p, load ? strtoull(load, NULL, 0) : p.mem[0].base.v + SZ_2M_, &host);
		snprintf(name, sizeof(name), "boards/%s-default", b->name);
		fdt = load_dtb(name, &size);
		if (vmconfig_parse(fdt, size, &p, &host, &cfg, err, sizeof(err)) != 0)
			fail_msg("board/%s/default.dts: %s", b->name, err);
		assert_int_equal(cfg.n, b->vms);
		for (unsigned v = 0; v < cfg.n; v++) {
			if (v < 2)
				assert_int_equal(cfg.vm[v].n_cpus, b->cpus[v]);
			for (unsigned r = 0; r < cfg.vm[v].n_ram; r++)
				ram += cfg.vm[v].ram[r].size;
		}
		if (ram > guest_ram(&p))
			fail_msg("board/%s/default.dts: %llu MiB of guest RAM, the board has %llu",
				 b->name, (unsigned long long)ram >> 20,
				 (unsigned long long)guest_ram(&p) >> 20);
		free(fdt);
	}
}

/* ---- interrupts through an interrupt-map nexus (tests/unit/dts/irq-nexus.dts) ---- */

#define NEXUS "/motherboard@9000000"
#define INNER NEXUS "/iofpga@0,0"
#define SERIAL INNER "/serial@0"

/* Two nexus nodes, as on Arm's motherboards: serial <5> -> iofpga <1> -> GIC_SPI 1. */
static void test_irq_nexus(void **state)
{
	static struct platform p;

	discover_ok("irq-nexus", &p);
	assert_string_equal(compat_list(&p), "arm,pl011|arm,primecell");
	assert_int_equal(p.uart.base.v, 0x09000000);
	assert_int_equal(p.uart.irq, SPI(1));
	NO_WARNINGS(&p);
}

/* A mask keeps only the specifier's low bits; the address is masked out (as on the FVP). */
static void test_irq_nexus_mask(void **state)
{
	static struct platform p;
	void *w = work_open("irq-nexus");

	CELLS(w, SERIAL, "interrupts", 0x105);
	CELLS(w, INNER, "interrupt-map-mask", 0, 0xff);
	work_ok(w, &p);
	assert_int_equal(p.uart.irq, SPI(1));
	/* Without a mask every bit counts: 0x105 then matches nothing. */
	w = work_open("irq-nexus");
	CELLS(w, SERIAL, "interrupts", 0x105);
	assert_int_equal(fdt_delprop(w, node(w, INNER), "interrupt-map-mask"), 0);
	work_err(w, SERIAL ": no entry of iofpga@0,0's 'interrupt-map' matches its interrupt");
}

/* Every way an interrupt-map can be wrong is one error naming the node. */
static void test_irq_nexus_errors(void **state)
{
	void *w;
	uint32_t outer, inner;

	w = work_open("irq-nexus");
	CELLS(w, SERIAL, "interrupts", 6);
	work_err(w, SERIAL ": no entry of iofpga@0,0's 'interrupt-map' matches its interrupt");

	w = work_open("irq-nexus");
	CELLS(w, INNER, "interrupt-map-mask", 0, 0, 0xff);
	work_err(w, INNER ": 'interrupt-map-mask' has 3 cells, expected 2");

	w = work_open("irq-nexus");
	outer = phandle(w, NEXUS);
	CELLS(w, INNER, "interrupt-map", 0, 5, outer, 0, 0);
	work_err(w, INNER ": 'interrupt-map' entry 0 is truncated");

	w = work_open("irq-nexus");
	CELLS(w, INNER, "interrupt-map", 0, 5);
	work_err(w, INNER ": 'interrupt-map' entry 0 is truncated");

	w = work_open("irq-nexus");
	CELLS(w, INNER, "interrupt-map", 0, 5, 0x4321, 0, 0, 1);
	work_err(w, INNER ": 'interrupt-map' entry 0: phandle 0x4321 names no node");

	/* the outer nexus maps the interrupt back to itself, forever */
	w = work_open("irq-nexus");
	outer = phandle(w, NEXUS);
	CELLS(w, NEXUS, "interrupt-map", 0, 0, 1, outer, 0, 0, 1);
	work_err(w, SERIAL ": interrupt goes through more than 8 interrupt-map nexus nodes");

	/* ... or to a node that is neither a controller nor a nexus */
	w = work_open("irq-nexus");
	CELLS(w, "/pl061@9030000", "#interrupt-cells", 1);
	CELLS(w, INNER, "interrupt-map", 0, 5, phandle(w, "/pl061@9030000"), 1);
	work_err(w, SERIAL ": interrupt parent is not the GICv3");

	w = work_open("irq-nexus");
	CELLS(w, INNER, "#interrupt-cells", 5);
	work_err(w, INNER ": '#interrupt-cells' is 5, at most 4 is supported");

	/* an interrupt parent with a 4-cell unit address */
	w = work_open("irq-nexus");
	CELLS(w, "/pl061@9030000", "#interrupt-cells", 1);
	CELLS(w, "/pl061@9030000", "#address-cells", 4);
	CELLS(w, INNER, "interrupt-map", 0, 5, phandle(w, "/pl061@9030000"), 0, 0, 0, 0, 1);
	work_err(w, "/pl061@9030000: '#address-cells' is 4, at most 3 is supported");

	w = work_open("irq-nexus");
	inner = phandle(w, INNER);
	CELLS(w, NEXUS, "interrupt-map", 0, 0, 1, inner, 0, 5);
	CELLS(w, NEXUS, "#interrupt-cells", 0);
	work_err(w, NEXUS ": '#interrupt-cells' is 0 or missing");

	w = work_open("irq-nexus");
	CELLS(w, SERIAL, "interrupts", 5, 5, 5, 5, 5, 5, 5, 5, 5);
	work_err(w, SERIAL ": 9 interrupts through an interrupt-map, at most 8 are supported");
}

/* The timer cannot do without its interrupts: through a nexus they must reach the GIC. */
static void test_irq_nexus_timer(void **state)
{
	static struct platform p;
	void *w = work_open("irq-nexus");
	uint32_t outer = phandle(w, NEXUS);

	/* four PPIs behind the outer nexus: <n> -> GIC_PPI n */
	CELLS(w, NEXUS, "interrupt-map", 0, 0, 1, phandle(w, "/intc@8000000"), 0, 0, 0, 1, 4,
	      0, 0, 13, phandle(w, "/intc@8000000"), 0, 0, 1, 13, 4,
	      0, 0, 14, phandle(w, "/intc@8000000"), 0, 0, 1, 14, 4,
	      0, 0, 11, phandle(w, "/intc@8000000"), 0, 0, 1, 11, 4,
	      0, 0, 10, phandle(w, "/intc@8000000"), 0, 0, 1, 10, 4);
	CELLS(w, "/timer", "interrupt-parent", outer);
	CELLS(w, "/timer", "interrupts", 13, 14, 11, 10);
	work_ok(w, &p);
	assert_int_equal(p.timer.sec_phys_irq, PPI(13));
	assert_int_equal(p.timer.hyp_phys_irq, PPI(10));
}

/* ---- interrupts to another controller than the GICv3 ---- */

/* A controller of its own, as HiSilicon's mbigen (its interrupts become MSIs). */
static void *with_mbigen(void)
{
	void *w = work_open(Q8);
	int n = fdt_add_subnode(w, 0, "mbigen");

	assert_true(n >= 0);
	assert_int_equal(fdt_setprop(w, n, "interrupt-controller", NULL, 0), 0);
	assert_int_equal(fdt_setprop_u32(w, n, "#interrupt-cells", 2), 0);
	return w;
}

static void test_foreign_irq_uart(void **state)
{
	static struct platform p;
	void *w = with_mbigen();

	CELLS(w, "/pl011@9000000", "interrupt-parent", phandle(w, "/mbigen"));
	CELLS(w, "/pl011@9000000", "interrupts", 807, 4);
	work_ok(w, &p);
	assert_int_equal(p.uart.base.v, 0x09000000);
	assert_int_equal(p.uart.irq, 0);
	WARNINGS(&p, "/pl011@9000000: interrupt goes to mbigen, not the GICv3: no console input");
}

static void test_foreign_irq_smmu(void **state)
{
	static struct platform p;
	void *w = with_mbigen();

	CELLS(w, "/smmuv3@9050000", "interrupt-parent", phandle(w, "/mbigen"));
	CELLS(w, "/smmuv3@9050000", "interrupts", 733, 1, 734, 1, 735, 1, 736, 1);
	work_ok(w, &p);
	assert_true(p.smmu.present);
	assert_int_equal(p.smmu.irq_eventq, 0);
	assert_int_equal(p.smmu.irq_gerror, 0);
	WARNINGS(&p, "/smmuv3@9050000: interrupts go to mbigen, not the GICv3: events and errors "
		     "are not signalled");
}

/* Through a nexus too: the UART's interrupt ends at the foreign controller. */
static void test_foreign_irq_via_nexus(void **state)
{
	static struct platform p;
	void *w = work_open("irq-nexus");
	int n = fdt_add_subnode(w, 0, "mbigen");

	assert_true(n >= 0);
	assert_int_equal(fdt_setprop(w, n, "interrupt-controller", NULL, 0), 0);
	assert_int_equal(fdt_setprop_u32(w, n, "#interrupt-cells", 2), 0);
	CELLS(w, NEXUS, "interrupt-map", 0, 0, 1, phandle(w, "/mbigen"), 807, 4);
	work_ok(w, &p);
	assert_int_equal(p.uart.irq, 0);
	WARNINGS(&p, SERIAL ": interrupt goes to mbigen, not the GICv3: no console input");
}

/* The timer has no such way out. */
static void test_foreign_irq_timer(void **state)
{
	void *w = with_mbigen();

	CELLS(w, "/timer", "interrupt-parent", phandle(w, "/mbigen"));
	work_err(w, "/timer: interrupt parent is not the GICv3");
}

/* ---- the console's compatible list ---- */

static void test_uart_compatible_list(void **state)
{
	static struct platform p;
	void *w = work_open(Q8);

	/* 14 + 14 + 25 + 12 bytes: the fourth string no longer fits in 64 with the final NUL */
	STR(w, "/pl011@9000000", "compatible",
	    "ti,j721e-uart\0ti,am654-uart\0a-vendor,a-long-name-uart\0last,string");
	work_ok(w, &p);
	assert_string_equal(p.uart.compatible, "ti,j721e-uart");
	assert_string_equal(compat_list(&p), "ti,j721e-uart|ti,am654-uart|a-vendor,a-long-name-uart");

	/* A first string longer than the buffer is cut short, still ending the list. */
	w = work_open(Q8);
	STR(w, "/pl011@9000000", "compatible",
	    "vendor,a-name-longer-than-sixty-four-bytes-which-no-driver-could-match-anyway");
	work_ok(w, &p);
	assert_int_equal(strlen(p.uart.compatible), PLAT_UART_COMPAT_LEN - 2);
	assert_int_equal(p.uart.compatible[PLAT_UART_COMPAT_LEN - 1], '\0');

	w = work_open(Q8);
	set_raw(w, "/pl011@9000000", "compatible", "arm,pl011", 9);
	work_err(w, "/pl011@9000000: no valid 'compatible'");
}

/* ---- PCIe hosts Portcullis has no driver for ---- */

static void test_pci_unsupported_host(void **state)
{
	static struct platform p;
	void *w = work_open(Q8);

	STR(w, "/pcie@10000000", "compatible", "snps,dw-pcie");
	work_ok(w, &p);
	assert_false(p.pci.present);
	WARNINGS(&p, "/pcie@10000000: PCIe host snps,dw-pcie is unsupported (no driver): no PCI "
		     "devices behind it");

	/* disabled: as good as none */
	w = work_open(Q8);
	STR(w, "/pcie@10000000", "compatible", "snps,dw-pcie");
	STR(w, "/pcie@10000000", "status", "disabled");
	work_ok(w, &p);
	WARNINGS(&p, "no PCIe host (pci-host-ecam-generic): no PCI devices");
}

/* tests/unit/dts/pci-hosts.dts: the other hosts are named; a bridge below the host is not. */
static void test_pci_other_hosts(void **state)
{
	static struct platform p;

	discover_ok("pci-hosts", &p);
	assert_true(p.pci.present);
	assert_int_equal(p.pci.ecam.v, 0x4010000000);
	WARNINGS(&p, "/pcie@20000000: second PCIe host not used: no PCI devices behind it",
		 "/pcie@30000000: PCIe host cdns,cdns-pcie-host is unsupported (no driver): no PCI "
		 "devices behind it");
}

/* ---- hostile versions of the real trees ---- */

/*
 * Random bit flips in the real trees and in irq-nexus (the interrupt-map walk): discovery
 * either succeeds with sane counts or fails with a message, and (under ASan/UBSan) never
 * reads out of bounds.
 */
static void test_bit_flips(void **state)
{
	static const char *const names[] = { "boards/fvp-base-revc", "boards/k3-j721e-sk",
					     "boards/hip07-d05", "irq-nexus" };
	static struct platform p;
	uint64_t x = 0x2545f4914f6cdd1dULL;

	for (unsigned t = 0; t < sizeof(names) / sizeof(names[0]); t++) {
		size_t size;
		uint8_t *orig = load_dtb(names[t], &size), *fdt = malloc(size);
		unsigned ok = 0;

		for (int iter = 0; iter < 1000; iter++) {
			char err[MSG_LEN] = "";

			flip_bits(fdt, orig, size, 1 + iter % 3, &x);
			if (platform_discover(fdt, size, &p, err, sizeof(err)) == 0) {
				assert_in_range(p.n_cpus, 1, MAX_CPUS);
				assert_in_range(p.n_warn, 0, PLAT_MAX_WARN);
				compat_list(&p); /* a list that ends within its buffer */
				ok++;
			} else {
				assert_true(err[0] != '\0');
			}
		}
		print_message("%s: %u of 1000 flipped trees accepted\n", names[t], ok);
		assert_true(ok > 50 && ok < 1000);
		free(orig);
		free(fdt);
	}
}

/* ---- the UART driver (drivers/uart/uart.c) on a fake register block ---- */

static uint32_t regs[64]; /* 256 bytes of registers */

#define REG8(off) (((volatile uint8_t *)regs)[off])

static void test_uart_ti(void **state)
{
	struct console c;

	/* The J721E's tree: "ti,j721e-uart", "ti,am654-uart", no reg-shift (0) */
	memset(regs, 0, sizeof(regs));
	regs[0x14 / 4] = UART16550_LSR_THRE; /* LSR at 5 << 2 */
	assert_true(uart_console_init(&c, "ti,j721e-uart\0ti,am654-uart\0", pa((uintptr_t)regs), 0));
	assert_int_equal(c.reg_shift, 2);
	c.putc(&c, 'P');
	assert_int_equal(regs[0], 'P'); /* THR, written as a 32-bit word */
	/* the early console of board/ti-j721e: BOARD_EARLY_UART_COMPAT, reg-shift 0 */
	assert_true(uart_console_init(&c, "ti,am654-uart\0", pa((uintptr_t)regs), 0));
	assert_int_equal(c.reg_shift, 2);
}

static void test_uart_16550_packed(void **state)
{
	struct console c;

	memset(regs, 0, sizeof(regs));
	REG8(5) = UART16550_LSR_THRE;
	assert_true(uart_console_init(&c, "vendor,soc-uart\0ns16550a\0", pa((uintptr_t)regs), 0));
	assert_int_equal(c.reg_shift, 0);
	c.putc(&c, 'x');
	assert_int_equal(REG8(0), 'x');
}

static void test_uart_pl011_and_sbsa(void **state)
{
	struct console c;

	memset(regs, 0, sizeof(regs));
	assert_true(uart_console_init(&c, "arm,sbsa-uart\0", pa((uintptr_t)regs), 0));
	c.putc(&c, 'S');
	assert_int_equal(regs[PL011_DR / 4], 'S');
	assert_true(uart_console_init(&c, "arm,pl011\0arm,primecell\0", pa((uintptr_t)regs), 0));
	assert_false(uart_console_init(&c, "arm,primecell\0vendor,uart\0", pa((uintptr_t)regs), 0));
	assert_null(c.putc);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fvp_base_revc),
		cmocka_unit_test(test_ti_j721e_sk),
		cmocka_unit_test(test_hisilicon_d05),
		cmocka_unit_test(test_board_early_console),
		cmocka_unit_test(test_board_load_address),
		cmocka_unit_test(test_board_default_config),
		cmocka_unit_test(test_irq_nexus),
		cmocka_unit_test(test_irq_nexus_mask),
		cmocka_unit_test(test_irq_nexus_errors),
		cmocka_unit_test(test_irq_nexus_timer),
		cmocka_unit_test(test_foreign_irq_uart),
		cmocka_unit_test(test_foreign_irq_smmu),
		cmocka_unit_test(test_foreign_irq_via_nexus),
		cmocka_unit_test(test_foreign_irq_timer),
		cmocka_unit_test(test_uart_compatible_list),
		cmocka_unit_test(test_pci_unsupported_host),
		cmocka_unit_test(test_pci_other_hosts),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_uart_ti),
		cmocka_unit_test(test_uart_16550_packed),
		cmocka_unit_test(test_uart_pl011_and_sbsa),
	};

	return cmocka_run_group_tests_name("boards", tests, NULL, NULL);
}
