/* Each VM's emulated ECAM (see vpci.h). Config space layout: PCI Local Bus 3.0, 6.1-6.2;
 * ECAM: PCI Express Base 4.0, 7.2.2. */
#include "core/dev/vpci.h"

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/log/log.h"
#include "core/platform/platform.h"
#include "core/vgic/vgic.h"
#include "core/vm/stage2.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_iommu.h"
#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"

#define PCI_ROM_ADDRESS 0x30
#define PCI_BRIDGE_ROM_ADDRESS 0x38 /* PCI-to-PCI Bridge 1.2, 3.2.5.16 */
/* Capabilities (PCI Local Bus 3.0, 6.7-6.8; PCI Express Base 4.0, 7.7.2 for MSI-X). */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_SHPC 0x0c /* Standard Hot-Plug Controller 1.0, 4.1 */
#define PCI_MSI_FLAGS 2         /* Message Control, after the ID and next pointer */
#define PCI_MSI_FLAGS_64BIT BIT(7)
#define PCI_MSI_FLAGS_MASKBIT BIT(8)
#define PCI_MSI_FLAGS_ENABLE BIT(0)
#define PCI_MSIX_FLAGS_ENABLE BIT(15)

static const struct plat_pci *host(void)
{
	return &platform()->pci;
}

static struct vpci_dev *owned(struct vm *vm, u16 bdf)
{
	for (unsigned i = 0; i < vm->vpci->n; i++)
		if (vm->vpci->dev[i].pdev->bdf == bdf)
			return &vm->vpci->dev[i];
	return NULL;
}

/* A bridge the VM must see to reach one of its devices. */
static bool on_path(struct vm *vm, u16 bdf)
{
	for (unsigned i = 0; i < vm->vpci->n; i++)
		for (const struct pci_dev *p = vm->vpci->dev[i].pdev->parent; p; p = p->parent)
			if (p->bdf == bdf)
				return true;
	return false;
}

/* BAR n as the guest reads it: the real register, or the size mask while sizing. */
static u32 bar_read(const struct vpci_dev *vd, unsigned n)
{
	const struct pci_bar *b = &vd->pdev->bar[n];
	u32 real = pci_cfg_read(vd->pdev->bdf, PCI_BAR(n), 4);

	if (!(vd->sizing & BIT(n)))
		return real;
	if (n > 0 && (vd->pdev->bar[n - 1].flags & PCI_BAR_F_64)) /* upper half */
		return (u32)(~(vd->pdev->bar[n - 1].size - 1) >> 32);
	if (!b->size)
		return 0;
	return (u32)~(b->size - 1) | (real & ~PCI_BAR_MEM_ADDR);
}

static u32 device_read(const struct vpci_dev *vd, unsigned reg, unsigned size)
{
	unsigned word = reg & ~3U, shift = (reg & 3) * 8;
	u32 v;

	if (word >= PCI_BAR(0) && word <= PCI_BAR(5))
		v = bar_read(vd, (word - PCI_BAR(0)) / 4);
	else if (word == PCI_ROM_ADDRESS)
		v = 0; /* no expansion ROM is offered */
	else
		return pci_cfg_read(vd->pdev->bdf, reg, size);
	return size == 4 ? v : (v >> shift) & (u32)(BIT(size * 8) - 1);
}

/* Bytes [first, end) of a capability the guest may write. MSI: Message Control and the
 * message (address, data, mask); MSI-X: Message Control (the table and PBA are in a BAR,
 * the guest's already). Where a device's MSI may go, the SMMU decides: it reaches the
 * doorbell and the VM's RAM, nothing else (docs/msi.md). */
static unsigned msi_cap_end(const struct vpci_dev *vd, unsigned cap)
{
	u16 flags;

	if (cap == vd->msix_cap)
		return cap + 4;
	flags = (u16)pci_cfg_read(vd->pdev->bdf, cap + PCI_MSI_FLAGS, 2);
	return cap + ((flags & PCI_MSI_FLAGS_64BIT) ? 0x10 : 0x0c) +
	       ((flags & PCI_MSI_FLAGS_MASKBIT) ? 4 : 0);
}

static bool in_msi_cap(const struct vpci_dev *vd, unsigned byte)
{
	const u8 caps[] = { vd->msi_cap, vd->msix_cap };

	for (unsigned i = 0; i < ARRAY_SIZE(caps); i++)
		if (caps[i] && byte >= caps[i] + (unsigned)PCI_MSI_FLAGS && byte < msi_cap_end(vd, caps[i]))
			return true;
	return false;
}

