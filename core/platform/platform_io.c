/*
 * Platform discovery, the I/O side (see core/platform/platform.h): the SMMUv3 that isolates device
 * DMA, and the generic ECAM PCIe host bridge (its windows, its RID-to-StreamID map and its
 * RID-to-DeviceID map for MSIs).
 *
 * Sources, cited by tag below:
 *   [SMMU]  Linux Documentation/devicetree/bindings/iommu/arm,smmu-v3.yaml
 *   [PCI]   .../bindings/pci/host-generic-pci.yaml and pci/pci.txt (IEEE 1275 PCI bus binding)
 *   [PCIIO] .../bindings/pci/pci-iommu.txt
 *   [PCIMSI] .../bindings/pci/pci-msi.txt (msi-map, msi-map-mask, msi-parent)
 *   [DT]    Devicetree Specification v0.4 (2.4.3: interrupt nexus, interrupt-map)
 *   [GICV3] .../bindings/interrupt-controller/arm,gic-v3.yaml
 */
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/platform/fdt_util.h"
#include "core/platform/platform_steps.h"

/* [PCIIO]: a Requester ID is 16 bits (bus, device, function). */
#define PCI_RID_LIMIT 0x10000ULL
/* [PCI] pci.txt: phys.hi cell "npt000ss bbbbbbbb dddddfff rrrrrrrr". */
#define PCI_PHYS_HI_SPACE GENMASK(25, 24)
#define PCI_PHYS_HI_PREFETCH BIT(30)
#define PCI_SPACE_CONFIG 0
#define PCI_ECAM_BUS_SIZE (1ULL << 20) /* PCIe ECAM: 1 MiB of configuration space per bus */

/* ---- SMMUv3 ---- */

/*
 * [SMMU] interrupt-names: any of eventq, priq, cmdq-sync, gerror, or "combined" for a single
 * line; "combined" here fills in every one not named separately.
 */
static int smmu_irqs(struct fdt_ctx *c, int node)
{
	struct plat_smmu *s = &c->p->smmu;
	static const char *const names[] = { "eventq", "priq", "cmdq-sync", "gerror" };
	u32 *const irqs[] = { &s->irq_eventq, &s->irq_priq, &s->irq_cmdq_sync, &s->irq_gerror };
	struct irq_list l;
	u32 combined = 0;
	int foreign;
	int ret = dt_irq_open_optional(c, node, &l, &foreign);

	/* HiSilicon hip07 wires them to its MSI-based mbigen: the driver then polls. */
	if (!ret && foreign >= 0) {
		dt_warn(c, node, "interrupts go to %s, not the GICv3: events and errors are not signalled",
			fdt_get_name(c->fdt, foreign, NULL));
		return 0;
	}
	for (u32 i = 0; !ret && i < ARRAY_SIZE(names); i++) {
		ret = dt_irq_by_name(c, &l, names[i], irqs[i]);
		ret = ret == -E_NOENT ? 0 : ret;
	}
	if (!ret)
		ret = dt_irq_by_name(c, &l, "combined", &combined);
	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	for (u32 i = 0; i < ARRAY_SIZE(irqs); i++)
		if (*irqs[i] == 0)
			*irqs[i] = combined;
	return 0;
}

int read_smmu(struct fdt_ctx *c)
{
	struct plat_smmu *s = &c->p->smmu;
	int node = dt_find_compatible(c->fdt, -1, "arm,smmu-v3");
	int ret, other;

	if (node < 0) {
		dt_warn(c, -1, "no SMMUv3: DMA from devices is not isolated");
		return 0;
	}
	ret = dt_reg_first(c, node, &s->base, &s->size);
	if (!ret)
		ret = smmu_irqs(c, node);
	if (ret)
		return ret;
	s->phandle = fdt_get_phandle(c->fdt, node);
	s->dma_coherent = dt_dma_coherent(c->fdt, node);
	s->present = true;
	other = dt_find_compatible(c->fdt, node, "arm,smmu-v3");
	if (other >= 0)
		dt_warn(c, other, "second SMMUv3 not used: DMA through it is not isolated");
	return 0;
}

/* ---- PCIe ---- */

