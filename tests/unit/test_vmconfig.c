/*
 * Unit tests for core/vm/vmconfig.c: VM configs written as device-tree source under
 * tests/unit/vmconfig/ (compiled by tests/unit/vmconfig.mk), parsed against a fixed machine.
 *  - valid.dts (base.dtsi): two VMs using every property; every field is checked;
 *  - one config per error, each base.dtsi with one change, and the exact message it gives;
 *  - the blob itself corrupted here: bad headers, every truncation, random bit flips.
 * Every config is handed over in a buffer of exactly its size, so AddressSanitizer catches any
 * read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/errno.h"
#include "core/vm/vmconfig.h"
#include "test_util.h"

#define MSG_LEN 256
#define CONFIG_SRC_DIR "tests/unit/vmconfig"

/* ---- the machine the configs are checked against (base.dtsi's comment) ---- */

static const struct vmconfig_host host = {
	.n_cpus = 12,
	.hyp = { { { 0x40000000 }, 0x400000 },	  /* the image */
		 { { 0x08000000 }, 0x10000 },	  /* GICD */
		 { { 0x080a0000 }, 0xf60000 },	  /* GICR */
		 { { 0x09000000 }, 0x1000 },	  /* UART */
		 { { 0x09050000 }, 0x20000 },	  /* SMMU */
		 { { 0x4010000000 }, 0x10000000 } }, /* PCIe ECAM */
	.n_hyp = 6,
	.hyp_irqs = { 33, 74, 75, 76, 77, 100 },
	.n_hyp_irqs = 6,
	.gic_spi_end = 288,
};

static const struct platform *machine(void)
{
	static struct platform p;

	memset(&p, 0, sizeof(p));
	p.mem[0] = (struct mem_range){ { 0x40000000 }, 0x80000000 };
	p.mem[1] = (struct mem_range){ { 0x880000000 }, 0x40000000 };
	p.n_mem = 2;
	p.resv[0] = (struct mem_range){ { 0xbf000000 }, 0x100000 };
	p.n_resv = 1;
	p.n_cpus = 12;
	p.pci.present = true;
	p.pci.bus_start = 0;
	p.pci.bus_end = 0x3f;
	return &p;
}

/* ---- loading and parsing ---- */

/* A config of tests/unit/vmconfig.mk, by its name ("valid", "cpus-shared"...). */
static void *load_config(const char *name, size_t *size)
{
	return load_built(size, "vmconfig/%s.dtb", name);
}

/* A blob of tests/unit/vmconfig.mk, to compare with what the config points at. */
static void *load_blob(const char *name, size_t *size)
{
	return load_built(size, "vmconfig/blobs/%s", name);
}

struct parsed {
	void *fdt; /* the config: cfg's blobs point into it */
	size_t size;
	struct vm_configs cfg;
	char err[MSG_LEN];
	int ret;
};

static void parse_on(struct parsed *p, const char *name, const struct platform *plat)
{
	p->fdt = load_config(name, &p->size);
	p->ret = vmconfig_parse(p->fdt, p->size, plat, &host, &p->cfg, p->err, sizeof(p->err));
}

static void parse_ok(struct parsed *p, const char *name)
{
	parse_on(p, name, machine());
	if (p->ret != 0)
		fail_msg("%s: %s", name, p->err);
}

static void parse_err(const char *name, const struct platform *plat, const char *msg)
{
	static struct parsed p;

	parse_on(&p, name, plat);
	assert_int_equal(p.ret, -E_INVAL);
	assert_string_equal(p.err, msg);
	assert_int_equal(p.cfg.n, 0); /* nothing half-parsed is left for the caller */
	free(p.fdt);
}

/* The blob lies inside the config, and holds exactly the file the config /incbin/s. */
static void expect_blob(const struct parsed *p, struct vm_blob b, const char *file)
{
	size_t size;
	void *want = load_blob(file, &size);

	assert_true((const char *)b.data >= (const char *)p->fdt);
	assert_true((const char *)b.data + b.size <= (const char *)p->fdt + p->size);
	assert_int_equal(b.size, size);
	assert_memory_equal(b.data, want, size);
	free(want);
}

/* ---- valid configs ---- */

static void expect_ram(const struct vm_ram_cfg *r, uint64_t ipa, uint64_t size, bool pinned,
		       uint64_t pa)
{
	assert_int_equal(r->ipa.v, ipa);
	assert_int_equal(r->size, size);
	assert_int_equal(r->pinned, pinned);
	assert_int_equal(r->pa.v, pa);
}

