/* arch/cpu.h on the host: the running CPU is the one the last cpu_init() named (tests call
 * it to act as another CPU), and a wait for an interrupt returns at once, counted. */
#ifndef ARCH_IMPL_CPU_H
#define ARCH_IMPL_CPU_H

extern struct cpu *fake_current_cpu;
extern unsigned long fake_interrupt_waits;

static inline struct cpu *this_cpu(void) { return fake_current_cpu; }
static inline void cpu_wait_for_interrupt(void) { fake_interrupt_waits++; }

#endif
