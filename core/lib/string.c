/* Freestanding string and memory functions (see string.h). The hypervisor is built with
 * -mstrict-align and these also run with the MMU off: no unaligned access. */
#include "string.h"

/* Word-at-a-time when both sides are 8-byte aligned: the hypervisor copies and clears
 * whole guest images and RAM. Aligned accesses keep -mstrict-align (MMU-off) safety. */
static bool both_aligned(const void *a, const void *b, uintptr_t align)
{
	return (((uintptr_t)a | (uintptr_t)b) & (align - 1)) == 0;
}

void *LIB_NAME(memcpy)(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (both_aligned(d, s, 8)) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(u64 *)d = *(const u64 *)s;
	}
	/* What is left, and copies of a few bytes (a virtio request's tail, its status word),
	 * 4 at a time where both sides allow it. */
	if (both_aligned(d, s, 4)) {
		for (; n >= 4; n -= 4, d += 4, s += 4)
			*(u32 *)d = *(const u32 *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *LIB_NAME(memmove)(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return LIB_NAME(memcpy)(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *LIB_NAME(memset)(void *dst, int c, size_t n)
{
	u8 *d = dst;
	u64 word = 0x0101010101010101ULL * (u8)c;

	for (; n && ((uintptr_t)d & 7); n--)
		*d++ = (u8)c;
	for (; n >= 8; n -= 8, d += 8)
		*(u64 *)d = word;
	if (n >= 4) {
		*(u32 *)d = (u32)word; /* 8-byte aligned here */
		d += 4;
		n -= 4;
	}
	while (n--)
		*d++ = (u8)c;
	return dst;
}

int LIB_NAME(memcmp)(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *LIB_NAME(memchr)(const void *s, int c, size_t n)
{
	const u8 *p = s;

	for (; n; n--, p++)
		if (*p == (u8)c)
			return (void *)p;
	return NULL;
}

size_t LIB_NAME(strlen)(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t LIB_NAME(strnlen)(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int LIB_NAME(strcmp)(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int LIB_NAME(strncmp)(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *LIB_NAME(strchr)(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *LIB_NAME(strrchr)(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* C11 7.22.1.4 semantics for the cases libfdt and our config parser use: optional
 * whitespace and sign, base 0 (auto 0x / 0 prefix), 8, 10 or 16; saturates on overflow. */
unsigned long LIB_NAME(strtoul)(const char *s, char **end, int base)
{
	const char *p = s;
	unsigned long v = 0;
	bool neg = false, any = false, overflow = false;
	int d;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '+' || *p == '-')
		neg = (*p++ == '-');
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = (p[0] == '0') ? 8 : 10;
	}
	for (; (d = digit_value(*p)) < base; p++) {
		any = true;
		if (v > (~0UL - (unsigned long)d) / (unsigned long)base)
			overflow = true;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	if (overflow)
		return ~0UL;
	return neg ? -v : v;
}
