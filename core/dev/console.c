/*
 * The console multiplexer (see console.h, docs/console.md). Output goes through log_write,
 * one writer per VM and one for the prompt, so that a line never mixes two sources. Input
 * arrives on the boot CPU, from the UART's receive interrupt.
 */
#include "core/dev/console.h"

#include <stdarg.h>

#include "arch/cpu.h"
#include "arch/exception.h"
#include "core/dev/console_prompt.h"
#include "core/dev/vuart.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"
#include "drivers/uart/uart.h"
#include "iommu/smmuv3/smmuv3.h"

#define WRITER_VM(id) (LOG_WRITER_LOG + 1 + (id))
#define WRITER_PROMPT WRITER_VM(VM_MAX)
#define PROMPT "portcullis> "
/* Characters taken per interrupt at most: more than a hardware FIFO holds, yet a receiver
 * that never reports empty cannot hold the boot CPU. */
#define RX_BURST 64
#define SAY_MAX 192

static struct uart_rx rx;
static struct prompt prompt;
/* A VM's index or PROMPT_FOCUS_HYP; read from every CPU by console_vm_output_idle. */
static unsigned focus;

static unsigned get_focus(void) { return __atomic_load_n(&focus, __ATOMIC_RELAXED); }

static struct vm *focused_vm(void)
{
	unsigned f = get_focus();

	return f < n_vms ? &vms[f] : NULL;
}

/* ---- output of the VMs (vm->vuart->lock held) ---- */

static void print_vm_line(struct vm *vm)
{
	struct vuart *u = vm->vuart;
	char head[VM_NAME_LEN + 4];

	if (!u->line_len)
		return;
	u->line[u->line_len] = '\0';
	u->line_len = 0;
	fmt_snprintf(head, sizeof(head), "[%s] ", vm->cfg->name);
	log_write(WRITER_VM(vm->id), head, u->line);
}

void console_vm_output(struct vm *vm, char c)
{
	struct vuart *u = vm->vuart;

	/* The physical console starts lines itself ('\n' goes out as "\r\n"), so that a
	 * guest's '\r' cannot send the cursor back over the prefix; a NUL would cut the line. */
	if (c == '\r' || c == '\0')
		return;
	u->line[u->line_len++] = c;
	if (c == '\n' || u->line_len == VUART_LINE_MAX - 1)
		print_vm_line(vm);
}

void console_vm_output_idle(struct vm *vm)
{
	if (get_focus() == vm->id)
		print_vm_line(vm);
}

void console_vm_reset(struct vm *vm)
{
	print_vm_line(vm);
	log_end_line(WRITER_VM(vm->id));
}

/* ---- the prompt's output ---- */