static void expect_mmio(const struct vm_mmio_cfg *m, uint64_t pa, uint64_t ipa, uint64_t size)
{
	assert_int_equal(m->pa.v, pa);
	assert_int_equal(m->ipa.v, ipa);
	assert_int_equal(m->size, size);
}

static void check_vm0(const struct parsed *p)
{
	const struct vm_config *vm = &p->cfg.vm[0];

	assert_string_equal(vm->name, "linux0");
	assert_int_equal(vm->n_cpus, 2);
	assert_int_equal(vm->cpus[0], 0);
	assert_int_equal(vm->cpus[1], 1);
	assert_int_equal(vm->n_ram, 2);
	expect_ram(&vm->ram[0], 0x40000000, 0x10000000, true, 0x50000000);
	expect_ram(&vm->ram[1], 0x100000000, 0x200000, true, 0x880000000);
	expect_blob(p, vm->kernel, "kernel.bin");
	assert_int_equal(vm->kernel_format, VM_KERNEL_IMAGE);
	expect_blob(p, vm->initrd, "initrd.bin");
	assert_int_equal(vm->dtb.size, 0);
	assert_string_equal(vm->bootargs, "console=ttyAMA0 earlycon");
	assert_int_equal(vm->n_mmio, 1);
	expect_mmio(&vm->mmio[0], 0x0c000000, 0x0c000000, 0x2000); /* identity mapped */
	assert_int_equal(vm->n_irqs, 2);
	assert_int_equal(vm->irqs[0], 40);
	assert_int_equal(vm->irqs[1], 41);
	assert_int_equal(vm->n_pci, 2);
	assert_int_equal(vm->pci_bdf[0], 0x0008);
	assert_int_equal(vm->pci_bdf[1], 0x0100);
	assert_true(vm->virtio_iommu);
	assert_int_equal(vm->viommu_mappings, 100000);
	assert_int_equal(vm->viommu_table_pages, VIOMMU_DEFAULT_TABLE_PAGES);
	assert_true(vm->measure_costs);
}

static void check_vm1(const struct parsed *p)
{
	const struct vm_config *vm = &p->cfg.vm[1];
	char args[VM_BOOTARGS_LEN];

	assert_string_equal(vm->name, "linux1");
	assert_int_equal(vm->n_cpus, 1);
	assert_int_equal(vm->cpus[0], 3);
	assert_int_equal(vm->n_ram, 3);
	expect_ram(&vm->ram[0], 0x0, 0x8000000, false, 0);
	expect_ram(&vm->ram[1], 0x0b000000, 0x1000000, false, 0);
	expect_ram(&vm->ram[2], 0xffffe00000, 0x200000, false, 0);
	expect_blob(p, vm->kernel, "kernel.elf");
	assert_int_equal(vm->kernel_format, VM_KERNEL_ELF);
	assert_int_equal(vm->initrd.size, 0);
	expect_blob(p, vm->dtb, "guest.dtb");
	memset(args, 'a', VM_BOOTARGS_LEN - 1);
	args[VM_BOOTARGS_LEN - 1] = '\0';
	assert_string_equal(vm->bootargs, args);
	assert_int_equal(vm->n_mmio, 1);
	expect_mmio(&vm->mmio[0], 0x09030000, 0x0c000000, 0x1000);
	assert_int_equal(vm->n_irqs, 2);
	assert_int_equal(vm->irqs[0], 47);
	assert_int_equal(vm->irqs[1], 80);
	assert_int_equal(vm->n_pci, 0);
	assert_false(vm->virtio_iommu);
	assert_false(vm->measure_costs);
}

static void test_valid(void **state)
{
	static struct parsed p;

	parse_ok(&p, "valid");
	assert_int_equal(p.cfg.n, 2);
	assert_string_equal(p.err, "");
	check_vm0(&p);
	check_vm1(&p);
	free(p.fdt);
}

/* VM_MAX VMs are allowed; the ninth is refused (a bad case below). */
static void test_eight_vms(void **state)
{
	static struct parsed p;
	char name[8];

	parse_ok(&p, "eight-vms");
	assert_int_equal(p.cfg.n, VM_MAX);
	for (unsigned i = 2; i < VM_MAX; i++) {
		snprintf(name, sizeof(name), "vm%u", i);
		assert_string_equal(p.cfg.vm[i].name, name);
		assert_int_equal(p.cfg.vm[i].cpus[0], i + 2);
		assert_string_equal(p.cfg.vm[i].bootargs, ""); /* absent */
	}
	free(p.fdt);
}

