/* arch/cache.h on the host: host memory is coherent; there is nothing to maintain. */
#ifndef ARCH_IMPL_CACHE_H
#define ARCH_IMPL_CACHE_H

static inline void dc_cvac(u64 va) { (void)va; }
static inline void dc_civac(u64 va) { (void)va; }

#endif
