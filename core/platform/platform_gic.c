/*
 * Platform discovery, the interrupt side (see core/platform/platform.h): the GICv3 (distributor,
 * redistributors, maintenance interrupt, ITS) and the architected timer's PPIs.
 *
 * Sources, cited by tag below:
 *   [GICV3] Linux Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml
 *   [GICV2] .../bindings/interrupt-controller/arm,gic.yaml
 *   [TIMER] .../bindings/timer/arm,arch_timer.yaml
 */
#include "core/lib/errno.h"
#include "core/platform/fdt_util.h"
#include "core/platform/platform_steps.h"

/* [GICV3] redistributor-stride: a multiple of 64 KiB. */
#define GIC_REDIST_STRIDE_ALIGN SZ_64K
/* GICv3 INTIDs 16..31 are the PPIs. */
#define GIC_PPI_FIRST 16
#define GIC_PPI_END 32

/* ---- GIC ---- */

static int check_ppi(struct fdt_ctx *c, int node, const char *what, u32 intid)
{
	if (intid < GIC_PPI_FIRST || intid >= GIC_PPI_END)
		return dt_fail(c, node, "%s interrupt is INTID %u, not a PPI", what, intid);
	return 0;
}

/* [GICV2] compatibles of GICv2-class controllers, named in the error for such a system. */
static const char *const gicv2_compat[] = {
	"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic", "arm,cortex-a7-gic",
	"arm,arm11mp-gic", "arm,pl390", "arm,tc11mp-gic",
};

static int no_gicv3(struct fdt_ctx *c)
{
	for (unsigned i = 0; i < ARRAY_SIZE(gicv2_compat); i++) {
		int node = dt_find_compatible(c->fdt, -1, gicv2_compat[i]);

		if (node >= 0)
			return dt_fail(c, node, "%s (GICv2) is unsupported: a GICv3 is needed",
				    gicv2_compat[i]);
	}
	return dt_fail(c, -1, "no GICv3: no enabled node compatible with \"arm,gic-v3\"");
}

/* [GICV3] reg: distributor, then '#redistributor-regions' (default 1) redistributor regions. */
static int gic_regions(struct fdt_ctx *c, int node)
{
	struct plat_gic *g = &c->p->gic;
	struct reg_list r;
	struct mem_range dist;
	u32 nr = 1;
	int ret = dt_prop_u32(c, node, "#redistributor-regions", &nr);

	if (!ret)
		ret = dt_reg_open(c, node, &r);
	if (ret)
		return ret;
	if (nr < 1 || nr > PLAT_MAX_REDIST)
		return dt_fail(c, node, "'#redistributor-regions' is %u, expected 1..%u", nr,
			    PLAT_MAX_REDIST);
	if (r.n < 1 + nr)
		return dt_fail(c, node, "'reg' has %u entries, expected at least %u", r.n, 1 + nr);
	ret = dt_reg_get(c, &r, 0, &dist);
	for (u32 i = 0; !ret && i < nr; i++)
		ret = dt_reg_get(c, &r, 1 + i, &g->redist[i]);
	g->dist = dist.base;
	g->dist_size = dist.size;
	g->n_redist = nr;
	return ret;
}

/* [GICV3] redistributor-stride (optional, 64-bit, a non-zero multiple of 64 KiB). */
static int gic_stride(struct fdt_ctx *c, int node)
{
	u64 stride = 0;
	int ret = dt_prop_num(c, node, "redistributor-stride", 2, &stride);

	if (ret)
		return ret;
	if (fdt_getprop(c->fdt, node, "redistributor-stride", NULL) &&
	    (stride == 0 || !IS_ALIGNED(stride, GIC_REDIST_STRIDE_ALIGN)))
		return dt_fail(c, node, "'redistributor-stride' 0x%llx is not a multiple of 64 KiB",
			    (unsigned long long)stride);
	c->p->gic.redist_stride = stride;
	return 0;
}

