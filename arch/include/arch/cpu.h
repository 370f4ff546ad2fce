/* The hypervisor's CPUs: each one's state, its stack, and how code finds its own. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include "core/lib/bits.h"
#include "core/lib/config.h"
#include "core/lib/types.h"

struct cpu {
	u64 emergency_sp; /* CPU_EMERGENCY_SP: arm64's vectors.S */
	void *guest_regs; /* CPU_GUEST_REGS: the running vCPU's registers (arm64's guest.S) */
	unsigned index;
	u64 mpidr;
	volatile bool online;
	volatile u64 ipi_count;
	volatile u64 timer_ticks;
};

extern struct cpu cpus[MAX_CPUS];

/* Each CPU's stack, with an unmapped guard page below it (the EL2 stage 1 leaves it out);
 * arm64's head.S finds a CPU's stack by its index. */
struct cpu_stack {
	u8 guard[CPU_STACK_GUARD];
	u8 stack[CPU_STACK_SIZE];
} __attribute__((aligned(SZ_4K)));
extern struct cpu_stack cpu_stacks[MAX_CPUS];

/* this_cpu(): the running CPU's struct cpu, once cpu_init() has run on it.
 * cpu_wait_for_interrupt(): wait for an interrupt with interrupts masked; it is taken in a
 * short unmasked window after the wake-up, so a caller that checks a condition, then
 * calls this, loses no wake-up between the check and the wait.
 * Inline: both are on the vCPU loop's path. */
#include <arch_impl/cpu.h>

/* Before cpu_init() the running CPU is unknown; only CPU 0 runs then. */
unsigned cpu_index(void);
void cpu_init(unsigned index);
NORETURN void cpu_halt(void);

#endif
