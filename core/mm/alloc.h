/*
 * The physical page allocator. It owns all RAM that is not reserved by the firmware, used
 * by the image or holding the DTB; guest memory and every table page are carved from it.
 */
#ifndef CORE_ALLOC_H
#define CORE_ALLOC_H

#include "core/lib/ranges.h"
#include "iommu/pgtable/pgtable.h"

#define ALLOC_MAX_REGIONS 16

/* Take the free ranges (page aligned). The bitmaps live in the first region with room.
 * Returns 0, or -E_NOMEM if no region can hold them. Regions past ALLOC_MAX_REGIONS are
 * left unused (reported through alloc_ignored_pages()). */
int alloc_init(const struct range_set *free);

/* pages contiguous pages aligned to align_pages pages (a power of two); pa(0) if none. */
pa_t page_alloc(u64 pages, u64 align_pages);
/* Whole pages for bytes, zeroed, aligned to align_pages pages (0: to their own size
 * rounded up to a power of two, as SMMU queues and tables need); NULL if none. */
void *page_alloc_zeroed(u64 bytes, u64 align_pages);
/* Take the given pages (a config that pins a VM's RAM): 0, -E_RANGE if they are not all
 * the allocator's, -E_EXIST if some are in use. */
int page_claim(pa_t p, u64 pages);
/* Returns 0, or -E_INVAL (and logs) for pages the allocator did not hand out. */
int page_free(pa_t p, u64 pages);

u64 alloc_total_pages(void);
u64 alloc_free_pages(void);
u64 alloc_ignored_pages(void);

/* A page-table pool charged to an owner, backed by this allocator. */
void alloc_pgt_pool_init(struct pgt_pool *pool, const char *name, size_t limit_pages);
pa_t alloc_pgt_root(struct pgt_pool *pool, unsigned pages);

#endif
