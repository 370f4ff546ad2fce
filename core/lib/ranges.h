/* Sets of physical address ranges: RAM minus what is reserved. Portable, host-tested. */
#ifndef CORE_LIB_RANGES_H
#define CORE_LIB_RANGES_H

#include "core/lib/types.h"

struct mem_range {
	pa_t base;
	u64 size;
};

/* Room for every RAM bank and reserved region the platform keeps, and the splits their
 * removal makes (core/platform/platform.h checks that it is enough). */
#define RANGE_SET_MAX 56

struct range_set {
	struct mem_range r[RANGE_SET_MAX];
	unsigned n;
};

/* Add [base, base + size) (size > 0) to the set; returns -E_NOMEM if it is full. */
int ranges_add(struct range_set *s, pa_t base, u64 size);
/* Remove [base, base + size) from every range, splitting where needed. A removal splits at
 * most one range, so a set that starts with at most PLAT_MAX_MEM ranges takes 40 removals;
 * past that -E_NOMEM (with the ranges before the failing one already cut). */
int ranges_remove(struct range_set *s, pa_t base, u64 size);
/* Shrink every range to whole aligned units (align a power of two), dropping empty ones. */
void ranges_align_inward(struct range_set *s, u64 align);
u64 ranges_total(const struct range_set *s);

#endif
