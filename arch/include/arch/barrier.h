/* Barriers and hints (Arm ARM B2.3.12 "Memory barriers", C6.2 "ISB", "DSB", "DMB", "WFI",
 * "WFE", "SEV", "YIELD"): isb(), dsb(option), dmb(option), wfi(), wfe(), sev(),
 * cpu_relax(). Inline: they sit on the trap path and in every poll. */
#ifndef ARCH_BARRIER_H
#define ARCH_BARRIER_H

#include <arch_impl/barrier.h>

#endif
