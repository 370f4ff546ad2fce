/*
 * Host tests of the translation-table engine (iommu/pgtable/pgtable.c).
 *
 * Table pages come from an arena the test owns, so every page the engine takes or returns is
 * checked (no double or foreign free, freed pages poisoned for ASan), and a fake TLB records
 * each invalidation and sync. The descriptors are also read directly, by a walk written here
 * from the Arm ARM (D8.3) rather than borrowed from the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "core/lib/errno.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/pgtable/pgtable_desc.h"

#define ARENA_PAGES 8192
#define ENTRIES 512
#define OA_LIMIT BIT(48)
#define PROT_RW (PGT_READ | PGT_WRITE)

static unsigned shift_of(unsigned level) { return 12 + 9 * (3 - level); }
static u64 size_of(unsigned level) { return BIT(shift_of(level)); }
static u64 *table_of(u64 desc) { return (u64 *)(uintptr_t)(desc & PTE_ADDR); }

/* ---- the page pool: an arena of host pages ---- */

struct test_pool {
	struct pgt_pool pool;
	u8 *arena;
	bool taken[ARENA_PAGES];
	size_t outstanding;
	size_t capacity; /* alloc_page fails (returns pa(0)) beyond this many pages */
};

static struct test_pool tp;

/* ---- the fake TLB ---- */

struct tlb_event {
	bool sync;
	u64 ia, size;
	bool leaf;
	/* What the watched address looked like when the event happened. */
	u64 watch_desc;
	unsigned watch_level;
};

struct tlb_rec {
	struct tlb_event *ev;
	size_t n, cap;
	bool pending; /* an invalidation not yet followed by a sync */
	const struct pgtable *pgt;
	bool watching;
	u64 watch;
	int fail_inv, fail_sync; /* what the TLB ops return */
};

static struct tlb_rec rec;

static u64 *raw_desc(const struct pgtable *pgt, u64 ia, unsigned *level);

static pa_t arena_page(unsigned i) { return pa((u64)(uintptr_t)(tp.arena + (size_t)i * PAGE_SIZE)); }

static void take(unsigned first, unsigned n)
{
	for (unsigned i = first; i < first + n; i++) {
		tp.taken[i] = true;
		ASAN_UNPOISON_MEMORY_REGION(tp.arena + (size_t)i * PAGE_SIZE, PAGE_SIZE);
	}
	/* The pool contract: pages come zeroed. */
	memset(tp.arena + (size_t)first * PAGE_SIZE, 0, (size_t)n * PAGE_SIZE);
	tp.outstanding += n;
}

/* First run of n free pages whose index is a multiple of n (the arena is 64 KiB aligned,
 * so a run of up to 16 pages is then aligned to its own size, as a concatenated root must
 * be). */
static pa_t arena_alloc(unsigned n)
{
	for (unsigned i = 0; i + n <= ARENA_PAGES; i += n) {
		unsigned j = 0;

		while (j < n && !tp.taken[i + j])
			j++;
		if (j == n && tp.outstanding + n <= tp.capacity) {
			take(i, n);
			return arena_page(i);
		}
	}
	return pa(0);
}

static pa_t pool_alloc_page(struct pgt_pool *pool)
{
	assert_ptr_equal(pool, &tp.pool);
	return arena_alloc(1);
}

static pa_t pool_alloc_root(struct pgt_pool *pool, unsigned pages)
{
	assert_ptr_equal(pool, &tp.pool);
	return arena_alloc(pages);
}

static bool in_arena(u64 p)
{
	u64 lo = (u64)(uintptr_t)tp.arena;

	return p >= lo && p < lo + (u64)ARENA_PAGES * PAGE_SIZE && IS_ALIGNED(p - lo, PAGE_SIZE);
}

static void pool_free_page(struct pgt_pool *pool, pa_t page)
{
	unsigned i;

	assert_ptr_equal(pool, &tp.pool);
	assert_true(in_arena(page.v));
	i = (unsigned)((page.v - (u64)(uintptr_t)tp.arena) / PAGE_SIZE);
	assert_true(tp.taken[i]);
	/* A walker may still hold the table until every invalidation has completed. */
	assert_false(rec.pending);
	tp.taken[i] = false;
	tp.outstanding--;
	ASAN_POISON_MEMORY_REGION(tp.arena + (size_t)i * PAGE_SIZE, PAGE_SIZE);
}

static void record(struct tlb_event e)
{
	if (rec.watching)
		e.watch_desc = *raw_desc(rec.pgt, rec.watch, &e.watch_level);
	if (rec.n == rec.cap) {
		rec.cap = rec.cap ? rec.cap * 2 : 256;
		rec.ev = realloc(rec.ev, rec.cap * sizeof(*rec.ev));
		assert_non_null(rec.ev);
	}
	rec.ev[rec.n++] = e;
}

static int tlb_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	assert_ptr_equal(ctx, &rec);
	rec.pending = true;
	record((struct tlb_event){ .ia = ia, .size = size, .leaf = leaf });
	return rec.fail_inv;
}

static int tlb_sync(void *ctx)
{
	assert_ptr_equal(ctx, &rec);
	rec.pending = false;
	record((struct tlb_event){ .sync = true });
	return rec.fail_sync;
}

static const struct pgt_tlb_ops tlb_ops = { .inv_range = tlb_inv_range, .sync = tlb_sync };

static int setup(void **state)
{
	tp = (struct test_pool){
		.pool = { .name = "test", .limit = ARENA_PAGES, .alloc_page = pool_alloc_page,
			  .free_page = pool_free_page },
		.arena = aligned_alloc(SZ_64K, (size_t)ARENA_PAGES * PAGE_SIZE),
		.capacity = ARENA_PAGES,
	};
	assert_non_null(tp.arena);
	ASAN_POISON_MEMORY_REGION(tp.arena, (size_t)ARENA_PAGES * PAGE_SIZE);
	rec = (struct tlb_rec){ 0 };
	return 0;
}

static int teardown(void **state)
{
	ASAN_UNPOISON_MEMORY_REGION(tp.arena, (size_t)ARENA_PAGES * PAGE_SIZE);
	free(tp.arena);
	free(rec.ev);
	rec = (struct tlb_rec){ 0 };
	return 0;
}

static void new_table(struct pgtable *pgt, enum pgt_format fmt, unsigned ias)
{
	*pgt = (struct pgtable){ 0 };
	assert_int_equal(pgt_init(pgt, fmt, ias, &tp.pool, pool_alloc_root), 0);
	pgt->tlb = &tlb_ops;
	pgt->tlb_ctx = &rec;
	rec.pgt = pgt;
}

static void clear_events(void)
{
	rec.n = 0;
}

/* ---- reading the tables directly (Arm ARM D8.3) ---- */

