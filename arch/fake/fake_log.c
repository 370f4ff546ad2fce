/*
 * Host implementation of core/log/log.h for unit tests (core/log/log.c drives a UART and halts the
 * CPU). Each line is kept in fake_log_last so that tests can check what was reported, and
 * also written to stderr (or the console, once one is set) for whoever reads the test log.
 */
#include <stdio.h>
#include <stdlib.h>

#include "arch/fake/fake.h"
#include "core/lib/fmt.h"
#include "core/log/log.h"

char fake_log_last[FAKE_LOG_LINE];
int fake_log_last_level;
unsigned fake_log_count;

static const struct console *console;

void log_set_console(const struct console *c) { console = c; }

/* Unit tests run on one thread: there is nothing to serialise. */
void log_enable_locking(void) {}

static void emit(const char *s)
{
	if (!console) {
		fputs(s, stderr);
		return;
	}
	for (; *s; s++)
		console->putc(console, *s);
}

/* One thread, one writer at a time: a line is never split by another's. */
void log_write(unsigned writer, const char *head, const char *text)
{
	(void)writer;
	emit(head);
	emit(text);
}

void log_end_line(unsigned writer) { (void)writer; }

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(fake_log_last, sizeof(fake_log_last), fmt, ap);
	va_end(ap);
	fake_log_last_level = level;
	fake_log_count++;
	emit(fake_log_last);
}

void panic(const char *fmt, ...)
{
	char msg[FAKE_LOG_LINE];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "PANIC: %s", msg);
	abort();
}
