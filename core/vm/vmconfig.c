/*
 * The VM config (docs/config.md): a device tree with one "portcullis,vm" node per VM, read
 * and validated whole before any guest starts (see core/vm/vmconfig.h). This file reads it:
 * the blob and its root, then each VM node property by property into its struct vm_config.
 * What a value must not collide with (the host, the guest layout, other VMs) is decided by
 * the rules in core/vm/vmconfig_check.c.
 *
 * Sources, cited by tag below:
 *   [DT]    Devicetree Specification v0.4
 *   [BOOT]  Linux Documentation/arch/arm64/booting.rst (the Image header)
 *   [ELF]   System V ABI, ELF-64 Object File Format; ELF for the Arm 64-bit Architecture
 *
 * The blob is hostile: it is validated whole (fdt_check_full) before any node is read, and
 * every property's length is checked before a byte of it is read. Any problem becomes one
 * line naming the VM and the property; nothing here can stop the machine.
 */
#include <libfdt.h>

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/vm/vmconfig_internal.h"

#define CONFIG_COMPAT "portcullis,config"
#define VM_COMPAT "portcullis,vm"
/* [BOOT] the Image header is 64 bytes with the magic "ARM\x64" at 0x38; an ELF64 header is
 * also 64 bytes. */
#define KERNEL_HDR_SIZE 64
#define IMAGE_MAGIC_OFF 0x38
/* [ELF] e_ident[EI_CLASS] = ELFCLASS64, e_ident[EI_DATA] = ELFDATA2LSB, e_machine at 18. */
#define ELF_CLASS_OFF 4
#define ELF_CLASS64 2
#define ELF_DATA_OFF 5
#define ELF_DATA_LSB 1
#define ELF_MACHINE_OFF 18
#define ELF_EM_AARCH64 183

/* ---- messages ---- */

/* Who a message is about: the VM once its name is known, else its node, else the config. */
static void who(const struct ctx *c, char *buf, size_t len)
{
	const char *name;

	if (c->node < 0) {
		fmt_snprintf(buf, len, "config");
	} else if (c->vm && c->vm->name[0]) {
		fmt_snprintf(buf, len, "vm '%s'", c->vm->name);
	} else {
		name = fdt_get_name(c->fdt, c->node, NULL);
		fmt_snprintf(buf, len, "/%.40s", name ? name : "?");
	}
}

/* "<who>: <field>: <message>" (no field: "<who>: <message>"), always NUL-terminated. */
int vmcfg_fail(const struct ctx *c, const char *field, const char *fmt, ...)
{
	char w[64];
	va_list ap;
	size_t n;

	if (c->err_len == 0)
		return -E_INVAL;
	who(c, w, sizeof(w));
	if (field)
		fmt_snprintf(c->err, c->err_len, "%s: %s: ", w, field);
	else
		fmt_snprintf(c->err, c->err_len, "%s: ", w);
	n = strnlen(c->err, c->err_len);
	va_start(ap, fmt);
	fmt_vsnprintf(c->err + n, c->err_len - n, fmt, ap);
	va_end(ap);
	return -E_INVAL;
}

/* ---- properties ---- */

/*
 * The VM node's property as *n entries of 'unit' cells, at most 'max' of them. Returns
 * -E_NOENT, with no message, when it is absent: the caller decides whether that is an error.
 */
static int prop_entries(const struct ctx *c, const char *name, u32 unit, u32 max,
			const fdt32_t **cells, u32 *n)
{
	int len;
	const fdt32_t *v = fdt_getprop(c->fdt, c->node, name, &len);

	*n = 0;
	if (!v)
		return -E_NOENT;
	if (len % 4)
		return vmcfg_fail(c, name, "%d bytes, not a whole number of cells", len);
	if ((u32)(len / 4) % unit)
		return vmcfg_fail(c, name, "%d cells, expected a multiple of %u", len / 4, unit);
	*n = (u32)(len / 4) / unit;
	if (*n > max)
		return vmcfg_fail(c, name, "%u entries, at most %u", *n, max);
	*cells = v;
	return 0;
}

