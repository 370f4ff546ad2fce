/* First-fit bitmap page allocator, one bitmap per RAM region (bit set = page in use). */
#include "core/mm/alloc.h"

#include "arch/arch.h"
#include "core/lib/errno.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"
#include "core/log/log.h"

struct region {
	pa_t base;
	u64 pages;
	u64 *bitmap;
};

static struct region regions[ALLOC_MAX_REGIONS];
static unsigned n_regions;
/* The bitmaps' own pages, at the start of this region: marked used, never handed out. */
static struct region *meta_home;
static u64 meta_pages;
static u64 total_pages, free_pages, ignored_pages;
static spinlock_t alloc_lock = SPINLOCK_INIT;

static bool bit_get(const u64 *bm, u64 i) { return bm[i / 64] & BIT(i % 64); }

static void bits_set(u64 *bm, u64 first, u64 n, bool used)
{
	for (u64 i = first; i < first + n; i++) {
		if (used)
			bm[i / 64] |= BIT(i % 64);
		else
			bm[i / 64] &= ~BIT(i % 64);
	}
}

static u64 bitmap_bytes(u64 pages) { return ALIGN_UP(pages, 64) / 8; }

int alloc_init(const struct range_set *free)
{
	u64 need = 0;
	struct region *home = NULL;

	n_regions = 0;
	total_pages = free_pages = ignored_pages = 0;
	for (unsigned i = 0; i < free->n; i++) {
		u64 pages = free->r[i].size / PAGE_SIZE;

		if (n_regions == ALLOC_MAX_REGIONS) {
			ignored_pages += pages;
			continue;
		}
		regions[n_regions++] = (struct region){ free->r[i].base, pages, NULL };
		need += bitmap_bytes(pages);
	}
	meta_pages = ALIGN_UP(need, PAGE_SIZE) / PAGE_SIZE;
	for (unsigned i = 0; i < n_regions && !home; i++)
		if (regions[i].pages > meta_pages)
			home = &regions[i];
	if (!home) {
		n_regions = 0; /* without bitmaps no region may be searched */
		return -E_NOMEM;
	}
	meta_home = home;

	u8 *meta = pa_to_va(home->base);
	memset(meta, 0, meta_pages * PAGE_SIZE);
	for (unsigned i = 0; i < n_regions; i++) {
		regions[i].bitmap = (u64 *)meta;
		meta += bitmap_bytes(regions[i].pages);
		/* Bits past the region's end stay set, so they are never handed out. */
		bits_set(regions[i].bitmap, regions[i].pages,
			 ALIGN_UP(regions[i].pages, 64) - regions[i].pages, true);
		total_pages += regions[i].pages;
	}
	bits_set(home->bitmap, 0, meta_pages, true);
	free_pages = total_pages - meta_pages;
	return 0;
}

/* First index >= from whose page address is aligned to align pages. */
static u64 aligned_index(const struct region *r, u64 from, u64 align)
{
	u64 page = r->base.v / PAGE_SIZE + from;

	return from + (ALIGN_UP(page, align) - page);
}

static bool run_free(const struct region *r, u64 first, u64 n, u64 *blocker)
{
	for (u64 i = first; i < first + n; i++) {
		if (bit_get(r->bitmap, i)) {
			*blocker = i;
			return false;
		}
	}
	return true;
}

static bool region_alloc(struct region *r, u64 pages, u64 align, u64 *out)
{
	u64 i = aligned_index(r, 0, align), blocker;

	while (i < r->pages && pages <= r->pages - i) {
		/* Skip whole words of used pages quickly. */
		if (r->bitmap[i / 64] == ~0ULL) {
			i = aligned_index(r, ALIGN_DOWN(i, 64) + 64, align);
			continue;
		}
		if (run_free(r, i, pages, &blocker)) {
			bits_set(r->bitmap, i, pages, true);
			*out = i;
			return true;
		}
		i = aligned_index(r, blocker + 1, align);
	}
	return false;
}