/* The descriptor that translates ia, or the invalid one that stops the walk. */
static u64 *raw_desc(const struct pgtable *pgt, u64 ia, unsigned *level)
{
	unsigned l = pgt->start_level;
	u64 page = (ia >> (shift_of(l) + 9)) & (pgt->root_pages - 1);
	u64 *t = (u64 *)(uintptr_t)pgt->root.v + page * ENTRIES;

	for (;; l++) {
		u64 *d = &t[(ia >> shift_of(l)) & (ENTRIES - 1)];

		if (l == 3 || (*d & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
			*level = l;
			return d;
		}
		t = table_of(*d);
	}
}

static bool holds_valid(const u64 *t)
{
	for (unsigned i = 0; i < ENTRIES; i++)
		if (t[i] & PTE_VALID)
			return true;
	return false;
}

/* Check one table and those below it: legal descriptor types per level, every table page
 * taken from the pool and holding at least one valid entry. Returns the table pages below. */
static size_t check_subtree(const u64 *t, unsigned level)
{
	size_t pages = 0;

	for (unsigned i = 0; i < ENTRIES; i++) {
		u64 d = t[i];

		if (!(d & PTE_VALID))
			continue;
		if (level == 3 || (d & PTE_TYPE_MASK) == PTE_TYPE_BLOCK) {
			/* Level 0 has no blocks and level 3 only pages (4 KiB granule). */
			assert_true(level == 3 ? (d & PTE_TYPE_MASK) == PTE_TYPE_PAGE : level >= 1);
			continue;
		}
		assert_true(in_arena(d & PTE_ADDR));
		assert_true(tp.taken[((d & PTE_ADDR) - (u64)(uintptr_t)tp.arena) / PAGE_SIZE]);
		assert_int_equal(d & ~(PTE_ADDR | PTE_TYPE_MASK), 0);
		/* An empty table is a leak: unmap frees them. */
		assert_true(holds_valid(table_of(d)));
		pages += 1 + check_subtree(table_of(d), level + 1);
	}
	return pages;
}

static void check_tree(const struct pgtable *pgt)
{
	size_t pages = pgt->root_pages;

	for (unsigned p = 0; p < pgt->root_pages; p++)
		pages += check_subtree((u64 *)(uintptr_t)pgt->root.v + p * ENTRIES, pgt->start_level);
	assert_int_equal(pages, tp.pool.used);
	assert_int_equal(pages, tp.outstanding);
}

/* ---- the reference model: sorted, disjoint intervals ---- */

struct ival {
	u64 ia, size, pa;
	unsigned prot; /* as pgt_walk reports it */
};

#define MODEL_MAX 4096
static struct ival model[MODEL_MAX];
static size_t n_model;

/* The prot a walk reports for prot: what the format can express. Stage 1 has no
 * write-only and no executable device memory. */
static unsigned visible_prot(enum pgt_format fmt, unsigned prot)
{
	unsigned v = prot & (PGT_READ | PGT_WRITE | PGT_DEVICE);

	if ((prot & PGT_EXEC) && !(prot & PGT_DEVICE))
		v |= PGT_EXEC;
	if (fmt != PGT_FMT_S2)
		v |= PGT_READ;
	return v;
}

/* Index of the first interval ending above ia. */
static size_t model_find(u64 ia)
{
	size_t lo = 0, hi = n_model;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (model[mid].ia + model[mid].size <= ia)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_overlaps(u64 ia, u64 size)
{
	size_t i = model_find(ia);

	return i < n_model && model[i].ia < ia + size;
}

static void model_insert(size_t at, struct ival v)
{
	assert_true(n_model < MODEL_MAX);
	memmove(&model[at + 1], &model[at], (n_model - at) * sizeof(model[0]));
	model[at] = v;
	n_model++;
}

static void model_map(u64 ia, u64 size, u64 pa, unsigned prot)
{
	model_insert(model_find(ia), (struct ival){ ia, size, pa, prot });
}

static void model_unmap(u64 ia, u64 size)
{
	u64 end = ia + size;
	size_t i = model_find(ia);

	while (i < n_model && model[i].ia < end) {
		struct ival v = model[i];
		u64 v_end = v.ia + v.size;

		memmove(&model[i], &model[i + 1], (n_model - i - 1) * sizeof(model[0]));
		n_model--;
		if (v_end > end)
			model_insert(i, (struct ival){ end, v_end - end, v.pa + (end - v.ia), v.prot });
		if (v.ia < ia)
			model_insert(i++, (struct ival){ v.ia, ia - v.ia, v.pa, v.prot });
		if (v_end > end)
			break;
	}
}

/* ---- checking the engine against the model ---- */

/* Walk ia and compare with the model; the entry reported must also agree with it: a
 * mapped entry lies inside one interval (blocks never span two maps), and an unmapped one
 * overlaps none. */
static void check_point(const struct pgtable *pgt, u64 ia)
{
	size_t i = model_find(ia);
	bool expect = i < n_model && model[i].ia <= ia;
	pa_t out;
	unsigned prot;
	u64 es, base;
	bool mapped = pgt_walk(pgt, ia, &out, &prot, &es);
	unsigned level;

	assert_int_equal(mapped, expect);
	raw_desc(pgt, ia, &level);
	assert_int_equal(es, size_of(level));
	base = ALIGN_DOWN(ia, es);
	if (!mapped) {
		assert_false(model_overlaps(base, es));
		/* Below the root the parent is a table, which holds some mapping (empty tables
		 * are freed): the hole is as large as it can be. */
		if (level > pgt->start_level)
			assert_true(model_overlaps(ALIGN_DOWN(ia, es * ENTRIES), es * ENTRIES));
		return;
	}
	assert_int_equal(out.v, model[i].pa + (ia - model[i].ia));
	assert_int_equal(prot, model[i].prot);
	assert_true(base >= model[i].ia && base + es <= model[i].ia + model[i].size);
}

struct run_list {
	struct ival *r;
	size_t n, cap;
};

/* Append, merging with the previous run when it continues it in IA, PA and prot. */
static void run_add(struct run_list *l, struct ival v)
{
	struct ival *last = l->n ? &l->r[l->n - 1] : NULL;

	if (last && last->ia + last->size == v.ia && last->pa + last->size == v.pa &&
	    last->prot == v.prot) {
		last->size += v.size;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->r = realloc(l->r, l->cap * sizeof(*l->r));
		assert_non_null(l->r);
	}
	l->r[l->n++] = v;
}

/* Every entry of the table, in IA order, by stepping pgt_walk over its entry sizes. */
static void enumerate(const struct pgtable *pgt, struct run_list *l)
{
	u64 ia = 0, limit = BIT(pgt->ias);

	while (ia < limit) {
		pa_t out;
		unsigned prot;
		u64 es;

		if (pgt_walk(pgt, ia, &out, &prot, &es))
			run_add(l, (struct ival){ ia, es, out.v, prot });
		/* Steps land on entry boundaries, so each entry starts where the last ended. */
		assert_true(IS_ALIGNED(ia, es));
		ia += es;
	}
}

/* The whole table equals the model, and its structure is sound. */
static void check_all(const struct pgtable *pgt)
{
	struct run_list got = { 0 }, want = { 0 };

	enumerate(pgt, &got);
	for (size_t i = 0; i < n_model; i++)
		run_add(&want, model[i]);
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(got.r[i].ia, want.r[i].ia);
		assert_int_equal(got.r[i].size, want.r[i].size);
		assert_int_equal(got.r[i].pa, want.r[i].pa);
		assert_int_equal(got.r[i].prot, want.r[i].prot);
	}
	free(got.r);
	free(want.r);
	check_tree(pgt);
}

/* Every page of [ia, ia + size) was invalidated by some event since from. */
static void assert_invalidated(size_t from, u64 ia, u64 size)
{
	u64 cur = ia, end = ia + size;
	bool progress = true;

	/* Repeatedly extend the covered prefix; events come in any order. */
	while (cur < end && progress) {
		progress = false;
		for (size_t i = from; i < rec.n; i++) {
			const struct tlb_event *e = &rec.ev[i];

			if (!e->sync && e->ia <= cur && e->ia + e->size > cur) {
				cur = e->ia + e->size;
				progress = true;
			}
		}
	}
	assert_true(cur >= end);
}

static void assert_synced_last(void)
{
	assert_true(rec.n > 0);
	assert_true(rec.ev[rec.n - 1].sync);
	assert_false(rec.pending);
}

/* ---- the randomized sequence ---- */

static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64*: reproducible on every host, unlike rand(). */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u64 rnd_below(u64 n) { return n ? rnd() % n : 0; }

struct random_params {
	enum pgt_format fmt;
	unsigned ias;
	u64 seed;
};

struct window {
	u64 base, size;
};

/* Operations concentrate in two windows so that they collide, split each other's blocks
 * and share tables: one straddling the middle of the IA space (for a concatenated root, a
 * boundary between root pages) and one at its very top. */
static struct window pick_window(unsigned ias)
{
	u64 limit = BIT(ias), span = MIN(limit, 16 * SZ_1G);

	if (rnd_below(5) == 0)
		return (struct window){ limit - MIN(limit, 4 * SZ_1G), MIN(limit, 4 * SZ_1G) };
	return (struct window){ limit / 2 - span / 2, span };
}

static u64 pick_unit(void)
{
	u64 r = rnd_below(20);

	return r < 10 ? SZ_4K : r < 16 ? SZ_2M : SZ_1G;
}

/* A range inside w made of 1..max_units units. */
static void pick_range(struct window w, u64 unit, u64 max_units, u64 *ia, u64 *size)
{
	u64 units = 1 + rnd_below(max_units);

	*ia = w.base + ALIGN_DOWN(rnd_below(w.size), unit);
	*size = MIN(units * unit, w.base + w.size - *ia);
}

/* An output address for ia: congruent modulo 1 GiB (blocks of any size possible), modulo
 * 2 MiB only, or just page aligned. */
static u64 pick_pa(u64 ia, u64 *size)
{
	u64 base = ALIGN_DOWN(rnd_below(OA_LIMIT - 16 * SZ_1G), SZ_1G);

	switch (rnd_below(4)) {
	case 0:
	case 1:
		return base + (ia & (SZ_1G - 1));
	case 2:
		return base + (ALIGN_DOWN(rnd(), SZ_2M) & (SZ_1G - 1)) + (ia & (SZ_2M - 1));
	default:
		/* All pages: keep the table count bounded. */
		*size = MIN(*size, 8 * SZ_2M);
		return base + ALIGN_DOWN(rnd() & (SZ_1G - 1), SZ_4K);
	}
}

static unsigned pick_prot(void)
{
	static const unsigned prots[] = {
		PGT_READ, PROT_RW, PGT_READ | PGT_EXEC, PROT_RW | PGT_EXEC, PGT_WRITE,
		PGT_DEVICE | PGT_READ, PGT_DEVICE | PROT_RW, PGT_DEVICE | PROT_RW | PGT_EXEC,
	};

	return prots[rnd_below(ARRAY_SIZE(prots))];
}

static void random_map(struct pgtable *pgt, struct window w)
{
	u64 unit = pick_unit(), ia, size, out;
	unsigned prot = pick_prot();
	int ret;

	pick_range(w, unit, unit == SZ_4K ? 64 : unit == SZ_2M ? 48 : 4, &ia, &size);
	/* Sometimes right next to an existing mapping, or over its first page. */
	if (n_model && rnd_below(4) == 0) {
		const struct ival *v = &model[rnd_below(n_model)];

		ia = rnd_below(2) ? v->ia + v->size : v->ia - SZ_4K * rnd_below(2);
		size = MIN(size, BIT(pgt->ias) - MIN(ia, BIT(pgt->ias)));
		if (!size || ia >= BIT(pgt->ias))
			return;
	}
	out = pick_pa(ia, &size);
	ret = pgt_map(pgt, ia, pa(out), size, prot);
	if (model_overlaps(ia, size)) {
		assert_int_equal(ret, -E_EXIST);
		return;
	}
	assert_int_equal(ret, 0);
	model_map(ia, size, out, visible_prot(pgt->fmt, prot));
}

static void random_unmap(struct pgtable *pgt, struct window w)
{
	u64 ia, size;
	size_t mark = rec.n, first, last;

	if (n_model && rnd_below(2)) {
		/* A piece of one mapping: splits its blocks. */
		const struct ival *v = &model[rnd_below(n_model)];
		u64 pages = v->size / SZ_4K, a = rnd_below(pages), b = a + 1 + rnd_below(pages - a);

		ia = v->ia + a * SZ_4K;
		size = (b - a) * SZ_4K;
	} else {
		u64 unit = pick_unit();

		pick_range(w, unit, unit == SZ_1G ? 4 : 64, &ia, &size);
	}
	first = model_find(ia);
	assert_int_equal(pgt_unmap(pgt, ia, size), 0);
	/* What was mapped in the range is gone from every TLB before the call returns. */
	last = first;
	for (; last < n_model && model[last].ia < ia + size; last++) {
		u64 lo = MAX(model[last].ia, ia);
		u64 hi = MIN(model[last].ia + model[last].size, ia + size);

		assert_invalidated(mark, lo, hi - lo);
	}
	if (last > first)
		assert_synced_last();
	model_unmap(ia, size);
}

/* Sampled checks after each operation: the ends of mappings, the pages just outside them,
 * a page inside, and random addresses. */
static void check_sampled(const struct pgtable *pgt, struct window w)
{
	u64 limit = BIT(pgt->ias);

	for (unsigned k = 0; k < MIN(n_model, 48); k++) {
		const struct ival *v = &model[n_model <= 48 ? k : rnd_below(n_model)];

		check_point(pgt, v->ia);
		check_point(pgt, v->ia + v->size - SZ_4K);
		check_point(pgt, v->ia + ALIGN_DOWN(rnd_below(v->size), SZ_4K));
		if (v->ia)
			check_point(pgt, v->ia - SZ_4K);
		if (v->ia + v->size < limit)
			check_point(pgt, v->ia + v->size);
	}
	for (unsigned k = 0; k < 16; k++)
		check_point(pgt, w.base + rnd_below(w.size));
}

#define RANDOM_OPS 3000

static void test_random(void **state)
{
	const struct random_params *p = *state;
	struct pgtable pgt;

	rng_state = p->seed;
	n_model = 0;
	new_table(&pgt, p->fmt, p->ias);
	for (unsigned op = 0; op < RANDOM_OPS; op++) {
		struct window w = pick_window(p->ias);

		/* Unmap more once the model is large, so that it stays bounded. */
		if (rnd_below(100) < (n_model > 150 ? 70 : 45))
			random_unmap(&pgt, w);
		else
			random_map(&pgt, w);
		check_sampled(&pgt, w);
		if (op % 100 == 99)
			check_all(&pgt);
	}
	check_all(&pgt);
	assert_int_equal(pgt_unmap(&pgt, 0, BIT(p->ias)), 0);
	n_model = 0;
	check_all(&pgt);
	assert_int_equal(tp.pool.used, pgt.root_pages);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
	assert_int_equal(tp.pool.used, 0);
}

/* ---- blocks, pages and start levels ---- */

/* The entry translating ia is at level with exactly this descriptor. */
static void assert_entry(const struct pgtable *pgt, u64 ia, unsigned level, u64 out, unsigned prot)
{
	unsigned got_level;
	u64 d = *raw_desc(pgt, ia, &got_level), es;
	pa_t walked;

	assert_int_equal(got_level, level);
	assert_int_equal(d, out | pgt_attrs(pgt->fmt, prot) | (level == 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK));
	assert_true(pgt_walk(pgt, ia, &walked, NULL, &es));
	assert_int_equal(es, size_of(level));
	assert_int_equal(walked.v, out);
}

static void test_levels_and_blocks(void **state)
{
	static const enum pgt_format fmts[] = { PGT_FMT_EL2_S1, PGT_FMT_S2, PGT_FMT_SMMU_S1 };

	for (unsigned f = 0; f < ARRAY_SIZE(fmts); f++) {
		const u64 x = 5 * SZ_1G, p = 7 * SZ_1G, lo = x - SZ_2M - SZ_4K;
		struct pgtable pgt;
		unsigned level;
		u64 root_desc;

		new_table(&pgt, fmts[f], 48);
		assert_int_equal(pgt.start_level, 0);
		/* Page, 2 MiB block, 1 GiB block, 2 MiB block, page. */
		assert_int_equal(pgt_map(&pgt, lo, pa(p - SZ_2M - SZ_4K), SZ_1G + 2 * SZ_2M + 2 * SZ_4K,
					 PROT_RW), 0);
		assert_entry(&pgt, lo, 3, p - SZ_2M - SZ_4K, PROT_RW);
		assert_entry(&pgt, x - SZ_2M, 2, p - SZ_2M, PROT_RW);
		assert_entry(&pgt, x, 1, p, PROT_RW);
		assert_entry(&pgt, x + SZ_1G, 2, p + SZ_1G, PROT_RW);
		assert_entry(&pgt, x + SZ_1G + SZ_2M, 3, p + SZ_1G + SZ_2M, PROT_RW);
		/* Root, one level-1 table, a level-2 and a level-3 table on each side: nothing
		 * more than the layout needs. */
		assert_int_equal(tp.pool.used, 6);
		/* The level-0 entry is a table descriptor with no attribute bits, and the walk
		 * of an unmapped address beside x stops at level 1. */
		root_desc = *(u64 *)(uintptr_t)pgt.root.v;
		assert_int_equal(root_desc & ~PTE_ADDR, PTE_TYPE_TABLE);
		assert_int_equal(*raw_desc(&pgt, 0, &level), 0);
		assert_int_equal(level, 1);

		/* Output 2 MiB aligned but not congruent modulo 1 GiB: only 2 MiB blocks. */
		assert_int_equal(pgt_map(&pgt, 10 * SZ_1G, pa(p + SZ_2M), SZ_1G, PGT_READ), 0);
		for (u64 off = 0; off < SZ_1G; off += SZ_2M)
			assert_entry(&pgt, 10 * SZ_1G + off, 2, p + SZ_2M + off, PGT_READ);
		/* Output only page aligned: only pages. */
		assert_int_equal(pgt_map(&pgt, 12 * SZ_1G, pa(p + SZ_4K), 2 * SZ_2M, PGT_READ), 0);
		for (u64 off = 0; off < 2 * SZ_2M; off += SZ_4K)
			assert_entry(&pgt, 12 * SZ_1G + off, 3, p + SZ_4K + off, PGT_READ);
		pgt_destroy(&pgt);
		assert_int_equal(tp.outstanding, 0);
	}
}

/* Start levels and concatenated stage-2 roots (Arm ARM D8.2.7): blocks go straight into
 * the root when the start level allows them. */
static void test_start_levels(void **state)
{
	static const struct {
		enum pgt_format fmt;
		unsigned ias, start, root_pages;
	} cases[] = {
		{ PGT_FMT_S2, 25, 2, 1 },     { PGT_FMT_S2, 32, 2, 4 },     { PGT_FMT_S2, 34, 2, 16 },
		{ PGT_FMT_S2, 35, 1, 1 },     { PGT_FMT_S2, 39, 1, 1 },     { PGT_FMT_S2, 40, 1, 2 },
		{ PGT_FMT_S2, 42, 1, 8 },     { PGT_FMT_S2, 43, 1, 16 },    { PGT_FMT_S2, 44, 0, 1 },
		{ PGT_FMT_S2, 48, 0, 1 },     { PGT_FMT_EL2_S1, 32, 1, 1 }, { PGT_FMT_EL2_S1, 39, 1, 1 },
		{ PGT_FMT_EL2_S1, 40, 0, 1 }, { PGT_FMT_SMMU_S1, 25, 2, 1 }, { PGT_FMT_SMMU_S1, 48, 0, 1 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 limit = BIT(cases[i].ias), top = limit - SZ_1G;
		unsigned start = cases[i].start;
		struct pgtable pgt;

		new_table(&pgt, cases[i].fmt, cases[i].ias);
		assert_int_equal(pgt.start_level, start);
		assert_int_equal(pgt.root_pages, cases[i].root_pages);
		assert_int_equal(tp.pool.used, cases[i].root_pages);
		if (limit < 2 * SZ_1G)
			top = limit - SZ_2M;
		/* The last 1 GiB (or 2 MiB) of the space: in the last root page. */
		assert_int_equal(pgt_map(&pgt, top, pa(SZ_1G), limit - top, PROT_RW), 0);
		assert_entry(&pgt, top, MAX(start, limit - top == SZ_1G ? 1U : 2U), SZ_1G, PROT_RW);
		if (start >= 1)
			assert_int_equal(tp.pool.used, cases[i].root_pages);
		check_tree(&pgt);
		pgt_destroy(&pgt);
		assert_int_equal(tp.outstanding, 0);
	}
}

/* ---- limits and errors ---- */

static void test_pool_limit(void **state)
{
	struct pgtable pgt;
	const u64 x = 3 * SZ_1G;

	new_table(&pgt, PGT_FMT_EL2_S1, 48);
	/* One page needs three tables below the root. */
	tp.pool.limit = 3;
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PGT_READ), -E_NOMEM);
	assert_int_equal(tp.pool.used, 1);
	assert_false(pgt_walk(&pgt, x, NULL, NULL, NULL));

	/* Enough for the first part only: the part already written is taken back. */
	tp.pool.limit = 4;
	assert_int_equal(pgt_map(&pgt, x + SZ_2M - SZ_4K, pa(SZ_1G), 2 * SZ_4K, PGT_READ), -E_NOMEM);
	assert_int_equal(tp.pool.used, 1);
	assert_false(pgt_walk(&pgt, x + SZ_2M - SZ_4K, NULL, NULL, NULL));
	check_tree(&pgt);

	/* A failure next to a mapping that shares its tables leaves that mapping alone. */
	tp.pool.limit = 4;
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PGT_READ), 0);
	assert_int_equal(pgt_map(&pgt, x + SZ_2M, pa(SZ_1G), SZ_4K, PGT_READ), -E_NOMEM);
	assert_int_equal(tp.pool.used, 4);
	assert_true(pgt_walk(&pgt, x, NULL, NULL, NULL));
	check_tree(&pgt);

	/* The pool itself running dry is the same failure as the limit. */
	tp.pool.limit = ARENA_PAGES;
	tp.capacity = tp.outstanding + 1;
	assert_int_equal(pgt_map(&pgt, 5 * SZ_1G, pa(SZ_1G), SZ_4K, PGT_READ), -E_NOMEM);
	assert_int_equal(tp.pool.used, 4);
	assert_int_equal(tp.outstanding, 4);
	check_tree(&pgt);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