/* [PCI] bus-range: <first last>, default 0..255. */
static int pci_bus_range(struct fdt_ctx *c, int node, u32 *first, u32 *last)
{
	const fdt32_t *v;
	u32 n;
	int ret = dt_prop_cells(c, node, "bus-range", 2, &v, &n);

	*first = 0;
	*last = 255;
	if (ret == -E_NOENT) {
		dt_warn(c, node, "no 'bus-range': assuming buses 0-255");
		return 0;
	}
	if (ret)
		return ret;
	if (n != 1)
		return dt_fail(c, node, "'bus-range' has %u entries, expected 1", n);
	*first = fdt32_ld(v);
	*last = fdt32_ld(v + 1);
	if (*first > *last || *last > 255)
		return dt_fail(c, node, "'bus-range' <%u %u> is not within 0..255", *first, *last);
	return 0;
}

/* [PCI] reg: the ECAM window, 1 MiB per bus of bus-range. */
static int pci_ecam(struct fdt_ctx *c, int node)
{
	struct plat_pci *pci = &c->p->pci;
	int ret = dt_reg_first(c, node, &pci->ecam, &pci->ecam_size);

	if (!ret)
		ret = pci_bus_range(c, node, &pci->bus_start, &pci->bus_end);
	if (ret)
		return ret;
	if (pci->ecam_size / PCI_ECAM_BUS_SIZE < pci->bus_end - pci->bus_start + 1ULL)
		return dt_fail(c, node, "'reg' size 0x%llx is too small for buses %u-%u",
			    (unsigned long long)pci->ecam_size, pci->bus_start, pci->bus_end);
	return 0;
}

/* [PCI] the host bridge's children have 3 address cells and 2 size cells. */
static int pci_cells(struct fdt_ctx *c, int node, u32 *pac)
{
	u32 ac = 0, sc = 0, psc;
	int parent;
	int ret = dt_prop_u32(c, node, "#address-cells", &ac);

	if (!ret)
		ret = dt_prop_u32(c, node, "#size-cells", &sc);
	if (!ret && ac != 3)
		return dt_fail(c, node, "'#address-cells' is %u, expected 3", ac);
	if (!ret && sc != 2)
		return dt_fail(c, node, "'#size-cells' is %u, expected 2", sc);
	if (!ret)
		ret = dt_parent_of(c, node, &parent);
	if (!ret)
		ret = dt_bus_cells(c, parent, pac, &psc);
	return ret;
}

/* One 'ranges' entry: <phys.hi phys.mid phys.lo> <CPU address> <size.hi size.lo>. */
static int pci_range(struct fdt_ctx *c, int node, const fdt32_t *e, u32 pac, u32 i,
		     struct plat_pci_range *out)
{
	u32 hi = fdt32_ld(e);
	u64 cpu = dt_read_num(e + 3, pac), size = dt_read_num(e + 3 + pac, 2);
	int ret;

	if (FIELD_GET(PCI_PHYS_HI_SPACE, hi) == PCI_SPACE_CONFIG)
		return dt_fail(c, node, "'ranges' entry %u is configuration space", i);
	ret = dt_check_wrap(c, node, "ranges", i, cpu, size);
	if (!ret)
		ret = dt_translate(c, node, &cpu, size);
	out->space = (u32)FIELD_GET(PCI_PHYS_HI_SPACE, hi);
	out->prefetchable = hi & PCI_PHYS_HI_PREFETCH;
	out->pci_addr = dt_read_num(e + 1, 2);
	out->cpu_addr = pa(cpu);
	out->size = size;
	return ret;
}

/* [PCI] ranges: the windows through which the CPU reaches PCI I/O and memory space. */
static int pci_ranges(struct fdt_ctx *c, int node)
{
	struct plat_pci *pci = &c->p->pci;
	const fdt32_t *r;
	u32 pac, n;
	int ret = pci_cells(c, node, &pac);

	if (!ret)
		ret = dt_prop_cells(c, node, "ranges", 3 + pac + 2, &r, &n);
	if (ret == -E_NOENT)
		return dt_fail(c, node, "missing 'ranges'");
	if (ret)
		return ret;
	if (n == 0 || n > PLAT_MAX_PCI_RANGES)
		return dt_fail(c, node, "'ranges' has %u entries, expected 1..%u", n,
			    PLAT_MAX_PCI_RANGES);
	for (u32 i = 0; !ret && i < n; i++)
		ret = pci_range(c, node, r + i * (3 + pac + 2), pac, i, &pci->ranges[i]);
	pci->n_ranges = n;
	return ret;
}