void *page_alloc_zeroed(u64 bytes, u64 align_pages)
{
	u64 pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	pa_t p;

	if (!align_pages)
		for (align_pages = 1; align_pages < pages; align_pages <<= 1)
			;
	p = page_alloc(pages, align_pages);
	if (!p.v)
		return NULL;
	memset(pa_to_va(p), 0, pages * PAGE_SIZE);
	return pa_to_va(p);
}

pa_t page_alloc(u64 pages, u64 align_pages)
{
	pa_t result = pa(0);
	u64 idx;

	if (!pages || !align_pages || (align_pages & (align_pages - 1)))
		return result;
	spin_lock(&alloc_lock);
	for (unsigned i = 0; i < n_regions; i++) {
		if (region_alloc(&regions[i], pages, align_pages, &idx)) {
			result = pa_add(regions[i].base, idx * PAGE_SIZE);
			free_pages -= pages;
			break;
		}
	}
	spin_unlock(&alloc_lock);
	return result;
}

static struct region *region_of(pa_t p, u64 pages)
{
	for (unsigned i = 0; i < n_regions; i++) {
		struct region *r = &regions[i];
		u64 end = r->base.v + r->pages * PAGE_SIZE;

		if (p.v >= r->base.v && p.v < end && pages <= (end - p.v) / PAGE_SIZE)
			return r;
	}
	return NULL;
}

/* The region holding the whole page-aligned run [p, p + pages), and the run's first index. */
static struct region *run_region(pa_t p, u64 pages, u64 *first)
{
	struct region *r = IS_ALIGNED(p.v, PAGE_SIZE) && pages ? region_of(p, pages) : NULL;

	if (r)
		*first = (p.v - r->base.v) / PAGE_SIZE;
	return r;
}

static bool run_all_used(const struct region *r, u64 first, u64 n)
{
	for (u64 i = first; i < first + n; i++)
		if (!bit_get(r->bitmap, i))
			return false;
	return true;
}

int page_free(pa_t p, u64 pages)
{
	struct region *r;
	u64 first = 0;
	int ret = 0;

	spin_lock(&alloc_lock);
	r = run_region(p, pages, &first);
	/* The bitmaps' own pages are never handed out, so they are never freed either. */
	if (!r || (r == meta_home && first < meta_pages) || !run_all_used(r, first, pages)) {
		ret = -E_INVAL;
	} else {
		bits_set(r->bitmap, first, pages, false);
		free_pages += pages;
	}
	spin_unlock(&alloc_lock);
	if (ret)
		log_err("page_free: %lu pages at %lx were not allocated\n", pages, p.v);
	return ret;
}

int page_claim(pa_t p, u64 pages)
{
	struct region *r;
	u64 first = 0, blocker;
	int ret = 0;

	spin_lock(&alloc_lock);
	r = run_region(p, pages, &first);
	if (!r) {
		ret = -E_RANGE;
	} else if (!run_free(r, first, pages, &blocker)) {
		ret = -E_EXIST;
	} else {
		bits_set(r->bitmap, first, pages, true);
		free_pages -= pages;
	}
	spin_unlock(&alloc_lock);
	return ret;
}

u64 alloc_total_pages(void) { return total_pages; }
u64 alloc_free_pages(void) { return free_pages; }
u64 alloc_ignored_pages(void) { return ignored_pages; }

static pa_t pool_alloc_page(struct pgt_pool *pool)
{
	(void)pool;
	return page_alloc(1, 1);
}

static void pool_free_page(struct pgt_pool *pool, pa_t p)
{
	(void)pool;
	page_free(p, 1);
}

void alloc_pgt_pool_init(struct pgt_pool *pool, const char *name, size_t limit_pages)
{
	*pool = (struct pgt_pool){
		.name = name,
		.limit = limit_pages,
		.alloc_page = pool_alloc_page,
		.free_page = pool_free_page,
	};
}

pa_t alloc_pgt_root(struct pgt_pool *pool, unsigned pages)
{
	(void)pool;
	/* A concatenated stage-2 root must be aligned to its own size (Arm ARM D8.2.7). */
	return page_alloc(pages, pages);
}