/* No VM is not an error: the hypervisor runs without guests. */
static void test_no_vms(void **state)
{
	static struct parsed p;

	parse_ok(&p, "no-vms");
	assert_int_equal(p.cfg.n, 0);
	free(p.fdt);
}

static void test_no_pci_host(void **state)
{
	struct platform *p = (struct platform *)machine();

	p->pci.present = false;
	parse_err("valid", p, "vm 'linux0': pci-devices: the platform has no PCIe host");
}

/* ---- one config per error ---- */

struct bad_case {
	const char *name; /* tests/unit/vmconfig/<name>.dts */
	const char *err;
};

static const struct bad_case bad_cases[] = {
	{ "root-compatible", "config: compatible: expected \"portcullis,config\"" },
	{ "node-not-vm", "/serial: compatible: expected \"portcullis,vm\"" },
	{ "vm-compatible", "/vm1: compatible: expected \"portcullis,vm\"" },
	{ "name-missing", "/vm1: vm-name: missing" },
	{ "name-empty", "/vm1: vm-name: empty" },
	{ "name-unterminated", "/vm1: vm-name: not one NUL-terminated string" },
	{ "name-two-strings", "/vm1: vm-name: not one NUL-terminated string" },
	{ "name-long", "/vm1: vm-name: \"linux1-abcdefghi\" has 16 characters, at most 15" },
	{ "name-chars", "/vm1: vm-name: \"linux 1\": only letters, digits, '-', '_' and '.' are allowed" },
	{ "name-duplicate", "/vm1: vm-name: \"linux0\" is also the name of /vm0" },
	{ "unknown-property", "vm 'linux1': bootarg: unknown property" },
	{ "cpus-missing", "vm 'linux1': cpus: missing" },
	{ "cpus-empty", "vm 'linux1': cpus: empty" },
	{ "cpus-bytes", "vm 'linux1': cpus: 5 bytes, not a whole number of cells" },
	{ "cpus-too-many", "vm 'linux1': cpus: 9 entries, at most 8" },
	{ "cpus-nonexistent", "vm 'linux1': cpus: CPU 12 does not exist (12 CPUs are online)" },
	{ "cpus-twice", "vm 'linux1': cpus: CPU 3 is listed twice" },
	{ "cpus-shared", "vm 'linux1': cpus: CPU 1 is already given to vm 'linux0'" },
	{ "memory-missing", "vm 'linux1': memory: missing" },
	{ "memory-empty", "vm 'linux1': memory: empty" },
	{ "memory-cells", "vm 'linux1': memory: 3 cells, expected a multiple of 4" },
	{ "memory-too-many", "vm 'linux1': memory: 5 entries, at most 4" },
	{ "memory-zero", "vm 'linux1': memory: 0x40000000+0x0 is empty" },
	{ "memory-unaligned", "vm 'linux1': memory: 0x40000800+0x8000000 is not 4 KiB aligned" },
	{ "memory-wrap", "vm 'linux1': memory: 0xfffffffffffff000+0x2000 wraps around the address space" },
	{ "memory-ipa-limit", "vm 'linux1': memory: 0xfffffff000+0x2000 ends above the guest's 40-bit address space" },
	{ "memory-emul", "vm 'linux1': memory: 0xafff000+0x2000 overlaps the emulated devices (0x8000000+0x3000000)" },
	{ "memory-overlap", "vm 'linux1': memory: 0x47fff000+0x1000000 overlaps 0x40000000+0x8000000" },
	{ "phys-count", "vm 'linux0': memory-phys: 1 given, expected one per memory region (2)" },
	{ "phys-cells", "vm 'linux0': memory-phys: 3 cells, expected a multiple of 2" },
	{ "phys-unaligned", "vm 'linux0': memory-phys: 0x50000800+0x10000000 is not 4 KiB aligned" },
	{ "phys-wrap", "vm 'linux0': memory-phys: 0xfffffffffff00000+0x10000000 wraps around the address space" },
	{ "phys-not-ram", "vm 'linux0': memory-phys: 0xbc000000+0x10000000 is not inside one RAM bank" },
	{ "phys-reserved", "vm 'linux0': memory-phys: 0xb0000000+0x10000000 overlaps firmware-reserved 0xbf000000+0x100000" },
	{ "phys-hyp", "vm 'linux0': memory-phys: 0x40000000+0x10000000 overlaps the hypervisor's 0x40000000+0x400000" },
	{ "phys-self", "vm 'linux0': memory-phys: 0x5ff00000+0x200000 overlaps 0x50000000+0x10000000" },
	{ "phys-other-vm", "vm 'linux1': memory-phys: 0x5c000000+0x8000000 overlaps 0x50000000+0x10000000 of vm 'linux0'" },
	{ "kernel-missing", "vm 'linux1': kernel: missing" },
	{ "kernel-small", "vm 'linux1': kernel: 63 bytes, too small for an arm64 Image or ELF header" },
	{ "kernel-x86", "vm 'linux1': kernel: neither an arm64 Image (\"ARM\\x64\" at 0x38) nor an AArch64 ELF64 file" },
	{ "initrd-empty", "vm 'linux0': initrd: empty" },
	{ "bootargs-unterminated", "vm 'linux0': bootargs: not one NUL-terminated string" },
	{ "bootargs-long", "vm 'linux0': bootargs: 2048 characters, Linux takes at most 2047" },
	{ "dtb-short", "vm 'linux1': dtb: 23 bytes, smaller than a DTB header" },
	{ "dtb-magic", "vm 'linux1': dtb: no DTB magic (0xd00dfeed)" },
	{ "dtb-cut", "vm 'linux1': dtb: totalsize 512 exceeds its 100 bytes" },
	{ "mmio-cells", "vm 'linux0': mmio: 3 cells, expected a multiple of 4" },
	{ "mmio-too-many", "vm 'linux0': mmio: 9 entries, at most 8" },
	{ "mmio-zero", "vm 'linux0': mmio: 0xc000000+0x0 is empty" },
	{ "mmio-unaligned", "vm 'linux0': mmio: 0xc000000+0x800 is not 4 KiB aligned" },
	{ "mmio-wrap", "vm 'linux0': mmio: 0xfffffffffffff000+0x2000 wraps around the address space" },
	{ "mmio-ram", "vm 'linux0': mmio: 0x7f000000+0x1000 is RAM (0x40000000+0x80000000)" },
	{ "mmio-hyp", "vm 'linux1': mmio: 0x9000000+0x1000 overlaps the hypervisor's 0x9000000+0x1000" },
	{ "mmio-self", "vm 'linux1': mmio: 0x9030000+0x1000 overlaps 0x9030000+0x1000" },
	{ "mmio-other-vm", "vm 'linux1': mmio: 0xc001000+0x1000 overlaps 0xc000000+0x2000 of vm 'linux0'" },
	{ "mmio-emul", "vm 'linux0': mmio: 0x9030000+0x1000 overlaps the emulated devices (0x8000000+0x3000000)" },
	{ "mmio-ram-ipa", "vm 'linux1': mmio: 0x100000+0x1000 overlaps memory 0x0+0x8000000" },
	{ "mmio-ipa-count", "vm 'linux1': mmio-ipa: 2 given, expected one per mmio region (1)" },
	{ "mmio-ipa-cells", "vm 'linux1': mmio-ipa: 1 cells, expected a multiple of 2" },
	{ "mmio-ipa-unaligned", "vm 'linux1': mmio-ipa: 0xc000800+0x1000 is not 4 KiB aligned" },
	{ "mmio-ipa-limit", "vm 'linux1': mmio-ipa: 0x10000000000+0x1000 ends above the guest's 40-bit address space" },
	{ "mmio-ipa-emul", "vm 'linux1': mmio-ipa: 0xa000000+0x1000 overlaps the emulated devices (0x8000000+0x3000000)" },
	{ "mmio-ipa-ram", "vm 'linux1': mmio-ipa: 0xbfff000+0x1000 overlaps memory 0xb000000+0x1000000" },
	{ "mmio-ipa-self", "vm 'linux1': mmio-ipa: 0xc000000+0x1000 overlaps 0xc000000+0x1000" },
	{ "intid-bytes", "vm 'linux0': intids: 3 bytes, not a whole number of cells" },
	{ "intid-too-many", "vm 'linux0': intids: 17 entries, at most 16" },
	{ "intid-ppi", "vm 'linux0': intids: INTID 31 is not an SPI (32-1019)" },
	{ "intid-special", "vm 'linux0': intids: INTID 1020 is not an SPI (32-1019)" },
	{ "intid-gic", "vm 'linux0': intids: INTID 288 is beyond the GIC's last SPI (287)" },
	{ "intid-vgic", "vm 'linux0': intids: INTID 128 is beyond the vGIC's last SPI (127)" },
	{ "intid-vuart", "vm 'linux0': intids: INTID 33 is the virtual UART's" },
	{ "intid-virtio", "vm 'linux0': intids: INTID 48 is reserved for virtio-mmio devices (48-79)" },
	{ "intid-virtio-last", "vm 'linux0': intids: INTID 79 is reserved for virtio-mmio devices (48-79)" },
	{ "intid-hyp", "vm 'linux0': intids: INTID 100 is the hypervisor's" },
	{ "intid-twice", "vm 'linux0': intids: INTID 40 is listed twice" },
	{ "intid-shared", "vm 'linux1': intids: INTID 41 is already given to vm 'linux0'" },
	{ "pci-bytes", "vm 'linux0': pci-devices: 2 bytes, not a whole number of cells" },
	{ "pci-too-many", "vm 'linux0': pci-devices: 17 entries, at most 16" },
	{ "pci-bdf", "vm 'linux0': pci-devices: 0x10000 is not a bus << 8 | device << 3 | function" },
	{ "pci-bus", "vm 'linux0': pci-devices: 40:00.0 is not on the PCIe host's buses 00-3f" },
	{ "pci-twice", "vm 'linux0': pci-devices: 00:01.1 is listed twice" },
	{ "pci-shared", "vm 'linux1': pci-devices: 01:00.0 is already given to vm 'linux0'" },
	{ "virtio-iommu-value", "vm 'linux0': virtio-iommu: a flag takes no value" },
	{ "measure-costs-value", "vm 'linux0': measure-costs: a flag takes no value" },
	{ "viommu-limit-no-flag",
	  "vm 'linux0': virtio-iommu-mappings: set without the virtio-iommu flag" },
	{ "viommu-limit-range", "vm 'linux0': virtio-iommu-table-pages: 8 is outside 16..262144" },
	{ "viommu-limit-cells", "vm 'linux0': virtio-iommu-mappings: one cell expected, 8 bytes found" },
	{ "too-many-vms", "/vm8: more than 8 VMs" },
};