/* [GICV3] interrupts: the VGIC maintenance interrupt, a PPI (optional). */
static int gic_maint(struct fdt_ctx *c, int node)
{
	struct irq_list l;
	int ret = dt_irq_open(c, node, &l);

	if (ret || l.n == 0)
		return ret;
	ret = dt_irq_get(c, &l, 0, &c->p->gic.maint_irq);
	if (!ret)
		ret = check_ppi(c, node, "maintenance", c->p->gic.maint_irq);
	return ret;
}

/* [GICV3] the first enabled "arm,gic-v3-its" child, if any. */
static int gic_its(struct fdt_ctx *c, int node)
{
	struct plat_gic *g = &c->p->gic;
	u64 size;
	int child;

	fdt_for_each_subnode(child, c->fdt, node) {
		if (fdt_node_check_compatible(c->fdt, child, "arm,gic-v3-its") != 0 ||
		    !dt_node_enabled(c->fdt, child))
			continue;
		g->has_its = true;
		g->its_phandle = fdt_get_phandle(c->fdt, child);
		return dt_reg_first(c, child, &g->its, &size);
	}
	return 0;
}

int read_gic(struct fdt_ctx *c)
{
	int node = dt_find_compatible(c->fdt, -1, "arm,gic-v3");
	u32 cells = 0;
	int ret;

	if (node < 0)
		return no_gicv3(c);
	c->gic = node;
	c->gic_phandle = fdt_get_phandle(c->fdt, node);
	ret = dt_prop_u32(c, node, "#interrupt-cells", &cells);
	if (!ret && cells != 3)
		return dt_fail(c, node, "'#interrupt-cells' is %u, expected 3", cells);
	if (!ret)
		ret = gic_regions(c, node);
	if (!ret)
		ret = gic_stride(c, node);
	if (!ret)
		ret = gic_maint(c, node);
	if (!ret)
		ret = gic_its(c, node);
	return ret;
}

/* ---- timer ---- */

/*
 * [TIMER] interrupts: secure phys, non-secure phys, virt, hyp phys (then hyp virt), all PPIs.
 * With 'interrupt-names' they are found by name, and "sec-phys" may be missing.
 */
static int timer_irq(struct fdt_ctx *c, const struct irq_list *l, u32 i, u32 *out)
{
	static const char *const names[] = { "sec-phys", "phys", "virt", "hyp-phys" };
	int ret;

	if (fdt_getprop(c->fdt, l->node, "interrupt-names", NULL)) {
		ret = dt_irq_by_name(c, l, names[i], out);
		if (ret == -E_NOENT && i == 0)
			return 0;
		if (ret == -E_NOENT)
			return dt_fail(c, l->node, "no '%s' in 'interrupt-names'", names[i]);
	} else if (i >= l->n) {
		return dt_fail(c, l->node, "%u interrupts, expected at least 4", l->n);
	} else {
		ret = dt_irq_get(c, l, i, out);
	}
	if (!ret)
		ret = check_ppi(c, l->node, names[i], *out);
	return ret;
}

int read_timer(struct fdt_ctx *c)
{
	struct plat_timer *t = &c->p->timer;
	u32 *const irqs[] = { &t->sec_phys_irq, &t->phys_irq, &t->virt_irq, &t->hyp_phys_irq };
	struct irq_list l;
	int node = dt_find_compatible(c->fdt, -1, "arm,armv8-timer");
	int ret;

	if (node < 0)
		return dt_fail(c, -1, "no timer: no enabled node compatible with \"arm,armv8-timer\"");
	ret = dt_irq_open(c, node, &l);
	for (u32 i = 0; !ret && i < ARRAY_SIZE(irqs); i++)
		ret = timer_irq(c, &l, i, irqs[i]);
	if (!ret)
		ret = dt_prop_u32(c, node, "clock-frequency", &t->clock_frequency);
	return ret;
}
