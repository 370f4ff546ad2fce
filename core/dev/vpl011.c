/*
 * The virtual PL011's registers (see vpl011.h). Transmission takes no time: the transmit
 * FIFO is always empty, never full and never busy, so a guest never waits to write.
 * Reception fills a VUART_RX_FIFO-entry FIFO, with a backlog behind it (the sender held
 * off by flow control until the guest reads). The enable bits of UARTCR, loopback, IrDA,
 * the modem lines and DMA are stored or ignored, never acted upon.
 */
#include "core/dev/vpl011.h"

#include "drivers/uart/pl011_regs.h"

void vpl011_reset(struct vuart *u)
{
	/* Reset values from DDI 0183 3.2, Table 3-1. UARTRIS keeps the transmit interrupt
	 * raised: the transmit FIFO is empty, so at or below any trigger level (3.3.11). */
	u->cr = PL011_CR_TXE | PL011_CR_RXE;
	u->lcr_h = 0;
	u->ibrd = 0;
	u->fbrd = 0;
	u->ifls = FIELD_PREP(PL011_IFLS_TXIFLSEL, PL011_IFLS_1_2) |
		  FIELD_PREP(PL011_IFLS_RXIFLSEL, PL011_IFLS_1_2);
	u->imsc = 0;
	u->ris = PL011_INT_TX;
	u->dmacr = 0;
	u->rx_head = 0;
	u->rx_count = 0;
	u->backlog_head = 0;
	u->backlog_count = 0;
}

/* Characters in the receive FIFO that raise the receive interrupt (3.3.9 UARTIFLS); with
 * the FIFOs disabled (UARTLCR_H.FEN clear) any character does. The FIFO keeps its
 * VUART_RX_FIFO entries then, so a guest loses no input by disabling it. */
static unsigned rx_trigger(const struct vuart *u)
{
	static const u8 eighths[] = {
		[PL011_IFLS_1_8] = 1, [PL011_IFLS_1_4] = 2, [PL011_IFLS_1_2] = 4,
		[PL011_IFLS_3_4] = 6, [PL011_IFLS_7_8] = 7,
	};
	u64 sel = FIELD_GET(PL011_IFLS_RXIFLSEL, u->ifls);

	if (!(u->lcr_h & PL011_LCR_H_FEN) || sel >= ARRAY_SIZE(eighths))
		return 1;
	return VUART_RX_FIFO * eighths[sel] / 8;
}

static void fifo_receive(struct vuart *u, u8 c)
{
	u->rx[(u->rx_head + u->rx_count) % VUART_RX_FIFO] = c;
	u->rx_count++;
	/* A virtual line has no bit times: the receive timeout (UARTRTINTR, chapter 2
	 * "Interrupts") expires as soon as a character has arrived. */
	u->ris |= PL011_INT_RT;
	if (u->rx_count >= rx_trigger(u))
		u->ris |= PL011_INT_RX;
}

void vpl011_receive(struct vuart *u, u8 c)
{
	if (u->rx_count < VUART_RX_FIFO && !u->backlog_count) {
		fifo_receive(u, c);
	} else if (u->backlog_count < VUART_RX_BACKLOG) {
		u->backlog[(u->backlog_head + u->backlog_count) % VUART_RX_BACKLOG] = c;
		u->backlog_count++;
	}
}

/* A read made room in the FIFO: the next character held back arrives. */
static void backlog_to_fifo(struct vuart *u)
{
	if (!u->backlog_count)
		return;
	fifo_receive(u, u->backlog[u->backlog_head]);
	u->backlog_head = (u->backlog_head + 1) % VUART_RX_BACKLOG;
	u->backlog_count--;
}

bool vpl011_irq(const struct vuart *u) { return (u->ris & u->imsc) != 0; }

/* 3.3.1: a read takes the oldest character (no error flags: a virtual line has none).
 * The receive interrupt clears below the trigger level, the timeout when the FIFO empties. */
static u32 read_dr(struct vuart *u)
{
	u8 c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_RX_FIFO;
	u->rx_count--;
	if (u->rx_count < rx_trigger(u))
		u->ris &= ~(u32)PL011_INT_RX;
	if (!u->rx_count)
		u->ris &= ~(u32)PL011_INT_RT;
	backlog_to_fifo(u);
	return c;
}

