/* The hypervisor's cost counter: what its own work costs, for the figures of `make bench`
 * (docs/performance.md). One PMU event counter is kept back from the guest for EL2 and
 * counts only there: retired instructions where the PMU offers them (QEMU does under
 * -icount), else cycles; without a PMU to spare, the generic timer in nanoseconds. */
#ifndef ARCH_PMU_H
#define ARCH_PMU_H

#include "core/lib/types.h"

/* A reading; the difference of two readings on one CPU, taken less than 2^32 units apart,
 * is the cost between them (the event counter is 32 bits wide). */
typedef u32 cost_t;

/* Per CPU, before its vCPU first runs: sets MDCR_EL2 (the guest's share of the PMU). */
void pmu_cpu_init(void);
cost_t cost_now(void);
/* The unit of cost_now() differences: "EL2 instructions", "EL2 cycles" or "ns". */
const char *cost_unit(void);
/* The system counter's frequency where CNTFRQ_EL0 does not say it (the timer driver). */
void pmu_set_counter_frequency(u32 hz);
/* Turns a sum of differences into that unit (only the timer's ticks need converting). */
u64 cost_in_unit(u64 sum);

#endif
