/* What the host doubles in arch/fake record, for unit tests to inspect. */
#ifndef ARCH_FAKE_FAKE_H
#define ARCH_FAKE_FAKE_H

#define FAKE_LOG_LINE 256

/* arch_table_write_barrier() calls so far (fake.c). */
extern unsigned long fake_table_barriers;

/* The last line log_printf() formatted, its level, and how many lines so far (fake_log.c). */
extern char fake_log_last[FAKE_LOG_LINE];
extern int fake_log_last_level;
extern unsigned fake_log_count;

#endif
