/* Host double of arch/pmu.h: the cost counter is the system counter (fake_sysreg.cntpct_el0,
 * which tests advance), in its own ticks. */
#include "arch/counter.h"
#include "arch/pmu.h"

void pmu_cpu_init(void) {}
cost_t cost_now(void) { return (cost_t)counter_read(); }
const char *cost_unit(void) { return "ticks"; }
void pmu_set_counter_frequency(u32 hz) { (void)hz; }
u64 cost_in_unit(u64 sum) { return sum; }
