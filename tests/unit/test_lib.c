/*
 * Host tests of core/lib: the formatter against the host's vsnprintf, the string functions
 * (built as lib_*) against the host's libc, strtoul, address-range sets, error names; and
 * the ESR class decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/exception.h"
#include "arch/fake/fake.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/ranges.h"
#include "core/lib/string.h"
#include "core/log/log.h"

/* ---- fmt ---- */

/* Format with both implementations into buffers of exactly size bytes (so ASan sees any
 * write past the end) and compare the text and the returned length. */
static void PRINTF_LIKE(2, 3) check_fmt(size_t size, const char *fmt, ...)
{
	char *want = malloc(size + 1), *got = malloc(size + 1);
	va_list ap, ap2;
	int n_want, n_got;

	assert_non_null(want);
	assert_non_null(got);
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n_want = vsnprintf(want, size, fmt, ap);
	n_got = fmt_vsnprintf(got, size, fmt, ap2);
	va_end(ap2);
	va_end(ap);
	assert_int_equal(n_got, n_want);
	if (size)
		assert_string_equal(got, want);
	free(want);
	free(got);
}

#define CHECK(...) check_fmt(128, __VA_ARGS__)

static void test_fmt_integers(void **state)
{
	CHECK("%d %d %d", 0, 42, -42);
	CHECK("%d %d", INT_MAX, INT_MIN);
	CHECK("%i", -7);
	CHECK("%u %u", 0u, 4000000000u);
	CHECK("%x %X %x", 0xdeadbeefu, 0xdeadbeefu, 0u);
	CHECK("%ld %ld %lu %lx", LONG_MIN, LONG_MAX, ULONG_MAX, ULONG_MAX);
	CHECK("%lld %lld %llu %llX", (long long)INT64_MIN, (long long)INT64_MAX,
	      (unsigned long long)UINT64_MAX, 0xabcdef0123456789ULL);
	CHECK("%zu %zx", SIZE_MAX, (size_t)0x1234);
	/* hh and h narrow the promoted argument. */
	CHECK("%hhd %hhu %hhx", 200, 300, 0x1ff);
	CHECK("%hd %hu %hx", 70000, 70000, 0x12345);
}

static void test_fmt_widths_and_flags(void **state)
{
	CHECK("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
	CHECK("[%*d] [%-*d] [%0*x]", 6, 42, 6, 42, 8, 0xbeefu);
	CHECK("[%3d] [%1d]", 12345, -9); /* width smaller than the number */
	CHECK("[%40d] [%-40u]", -1, 7u);
	CHECK("[%020lld]", (long long)INT64_MIN);
	CHECK("[%10s] [%-10s] [%2s]", "abc", "abc", "abcdef");
	CHECK("[%.3s] [%.*s] [%.0s] [%.10s]", "hello", 2, "hello", "hello", "hi");
	CHECK("[%8.3s] [%-8.3s]", "hello", "hello");
	CHECK("[%c] [%3c] [%-3c]", 'A', 'b', 'c');
	CHECK("%% 100%%");
	CHECK("%p [%20p] [%-20p]", (void *)0x1234, (void *)0xdeadbeef, (void *)0x1);
}

static void test_fmt_truncation(void **state)
{
	const char *text = "hello, world %d";

	/* Every buffer size from none to more than enough: same text, same length. */
	for (size_t size = 0; size < 24; size++)
		check_fmt(size, text, 12345);
	/* No buffer at all is fine when its size is 0. */
	assert_int_equal(fmt_snprintf(NULL, 0, "%s-%d", "abc", 42), 6);
}

static void test_fmt_own_choices(void **state)
{
	/* What C leaves open or glibc does differently: pinned here. */
	const char *volatile null_str = NULL;
	char buf[32];

	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", null_str), 6);
	assert_string_equal(buf, "(null)");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "[%.3s]", null_str), 5);
	assert_string_equal(buf, "[(nu]");
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0);
	assert_string_equal(buf, "0x0");
	/* An unknown conversion is printed as it stands; so is a lone '%' at the end. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "a%qb%", 1), 5);
	assert_string_equal(buf, "a%qb%");
	/* '-' wins over '0'. */
	fmt_snprintf(buf, sizeof(buf), "[%-05d]", 42);