/* [PCIIO] iommu-map-mask, msi-map-mask: only a mask keeping all 16 RID bits (the identity)
 * is handled. */
static int rid_mask(struct fdt_ctx *c, int node, const char *prop)
{
	u32 mask = 0xffff;
	int ret = dt_prop_u32(c, node, prop, &mask);

	if (!ret && (mask & 0xffff) != 0xffff)
		return dt_fail(c, node, "'%s' 0x%x is unsupported (only 0xffff)", prop, mask);
	return ret == -E_NOENT ? 0 : ret;
}

/* [PCIIO] iommu-map and msi-map = <rid-base phandle out-base length>...: into map (at most
 * max entries), *n of them; ids names what they map to. -E_NOENT when it is absent. */
static int rid_map(struct fdt_ctx *c, int node, const char *prop, const char *ids,
		   struct plat_rid_map *map, unsigned max, unsigned *n)
{
	char mask[24];
	const fdt32_t *v;
	u32 cnt;
	int ret;

	fmt_snprintf(mask, sizeof(mask), "%s-mask", prop);
	ret = rid_mask(c, node, mask);
	if (!ret)
		ret = dt_prop_cells(c, node, prop, 4, &v, &cnt);
	if (ret)
		return ret;
	if (cnt > max)
		return dt_fail(c, node, "'%s' has %u entries, at most %u are supported", prop, cnt,
			       max);
	for (u32 i = 0; i < cnt; i++, v += 4) {
		struct plat_rid_map m = { fdt32_ld(v), fdt32_ld(v + 1), fdt32_ld(v + 2),
					  fdt32_ld(v + 3) };

		if (m.length == 0)
			return dt_fail(c, node, "'%s' entry %u has length 0", prop, i);
		if (m.rid_base + (u64)m.length > PCI_RID_LIMIT)
			return dt_fail(c, node, "'%s' entry %u: RIDs 0x%x+0x%x are not within 16 bits",
				       prop, i, m.rid_base, m.length);
		if (m.out_base + (u64)m.length > (1ULL << 32))
			return dt_fail(c, node, "'%s' entry %u: %s 0x%x+0x%x overflow", prop, i,
				       ids, m.out_base, m.length);
		map[i] = m;
	}
	*n = cnt;
	return 0;
}

static int pci_iommu_map(struct fdt_ctx *c, int node)
{
	struct plat_pci *pci = &c->p->pci;
	int ret = rid_map(c, node, "iommu-map", "StreamIDs", pci->iommu_map, PLAT_MAX_IOMMU_MAP,
			  &pci->n_iommu_map);

	if (ret == -E_NOENT && c->p->smmu.present)
		dt_warn(c, node, "no 'iommu-map': PCI DMA does not go through the SMMU");
	return ret == -E_NOENT ? 0 : ret;
}

/* Keeps the msi-map entries that name the ITS (MSIs sent elsewhere cannot be given to a
 * guest); says when a device then has no MSI. */
static void keep_its_entries(struct fdt_ctx *c, int node, struct plat_pci *pci, unsigned n)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pci->msi_map[i].target_phandle == c->p->gic.its_phandle)
			pci->msi_map[kept++] = pci->msi_map[i];
		else
			dt_warn(c, node, "'msi-map' entry %u names no ITS of the GIC: RIDs 0x%x+0x%x "
				"have no MSI", i, pci->msi_map[i].rid_base, pci->msi_map[i].length);
	}
	pci->n_msi_map = kept;
}

/* [PCIMSI] msi-map, or msi-parent (the DeviceID is the RID): where the devices' MSIs go.
 * Without an ITS to send them to, passed-through devices keep INTx (one warning). */