/* Like prop_entries, for a property that must be present with at least one entry. */
static int prop_required(const struct ctx *c, const char *name, u32 unit, u32 max,
			 const fdt32_t **cells, u32 *n)
{
	int ret = prop_entries(c, name, unit, max, cells, n);

	if (ret == -E_NOENT)
		return vmcfg_fail(c, name, "missing");
	if (!ret && *n == 0)
		return vmcfg_fail(c, name, "empty");
	return ret;
}

/* Exactly one NUL-terminated string; -E_NOENT (no message) when absent. */
static int prop_string(const struct ctx *c, const char *name, const char **s, size_t *slen)
{
	int len;
	const char *v = fdt_getprop(c->fdt, c->node, name, &len);

	if (!v)
		return -E_NOENT;
	if (len < 1 || strnlen(v, (size_t)len) != (size_t)len - 1)
		return vmcfg_fail(c, name, "not one NUL-terminated string");
	*s = v;
	*slen = (size_t)len - 1;
	return 0;
}

/* Raw bytes (/incbin/); -E_NOENT (no message) when absent. */
static int prop_blob(const struct ctx *c, const char *name, struct vm_blob *b)
{
	int len;
	const void *v = fdt_getprop(c->fdt, c->node, name, &len);

	if (!v)
		return -E_NOENT;
	b->data = v;
	b->size = (size_t)len;
	return 0;
}

/* A 2-cell (64-bit) big-endian number. */
static u64 read_u64(const fdt32_t *p)
{
	return ((u64)fdt32_ld(p) << 32) | fdt32_ld(p + 1);
}

/* ---- lists of numbers: cpus, intids, pci-devices ---- */

static int read_list(const struct ctx *c, const struct list_field *f)
{
	const fdt32_t *v;
	u32 n;
	int ret = f->required ? prop_required(c, f->prop, 1, f->max, &v, &n)
			      : prop_entries(c, f->prop, 1, f->max, &v, &n);

	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	for (u32 i = 0; !ret && i < n; i++)
		ret = vmcfg_list_add(c, f, fdt32_ld(v + i));
	return ret;
}

static int read_cpus(const struct ctx *c)
{
	return read_list(c, &vmcfg_cpus);
}

static int read_intids(const struct ctx *c)
{
	return read_list(c, &vmcfg_intids);
}

static int read_pci_devices(const struct ctx *c)
{
	return read_list(c, &vmcfg_pci_devices);
}

/* ---- the VM node ---- */

static int check_compatible(const struct ctx *c)
{
	if (fdt_node_check_compatible(c->fdt, c->node, VM_COMPAT) != 0)
		return vmcfg_fail(c, "compatible", "expected \"" VM_COMPAT "\"");
	return 0;
}

/* Names prefix the VM's console lines, so they are kept short and plain. */
static bool name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

static int check_name_chars(const struct ctx *c, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(s[i]))
			return vmcfg_fail(
				c, "vm-name",
				"\"%s\": only letters, digits, '-', '_' and '.' are allowed", s);
	return 0;
}

static int read_name(const struct ctx *c)
{
	const char *s;
	size_t len;
	int ret = prop_string(c, "vm-name", &s, &len);

	if (ret == -E_NOENT)
		return vmcfg_fail(c, "vm-name", "missing");
	if (!ret && len == 0)
		return vmcfg_fail(c, "vm-name", "empty");
	if (!ret && len >= VM_NAME_LEN)
		return vmcfg_fail(c, "vm-name", "\"%.40s\" has %zu characters, at most %u", s, len,
				  VM_NAME_LEN - 1);
	if (!ret)
		ret = check_name_chars(c, s, len);
	for (unsigned i = 0; !ret && i < c->cfg->n; i++)
		if (strcmp(c->cfg->vm[i].name, s) == 0)
			return vmcfg_fail(c, "vm-name", "\"%s\" is also the name of /%.40s", s,
					  fdt_get_name(c->fdt, c->vm_node[i], NULL));
	if (!ret)
		memcpy(c->vm->name, s, len + 1);
	return ret;
}

