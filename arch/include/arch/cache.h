/* Data cache maintenance by address to the point of coherency (Arm ARM C5.3, "A64 System
 * instructions for cache maintenance"), for memory shared with an observer that does not
 * snoop the caches: a non-coherent SMMU, the MMU before the caches are on. Inline: the
 * SMMU's event path and every table write to a non-coherent walker use them. */
#ifndef ARCH_CACHE_H
#define ARCH_CACHE_H

#include "arch/sysreg.h"

/* dc_cvac(va): DC CVAC, write the line back. dc_civac(va): DC CIVAC, write it back
 * and drop it. Neither waits: a DSB after them does. */
#include <arch_impl/cache.h>

/* The smallest data cache line, in bytes (CTR_EL0.DminLine: log2 of the words). */
static inline u64 dcache_line_size(void)
{
	return 4U << FIELD_GET(CTR_EL0_DMINLINE, read_sysreg(ctr_el0));
}

/* Every line of [va, va + len), cleaned and also invalidated if inval. */
static inline void dcache_range(const void *va, size_t len, bool inval)
{
	u64 line = dcache_line_size();

	for (u64 p = ALIGN_DOWN((u64)(uintptr_t)va, line); p < (u64)(uintptr_t)va + len; p += line) {
		if (inval)
			dc_civac(p);
		else
			dc_cvac(p);
	}
}

static inline void dcache_clean(const void *va, size_t len)
{
	dcache_range(va, len, false);
}

static inline void dcache_clean_inval(const void *va, size_t len)
{
	dcache_range(va, len, true);
}

#endif
