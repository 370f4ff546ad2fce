/*
 * What the host unit tests share: reading the files that tests/unit's makefiles build (DTBs,
 * VM configs, blobs), discovering a platform from a DTB and checking what it found, and
 * running a table of error cases as tests of their own.
 *
 * Header-only: the Makefile builds each tests/unit/test_*.c on its own with UNIT_SRCS, so
 * everything here is static inline (unused helpers cost nothing and raise no warning).
 */
#ifndef TESTS_UNIT_TEST_UTIL_H
#define TESTS_UNIT_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/bits.h"
#include "core/platform/platform.h"

/* ---- loading files ---- */

/* The whole file at path, in a buffer of exactly its size (so AddressSanitizer catches any
 * read past its end); the caller frees it. */
static inline void *load_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long len;

	if (!f)
		fail_msg("cannot open %s (run through `make unit`)", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len ? (size_t)len : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*size = (size_t)len;
	return buf;
}

/* A file that tests/unit's makefiles built, by its path (a printf format) under
 * UNIT_DTB_DIR, which `make unit` sets (build/unit/dtb when a test runs by hand from the top
 * of the tree). */
static inline PRINTF_LIKE(2, 3) void *load_built(size_t *size, const char *fmt, ...)
{
	const char *dir = getenv("UNIT_DTB_DIR");
	char path[512];
	va_list ap;
	int n = snprintf(path, sizeof(path), "%s/", dir ? dir : "build/unit/dtb");

	assert_in_range(n, 1, sizeof(path) - 1);
	va_start(ap, fmt);
	vsnprintf(path + n, sizeof(path) - (size_t)n, fmt, ap);
	va_end(ap);
	return load_file(path, size);
}

/* A DTB of tests/unit/dtbs.mk or boards.mk: "qemu-smmu-smp8-4g", "boards/fvp-base-revc"... */
static inline void *load_dtb(const char *name, size_t *size)
{
	return load_built(size, "%s.dtb", name);
}

/* ---- discovering a platform ---- */

/* platform_discover() on the DTB name; err has room for PLAT_MSG_LEN bytes. */
static inline int discover_file(const char *name, struct platform *p, char *err)
{
	size_t size;
	void *fdt = load_dtb(name, &size);
	int ret = platform_discover(fdt, size, p, err, PLAT_MSG_LEN);

	free(fdt);
	return ret;
}

/* Discovery on the DTB name succeeds; if not, the test fails with its message. */
static inline void discover_ok(const char *name, struct platform *p)
{
	char err[PLAT_MSG_LEN];

	if (discover_file(name, p, err) != 0)
		fail_msg("%s: %s", name, err);
}

/* The warnings, exactly and in order; the list ends with NULL. */
static inline void expect_warnings(const struct platform *p, const char *const *w)
{
	unsigned n = 0;

	for (; w[n]; n++) {
		if (n >= p->n_warn)
			fail_msg("missing warning \"%s\"", w[n]);
		assert_string_equal(p->warn[n], w[n]);
	}
	if (p->n_warn != n)
		fail_msg("unexpected warning \"%s\"", p->warn[n]);
}
#define WARNINGS(p, ...) expect_warnings(p, (const char *const[]){ __VA_ARGS__, NULL })
#define NO_WARNINGS(p) expect_warnings(p, (const char *const[]){ NULL })

static inline void expect_range(struct mem_range r, uint64_t base, uint64_t size)
{
	assert_int_equal(r.base.v, base);
	assert_int_equal(r.size, size);
}

/* ---- fuzzing ---- */

/*
 * The bit-flip sweeps: buf becomes orig (size bytes) with n random bits flipped, drawn from
 * the xorshift64 state *x, so that a sweep flips the same bits on every host and every run.
 */
static inline void flip_bits(uint8_t *buf, const uint8_t *orig, size_t size, int n, uint64_t *x)
{
	memcpy(buf, orig, size);
	for (int k = 0; k < n; k++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17; /* xorshift64 */
		buf[*x % size] ^= (uint8_t)(1u << ((*x >> 32) % 8));
	}
}

/* ---- running a suite ---- */

/* The group of fixed tests, then the group of cases; main()'s exit status. */
static inline int run_fixed_and_cases(const char *fixed_name, const struct CMUnitTest *fixed,
				      size_t n_fixed, const char *cases_name,
				      const struct CMUnitTest *cases, size_t n_cases)
{
	int failed = _cmocka_run_group_tests(fixed_name, fixed, n_fixed, NULL, NULL);

	failed += _cmocka_run_group_tests(cases_name, cases, n_cases, NULL, NULL);
	return failed ? 1 : 0;
}

/*
 * main() of a suite with a table of error cases: the tests fixed[] as the group `group`,
 * then one test per entry of cases[] (named by its .name, run by run_case with the entry as
 * its state) as the group `group`-errors. Evaluates to main()'s exit status.
 */
#define RUN_FIXED_AND_CASES(group, fixed, cases, run_case)                                   \
	({                                                                                     \
		struct CMUnitTest case_tests_[ARRAY_SIZE(cases)];                              \
                                                                                               \
		for (size_t i_ = 0; i_ < ARRAY_SIZE(cases); i_++)                              \
			case_tests_[i_] = (struct CMUnitTest){                                  \
				.name = (cases)[i_].name,                                      \
				.test_func = (run_case),                                       \
				.initial_state = (void *)&(cases)[i_],                         \
			};                                                                     \
		run_fixed_and_cases(group, fixed, ARRAY_SIZE(fixed), group "-errors",          \
				    case_tests_, ARRAY_SIZE(case_tests_));                     \
	})

#endif
