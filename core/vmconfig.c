/*
 * The VM config (docs/config.md): a device tree with one "portcullis,vm" node per VM, read
 * and validated whole before any guest starts (see core/vmconfig.h).
 *
 * Sources, cited by tag below:
 *   [DT]    Devicetree Specification v0.4
 *   [BOOT]  Linux Documentation/arch/arm64/booting.rst (the Image header)
 *   [ELF]   System V ABI, ELF-64 Object File Format; ELF for the Arm 64-bit Architecture
 *   [GICV3] Arm IHI 0069 (GICv3), 2.2 "INTIDs"
 *   [PCI]   PCI Local Bus Specification 3.0, 3.2.2.3.1 (bus, device, function)
 *
 * The blob is hostile: it is validated whole (fdt_check_full) before any node is read, and
 * every property's length is checked before a byte of it is read. Any problem becomes one
 * line naming the VM and the property; nothing here can stop the machine.
 */
#include <libfdt.h>

#include "core/guest_layout.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/vgic.h"
#include "core/vmconfig.h"

#define CONFIG_COMPAT "portcullis,config"
#define VM_COMPAT "portcullis,vm"
/* [GICV3] SPIs are INTIDs 32..1019; 1020..1023 are special. */
#define SPI_FIRST 32
#define SPI_END 1020
#define IPA_END (1ULL << GUEST_IPA_BITS)
#define EMUL_SIZE (GUEST_EMUL_END - GUEST_EMUL_START)
#define VIRTIO_INTID_END (GUEST_VIRTIO_INTID_BASE + GUEST_VIRTIO_SLOTS)
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
/* [PCI] a BDF is 16 bits: bus (8), device (5), function (3). */
#define PCI_BDF_END 0x10000
#define PCI_BDF_BUS(bdf) ((bdf) >> 8)
#define PCI_BDF_DEV(bdf) (((bdf) >> 3) & 0x1f)
#define PCI_BDF_FN(bdf) ((bdf) & 0x7)

/* An address range in messages: base+size. */
#define R "0x%llx+0x%llx"
#define RV(base, size) (unsigned long long)(base), (unsigned long long)(size)

struct ctx {
	const void *fdt;
	const struct platform *plat;
	const struct vmconfig_host *host;
	struct vm_configs *cfg; /* cfg->vm[0..n-1] are the VMs already accepted */
	char *err;
	size_t err_len;
	int node;	       /* the VM node being read; -1 for the blob and the root */
	struct vm_config *vm;  /* what it fills, NULL past VM_MAX; its name is set once valid */
	int vm_node[VM_MAX];   /* each accepted VM's node, for messages */
};

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
static int fail(const struct ctx *c, const char *field, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(const struct ctx *c, const char *field, const char *fmt, ...)
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
		return fail(c, name, "%d bytes, not a whole number of cells", len);
	if ((u32)(len / 4) % unit)
		return fail(c, name, "%d cells, expected a multiple of %u", len / 4, unit);
	*n = (u32)(len / 4) / unit;
	if (*n > max)
		return fail(c, name, "%u entries, at most %u", *n, max);
	*cells = v;
	return 0;
}

