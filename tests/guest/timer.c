/*
 * The virtual timer through the vGIC: PPI 27, which Portcullis forwards with the HW bit
 * (the guest's EOI deactivates the physical PPI). TICKS interrupts TICK_MS apart.
 */
#include "timer.h"

#include "gic.h"
#include "guest.h"

#define VTIMER_INTID 27
#define TICKS 3
#define TICK_MS 5
#define CNTV_CTL_ENABLE (1U << 0)
#define CNTV_CTL_ISTATUS (1U << 2)

static volatile uint32_t early[GUEST_MAX_VCPUS];

/* The handler's count is gic_seen[cpu][VTIMER_INTID]. An interrupt whose timer condition
 * does not hold (ISTATUS clear) would be a spurious one. */
static void vtimer_irq(unsigned intid, unsigned cpu)
{
	(void)intid;
	if (!(read_sysreg(cntv_ctl_el0) & CNTV_CTL_ISTATUS))
		early[cpu]++;
	if (gic_seen[cpu][VTIMER_INTID] < TICKS)
		write_sysreg(cntv_tval_el0, ms_to_ticks(TICK_MS));
	else
		write_sysreg(cntv_ctl_el0, 0);
	isb();
}

void vtimer_test(void)
{
	unsigned cpu = cpu_id();
	uint64_t start;
	int done;

	gic_set_handler(VTIMER_INTID, vtimer_irq);
	gic_enable_private(VTIMER_INTID);
	start = counter();
	write_sysreg(cntv_tval_el0, ms_to_ticks(TICK_MS));
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
	done = wait_eq(&gic_seen[cpu][VTIMER_INTID], TICKS, 1000);
	start = counter() - start;
	delay_ms(3 * TICK_MS); /* the timer is off now: no further tick */
	puts("GUEST: vCPU ");
	putdec(cpu);
	puts(done ? " vtimer " : " vtimer TIMED OUT ");
	putdec(gic_seen[cpu][VTIMER_INTID]);
	puts(" ticks of ");
	putdec(TICK_MS);
	puts(" ms in ");
	putdec(ticks_to_ms(start));
	puts(" ms, early ");
	putdec(early[cpu]);
	puts(", stray ");
	putdec(gic_stray[cpu]);
	puts("\n");
}
