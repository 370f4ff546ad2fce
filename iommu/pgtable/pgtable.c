/*
 * VMSAv8-64 translation tables, 4 KiB granule (Arm ARM D8.3 "Translation table descriptor
 * formats"; SMMUv3 spec 3.4 uses the same formats). See pgtable.h.
 */
#include "iommu/pgtable/pgtable.h"

#include "arch/arch.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "iommu/pgtable/pgtable_desc.h"

#define ENTRIES 512U

static unsigned level_shift(unsigned level) { return PAGE_SHIFT + 9 * (3 - level); }
static u64 level_size(unsigned level) { return BIT(level_shift(level)); }
static unsigned level_index(unsigned level, u64 ia) { return (ia >> level_shift(level)) & (ENTRIES - 1); }

static bool desc_valid(u64 d) { return d & PTE_VALID; }
static bool desc_is_table(u64 d, unsigned level) { return level < 3 && (d & PTE_TYPE_MASK) == PTE_TYPE_TABLE; }
/* The table a table descriptor points at, and the descriptor pointing at a table: the
 * walker's address of a table page is its physical address + walker_offset. */
static u64 *desc_table(const struct pgtable *pgt, u64 d)
{
	return pa_to_va(pa((d & PTE_ADDR) - pgt->walker_offset));
}
static u64 table_desc(const struct pgtable *pgt, const u64 *sub)
{
	return (va_to_pa(sub).v + pgt->walker_offset) | PTE_TYPE_TABLE;
}

static u64 leaf_type(unsigned level) { return level == 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK; }

u64 pgt_attrs(enum pgt_format fmt, unsigned prot)
{
	bool dev = prot & PGT_DEVICE;
	u64 a = PTE_AF;

	if (fmt == PGT_FMT_S2) {
		a |= FIELD_PREP(PTE_S2_MEMATTR, dev ? S2_MEMATTR_DEVICE_nGnRE : S2_MEMATTR_NORMAL_WB);
		a |= (prot & PGT_READ) ? PTE_S2AP_R : 0;
		a |= (prot & PGT_WRITE) ? PTE_S2AP_W : 0;
		a |= (!(prot & PGT_EXEC) || dev) ? FIELD_PREP(PTE_S2_XN, S2_XN_NONE) : 0;
	} else {
		a |= FIELD_PREP(PTE_ATTRINDX, dev ? PGT_MAIR_IDX_DEVICE : PGT_MAIR_IDX_NORMAL);
		/* AP[1] is RES1 in the single-privilege EL2 regime; for the SMMU it lets the
		 * device's unprivileged transactions through (Arm ARM D8.4.1). */
		a |= PTE_AP_UNPRIV;
		a |= (prot & PGT_WRITE) ? 0 : PTE_AP_RO;
		a |= (!(prot & PGT_EXEC) || dev) ? PTE_XN : 0;
		if (fmt == PGT_FMT_SMMU_S1) {
			a |= PTE_NG; /* ASID-tagged */
			/* A device may issue privileged fetches too: UXN and PXN both. */
			a |= (!(prot & PGT_EXEC) || dev) ? PTE_PXN : 0;
		}
	}
	/* Device memory is always treated as outer shareable; normal memory inner. */
	a |= FIELD_PREP(PTE_SH, dev ? 0 : PTE_SH_INNER);
	return a;
}

static unsigned attrs_to_prot(enum pgt_format fmt, u64 d)
{
	unsigned prot;

	if (fmt == PGT_FMT_S2) {
		prot = ((d & PTE_S2AP_R) ? PGT_READ : 0) | ((d & PTE_S2AP_W) ? PGT_WRITE : 0);
		prot |= (FIELD_GET(PTE_S2_XN, d) == 0) ? PGT_EXEC : 0;
		prot |= (FIELD_GET(PTE_S2_MEMATTR, d) == S2_MEMATTR_DEVICE_nGnRE) ? PGT_DEVICE : 0;
	} else {
		prot = PGT_READ | ((d & PTE_AP_RO) ? 0 : PGT_WRITE);
		prot |= (d & PTE_XN) ? 0 : PGT_EXEC;
		prot |= (FIELD_GET(PTE_ATTRINDX, d) == PGT_MAIR_IDX_DEVICE) ? PGT_DEVICE : 0;
	}
	return prot;
}

