/*
 * Console logging with levels filtered at compile time (LOG_LEVEL, style.md 9), and panic()
 * for broken internal invariants only: nothing a guest or a config controls may reach it.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include "core/lib/bits.h"
#include "core/lib/types.h"

#define LOG_ERROR 0
#define LOG_WARN 1
#define LOG_INFO 2
#define LOG_DEBUG 3

#ifndef LOG_LEVEL
#define LOG_LEVEL LOG_INFO
#endif

/* Where log output goes: a UART driver's character writer. */
struct console {
	void (*putc)(const struct console *c, char ch);
	u64 base; /* driver-private, e.g. the UART's MMIO address */
	u32 reg_shift;
};

void log_set_console(const struct console *c);
/* Which CPU is logging, and how it stops for good after a panic: the arch layer's, which
 * sits above this one (docs/layers.txt), so registered at boot. Until then a panic names
 * no CPU and spins. */
void log_set_cpu(unsigned (*index)(void), void (*halt)(void) NORETURN);
/* Serialise lines between CPUs; before this (MMU off, one CPU) no lock is taken. */
void log_enable_locking(void);

void log_printf(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/*
 * Raw output, for the console multiplexer (core/dev/console.c), under the lock that serialises
 * log lines. Each writer is a number (log_printf writes as LOG_WRITER_LOG). A line a writer
 * leaves unfinished stays open for it; any other writer first ends it with a newline, and
 * when the writer comes back to a line no longer open, head (its prefix) is written before
 * text. So one line never mixes two writers.
 */
#define LOG_WRITER_LOG 0
void log_write(unsigned writer, const char *head, const char *text);
/* End writer's unfinished line, if it is still the open one. */
void log_end_line(unsigned writer);

/*
 * For what a guest or a device can repeat at will: the n-th occurrence (from 0) is logged
 * when it is among the first LOG_SAMPLE_FULL or one in LOG_SAMPLE_EVERY after them, so a
 * flood costs the console a few lines, and its count still shows in those it logs.
 */
#define LOG_SAMPLE_FULL 32
#define LOG_SAMPLE_EVERY 1024
static inline bool log_sampled(unsigned long n)
{
	return n < LOG_SAMPLE_FULL || n % LOG_SAMPLE_EVERY == 0;
}

#define log_at(level, ...)                           \
	do {                                         \
		if ((level) <= LOG_LEVEL)            \
			log_printf(level, __VA_ARGS__); \
	} while (0)
#define log_err(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
