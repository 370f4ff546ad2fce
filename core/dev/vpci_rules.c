/*
 * vPCI's rules that need no VM (core/dev/vpci.h): which PCI devices the VMs' configs may
 * be given, and which bytes of a guest's configuration write reach its device. Config space
 * layout: PCI Local Bus 3.0, 6.1-6.2; bridges: PCI-to-PCI Bridge 1.2, 3.2; DMA aliases:
 * PCI Express to PCI/PCI-X Bridge 1.0, 2.3 (drivers/pci/pci_route.c).
 */
#include "core/dev/vpci.h"

#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"

#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_INTERRUPT_LINE 0x3c
/* The command bits a guest may change on its own device: decoding, bus mastering (the SMMU
 * confines its DMA) and INTx masking. */
#define VPCI_COMMAND_GUEST (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

/* Who else already takes INTID intid: another VM's intids, or a device of an earlier VM
 * (a clash between two VMs' devices is reported at the later one, as every other clash
 * between VMs is). */
static const char *intx_taken(const struct vm_configs *cfgs, unsigned self, u32 intid)
{
	for (unsigned v = 0; v < cfgs->n; v++) {
		const struct vm_config *c = &cfgs->vm[v];

		if (v == self)
			continue;
		for (unsigned i = 0; i < c->n_irqs; i++)
			if (c->irqs[i] == intid)
				return c->name;
		for (unsigned i = 0; i < c->n_pci && v < self; i++) {
			const struct pci_dev *d = pci_find((u16)c->pci_bdf[i]);

			if (d && d->pin && d->intid == intid)
				return c->name;
		}
	}
	return NULL;
}

static bool is_bridge(const struct pci_dev *d)
{
	return FIELD_GET(PCI_HEADER_TYPE_LAYOUT, d->header_type) == PCI_HEADER_TYPE_BRIDGE;
}

/* A device of another VM below bridge b: its VM's name, and *below its BDF; or NULL. A
 * bridge's COMMAND and Bridge Control (Secondary Bus Reset) cut off all that is behind it
 * (PCI-to-PCI Bridge 1.2, 3.2.5.18), so its owner would control that device. */
static const char *foreign_below(const struct vm_configs *cfgs, unsigned self,
				 const struct pci_dev *b, u16 *below)
{
	for (unsigned v = 0; v < cfgs->n; v++) {
		const struct vm_config *c = &cfgs->vm[v];

		for (unsigned i = 0; i < c->n_pci && v != self; i++) {
			const struct pci_dev *d = pci_find((u16)c->pci_bdf[i]);

			for (const struct pci_dev *p = d ? d->parent : NULL; p; p = p->parent)
				if (p == b) {
					*below = d->bdf;
					return c->name;
				}
		}
	}
	return NULL;
}

/* Another VM's device whose DMA carries StreamID sid, as its own or its alias's: its VM's
 * name and *bdf; or NULL. */
static const char *sid_user(const struct vm_configs *cfgs, unsigned self, u32 sid, u16 *bdf)
{
	for (unsigned v = 0; v < cfgs->n; v++) {
		const struct vm_config *c = &cfgs->vm[v];

		for (unsigned i = 0; i < c->n_pci && v != self; i++) {
			const struct pci_dev *d = pci_find((u16)c->pci_bdf[i]);

			if (d && ((d->has_sid && d->sid == sid) ||
				  (d->has_alias_sid && d->alias_sid == sid))) {
				*bdf = d->bdf;
				return c->name;
			}
		}
	}
	return NULL;
}

/*
 * A device behind a PCIe-to-PCI (or conventional) bridge does its DMA and MSI writes as the
 * bridge's alias, which every device behind that bridge shares: the SMMU cannot tell them
 * apart, so they all go to one VM, and the alias's stream to no other. One aliasing bridge
 * only (nested ones would give Linux two aliases to attach). 0, or -E_INVAL and err.
 */
static int check_alias(const struct vm_configs *cfgs, unsigned v, const struct pci_dev *d,
		       const char *name, char *err, size_t err_len)
{
	const char *vm = cfgs->vm[v].name, *other;
	u16 bdf;

	if (!d->has_alias)
		return 0;
	if (d->nested_alias)
		fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s is behind more than one "
			     "aliasing bridge (nested conventional PCI bridges): not supported", vm,
			     name);
	else if (d->has_sid && !d->has_alias_sid)
		fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s does its DMA as its alias "
			     PCI_BDF_FMT ", which has no StreamID in 'iommu-map'", vm, name,
			     PCI_BDF_ARGS(d->alias_rid));
	else if (d->has_alias_sid && (other = sid_user(cfgs, v, d->alias_sid, &bdf)))
		fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s does its DMA as its alias "
			     PCI_BDF_FMT ", StreamID 0x%x, which " PCI_BDF_FMT " of vm '%s' uses too",
			     vm, name, PCI_BDF_ARGS(d->alias_rid), d->alias_sid, PCI_BDF_ARGS(bdf),
			     other);
	else
		return 0;
	return -E_INVAL;
}

