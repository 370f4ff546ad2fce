/* arch/cpu.h on arm64: TPIDR_EL2 holds the running CPU's struct cpu. */
#ifndef ARCH_IMPL_CPU_H
#define ARCH_IMPL_CPU_H

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
	return c;
}

/* WFI wakes on a pending interrupt even while PSTATE.I masks it (Arm ARM D1.16.2). */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" : : : "memory");
}

#endif
