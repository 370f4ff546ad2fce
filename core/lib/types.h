/* Basic fixed-width types and the address kinds Portcullis handles (style.md 5). */
#ifndef CORE_LIB_TYPES_H
#define CORE_LIB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int32_t s32;

/*
 * Address kinds as one-field structs, so that mixing a physical address with a
 * guest-physical one is a compile error rather than a silent bug.
 */
typedef struct { u64 v; } pa_t;   /* physical address */
typedef struct { u64 v; } ipa_t;  /* intermediate (guest-physical) address */
typedef struct { u64 v; } iova_t; /* device-visible (I/O virtual) address */

static inline pa_t pa(u64 v) { return (pa_t){ v }; }
static inline ipa_t ipa(u64 v) { return (ipa_t){ v }; }
static inline iova_t iova(u64 v) { return (iova_t){ v }; }
static inline pa_t pa_add(pa_t a, u64 off) { return pa(a.v + off); }

#endif