/* Like prop_entries, for a property that must be present with at least one entry. */
static int prop_required(const struct ctx *c, const char *name, u32 unit, u32 max,
			 const fdt32_t **cells, u32 *n)
{
	int ret = prop_entries(c, name, unit, max, cells, n);

	if (ret == -E_NOENT)
		return fail(c, name, "missing");
	if (!ret && *n == 0)
		return fail(c, name, "empty");
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
		return fail(c, name, "not one NUL-terminated string");
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

/* ---- ranges ---- */

/* Whether [a, a + as) and [b, b + bs), neither empty nor wrapping, share a byte. */
static bool overlap(u64 a, u64 as, u64 b, u64 bs)
{
	return a <= b + (bs - 1) && b <= a + (as - 1);
}

/* The first of r[0..n-1] that [base, base + size) overlaps, or NULL. */
static const struct mem_range *hit(const struct mem_range *r, unsigned n, u64 base, u64 size)
{
	for (unsigned i = 0; i < n; i++)
		if (overlap(base, size, r[i].base.v, r[i].size))
			return &r[i];
	return NULL;
}

/* Non-empty, page-aligned (stage 2 maps whole pages), and not wrapping around. */
static int check_pages(const struct ctx *c, const char *field, u64 base, u64 size)
{
	if (size == 0)
		return fail(c, field, R " is empty", RV(base, size));
	if (!IS_ALIGNED(base | size, PAGE_SIZE))
		return fail(c, field, R " is not 4 KiB aligned", RV(base, size));
	if (base + (size - 1) < base)
		return fail(c, field, R " wraps around the address space", RV(base, size));
	return 0;
}

/* A guest-physical range: inside the stage 2's input range and clear of emulated devices. */
static int check_guest_place(const struct ctx *c, const char *field, u64 ipa, u64 size)
{
	if (ipa >= IPA_END || size > IPA_END - ipa)
		return fail(c, field, R " ends above the guest's %u-bit address space",
			    RV(ipa, size), GUEST_IPA_BITS);
	if (overlap(ipa, size, GUEST_EMUL_START, EMUL_SIZE))
		return fail(c, field, R " overlaps the emulated devices (" R ")", RV(ipa, size),
			    RV(GUEST_EMUL_START, EMUL_SIZE));
	return 0;
}

/* ---- lists of numbers: cpus, intids, pci-devices ---- */

struct u32_list {
	u32 *v;
	unsigned *n;
};

struct list_field {
	const char *prop;
	unsigned max;
	bool required;
	struct u32_list (*of)(struct vm_config *vm);
	/* v's own checks (range, reserved values); 0 or fail()'s result */
	int (*check)(const struct ctx *c, u32 v);
	/* v as messages show it: "CPU 2", "INTID 40", "00:01.0" */
	void (*show)(u32 v, char *buf, size_t len);
};

static bool listed(const u32 *a, unsigned n, u32 v)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

/* The accepted VM whose list f holds v, or NULL. */
static const struct vm_config *owner(const struct ctx *c, const struct list_field *f, u32 v)
{
	for (unsigned i = 0; i < c->cfg->n; i++) {
		struct u32_list l = f->of(&c->cfg->vm[i]);

		if (listed(l.v, *l.n, v))
			return &c->cfg->vm[i];
	}
	return NULL;
}

/* One value: its own checks, then not twice in this VM, nor in an earlier one. */
static int list_add(const struct ctx *c, const struct list_field *f, u32 v)
{
	struct u32_list l = f->of(c->vm);
	const struct vm_config *other;
	char shown[24];
	int ret = f->check(c, v);

	if (ret)
		return ret;
	f->show(v, shown, sizeof(shown));
	if (listed(l.v, *l.n, v))
		return fail(c, f->prop, "%s is listed twice", shown);
	other = owner(c, f, v);
	if (other)
		return fail(c, f->prop, "%s is already given to vm '%s'", shown, other->name);
	l.v[(*l.n)++] = v;
	return 0;
}

static int read_list(const struct ctx *c, const struct list_field *f)
{
	const fdt32_t *v;
	u32 n;
	int ret = f->required ? prop_required(c, f->prop, 1, f->max, &v, &n)
			      : prop_entries(c, f->prop, 1, f->max, &v, &n);

	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	for (u32 i = 0; !ret && i < n; i++)
		ret = list_add(c, f, fdt32_ld(v + i));
	return ret;
}

static struct u32_list cpus_of(struct vm_config *vm)
{
	return (struct u32_list){ vm->cpus, &vm->n_cpus };
}

static int cpu_check(const struct ctx *c, u32 cpu)
{
	if (cpu >= c->host->n_cpus)
		return fail(c, "cpus", "CPU %u does not exist (%u CPUs are online)", cpu,
			    c->host->n_cpus);
	return 0;
}

static void cpu_show(u32 cpu, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "CPU %u", cpu);
}

