/*
 * Host tests of the page allocator (core/mm/alloc.c). "RAM" is one large host buffer, handed
 * to the allocator as several ranges with gaps between them; addresses are host pointers
 * (arch/fake).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/fake/fake.h"
#include "core/lib/errno.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"

/* 144 MiB: enough pages (over 32768) for the bitmaps to need two pages. */
#define RAM_PAGES 36864U

static u8 *ram;

static pa_t ram_page(u64 i) { return pa((u64)(uintptr_t)(ram + i * PAGE_SIZE)); }

static int setup(void **state)
{
	ram = aligned_alloc(SZ_2M, (size_t)RAM_PAGES * PAGE_SIZE);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

struct span {
	u64 first, pages; /* in pages of ram */
};

static void init_with(const struct span *spans, unsigned n, int expect)
{
	struct range_set set = { .n = 0 };

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ranges_add(&set, ram_page(spans[i].first), spans[i].pages * PAGE_SIZE), 0);
	assert_int_equal(alloc_init(&set), expect);
}

static bool in_spans(const struct span *spans, unsigned n, pa_t p, u64 pages)
{
	for (unsigned i = 0; i < n; i++)
		if (p.v >= ram_page(spans[i].first).v &&
		    p.v + pages * PAGE_SIZE <= ram_page(spans[i].first + spans[i].pages).v)
			return true;
	return false;
}

/* Take single pages until none is left; returns how many, checking each is new. */
static u64 drain(const struct span *spans, unsigned n, u8 *seen)
{
	u64 count = 0;
	pa_t p;

	while ((p = page_alloc(1, 1)).v) {
		u64 idx = (p.v - (u64)(uintptr_t)ram) / PAGE_SIZE;

		assert_true(IS_ALIGNED(p.v, PAGE_SIZE));
		assert_true(in_spans(spans, n, p, 1));
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
		/* Scribble over it: a page that also held a bitmap would break later calls. */
		memset(pa_to_va(p), 0xa5, PAGE_SIZE);
		count++;
	}
	return count;
}

/* The first range is too small for the bitmaps (they need two pages), so they go at the
 * start of the second; every other page is handed out exactly once. */
static void test_bitmaps_placed_and_kept(void **state)
{
	static const struct span spans[] = { { 0, 2 }, { 10, 30000 }, { 30020, 6000 } };
	u8 *seen = calloc(RAM_PAGES, 1);

	assert_non_null(seen);
	init_with(spans, 3, 0);
	assert_int_equal(alloc_total_pages(), 36002);
	assert_int_equal(alloc_free_pages(), 36000);
	assert_int_equal(drain(spans, 3, seen), 36000);
	assert_int_equal(alloc_free_pages(), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[10], 0);
	assert_int_equal(seen[11], 0);
	assert_int_equal(seen[12], 1);
	/* Nothing past a range's end, though its bitmap's last word has room for more. */
	assert_int_equal(seen[36020], 0);
	free(seen);
}

static void test_alloc_free_counts(void **state)
{
	static const struct span spans[] = { { 0, 100 } };
	pa_t a, b;

	init_with(spans, 1, 0);
	assert_int_equal(alloc_total_pages(), 100);
	assert_int_equal(alloc_free_pages(), 99);
	a = page_alloc(5, 1);
	b = page_alloc(1, 1);
	assert_int_equal(a.v, ram_page(1).v);
	assert_int_equal(b.v, ram_page(6).v);
	assert_int_equal(alloc_free_pages(), 93);
	assert_int_equal(page_free(a, 5), 0);
	assert_int_equal(alloc_free_pages(), 98);
	assert_int_equal(page_free(b, 1), 0);
	assert_int_equal(alloc_free_pages(), 99);
	assert_int_equal(alloc_total_pages(), 100);
}

static void test_alignment(void **state)
{
	/* The range starts 3 pages past a 2 MiB boundary: alignment is of the address. */
	static const struct span spans[] = { { 3, 2000 } };
	pa_t p;

	init_with(spans, 1, 0);
	p = page_alloc(1, 512);
	assert_int_equal(p.v, ram_page(512).v);
	p = page_alloc(3, 4);
	assert_int_equal(p.v, ram_page(4).v);
	p = page_alloc(16, 16);
	assert_int_equal(p.v, ram_page(16).v);
	/* The pages skipped for alignment are still there. */
	assert_int_equal(page_alloc(1, 1).v, ram_page(7).v);
	/* Bad requests. */
	assert_int_equal(page_alloc(1, 3).v, 0);
	assert_int_equal(page_alloc(1, 0).v, 0);
	assert_int_equal(page_alloc(0, 1).v, 0);
	assert_int_equal(alloc_free_pages(), 1999 - 1 - 3 - 16 - 1);
}

