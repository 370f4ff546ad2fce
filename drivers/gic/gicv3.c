/* GICv3 driver at EL2 (see gicv3.h). Every interrupt is Group 1 Non-secure. */
#include "drivers/gic/gicv3.h"

#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/mmu.h"
#include "arch/sysreg.h"
#include "core/lib/errno.h"
#include "core/lib/mmio.h"
#include "core/lib/spinlock.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "drivers/gic/gicv3_regs.h"
#include "drivers/timer/poll.h"

#define RWP_TIMEOUT_US 100000
#define WAKER_TIMEOUT_US 100000

struct irq_action {
	irq_handler_t fn;
	void *ctx;
	bool forwarded;
};

static u64 dist;
static const struct plat_gic *gic;
static unsigned n_spis;
static u64 redist_of_cpu[MAX_CPUS];
static struct irq_action actions[GIC_MAX_INTID];
static spinlock_t icfgr_lock = SPINLOCK_INIT;
/* LPIs (IHI 0069 5.1): one configuration table for every redistributor, a pending table
 * each; lpi_prop is NULL until gic_lpi_init. */
static u8 *lpi_prop;
static unsigned lpi_idbits;
static struct irq_action lpi_actions[GIC_HYP_LPIS];
static unsigned long unhandled_lpis;

unsigned gic_num_spis(void) { return n_spis; }

static int dist_wait_rwp(void)
{
	return mmio_poll32(dist + GICD_CTLR, GICD_CTLR_RWP, 0, RWP_TIMEOUT_US,
			   "GICD_CTLR.RWP (distributor register write)");
}

static int map_gic(const struct plat_gic *g)
{
	int ret = mmu_map_device(g->dist, g->dist_size);

	for (unsigned i = 0; !ret && i < g->n_redist; i++)
		ret = mmu_map_device(g->redist[i].base, g->redist[i].size);
	return ret;
}

int gic_init(const struct plat_gic *g)
{
	unsigned lines;
	int ret;

	gic = g;
	dist = g->dist.v;
	ret = map_gic(g);
	if (ret)
		return ret;
	mmio_write32(dist + GICD_CTLR, 0);
	if (dist_wait_rwp())
		return -E_TIMEOUT;
	lines = 32 * (FIELD_GET(GICD_TYPER_ITLINES, mmio_read32(dist + GICD_TYPER)) + 1);
	lines = MIN(lines, GIC_MAX_INTID);
	n_spis = lines - GIC_SPI_BASE;
	/* Every SPI: disabled, inactive, not pending, Group 1, default priority, level. Its
	 * owner (hypervisor driver or a VM) enables and routes it later. */
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 32) {
		mmio_write32(dist + GICD_ICENABLER(i / 32), ~0U);
		mmio_write32(dist + GICD_ICPENDR(i / 32), ~0U);
		mmio_write32(dist + GICD_ICACTIVER(i / 32), ~0U);
		mmio_write32(dist + GICD_IGROUPR(i / 32), ~0U);
	}
	for (unsigned i = GIC_SPI_BASE; i < lines; i++)
		mmio_write8(dist + GICD_IPRIORITYR(i), GIC_PRIO_DEFAULT);
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 16)
		mmio_write32(dist + GICD_ICFGR(i / 16), 0);
	if (dist_wait_rwp())
		return -E_TIMEOUT;
	mmio_write32(dist + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
	if (dist_wait_rwp())
		return -E_TIMEOUT;
	return gic_cpu_init();
}

/* Affinity in GICR_TYPER's layout (Aff3.Aff2.Aff1.Aff0) from an MPIDR. */
static u32 mpidr_to_gicr_aff(u64 mpidr)
{
	return (u32)((mpidr & GENMASK(23, 0)) | ((mpidr >> 8) & GENMASK(31, 24)));
}