static void write_desc(struct pgtable *pgt, u64 *ptep, u64 d)
{
	/* One 64-bit store: single-copy atomic for the walker (Arm ARM B2.2.1). */
	*(volatile u64 *)ptep = d;
	arch_table_write_barrier(ptep, sizeof(*ptep), pgt->clean_to_poc);
}

static u64 *new_table(struct pgtable *pgt)
{
	struct pgt_pool *pool = pgt->pool;
	pa_t p;
	u64 *t;

	if (pool->used >= pool->limit)
		return NULL;
	p = pool->alloc_page(pool);
	if (!p.v)
		return NULL;
	pool->used++;
	t = pa_to_va(p);
	memset(t, 0, PAGE_SIZE);
	/* The zeroed table must be visible before the descriptor pointing at it. */
	arch_table_write_barrier(t, PAGE_SIZE, pgt->clean_to_poc);
	return t;
}

static void pool_release(struct pgt_pool *pool, pa_t p)
{
	pool->free_page(pool, p);
	pool->used--;
}

static void release_page(struct pgtable *pgt, pa_t p) { pool_release(pgt->pool, p); }

/* Break-before-make (Arm ARM D8.14.1): *ptep, covering [base, base + size), invalid and
 * forgotten by every walker before anything else is written there. An error: a walker may
 * still hold what *ptep pointed to. */
static int break_entry(struct pgtable *pgt, u64 *ptep, u64 base, u64 size, bool leaf)
{
	int ret = 0;

	write_desc(pgt, ptep, 0);
	if (pgt->tlb) {
		ret = pgt->tlb->inv_range(pgt->tlb_ctx, base, size, leaf);
		if (!ret)
			ret = pgt->tlb->sync(pgt->tlb_ctx);
	}
	return ret;
}

int pgt_init(struct pgtable *pgt, enum pgt_format fmt, unsigned ias, struct pgt_pool *pool,
	     pa_t (*root_alloc)(struct pgt_pool *pool, unsigned pages))
{
	unsigned bits = ias - PAGE_SHIFT, levels, top_bits;
	pa_t root;

	if (ias < PGT_MIN_IAS || ias > PGT_MAX_IAS)
		return -E_RANGE;
	levels = (bits + 8) / 9;
	top_bits = bits - 9 * (levels - 1);
	pgt->root_pages = 1;
	/* Stage 2 may start one level lower with up to 16 concatenated root tables (Arm ARM
	 * D8.2.7): fewer levels per walk. */
	if (fmt == PGT_FMT_S2 && levels > 2 && top_bits <= 4) {
		levels--;
		pgt->root_pages = 1U << top_bits;
	}
	if (pool->used + pgt->root_pages > pool->limit)
		return -E_NOMEM;
	root = root_alloc(pool, pgt->root_pages);
	if (!root.v)
		return -E_NOMEM;
	pool->used += pgt->root_pages;
	pgt->fmt = fmt;
	pgt->ias = ias;
	pgt->start_level = 4 - levels;
	pgt->root = root;
	pgt->pool = pool;
	pgt->tlb = NULL;
	pgt->tlb_ctx = NULL;
	pgt->walker_offset = 0;
	memset(pa_to_va(root), 0, PAGE_SIZE * pgt->root_pages);
	arch_table_write_barrier(pa_to_va(root), PAGE_SIZE * pgt->root_pages, pgt->clean_to_poc);
	return 0;
}

/* The table at the start level holding ia: with concatenation, the root is several pages
 * and the index is wider than 9 bits. */
static u64 *root_table_for(const struct pgtable *pgt, u64 ia)
{
	u64 *root = pa_to_va(pgt->root);
	unsigned page = (ia >> (level_shift(pgt->start_level) + 9)) & (pgt->root_pages - 1);

	return root + (u64)page * ENTRIES;
}

