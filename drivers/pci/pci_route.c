/*
 * Where a device's interrupts and DMA go (see pci.h): INTx through bridge swizzles and the
 * host bridge's interrupt-map, Requester IDs (the device's own and its DMA alias) through
 * its iommu-map. Sources, cited by tag:
 *   [P2P]   PCI-to-PCI Bridge Architecture Specification 1.2
 *   [PCIE]  PCI Express Base Specification 4.0
 *   [X2P]   PCI Express to PCI/PCI-X Bridge Specification 1.0
 *   [DT]    Devicetree Specification v0.4
 *   [BIND]  Linux Documentation/devicetree/bindings/pci/pci.txt
 *   [PCIIO] .../bindings/pci/pci-iommu.txt
 */
#include "core/lib/errno.h"
#include "core/log/log.h"
#include "drivers/pci/pci_internal.h"
#include "drivers/pci/pci_regs.h"

#define PCI_NUM_PINS 4

/* [P2P] 9.1, table 9-1: INTx of device number devnum arrives rotated by devnum. pin: 1..4. */
u32 pci_swizzle(u32 pin, u32 devnum)
{
	return (pin - 1 + devnum) % PCI_NUM_PINS + 1;
}

/*
 * [DT] 2.4.3.1: the child interrupt (phys.hi with the device's bus, device and function,
 * phys.mid, phys.lo, pin) matches an entry when they agree on every bit of
 * interrupt-map-mask. [BIND]: phys.hi is "npt000ss bbbbbbbb dddddfff rrrrrrrr".
 */
int pci_intx_lookup(const struct plat_pci *host, u16 bdf, u32 pin, u32 *intid)
{
	const u32 child[PLAT_PCI_IRQ_CELLS] = { (u32)bdf << 8, 0, 0, pin };

	for (unsigned i = 0; i < host->n_intx_map; i++) {
		const struct plat_intx_map *e = &host->intx_map[i];
		bool match = true;

		for (unsigned k = 0; k < PLAT_PCI_IRQ_CELLS; k++)
			match = match && ((child[k] ^ e->child[k]) & host->intx_mask[k]) == 0;
		if (match) {
			*intid = e->intid;
			return 0;
		}
	}
	return -E_NOENT;
}

/* [PCIIO] RIDs [rid_base, rid_base + length) -> IDs from out_base. */
static int rid_map(const struct plat_rid_map *map, unsigned n, u16 rid, u32 *out)
{
	for (unsigned i = 0; i < n; i++) {
		const struct plat_rid_map *m = &map[i];

		if (rid >= m->rid_base && rid - m->rid_base < m->length) {
			*out = m->out_base + (rid - m->rid_base);
			return 0;
		}
	}
	return -E_NOENT;
}

int pci_rid_to_sid(const struct plat_pci *host, u16 rid, u32 *sid)
{
	return rid_map(host->iommu_map, host->n_iommu_map, rid, sid);
}

int pci_rid_to_devid(const struct plat_pci *host, u16 rid, u32 *devid)
{
	return rid_map(host->msi_map, host->n_msi_map, rid, devid);
}

/* The pin swizzled up to the root bus, looked up there. With no interrupt-map at all,
 * discovery has already warned once. */
static void route_intx(struct pci_dev *d)
{
	const struct plat_pci *host = pci_state.host;
	const struct pci_dev *at = d;
	u32 pin = d->pin;

	if (!pin || !host->n_intx_map)
		return;
	for (; at->parent; at = at->parent)
		pin = pci_swizzle(pin, (u32)FIELD_GET(PCI_BDF_DEV, at->bdf));
	if (!pci_intx_lookup(host, at->bdf, pin, &d->intid))
		return;
	if (at == d)
		log_warn("PCI " PCI_BDF_FMT ": INT%c matches no 'interrupt-map' entry: INTx not "
			 "used\n", PCI_BDF_ARGS(d->bdf), 'A' + (int)pin - 1);
	else
		log_warn("PCI " PCI_BDF_FMT ": INT%c, INT%c at " PCI_BDF_FMT ", matches no "
			 "'interrupt-map' entry: INTx not used\n", PCI_BDF_ARGS(d->bdf),
			 'A' + d->pin - 1, 'A' + (int)pin - 1, PCI_BDF_ARGS(at->bdf));
}

/*
 * The Requester ID bridge b puts on the requests it forwards upstream from below, if not
 * theirs. [PCIE] 2.2.6.2: root and switch ports forward requests as they are. [X2P] 2.3: a
 * PCIe-to-PCI bridge takes over those of the conventional devices behind it, as (its
 * secondary bus, device 0, function 0). A bridge without a PCI Express Capability (or of
 * another type) is conventional and forwards them as its own (Linux's
 * pci_for_each_dma_alias and QEMU's pci_device_iommu_address_space assume the same).
 */
static bool bridge_alias(const struct pci_dev *b, u16 *rid)
{
	u8 type = b->pcie_type;

	if (b->is_pcie && (type == PCI_EXP_TYPE_ROOT_PORT || type == PCI_EXP_TYPE_UPSTREAM ||
			   type == PCI_EXP_TYPE_DOWNSTREAM))
		return false;
	if (b->is_pcie && type == PCI_EXP_TYPE_PCI_BRIDGE)
		*rid = PCI_BDF(b->secondary, 0, 0);
	else
		*rid = b->bdf;
	return true;
}

/* Walk up from d: each bridge that aliases replaces the Requester ID, so the SMMU and the
 * ITS see the topmost alias. */
static void find_alias(struct pci_dev *d)
{
	for (const struct pci_dev *b = d->parent; b; b = b->parent) {
		u16 rid;

		if (!bridge_alias(b, &rid) || rid == (d->has_alias ? d->alias_rid : d->bdf))
			continue;
		d->nested_alias = d->has_alias;
		d->has_alias = true;
		d->alias_rid = rid;
		d->alias_bridge = b;
	}
}

static void route_dma(struct pci_dev *d)
{
	const struct plat_pci *host = pci_state.host;

	d->has_sid = pci_rid_to_sid(host, d->bdf, &d->sid) == 0;
	if (!d->has_sid && host->n_iommu_map)
		log_warn("PCI " PCI_BDF_FMT ": RID 0x%x is not in 'iommu-map': no StreamID, its "
			 "DMA cannot be isolated\n", PCI_BDF_ARGS(d->bdf), d->bdf);
	find_alias(d);
	if (!d->has_alias)
		return;
	d->has_alias_sid = pci_rid_to_sid(host, d->alias_rid, &d->alias_sid) == 0;
	if (!d->has_alias_sid && host->n_iommu_map)
		log_warn("PCI " PCI_BDF_FMT ": its DMA alias " PCI_BDF_FMT " is not in 'iommu-map': "
			 "its DMA cannot be isolated\n", PCI_BDF_ARGS(d->bdf),
			 PCI_BDF_ARGS(d->alias_rid));
}

void pci_route(struct pci_dev *d)
{
	route_intx(d);
	route_dma(d);
}
