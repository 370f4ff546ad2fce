/*
 * The virtual console: an emulated PL011 per VM (enough for Linux's amba-pl011 driver and
 * earlycon), whose output lines are multiplexed onto the physical UART with the VM's name
 * as prefix, and whose input comes from the physical UART while the VM has the focus.
 */
#ifndef CORE_VUART_H
#define CORE_VUART_H

#include "core/lib/spinlock.h"
#include "core/lib/types.h"

#define VUART_RX_FIFO 32
/* Input waiting behind a full receive FIFO, as a sender held off by flow control would. */
#define VUART_RX_BACKLOG 1024
#define VUART_LINE_MAX 160

/* One VM's PL011; the lock covers all of it. Registers and the receive FIFO belong to the
 * register model (core/dev/vpl011.c), the output line to the console (core/dev/console.c). */
struct vuart {
	spinlock_t lock;
	u32 cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr;
	u8 rx[VUART_RX_FIFO];
	unsigned rx_head, rx_count;
	u8 backlog[VUART_RX_BACKLOG];
	unsigned backlog_head, backlog_count;
	char line[VUART_LINE_MAX]; /* output not yet printed, NUL-terminated when printed */
	unsigned line_len;
	bool irq_level; /* what was last driven on GUEST_UART_INTID */
};

struct vm;

struct vm_device_ops;

/* The VM's PL011 (core/vm/vm_device.h): init registers its region; reset prints what the
 * VM printed so far, then goes back to the reset state. */
extern const struct vm_device_ops vuart_device;
/* Input for the VM (from the console multiplexer); raises the RX interrupt. While the
 * receive FIFO is full input waits in the backlog; beyond that it is dropped. */
void vuart_receive(struct vm *vm, char c);

#endif
