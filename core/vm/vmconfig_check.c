/*
 * The rules a VM config must pass (docs/config.md), as core/vm/vmconfig.c reads it: each
 * value is checked against the host (its CPUs, RAM banks, firmware and hypervisor ranges,
 * GIC and PCIe host), the guest's address layout, the rest of its own VM and every VM
 * accepted before it, so that no two VMs share a CPU, a page, a device or an interrupt.
 * Nothing here reads the blob: core/vm/vmconfig.c passes the numbers it read.
 *
 * Sources, cited by tag below:
 *   [GICV3] Arm IHI 0069 (GICv3), 2.2 "INTIDs"
 *   [PCI]   PCI Local Bus Specification 3.0, 3.2.2.3.1 (bus, device, function)
 */
#include "core/lib/fmt.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vmconfig_internal.h"
#include "drivers/pci/pci.h"

/* [GICV3] SPIs are INTIDs 32..1019; 1020..1023 are special. */
#define SPI_FIRST 32
#define SPI_END 1020
#define IPA_END (1ULL << GUEST_IPA_BITS)
#define EMUL_SIZE (GUEST_EMUL_END - GUEST_EMUL_START)
#define VIRTIO_INTID_END (GUEST_VIRTIO_INTID_BASE + GUEST_VIRTIO_SLOTS)
/* [PCI] a BDF is 16 bits: bus (8), device (5), function (3). */
#define PCI_BDF_END 0x10000

/* An address range in messages: base+size. */
#define R "0x%llx+0x%llx"
#define RV(base, size) (unsigned long long)(base), (unsigned long long)(size)

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
		return vmcfg_fail(c, field, R " is empty", RV(base, size));
	if (!IS_ALIGNED(base | size, PAGE_SIZE))
		return vmcfg_fail(c, field, R " is not 4 KiB aligned", RV(base, size));
	if (base + (size - 1) < base)
		return vmcfg_fail(c, field, R " wraps around the address space", RV(base, size));
	return 0;
}

/* A guest-physical range: inside the stage 2's input range and clear of emulated devices. */
static int check_guest_place(const struct ctx *c, const char *field, u64 ipa, u64 size)
{
	if (ipa >= IPA_END || size > IPA_END - ipa)
		return vmcfg_fail(c, field, R " ends above the guest's %u-bit address space",
				  RV(ipa, size), GUEST_IPA_BITS);
	if (overlap(ipa, size, GUEST_EMUL_START, EMUL_SIZE))
		return vmcfg_fail(c, field, R " overlaps the emulated devices (" R ")",
				  RV(ipa, size), RV(GUEST_EMUL_START, EMUL_SIZE));
	return 0;
}

/* ---- lists of numbers: cpus, intids, pci-devices ---- */

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
int vmcfg_list_add(const struct ctx *c, const struct list_field *f, u32 v)
{
	struct u32_list l = f->of(c->vm);
	const struct vm_config *other;
	char shown[24];
	int ret = f->check(c, v);

	if (ret)
		return ret;
	f->show(v, shown, sizeof(shown));
	if (listed(l.v, *l.n, v))
		return vmcfg_fail(c, f->prop, "%s is listed twice", shown);
	other = owner(c, f, v);
	if (other)
		return vmcfg_fail(c, f->prop, "%s is already given to vm '%s'", shown, other->name);
	l.v[(*l.n)++] = v;
	return 0;
}

static struct u32_list cpus_of(struct vm_config *vm)
{
	return (struct u32_list){ vm->cpus, &vm->n_cpus };
}

static int cpu_check(const struct ctx *c, u32 cpu)
{
	if (cpu >= c->host->n_cpus)
		return vmcfg_fail(c, "cpus", "CPU %u does not exist (%u CPUs are online)", cpu,
				  c->host->n_cpus);
	return 0;
}

static void cpu_show(u32 cpu, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "CPU %u", cpu);
}

const struct list_field vmcfg_cpus = {
	"cpus", VM_MAX_VCPUS, true, cpus_of, cpu_check, cpu_show,
};

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
		return vmcfg_fail(c, "intids", "INTID %u is not an SPI (%u-%u)", id, SPI_FIRST,
				  SPI_END - 1);
	if (id >= c->host->gic_spi_end)
		return vmcfg_fail(c, "intids", "INTID %u is beyond the GIC's last SPI (%u)", id,
				  c->host->gic_spi_end - 1);
	if (id >= GUEST_NR_IRQS)
		return vmcfg_fail(c, "intids", "INTID %u is beyond the vGIC's last SPI (%u)", id,
				  GUEST_NR_IRQS - 1);
	if (id == GUEST_UART_INTID)
		return vmcfg_fail(c, "intids", "INTID %u is the virtual UART's", id);
	if (id >= GUEST_VIRTIO_INTID_BASE && id < VIRTIO_INTID_END)
		return vmcfg_fail(c, "intids",
				  "INTID %u is reserved for virtio-mmio devices (%u-%u)", id,
				  GUEST_VIRTIO_INTID_BASE, VIRTIO_INTID_END - 1);
	if (listed(c->host->hyp_irqs, c->host->n_hyp_irqs, id))
		return vmcfg_fail(c, "intids", "INTID %u is the hypervisor's", id);
	return 0;
}

static void intid_show(u32 id, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "INTID %u", id);
}

const struct list_field vmcfg_intids = {
	"intids", VM_MAX_IRQS, false, intids_of, intid_check, intid_show,
};

static struct u32_list pci_of(struct vm_config *vm)
{
	return (struct u32_list){ vm->pci_bdf, &vm->n_pci };
}

static void bdf_show(u32 bdf, char *buf, size_t len)
{
	fmt_snprintf(buf, len, PCI_BDF_FMT, PCI_BDF_ARGS(bdf));
}

