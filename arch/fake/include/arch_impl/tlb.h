/* arch/tlb.h on the host: there is no TLB; the invalidations are counted. */
#ifndef ARCH_IMPL_TLB_H
#define ARCH_IMPL_TLB_H

#include "core/lib/types.h"

extern unsigned long fake_tlb_invalidations;

static inline void tlbi_s2_ipa(u64 ipa)
{
	(void)ipa;
	fake_tlb_invalidations++;
}

static inline void tlbi_s1_guest(void) { fake_tlb_invalidations++; }
static inline void tlbi_s12_guest(void) { fake_tlb_invalidations++; }

#endif