#pragma GCC diagnostic pop
	assert_string_equal(buf, "[42   ]");
}

/* ---- string functions ---- */

static int sign(int x) { return (x > 0) - (x < 0); }

/* Buffers are 8-byte aligned and offsets run over a whole word, so that both the
 * word-at-a-time and the byte paths run, alone and together. */
static void test_memcpy_memset(void **state)
{
	_Alignas(8) u8 a[96], b[96], c[96];

	for (unsigned i = 0; i < sizeof(a); i++)
		a[i] = (u8)(i * 37 + 11);
	for (unsigned src = 0; src < 9; src++) {
		for (unsigned dst = 0; dst < 9; dst++) {
			for (unsigned n = 0; n < 40; n++) {
				memset(b, 0, sizeof(b));
				memset(c, 0, sizeof(c));
				assert_ptr_equal(lib_memcpy(b + dst, a + src, n), b + dst);
				memcpy(c + dst, a + src, n);
				assert_memory_equal(b, c, sizeof(b));
			}
		}
	}
	/* memset takes the value as unsigned char. */
	for (unsigned off = 0; off < 9; off++) {
		for (unsigned n = 0; n < 40; n++) {
			memset(b, 0x77, sizeof(b));
			memset(c, 0x77, sizeof(c));
			assert_ptr_equal(lib_memset(b + off, 0x1ab, n), b + off);
			memset(c + off, 0x1ab, n);
			assert_memory_equal(b, c, sizeof(b));
		}
	}
}

/* Overlapping moves both ways, by less and more than a word, and onto itself. */
static void test_memmove(void **state)
{
	_Alignas(8) u8 a[96], b[96], c[96];

	for (unsigned i = 0; i < sizeof(a); i++)
		a[i] = (u8)(i * 53 + 5);
	for (unsigned src = 0; src < 24; src++) {
		for (unsigned dst = 0; dst < 24; dst++) {
			for (unsigned n = 0; n < 48; n += 5) {
				memcpy(b, a, sizeof(a));
				memcpy(c, a, sizeof(a));
				assert_ptr_equal(lib_memmove(b + dst, b + src, n), b + dst);
				memmove(c + dst, c + src, n);
				assert_memory_equal(b, c, sizeof(b));
			}
		}
	}
}

static void test_memcmp_memchr(void **state)
{
	static const struct {
		const char *a, *b;
		size_t n;
	} cmp[] = {
		{ "abc", "abc", 3 }, { "abc", "abd", 3 }, { "abd", "abc", 3 }, { "abc", "abd", 2 },
		{ "\x80", "\x01", 1 }, /* bytes compare unsigned */
		{ "x", "y", 0 },
	};
	const char *s = "hello\0world";

	for (unsigned i = 0; i < ARRAY_SIZE(cmp); i++)
		assert_int_equal(sign(lib_memcmp(cmp[i].a, cmp[i].b, cmp[i].n)),
				 sign(memcmp(cmp[i].a, cmp[i].b, cmp[i].n)));
	assert_ptr_equal(lib_memchr(s, 'l', 11), s + 2);
	assert_ptr_equal(lib_memchr(s, 'w', 11), s + 6); /* past the NUL: memory, not string */
	assert_ptr_equal(lib_memchr(s, 'w', 6), NULL);
	assert_ptr_equal(lib_memchr(s, 0x100 + 'o', 11), s + 4);
	assert_ptr_equal(lib_memchr(s, 'h', 0), NULL);
}