static void test_split_without_pages(void **state)
{
	struct pgtable pgt;
	pa_t out;
	u64 es;

	new_table(&pgt, PGT_FMT_S2, 40);
	assert_int_equal(pgt_map(&pgt, SZ_1G, pa(4 * SZ_1G), SZ_2M, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, SZ_1G + 4 * SZ_2M, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	tp.pool.limit = tp.pool.used;
	/* The block cannot be split: it stays whole; the page beside it still goes. */
	assert_int_equal(pgt_unmap(&pgt, SZ_1G + SZ_4K, 8 * SZ_2M), -E_NOMEM);
	assert_true(pgt_walk(&pgt, SZ_1G + SZ_4K, &out, NULL, &es));
	assert_int_equal(out.v, 4 * SZ_1G + SZ_4K);
	assert_int_equal(es, SZ_2M);
	assert_false(pgt_walk(&pgt, SZ_1G + 4 * SZ_2M, NULL, NULL, NULL));
	check_tree(&pgt);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

static void test_overlap(void **state)
{
	static const struct {
		u64 ia, size;
	} clash[] = {
		{ 0x200000, 0x1000 },  /* the first page */
		{ 0x3ff000, 0x1000 },  /* the last page */
		{ 0x1ff000, 0x2000 },  /* across the start */
		{ 0x3ff000, 0x2000 },  /* across the end */
		{ 0x000000, SZ_1G },   /* all of it and more */
		{ 0x300000, 0x10000 }, /* inside */
	};
	struct pgtable pgt;
	pa_t out;

	new_table(&pgt, PGT_FMT_SMMU_S1, 39);
	assert_int_equal(pgt_map(&pgt, SZ_2M, pa(SZ_2M), SZ_2M, PROT_RW), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(clash); i++) {
		size_t used = tp.pool.used;
		u64 es;

		assert_int_equal(pgt_map(&pgt, clash[i].ia, pa(SZ_1G), clash[i].size, PGT_READ), -E_EXIST);
		assert_int_equal(tp.pool.used, used);
		assert_true(pgt_walk(&pgt, SZ_2M, NULL, NULL, &es));
		assert_int_equal(es, SZ_2M);
	}
	/* Touching is not overlapping. */
	assert_int_equal(pgt_map(&pgt, SZ_2M - SZ_4K, pa(SZ_1G), SZ_4K, PGT_READ), 0);
	assert_int_equal(pgt_map(&pgt, 2 * SZ_2M, pa(SZ_1G), SZ_4K, PGT_READ), 0);
	/* A page over a page, its tables all there (pgt_map's one-walk path): refused too, the
	 * first mapping kept. */
	assert_int_equal(pgt_map(&pgt, SZ_2M - SZ_4K, pa(2 * SZ_1G), SZ_4K, PROT_RW), -E_EXIST);
	assert_true(pgt_walk(&pgt, SZ_2M - SZ_4K, &out, NULL, NULL));
	assert_int_equal(out.v, SZ_1G);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

static void test_bad_ranges(void **state)
{
	static const struct {
		u64 ia, pa, size;
	} bad[] = {
		{ 0x1800, 0x1000, 0x1000 },           /* ia not page aligned */
		{ 0x1000, 0x1800, 0x1000 },           /* pa not page aligned */
		{ 0x1000, 0x1000, 0x1800 },           /* size not page aligned */
		{ 0x1000, 0x1000, 0 },                /* empty */
		{ BIT(39), 0x1000, 0x1000 },          /* starts at 2^ias */
		{ BIT(39) - 0x1000, 0x1000, 0x2000 }, /* ends past 2^ias */
		{ ~0xfffULL, 0x1000, 0x2000 },        /* wraps at 2^64 */
		{ 0x1000, ~0xfffULL, 0x2000 },        /* output wraps at 2^64 */
		{ 0x1000, BIT(48), 0x1000 },          /* output past 48 bits */
		{ 0x1000, BIT(48) - 0x1000, 0x2000 }, /* output ends past 48 bits */
	};
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_EL2_S1, 39);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(pgt_map(&pgt, bad[i].ia, pa(bad[i].pa), bad[i].size, PGT_READ),
				 -E_RANGE);
		/* The output address plays no part in an unmap. */
		if (bad[i].pa == 0x1000)
			assert_int_equal(pgt_unmap(&pgt, bad[i].ia, bad[i].size), -E_RANGE);
	}
	assert_int_equal(tp.pool.used, 1);
	/* The very top page is fine; without read or write there is nothing to map. */
	assert_int_equal(pgt_map(&pgt, BIT(39) - 0x1000, pa(BIT(48) - 0x1000), 0x1000, PGT_READ), 0);
	assert_int_equal(pgt_map(&pgt, 0, pa(0), 0x1000, PGT_EXEC), -E_INVAL);
	assert_false(pgt_walk(&pgt, BIT(39), NULL, NULL, NULL));
	pgt_destroy(&pgt);

	assert_int_equal(pgt_init(&pgt, PGT_FMT_S2, PGT_MIN_IAS - 1, &tp.pool, pool_alloc_root), -E_RANGE);
	assert_int_equal(pgt_init(&pgt, PGT_FMT_S2, PGT_MAX_IAS + 1, &tp.pool, pool_alloc_root), -E_RANGE);
	/* A 42-bit stage 2 needs 8 concatenated root pages. */
	tp.pool.limit = 7;
	assert_int_equal(pgt_init(&pgt, PGT_FMT_S2, 42, &tp.pool, pool_alloc_root), -E_NOMEM);
	tp.pool.limit = ARENA_PAGES;
	tp.capacity = 7;
	assert_int_equal(pgt_init(&pgt, PGT_FMT_S2, 42, &tp.pool, pool_alloc_root), -E_NOMEM);
	assert_int_equal(tp.pool.used, 0);
	assert_int_equal(tp.outstanding, 0);
}

/* ---- unmapping: freeing tables and TLB maintenance ---- */

static bool has_table_inv(u64 ia, u64 size)
{
	for (size_t i = 0; i < rec.n; i++)
		if (!rec.ev[i].sync && !rec.ev[i].leaf && rec.ev[i].ia <= ia &&
		    rec.ev[i].ia + rec.ev[i].size >= ia + size)
			return true;
	return false;
}

/* A table page is freed only after its invalidation and sync completed: when either
 * fails, the unmap's error says so and the pages it emptied are leaked (counted, still
 * charged), never freed where a walker may still hold them. */
static void test_unmap_leaks_tables_when_tlb_fails(void **state)
{
	const u64 x = 600 * SZ_1G + 3 * SZ_2M;
	struct pgtable pgt;
	pa_t freed = pa(0);

	new_table(&pgt, PGT_FMT_SMMU_S1, 48);
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 4);
	rec.fail_sync = -E_TIMEOUT;
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), -E_TIMEOUT);
	assert_false(pgt_walk(&pgt, x, NULL, NULL, NULL)); /* cleared all the same */
	assert_int_equal(tp.pool.used, 4);
	assert_int_equal(tp.pool.leaked, 3);
	/* The range invalidation cannot be queued: no later sync covers it. */
	rec.fail_sync = 0;
	rec.fail_inv = -E_TIMEOUT;
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_unmap_nosync(&pgt, x, SZ_4K, &freed), -E_TIMEOUT);
	assert_int_equal(freed.v, 0);
	assert_int_equal(tp.pool.leaked, 6);
	assert_int_equal(tp.pool.used, 7);
	/* A table given up whole (its domain's invalidation failed). */
	assert_int_equal(pgt_leak(&pgt), 1);
	assert_int_equal(tp.pool.used, 7);
}