/* A write that touches an MSI capability: passed on byte by byte, only the bytes the guest
 * may write. False if it touches none. */
static bool msi_write(struct vpci_dev *vd, unsigned reg, unsigned size, u32 v)
{
	bool touched = false;

	for (unsigned i = 0; i < size; i++) {
		if (!in_msi_cap(vd, reg + i))
			continue;
		pci_cfg_write(vd->pdev->bdf, reg + i, 1, (v >> (i * 8)) & 0xff);
		touched = true;
	}
	return touched;
}

static void device_write(struct vpci_dev *vd, unsigned reg, unsigned size, u32 v)
{
	u16 bdf = vd->pdev->bdf;
	unsigned word = reg & ~3U;
	struct vpci_write w[VPCI_MAX_WRITES];
	unsigned n;

	if (word >= PCI_BAR(0) && word <= PCI_BAR(5)) {
		unsigned bar = (word - PCI_BAR(0)) / 4;

		/* All ones starts sizing; anything else ends it. The BAR never moves. */
		if (size == 4 && v == ~0U)
			vd->sizing |= (u8)BIT(bar);
		else
			vd->sizing &= (u8)~BIT(bar);
		return;
	}
	n = vpci_filter_write(reg, size, v, (u16)pci_cfg_read(bdf, PCI_COMMAND, 2), w);
	for (unsigned i = 0; i < n; i++)
		pci_cfg_write(bdf, w[i].reg, w[i].size, w[i].value);
	msi_write(vd, reg, size, v);
}

/* The offset of the byte that links capability cap into bdf's list (the capabilities
 * pointer or the previous capability's next), or 0. */
static unsigned cap_link(u16 bdf, u8 cap)
{
	unsigned link = PCI_CAPABILITY_LIST;

	for (unsigned n = 0; n < PCI_MAX_CAPS; n++) {
		unsigned at = pci_cfg_read(bdf, link, 1) & 0xfc;

		if (at < 0x40)
			return 0;
		if (at == cap)
			return link;
		link = at + 1;
	}
	return 0;
}

/*
 * A bridge above the VM's devices, as the VM reads it: as it is but for what is the
 * hypervisor's (the VM's writes to the bridge never reach it): its own BARs and expansion
 * ROM (PCI-to-PCI Bridge 1.2, 3.2.5.1) read as not implemented, and a PCIe-to-PCI bridge's
 * hotplug controller (SHPC 1.0, 4.1: its registers are in BAR0) is unlinked from its
 * capabilities list, so that no guest driver (Linux's shpchp) maps what it cannot reach.
 */
static u32 bridge_read(u16 bdf, unsigned reg, unsigned size)
{
	unsigned word = reg & ~3U, shift = (reg & 3) * 8;
	u8 shpc = pci_find_cap(bdf, PCI_CAP_ID_SHPC);
	unsigned link = shpc ? cap_link(bdf, shpc) : 0;
	u32 v;

	if (word == PCI_BAR(0) || word == PCI_BAR(1) || word == PCI_BRIDGE_ROM_ADDRESS)
		return 0;
	if (!link || (link & ~3U) != word)
		return pci_cfg_read(bdf, reg, size);
	v = pci_cfg_read(bdf, word, 4);
	v = (v & ~(0xffU << (link & 3) * 8)) | pci_cfg_read(bdf, shpc + 1, 1) << (link & 3) * 8;
	return size == 4 ? v : (v >> shift) & (u32)(BIT(size * 8) - 1);
}

static bool ecam_access(struct vcpu *vcpu, void *dev, struct mmio_access *a)
{
	struct vm *vm = vcpu->vm;
	u16 bdf = (u16)(PCI_BDF(host()->bus_start, 0, 0) + FIELD_GET(PCI_ECAM_BUS | PCI_ECAM_DEVFN, a->offset));
	unsigned reg = FIELD_GET(PCI_ECAM_REG, a->offset);
	struct vpci_dev *vd = owned(vm, bdf);

	(void)dev;
	if (a->size > 4 || (reg & (a->size - 1)))
		return false;
	if (!a->write) {
		if (vd)
			a->value = device_read(vd, reg, a->size);
		else if (on_path(vm, bdf))
			a->value = bridge_read(bdf, reg, a->size);
		else
			a->value = BIT(a->size * 8) - 1; /* absent: master abort reads all ones */
		return true;
	}
	if (vd)
		device_write(vd, reg, a->size, (u32)a->value);
	return true;
}

