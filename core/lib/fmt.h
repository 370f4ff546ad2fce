/* printf-style formatting into a buffer: %d %i %u %x %X %p %s %c %%, with flags '-' '0',
 * a width (digits or *), a precision for %s (.N or .*), and length modifiers hh h l ll z. */
#ifndef CORE_LIB_FMT_H
#define CORE_LIB_FMT_H

#include <stdarg.h>
#include "bits.h"
#include "types.h"

/* Like C's vsnprintf: writes at most size-1 characters plus a NUL (if size > 0) and returns
 * the length the full output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