static void test_str_functions(void **state)
{
	static const char *const strs[] = { "", "a", "abc", "abd", "ab", "\xff", "b" };
	const char *s = "abcabc";

	for (unsigned i = 0; i < ARRAY_SIZE(strs); i++) {
		assert_int_equal(lib_strlen(strs[i]), strlen(strs[i]));
		for (size_t max = 0; max < 5; max++)
			assert_int_equal(lib_strnlen(strs[i], max), strnlen(strs[i], max));
		for (unsigned j = 0; j < ARRAY_SIZE(strs); j++) {
			assert_int_equal(sign(lib_strcmp(strs[i], strs[j])), sign(strcmp(strs[i], strs[j])));
			for (size_t n = 0; n < 5; n++)
				assert_int_equal(sign(lib_strncmp(strs[i], strs[j], n)),
						 sign(strncmp(strs[i], strs[j], n)));
		}
	}
	/* Equal up to their NULs: what follows does not count. */
	assert_int_equal(lib_strncmp("ab\0x", "ab\0y", 4), 0);

	assert_ptr_equal(lib_strchr(s, 'b'), s + 1);
	assert_ptr_equal(lib_strchr(s, 'z'), NULL);
	assert_ptr_equal(lib_strchr(s, '\0'), s + 6);
	assert_ptr_equal(lib_strchr(s, 0x100 + 'c'), strchr(s, 0x100 + 'c'));
	assert_ptr_equal(lib_strrchr(s, 'b'), s + 4);
	assert_ptr_equal(lib_strrchr(s, 'z'), NULL);
	assert_ptr_equal(lib_strrchr(s, '\0'), s + 6);
	assert_ptr_equal(lib_strrchr("", 'a'), NULL);
}

/* ---- strtoul ---- */

static void test_strtoul_vs_libc(void **state)
{
	static const struct {
		const char *s;
		int base;
	} cases[] = {
		{ "0", 0 },        { "42", 10 },     { "  42abc", 10 }, { "\t\n7", 0 },
		{ "+7", 10 },      { "-1", 10 },     { "-0x10", 0 },    { "0x1F", 0 },
		{ "0X1f", 16 },    { "0x1F", 16 },   { "1F", 16 },      { "ff", 16 },
		{ "fg", 16 },      { "0x", 16 },     { "0x", 0 },       { "0xg", 0 },
		{ "017", 0 },      { "017", 8 },     { "017", 10 },     { "08", 0 },
		{ "777", 8 },      { "8", 8 },       { "", 10 },        { "abc", 10 },
		{ "-", 10 },       { "   ", 0 },     { "18446744073709551615", 10 },
		{ "18446744073709551616", 10 },      { "99999999999999999999999x", 0 },
		{ "0x10000000000000000", 0 },        { "ffffffffffffffff", 16 },
		{ "1777777777777777777777", 8 },     { "2000000000000000000000", 8 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		char *end_want, *end_got;
		unsigned long want = strtoul(cases[i].s, &end_want, cases[i].base);
		unsigned long got = lib_strtoul(cases[i].s, &end_got, cases[i].base);

		assert_int_equal(got, want);
		assert_ptr_equal(end_got, end_want);
	}
}

static void test_strtoul_values(void **state)
{
	const char *s = "0x7fzz";
	char *end;

	assert_int_equal(lib_strtoul(s, &end, 0), 0x7f);
	assert_ptr_equal(end, s + 4);
	assert_int_equal(lib_strtoul("0755", NULL, 0), 0755);
	assert_int_equal(lib_strtoul("123456789", NULL, 10), 123456789);
	/* Overflow saturates, and the end is still past every digit. */
	s = "123456789012345678901234567890;";
	assert_int_equal(lib_strtoul(s, &end, 10), ULONG_MAX);
	assert_ptr_equal(end, s + 30);
	/* No digits: nothing consumed. */
	s = "  -x";
	assert_int_equal(lib_strtoul(s, &end, 0), 0);
	assert_ptr_equal(end, s);
}

/* ---- ranges ---- */

static struct range_set set_of(const struct mem_range *r, unsigned n)
{
	struct range_set s = { .n = 0 };

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ranges_add(&s, r[i].base, r[i].size), 0);
	return s;
}

static bool set_contains(const struct range_set *s, u64 a)
{
	for (unsigned i = 0; i < s->n; i++)
		if (a >= s->r[i].base.v && a - s->r[i].base.v < s->r[i].size)
			return true;
	return false;
}

