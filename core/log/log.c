#include "core/log/log.h"

#include <stdarg.h>
#include "core/lib/fmt.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"

#define LINE_MAX 256
#define NO_WRITER (~0U)

static const struct console *console;
static spinlock_t log_lock = SPINLOCK_INIT;
static bool locking;
static unsigned open_writer = NO_WRITER; /* whose line is unfinished on the console */

static unsigned (*cpu_index_fn)(void);
static void (*cpu_halt_fn)(void) NORETURN;

void log_set_console(const struct console *c) { console = c; }
void log_set_cpu(unsigned (*index)(void), void (*halt)(void) NORETURN)
{
	cpu_index_fn = index;
	cpu_halt_fn = halt;
}
void log_enable_locking(void) { locking = true; }

static void emit(const char *s)
{
	if (!console)
		return;
	for (; *s; s++) {
		if (*s == '\n')
			console->putc(console, '\r');
		console->putc(console, *s);
	}
}

static void lock(void)
{
	if (locking)
		spin_lock(&log_lock);
}

static void unlock(void)
{
	if (locking)
		spin_unlock(&log_lock);
}

/* With the lock held: see log_write. */
static void write_as(unsigned writer, const char *head, const char *text)
{
	size_t n = strlen(text);

	if (!n)
		return;
	if (open_writer != writer) {
		if (open_writer != NO_WRITER)
			emit("\n");
		emit(head);
	}
	emit(text);
	open_writer = text[n - 1] == '\n' ? NO_WRITER : writer;
}

void log_write(unsigned writer, const char *head, const char *text)
{
	lock();
	write_as(writer, head, text);
	unlock();
}

void log_end_line(unsigned writer)
{
	lock();
	if (open_writer == writer)
		write_as(writer, "", "\n");
	unlock();
}

static void log_vprintf(int level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "ERROR: ", "WARN: ", "", "debug: " };
	char line[LINE_MAX];
	int n;

	n = fmt_snprintf(line, sizeof(line), "%s", prefix[level]);
	fmt_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	lock();
	write_as(LOG_WRITER_LOG, "", line);
	unlock();
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	char msg[LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cpu_index_fn)
		log_printf(LOG_ERROR, "PANIC on CPU %u: %s", cpu_index_fn(), msg);
	else
		log_printf(LOG_ERROR, "PANIC: %s", msg);
	if (cpu_halt_fn)
		cpu_halt_fn();
	for (;;)
		;
}
