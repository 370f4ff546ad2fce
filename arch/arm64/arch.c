/* arch/arch.h for the hypervisor: identity-mapped EL2, so addresses are numbers. */
#include "arch/arch.h"

#include "arch/barrier.h"
#include "arch/cache.h"

void *pa_to_va(pa_t p) { return (void *)(uintptr_t)p.v; }
pa_t va_to_pa(const void *v) { return pa((u64)(uintptr_t)v); }

void arch_table_write_barrier(const void *va, size_t len, bool clean_to_poc)
{
	if (clean_to_poc)
		dcache_clean(va, len);
	/* Complete the stores before a walker (MMU or SMMU) can read the entries. */
	dsb(ishst);
}