static void test_ranges_add(void **state)
{
	struct range_set s = { .n = 0 };

	assert_int_equal(ranges_add(&s, pa(0x1000), 0), -E_INVAL);
	for (unsigned i = 0; i < ARRAY_SIZE(s.r); i++)
		assert_int_equal(ranges_add(&s, pa(0x10000 * (u64)i), 0x1000), 0);
	assert_int_equal(ranges_add(&s, pa(0x10000000), 0x1000), -E_NOMEM);
	assert_int_equal(s.n, ARRAY_SIZE(s.r));
	assert_int_equal(ranges_total(&s), 0x1000 * ARRAY_SIZE(s.r));
}

static void test_ranges_remove(void **state)
{
	static const struct mem_range init[] = { { { 0x1000 }, 0x9000 }, { { 0x20000 }, 0x10000 } };
	struct range_set s = set_of(init, 2);

	/* Touching an edge removes nothing. */
	assert_int_equal(ranges_remove(&s, pa(0xa000), 0x1000), 0);
	assert_int_equal(ranges_total(&s), 0x19000);
	/* A hole in the middle splits. */
	assert_int_equal(ranges_remove(&s, pa(0x3000), 0x2000), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(ranges_total(&s), 0x17000);
	assert_true(set_contains(&s, 0x2fff));
	assert_false(set_contains(&s, 0x3000));
	assert_false(set_contains(&s, 0x4fff));
	assert_true(set_contains(&s, 0x5000));
	/* Across the end of one range and the start of the next. */
	assert_int_equal(ranges_remove(&s, pa(0x8000), 0x19000), 0);
	assert_false(set_contains(&s, 0x8000));
	assert_false(set_contains(&s, 0x20000));
	assert_true(set_contains(&s, 0x21000));
	assert_true(set_contains(&s, 0x7fff));
	/* All of everything. */
	assert_int_equal(ranges_remove(&s, pa(0), 0x100000), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(ranges_total(&s), 0);
}

/* A full set cannot take a split; ranges earlier in the set are already cut. */
static void test_ranges_remove_full(void **state)
{
	struct range_set s = { .n = 0 };

	assert_int_equal(ranges_add(&s, pa(0x15000), 0x10000), 0); /* [0x15000, 0x25000) */
	assert_int_equal(ranges_add(&s, pa(0x10000), 0x30000), 0); /* [0x10000, 0x40000) */
	while (s.n < ARRAY_SIZE(s.r))
		assert_int_equal(ranges_add(&s, pa(0x100000 * (u64)s.n), 0x1000), 0);
	assert_int_equal(ranges_remove(&s, pa(0x20000), 0x10000), -E_NOMEM);
	assert_int_equal(s.r[0].base.v, 0x15000);
	assert_int_equal(s.r[0].size, 0xb000);
	assert_int_equal(s.r[1].base.v, 0x10000);
	assert_int_equal(s.r[1].size, 0x30000);
}

/* Random removals against a byte map of the same set. */
static void test_ranges_random(void **state)
{
	enum { SPACE = 2048 };
	static bool model[SPACE];
	struct range_set s = { .n = 0 };
	u64 seed = 12345;

	memset(model, 0, sizeof(model));
	for (unsigned i = 0; i < 8; i++) {
		u64 base = i * 256 + i * 7, size = 100 + i * 13;

		assert_int_equal(ranges_add(&s, pa(base), size), 0);
		memset(model + base, 1, size);
	}
	for (unsigned round = 0; round < 40; round++) {
		u64 base, size, total = 0;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		base = (seed >> 33) % SPACE;
		size = 1 + (seed >> 13) % 200;
		size = MIN(size, SPACE - base);
		assert_int_equal(ranges_remove(&s, pa(base), size), 0);
		memset(model + base, 0, size);
		for (unsigned a = 0; a < SPACE; a++) {
			assert_int_equal(set_contains(&s, a), model[a]);
			total += model[a];
		}
		assert_int_equal(ranges_total(&s), total);
		for (unsigned i = 0; i < s.n; i++)
			assert_true(s.r[i].size > 0);
	}
}

static void test_ranges_align_inward(void **state)
{
	static const struct mem_range init[] = {
		{ { 0x1001 }, 0x2ffe }, /* [0x1001, 0x3fff) -> [0x2000, 0x3000) */
		{ { 0x5001 }, 0xffe },  /* no whole page inside: dropped */
		{ { 0x8000 }, 0x2000 }, /* already aligned */
		{ { 0x10800 }, 0x800 }, /* ends on a boundary, starts mid-page: dropped */
	};
	struct range_set s = set_of(init, ARRAY_SIZE(init));

	ranges_align_inward(&s, 0x1000);
	assert_int_equal(s.n, 2);
	assert_int_equal(ranges_total(&s), 0x3000);
	assert_true(set_contains(&s, 0x2000));
	assert_false(set_contains(&s, 0x1fff));
	assert_false(set_contains(&s, 0x3000));
	assert_true(set_contains(&s, 0x9fff));
	for (unsigned i = 0; i < s.n; i++) {
		assert_true(IS_ALIGNED(s.r[i].base.v, 0x1000));
		assert_true(IS_ALIGNED(s.r[i].size, 0x1000));
	}
}

/* ---- errno, ESR ---- */

static void test_err_name(void **state)
{
	assert_string_equal(err_name(0), "ok");
	assert_string_equal(err_name(-E_NOMEM), "out of memory");
	assert_string_equal(err_name(E_RANGE), "out of range");
	assert_string_equal(err_name(-E_IO), "I/O error");
	assert_string_equal(err_name(-(E_IO + 1)), "unknown error");
}

static void test_esr_class_name(void **state)
{
	/* EC is ESR_ELx[31:26]; IL (bit 25), the ISS and ISS2 (bits 55:32) do not matter. */
	assert_string_equal(esr_class_name(0x00000000), "unknown reason");
	assert_string_equal(esr_class_name(0x56000000), "SVC (AArch64)");      /* EC 0x15 */
	assert_string_equal(esr_class_name(0x5a000000ULL | BIT(40)), "HVC (AArch64)"); /* 0x16 */
	assert_string_equal(esr_class_name(0x5e000000), "SMC (AArch64)");      /* EC 0x17 */
	assert_string_equal(esr_class_name(0x92000046), "data abort, lower EL"); /* EC 0x24 */
	assert_string_equal(esr_class_name(0x96000010), "data abort, same EL");  /* EC 0x25 */
	assert_string_equal(esr_class_name(0x82000006), "instruction abort, lower EL");
	assert_string_equal(esr_class_name(0xbe000000), "SError");              /* EC 0x2f */
	assert_string_equal(esr_class_name(0xf2000000), "BRK instruction");     /* EC 0x3c */
	assert_string_equal(esr_class_name(0xfc000000), "reserved/unallocated class"); /* 0x3f */
}

/* ---- the host log (arch/fake/fake_log.c) that the other tests read ---- */

static char console_text[64];
static size_t console_len;

static void capture_putc(const struct console *c, char ch)
{
	if (console_len + 1 < sizeof(console_text))
		console_text[console_len++] = ch;
}

static void test_fake_log(void **state)
{
	static const struct console con = { .putc = capture_putc };
	unsigned count = fake_log_count;

	log_set_console(&con);
	log_warn("%s=%d\n", "x", -5);
	log_set_console(NULL);
	assert_string_equal(console_text, "x=-5\n");
	assert_string_equal(fake_log_last, "x=-5\n");
	assert_int_equal(fake_log_last_level, LOG_WARN);
	assert_int_equal(fake_log_count, count + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_integers),
		cmocka_unit_test(test_fmt_widths_and_flags),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_fmt_own_choices),
		cmocka_unit_test(test_memcpy_memset),
		cmocka_unit_test(test_memmove),
		cmocka_unit_test(test_memcmp_memchr),
		cmocka_unit_test(test_str_functions),
		cmocka_unit_test(test_strtoul_vs_libc),
		cmocka_unit_test(test_strtoul_values),
		cmocka_unit_test(test_ranges_add),
		cmocka_unit_test(test_ranges_remove),
		cmocka_unit_test(test_ranges_remove_full),
		cmocka_unit_test(test_ranges_random),
		cmocka_unit_test(test_ranges_align_inward),
		cmocka_unit_test(test_err_name),
		cmocka_unit_test(test_esr_class_name),
		cmocka_unit_test(test_fake_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