static int bdf_check(const struct ctx *c, u32 bdf)
{
	const struct plat_pci *pci = &c->plat->pci;
	char shown[24];

	if (!pci->present)
		return vmcfg_fail(c, "pci-devices", "the platform has no PCIe host");
	if (bdf >= PCI_BDF_END)
		return vmcfg_fail(c, "pci-devices",
				  "0x%x is not a bus << 8 | device << 3 | function", bdf);
	bdf_show(bdf, shown, sizeof(shown));
	if (FIELD_GET(PCI_BDF_BUS, bdf) < pci->bus_start || FIELD_GET(PCI_BDF_BUS, bdf) > pci->bus_end)
		return vmcfg_fail(c, "pci-devices", "%s is not on the PCIe host's buses %02x-%02x",
				  shown, pci->bus_start, pci->bus_end);
	return 0;
}

const struct list_field vmcfg_pci_devices = {
	"pci-devices", VM_MAX_PCI, false, pci_of, bdf_check, bdf_show,
};

/* ---- memory ---- */

int vmcfg_add_ram(const struct ctx *c, u64 base, u64 size)
{
	struct vm_config *vm = c->vm;
	int ret = check_pages(c, "memory", base, size);

	if (!ret)
		ret = check_guest_place(c, "memory", base, size);
	for (unsigned j = 0; !ret && j < vm->n_ram; j++)
		if (overlap(base, size, vm->ram[j].ipa.v, vm->ram[j].size))
			return vmcfg_fail(c, "memory", R " overlaps " R, RV(base, size),
					  RV(vm->ram[j].ipa.v, vm->ram[j].size));
	if (!ret)
		vm->ram[vm->n_ram++] = (struct vm_ram_cfg){ .ipa = ipa(base), .size = size };
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
		return vmcfg_fail(c, "memory-phys", R " overlaps firmware-reserved " R,
				  RV(base, size), RV(r->base.v, r->size));
	r = hit(c->host->hyp, c->host->n_hyp, base, size);
	if (r)
		return vmcfg_fail(c, "memory-phys", R " overlaps the hypervisor's " R,
				  RV(base, size), RV(r->base.v, r->size));
	other = pinned_hit(c->vm, base, size);
	if (other)
		return vmcfg_fail(c, "memory-phys", R " overlaps " R, RV(base, size),
				  RV(other->pa.v, other->size));
	for (unsigned i = 0; i < c->cfg->n; i++) {
		other = pinned_hit(&c->cfg->vm[i], base, size);
		if (other)
			return vmcfg_fail(c, "memory-phys", R " overlaps " R " of vm '%s'",
					  RV(base, size), RV(other->pa.v, other->size),
					  c->cfg->vm[i].name);
	}
	return 0;
}

int vmcfg_pin_ram(const struct ctx *c, struct vm_ram_cfg *ram, u64 base)
{
	int ret = check_pages(c, "memory-phys", base, ram->size);

	if (!ret && !in_one_bank(c->plat, base, ram->size))
		return vmcfg_fail(c, "memory-phys", R " is not inside one RAM bank",
				  RV(base, ram->size));
	if (!ret)
		ret = check_pinned_owner(c, base, ram->size);
	if (!ret) {
		ram->pinned = true;
		ram->pa = pa(base);
	}
	return ret;
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
int vmcfg_check_mmio_pa(const struct ctx *c, u64 base, u64 size)
{
	const struct mem_range *r;
	const struct vm_mmio_cfg *m;
	int ret = check_pages(c, "mmio", base, size);

	if (ret)
		return ret;
	r = hit(c->plat->mem, c->plat->n_mem, base, size);
	if (r)
		return vmcfg_fail(c, "mmio", R " is RAM (" R ")", RV(base, size),
				  RV(r->base.v, r->size));
	r = hit(c->host->hyp, c->host->n_hyp, base, size);
	if (r)
		return vmcfg_fail(c, "mmio", R " overlaps the hypervisor's " R, RV(base, size),
				  RV(r->base.v, r->size));
	m = mmio_hit(c->vm, base, size);
	if (m)
		return vmcfg_fail(c, "mmio", R " overlaps " R, RV(base, size),
				  RV(m->pa.v, m->size));
	for (unsigned i = 0; i < c->cfg->n; i++) {
		m = mmio_hit(&c->cfg->vm[i], base, size);
		if (m)
			return vmcfg_fail(c, "mmio", R " overlaps " R " of vm '%s'", RV(base, size),
					  RV(m->pa.v, m->size), c->cfg->vm[i].name);
	}
	return 0;
}

/* Where the guest sees it: in its address space, clear of its RAM and its other MMIO. */
int vmcfg_check_mmio_ipa(const struct ctx *c, const char *field, u64 ipa, u64 size)
{
	const struct vm_config *vm = c->vm;
	int ret = check_pages(c, field, ipa, size);

	if (!ret)
		ret = check_guest_place(c, field, ipa, size);
	for (unsigned j = 0; !ret && j < vm->n_ram; j++)
		if (overlap(ipa, size, vm->ram[j].ipa.v, vm->ram[j].size))
			return vmcfg_fail(c, field, R " overlaps memory " R, RV(ipa, size),
					  RV(vm->ram[j].ipa.v, vm->ram[j].size));
	for (unsigned j = 0; !ret && j < vm->n_mmio; j++)
		if (overlap(ipa, size, vm->mmio[j].ipa.v, vm->mmio[j].size))
			return vmcfg_fail(c, field, R " overlaps " R, RV(ipa, size),
					  RV(vm->mmio[j].ipa.v, vm->mmio[j].size));
	return ret;
}

