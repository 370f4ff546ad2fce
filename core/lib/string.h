/*
 * The freestanding C library subset Portcullis and libfdt need. On the target these are the
 * real symbols; a host unit-test build (LIB_HOST_PREFIX) renames them lib_* so that they are
 * tested beside, not instead of, the host's libc.
 */
#ifndef CORE_LIB_STRING_H
#define CORE_LIB_STRING_H

#include "types.h"

#ifdef LIB_HOST_PREFIX
#define LIB_NAME(n) lib_##n
/* Portable code calling the plain names gets the host's libc. */
#include <stdlib.h>
#include <string.h>
#else
#define LIB_NAME(n) n
#endif

void *LIB_NAME(memcpy)(void *dst, const void *src, size_t n);
void *LIB_NAME(memmove)(void *dst, const void *src, size_t n);
void *LIB_NAME(memset)(void *dst, int c, size_t n);
int LIB_NAME(memcmp)(const void *a, const void *b, size_t n);
void *LIB_NAME(memchr)(const void *s, int c, size_t n);
size_t LIB_NAME(strlen)(const char *s);
size_t LIB_NAME(strnlen)(const char *s, size_t max);
int LIB_NAME(strcmp)(const char *a, const char *b);
int LIB_NAME(strncmp)(const char *a, const char *b, size_t n);
char *LIB_NAME(strchr)(const char *s, int c);
char *LIB_NAME(strrchr)(const char *s, int c);
unsigned long LIB_NAME(strtoul)(const char *s, char **end, int base);

#endif