/* The Requester IDs with a StreamID of a VM's devices, their aliases and aliasing bridges:
 * its virtio-iommu's endpoints (iommu/viommu/viommu_dev.c). */
struct vpci_stream {
	u16 rid;
	u32 sid;
};

static unsigned streams_of(const struct vm_config *c, struct vpci_stream *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_pci; i++) {
		const struct pci_dev *d = pci_find((u16)c->pci_bdf[i]);

		if (d && d->has_sid)
			s[n++] = (struct vpci_stream){ d->bdf, d->sid };
		if (d && d->has_alias_sid)
			s[n++] = (struct vpci_stream){ d->alias_rid, d->alias_sid };
		if (d && d->has_alias && d->alias_bridge->has_sid)
			s[n++] = (struct vpci_stream){ d->alias_bridge->bdf, d->alias_bridge->sid };
	}
	return n;
}

/* A virtio-iommu attaches each endpoint (Requester ID) to a domain of the guest's choice,
 * and an STE holds one (SMMUv3 5.2): two endpoints on one stream (an iommu-map that maps
 * two RIDs to one StreamID) would let the model and the hardware disagree. */
static int check_shared_streams(const struct vm_config *c, char *err, size_t err_len)
{
	struct vpci_stream s[3 * VM_MAX_PCI];
	unsigned n = c->virtio_iommu ? streams_of(c, s) : 0;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (s[i].sid == s[j].sid && s[i].rid != s[j].rid) {
				fmt_snprintf(err, err_len, "vm '%s': pci-devices: RIDs " PCI_BDF_FMT
					     " and " PCI_BDF_FMT " share StreamID 0x%x, which its "
					     "virtio-iommu cannot attach to two domains", c->name,
					     PCI_BDF_ARGS(s[i].rid), PCI_BDF_ARGS(s[j].rid), s[i].sid);
				return -E_INVAL;
			}
	return 0;
}

int vpci_check_configs(const struct vm_configs *cfgs, char *err, size_t err_len)
{
	for (unsigned v = 0; v < cfgs->n; v++) {
		const struct vm_config *c = &cfgs->vm[v];

		for (unsigned i = 0; i < c->n_pci; i++) {
			const struct pci_dev *d = pci_find((u16)c->pci_bdf[i]);
			const char *other = NULL;
			char name[16];
			u16 below;

			fmt_snprintf(name, sizeof(name), PCI_BDF_FMT, PCI_BDF_ARGS(c->pci_bdf[i]));
			if (!d || !d->usable) {
				fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s %s", c->name, name,
					     d ? "could not be set up (see above)" : "is not present");
				return -E_INVAL;
			}
			if (d->pin && d->intid)
				other = intx_taken(cfgs, v, d->intid);
			if (other) {
				fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s raises INTx on "
					     "INTID %u, which vm '%s' also gets", c->name, name, d->intid,
					     other);
				return -E_INVAL;
			}
			other = is_bridge(d) ? foreign_below(cfgs, v, d, &below) : NULL;
			if (other) {
				fmt_snprintf(err, err_len, "vm '%s': pci-devices: %s is a bridge above "
					     PCI_BDF_FMT " of vm '%s'", c->name, name,
					     PCI_BDF_ARGS(below), other);
				return -E_INVAL;
			}
			if (check_alias(cfgs, v, d, name, err, err_len))
				return -E_INVAL;
		}
		if (check_shared_streams(c, err, err_len))
			return -E_INVAL;
	}
	return 0;
}

/* Bytes a guest writes as they are: STATUS (write-one-to-clear), cache line size, latency
 * timer, interrupt line. Never their neighbours in the same dword: header type and BIST at
 * 0x0e-0x0f (BIST bit 6 starts a self-test), interrupt pin and, on a bridge, Bridge Control
 * at 0x3d-0x3f (Secondary Bus Reset). */
static bool guest_byte(unsigned off)
{
	return off == PCI_STATUS || off == PCI_STATUS + 1 || off == PCI_CACHE_LINE_SIZE ||
	       off == PCI_LATENCY_TIMER || off == PCI_INTERRUPT_LINE;
}

unsigned vpci_filter_write(unsigned reg, unsigned size, u32 v, u16 cmd, struct vpci_write *out)
{
	unsigned n = 0;
	u16 want = cmd;
	bool command = false;

	for (unsigned i = 0; i < size && i < 4; i++) {
		unsigned off = reg + i;
		u8 byte = (u8)(v >> (8 * i));

		if (off == PCI_COMMAND || off == PCI_COMMAND + 1) {
			unsigned shift = (off - PCI_COMMAND) * 8;

			want = (u16)((want & ~(0xffU << shift)) | ((u32)byte << shift));
			command = true;
		} else if (guest_byte(off)) {
			out[n++] = (struct vpci_write){ .reg = (u16)off, .size = 1, .value = byte };
		}
	}
	if (command)
		out[n++] = (struct vpci_write){
			.reg = PCI_COMMAND, .size = 2,
			.value = (cmd & ~VPCI_COMMAND_GUEST) | (want & VPCI_COMMAND_GUEST),
		};
	return n;
}
