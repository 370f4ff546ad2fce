/*
 * The console multiplexer (docs/console.md). The physical UART belongs to the hypervisor:
 * each VM's output (its virtual PL011, core/dev/vuart.c) is printed line by line with the VM's
 * name as prefix, and input goes to the VM that has the focus or to the hypervisor prompt.
 * The escape key moves the focus: VM 0, VM 1, ..., the prompt, VM 0 again.
 */
#ifndef CORE_CONSOLE_H
#define CORE_CONSOLE_H

#include "core/platform/platform.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-]: QEMU's -nographic keeps Ctrl-A for itself */

struct vm;

/* Take input from the UART's receive interrupt, routed to the boot CPU (called by boot
 * after gic_init). Returns 0, or -E_* after a warning: the console then has output only. */
int console_init(const struct platform *p);

/* For the virtual PL011, each with vm->vuart->lock held: */
/* A character the VM wrote; printed when its line is complete or its buffer full. */
void console_vm_output(struct vm *vm, char c);
/* The VM ended a burst of output: if it has the focus, its unfinished line (a shell
 * prompt) is printed now. */
void console_vm_output_idle(struct vm *vm);
/* The VM is reset: print and end what it left unfinished. */
void console_vm_reset(struct vm *vm);

#endif