static int read_cpus(const struct ctx *c)
{
	static const struct list_field f = {
		"cpus", VM_MAX_VCPUS, true, cpus_of, cpu_check, cpu_show,
	};

	return read_list(c, &f);
}

static struct u32_list intids_of(struct vm_config *vm)
{
	return (struct u32_list){ vm->irqs, &vm->n_irqs };
}

/*
 * A forwarded SPI keeps its INTID in the guest (vgic_forward_spi), so it must exist on the
 * GIC and in the vGIC, and be neither a virtual device's INTID nor the hypervisor's own.
 */
static int intid_check(const struct ctx *c, u32 id)
{
	if (id < SPI_FIRST || id >= SPI_END)
		return fail(c, "intids", "INTID %u is not an SPI (%u-%u)", id, SPI_FIRST,
			    SPI_END - 1);
	if (id >= c->host->gic_spi_end)
		return fail(c, "intids", "INTID %u is beyond the GIC's last SPI (%u)", id,
			    c->host->gic_spi_end - 1);
	if (id >= VGIC_NR_IRQS)
		return fail(c, "intids", "INTID %u is beyond the vGIC's last SPI (%u)", id,
			    VGIC_NR_IRQS - 1);
	if (id == GUEST_UART_INTID)
		return fail(c, "intids", "INTID %u is the virtual UART's", id);
	if (id >= GUEST_VIRTIO_INTID_BASE && id < VIRTIO_INTID_END)
		return fail(c, "intids", "INTID %u is reserved for virtio-mmio devices (%u-%u)", id,
			    GUEST_VIRTIO_INTID_BASE, VIRTIO_INTID_END - 1);
	if (listed(c->host->hyp_irqs, c->host->n_hyp_irqs, id))
		return fail(c, "intids", "INTID %u is the hypervisor's", id);
	return 0;
}

static void intid_show(u32 id, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "INTID %u", id);
}

static int read_intids(const struct ctx *c)
{
	static const struct list_field f = {
		"intids", VM_MAX_IRQS, false, intids_of, intid_check, intid_show,
	};

	return read_list(c, &f);
}

static struct u32_list pci_of(struct vm_config *vm)
{
	return (struct u32_list){ vm->pci_bdf, &vm->n_pci };
}

static void bdf_show(u32 bdf, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "%02x:%02x.%u", PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf),
		     PCI_BDF_FN(bdf));
}

static int bdf_check(const struct ctx *c, u32 bdf)
{
	const struct plat_pci *pci = &c->plat->pci;
	char shown[24];

	if (!pci->present)
		return fail(c, "pci-devices", "the platform has no PCIe host");
	if (bdf >= PCI_BDF_END)
		return fail(c, "pci-devices", "0x%x is not a bus << 8 | device << 3 | function",
			    bdf);
	bdf_show(bdf, shown, sizeof(shown));
	if (PCI_BDF_BUS(bdf) < pci->bus_start || PCI_BDF_BUS(bdf) > pci->bus_end)
		return fail(c, "pci-devices", "%s is not on the PCIe host's buses %02x-%02x", shown,
			    pci->bus_start, pci->bus_end);
	return 0;
}

static int read_pci_devices(const struct ctx *c)
{
	static const struct list_field f = {
		"pci-devices", VM_MAX_PCI, false, pci_of, bdf_check, bdf_show,
	};

	return read_list(c, &f);
}

/* ---- the VM node ---- */

static int check_compatible(const struct ctx *c)
{
	if (fdt_node_check_compatible(c->fdt, c->node, VM_COMPAT) != 0)
		return fail(c, "compatible", "expected \"" VM_COMPAT "\"");
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
			return fail(c, "vm-name",
				    "\"%s\": only letters, digits, '-', '_' and '.' are allowed", s);
	return 0;
}