static int map_bars(struct vm *vm, const struct pci_dev *d)
{
	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		const struct pci_bar *b = &d->bar[n];
		u64 size = ALIGN_UP(b->size, PAGE_SIZE);
		int ret;

		if (!b->size || (b->flags & PCI_BAR_F_IO) || !(b->flags & PCI_BAR_F_ASSIGNED))
			continue;
		/* Two small BARs may share a page: map each page once. */
		if (stage2_translate(vm, ipa(ALIGN_DOWN(b->pa.v, PAGE_SIZE)), NULL))
			continue;
		ret = stage2_map(vm, ipa(ALIGN_DOWN(b->pa.v, PAGE_SIZE)), pa(ALIGN_DOWN(b->pa.v, PAGE_SIZE)),
				 size, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* Device i's INTx line, unless an earlier device of the VM or its own intids already
 * brought that line in (devices behind one pin share it). */
static int forward_intx(struct vm *vm, unsigned i)
{
	const struct pci_dev *d = vm->vpci->dev[i].pdev;

	if (!d->pin || !d->intid)
		return 0;
	for (unsigned j = 0; j < i; j++)
		if (vm->vpci->dev[j].pdev->pin && vm->vpci->dev[j].pdev->intid == d->intid)
			return 0;
	for (unsigned j = 0; j < vm->cfg->n_irqs; j++)
		if (vm->cfg->irqs[j] == d->intid)
			return 0;
	return vgic_forward_spi(vm, d->intid);
}

/* MSIs off, as at power-on: the ITS mapped none of the VM's events any more. */
static void msi_disable(const struct vpci_dev *vd)
{
	u16 bdf = vd->pdev->bdf;

	if (vd->msi_cap)
		pci_cfg_write(bdf, vd->msi_cap + PCI_MSI_FLAGS, 2,
			      pci_cfg_read(bdf, vd->msi_cap + PCI_MSI_FLAGS, 2) & ~PCI_MSI_FLAGS_ENABLE);
	if (vd->msix_cap)
		pci_cfg_write(bdf, vd->msix_cap + PCI_MSI_FLAGS, 2,
			      pci_cfg_read(bdf, vd->msix_cap + PCI_MSI_FLAGS, 2) & ~PCI_MSIX_FLAGS_ENABLE);
}

/* Each VM's: struct vm holds a pointer (core/vm/vm.h knows no device). */
static struct vpci vpci_of_vm[VM_MAX];

static int vpci_vm_init(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	u64 ecam_size = (u64)(host()->bus_end - host()->bus_start + 1) << 20;
	int ret = 0;

	vm->vpci = &vpci_of_vm[vm->id];
	*vm->vpci = (struct vpci){ .n = 0 };
	if (!cfg->n_pci)
		return 0;
	for (unsigned i = 0; i < cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);

		vm->vpci->dev[vm->vpci->n++] = (struct vpci_dev){
			.pdev = d,
			.msi_cap = vm->msi ? pci_find_cap(d->bdf, PCI_CAP_ID_MSI) : 0,
			.msix_cap = vm->msi ? pci_find_cap(d->bdf, PCI_CAP_ID_MSIX) : 0,
		};
		msi_disable(&vm->vpci->dev[i]);
	}
	for (unsigned i = 0; i < vm->vpci->n && !ret; i++) {
		ret = map_bars(vm, vm->vpci->dev[i].pdev);
		if (!ret)
			ret = forward_intx(vm, i);
	}
	if (!ret)
		ret = emul_register(vm, host()->ecam.v, ecam_size, ecam_access, NULL, "ecam");
	return ret;
}

/* Before the vGIC discards the devices' events (devices stop in reverse order). */
static void vpci_vm_stop(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vpci->n; i++)
		msi_disable(&vm->vpci->dev[i]);
}

static void vpci_vm_reset(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vpci->n; i++)
		vm->vpci->dev[i].sizing = 0;
}

const struct vm_device_ops vpci_device = {
	.name = "vPCI",
	.init = vpci_vm_init,
	.stop = vpci_vm_stop,
	.reset = vpci_vm_reset,
};

const struct pci_dev *vpci_dev_by_sid(const struct vm *vm, u32 sid)
{
	for (unsigned i = 0; i < vm->vpci->n; i++) {
		const struct pci_dev *d = vm->vpci->dev[i].pdev;

		if (d->has_sid && d->sid == sid)
			return d;
	}
	return NULL;
}
