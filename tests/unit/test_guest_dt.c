/*
 * Unit tests for core/vm/guest_dt.c: the device tree generated for a VM is read back with libfdt
 * node by node and property by property; the tree must hold nothing else, must pass dtc's own
 * checks, and must describe the virtual devices where QEMU's virt machine has them (a QEMU
 * tree from tests/unit/dtbs.mk), since guests built for that machine are to boot unchanged.
 * Every buffer is exactly as large as it claims, so AddressSanitizer catches a write past it.
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
#include <unistd.h>

#include "core/lib/errno.h"
#include "core/vm/guest_dt.h"
#include "test_util.h"

#define BUF_SIZE 8192
#define UART "/serial@9000000"
#define GIC "/interrupt-controller@8000000"

/* A 2-CPU VM with two RAM regions, as vmconfig_parse would leave it. */
static const struct vm_config vm2 = {
	.name = "linux0",
	.n_cpus = 2,
	.cpus = { 2, 3 },
	.ram = { { .ipa = { 0x40000000 }, .size = 0x10000000 },
		 { .ipa = { 0x100000000 }, .size = 0x200000, .pinned = true,
		   .pa = { 0x880000000 } } },
	.n_ram = 2,
	.bootargs = "console=ttyAMA0 earlycon",
};

static const struct vm_config vm1 = {
	.name = "solo",
	.n_cpus = 1,
	.ram = { { .ipa = { 0x40000000 }, .size = 0x8000000 } },
	.n_ram = 1,
	.bootargs = "",
};

#define INITRD_IPA 0x48000000
#define INITRD_SIZE 0x123456

/* Built into a buffer of exactly BUF_SIZE bytes (8-byte aligned, as malloc returns). */
static void *build(const struct vm_config *cfg, uint64_t initrd, uint64_t initrd_size)
{
	void *buf = malloc(BUF_SIZE);

	assert_int_equal(guest_dt_build(cfg, buf, BUF_SIZE, ipa(initrd), initrd_size, NULL, false), 0);
	assert_int_equal(fdt_check_full(buf, BUF_SIZE), 0);
	return buf;
}

/* ---- reading back ---- */

static int node(const void *fdt, const char *path)
{
	int n = fdt_path_offset(fdt, path);

	if (n < 0)
		fail_msg("no node %s", path);
	return n;
}

/* The property's bytes are exactly these (a string list includes each NUL). */
static void expect_bytes(const void *fdt, const char *path, const char *prop, const void *v,
			 int len)
{
	int got;
	const void *p = fdt_getprop(fdt, node(fdt, path), prop, &got);

	if (!p)
		fail_msg("%s has no '%s'", path, prop);
	assert_int_equal(got, len);
	assert_memory_equal(p, v, (size_t)len);
}
#define EXPECT_STRS(fdt, path, prop, lit) expect_bytes(fdt, path, prop, lit, sizeof(lit))