static void say(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void say(const char *fmt, ...)
{
	char text[SAY_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_write(WRITER_PROMPT, "", text);
}

static void say_line(const char *line) { say("%s\n", line); }
static void show_prompt(void) { say(PROMPT "%s", prompt.line); }

/* ---- focus ---- */

static void set_focus(unsigned f)
{
	struct vm *vm;

	__atomic_store_n(&focus, f, __ATOMIC_RELAXED);
	log_end_line(WRITER_PROMPT);
	vm = focused_vm();
	if (!vm) {
		say("console: input goes to the hypervisor prompt ('help' lists the commands, "
		    "Ctrl-] switches)\n");
		show_prompt();
		return;
	}
	say("console: input goes to %s (Ctrl-] switches)\n", vm->cfg->name);
	/* What it printed meanwhile and did not end, e.g. its shell prompt. */
	spin_lock(&vm->vuart->lock);
	print_vm_line(vm);
	spin_unlock(&vm->vuart->lock);
}

/* ---- the prompt's commands ---- */

/* The VM called name, or NULL after saying there is none. */
static struct vm *vm_named(const char *name)
{
	for (unsigned i = 0; i < n_vms; i++)
		if (!strcmp(vms[i].cfg->name, name))
			return &vms[i];
	say("no VM named '%s' ('vms' lists them)\n", name);
	return NULL;
}

static void cmd_help(void)
{
	const char *usage, *what;

	for (unsigned i = 0; prompt_help(i, &usage, &what); i++)
		say("  %-12s %s\n", usage, what);
	say("  %-12s %s\n", "Ctrl-]", "move the input focus: VM 0, VM 1, ..., this prompt");
}

static void say_unknown(const char *name)
{
	char list[SAY_MAX] = "";
	const char *usage, *what;
	size_t n = 0;

	for (unsigned i = 0; prompt_help(i, &usage, &what) && n < sizeof(list); i++)
		n += (size_t)fmt_snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", usage);
	say("unknown command '%s'; commands: %s\n", name, list);
}

static u64 vm_ram_size(const struct vm *vm)
{
	u64 size = 0;

	for (unsigned i = 0; i < vm->cfg->n_ram; i++)
		size += vm->cfg->ram[i].size;
	return size;
}

static void cmd_vms(void)
{
	say("id name             state    cpus              ram MiB  resets\n");
	for (unsigned i = 0; i < n_vms; i++) {
		const struct vm *vm = &vms[i];
		char cpus[32] = "";
		size_t n = 0;

		for (unsigned c = 0; c < vm->cfg->n_cpus && n < sizeof(cpus); c++)
			n += (size_t)fmt_snprintf(cpus + n, sizeof(cpus) - n, "%s%u", c ? "," : "",
						  vm->cfg->cpus[c]);
		say("%2u %-16s %-8s %-17s %7lu  %6u\n", vm->id, vm->cfg->name,
		    vm->state == VM_RUNNING ? "running" : "stopped", cpus, vm_ram_size(vm) >> 20,
		    vm->resets);
	}
}

/* What the SMMU has done so far (the figures behind "SMMU commands per MiB read"). */
static void smmu_stats_line(void)
{
	struct smmu_stats st;
	u64 cmds = 0, tlbi = 0, cfgi = 0;

	if (!smmu_present())
		return;
	smmu_get_stats(&st);
	for (unsigned op = 0; op < CMD_OP_LIMIT; op++) {
		cmds += st.cmds[op];
		tlbi += (op >= CMD_OP_TLBI_NH_ALL && op <= CMD_OP_TLBI_NSNH_ALL) ? st.cmds[op] : 0;
		cfgi += (op >= CMD_OP_CFGI_STE && op <= CMD_OP_CFGI_CD_ALL) ? st.cmds[op] : 0;
	}
	say("smmu: %lu commands (%lu CFGI, %lu TLBI, %lu CMD_SYNC), %lu STE writes, %lu events\n",
	    cmds, cfgi, tlbi, st.cmds[CMD_OP_SYNC], st.ste_writes, st.events);
}

/* What the allocator handed out beyond the VMs' RAM: the hypervisor's own memory at run
 * time (stage-2 and SMMU tables, virtio-iommu state, queues), image not included. */
static void memory_line(void)
{
	u64 vm_ram = 0, used = (alloc_total_pages() - alloc_free_pages()) * PAGE_SIZE;

	for (unsigned i = 0; i < n_vms; i++)
		vm_ram += vm_ram_size(&vms[i]);
	say("memory: hypervisor allocations %lu KiB, VMs' RAM %lu MiB, free %lu MiB\n",
	    (used - MIN(used, vm_ram)) >> 10, vm_ram >> 20, (alloc_free_pages() * PAGE_SIZE) >> 20);
}

/* The vCPU's longest stay at EL2 with interrupts masked (core/vm/vcpu.c), and what it was. */
static void longest_exit_line(const struct vcpu *v)
{
	u64 f = timer_frequency(), esr = v->stats.longest_exit_esr;

	if (!v->stats.longest_exit || !f)
		return;
	say("%-16s %4u longest exit: %lu us (%s)\n", v->vm->cfg->name, v->id,
	    v->stats.longest_exit * 1000000 / f, esr ? esr_class_name(esr) : "interrupt");
}

static void cmd_stats(void)
{
	say("vm               vcpu cpu      exits       hvc       smc       wfx      mmio"
	    "    sysreg       irq   aborts\n");
	for (unsigned i = 0; i < n_vms; i++) {
		for (unsigned j = 0; j < vms[i].n_vcpus; j++) {
			const struct vcpu *v = &vms[i].vcpus[j];
			struct vcpu_stats s = v->stats;

			say("%-16s %4u %3u %10lu %9lu %9lu %9lu %9lu %9lu %9lu %8lu\n",
			    vms[i].cfg->name, v->id, v->pcpu, s.exits, s.hvc, s.smc, s.wfx, s.mmio,
			    s.sysreg, s.irq, s.aborts_injected);
		}
	}
	for (unsigned i = 0; i < n_vms; i++)
		for (unsigned j = 0; j < vms[i].n_vcpus; j++)
			longest_exit_line(&vms[i].vcpus[j]);
	for (unsigned i = 0; i < n_vms; i++)
		vm_devices_stats(&vms[i], say_line);
	smmu_stats_line();
	memory_line();
}

static void cmd_reset(const char *name)
{
	struct vm *vm = vm_named(name);

	if (vm) {
		say("resetting %s\n", name);
		vm_request_stop(vm, true);
	}
}

static void cmd_focus(const char *name)
{
	struct vm *vm = vm_named(name);

	if (vm)
		set_focus(vm->id);
}

static void run_command(void)
{
	struct prompt_cmd cmd;
	int err = prompt_parse(&prompt, &cmd);

	if (err == -E_NOENT) {
		say_unknown(cmd.name);
		return;
	}
	if (err) {
		say("usage: %s\n", prompt_usage(cmd.verb));
		return;
	}
	switch (cmd.verb) {
	case PROMPT_EMPTY: break;
	case PROMPT_HELP: cmd_help(); break;
	case PROMPT_VMS: cmd_vms(); break;
	case PROMPT_STATS: cmd_stats(); break;
	case PROMPT_RESET: cmd_reset(cmd.arg); break;
	case PROMPT_FOCUS: cmd_focus(cmd.arg); break;
	}
}

/* Echo each key after the line as it was before it ('before' is printed again first when
 * other output has ended the prompt's line meanwhile). */
static void prompt_key(char c)
{
	char before[sizeof(PROMPT) + PROMPT_LINE_MAX];
	char echo[2] = { c, '\0' };

	fmt_snprintf(before, sizeof(before), PROMPT "%s", prompt.line);
	switch (prompt_feed(&prompt, c)) {
	case PROMPT_IGNORED: break;
	case PROMPT_ADDED: log_write(WRITER_PROMPT, before, echo); break;
	case PROMPT_ERASED: log_write(WRITER_PROMPT, before, "\b \b"); break;
	case PROMPT_ENTER:
		log_write(WRITER_PROMPT, before, "\n");
		run_command();
		prompt_clear(&prompt);
		if (!focused_vm())
			show_prompt();
		break;
	}
}

/* ---- input ---- */

static void console_input(char c)
{
	struct vm *vm = focused_vm();

	if (c == CONSOLE_ESCAPE)
		set_focus(prompt_next_focus(get_focus(), n_vms));
	else if (vm)
		vuart_receive(vm, c);
	else
		prompt_key(c);
}

static void console_rx_irq(unsigned intid, void *ctx)
{
	char buf[RX_BURST];
	unsigned n = uart_rx_read(&rx, buf, sizeof(buf));

	for (unsigned i = 0; i < n; i++)
		console_input(buf[i]);
}

int console_init(const struct platform *p)
{
	int err;

	if (!p->uart.irq) {
		log_warn("console: the UART at %lx has no interrupt in the device tree: no input\n",
			 p->uart.base.v);
		return -E_NODEV;
	}
	if (!uart_rx_init(&rx, p->uart.compatible, p->uart.base, p->uart.reg_shift)) {
		log_warn("console: no driver for '%s': no input\n", p->uart.compatible);
		return -E_NODEV;
	}
	err = gic_set_handler(p->uart.irq, console_rx_irq, NULL);
	if (!err)
		err = gic_enable_spi(p->uart.irq, cpus[0].mpidr);
	if (err) {
		log_warn("console: cannot take the UART's interrupt %u (%s): no input\n",
			 p->uart.irq, err_name(err));
		return err;
	}
	uart_rx_irq_enable(&rx);
	return 0;
}
