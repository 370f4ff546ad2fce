/* Bringing up the other CPUs with PSCI CPU_ON, and the inter-processor interrupts. */
#ifndef CORE_SMP_H
#define CORE_SMP_H

#include "core/platform/platform.h"

/* Start every CPU of the platform except the boot CPU; each prints itself online. */
void smp_boot(const struct platform *p);
unsigned smp_online_count(void);
/* Ping every online CPU with an SGI and wait for each to answer; prints the result. */
void smp_demo_ipi(void);

/* Called by head.S for a secondary CPU with the MMU on. */
void secondary_main(u64 index);

#endif
