/*
 * Host double of the arch interface (arch/include/arch/) for unit tests (style.md 2): the
 * machine's state. "Physical" memory is host memory: a pa_t holds a host pointer, so tests
 * allocate pages with aligned_alloc and pass them as physical addresses. System registers
 * are one register file in memory.
 */
#include "arch/arch.h"
#include "arch/sysreg.h"
#include "arch/tlb.h"
#include "arch/fake/fake.h"

/* CTR_EL0.DminLine = 4: 64-byte lines, what Cortex-A cores have. */
struct fake_sysregs fake_sysreg = { .ctr_el0 = FIELD_PREP(CTR_EL0_DMINLINE, 4) };
unsigned long fake_tlb_invalidations;
unsigned long fake_table_barriers;

void *pa_to_va(pa_t p) { return (void *)(uintptr_t)p.v; }
pa_t va_to_pa(const void *v) { return pa((u64)(uintptr_t)v); }

void arch_table_write_barrier(const void *va, size_t len, bool clean_to_poc)
{
	(void)va;
	(void)len;
	(void)clean_to_poc;
	fake_table_barriers++;
}