static void test_zeroed_and_aligned_to_size(void **state)
{
	static const struct span spans[] = { { 3, 2000 } };
	pa_t dirty;
	u8 *p, *q;

	init_with(spans, 1, 0);
	/* Pages a previous owner wrote, freed again. */
	dirty = page_alloc(8, 8);
	memset(pa_to_va(dirty), 0xa5, 8 * PAGE_SIZE);
	assert_int_equal(page_free(dirty, 8), 0);
	/* 5 pages' worth, aligned to their size rounded up (8 pages): the same pages, zeroed. */
	p = page_alloc_zeroed(4 * PAGE_SIZE + 1, 0);
	assert_ptr_equal(p, pa_to_va(dirty));
	for (u64 i = 0; i < 5 * PAGE_SIZE; i++)
		if (p[i])
			fail_msg("byte %lu not zeroed", (unsigned long)i);
	/* Alignment as asked: one page fits below them (first fit). */
	q = page_alloc_zeroed(1, 1);
	assert_non_null(q);
	assert_true(q < p);
	assert_null(page_alloc_zeroed(4000 * PAGE_SIZE, 1));
}

/* First fit: a freed hole is reused by what fits in it, a larger run goes past it. */
static void test_contiguous_runs(void **state)
{
	static const struct span spans[] = { { 0, 64 }, { 100, 64 } };
	pa_t a, b, c, d;

	init_with(spans, 2, 0);
	a = page_alloc(10, 1);
	b = page_alloc(10, 1);
	c = page_alloc(10, 1);
	assert_int_equal(b.v, a.v + 10 * PAGE_SIZE);
	assert_int_equal(page_free(b, 10), 0);
	d = page_alloc(11, 1);
	assert_int_equal(d.v, c.v + 10 * PAGE_SIZE);
	assert_int_equal(page_alloc(10, 1).v, b.v);
	/* A run never spans two ranges: 22 pages are left in the first and 14 in the
	 * second, so 23 cannot be had. */
	assert_int_equal(page_alloc(50, 1).v, ram_page(100).v);
	assert_int_equal(page_alloc(23, 1).v, 0);
	assert_int_equal(page_alloc(22, 1).v, ram_page(42).v);
	assert_int_equal(page_alloc(14, 1).v, ram_page(150).v);
}

static void test_exhaustion(void **state)
{
	static const struct span spans[] = { { 0, 64 }, { 64 + 7, 200 } };
	u64 before;

	init_with(spans, 2, 0);
	before = alloc_free_pages();
	assert_int_equal(page_alloc(201, 1).v, 0);
	assert_int_equal(alloc_free_pages(), before);
	assert_int_not_equal(page_alloc(200, 1).v, 0);
	assert_int_not_equal(page_alloc(63, 1).v, 0);
	assert_int_equal(alloc_free_pages(), 0);
	assert_int_equal(page_alloc(1, 1).v, 0);
}

static void assert_rejected(pa_t p, u64 pages)
{
	u64 free_before = alloc_free_pages();
	unsigned logs = fake_log_count;

	assert_int_equal(page_free(p, pages), -E_INVAL);
	assert_int_equal(alloc_free_pages(), free_before);
	assert_int_equal(fake_log_count, logs + 1);
	assert_int_equal(fake_log_last_level, LOG_ERROR);
	assert_non_null(strstr(fake_log_last, "were not allocated"));
}

static void test_bad_free(void **state)
{
	static const struct span spans[] = { { 0, 64 }, { 100, 64 } };
	pa_t a, b;

	init_with(spans, 2, 0);
	a = page_alloc(4, 1);
	b = page_alloc(1, 1);
	assert_int_equal(page_free(a, 4), 0);
	assert_rejected(a, 4);                   /* double free */
	assert_rejected(pa(b.v - PAGE_SIZE), 2); /* half of it is free already */
	assert_rejected(pa(b.v + 8), 1);         /* not page aligned */
	assert_rejected(b, 0);                   /* nothing */
	assert_rejected(ram_page(80), 1);        /* between the ranges */
	assert_rejected(ram_page(60), 8);        /* past a range's end */
	assert_rejected(ram_page(0), 1);         /* the bitmap page */
	/* b was not freed by the run that failed around it. */
	assert_int_equal(page_free(b, 1), 0);
	assert_rejected(b, 1);
}

/* A run reaching past a range's end is refused even where the bitmap's last word has
 * bits for pages that do not exist. */
static void test_free_past_end(void **state)
{
	static const struct span spans[] = { { 0, 10 } };

	init_with(spans, 1, 0);
	assert_int_equal(page_alloc(9, 1).v, ram_page(1).v);
	assert_rejected(ram_page(8), 4);
	assert_int_equal(page_free(ram_page(8), 2), 0);
}