/* A misspelt optional property would otherwise be silently ignored. */
static int check_known_props(const struct ctx *c)
{
	static const char *const known[] = {
		"compatible", "vm-name", "cpus",	 "memory", "memory-phys",
		"kernel",     "initrd",	 "bootargs",	 "dtb",	   "mmio",
		"mmio-ipa",   "intids",	 "pci-devices", "virtio-iommu",
		"virtio-iommu-mappings", "virtio-iommu-table-pages", "measure-costs",
	};
	int prop;

	fdt_for_each_property_offset(prop, c->fdt, c->node) {
		const char *name = "";
		unsigned i = 0;

		fdt_getprop_by_offset(c->fdt, prop, &name, NULL);
		while (i < ARRAY_SIZE(known) && strcmp(known[i], name) != 0)
			i++;
		if (i == ARRAY_SIZE(known))
			return vmcfg_fail(c, name, "unknown property");
	}
	return 0;
}

/* ---- memory ---- */

static int read_memory(const struct ctx *c)
{
	const fdt32_t *v;
	u32 n;
	int ret = prop_required(c, "memory", 4, VM_MAX_RAM, &v, &n);

	for (u32 i = 0; !ret && i < n; i++)
		ret = vmcfg_add_ram(c, read_u64(v + 4 * i), read_u64(v + 4 * i + 2));
	return ret;
}

static int read_memory_phys(const struct ctx *c)
{
	const fdt32_t *v;
	u32 n;
	int ret = prop_entries(c, "memory-phys", 2, VM_MAX_RAM, &v, &n);

	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	if (n != c->vm->n_ram)
		return vmcfg_fail(c, "memory-phys", "%u given, expected one per memory region (%u)",
				  n, c->vm->n_ram);
	for (u32 i = 0; !ret && i < n; i++)
		ret = vmcfg_pin_ram(c, &c->vm->ram[i], read_u64(v + 2 * i));
	return ret;
}

/* ---- images and strings ---- */

static bool is_image(const u8 *k)
{
	return memcmp(k + IMAGE_MAGIC_OFF, "ARM\x64", 4) == 0;
}

static bool is_elf(const u8 *k)
{
	return memcmp(k, "\x7f" "ELF", 4) == 0 && k[ELF_CLASS_OFF] == ELF_CLASS64 &&
	       k[ELF_DATA_OFF] == ELF_DATA_LSB &&
	       (k[ELF_MACHINE_OFF] | k[ELF_MACHINE_OFF + 1] << 8) == ELF_EM_AARCH64;
}

static int read_kernel(const struct ctx *c)
{
	struct vm_config *vm = c->vm;
	int ret = prop_blob(c, "kernel", &vm->kernel);

	if (ret == -E_NOENT)
		return vmcfg_fail(c, "kernel", "missing");
	if (vm->kernel.size < KERNEL_HDR_SIZE)
		return vmcfg_fail(c, "kernel",
				  "%zu bytes, too small for an arm64 Image or ELF header",
				  vm->kernel.size);
	if (is_image(vm->kernel.data))
		vm->kernel_format = VM_KERNEL_IMAGE;
	else if (is_elf(vm->kernel.data))
		vm->kernel_format = VM_KERNEL_ELF;
	else
		return vmcfg_fail(
			c, "kernel",
			"neither an arm64 Image (\"ARM\\x64\" at 0x38) nor an AArch64 ELF64 file");
	return 0;
}

static int read_initrd(const struct ctx *c)
{
	int ret = prop_blob(c, "initrd", &c->vm->initrd);

	if (ret == -E_NOENT)
		return 0;
	if (c->vm->initrd.size == 0)
		return vmcfg_fail(c, "initrd", "empty");
	return 0;
}

static int read_bootargs(const struct ctx *c)
{
	const char *s;
	size_t len;
	int ret = prop_string(c, "bootargs", &s, &len);

	c->vm->bootargs = "";
	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	if (len >= VM_BOOTARGS_LEN)
		return vmcfg_fail(c, "bootargs", "%zu characters, Linux takes at most %u", len,
				  VM_BOOTARGS_LEN - 1);
	c->vm->bootargs = s;
	return 0;
}