static bool range_ok(const struct pgtable *pgt, u64 ia, u64 size)
{
	u64 limit = BIT(pgt->ias);

	return size && IS_ALIGNED(ia | size, PAGE_SIZE) && ia < limit && size <= limit - ia;
}

static bool level_range_unmapped(const struct pgtable *pgt, const u64 *table, unsigned level,
				 u64 ia, u64 end)
{
	while (ia < end) {
		u64 next = MIN(ALIGN_DOWN(ia, level_size(level)) + level_size(level), end);
		u64 d = table[level_index(level, ia)];

		if (desc_valid(d)) {
			if (!desc_is_table(d, level))
				return false;
			if (!level_range_unmapped(pgt, desc_table(pgt, d), level + 1, ia, next))
				return false;
		}
		ia = next;
	}
	return true;
}

static bool range_unmapped(const struct pgtable *pgt, u64 ia, u64 end)
{
	u64 top = level_size(pgt->start_level) * ENTRIES;

	while (ia < end) {
		u64 next = MIN(ALIGN_DOWN(ia, top) + top, end);

		if (!level_range_unmapped(pgt, root_table_for(pgt, ia), pgt->start_level, ia, next))
			return false;
		ia = next;
	}
	return true;
}

static size_t drop_level(struct pgtable *pgt, u64 *table, unsigned level, bool leak);

/* A block goes where keep_tables left an emptied table (range_unmapped checked that it maps
 * nothing): break-before-make, the walk caches told the table is gone, then its pages
 * freed. Overwriting the descriptor would leak them and leave walkers a cached pointer to
 * the old table. If the walk caches could not be told, the pages are leaked: the old table
 * maps nothing, so a walker that still follows it finds only invalid entries. */
static void drop_empty_table(struct pgtable *pgt, u64 *ptep, unsigned level, u64 base)
{
	u64 *sub = desc_table(pgt, *ptep);
	bool leak = break_entry(pgt, ptep, base, level_size(level), false) != 0;

	drop_level(pgt, sub, level + 1, leak);
	if (leak)
		pgt->pool->leaked++;
	else
		release_page(pgt, va_to_pa(sub));
}

static int map_level(struct pgtable *pgt, u64 *table, unsigned level, u64 ia, u64 end, u64 out,
		     u64 attrs)
{
	u64 bs = level_size(level);

	while (ia < end) {
		u64 next = MIN(ALIGN_DOWN(ia, bs) + bs, end);
		u64 *ptep = &table[level_index(level, ia)];
		int ret;

		/* Level 0 holds no blocks with a 4 KiB granule (Arm ARM D8.3.1). */
		if (level >= 1 && next - ia == bs && IS_ALIGNED(out, bs)) {
			if (desc_valid(*ptep))
				drop_empty_table(pgt, ptep, level, ia);
			write_desc(pgt, ptep, out | attrs | leaf_type(level));
		} else {
			u64 *sub = desc_valid(*ptep) ? desc_table(pgt, *ptep) : new_table(pgt);

			if (!sub)
				return -E_NOMEM;
			if (!desc_valid(*ptep))
				write_desc(pgt, ptep, table_desc(pgt, sub));
			ret = map_level(pgt, sub, level + 1, ia, next, out, attrs);
			if (ret)
				return ret;
		}
		out += next - ia;
		ia = next;
	}
	return 0;
}

/* The last-level entry for ia when every table above it exists, else NULL (a level missing,
 * or a block on the way). */
static u64 *existing_page_slot(const struct pgtable *pgt, u64 ia)
{
	u64 *table = root_table_for(pgt, ia);

	for (unsigned level = pgt->start_level; level < 3; level++) {
		u64 d = table[level_index(level, ia)];

		if (!desc_valid(d) || !desc_is_table(d, level))
			return NULL;
		table = desc_table(pgt, d);
	}
	return &table[level_index(3, ia)];
}

