/* arch/cache.h on arm64. */
#ifndef ARCH_IMPL_CACHE_H
#define ARCH_IMPL_CACHE_H

static inline void dc_cvac(u64 va) { __asm__ volatile("dc cvac, %0" : : "r"(va) : "memory"); }

static inline void dc_civac(u64 va)
{
	__asm__ volatile("dc civac, %0" : : "r"(va) : "memory");
}

#endif
