/* Barriers and hints (Arm ARM B2, "Memory barriers"; the instructions in C6.2): isb(), dsb(option), dmb(option), wfi(), wfe(), sev(),
 * cpu_relax(). Inline: they sit on the trap path and in every poll. */
#ifndef ARCH_BARRIER_H
#define ARCH_BARRIER_H

#include <arch_impl/barrier.h>

#endif
