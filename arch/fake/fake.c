/*
 * Host double of arch/arch.h for unit tests (style.md 2). "Physical" memory is host memory:
 * a pa_t holds a host pointer, so tests allocate pages with aligned_alloc and pass them as
 * physical addresses.
 */
#include "arch/arch.h"

void *pa_to_va(pa_t p) { return (void *)(uintptr_t)p.v; }
pa_t va_to_pa(const void *v) { return pa((u64)(uintptr_t)v); }

unsigned long fake_table_barriers;

void arch_table_write_barrier(const void *va, size_t len, bool clean_to_poc)
{
	(void)va;
	(void)len;
	(void)clean_to_poc;
	fake_table_barriers++;
}
