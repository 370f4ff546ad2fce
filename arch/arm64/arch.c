/* arch/arch.h for the hypervisor: identity-mapped EL2, so addresses are numbers. */
#include "arch/arch.h"

#include "arch/arm64/sysreg.h"

void *pa_to_va(pa_t p) { return (void *)(uintptr_t)p.v; }
pa_t va_to_pa(const void *v) { return pa((u64)(uintptr_t)v); }

static unsigned dcache_line(void)
{
	return 4U << FIELD_GET(GENMASK(19, 16), read_sysreg(ctr_el0));
}

void arch_table_write_barrier(const void *va, size_t len, bool clean_to_poc)
{
	if (clean_to_poc) {
		u64 line = dcache_line(), p = ALIGN_DOWN((u64)(uintptr_t)va, line);

		for (; p < (u64)(uintptr_t)va + len; p += line)
			__asm__ volatile("dc cvac, %0" : : "r"(p) : "memory");
	}
	/* Complete the stores before a walker (MMU or SMMU) can read the entries. */
	dsb(ishst);
}
