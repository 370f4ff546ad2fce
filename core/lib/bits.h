/* Bit and field helpers, usable from C and assembly (style.md 4). */
#ifndef CORE_LIB_BITS_H
#define CORE_LIB_BITS_H

#ifdef __ASSEMBLER__
#define U(x) (x)
#define ULL(x) (x)
#else
#define U(x) (x##U)
#define ULL(x) (x##ULL)
#endif

#define BIT(n) (ULL(1) << (n))
/* Bits h..l inclusive, h >= l. */
#define GENMASK(h, l) (((~ULL(0)) << (l)) & (~ULL(0) >> (63 - (h))))

#ifndef __ASSEMBLER__
/* Shift a value into the field described by a contiguous mask, and back. */
#define FIELD_SHIFT(mask) (__builtin_ctzll(mask))
#define FIELD_PREP(mask, val) ((u64)((((u64)(val)) << FIELD_SHIFT(mask)) & (mask)))
#define FIELD_GET(mask, reg) ((u64)((((u64)(reg)) & (mask)) >> FIELD_SHIFT(mask)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
/* The structure of type `type` whose member `member` is at ptr. */
#define CONTAINER_OF(ptr, type, member) \
	((type *)((u8 *)(ptr) - __builtin_offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#endif

#define SZ_4K U(0x1000)
#define SZ_64K U(0x10000)
#define SZ_2M U(0x200000)
#define SZ_1G ULL(0x40000000)
#define PAGE_SHIFT 12
#define PAGE_SIZE SZ_4K

#endif