static void test_unmap_frees_tables(void **state)
{
	const u64 x = 600 * SZ_1G + 3 * SZ_2M + 5 * SZ_4K;
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_EL2_S1, 48);
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), 2 * SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 4);
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), 0);
	/* The level-3 table still holds a page. */
	assert_int_equal(tp.pool.used, 4);
	assert_invalidated(0, x, SZ_4K);
	assert_true(rec.ev[0].leaf);
	assert_synced_last();

	clear_events();
	assert_int_equal(pgt_unmap(&pgt, x + SZ_4K, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 1);
	assert_invalidated(0, x + SZ_4K, SZ_4K);
	/* Each table removed is dropped from walk caches: a non-leaf invalidation of the
	 * span its parent entry covered. */
	assert_true(has_table_inv(ALIGN_DOWN(x, SZ_2M), SZ_2M));
	assert_true(has_table_inv(ALIGN_DOWN(x, SZ_1G), SZ_1G));
	assert_true(has_table_inv(ALIGN_DOWN(x, BIT(39)), BIT(39)));
	assert_synced_last();
	check_tree(&pgt);

	/* A range covering whole table entries removes the tables under them directly; the
	 * page at x + 4 MiB keeps the parent tables, so only those entries need a non-leaf
	 * invalidation. */
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), 2 * SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, x + 2 * SZ_2M, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, x + SZ_1G, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 7);
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, ALIGN_DOWN(x, SZ_2M), SZ_2M), 0);
	assert_true(has_table_inv(ALIGN_DOWN(x, SZ_2M), SZ_2M));
	assert_int_equal(tp.pool.used, 6);
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, ALIGN_DOWN(x + SZ_1G, SZ_1G), SZ_1G), 0);
	assert_true(has_table_inv(ALIGN_DOWN(x + SZ_1G, SZ_1G), SZ_1G));
	assert_int_equal(tp.pool.used, 4);
	assert_synced_last();
	check_tree(&pgt);
	assert_int_equal(pgt_unmap(&pgt, x + 2 * SZ_2M, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 1);

	/* Unmapping a hole is not an error and changes nothing. */
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, 0, BIT(48)), 0);
	assert_int_equal(rec.n, 0);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* Without TLB ops (a table no walker uses yet) unmapping still frees what it empties. */