static int read_name(const struct ctx *c)
{
	const char *s;
	size_t len;
	int ret = prop_string(c, "vm-name", &s, &len);

	if (ret == -E_NOENT)
		return fail(c, "vm-name", "missing");
	if (!ret && len == 0)
		return fail(c, "vm-name", "empty");
	if (!ret && len >= VM_NAME_LEN)
		return fail(c, "vm-name", "\"%.40s\" has %zu characters, at most %u", s, len,
			    VM_NAME_LEN - 1);
	if (!ret)
		ret = check_name_chars(c, s, len);
	for (unsigned i = 0; !ret && i < c->cfg->n; i++)
		if (strcmp(c->cfg->vm[i].name, s) == 0)
			return fail(c, "vm-name", "\"%s\" is also the name of /%.40s", s,
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
	};
	int prop;

	fdt_for_each_property_offset(prop, c->fdt, c->node) {
		const char *name = "";
		unsigned i = 0;

		fdt_getprop_by_offset(c->fdt, prop, &name, NULL);
		while (i < ARRAY_SIZE(known) && strcmp(known[i], name) != 0)
			i++;
		if (i == ARRAY_SIZE(known))
			return fail(c, name, "unknown property");
	}
	return 0;
}

/* ---- memory ---- */

static int add_ram(const struct ctx *c, u64 base, u64 size)
{
	struct vm_config *vm = c->vm;
	int ret = check_pages(c, "memory", base, size);

	if (!ret)
		ret = check_guest_place(c, "memory", base, size);
	for (unsigned j = 0; !ret && j < vm->n_ram; j++)
		if (overlap(base, size, vm->ram[j].ipa.v, vm->ram[j].size))
			return fail(c, "memory", R " overlaps " R, RV(base, size),
				    RV(vm->ram[j].ipa.v, vm->ram[j].size));
	if (!ret)
		vm->ram[vm->n_ram++] = (struct vm_ram_cfg){ .ipa = ipa(base), .size = size };
	return ret;
}

static int read_memory(const struct ctx *c)
{
	const fdt32_t *v;
	u32 n;
	int ret = prop_required(c, "memory", 4, VM_MAX_RAM, &v, &n);

	for (u32 i = 0; !ret && i < n; i++)
		ret = add_ram(c, read_u64(v + 4 * i), read_u64(v + 4 * i + 2));
	return ret;
}

static bool in_one_bank(const struct platform *p, u64 base, u64 size)
{
	for (unsigned i = 0; i < p->n_mem; i++)
		if (base >= p->mem[i].base.v &&
		    base + (size - 1) <= p->mem[i].base.v + (p->mem[i].size - 1))
			return true;
	return false;
}

/* The first pinned RAM region of vm that [base, base + size) overlaps, or NULL. */
static const struct vm_ram_cfg *pinned_hit(const struct vm_config *vm, u64 base, u64 size)
{
	for (unsigned i = 0; i < vm->n_ram; i++)
		if (vm->ram[i].pinned && overlap(base, size, vm->ram[i].pa.v, vm->ram[i].size))
			return &vm->ram[i];
	return NULL;
}