/* Walk the redistributor regions for the frame whose GICR_TYPER affinity matches. */
static u64 find_redist(u64 mpidr)
{
	u32 aff = mpidr_to_gicr_aff(mpidr);

	for (unsigned r = 0; r < gic->n_redist; r++) {
		u64 base = gic->redist[r].base.v, end = base + gic->redist[r].size;

		while (base + GICR_FRAME_SIZE_V3 <= end) {
			u64 typer = mmio_read64(base + GICR_TYPER);
			u64 stride = gic->redist_stride ? gic->redist_stride :
				     (typer & GICR_TYPER_VLPIS) ? GICR_FRAME_SIZE_V4 : GICR_FRAME_SIZE_V3;

			if (FIELD_GET(GICR_TYPER_AFFINITY, typer) == aff)
				return base;
			if (typer & GICR_TYPER_LAST)
				break;
			base += stride;
		}
	}
	return 0;
}

static int redist_wake(u64 rd)
{
	u32 waker = mmio_read32(rd + GICR_WAKER);

	mmio_write32(rd + GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	return mmio_poll32(rd + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP, 0, WAKER_TIMEOUT_US,
			   "GICR_WAKER.ChildrenAsleep (redistributor wake-up)");
}

static void cpu_interface_init(void)
{
	write_sysreg(icc_sre_el2, ICC_SRE_EL2_SRE | ICC_SRE_EL2_ENABLE | ICC_SRE_EL2_DFB |
				  ICC_SRE_EL2_DIB);
	isb();
	write_sysreg(icc_pmr_el1, GIC_PRIO_MASK_NONE);
	write_sysreg(icc_bpr1_el1, 0);
	/* EOImode 1: EOIR only drops priority, DIR deactivates, so that an interrupt forwarded
	 * to a guest stays active until the guest deactivates it. */
	write_sysreg(icc_ctlr_el1, ICC_CTLR_EOIMODE);
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
}

/* [5.1.1, 12.11.29-30] This CPU's redistributor reads the shared configuration table and
 * its own pending table (64 KiB aligned, zeroed: nothing pending), then LPIs are on. */
static int lpi_cpu_enable(u64 rd)
{
	u64 pend_bytes = (1ULL << lpi_idbits) / 8;
	void *pend = page_alloc_zeroed(pend_bytes, SZ_64K / PAGE_SIZE);
	u64 attr = GIC_BASER_INNER_WB | GIC_BASER_SHARE_INNER;

	if (!pend)
		return -E_NOMEM;
	arch_table_write_barrier(pend, pend_bytes, true);
	mmio_write64(rd + GICR_PROPBASER, va_to_pa(lpi_prop).v | attr |
			 FIELD_PREP(GICR_PROPBASER_IDBITS, lpi_idbits - 1));
	mmio_write64(rd + GICR_PENDBASER, va_to_pa(pend).v | attr | GICR_PENDBASER_PTZ);
	mmio_write32(rd + GICR_CTLR, mmio_read32(rd + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS);
	return 0;
}

int gic_lpi_init(void)
{
	u32 typer = mmio_read32(dist + GICD_TYPER);
	u64 bytes;

	/* LPIs need 14 ID bits at least (5.1); the hypervisor's fit in that. */
	if (!(typer & GICD_TYPER_LPIS) || FIELD_GET(GICD_TYPER_IDBITS, typer) + 1 < GIC_LPI_IDBITS)
		return -E_NODEV;
	lpi_idbits = GIC_LPI_IDBITS;
	bytes = (1ULL << lpi_idbits) - GIC_LPI_BASE;
	lpi_prop = page_alloc_zeroed(bytes, 1);
	if (!lpi_prop)
		return -E_NOMEM;
	for (u64 i = 0; i < bytes; i++)
		lpi_prop[i] = GIC_PRIO_DEFAULT; /* disabled */
	arch_table_write_barrier(lpi_prop, bytes, true);
	return lpi_cpu_enable(redist_of_cpu[this_cpu()->index]);
}

int gic_lpi_config(unsigned lpi, bool enable)
{
	unsigned i = lpi - GIC_LPI_BASE;

	if (!lpi_prop || lpi < GIC_LPI_BASE || i >= GIC_HYP_LPIS)
		return -E_RANGE;
	lpi_prop[i] = GIC_PRIO_DEFAULT | (enable ? LPI_PROP_ENABLE : 0);
	/* The ITS reads it on its INV command, which the caller issues. */
	arch_table_write_barrier(&lpi_prop[i], 1, true);
	return 0;
}

int gic_set_lpi_handler(unsigned lpi, irq_handler_t fn, void *ctx)
{
	if (lpi < GIC_LPI_BASE || lpi - GIC_LPI_BASE >= GIC_HYP_LPIS)
		return -E_RANGE;
	lpi_actions[lpi - GIC_LPI_BASE] = (struct irq_action){ fn, ctx, false };
	return 0;
}

u64 gic_redist_of(u64 mpidr, bool by_address)
{
	u64 rd = find_redist(mpidr);

	if (!rd || by_address)
		return rd;
	return FIELD_GET(GICR_TYPER_PROC_NUM, mmio_read64(rd + GICR_TYPER));
}

int gic_cpu_init(void)
{
	struct cpu *c = this_cpu();
	u64 rd = find_redist(c->mpidr);

	if (!rd) {
		log_err("GIC: no redistributor for CPU %u (MPIDR %lx)\n", c->index, c->mpidr);
		return -E_NODEV;
	}
	redist_of_cpu[c->index] = rd;
	if (redist_wake(rd))
		return -E_TIMEOUT;
	/* SGIs and PPIs: Group 1, disabled, default priority until someone enables them. */
	mmio_write32(rd + GICR_ICENABLER0, ~0U);
	mmio_write32(rd + GICR_ICPENDR0, ~0U);
	mmio_write32(rd + GICR_IGROUPR0, ~0U);
	for (unsigned i = 0; i < GIC_SPI_BASE; i++)
		mmio_write8(rd + GICR_IPRIORITYR(i), GIC_PRIO_DEFAULT);
	if (mmio_poll32(rd + GICR_CTLR, GICR_CTLR_RWP, 0, RWP_TIMEOUT_US, "GICR_CTLR.RWP"))
		return -E_TIMEOUT;
	if (lpi_prop && lpi_cpu_enable(rd))
		log_warn("GIC: CPU %u: no memory for its LPI pending table: no LPIs here\n",
			 c->index);
	cpu_interface_init();
	return 0;
}

static int set_action(unsigned intid, irq_handler_t fn, void *ctx, bool forwarded)
{
	if (intid >= GIC_MAX_INTID)
		return -E_RANGE;
	actions[intid] = (struct irq_action){ fn, ctx, forwarded };
	return 0;
}

int gic_set_handler(unsigned intid, irq_handler_t fn, void *ctx)
{
	return set_action(intid, fn, ctx, false);
}

int gic_set_forwarded(unsigned intid, irq_handler_t fn, void *ctx)
{
	return set_action(intid, fn, ctx, true);
}

int gic_enable_local(unsigned intid)
{
	u64 rd = redist_of_cpu[this_cpu()->index];

	if (intid >= GIC_SPI_BASE || !rd)
		return -E_RANGE;
	mmio_write32(rd + GICR_ISENABLER0, (u32)BIT(intid));
	return 0;
}

int gic_disable_local(unsigned intid)
{
	u64 rd = redist_of_cpu[this_cpu()->index];

	if (intid >= GIC_SPI_BASE || !rd)
		return -E_RANGE;
	mmio_write32(rd + GICR_ICENABLER0, (u32)BIT(intid));
	return 0;
}

int gic_enable_spi(unsigned intid, u64 mpidr)
{
	if (intid < GIC_SPI_BASE || intid >= GIC_SPI_BASE + n_spis)
		return -E_RANGE;
	mmio_write64(dist + GICD_IROUTER(intid), mpidr & MPIDR_AFF_MASK);
	mmio_write32(dist + GICD_ISENABLER(intid / 32), (u32)BIT(intid % 32));
	return 0;
}

int gic_disable_spi(unsigned intid)
{
	if (intid < GIC_SPI_BASE || intid >= GIC_SPI_BASE + n_spis)
		return -E_RANGE;
	mmio_write32(dist + GICD_ICENABLER(intid / 32), (u32)BIT(intid % 32));
	return 0;
}

int gic_config_spi(unsigned intid, bool edge)
{
	u64 reg = dist + GICD_ICFGR(intid / 16);
	u32 bit = GICD_ICFGR_EDGE << (2 * (intid % 16));
	u32 cfg;

	if (intid < GIC_SPI_BASE || intid >= GIC_SPI_BASE + n_spis)
		return -E_RANGE;
	/* Sixteen SPIs share a register, and they can belong to different VMs. */
	spin_lock(&icfgr_lock);
	cfg = mmio_read32(reg);
	mmio_write32(reg, edge ? cfg | bit : cfg & ~bit);
	spin_unlock(&icfgr_lock);
	return 0;
}

int gic_deactivate(unsigned intid, unsigned cpu)
{
	if (intid >= GIC_SPI_BASE + n_spis || cpu >= MAX_CPUS)
		return -E_RANGE;
	if (intid >= GIC_SPI_BASE) {
		mmio_write32(dist + GICD_ICACTIVER(intid / 32), (u32)BIT(intid % 32));
		return 0;
	}
	if (!redist_of_cpu[cpu])
		return -E_RANGE;
	mmio_write32(redist_of_cpu[cpu] + GICR_ICACTIVER0, (u32)BIT(intid));
	return 0;
}

void gic_send_sgi(unsigned intid, u64 mpidr)
{
	u64 aff0 = mpidr & 0xff;
	/* ICC_SGI1R_EL1 (12.2.23): targets are Aff0 bits within a range selector of 16. */
	u64 v = FIELD_PREP(ICC_SGI1R_INTID, intid) | FIELD_PREP(ICC_SGI1R_TARGETS, BIT(aff0 % 16)) |
		FIELD_PREP(ICC_SGI1R_RS, aff0 / 16) | FIELD_PREP(ICC_SGI1R_AFF1, (mpidr >> 8) & 0xff) |
		FIELD_PREP(ICC_SGI1R_AFF2, (mpidr >> 16) & 0xff) |
		FIELD_PREP(ICC_SGI1R_AFF3, (mpidr >> 32) & 0xff);

	dsb(ishst); /* data the target will read is visible before the interrupt */
	write_sysreg(icc_sgi1r_el1, v);
	isb();
}

/* An LPI has no active state (5.1): its EOI drops the priority and that is all. */
static void lpi_handle(unsigned intid, u64 iar)
{
	unsigned i = intid - GIC_LPI_BASE;

	if (i < GIC_HYP_LPIS && lpi_actions[i].fn)
		lpi_actions[i].fn(intid, lpi_actions[i].ctx);
	else if (log_sampled(unhandled_lpis++))
		log_warn("GIC: LPI %u on CPU %u has no handler (%lu so far)\n", intid,
			 cpu_index(), unhandled_lpis);
	write_sysreg(icc_eoir1_el1, iar);
	isb();
}

void irq_handle(void)
{
	for (;;) {
		u64 iar = read_sysreg(icc_iar1_el1);
		unsigned intid = FIELD_GET(ICC_IAR_INTID, iar);

		if (intid >= GIC_LPI_BASE) {
			lpi_handle(intid, iar);
			continue;
		}
		if (intid >= GIC_MAX_INTID)
			return; /* spurious: nothing (more) pending */
		if (actions[intid].fn)
			actions[intid].fn(intid, actions[intid].ctx);
		else
			log_warn("GIC: interrupt %u on CPU %u has no handler\n", intid, cpu_index());
		write_sysreg(icc_eoir1_el1, iar);
		if (!actions[intid].forwarded)
			write_sysreg(icc_dir_el1, iar);
		isb();
	}
}