static void test_unmap_without_tlb(void **state)
{
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_S2, 40);
	pgt.tlb = NULL;
	assert_int_equal(pgt_map(&pgt, 700 * SZ_1G, pa(SZ_1G + SZ_4K), SZ_2M, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 2 + 2);
	assert_int_equal(pgt_unmap(&pgt, 700 * SZ_1G + SZ_4K, SZ_4K), 0);
	assert_int_equal(pgt_unmap(&pgt, 0, BIT(40)), 0);
	assert_int_equal(tp.pool.used, 2);
	assert_int_equal(rec.n, 0);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* pgt_unmap_nosync issues one invalidation over what it cleared, no sync, and keeps the
 * tables it emptied until the caller has synced (pgt_free_deferred): several unmaps share
 * one sync. */
static void test_unmap_nosync_defers_sync_and_frees(void **state)
{
	const u64 x = 5 * SZ_1G + 7 * SZ_2M;
	pa_t freed = pa(0);
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_SMMU_S1, 48);
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), 16 * SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, x + SZ_1G, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 6);
	clear_events();
	assert_int_equal(pgt_unmap_nosync(&pgt, x, 16 * SZ_4K, &freed), 0);
	assert_int_equal(pgt_unmap_nosync(&pgt, x + SZ_1G, SZ_4K, &freed), 0);
	/* One range per call, none synced, nothing freed yet: the walker may hold them. */
	assert_int_equal(rec.n, 2);
	assert_false(rec.ev[0].sync || rec.ev[1].sync);
	assert_invalidated(0, x, 16 * SZ_4K);
	assert_invalidated(0, x + SZ_1G, SZ_4K);
	assert_false(rec.ev[0].leaf); /* the level-3 table went too */
	assert_int_equal(tp.pool.used, 6);
	assert_non_null(freed.v);
	tlb_sync(&rec);
	pgt_free_deferred(pgt.pool, &freed);
	assert_int_equal(freed.v, 0);
	assert_int_equal(tp.pool.used, 1); /* only the root is left */
	check_tree(&pgt);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* keep_tables: unmapping leaves emptied tables (no allocation when the IOVA is mapped
 * again); pgt_prune frees exactly those, invalidating the walk caches, deferred like
 * pgt_unmap_nosync. */