static int pci_msi_map(struct fdt_ctx *c, int node)
{
	struct plat_pci *pci = &c->p->pci;
	const fdt32_t *parent;
	unsigned n = 0;
	u32 cells;
	int ret;

	if (!c->p->gic.has_its) {
		dt_warn(c, node, "no ITS (arm,gic-v3-its): PCI devices have INTx only, no MSI");
		return 0;
	}
	ret = rid_map(c, node, "msi-map", "DeviceIDs", pci->msi_map, PLAT_MAX_MSI_MAP, &n);
	/* msi-parent = <phandle [specifier]>: the specifier of a PCI host's is not used. */
	if (ret == -E_NOENT && !dt_prop_cells(c, node, "msi-parent", 1, &parent, &cells) &&
	    cells) {
		pci->msi_map[0] = (struct plat_rid_map){ 0, fdt32_ld(parent), 0, PCI_RID_LIMIT };
		n = 1;
		ret = 0;
	}
	if (ret == -E_NOENT) {
		dt_warn(c, node, "no 'msi-map' or 'msi-parent': PCI devices have INTx only");
		return 0;
	}
	if (!ret)
		keep_its_entries(c, node, pci, n);
	return ret;
}

/* [DT] 2.4.3.2 interrupt-map-mask: one cell per child interrupt cell; absent, all bits count. */
static int pci_intx_mask(struct fdt_ctx *c, int node)
{
	u32 *mask = c->p->pci.intx_mask;
	const fdt32_t *v;
	u32 n;
	int ret = dt_prop_cells(c, node, "interrupt-map-mask", 1, &v, &n);

	for (u32 i = 0; i < PLAT_PCI_IRQ_CELLS; i++)
		mask[i] = ~0U;
	if (ret)
		return ret == -E_NOENT ? 0 : ret;
	if (n != PLAT_PCI_IRQ_CELLS)
		return dt_fail(c, node, "'interrupt-map-mask' has %u cells, expected %u", n,
			    PLAT_PCI_IRQ_CELLS);
	for (u32 i = 0; i < PLAT_PCI_IRQ_CELLS; i++)
		mask[i] = fdt32_ld(v + i);
	return 0;
}

/*
 * [DT] 2.4.3.1: an entry's parent unit address has the parent's '#address-cells' cells, 0
 * when it has none (as Linux's of_irq_parse_raw reads it). Addresses are at most 64 bits.
 */
static int gic_unit_cells(struct fdt_ctx *c, u32 *ac)
{
	int ret;

	*ac = 0;
	ret = dt_prop_u32(c, c->gic, "#address-cells", ac);
	if (!ret && *ac > 2)
		return dt_fail(c, c->gic, "'#address-cells' is %u, expected 0..2", *ac);
	return ret;
}

/* Entry i's parent phandle (in the cells from e on, 'left' of them) must be the GICv3's. */
static int pci_intx_parent(struct fdt_ctx *c, int node, const fdt32_t *e, u32 left, u32 i)
{
	u32 ph;

	if (left <= PLAT_PCI_IRQ_CELLS)
		return dt_fail(c, node, "'interrupt-map' entry %u is truncated", i);
	ph = fdt32_ld(e + PLAT_PCI_IRQ_CELLS);
	if (fdt_node_offset_by_phandle(c->fdt, ph) < 0)
		return dt_fail(c, node, "'interrupt-map' entry %u: phandle 0x%x names no node", i, ph);
	if (ph != c->gic_phandle)
		return dt_fail(c, node, "'interrupt-map' entry %u: interrupt parent is not the GICv3", i);
	return 0;
}

/*
 * [DT] 2.4.3.1 interrupt-map: <child unit address (3)> <pin (1)> <parent phandle> <parent
 * unit address> <parent specifier (the GICv3's 3 cells)>. Every entry is checked to lie
 * within the property before it is read.
 */