/* Pinned RAM must be RAM that neither firmware, the hypervisor nor another VM has. */
static int check_pinned_owner(const struct ctx *c, u64 base, u64 size)
{
	const struct mem_range *r;
	const struct vm_ram_cfg *other;

	r = hit(c->plat->resv, c->plat->n_resv, base, size);
	if (r)
		return fail(c, "memory-phys", R " overlaps firmware-reserved " R, RV(base, size),
			    RV(r->base.v, r->size));
	r = hit(c->host->hyp, c->host->n_hyp, base, size);
	if (r)
		return fail(c, "memory-phys", R " overlaps the hypervisor's " R, RV(base, size),
			    RV(r->base.v, r->size));
	other = pinned_hit(c->vm, base, size);
	if (other)
		return fail(c, "memory-phys", R " overlaps " R, RV(base, size),
			    RV(other->pa.v, other->size));
	for (unsigned i = 0; i < c->cfg->n; i++) {
		other = pinned_hit(&c->cfg->vm[i], base, size);
		if (other)
			return fail(c, "memory-phys", R " overlaps " R " of vm '%s'", RV(base, size),
				    RV(other->pa.v, other->size), c->cfg->vm[i].name);
	}
	return 0;
}

static int pin_ram(const struct ctx *c, struct vm_ram_cfg *ram, u64 base)
{
	int ret = check_pages(c, "memory-phys", base, ram->size);

	if (!ret && !in_one_bank(c->plat, base, ram->size))
		return fail(c, "memory-phys", R " is not inside one RAM bank", RV(base, ram->size));
	if (!ret)
		ret = check_pinned_owner(c, base, ram->size);
	if (!ret) {
		ram->pinned = true;
		ram->pa = pa(base);
	}
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
		return fail(c, "memory-phys", "%u given, expected one per memory region (%u)", n,
			    c->vm->n_ram);
	for (u32 i = 0; !ret && i < n; i++)
		ret = pin_ram(c, &c->vm->ram[i], read_u64(v + 2 * i));
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
		return fail(c, "kernel", "missing");
	if (vm->kernel.size < KERNEL_HDR_SIZE)
		return fail(c, "kernel", "%zu bytes, too small for an arm64 Image or ELF header",
			    vm->kernel.size);
	if (is_image(vm->kernel.data))
		vm->kernel_format = VM_KERNEL_IMAGE;
	else if (is_elf(vm->kernel.data))
		vm->kernel_format = VM_KERNEL_ELF;
	else
		return fail(c, "kernel",
			    "neither an arm64 Image (\"ARM\\x64\" at 0x38) nor an AArch64 ELF64 file");
	return 0;
}

