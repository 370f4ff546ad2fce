/*
 * PL011 (Arm PrimeCell UART (PL011) Technical Reference Manual, Arm DDI 0183, 3.3), the SBSA
 * generic UART (its subset), and 16550-compatible UARTs (TI PC16550D datasheet; TI
 * AM654/J721E "ti,am654-uart", "ns16550a"). The firmware has set the baud rate. Output is
 * polled with a bounded wait, so the console is usable from any context; input is taken from
 * the receive interrupt.
 */
#include "drivers/uart/uart.h"

#include "core/lib/mmio.h"
#include "core/lib/string.h"
#include "drivers/uart/pl011_regs.h"

#define UART16550_RBR 0 /* read */
#define UART16550_THR 0 /* write */
#define UART16550_IER 1
#define UART16550_IER_ERBI BIT(0) /* received data available, and its FIFO timeout */
#define UART16550_MCR 4
#define UART16550_MCR_OUT2 BIT(3) /* gates the interrupt output on PC-style UARTs */
#define UART16550_LSR 5
#define UART16550_LSR_DR BIT(0)
#define UART16550_LSR_PE BIT(2)
#define UART16550_LSR_FE BIT(3)
#define UART16550_LSR_BI BIT(4)
#define UART16550_LSR_THRE BIT(5)
#define UART16550_LSR_RX_ERRORS (UART16550_LSR_PE | UART16550_LSR_FE | UART16550_LSR_BI)

/* Bounded wait for room in the transmitter: drop the character rather than hang the CPU. */
#define TX_SPIN_LIMIT 1000000

struct uart_driver {
	const char *compat;
	/* The least reg-shift the UART has, whatever its DT says: the TI UARTs' binding
	 * (ti,am654-uart) has no reg-shift, but their registers are 4 bytes apart (2). */
	u32 min_reg_shift;
	void (*putc)(const struct console *c, char ch);
	void (*rx_irq_enable)(const struct uart_rx *u);
	unsigned (*rx_read)(const struct uart_rx *u, char *buf, unsigned max);
};

static void pl011_putc(const struct console *c, char ch)
{
	for (unsigned i = 0; i < TX_SPIN_LIMIT && (mmio_read32(c->base + PL011_FR) & PL011_FR_TXFF); i++)
		;
	mmio_write32(c->base + PL011_DR, (u8)ch);
}

/* UARTRXINTR, and UARTRTINTR for fewer characters than the trigger level (3.3.10). */
static void pl011_rx_irq_enable(const struct uart_rx *u)
{
	mmio_write32(u->base + PL011_IMSC, mmio_read32(u->base + PL011_IMSC) | PL011_INT_RX | PL011_INT_RT);
}

static unsigned pl011_rx_read(const struct uart_rx *u, char *buf, unsigned max)
{
	unsigned n = 0;

	/* Clear first (3.3.13): a character arriving after the drain raises them again. */
	mmio_write32(u->base + PL011_ICR, PL011_INT_RX | PL011_INT_RT);
	for (unsigned i = 0; i < max && !(mmio_read32(u->base + PL011_FR) & PL011_FR_RXFE); i++) {
		u32 dr = mmio_read32(u->base + PL011_DR);

		if (!(dr & PL011_DR_ERRORS))
			buf[n++] = (char)FIELD_GET(PL011_DR_DATA, dr);
	}
	return n;
}

/* 16550 registers are reg_shift apart: byte-wide when packed (reg-shift 0), else accessed
 * as 32-bit words, as the TI UARTs (reg-shift 2, reg-io-width 4) require. */
static u32 uart16550_rd(u64 base, u32 reg_shift, unsigned reg)
{
	u64 a = base + ((u64)reg << reg_shift);

	return reg_shift ? mmio_read32(a) : mmio_read8(a);
}

static void uart16550_wr(u64 base, u32 reg_shift, unsigned reg, u32 v)
{
	u64 a = base + ((u64)reg << reg_shift);

	if (reg_shift)
		mmio_write32(a, v);
	else
		mmio_write8(a, (u8)v);
}

static void uart16550_putc(const struct console *c, char ch)
{
	for (unsigned i = 0; i < TX_SPIN_LIMIT &&
			     !(uart16550_rd(c->base, c->reg_shift, UART16550_LSR) & UART16550_LSR_THRE);
	     i++)
		;
	uart16550_wr(c->base, c->reg_shift, UART16550_THR, (u8)ch);
}

static void uart16550_rx_irq_enable(const struct uart_rx *u)
{
	u32 ier = uart16550_rd(u->base, u->reg_shift, UART16550_IER);
	u32 mcr = uart16550_rd(u->base, u->reg_shift, UART16550_MCR);

	uart16550_wr(u->base, u->reg_shift, UART16550_IER, ier | UART16550_IER_ERBI);
	uart16550_wr(u->base, u->reg_shift, UART16550_MCR, mcr | UART16550_MCR_OUT2);
}

/* Reading RBR until LSR.DR clears ends the receive and timeout interrupts; reading LSR ends
 * the line status one. */
static unsigned uart16550_rx_read(const struct uart_rx *u, char *buf, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < max; i++) {
		u32 lsr = uart16550_rd(u->base, u->reg_shift, UART16550_LSR);
		char c;

		if (!(lsr & UART16550_LSR_DR))
			break;
		c = (char)uart16550_rd(u->base, u->reg_shift, UART16550_RBR);
		if (!(lsr & UART16550_LSR_RX_ERRORS))
			buf[n++] = c;
	}
	return n;
}

/* The SBSA generic UART (Arm DEN0094, appendix B) is a subset of the PL011's registers. */
static const struct uart_driver drivers[] = {
	{ "arm,pl011", 0, pl011_putc, pl011_rx_irq_enable, pl011_rx_read },
	{ "arm,sbsa-uart", 0, pl011_putc, pl011_rx_irq_enable, pl011_rx_read },
	{ "ns16550a", 0, uart16550_putc, uart16550_rx_irq_enable, uart16550_rx_read },
	{ "ti,am654-uart", 2, uart16550_putc, uart16550_rx_irq_enable, uart16550_rx_read },
};

/* The driver for the first string of the compatible list that one knows. */
static const struct uart_driver *find_driver(const char *compat)
{
	for (const char *s = compat; *s; s += strlen(s) + 1)
		for (unsigned i = 0; i < ARRAY_SIZE(drivers); i++)
			if (!strcmp(s, drivers[i].compat))
				return &drivers[i];
	return NULL;
}

static u32 reg_shift_for(const struct uart_driver *drv, u32 reg_shift)
{
	return drv && drv->min_reg_shift > reg_shift ? drv->min_reg_shift : reg_shift;
}

bool uart_console_init(struct console *c, const char *compat, pa_t base, u32 reg_shift)
{
	const struct uart_driver *drv = find_driver(compat);

	c->base = base.v;
	c->reg_shift = reg_shift_for(drv, reg_shift);
	c->putc = drv ? drv->putc : NULL;
	return drv != NULL;
}

bool uart_rx_init(struct uart_rx *u, const char *compat, pa_t base, u32 reg_shift)
{
	const struct uart_driver *drv = find_driver(compat);

	*u = (struct uart_rx){ drv, base.v, reg_shift_for(drv, reg_shift) };
	return u->drv != NULL;
}

void uart_rx_irq_enable(const struct uart_rx *u) { u->drv->rx_irq_enable(u); }

unsigned uart_rx_read(const struct uart_rx *u, char *buf, unsigned max)
{
	return u->drv->rx_read(u, buf, max);
}