/* The property is exactly these 32-bit cells. */
static void expect_cells(const void *fdt, const char *path, const char *prop,
			 const uint32_t *cells, int n)
{
	fdt32_t be[16];

	assert_true(n <= 16);
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	expect_bytes(fdt, path, prop, be, n * 4);
}
#define CELLS(...) (const uint32_t[]){ __VA_ARGS__ }, \
		   (int)(sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

static void expect_u64(const void *fdt, const char *path, const char *prop, uint64_t v)
{
	expect_cells(fdt, path, prop, CELLS((uint32_t)(v >> 32), (uint32_t)v));
}

static void expect_absent(const void *fdt, const char *path, const char *prop)
{
	if (fdt_getprop(fdt, node(fdt, path), prop, NULL))
		fail_msg("%s has '%s'", path, prop);
}

static int count_props(const void *fdt, int n)
{
	int prop, count = 0;

	fdt_for_each_property_offset(prop, fdt, n)
		count++;
	return count;
}

/*
 * The tree holds exactly these nodes (in this order) with this many properties each: what the
 * other checks read is then all there is.
 */
struct node_spec {
	const char *path;
	int props;
};

static void expect_nodes(const void *fdt, const struct node_spec *want, int n_want)
{
	char path[128];
	int n = 0, depth = 0;

	/* past the root's end, depth goes below 0 (and the offset stays valid) */
	for (int off = 0; off >= 0 && depth >= 0; off = fdt_next_node(fdt, off, &depth)) {
		assert_int_equal(fdt_get_path(fdt, off, path, sizeof(path)), 0);
		if (n >= n_want)
			fail_msg("unexpected node %s", path);
		assert_string_equal(path, want[n].path);
		if (count_props(fdt, off) != want[n].props)
			fail_msg("%s has %d properties, expected %d", path, count_props(fdt, off),
				 want[n].props);
		n++;
	}
	assert_int_equal(n, n_want);
}

static uint32_t phandle_of(const void *fdt, const char *path)
{
	uint32_t ph = fdt_get_phandle(fdt, node(fdt, path));

	assert_int_not_equal(ph, 0);
	return ph;
}

/* ---- the 2-CPU VM ---- */

static void check_root_chosen(const void *fdt)
{
	expect_cells(fdt, "/", "#address-cells", CELLS(2));
	expect_cells(fdt, "/", "#size-cells", CELLS(2));
	EXPECT_STRS(fdt, "/", "compatible", "linux,dummy-virt");
	EXPECT_STRS(fdt, "/", "model", "Portcullis VM linux0");
	expect_cells(fdt, "/", "interrupt-parent", CELLS(phandle_of(fdt, GIC)));
	EXPECT_STRS(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon");
	EXPECT_STRS(fdt, "/chosen", "stdout-path", UART);
	expect_u64(fdt, "/chosen", "linux,initrd-start", INITRD_IPA);
	expect_u64(fdt, "/chosen", "linux,initrd-end", INITRD_IPA + INITRD_SIZE);
	EXPECT_STRS(fdt, "/aliases", "serial0", UART);
}

static void check_memory_cpus(const void *fdt)
{
	EXPECT_STRS(fdt, "/memory@40000000", "device_type", "memory");
	expect_cells(fdt, "/memory@40000000", "reg", CELLS(0, 0x40000000, 0, 0x10000000));
	EXPECT_STRS(fdt, "/memory@100000000", "device_type", "memory");
	expect_cells(fdt, "/memory@100000000", "reg", CELLS(1, 0, 0, 0x200000));
	expect_cells(fdt, "/cpus", "#address-cells", CELLS(1));
	expect_cells(fdt, "/cpus", "#size-cells", CELLS(0));
	for (uint32_t i = 0; i < 2; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
		EXPECT_STRS(fdt, path, "device_type", "cpu");
		EXPECT_STRS(fdt, path, "compatible", "arm,armv8");
		expect_cells(fdt, path, "reg", CELLS(i)); /* the vCPU's MPIDR, not the pCPU's */
		EXPECT_STRS(fdt, path, "enable-method", "psci");
	}
	EXPECT_STRS(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2");
	EXPECT_STRS(fdt, "/psci", "method", "hvc");
}

static void check_gic_timer(const void *fdt)
{
	EXPECT_STRS(fdt, GIC, "compatible", "arm,gic-v3");
	expect_cells(fdt, GIC, "#interrupt-cells", CELLS(3));
	expect_cells(fdt, GIC, "#address-cells", CELLS(0));
	expect_bytes(fdt, GIC, "interrupt-controller", "", 0);
	expect_cells(fdt, GIC, "#redistributor-regions", CELLS(1));
	/* GICD 0x8000000+64K; GICR from 0x80a0000, 2 vCPUs * 128 KiB */
	expect_cells(fdt, GIC, "reg", CELLS(0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000));
	expect_cells(fdt, GIC, "interrupts", CELLS(1, 9, 4)); /* PPI 9 = INTID 25 */
	/* secure, physical, virtual, hypervisor: INTIDs 29, 30, 27, 26, level-high */
	EXPECT_STRS(fdt, "/timer", "compatible", "arm,armv8-timer");
	expect_cells(fdt, "/timer", "interrupts", CELLS(1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4));
	expect_bytes(fdt, "/timer", "always-on", "", 0);
}

static void check_uart(const void *fdt)
{
	uint32_t clk = phandle_of(fdt, "/apb-pclk");

	EXPECT_STRS(fdt, "/apb-pclk", "compatible", "fixed-clock");
	expect_cells(fdt, "/apb-pclk", "#clock-cells", CELLS(0));
	expect_cells(fdt, "/apb-pclk", "clock-frequency", CELLS(24000000));
	EXPECT_STRS(fdt, "/apb-pclk", "clock-output-names", "clk24mhz");
	EXPECT_STRS(fdt, UART, "compatible", "arm,pl011\0arm,primecell");
	expect_cells(fdt, UART, "reg", CELLS(0, 0x09000000, 0, 0x1000));
	expect_cells(fdt, UART, "interrupts", CELLS(0, 1, 4)); /* SPI 1 = INTID 33 */
	expect_cells(fdt, UART, "clocks", CELLS(clk, clk));
	EXPECT_STRS(fdt, UART, "clock-names", "uartclk\0apb_pclk");
}

static void test_two_cpus(void **state)
{
	static const struct node_spec nodes[] = {
		{ "/", 5 },		{ "/chosen", 4 },	  { "/aliases", 1 },
		{ "/memory@40000000", 2 }, { "/memory@100000000", 2 }, { "/cpus", 2 },
		{ "/cpus/cpu@0", 4 },	{ "/cpus/cpu@1", 4 },	  { "/psci", 2 },
		{ GIC, 8 },		{ "/timer", 3 },	  { "/apb-pclk", 5 },
		{ UART, 5 },
	};
	void *fdt = build(&vm2, INITRD_IPA, INITRD_SIZE);

	expect_nodes(fdt, nodes, sizeof(nodes) / sizeof(nodes[0]));
	check_root_chosen(fdt);
	check_memory_cpus(fdt);
	check_gic_timer(fdt);
	check_uart(fdt);
	assert_int_equal(fdt_num_mem_rsv(fdt), 0);
	free(fdt);
}

/* No initrd and no bootargs: /chosen says nothing about them; one vCPU, one GICR frame. */
static void test_one_cpu_bare(void **state)
{
	void *fdt = build(&vm1, 0, 0);

	expect_absent(fdt, "/chosen", "bootargs");
	expect_absent(fdt, "/chosen", "linux,initrd-start");
	expect_absent(fdt, "/chosen", "linux,initrd-end");
	EXPECT_STRS(fdt, "/chosen", "stdout-path", UART);
	EXPECT_STRS(fdt, "/", "model", "Portcullis VM solo");
	node(fdt, "/cpus/cpu@0");
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@1") < 0);
	expect_cells(fdt, GIC, "reg", CELLS(0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x20000));
	free(fdt);
}

/* Every buffer too small is refused with -E_NOMEM, and nothing is written past it. */
static void test_too_small(void **state)
{
	void *fdt = build(&vm2, INITRD_IPA, INITRD_SIZE);
	size_t need = fdt_totalsize(fdt);

	for (size_t size = 0; size < need; size++) {
		void *buf = malloc(size ? size : 1);

		assert_int_equal(guest_dt_build(&vm2, buf, size, ipa(INITRD_IPA), INITRD_SIZE, NULL, false),
				 -E_NOMEM);
		free(buf);
	}
	free(fdt);
	fdt = malloc(need);
	assert_int_equal(guest_dt_build(&vm2, fdt, need, ipa(INITRD_IPA), INITRD_SIZE, NULL, false), 0);
	assert_int_equal(fdt_check_full(fdt, need), 0);
	free(fdt);
}

/* dtc decompiles the tree without a single warning from its checks. */
static void test_dtc_checks(void **state)
{
	char path[] = "/tmp/guest_dt_XXXXXX", cmd[256], out[1024];
	void *fdt = build(&vm2, INITRD_IPA, INITRD_SIZE);
	int fd = mkstemp(path);
	FILE *p;
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, fdt, fdt_totalsize(fdt)), fdt_totalsize(fdt));
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null %s 2>&1; echo rc=$?", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(path);
	assert_string_equal(out, "rc=0\n");
	free(fdt);
}

/* ---- against QEMU's own virt tree ---- */

static void *load_qemu_dtb(void)
{
	size_t size;
	void *buf = load_dtb("qemu-nosmmu-smp1-512m", &size);

	assert_int_equal(fdt_check_full(buf, size), 0);
	return buf;
}

/* The first 'len' bytes of a property are the same in both trees. */
static void same_prop(const void *a, const char *apath, const void *b, const char *bpath,
		      const char *prop, int len)
{
	int alen, blen;
	const void *av = fdt_getprop(a, node(a, apath), prop, &alen);
	const void *bv = fdt_getprop(b, node(b, bpath), prop, &blen);

	assert_non_null(av);
	assert_non_null(bv);
	assert_true(alen >= len && blen >= len);
	if (memcmp(av, bv, (size_t)len) != 0)
		fail_msg("'%s' of %s differs from QEMU's %s", prop, apath, bpath);
}

/*
 * The UART, the distributor and the timer are where, and wired as, on QEMU virt (one CPU,
 * so the redistributor region is compared by its base only).
 */
static void test_matches_qemu_virt(void **state)
{
	void *ours = build(&vm1, 0, 0), *qemu = load_qemu_dtb();

	same_prop(ours, UART, qemu, "/pl011@9000000", "reg", 16);
	same_prop(ours, UART, qemu, "/pl011@9000000", "interrupts", 12);
	same_prop(ours, UART, qemu, "/pl011@9000000", "compatible", 24);
	same_prop(ours, UART, qemu, "/pl011@9000000", "clock-names", 17);
	same_prop(ours, "/apb-pclk", qemu, "/apb-pclk", "clock-frequency", 4);
	same_prop(ours, GIC, qemu, "/intc@8000000", "reg", 24); /* GICD, GICR's base */
	same_prop(ours, GIC, qemu, "/intc@8000000", "interrupts", 12);
	same_prop(ours, "/timer", qemu, "/timer", "interrupts", 48);
	free(ours);
	free(qemu);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cpus),	  cmocka_unit_test(test_one_cpu_bare),
		cmocka_unit_test(test_too_small),	  cmocka_unit_test(test_dtc_checks),
		cmocka_unit_test(test_matches_qemu_virt),
	};

	return cmocka_run_group_tests_name("guest_dt", tests, NULL, NULL);
}