int pgt_map(struct pgtable *pgt, u64 ia, pa_t pa, u64 size, unsigned prot)
{
	u64 top = level_size(pgt->start_level) * ENTRIES, cur = ia, end, attrs;
	int ret = 0;

	if (!range_ok(pgt, ia, size) || !IS_ALIGNED(pa.v, PAGE_SIZE) ||
	    pa.v + size - 1 > PTE_ADDR_MAX || pa.v + size - 1 < pa.v)
		return -E_RANGE;
	if (!(prot & (PGT_READ | PGT_WRITE)))
		return -E_INVAL;
	attrs = pgt_attrs(pgt->fmt, prot);
	/* An IOMMU's usual request, one page where the tables are kept: one walk, not two. */
	if (size == PAGE_SIZE) {
		u64 *ptep = existing_page_slot(pgt, ia);

		if (ptep) {
			if (desc_valid(*ptep))
				return -E_EXIST;
			write_desc(pgt, ptep, pa.v | attrs | leaf_type(3));
			return 0;
		}
	}
	end = ia + size;
	if (!range_unmapped(pgt, ia, end))
		return -E_EXIST;
	while (cur < end && !ret) {
		u64 next = MIN(ALIGN_DOWN(cur, top) + top, end);

		ret = map_level(pgt, root_table_for(pgt, cur), pgt->start_level, cur, next,
				pa.v + (cur - ia), attrs);
		cur = next;
	}
	if (ret) /* only -E_NOMEM is possible here; the range held nothing before */
		pgt_unmap(pgt, ia, size);
	return ret;
}

/* Pages freed by an unmap wait on a list (linked through their first entry, which stays an
 * invalid descriptor because a page address has bit 0 clear) until the TLB sync. The
 * entries it clears are invalidated with one range at the end: [inv_lo, inv_hi). */
struct unmap_ctx {
	struct pgtable *pgt;
	pa_t freed;
	u64 inv_lo, inv_hi;
	bool leaf; /* only last-level entries were cleared */
	int err;
};

static bool invalidated(const struct unmap_ctx *c) { return c->inv_hi != c->inv_lo; }

static void invalidate(struct unmap_ctx *c, u64 ia, u64 size, bool leaf)
{
	if (!invalidated(c)) {
		c->inv_lo = ia;
		c->inv_hi = ia + size;
		c->leaf = leaf;
		return;
	}
	c->inv_lo = MIN(c->inv_lo, ia);
	c->inv_hi = MAX(c->inv_hi, ia + size);
	c->leaf = c->leaf && leaf;
}

static void defer_free(struct unmap_ctx *c, u64 *table)
{
	*(volatile u64 *)table = c->freed.v;
	c->freed = va_to_pa(table);
}

static bool table_empty(const u64 *t)
{
	for (unsigned i = 0; i < ENTRIES; i++)
		if (desc_valid(t[i]))
			return false;
	return true;
}

/* Replace the block at *ptep (covering [base, base + size of level)) with a table of the
 * next level mapping the same, break-before-make (Arm ARM D8.14.1). */
static u64 *split_block(struct unmap_ctx *c, u64 *ptep, unsigned level, u64 base)
{
	struct pgtable *pgt = c->pgt;
	u64 d = *ptep, sub_size = level_size(level + 1);
	u64 attrs = d & ~(PTE_ADDR | PTE_TYPE_MASK), out = d & PTE_ADDR;
	u64 *sub = new_table(pgt);
	int ret;

	if (!sub)
		return NULL;
	for (unsigned i = 0; i < ENTRIES; i++)
		sub[i] = (out + i * sub_size) | attrs | leaf_type(level + 1);
	arch_table_write_barrier(sub, PAGE_SIZE, pgt->clean_to_poc);
	/* Should the invalidation fail, a walker may keep the block: it translates as the
	 * new table does, so the split goes on and the error is the unmap's. */
	ret = break_entry(pgt, ptep, base, level_size(level), true);
	c->err = c->err ? c->err : ret;
	write_desc(pgt, ptep, table_desc(pgt, sub));
	return sub;
}