/*
 * The guest's own DTB. Only its header is checked here: libfdt reads a tree only at an
 * 8-byte aligned address, and a property's bytes are 4-byte aligned. The guest parses the
 * rest itself, from the 8-byte aligned copy the loader makes [BOOT].
 */
static int read_dtb(const struct ctx *c)
{
	const struct vm_blob *d = &c->vm->dtb;
	int ret = prop_blob(c, "dtb", &c->vm->dtb);

	if (ret == -E_NOENT)
		return 0;
	if (d->size < sizeof(struct fdt_header))
		return vmcfg_fail(c, "dtb", "%zu bytes, smaller than a DTB header", d->size);
	if (fdt_magic(d->data) != FDT_MAGIC)
		return vmcfg_fail(c, "dtb", "no DTB magic (0x%x)", FDT_MAGIC);
	if (fdt_totalsize(d->data) > d->size)
		return vmcfg_fail(c, "dtb", "totalsize %u exceeds its %zu bytes",
				  fdt_totalsize(d->data), d->size);
	return 0;
}

/* An empty property: present or not. */
static int read_flag(const struct ctx *c, const char *name, bool *out)
{
	int len;

	if (!fdt_getprop(c->fdt, c->node, name, &len))
		return 0;
	if (len != 0)
		return vmcfg_fail(c, name, "a flag takes no value");
	*out = true;
	return 0;
}

static int read_flags(const struct ctx *c)
{
	int ret = read_flag(c, "virtio-iommu", &c->vm->virtio_iommu);

	return ret ? ret : read_flag(c, "measure-costs", &c->vm->measure_costs);
}

/* One u32 cell within [min, max]; *out keeps its default when the property is absent. */
static int read_limit(const struct ctx *c, const char *name, u32 min, u32 max, u32 *out)
{
	const fdt32_t *v;
	int len;

	v = fdt_getprop(c->fdt, c->node, name, &len);
	if (!v)
		return 0;
	if (len != sizeof(*v))
		return vmcfg_fail(c, name, "one cell expected, %d bytes found", len);
	if (!c->vm->virtio_iommu)
		return vmcfg_fail(c, name, "set without the virtio-iommu flag");
	if (fdt32_ld(v) < min || fdt32_ld(v) > max)
		return vmcfg_fail(c, name, "%u is outside %u..%u", fdt32_ld(v), min, max);
	*out = fdt32_ld(v);
	return 0;
}

/* The per-VM limits of its virtio-iommu (docs/viommu.md "Limits"). */
static int read_viommu_limits(const struct ctx *c)
{
	int ret;

	c->vm->viommu_mappings = VIOMMU_DEFAULT_MAPPINGS;
	c->vm->viommu_table_pages = VIOMMU_DEFAULT_TABLE_PAGES;
	ret = read_limit(c, "virtio-iommu-mappings", 1, VIOMMU_MAX_MAPPINGS,
			 &c->vm->viommu_mappings);
	if (!ret)
		ret = read_limit(c, "virtio-iommu-table-pages", 16, VIOMMU_MAX_TABLE_PAGES,
				 &c->vm->viommu_table_pages);
	return ret;
}

/* ---- passthrough MMIO ---- */

static int add_mmio(const struct ctx *c, const fdt32_t *e, const fdt32_t *ipa_cells)
{
	struct vm_config *vm = c->vm;
	u64 base = read_u64(e), size = read_u64(e + 2);
	u64 guest = ipa_cells ? read_u64(ipa_cells) : base;
	int ret = vmcfg_check_mmio_pa(c, base, size);

	if (!ret)
		ret = vmcfg_check_mmio_ipa(c, ipa_cells ? "mmio-ipa" : "mmio", guest, size);
	if (!ret)
		vm->mmio[vm->n_mmio++] = (struct vm_mmio_cfg){ pa(base), ipa(guest), size };
	return ret;
}