/* 3.3.3: the transmit FIFO is always empty, so TXFE is set and TXFF and BUSY are clear. The
 * modem status inputs (CTS, DSR, DCD, RI) read as inactive. */
static u32 read_fr(const struct vuart *u)
{
	u32 fr = PL011_FR_TXFE;

	if (!u->rx_count)
		fr |= PL011_FR_RXFE;
	if (u->rx_count == VUART_RX_FIFO)
		fr |= PL011_FR_RXFF;
	return fr;
}

/* PeriphID0-3 then PCellID0-3, one byte in each word (3.3.15, 3.3.16). */
static u32 read_id(u64 reg)
{
	u64 id = (u64)VPL011_PCELLID << 32 | VPL011_PERIPHID;

	return (u32)(id >> ((reg - PL011_PERIPHID0) / 4 * 8)) & 0xff;
}

static u32 read_reg(struct vuart *u, u64 reg)
{
	switch (reg) {
	case PL011_DR: return read_dr(u);
	case PL011_FR: return read_fr(u);
	case PL011_IBRD: return u->ibrd;
	case PL011_FBRD: return u->fbrd;
	case PL011_LCR_H: return u->lcr_h;
	case PL011_CR: return u->cr;
	case PL011_IFLS: return u->ifls;
	case PL011_IMSC: return u->imsc;
	case PL011_RIS: return u->ris;
	case PL011_MIS: return u->ris & u->imsc;
	case PL011_DMACR: return u->dmacr;
	}
	if (reg >= PL011_PERIPHID0 && reg <= PL011_PCELLID3)
		return read_id(reg);
	/* UARTRSR (no receive errors), write-only UARTICR, IrDA, test and reserved words. */
	return 0;
}

/* Update the bits of a stored register that the access wrote (lanes) and it implements. */
static void store(u32 *reg, u32 val, u32 lanes, u32 implemented)
{
	u32 mask = lanes & implemented;

	*reg = (*reg & ~mask) | (val & mask);
}

static void write_reg(struct vuart *u, u64 reg, u32 val, u32 lanes, struct vpl011_effect *fx)
{
	switch (reg) {
	case PL011_DR:
		if (lanes & PL011_DR_DATA) {
			fx->tx = (int)FIELD_GET(PL011_DR_DATA, val);
			/* The character leaves at once: the FIFO drops back below its trigger
			 * level, which raises the transmit interrupt (UARTTXINTR, chapter 2
			 * "Interrupts"); only UARTICR clears it. */
			u->ris |= PL011_INT_TX;
		}
		break;
	case PL011_IBRD: store(&u->ibrd, val, lanes, PL011_IBRD_DIVINT); break;
	case PL011_FBRD: store(&u->fbrd, val, lanes, PL011_FBRD_DIVFRAC); break;
	case PL011_LCR_H: store(&u->lcr_h, val, lanes, PL011_LCR_H_ALL); break;
	case PL011_IFLS: store(&u->ifls, val, lanes, PL011_IFLS_TXIFLSEL | PL011_IFLS_RXIFLSEL); break;
	case PL011_DMACR: store(&u->dmacr, val, lanes, PL011_DMACR_ALL); break;
	case PL011_ICR: u->ris &= ~(val & lanes); break;
	case PL011_CR:
		store(&u->cr, val, lanes, PL011_CR_ALL);
		fx->output_idle = true;
		break;
	case PL011_IMSC:
		store(&u->imsc, val, lanes, PL011_INT_ALL);
		fx->output_idle = true;
		break;
	}
	/* UARTECR (nothing to clear), read-only, IrDA, test and reserved words: ignored. */
}

bool vpl011_access(struct vuart *u, struct mmio_access *a, struct vpl011_effect *fx)
{
	u64 reg = ALIGN_DOWN(a->offset, 4);
	unsigned shift = (unsigned)(a->offset - reg) * 8;
	u32 lanes;

	*fx = (struct vpl011_effect){ .tx = -1 };
	if ((a->size != 1 && a->size != 2 && a->size != 4) || !IS_ALIGNED(a->offset, a->size))
		return false;
	lanes = (u32)(GENMASK(a->size * 8 - 1, 0) << shift);
	if (a->write)
		write_reg(u, reg, (u32)(a->value << shift) & lanes, lanes, fx);
	else
		a->value = (read_reg(u, reg) & lanes) >> shift;
	return true;
}
