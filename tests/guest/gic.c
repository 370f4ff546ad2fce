/* The guest's GICv3 driver (see gic.h) and its IRQ handler, called from head.S. */
#include "gic.h"

#include "guest.h"

#define WAKER_TIMEOUT_MS 100

volatile uint32_t gic_seen[GUEST_MAX_VCPUS][GIC_TRACKED];
volatile uint32_t gic_stray[GUEST_MAX_VCPUS];
volatile uint32_t gic_lpis[GUEST_MAX_VCPUS];
volatile uint64_t gic_lpi_at[GUEST_MAX_VCPUS];
static gic_handler_t handlers[GIC_TRACKED];

uint32_t gic_dist_init(void)
{
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	/* Bounded, as any poll: a vGIC applies writes at once, RWP should read 0. */
	for (int i = 0; i < 1000 && (mmio_read32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP); i++)
		delay_ms(1);
	return mmio_read32(GICD_BASE + GICD_CTLR);
}

int gic_cpu_init(void)
{
	uint64_t rd = GICR_BASE(cpu_id());
	uint64_t start;

	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (start = counter(); mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP;)
		if (counter() - start > ms_to_ticks(WAKER_TIMEOUT_MS))
			return -1;
	mmio_write32(rd + GICR_IGROUPR0, ~0U);
	write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1); /* SRE: system registers */
	isb();
	write_sysreg(icc_pmr_el1, 0xff);
	write_sysreg(icc_bpr1_el1, 0);
	write_sysreg(icc_ctlr_el1, 0); /* EOImode 0 */
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
	__asm__ volatile("msr daifclr, #2" : : : "memory");
	return 0;
}

void gic_set_handler(unsigned intid, gic_handler_t fn)
{
	if (intid < GIC_TRACKED)
		handlers[intid] = fn;
}

void gic_enable_private(unsigned intid)
{
	uint64_t rd = GICR_BASE(cpu_id());

	mmio_write8(rd + GICR_IPRIORITYR(intid), GIC_PRIO_DEFAULT);
	mmio_write32(rd + GICR_ISENABLER0, 1U << intid);
}

void gic_route_spi(unsigned intid, unsigned aff0)
{
	mmio_write64(GICD_BASE + GICD_IROUTER(intid), aff0);
}

void gic_enable_spi(unsigned intid, unsigned aff0)
{
	uint64_t grp = GICD_BASE + GICD_IGROUPR(intid / 32);

	mmio_write32(grp, mmio_read32(grp) | 1U << (intid % 32));
	mmio_write8(GICD_BASE + GICD_IPRIORITYR(intid), GIC_PRIO_DEFAULT);
	gic_route_spi(intid, aff0);
	mmio_write32(GICD_BASE + GICD_ISENABLER(intid / 32), 1U << (intid % 32));
}

int gic_spi_enabled(unsigned intid)
{
	return (mmio_read32(GICD_BASE + GICD_ISENABLER(intid / 32)) >> (intid % 32)) & 1;
}

int gic_spi_pending(unsigned intid)
{
	return (mmio_read32(GICD_BASE + GICD_ISPENDR(intid / 32)) >> (intid % 32)) & 1;
}

void gic_send_sgi(uint64_t sgi1r)
{
	__asm__ volatile("dsb ishst" : : : "memory"); /* what the target reads comes first */
	write_sysreg(icc_sgi1r_el1, sgi1r);
	isb();
}

/* IRQ vector (head.S): acknowledge, count, handle and end every pending interrupt. */
void guest_irq(void)
{
	unsigned cpu = cpu_id();

	for (;;) {
		uint64_t iar = read_sysreg(icc_iar1_el1);
		unsigned intid = iar & 0xffffff;

		if (intid >= GIC_SPURIOUS && intid < GIC_LPI_BASE)
			return;
		if (intid < GIC_TRACKED && handlers[intid]) {
			gic_seen[cpu][intid]++;
			handlers[intid](intid, cpu);
		} else if (intid >= GIC_LPI_BASE) {
			gic_lpi_at[cpu] = counter();
			gic_lpis[cpu]++;
		} else {
			gic_stray[cpu]++;
		}
		write_sysreg(icc_eoir1_el1, iar);
		isb();
	}
}
