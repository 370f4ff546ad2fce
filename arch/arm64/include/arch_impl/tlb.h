/* arch/tlb.h on arm64. */
#ifndef ARCH_IMPL_TLB_H
#define ARCH_IMPL_TLB_H

#include "core/lib/bits.h"

/* The instruction takes IPA[55:12] in bits [43:0]. */
static inline void tlbi_s2_ipa(u64 ipa)
{
	__asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> PAGE_SHIFT));
}

static inline void tlbi_s1_guest(void) { __asm__ volatile("tlbi vmalle1is"); }
static inline void tlbi_s12_guest(void) { __asm__ volatile("tlbi vmalls12e1is"); }

#endif