static void test_keep_tables_and_prune(void **state)
{
	const u64 x = 7 * SZ_1G + 3 * SZ_2M;
	pa_t freed = pa(0);
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_SMMU_S1, 48);
	pgt.keep_tables = true;
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, x + SZ_1G, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 6);
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 6); /* kept */
	assert_false(pgt_walk(&pgt, x, NULL, NULL, NULL));
	assert_int_equal(pgt_map(&pgt, x, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(tp.pool.used, 6); /* mapped again without a new table */
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), 0); /* one page: the one-walk path */
	assert_invalidated(0, x, SZ_4K);
	assert_false(pgt_walk(&pgt, x, NULL, NULL, NULL));
	assert_int_equal(tp.pool.used, 6);
	clear_events();
	/* x's level-2 and level-3 tables are empty; x + 1 GiB's still map a page. */
	assert_int_equal(pgt_prune(&pgt, &freed), 2);
	assert_true(has_table_inv(ALIGN_DOWN(x, SZ_1G), SZ_1G));
	assert_int_equal(tp.pool.used, 6);
	tlb_sync(&rec);
	pgt_free_deferred(pgt.pool, &freed);
	assert_int_equal(tp.pool.used, 4);
	assert_true(pgt_walk(&pgt, x + SZ_1G, NULL, NULL, NULL));
	assert_int_equal(pgt_prune(&pgt, &freed), 0);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* keep_tables: a block mapped where an emptied table was kept replaces that table; the
 * table is freed after the walk caches forget it, not leaked, and nothing stale remains. */
