#include "drivers/timer/timer.h"

#include "arch/barrier.h"
#include "arch/counter.h"
#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/pmu.h"
#include "arch/sysreg.h"
#include "core/log/log.h"

/* CNTHP_CTL_EL2 (Arm ARM D19.12.17) */
#define CNTHP_CTL_ENABLE BIT(0)
#define CNTHP_CTL_IMASK BIT(1)
#define CNTHP_CTL_ISTATUS BIT(2)

#define DEMO_TICKS 10
#define DEMO_PERIOD_US 10000

static u32 freq;
static unsigned hyp_irq; /* for the demo's line */

/* Per CPU: ticks still to deliver and the counter period between them. */
static volatile unsigned ticks_left[MAX_CPUS];
static u64 period_cnt[MAX_CPUS];
static void (*tick_fn[MAX_CPUS])(void);

u32 timer_frequency(void)
{
	return freq ? freq : (u32)counter_firmware_hz();
}

u64 timer_counter(void)
{
	isb(); /* the counter read must not be speculated ahead of earlier code */
	return counter_read();
}

u64 timer_now_us(void)
{
	u64 f = timer_frequency();

	return f ? timer_counter() / (f / 1000000 ? f / 1000000 : 1) : 0;
}

void timer_hyp_irq(unsigned intid, void *ctx)
{
	struct cpu *c = this_cpu();
	unsigned i = c->index;

	(void)intid;
	(void)ctx;
	c->timer_ticks++;
	if (tick_fn[i])
		tick_fn[i]();
	if (ticks_left[i] > 1) {
		if (ticks_left[i] != TIMER_TICKS_FOREVER)
			ticks_left[i]--;
		write_sysreg(cnthp_cval_el2, read_sysreg(cnthp_cval_el2) + period_cnt[i]);
	} else {
		ticks_left[i] = 0;
		write_sysreg(cnthp_ctl_el2, CNTHP_CTL_IMASK);
	}
	isb();
}

void timer_init(const struct plat_timer *t)
{
	freq = t->clock_frequency;
	pmu_set_counter_frequency(timer_frequency());
	hyp_irq = t->hyp_phys_irq;
	timer_cpu_init();
}

void timer_cpu_init(void)
{
	write_sysreg(cnthp_ctl_el2, CNTHP_CTL_IMASK);
}

void timer_start_ticks(u64 period_us, unsigned ticks, void (*on_tick)(void))
{
	unsigned i = this_cpu()->index;

	tick_fn[i] = on_tick;
	period_cnt[i] = period_us * timer_frequency() / 1000000;
	ticks_left[i] = ticks;
	write_sysreg(cnthp_cval_el2, timer_counter() + period_cnt[i]);
	write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
	isb();
}

void timer_demo_tick(void)
{
	struct cpu *c = this_cpu();
	u64 before = c->timer_ticks, start = timer_now_us(), deadline = start + 10 * DEMO_TICKS * DEMO_PERIOD_US;

	timer_start_ticks(DEMO_PERIOD_US, DEMO_TICKS, NULL);
	irq_enable();
	while (ticks_left[c->index] && timer_now_us() < deadline)
		cpu_relax(); /* not wfi: see smp_demo_ipi() */
	irq_disable();
	log_info("Timer: %lu ticks of %u ms on CPU %u in %lu us (EL2 physical timer, INTID %u)\n",
		 c->timer_ticks - before, DEMO_PERIOD_US / 1000, c->index, timer_now_us() - start,
		 hyp_irq);
}
