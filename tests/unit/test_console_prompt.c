/* Unit tests for core/dev/console_prompt.c: line editing, command parsing, the focus order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/dev/console_prompt.h"
#include "core/lib/errno.h"

static enum prompt_event type(struct prompt *p, const char *keys)
{
	enum prompt_event ev = PROMPT_IGNORED;

	for (; *keys; keys++)
		ev = prompt_feed(p, *keys);
	return ev;
}

static int parse(const char *line, struct prompt_cmd *cmd)
{
	static struct prompt p;

	prompt_clear(&p);
	assert_int_equal(type(&p, line), PROMPT_ADDED);
	return prompt_parse(&p, cmd);
}

static void test_editing(void **state)
{
	struct prompt p = { 0 };

	assert_int_equal(prompt_feed(&p, 'v'), PROMPT_ADDED);
	assert_int_equal(type(&p, "mx"), PROMPT_ADDED);
	assert_string_equal(p.line, "vmx");
	assert_int_equal(prompt_feed(&p, 0x7f), PROMPT_ERASED);
	assert_int_equal(prompt_feed(&p, '\b'), PROMPT_ERASED);
	assert_string_equal(p.line, "v");
	assert_int_equal(type(&p, "\b\b"), PROMPT_IGNORED); /* nothing left to erase */
	assert_string_equal(p.line, "");
	assert_int_equal(prompt_feed(&p, 0x1b), PROMPT_IGNORED); /* control characters */
	assert_int_equal(prompt_feed(&p, (char)0xc3), PROMPT_IGNORED);
	assert_int_equal(p.len, 0);
}

static void test_enter(void **state)
{
	struct prompt p = { 0 };

	type(&p, "vms");
	assert_int_equal(prompt_feed(&p, '\r'), PROMPT_ENTER);
	assert_string_equal(p.line, "vms"); /* kept until prompt_clear */
	assert_int_equal(prompt_feed(&p, '\n'), PROMPT_IGNORED); /* "\r\n" is one Enter */
	prompt_clear(&p);
	assert_string_equal(p.line, "");
	assert_int_equal(prompt_feed(&p, '\n'), PROMPT_ENTER);
	assert_int_equal(prompt_feed(&p, '\n'), PROMPT_ENTER);
}

static void test_line_full(void **state)
{
	struct prompt p = { 0 };

	for (unsigned i = 0; i < PROMPT_LINE_MAX - 1; i++)
		assert_int_equal(prompt_feed(&p, 'a'), PROMPT_ADDED);
	assert_int_equal(prompt_feed(&p, 'b'), PROMPT_IGNORED);
	assert_int_equal(p.len, PROMPT_LINE_MAX - 1);
	assert_int_equal(p.line[PROMPT_LINE_MAX - 1], '\0');
	assert_int_equal(prompt_feed(&p, '\b'), PROMPT_ERASED);
}

static void test_parse_commands(void **state)
{
	struct prompt_cmd cmd;
	struct prompt empty = { 0 };

	assert_int_equal(prompt_parse(&empty, &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_EMPTY);
	assert_null(cmd.name);
	assert_int_equal(parse("   ", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_EMPTY);
	assert_int_equal(parse("help", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_HELP);
	assert_int_equal(parse("  vms  ", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_VMS);
	assert_null(cmd.arg);
	assert_int_equal(parse("stats", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_STATS);
	assert_int_equal(parse("reset linux1", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_RESET);
	assert_string_equal(cmd.arg, "linux1");
	assert_int_equal(parse(" focus   linux0 ", &cmd), 0);
	assert_int_equal(cmd.verb, PROMPT_FOCUS);
	assert_string_equal(cmd.arg, "linux0");
}

static void test_parse_errors(void **state)
{
	struct prompt_cmd cmd;

	assert_int_equal(parse("reboot now", &cmd), -E_NOENT);
	assert_string_equal(cmd.name, "reboot");
	assert_int_equal(parse("VMS", &cmd), -E_NOENT);
	assert_int_equal(parse("reset", &cmd), -E_INVAL);
	assert_int_equal(cmd.verb, PROMPT_RESET);
	assert_string_equal(prompt_usage(cmd.verb), "reset <vm>");
	assert_int_equal(parse("focus a b", &cmd), -E_INVAL);
	assert_int_equal(cmd.verb, PROMPT_FOCUS);
	assert_int_equal(parse("vms linux0", &cmd), -E_INVAL);
	assert_int_equal(cmd.verb, PROMPT_VMS);
}

static void test_help_lists_every_command(void **state)
{
	const char *usage, *what;
	unsigned n = 0;

	while (prompt_help(n, &usage, &what)) {
		assert_true(what[0] != '\0');
		n++;
	}
	assert_int_equal(n, 5);
	assert_true(prompt_help(3, &usage, &what));
	assert_string_equal(usage, "reset <vm>");
}

static void test_focus_order(void **state)
{
	assert_int_equal(prompt_next_focus(0, 2), 1);
	assert_int_equal(prompt_next_focus(1, 2), PROMPT_FOCUS_HYP);
	assert_int_equal(prompt_next_focus(PROMPT_FOCUS_HYP, 2), 0);
	assert_int_equal(prompt_next_focus(0, 1), PROMPT_FOCUS_HYP);
	assert_int_equal(prompt_next_focus(PROMPT_FOCUS_HYP, 1), 0);
	assert_int_equal(prompt_next_focus(PROMPT_FOCUS_HYP, 0), PROMPT_FOCUS_HYP);
	assert_int_equal(prompt_next_focus(0, 0), PROMPT_FOCUS_HYP); /* no VM yet */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_editing),
		cmocka_unit_test(test_enter),
		cmocka_unit_test(test_line_full),
		cmocka_unit_test(test_parse_commands),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_help_lists_every_command),
		cmocka_unit_test(test_focus_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
