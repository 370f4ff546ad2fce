/* UART drivers behind struct console, chosen by the device tree's compatible string. */
#ifndef DRIVERS_UART_UART_H
#define DRIVERS_UART_UART_H

#include "core/log/log.h"

/* Fill c for the UART compatible with compat at base (already mapped). compat is a device
 * tree 'compatible' list: strings one after another, each NUL-terminated, ended by an empty
 * string (struct plat_uart's compatible; a literal needs an explicit "\0" at its end). The
 * first string a driver knows picks it. Returns false if no driver knows any. */
bool uart_console_init(struct console *c, const char *compat, pa_t base, u32 reg_shift);

/* The receiving side of a UART (the console's input, core/dev/console.c). */
struct uart_driver;
struct uart_rx {
	const struct uart_driver *drv;
	u64 base;
	u32 reg_shift;
};

/* Like uart_console_init, for the same UART's receiver. */
bool uart_rx_init(struct uart_rx *u, const char *compat, pa_t base, u32 reg_shift);
/* Make the UART raise its interrupt while received characters wait. */
void uart_rx_irq_enable(const struct uart_rx *u);
/* From the interrupt handler: acknowledge the receive interrupt, then take up to max
 * waiting characters into buf (characters received with an error are dropped). Returns how
 * many were stored. A character arriving afterwards raises the interrupt again. */
unsigned uart_rx_read(const struct uart_rx *u, char *buf, unsigned max);

#endif
