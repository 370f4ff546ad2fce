/* The hypervisor prompt's line editing and command parsing (see console_prompt.h). */
#include "core/dev/console_prompt.h"

#include <string.h>

#include "core/lib/bits.h"
#include "core/lib/errno.h"

#define KEY_BACKSPACE '\b'
#define KEY_DEL 0x7f

struct verb_desc {
	const char *name;
	enum prompt_verb verb;
	bool takes_arg;
	const char *usage;
	const char *what;
};

static const struct verb_desc verbs[] = {
	{ "help", PROMPT_HELP, false, "help", "list the commands" },
	{ "vms", PROMPT_VMS, false, "vms", "each VM: id, name, state, CPUs, RAM, resets" },
	{ "stats", PROMPT_STATS, false, "stats", "exit counts of each vCPU" },
	{ "reset", PROMPT_RESET, true, "reset <vm>", "stop the VM and boot it again" },
	{ "focus", PROMPT_FOCUS, true, "focus <vm>", "send console input to the VM" },
};

enum prompt_event prompt_feed(struct prompt *p, char c)
{
	bool after_cr = p->after_cr;

	p->after_cr = c == '\r';
	if (c == '\r' || (c == '\n' && !after_cr))
		return PROMPT_ENTER;
	if (c == KEY_BACKSPACE || c == KEY_DEL) {
		if (!p->len)
			return PROMPT_IGNORED;
		p->line[--p->len] = '\0';
		return PROMPT_ERASED;
	}
	if (c < ' ' || c >= KEY_DEL || p->len == PROMPT_LINE_MAX - 1)
		return PROMPT_IGNORED;
	p->line[p->len++] = c;
	p->line[p->len] = '\0';
	return PROMPT_ADDED;
}

void prompt_clear(struct prompt *p)
{
	p->len = 0;
	p->line[0] = '\0';
}

/* The next space-separated word at *s, NUL-terminated in place, or NULL; *s moves past it. */
static char *next_word(char **s)
{
	char *w = *s;

	while (*w == ' ')
		w++;
	if (!*w)
		return NULL;
	*s = w;
	while (**s && **s != ' ')
		(*s)++;
	if (**s)
		*(*s)++ = '\0';
	return w;
}

int prompt_parse(struct prompt *p, struct prompt_cmd *cmd)
{
	char *s = p->line;
	const char *name = next_word(&s);
	const char *arg = next_word(&s);
	bool extra = next_word(&s) != NULL;

	*cmd = (struct prompt_cmd){ PROMPT_EMPTY, name, arg };
	if (!name)
		return 0;
	for (unsigned i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(name, verbs[i].name))
			continue;
		cmd->verb = verbs[i].verb;
		return (arg != NULL) == verbs[i].takes_arg && !extra ? 0 : -E_INVAL;
	}
	return -E_NOENT;
}

bool prompt_help(unsigned n, const char **usage, const char **what)
{
	if (n >= ARRAY_SIZE(verbs))
		return false;
	*usage = verbs[n].usage;
	*what = verbs[n].what;
	return true;
}

const char *prompt_usage(enum prompt_verb verb)
{
	for (unsigned i = 0; i < ARRAY_SIZE(verbs); i++)
		if (verbs[i].verb == verb)
			return verbs[i].usage;
	return "";
}

unsigned prompt_next_focus(unsigned focus, unsigned n_vms)
{
	if (focus >= n_vms) /* the prompt */
		return n_vms ? 0 : PROMPT_FOCUS_HYP;
	return focus + 1 < n_vms ? focus + 1 : PROMPT_FOCUS_HYP;
}