static int pci_intx_entries(struct fdt_ctx *c, int node, const fdt32_t *v, u32 n)
{
	struct plat_pci *pci = &c->p->pci;
	u32 gic_ac, stride, i = 0;
	int ret = gic_unit_cells(c, &gic_ac);
	struct irq_list l = { .node = node, .cells = v };

	stride = PLAT_PCI_IRQ_CELLS + 1 + gic_ac + 3;
	l.stride = stride;
	l.n = n / stride;
	for (u32 at = 0; !ret && at < n; at += stride, i++) {
		struct plat_intx_map *m = &pci->intx_map[i];

		if (i == PLAT_MAX_INTX_MAP)
			return dt_fail(c, node, "'interrupt-map' has more than %u entries",
				    PLAT_MAX_INTX_MAP);
		ret = pci_intx_parent(c, node, v + at, n - at, i);
		if (!ret && n - at < stride)
			return dt_fail(c, node, "'interrupt-map' entry %u is truncated", i);
		for (u32 k = 0; !ret && k < PLAT_PCI_IRQ_CELLS; k++)
			m->child[k] = fdt32_ld(v + at + k);
		if (!ret)
			ret = dt_irq_get(c, &l, i, &m->intid);
	}
	pci->n_intx_map = i;
	return ret;
}

/*
 * [PCI] pci.txt, "interrupt-map": legacy INTx of the devices on the root bus, as a child
 * specifier of 3 address cells (phys.hi carries the device number) and 1 pin cell.
 */
static int pci_intx_map(struct fdt_ctx *c, int node)
{
	const fdt32_t *v;
	u32 n, icells = 0;
	int ret = dt_prop_cells(c, node, "interrupt-map", 1, &v, &n);

	if (ret == -E_NOENT || (!ret && n == 0)) {
		dt_warn(c, node, "no 'interrupt-map': PCI INTx interrupts are not routed");
		return 0;
	}
	if (!ret && !fdt_getprop(c->fdt, node, "#interrupt-cells", NULL))
		return dt_fail(c, node, "missing '#interrupt-cells'");
	if (!ret)
		ret = dt_prop_u32(c, node, "#interrupt-cells", &icells);
	if (!ret && icells != 1)
		return dt_fail(c, node, "'#interrupt-cells' is %u, expected 1", icells);
	if (!ret)
		ret = pci_intx_mask(c, node);
	if (!ret)
		ret = pci_intx_entries(c, node, v, n);
	return ret;
}

static bool is_pci_node(const void *fdt, int node)
{
	int len;
	const char *t = fdt_getprop(fdt, node, "device_type", &len);

	return t && len == sizeof("pci") && memcmp(t, "pci", sizeof("pci")) == 0;
}

/*
 * [PCI] every enabled host bridge (device_type "pci" under a parent that is not one: bridges
 * below a host have it too) other than 'used' is named in a warning: Portcullis drives one
 * generic ECAM host, and a vendor host (Cadence, DesignWare...) needs its own driver.
 */
static unsigned pci_other_hosts(struct fdt_ctx *c, int used)
{
	unsigned n = 0;
	int node = -1;

	for (;;) {
		const char *compat;

		node = fdt_node_offset_by_prop_value(c->fdt, node, "device_type", "pci", sizeof("pci"));
		if (node < 0)
			return n;
		if (node == used || !dt_node_enabled(c->fdt, node) ||
		    is_pci_node(c->fdt, fdt_parent_offset(c->fdt, node)))
			continue;
		n++;
		compat = fdt_stringlist_get(c->fdt, node, "compatible", 0, NULL);
		if (fdt_node_check_compatible(c->fdt, node, "pci-host-ecam-generic") == 0)
			dt_warn(c, node, "second PCIe host not used: no PCI devices behind it");
		else
			dt_warn(c, node, "PCIe host %s is unsupported (no driver): no PCI devices behind it",
				compat ? compat : "without 'compatible'");
	}
}

int read_pci(struct fdt_ctx *c)
{
	int node = dt_find_compatible(c->fdt, -1, "pci-host-ecam-generic");
	int ret;

	if (pci_other_hosts(c, node) == 0 && node < 0)
		dt_warn(c, -1, "no PCIe host (pci-host-ecam-generic): no PCI devices");
	if (node < 0)
		return 0;
	ret = pci_ecam(c, node);
	if (!ret)
		ret = pci_ranges(c, node);
	if (!ret)
		ret = pci_iommu_map(c, node);
	if (!ret)
		ret = pci_msi_map(c, node);
	if (!ret)
		ret = pci_intx_map(c, node);
	c->p->pci.dma_coherent = dt_dma_coherent(c->fdt, node);
	c->p->pci.present = !ret;
	return ret;
}