static void unmap_level(struct unmap_ctx *c, u64 *table, unsigned level, u64 ia, u64 end)
{
	u64 bs = level_size(level);

	while (ia < end) {
		u64 base = ALIGN_DOWN(ia, bs), next = MIN(base + bs, end);
		u64 *ptep = &table[level_index(level, ia)];
		u64 *sub;

		if (!desc_valid(*ptep)) {
			ia = next;
			continue;
		}
		if (next - ia == bs) { /* the whole entry goes */
			if (desc_is_table(*ptep, level)) {
				sub = desc_table(c->pgt, *ptep);
				unmap_level(c, sub, level + 1, ia, next);
				if (!table_empty(sub)) /* a split inside it failed */
					goto next_entry;
			} else {
				sub = NULL;
			}
			write_desc(c->pgt, ptep, 0);
			invalidate(c, base, bs, sub == NULL);
			if (sub)
				defer_free(c, sub);
			goto next_entry;
		}
		sub = desc_is_table(*ptep, level) ? desc_table(c->pgt, *ptep)
						  : split_block(c, ptep, level, base);
		if (!sub) {
			c->err = -E_NOMEM;
			goto next_entry;
		}
		unmap_level(c, sub, level + 1, ia, next);
		if (!c->pgt->keep_tables && table_empty(sub)) {
			write_desc(c->pgt, ptep, 0);
			invalidate(c, base, bs, false);
			defer_free(c, sub);
		}
next_entry:
		ia = next;
	}
}

/* One mapped page under kept tables (nothing to free): cleared in one walk. */
static bool unmap_kept_page(struct unmap_ctx *c, u64 ia)
{
	u64 *ptep = existing_page_slot(c->pgt, ia);

	if (!ptep || !desc_valid(*ptep))
		return false;
	write_desc(c->pgt, ptep, 0);
	invalidate(c, ia, PAGE_SIZE, true);
	return true;
}

static void unmap_walk(struct unmap_ctx *c, u64 ia, u64 end)
{
	u64 top = level_size(c->pgt->start_level) * ENTRIES;

	while (ia < end) {
		u64 next = MIN(ALIGN_DOWN(ia, top) + top, end);

		unmap_level(c, root_table_for(c->pgt, ia), c->pgt->start_level, ia, next);
		ia = next;
	}
}

/* The one range invalidation over every entry c cleared (not synced). If it could not be
 * issued, no sync will cover the tables c freed: they are leaked. */
static void issue_invalidation(struct unmap_ctx *c)
{
	int ret = 0;

	if (invalidated(c) && c->pgt->tlb)
		ret = c->pgt->tlb->inv_range(c->pgt->tlb_ctx, c->inv_lo, c->inv_hi - c->inv_lo,
					     c->leaf);
	if (ret) {
		pgt_leak_deferred(c->pgt->pool, &c->freed);
		c->err = c->err ? c->err : ret;
	}
}

/* Clear [ia, ia + size) and issue its invalidation; c->freed collects emptied tables. */
static int unmap_range(struct unmap_ctx *c, u64 ia, u64 size)
{
	struct pgtable *pgt = c->pgt;

	if (!range_ok(pgt, ia, size))
		return -E_RANGE;
	if (!(size == PAGE_SIZE && pgt->keep_tables && unmap_kept_page(c, ia)))
		unmap_walk(c, ia, ia + size);
	issue_invalidation(c);
	return c->err;
}

int pgt_unmap_nosync(struct pgtable *pgt, u64 ia, u64 size, pa_t *freed)
{
	struct unmap_ctx c = { .pgt = pgt, .freed = *freed };
	int ret = unmap_range(&c, ia, size);

	*freed = c.freed;
	return ret;
}

/* Prune the tables under table (at level, covering from base): true if it is left empty. */
static bool prune_level(struct unmap_ctx *c, u64 *table, unsigned level, u64 base, size_t *n)
{
	bool empty = true;

	for (unsigned i = 0; i < ENTRIES; i++) {
		u64 d = table[i], ia = base + i * level_size(level);

		if (!desc_valid(d))
			continue;
		if (desc_is_table(d, level) &&
		    prune_level(c, desc_table(c->pgt, d), level + 1, ia, n)) {
			write_desc(c->pgt, &table[i], 0);
			invalidate(c, ia, level_size(level), false);
			defer_free(c, desc_table(c->pgt, d));
			(*n)++;
			continue;
		}
		empty = false;
	}
	return empty;
}

