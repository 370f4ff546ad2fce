/* What the host doubles in arch/fake record, for unit tests to set and inspect (besides
 * fake_sysreg, fake_current_cpu, fake_irqs_masked, fake_interrupt_waits and
 * fake_tlb_invalidations, which the inline parts in arch/fake/include/arch_impl/ use). */
#ifndef ARCH_FAKE_FAKE_H
#define ARCH_FAKE_FAKE_H

#include "arch/vcpu_ctx.h"

#define FAKE_LOG_LINE 256

/* arch_table_write_barrier() calls so far (fake.c). */
extern unsigned long fake_table_barriers;

/* psci_call() calls so far: each answers NOT_SUPPORTED (fake_cpu.c). */
extern unsigned long fake_psci_calls;

/* The EL1 context vcpu_ctx_load() put on the CPU, and the guest guest_enter() runs: it
 * returns the enum vcpu_exit (fake_guest.c). */
extern struct el1_ctx fake_el1;
extern u64 (*fake_guest)(struct vcpu *v);

/* mmu_map_*() and mmu_unmap() calls so far (fake_mmu.c). */
extern unsigned long fake_mmu_maps;

/* The last line log_printf() formatted, its level, and how many lines so far (fake_log.c). */
extern char fake_log_last[FAKE_LOG_LINE];
extern int fake_log_last_level;
extern unsigned fake_log_count;

#endif