static void run_bad_case(void **state)
{
	const struct bad_case *bc = *state;

	parse_err(bc->name, machine(), bc->err);
}

/* Every config under tests/unit/vmconfig is tested: a new one without a case fails here. */
static bool has_case(const char *name)
{
	static const char *const valid[] = { "valid", "eight-vms", "no-vms" };

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (strcmp(valid[i], name) == 0)
			return true;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		if (strcmp(bad_cases[i].name, name) == 0)
			return true;
	return false;
}

static void test_every_config_has_a_case(void **state)
{
	DIR *d = opendir(CONFIG_SRC_DIR);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		fail_msg("cannot open %s (run from the top of the tree)", CONFIG_SRC_DIR);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[256];

		if (len < 5 || strcmp(e->d_name + len - 4, ".dts") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
		if (!has_case(name))
			fail_msg("%s/%s.dts has no test case", CONFIG_SRC_DIR, name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 3 + sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* ---- the blob ---- */

static int parse_buf(const void *fdt, size_t size, char *err, size_t err_len)
{
	static struct vm_configs cfg;

	return vmconfig_parse(fdt, size, machine(), &host, &cfg, err, err_len);
}

static void test_blob_header(void **state)
{
	char err[MSG_LEN], want[MSG_LEN];
	size_t size;
	uint8_t *fdt = load_config("valid", &size);

	assert_int_equal(parse_buf(fdt, 39, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "config: 39 bytes, smaller than a DTB header");
	fdt[0] ^= 0xff;
	assert_int_equal(parse_buf(fdt, size, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "config: bad header (FDT_ERR_BADMAGIC)");
	fdt[0] ^= 0xff;
	assert_int_equal(parse_buf(fdt, size - 1, err, sizeof(err)), -E_INVAL);
	snprintf(want, sizeof(want), "config: totalsize %zu exceeds the %zu bytes available", size,
		 size - 1);
	assert_string_equal(err, want);
	/* the first structure tag (FDT_BEGIN_NODE) made an unknown one */
	fdt[fdt_off_dt_struct(fdt) + 3] = 0x42;
	assert_int_equal(parse_buf(fdt, size, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "config: malformed (FDT_ERR_BADSTRUCTURE)");
	free(fdt);
}

/* libfdt reads a tree only at an 8-byte aligned address: say so plainly. */
static void test_blob_alignment(void **state)
{
	char err[MSG_LEN];
	size_t size;
	uint8_t *fdt = load_config("valid", &size);
	uint8_t *shifted = malloc(size + 4);

	memcpy(shifted + 4, fdt, size);
	assert_int_equal(parse_buf(shifted + 4, size, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "config: not at an 8-byte aligned address, as libfdt needs");
	free(shifted);
	free(fdt);
}

/* The error buffer's length is honoured, down to none at all. */
static void test_err_len(void **state)
{
	char err[12];
	size_t size;
	void *fdt = load_config("cpus-shared", &size);

	assert_int_equal(parse_buf(fdt, size, err, sizeof(err)), -E_INVAL);
	assert_string_equal(err, "vm 'linux1'");
	assert_int_equal(parse_buf(fdt, size, err, 5), -E_INVAL);
	assert_string_equal(err, "vm '");
	assert_int_equal(parse_buf(fdt, size, NULL, 0), -E_INVAL);
	free(fdt);
}

/* Every truncation of a valid config is refused, reading nothing past the cut. */
static void test_every_truncation(void **state)
{
	char err[MSG_LEN];
	size_t size;
	uint8_t *fdt = load_config("valid", &size);

	for (size_t len = 0; len < size; len++) {
		uint8_t *cut = malloc(len ? len : 1);

		memcpy(cut, fdt, len);
		err[0] = '\0';
		assert_int_equal(parse_buf(cut, len, err, sizeof(err)), -E_INVAL);
		assert_true(err[0] != '\0');
		free(cut);
	}
	free(fdt);
}

static bool blob_inside(struct vm_blob b, const uint8_t *fdt, size_t size)
{
	return b.size == 0 ||
	       ((const uint8_t *)b.data >= fdt && (const uint8_t *)b.data + b.size <= fdt + size);
}

static void check_sane(const struct vm_configs *cfg, const uint8_t *fdt, size_t size)
{
	assert_in_range(cfg->n, 0, VM_MAX);
	for (unsigned i = 0; i < cfg->n; i++) {
		const struct vm_config *vm = &cfg->vm[i];

		assert_in_range(strnlen(vm->name, VM_NAME_LEN), 1, VM_NAME_LEN - 1);
		assert_in_range(vm->n_cpus, 1, VM_MAX_VCPUS);
		assert_in_range(vm->n_ram, 1, VM_MAX_RAM);
		assert_in_range(vm->n_mmio, 0, VM_MAX_MMIO);
		assert_in_range(vm->n_irqs, 0, VM_MAX_IRQS);
		assert_in_range(vm->n_pci, 0, VM_MAX_PCI);
		assert_true(blob_inside(vm->kernel, fdt, size));
		assert_true(blob_inside(vm->initrd, fdt, size));
		assert_true(blob_inside(vm->dtb, fdt, size));
		assert_in_range(strlen(vm->bootargs), 0, VM_BOOTARGS_LEN - 1);
		for (unsigned c = 0; c < vm->n_cpus; c++)
			assert_in_range(vm->cpus[c], 0, host.n_cpus - 1);
	}
}

/*
 * Random bit flips anywhere in a valid config: parsing either succeeds with sane contents or
 * fails with a message, and (under ASan/UBSan) never reads out of bounds.
 */
static void test_bit_flips(void **state)
{
	static struct vm_configs cfg;
	char err[MSG_LEN];
	size_t size;
	uint8_t *orig = load_config("valid", &size), *fdt = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned ok = 0;

	for (int iter = 0; iter < 4000; iter++) {
		flip_bits(fdt, orig, size, 1 + iter % 3, &x);
		err[0] = '\0';
		if (vmconfig_parse(fdt, size, machine(), &host, &cfg, err, sizeof(err)) == 0) {
			check_sane(&cfg, fdt, size);
			ok++;
		} else {
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
		}
	}
	/* most flips land in blob bytes that do not matter; both sides must be exercised */
	print_message("%u of 4000 flipped configs accepted\n", ok);
	assert_true(ok > 100 && ok < 4000);
	free(orig);
	free(fdt);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_eight_vms),
		cmocka_unit_test(test_no_vms),
		cmocka_unit_test(test_no_pci_host),
		cmocka_unit_test(test_every_config_has_a_case),
		cmocka_unit_test(test_blob_header),
		cmocka_unit_test(test_blob_alignment),
		cmocka_unit_test(test_err_len),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bit_flips),
	};

	return RUN_FIXED_AND_CASES("vmconfig", fixed, bad_cases, run_bad_case);
}
