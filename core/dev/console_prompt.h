/*
 * The input side of the hypervisor prompt (docs/console.md): line editing, parsing a line
 * into a command, and the order in which the escape key moves the focus. Pure, so it is
 * tested on the host; core/dev/console.c carries the commands out and prints.
 */
#ifndef CORE_CONSOLE_PROMPT_H
#define CORE_CONSOLE_PROMPT_H

#include "core/lib/types.h"

#define PROMPT_LINE_MAX 64
/* The focus value of the hypervisor prompt; VMs are 0, 1, ... */
#define PROMPT_FOCUS_HYP (~0U)

struct prompt {
	char line[PROMPT_LINE_MAX]; /* what was typed, NUL-terminated */
	unsigned len;
	bool after_cr; /* the last key was '\r': a '\n' next is the same Enter */
};

enum prompt_event {
	PROMPT_IGNORED, /* a control character, or the line is full */
	PROMPT_ADDED,   /* the character went at the end of the line */
	PROMPT_ERASED,  /* backspace or DEL took the last character away */
	PROMPT_ENTER,   /* the line is complete: parse it, then prompt_clear */
};

enum prompt_verb { PROMPT_EMPTY, PROMPT_HELP, PROMPT_VMS, PROMPT_STATS, PROMPT_RESET, PROMPT_FOCUS };

struct prompt_cmd {
	enum prompt_verb verb;
	const char *name; /* the first word as typed (NULL for an empty line) */
	const char *arg;  /* the second word, or NULL */
};

enum prompt_event prompt_feed(struct prompt *p, char c);
void prompt_clear(struct prompt *p);
/* Split p's line into words (in place) and recognise the command. Returns 0, -E_NOENT for
 * an unknown first word, or -E_INVAL when the number of arguments is wrong for cmd->verb. */
int prompt_parse(struct prompt *p, struct prompt_cmd *cmd);
/* The n-th command's usage ("reset <vm>") and what it does, for `help`; false past the last. */
bool prompt_help(unsigned n, const char **usage, const char **what);
const char *prompt_usage(enum prompt_verb verb);
/* Where the escape key moves the focus: VM 0, 1, ..., n_vms - 1, the prompt, VM 0 again. */
unsigned prompt_next_focus(unsigned focus, unsigned n_vms);

#endif