static int read_initrd(const struct ctx *c)
{
	int ret = prop_blob(c, "initrd", &c->vm->initrd);

	if (ret == -E_NOENT)
		return 0;
	if (c->vm->initrd.size == 0)
		return fail(c, "initrd", "empty");
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
		return fail(c, "bootargs", "%zu characters, Linux takes at most %u", len,
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
		return fail(c, "dtb", "%zu bytes, smaller than a DTB header", d->size);
	if (fdt_magic(d->data) != FDT_MAGIC)
		return fail(c, "dtb", "no DTB magic (0x%x)", FDT_MAGIC);
	if (fdt_totalsize(d->data) > d->size)
		return fail(c, "dtb", "totalsize %u exceeds its %zu bytes", fdt_totalsize(d->data),
			    d->size);
	return 0;
}

static int read_virtio_iommu(const struct ctx *c)
{
	int len;

	if (!fdt_getprop(c->fdt, c->node, "virtio-iommu", &len))
		return 0;
	if (len != 0)
		return fail(c, "virtio-iommu", "a flag takes no value");
	c->vm->virtio_iommu = true;
	return 0;
}

/* ---- passthrough MMIO ---- */

/* The first mmio region of vm whose physical range [base, base + size) overlaps, or NULL. */
static const struct vm_mmio_cfg *mmio_hit(const struct vm_config *vm, u64 base, u64 size)
{
	for (unsigned i = 0; i < vm->n_mmio; i++)
		if (overlap(base, size, vm->mmio[i].pa.v, vm->mmio[i].size))
			return &vm->mmio[i];
	return NULL;
}

/* Device memory that is neither RAM, the hypervisor's, nor already given to a VM. */
static int check_mmio_pa(const struct ctx *c, u64 base, u64 size)
{
	const struct mem_range *r;
	const struct vm_mmio_cfg *m;
	int ret = check_pages(c, "mmio", base, size);

	if (ret)
		return ret;
	r = hit(c->plat->mem, c->plat->n_mem, base, size);
	if (r)
		return fail(c, "mmio", R " is RAM (" R ")", RV(base, size), RV(r->base.v, r->size));
	r = hit(c->host->hyp, c->host->n_hyp, base, size);
	if (r)
		return fail(c, "mmio", R " overlaps the hypervisor's " R, RV(base, size),
			    RV(r->base.v, r->size));
	m = mmio_hit(c->vm, base, size);
	if (m)
		return fail(c, "mmio", R " overlaps " R, RV(base, size), RV(m->pa.v, m->size));
	for (unsigned i = 0; i < c->cfg->n; i++) {
		m = mmio_hit(&c->cfg->vm[i], base, size);
		if (m)
			return fail(c, "mmio", R " overlaps " R " of vm '%s'", RV(base, size),
				    RV(m->pa.v, m->size), c->cfg->vm[i].name);
	}
	return 0;
}

/* Where the guest sees it: in its address space, clear of its RAM and its other MMIO. */
static int check_mmio_ipa(const struct ctx *c, const char *field, u64 ipa, u64 size)
{
	const struct vm_config *vm = c->vm;
	int ret = check_pages(c, field, ipa, size);

	if (!ret)
		ret = check_guest_place(c, field, ipa, size);
	for (unsigned j = 0; !ret && j < vm->n_ram; j++)
		if (overlap(ipa, size, vm->ram[j].ipa.v, vm->ram[j].size))
			return fail(c, field, R " overlaps memory " R, RV(ipa, size),
				    RV(vm->ram[j].ipa.v, vm->ram[j].size));
	for (unsigned j = 0; !ret && j < vm->n_mmio; j++)
		if (overlap(ipa, size, vm->mmio[j].ipa.v, vm->mmio[j].size))
			return fail(c, field, R " overlaps " R, RV(ipa, size),
				    RV(vm->mmio[j].ipa.v, vm->mmio[j].size));
	return ret;
}

static int add_mmio(const struct ctx *c, const fdt32_t *e, const fdt32_t *ipa_cells)
{
	struct vm_config *vm = c->vm;
	u64 base = read_u64(e), size = read_u64(e + 2);
	u64 guest = ipa_cells ? read_u64(ipa_cells) : base;
	int ret = check_mmio_pa(c, base, size);

	if (!ret)
		ret = check_mmio_ipa(c, ipa_cells ? "mmio-ipa" : "mmio", guest, size);
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
		return fail(c, "mmio-ipa", "%u given, expected one per mmio region (%u)", ni, n);
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
		read_pci_devices, read_virtio_iommu,
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
		return fail(c, NULL, "%zu bytes, smaller than a DTB header", size);
	/* libfdt's own error for this (FDT_ERR_ALIGNMENT) has no name in its fdt_strerror */
	if (!IS_ALIGNED((uintptr_t)c->fdt, 8))
		return fail(c, NULL, "not at an 8-byte aligned address, as libfdt needs");
	ret = fdt_check_header(c->fdt);
	if (ret)
		return fail(c, NULL, "bad header (%s)", fdt_strerror(ret));
	if (fdt_totalsize(c->fdt) > size)
		return fail(c, NULL, "totalsize %u exceeds the %zu bytes available",
			    fdt_totalsize(c->fdt), size);
	ret = fdt_check_full(c->fdt, size);
	if (ret)
		return fail(c, NULL, "malformed (%s)", fdt_strerror(ret));
	return 0;
}

static int check_root(const struct ctx *c)
{
	if (fdt_node_check_compatible(c->fdt, 0, CONFIG_COMPAT) != 0)
		return fail(c, "compatible", "expected \"" CONFIG_COMPAT "\"");
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
			return fail(c, NULL, "more than %u VMs", VM_MAX);
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
