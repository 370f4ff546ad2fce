/* Per-CPU state of the hypervisor, reached through TPIDR_EL2. */
#ifndef ARCH_ARM64_CPU_H
#define ARCH_ARM64_CPU_H

#include "core/lib/bits.h"
#include "core/lib/config.h"
#include "core/lib/types.h"

struct cpu {
	u64 emergency_sp; /* CPU_EMERGENCY_SP: vectors.S */
	void *guest_regs; /* CPU_GUEST_REGS: the running vCPU's registers (guest.S) */
	unsigned index;
	u64 mpidr;
	volatile bool online;
	volatile u64 ipi_count;
	volatile u64 timer_ticks;
};

extern struct cpu cpus[MAX_CPUS];

/* Each CPU's stack, with an unmapped guard page below it (mmu.c); head.S finds a CPU's
 * stack by its index. */
struct cpu_stack {
	u8 guard[CPU_STACK_GUARD];
	u8 stack[CPU_STACK_SIZE];
} __attribute__((aligned(SZ_4K)));
extern struct cpu_stack cpu_stacks[MAX_CPUS];

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
	return c;
}

/*
 * Wait for an interrupt with interrupts masked: WFI wakes on a pending interrupt even so,
 * and it is then taken in a short unmasked window. A caller that checks a condition, then
 * calls this, loses no wake-up between the check and the WFI (Arm ARM D1.16.2).
 */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
}

/* Before cpu_init() TPIDR_EL2 is unset; only CPU 0 runs then. */
unsigned cpu_index(void);
void cpu_init(unsigned index);
NORETURN void cpu_halt(void);

#endif
