/*
 * One VMSAv8-64 translation-table engine for every table Portcullis builds (style.md 7):
 * the hypervisor's own EL2 stage-1 tables, each VM's stage 2 (walked by the CPU and by the
 * SMMU), and SMMU stage-1 tables. The walk, block use, splitting and freeing are the same for
 * all; only descriptor attribute bits differ, and those are made in one place per format.
 * 4 KiB granule. Knows no VM, device or SMMU register.
 */
#ifndef IOMMU_PGTABLE_H
#define IOMMU_PGTABLE_H

#include "core/lib/bits.h"
#include "core/lib/types.h"

/* Abstract permissions and memory kinds, turned into format bits by pgt_attrs(). */
#define PGT_READ BIT(0)
#define PGT_WRITE BIT(1)
#define PGT_EXEC BIT(2)
#define PGT_DEVICE BIT(3) /* Device-nGnRE; otherwise Normal write-back cacheable */

enum pgt_format {
	PGT_FMT_EL2_S1,  /* hypervisor's own stage 1 (Arm ARM D8.3, EL2 regime, E2H=0) */
	PGT_FMT_S2,      /* stage 2, for the CPU (VTTBR_EL2) and the SMMU (STE.S2TTB) */
	PGT_FMT_SMMU_S1, /* SMMU stage 1 (context descriptor TTB0), unprivileged data access */
};

/* Who pays for table pages: every page is charged here, up to limit (pages). */
struct pgt_pool {
	const char *name;
	size_t used;
	size_t limit;
	/* Of used: pages given up because the invalidation that had to precede their free
	 * failed (a walker may still hold them). They stay charged and are never reused. */
	size_t leaked;
	pa_t (*alloc_page)(struct pgt_pool *pool); /* a page (the engine zeroes it), or pa(0) */
	void (*free_page)(struct pgt_pool *pool, pa_t page);
};

/* TLB maintenance the engine needs for break-before-make and before freeing tables. Each
 * returns 0, or -E_* when the invalidation could not be issued or did not complete: the
 * engine then never frees the table pages it was for (pgt_pool.leaked). */
struct pgt_tlb_ops {
	/* Invalidate entries for [ia, ia + size); leaf: only last-level entries changed. */
	int (*inv_range)(void *ctx, u64 ia, u64 size, bool leaf);
	/* Wait until every invalidation issued so far has completed. */
	int (*sync)(void *ctx);
};

struct pgtable {
	enum pgt_format fmt;
	unsigned ias;         /* input address bits */
	unsigned start_level; /* 0..3 */
	unsigned root_pages;  /* > 1: concatenated stage-2 root tables */
	pa_t root;
	bool clean_to_poc;    /* walker not coherent with the CPU caches */
	struct pgt_pool *pool;
	const struct pgt_tlb_ops *tlb; /* NULL: no TLB can hold entries yet */
	void *tlb_ctx;
	/* The walker reads a table page at its physical address + walker_offset: non-zero for
	 * an SMMU stage-1 table walked through a stage 2 (nested), whose table pointers are
	 * guest-physical (iommu/viommu/viommu_dev.c). pgt_init sets 0; the root's walker address is
	 * root + walker_offset. */
	u64 walker_offset;
	/* Unmapping leaves tables it empties in place, for pgt_prune() to free: a table whose
	 * mappings come and go (an IOMMU domain) then allocates nothing per map. */
	bool keep_tables;
};

#define PGT_MIN_IAS 25
#define PGT_MAX_IAS 48

/* Set up an empty table (fmt, ias and pool; clean_to_poc is the caller's, tlb starts NULL).
 * The root (root_pages contiguous pages for a concatenated stage-2
 * root) is taken from pool with root_alloc; returns 0 or -E_*. */
int pgt_init(struct pgtable *pgt, enum pgt_format fmt, unsigned ias, struct pgt_pool *pool,
	     pa_t (*root_alloc)(struct pgt_pool *pool, unsigned pages));

/* Map [ia, ia + size) to [pa, pa + size) with prot (PGT_*). Uses 2 MiB / 1 GiB blocks where
 * both addresses are aligned. Fails with -E_EXIST if any part is already mapped, -E_NOMEM
 * when the pool is exhausted, -E_RANGE/-E_INVAL for bad input; on failure nothing is left
 * mapped by this call. */
int pgt_map(struct pgtable *pgt, u64 ia, pa_t pa, u64 size, unsigned prot);

/* Remove every mapping in [ia, ia + size), splitting blocks that straddle its edges, then
 * invalidate TLBs, sync, and free table pages left empty. Unmapped holes are fine.
 * Returns 0, or -E_NOMEM if a block that needed splitting could not be (nothing changed
 * for that block), or the TLB op's error (the entries are cleared all the same, the pages
 * they emptied leaked rather than freed). */
int pgt_unmap(struct pgtable *pgt, u64 ia, u64 size);

/* pgt_unmap without the wait: the invalidation is issued (one range over what was cleared)
 * but not synced, and table pages left empty are chained onto *freed (start with pa(0))
 * instead of freed. The caller syncs (pgt->tlb->sync), then pgt_free_deferred(): several
 * unmaps can share one sync that way. If the invalidation could not be issued, its error
 * is returned and the pages it was for are leaked (no later sync covers them). */
int pgt_unmap_nosync(struct pgtable *pgt, u64 ia, u64 size, pa_t *freed);
void pgt_free_deferred(struct pgt_pool *pool, pa_t *freed);
/* The sync that *freed waited for failed: its pages are given up, counted in pool->leaked,
 * never freed. Returns how many. */
size_t pgt_leak_deferred(struct pgt_pool *pool, pa_t *freed);
/* Free every table that maps nothing (keep_tables left them): each is unhooked and its
 * walk-cache entries invalidated, and it goes on *freed as with pgt_unmap_nosync (sync,
 * then pgt_free_deferred). Returns how many. */
size_t pgt_prune(struct pgtable *pgt, pa_t *freed);

/* Translate ia. Returns true and fills pa (the output address of ia itself), prot and the
 * size of the mapping entry containing it; or false if unmapped, with entry_size the size of
 * the unmapped entry (the aligned hole around ia that holds nothing). */
bool pgt_walk(const struct pgtable *pgt, u64 ia, pa_t *pa, unsigned *prot, u64 *entry_size);

/* Free every table page including the root (root pages go back through free_page). The
 * caller has made sure no walker uses the table any more. */
void pgt_destroy(struct pgtable *pgt);
/* pgt_destroy when that could not be made sure (the invalidation failed): every page is
 * given up instead, counted in pool->leaked, never freed. Returns how many. */
size_t pgt_leak(struct pgtable *pgt);

/* Descriptor bits for prot in fmt (exposed for the host tests of the encodings). */
u64 pgt_attrs(enum pgt_format fmt, unsigned prot);

#endif