/* 'mmio', and 'mmio-ipa' (absent: identity mapped), entry for entry. */
static int read_mmio(const struct ctx *c)
{
	const fdt32_t *v = NULL, *iv = NULL;
	u32 n, ni;
	int ret = prop_entries(c, "mmio", 4, VM_MAX_MMIO, &v, &n);

	if (ret && ret != -E_NOENT)
		return ret;
	ret = prop_entries(c, "mmio-ipa", 2, VM_MAX_MMIO, &iv, &ni);
	if (ret && ret != -E_NOENT)
		return ret;
	if (!ret && ni != n)
		return vmcfg_fail(c, "mmio-ipa", "%u given, expected one per mmio region (%u)", ni,
				  n);
	ret = 0;
	for (u32 i = 0; !ret && i < n; i++)
		ret = add_mmio(c, v + 4 * i, iv ? iv + 2 * i : NULL);
	return ret;
}

/* ---- the whole config ---- */

/* In this order: messages name the VM from read_name on, and mmio checks against RAM. */
static int read_vm(const struct ctx *c)
{
	static int (*const steps[])(const struct ctx *) = {
		check_compatible, read_name,	 check_known_props, read_cpus,
		read_memory,	  read_memory_phys, read_kernel,	    read_initrd,
		read_bootargs,	  read_dtb,	 read_mmio,	    read_intids,
		read_pci_devices, read_flags,	 read_viommu_limits,
	};
	int ret = 0;

	for (unsigned i = 0; !ret && i < ARRAY_SIZE(steps); i++)
		ret = steps[i](c);
	return ret;
}

/* [DT] 5.2: the header gives the blob's size; nothing past 'size' may be read. */
static int check_blob(const struct ctx *c, size_t size)
{
	int ret;

	if (size < sizeof(struct fdt_header))
		return vmcfg_fail(c, NULL, "%zu bytes, smaller than a DTB header", size);
	/* libfdt's own error for this (FDT_ERR_ALIGNMENT) has no name in its fdt_strerror */
	if (!IS_ALIGNED((uintptr_t)c->fdt, 8))
		return vmcfg_fail(c, NULL, "not at an 8-byte aligned address, as libfdt needs");
	ret = fdt_check_header(c->fdt);
	if (ret)
		return vmcfg_fail(c, NULL, "bad header (%s)", fdt_strerror(ret));
	if (fdt_totalsize(c->fdt) > size)
		return vmcfg_fail(c, NULL, "totalsize %u exceeds the %zu bytes available",
				  fdt_totalsize(c->fdt), size);
	ret = fdt_check_full(c->fdt, size);
	if (ret)
		return vmcfg_fail(c, NULL, "malformed (%s)", fdt_strerror(ret));
	return 0;
}

static int check_root(const struct ctx *c)
{
	if (fdt_node_check_compatible(c->fdt, 0, CONFIG_COMPAT) != 0)
		return vmcfg_fail(c, "compatible", "expected \"" CONFIG_COMPAT "\"");
	return 0;
}

static int read_vms(struct ctx *c)
{
	struct vm_configs *cfg = c->cfg;
	int node, ret;

	fdt_for_each_subnode(node, c->fdt, 0) {
		c->node = node;
		c->vm = cfg->n < VM_MAX ? &cfg->vm[cfg->n] : NULL;
		if (!c->vm)
			return vmcfg_fail(c, NULL, "more than %u VMs", VM_MAX);
		ret = read_vm(c);
		if (ret)
			return ret;
		c->vm_node[cfg->n++] = node;
	}
	return 0;
}

int vmconfig_parse(const void *fdt, size_t size, const struct platform *plat,
		   const struct vmconfig_host *host, struct vm_configs *cfg, char *err,
		   size_t err_len)
{
	struct ctx c = { .fdt = fdt, .plat = plat, .host = host, .cfg = cfg, .err = err,
			 .err_len = err_len, .node = -1 };
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (err_len)
		err[0] = '\0';
	ret = check_blob(&c, size);
	if (!ret)
		ret = check_root(&c);
	if (!ret)
		ret = read_vms(&c);
	if (ret)
		cfg->n = 0;
	return ret;
}