static void test_keep_tables_block_over_empty_table(void **state)
{
	const u64 x = 5 * SZ_1G + 4 * SZ_2M;
	pa_t out;
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_SMMU_S1, 48);
	pgt.keep_tables = true;
	assert_int_equal(pgt_map(&pgt, x + SZ_4K, pa(SZ_1G), SZ_4K, PROT_RW), 0);
	assert_int_equal(pgt_unmap(&pgt, x + SZ_4K, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 4); /* root, level 1, 2, 3: the last two are empty */
	clear_events();
	assert_int_equal(pgt_map(&pgt, x, pa(2 * SZ_1G), SZ_2M, PROT_RW), 0);
	assert_true(has_table_inv(x, SZ_2M));
	assert_int_equal(tp.pool.used, 3); /* the level-3 table went */
	assert_true(pgt_walk(&pgt, x + SZ_4K, &out, NULL, NULL));
	assert_int_equal(out.v, 2 * SZ_1G + SZ_4K);
	check_tree(&pgt);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* A table walked at other addresses than its pages' own (nested stage 1, pointers are
 * IPAs): table descriptors carry page + walker_offset, and the engine still finds its
 * tables, maps, unmaps and frees. */
static void test_walker_offset(void **state)
{
	const u64 off = 64 * SZ_1G, x = 3 * SZ_1G + 5 * SZ_4K; /* host heap + 64 GiB < 2^48 */
	struct pgtable pgt;
	pa_t out;
	u64 *root, d;

	new_table(&pgt, PGT_FMT_SMMU_S1, 48);
	pgt.walker_offset = off;
	assert_int_equal(pgt_map(&pgt, x, pa(2 * SZ_1G), 2 * SZ_4K, PROT_RW), 0);
	root = (u64 *)(uintptr_t)pgt.root.v;
	d = root[0];
	assert_true(d & PTE_VALID);
	assert_true(in_arena((d & PTE_ADDR) - off));
	assert_false(in_arena(d & PTE_ADDR));
	assert_true(pgt_walk(&pgt, x + SZ_4K, &out, NULL, NULL));
	assert_int_equal(out.v, 2 * SZ_1G + SZ_4K);
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), 0);
	assert_false(pgt_walk(&pgt, x, NULL, NULL, NULL));
	assert_int_equal(pgt_unmap(&pgt, x + SZ_4K, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 1);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
}

/* Splitting a block is break-before-make (Arm ARM D8.14.1): the block descriptor is
 * invalid when its invalidation is issued, stays invalid until the sync, and only then is
 * the table descriptor written. */
static void test_split_break_before_make(void **state)
{
	const u64 x = 9 * SZ_1G + 6 * SZ_2M, p = 20 * SZ_1G + 6 * SZ_2M;
	size_t first_table = SIZE_MAX, i;
	struct pgtable pgt;
	bool inv_then_sync = false, inv_seen = false;
	pa_t out;
	u64 es;

	new_table(&pgt, PGT_FMT_S2, 48);
	assert_int_equal(pgt_map(&pgt, x, pa(p), SZ_2M, PROT_RW), 0);
	rec.watch = x;
	rec.watching = true;
	clear_events();
	assert_int_equal(pgt_unmap(&pgt, x, SZ_4K), 0);

	for (i = 0; i < rec.n && first_table == SIZE_MAX; i++) {
		const struct tlb_event *e = &rec.ev[i];

		if (e->watch_level == 3 || (e->watch_desc & PTE_TYPE_MASK) == PTE_TYPE_TABLE) {
			first_table = i;
			break;
		}
		/* Before the table: the level-2 entry is invalid at every event. */
		assert_int_equal(e->watch_level, 2);
		assert_int_equal(e->watch_desc, 0);
		if (!e->sync && e->ia <= x && e->ia + e->size >= x + SZ_2M)
			inv_seen = true;
		if (e->sync && inv_seen)
			inv_then_sync = true;
	}
	assert_true(inv_then_sync);
	assert_true(first_table < rec.n);
	/* The page leaves after the table is in, and is invalidated too. */
	assert_invalidated(first_table, x, SZ_4K);
	assert_synced_last();

	assert_false(pgt_walk(&pgt, x, NULL, NULL, &es));
	assert_int_equal(es, SZ_4K);
	assert_true(pgt_walk(&pgt, x + SZ_4K, &out, NULL, &es));
	assert_int_equal(out.v, p + SZ_4K);
	assert_int_equal(es, SZ_4K);
	assert_true(pgt_walk(&pgt, x + SZ_2M - SZ_4K, &out, NULL, NULL));
	assert_int_equal(out.v, p + SZ_2M - SZ_4K);
	pgt_destroy(&pgt);
}