size_t pgt_prune(struct pgtable *pgt, pa_t *freed)
{
	struct unmap_ctx c = { .pgt = pgt, .freed = *freed };
	u64 top = level_size(pgt->start_level) * ENTRIES;
	size_t n = 0;

	for (unsigned p = 0; p < pgt->root_pages; p++)
		prune_level(&c, pa_to_va(pa_add(pgt->root, (u64)p * PAGE_SIZE)), pgt->start_level,
			    (u64)p * top, &n);
	issue_invalidation(&c);
	*freed = c.freed;
	return n;
}

void pgt_free_deferred(struct pgt_pool *pool, pa_t *freed)
{
	while (freed->v) {
		pa_t p = *freed;

		*freed = pa(*(u64 *)pa_to_va(p));
		pool_release(pool, p);
	}
}

size_t pgt_leak_deferred(struct pgt_pool *pool, pa_t *freed)
{
	size_t n = 0;

	for (; freed->v; n++)
		*freed = pa(*(u64 *)pa_to_va(*freed));
	pool->leaked += n;
	return n;
}

int pgt_unmap(struct pgtable *pgt, u64 ia, u64 size)
{
	struct unmap_ctx c = { .pgt = pgt };
	int ret = unmap_range(&c, ia, size);
	int sync = 0;

	if (invalidated(&c) && pgt->tlb)
		sync = pgt->tlb->sync(pgt->tlb_ctx);
	if (sync)
		pgt_leak_deferred(pgt->pool, &c.freed);
	else
		pgt_free_deferred(pgt->pool, &c.freed);
	return ret ? ret : sync;
}

bool pgt_walk(const struct pgtable *pgt, u64 ia, pa_t *out, unsigned *prot, u64 *entry_size)
{
	const u64 *table = root_table_for(pgt, ia);
	unsigned level;

	if (ia >= BIT(pgt->ias)) {
		if (entry_size)
			*entry_size = 0;
		return false;
	}
	for (level = pgt->start_level;; level++) {
		u64 d = table[level_index(level, ia)];

		if (!desc_valid(d)) {
			if (entry_size)
				*entry_size = level_size(level);
			return false;
		}
		if (desc_is_table(d, level)) {
			table = desc_table(pgt, d);
			continue;
		}
		if (out)
			*out = pa((d & PTE_ADDR) + (ia & (level_size(level) - 1)));
		if (prot)
			*prot = attrs_to_prot(pgt->fmt, d);
		if (entry_size)
			*entry_size = level_size(level);
		return true;
	}
}

/* The table pages under table, deepest first: freed, or (leak) counted in pool->leaked
 * and never freed. Returns how many. */
static size_t drop_level(struct pgtable *pgt, u64 *table, unsigned level, bool leak)
{
	size_t n = 0;

	for (unsigned i = 0; i < ENTRIES; i++) {
		if (desc_is_table(table[i], level) && desc_valid(table[i])) {
			u64 *sub = desc_table(pgt, table[i]);

			n += drop_level(pgt, sub, level + 1, leak) + 1;
			if (leak)
				pgt->pool->leaked++;
			else
				release_page(pgt, va_to_pa(sub));
		}
	}
	return n;
}

static size_t drop_all(struct pgtable *pgt, bool leak)
{
	size_t n = 0;

	for (unsigned p = 0; p < pgt->root_pages; p++) {
		pa_t page = pa_add(pgt->root, (u64)p * PAGE_SIZE);

		n += drop_level(pgt, pa_to_va(page), pgt->start_level, leak) + 1;
		if (leak)
			pgt->pool->leaked++;
		else
			release_page(pgt, page);
	}
	pgt->root = pa(0);
	return n;
}

void pgt_destroy(struct pgtable *pgt) { drop_all(pgt, false); }

size_t pgt_leak(struct pgtable *pgt) { return drop_all(pgt, true); }
