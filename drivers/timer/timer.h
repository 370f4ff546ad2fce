/* The Arm generic timer (Arm ARM D11): the system counter for time, and the EL2 physical
 * timer (CNTHP_*) for the hypervisor's own ticks. */
#ifndef DRIVERS_TIMER_TIMER_H
#define DRIVERS_TIMER_TIMER_H

#include "core/platform/platform.h"

void timer_init(const struct plat_timer *t);
/* This CPU's EL2 timer, stopped. */
void timer_cpu_init(void);
/* The handler of the EL2 timer's PPI (plat_timer.hyp_phys_irq), which the boot code
 * connects to the interrupt controller. */
void timer_hyp_irq(unsigned intid, void *ctx);
u32 timer_frequency(void);
u64 timer_counter(void);
u64 timer_now_us(void);
#define TIMER_TICKS_FOREVER (~0U)
/* Arm this CPU's EL2 physical timer to fire every period_us, ticks times (or for ever),
 * calling on_tick (may be NULL) from its interrupt each time. */
void timer_start_ticks(u64 period_us, unsigned ticks, void (*on_tick)(void));
/* Boot demonstration: ten 10 ms ticks on the boot CPU, measured against the counter. */
void timer_demo_tick(void);

#endif