/* A page out of a 1 GiB block: two splits, each keeping the rest with its attributes. */
static void test_split_gigabyte(void **state)
{
	const u64 x = 2 * SZ_1G, p = 40 * SZ_1G, hole = x + 300 * SZ_2M + 17 * SZ_4K;
	unsigned prot = PGT_READ | PGT_EXEC, got_prot;
	struct pgtable pgt;
	unsigned level;
	pa_t out;
	u64 es;

	new_table(&pgt, PGT_FMT_SMMU_S1, 39);
	assert_int_equal(pgt_map(&pgt, x, pa(p), SZ_1G, prot), 0);
	assert_int_equal(tp.pool.used, 1);
	assert_int_equal(pgt_unmap(&pgt, hole, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 3);
	assert_entry(&pgt, x, 2, p, prot);
	assert_entry(&pgt, hole + SZ_4K, 3, p + (hole + SZ_4K - x), prot);
	assert_int_equal(*raw_desc(&pgt, hole, &level), 0);
	assert_int_equal(level, 3);
	assert_true(pgt_walk(&pgt, x + SZ_1G - SZ_4K, &out, &got_prot, &es));
	assert_int_equal(out.v, p + SZ_1G - SZ_4K);
	assert_int_equal(got_prot, prot);
	assert_int_equal(es, SZ_2M);
	/* Splitting never merges back: unmapping the rest leaves nothing. */
	assert_int_equal(pgt_unmap(&pgt, x, SZ_1G), 0);
	assert_int_equal(tp.pool.used, 1);
	pgt_destroy(&pgt);
}

static void test_destroy_returns_everything(void **state)
{
	struct pgtable pgt;

	new_table(&pgt, PGT_FMT_S2, 40);
	/* In both root pages: 1 GiB blocks, pages across the boundary, a split block. */
	assert_int_equal(pgt_map(&pgt, 0, pa(0), 3 * SZ_1G, PROT_RW), 0);
	assert_int_equal(pgt_map(&pgt, BIT(39) - 2 * SZ_2M, pa(SZ_1G + SZ_4K), 4 * SZ_2M, PGT_READ), 0);
	assert_int_equal(pgt_unmap(&pgt, SZ_1G + SZ_2M + SZ_4K, SZ_4K), 0);
	assert_int_equal(tp.pool.used, 2 + 2 + 4 + 2);
	check_tree(&pgt);
	pgt_destroy(&pgt);
	assert_int_equal(tp.outstanding, 0);
	assert_int_equal(tp.pool.used, 0);
	assert_int_equal(pgt.root.v, 0);
}

/* ---- descriptor encodings, worked out by hand from Arm ARM D8.3 ---- */

static void test_attrs_stage2(void **state)
{
	/*
	 * Stage 2 block/page attributes: MemAttr[3:0] at [5:2] (0b1111 Normal inner+outer
	 * write-back, 0b0001 Device-nGnRE), S2AP at [7:6] (bit 6 read, bit 7 write), SH at [9:8]
	 * (0b11 inner shareable, 0 for Device: always outer shareable), AF bit 10, XN[1:0] at
	 * [54:53] (0b10: execute-never at EL1 and EL0, i.e. bit 54).
	 *   normal RW:   AF 0x400 | SH 0x300 | S2AP 0xc0 | MemAttr 0x3c       = 0x7fc, + XN
	 *   normal R:    0x400 | 0x300 | 0x40 | 0x3c                           = 0x77c, + XN
	 *   normal W:    0x400 | 0x300 | 0x80 | 0x3c                           = 0x7bc, + XN
	 *   device RW:   0x400 | 0xc0 | MemAttr 0x04                           = 0x4c4, + XN
	 */
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PROT_RW), 0x00400000000007fcULL);
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PROT_RW | PGT_EXEC), 0x00000000000007fcULL);
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PGT_READ), 0x004000000000077cULL);
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PGT_READ | PGT_EXEC), 0x000000000000077cULL);
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PGT_WRITE), 0x00400000000007bcULL);
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PGT_DEVICE | PROT_RW), 0x00400000000004c4ULL);
	/* Device memory is never executable. */
	assert_int_equal(pgt_attrs(PGT_FMT_S2, PGT_DEVICE | PROT_RW | PGT_EXEC), 0x00400000000004c4ULL);
}

static void test_attrs_stage1(void **state)
{
	/*
	 * Stage 1: AttrIndx[2:0] at [4:2] (MAIR index 0 Normal, 1 Device), AP[1] bit 6 (RES1
	 * at EL2; lets an SMMU's unprivileged accesses in), AP[2] bit 7 read-only, SH [9:8]
	 * (0b11 for Normal), AF bit 10, nG bit 11 (SMMU: ASID-tagged), XN/UXN bit 54, and for
	 * the SMMU PXN bit 53 too (a device's privileged fetches).
	 *   EL2 normal RW:  AF 0x400 | SH 0x300 | AP[1] 0x40                   = 0x740, + XN
	 *   EL2 normal R:   0x740 | AP[2] 0x80                                 = 0x7c0, + XN
	 *   EL2 device RW:  0x400 | AP[1] 0x40 | AttrIndx 1 (0x4)              = 0x444, + XN
	 *   EL2 device R:   0x444 | 0x80                                       = 0x4c4, + XN
	 *   SMMU:           the same | nG 0x800, and PXN with XN
	 */
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PROT_RW), 0x0040000000000740ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PGT_READ), 0x00400000000007c0ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PGT_READ | PGT_EXEC), 0x00000000000007c0ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PROT_RW | PGT_EXEC), 0x0000000000000740ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PGT_DEVICE | PROT_RW), 0x0040000000000444ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_EL2_S1, PGT_DEVICE | PGT_READ | PGT_EXEC),
			 0x00400000000004c4ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_SMMU_S1, PROT_RW), 0x0060000000000f40ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_SMMU_S1, PGT_READ | PGT_EXEC), 0x0000000000000fc0ULL);
	assert_int_equal(pgt_attrs(PGT_FMT_SMMU_S1, PGT_DEVICE | PROT_RW), 0x0060000000000c44ULL);
	/* The MAIR those indices assume: 0xff Normal WB RW-allocate, 0x04 Device-nGnRE. */
	assert_int_equal(PGT_S1_MAIR, 0x04ffULL);
}

/* Every descriptor written is followed by a barrier before a walker may use it. */
static void test_barriers(void **state)
{
	struct pgtable pgt;
	unsigned long before;

	new_table(&pgt, PGT_FMT_EL2_S1, 48);
	before = fake_table_barriers;
	/* Three new tables and four descriptors. */
	assert_int_equal(pgt_map(&pgt, SZ_1G, pa(SZ_1G), SZ_4K, PGT_READ), 0);
	assert_true(fake_table_barriers - before >= 4);
	pgt_destroy(&pgt);
}

#define RANDOM_CASE(f, i, s) \
	{ "random " #f " ias=" #i, test_random, setup, teardown, &(struct random_params){ f, i, s } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		RANDOM_CASE(PGT_FMT_EL2_S1, 32, 1),  RANDOM_CASE(PGT_FMT_EL2_S1, 39, 2),
		RANDOM_CASE(PGT_FMT_EL2_S1, 40, 3),  RANDOM_CASE(PGT_FMT_EL2_S1, 42, 4),
		RANDOM_CASE(PGT_FMT_EL2_S1, 44, 5),  RANDOM_CASE(PGT_FMT_EL2_S1, 48, 6),
		RANDOM_CASE(PGT_FMT_S2, 32, 7),      RANDOM_CASE(PGT_FMT_S2, 39, 8),
		RANDOM_CASE(PGT_FMT_S2, 40, 9),      RANDOM_CASE(PGT_FMT_S2, 42, 10),
		RANDOM_CASE(PGT_FMT_S2, 44, 11),     RANDOM_CASE(PGT_FMT_S2, 48, 12),
		RANDOM_CASE(PGT_FMT_SMMU_S1, 32, 13), RANDOM_CASE(PGT_FMT_SMMU_S1, 39, 14),
		RANDOM_CASE(PGT_FMT_SMMU_S1, 40, 15), RANDOM_CASE(PGT_FMT_SMMU_S1, 42, 16),
		RANDOM_CASE(PGT_FMT_SMMU_S1, 44, 17), RANDOM_CASE(PGT_FMT_SMMU_S1, 48, 18),
		cmocka_unit_test_setup_teardown(test_levels_and_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_without_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_leaks_tables_when_tlb_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_frees_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_without_tlb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_nosync_defers_sync_and_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walker_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_tables_and_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_tables_block_over_empty_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_split_break_before_make, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_gigabyte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_returns_everything, setup, teardown),
		cmocka_unit_test(test_attrs_stage2),
		cmocka_unit_test(test_attrs_stage1),
		cmocka_unit_test_setup_teardown(test_barriers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