/* Pinned pages are taken where they are, once, and only from the allocator's RAM. */
static void test_claim(void **state)
{
	static const struct span spans[] = { { 0, 64 }, { 100, 64 } };
	u64 before;

	init_with(spans, 2, 0);
	before = alloc_free_pages();
	assert_int_equal(page_claim(ram_page(110), 10), 0);
	assert_int_equal(alloc_free_pages(), before - 10);
	assert_int_equal(page_claim(ram_page(119), 2), -E_EXIST);
	assert_int_equal(page_claim(ram_page(0), 1), -E_EXIST); /* the bitmap page */
	assert_int_equal(page_claim(ram_page(60), 8), -E_RANGE); /* past a range's end */
	assert_int_equal(page_claim(ram_page(80), 1), -E_RANGE); /* between the ranges */
	assert_int_equal(page_claim(pa(ram_page(120).v + 8), 1), -E_RANGE);
	assert_int_equal(page_claim(ram_page(120), 0), -E_RANGE);
	assert_int_equal(alloc_free_pages(), before - 10);
	/* The allocator works around them, and they are freed like any other pages. */
	assert_int_equal(page_alloc(60, 1).v, ram_page(1).v);
	assert_int_equal(page_alloc(11, 1).v, ram_page(120).v);
	assert_int_equal(page_free(ram_page(110), 10), 0);
	assert_int_equal(alloc_free_pages(), before - 71);
}

static void test_too_many_regions(void **state)
{
	struct span spans[ALLOC_MAX_REGIONS + 2];
	u8 *seen = calloc(RAM_PAGES, 1);

	assert_non_null(seen);
	for (unsigned i = 0; i < ARRAY_SIZE(spans); i++)
		spans[i] = (struct span){ i * 40, 10 + i };
	init_with(spans, ARRAY_SIZE(spans), 0);
	/* Regions 16 and 17 (26 and 27 pages) are left out. */
	assert_int_equal(alloc_ignored_pages(), 26 + 27);
	assert_int_equal(alloc_total_pages(), 16 * 10 + 120);
	assert_int_equal(drain(spans, ALLOC_MAX_REGIONS, seen), 16 * 10 + 120 - 1);
	free(seen);
}

static void test_no_room_for_bitmaps(void **state)
{
	static const struct span spans[] = { { 0, 1 }, { 5, 1 } };

	init_with(spans, 2, -E_NOMEM);
	/* Nothing is handed out by an allocator that could not start. */
	assert_int_equal(page_alloc(1, 1).v, 0);
	assert_int_equal(alloc_total_pages(), 0);
	assert_int_equal(alloc_free_pages(), 0);
	assert_int_equal(page_free(ram_page(0), 1), -E_INVAL);
}

/* Table pages for a stage 2 with a concatenated root come from the allocator, charged to
 * the pool, and all go back. */
static void test_pgt_pool(void **state)
{
	/* The first free page is odd: an unaligned root would start there. */
	static const struct span spans[] = { { 2, 100 } };
	struct pgt_pool pool;
	struct pgtable pgt = { 0 };
	u64 before;

	init_with(spans, 1, 0);
	before = alloc_free_pages();
	alloc_pgt_pool_init(&pool, "vm", 5);
	assert_string_equal(pool.name, "vm");
	assert_int_equal(pgt_init(&pgt, PGT_FMT_S2, 40, &pool, alloc_pgt_root), 0);
	/* Two root pages, aligned to their size (Arm ARM D8.2.7). */
	assert_int_equal(pgt.root_pages, 2);
	assert_true(IS_ALIGNED(pgt.root.v, 2 * PAGE_SIZE));
	assert_int_equal(alloc_free_pages(), before - 2);
	assert_int_equal(pgt_map(&pgt, SZ_1G, pa(SZ_1G), SZ_4K, PGT_READ), 0);
	assert_int_equal(pool.used, 4);
	assert_int_equal(alloc_free_pages(), before - 4);
	/* Over the pool's limit of 5 pages. */
	assert_int_equal(pgt_map(&pgt, 5 * SZ_1G, pa(SZ_1G), SZ_4K, PGT_READ), -E_NOMEM);
	assert_int_equal(alloc_free_pages(), before - 4);
	assert_int_equal(pgt_unmap(&pgt, SZ_1G, SZ_4K), 0);
	assert_int_equal(alloc_free_pages(), before - 2);
	pgt_destroy(&pgt);
	assert_int_equal(pool.used, 0);
	assert_int_equal(alloc_free_pages(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmaps_placed_and_kept),
		cmocka_unit_test(test_alloc_free_counts),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_zeroed_and_aligned_to_size),
		cmocka_unit_test(test_contiguous_runs),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_bad_free),
		cmocka_unit_test(test_free_past_end),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_too_many_regions),
		cmocka_unit_test(test_no_room_for_bitmaps),
		cmocka_unit_test(test_pgt_pool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
