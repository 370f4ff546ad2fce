/*
 * Unit tests for core/dev/vpl011.c, the virtual PL011's registers, as Linux's amba-pl011 driver
 * and its earlycon use them (drivers/tty/serial/amba-pl011.c, Linux 6.12): AMBA
 * identification, the flag register, access sizes, the receive FIFO, and the interrupts,
 * above all that the transmit interrupt never leaves the TTY waiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/dev/vpl011.h"
#include "drivers/uart/pl011_regs.h"

static struct vuart u;

static int setup(void **state)
{
	(void)state;
	u = (struct vuart){ .lock = SPINLOCK_INIT };
	vpl011_reset(&u);
	return 0;
}

static u64 rd_sized(u64 offset, unsigned size)
{
	struct mmio_access a = { .offset = offset, .size = size };
	struct vpl011_effect fx;

	assert_true(vpl011_access(&u, &a, &fx));
	assert_int_equal(fx.tx, -1);
	assert_false(fx.output_idle);
	return a.value;
}

static u64 rd(u64 offset) { return rd_sized(offset, 4); }

static struct vpl011_effect wr_sized(u64 offset, u64 value, unsigned size)
{
	struct mmio_access a = { .offset = offset, .size = size, .write = true, .value = value };
	struct vpl011_effect fx;

	assert_true(vpl011_access(&u, &a, &fx));
	return fx;
}

static struct vpl011_effect wr(u64 offset, u64 value) { return wr_sized(offset, value, 4); }

/* Linux's amba bus reads the eight ID words and matches 0x00041011 under mask 0x000fffff;
 * the revision (PeriphID2[7:4]) sets the FIFO size it assumes: 32 from r1p5 (3) on. */
static void test_amba_ids(void **state)
{
	u32 periph = 0, cell = 0;

	for (unsigned i = 0; i < 4; i++) {
		periph |= (u32)rd(PL011_PERIPHID0 + 4 * i) << (8 * i);
		cell |= (u32)rd(PL011_PERIPHID0 + 16 + 4 * i) << (8 * i);
	}
	assert_int_equal(periph, VPL011_PERIPHID);
	assert_int_equal(cell, 0xb105f00d);
	assert_int_equal(periph & 0x000fffff, 0x00041011);
	assert_int_equal((periph >> 20) & 0xf, 3);
	assert_int_equal(rd_sized(PL011_PCELLID3, 1), 0xb1);
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
	assert_int_equal(rd(PL011_CR), 0x300);
	assert_int_equal(rd(PL011_IFLS), 0x12);
	assert_int_equal(rd(PL011_IMSC), 0);
	assert_int_equal(rd(PL011_RIS), PL011_INT_TX);
	assert_int_equal(rd(PL011_MIS), 0);
	assert_false(vpl011_irq(&u));
}

/* earlycon: polls FR for TXFF, writes DR (a byte with iotype UPIO_MEM), polls FR for BUSY. */
static void test_earlycon_output(void **state)
{
	const char *msg = "Booting Linux\n";

	for (const char *p = msg; *p; p++) {
		assert_false(rd(PL011_FR) & PL011_FR_TXFF);
		assert_int_equal(wr_sized(PL011_DR, (u8)*p, 1).tx, *p);
		assert_false(rd(PL011_FR) & PL011_FR_BUSY);
	}
	assert_int_equal(wr(PL011_DR, 0x141).tx, 0x41); /* only the data byte goes out */
}

/* The driver's default accesses are 16-bit (readw/writew) at the register offsets. */
static void test_access_sizes(void **state)
{
	struct mmio_access a = { .offset = PL011_CR, .size = 8 };
	struct vpl011_effect fx;

	wr_sized(PL011_IBRD, 0x1234, 2);
	assert_int_equal(rd_sized(PL011_IBRD, 2), 0x1234);
	wr_sized(PL011_IBRD + 1, 0x56, 1);
	assert_int_equal(rd(PL011_IBRD), 0x5634);
	assert_int_equal(rd_sized(PL011_IBRD + 1, 1), 0x56);
	assert_int_equal(wr_sized(PL011_DR + 1, 0x41, 1).tx, -1); /* not the data byte */

	assert_false(vpl011_access(&u, &a, &fx)); /* 64-bit */
	a = (struct mmio_access){ .offset = PL011_CR + 2, .size = 4 };
	assert_false(vpl011_access(&u, &a, &fx)); /* misaligned */
	a = (struct mmio_access){ .offset = PL011_CR + 1, .size = 2 };
	assert_false(vpl011_access(&u, &a, &fx));
}

static void test_stored_registers(void **state)
{
	wr(PL011_IBRD, 0xffffffff);
	wr(PL011_FBRD, 0xffffffff);
	wr(PL011_LCR_H, 0xffffffff);
	wr(PL011_IFLS, 0xffffffff);
	wr(PL011_DMACR, 0xffffffff);
	assert_int_equal(rd(PL011_IBRD), 0xffff);
	assert_int_equal(rd(PL011_FBRD), 0x3f);
	assert_int_equal(rd(PL011_LCR_H), 0xff);
	assert_int_equal(rd(PL011_IFLS), 0x3f);
	assert_int_equal(rd(PL011_DMACR), 0x7);
	assert_true(wr(PL011_CR, 0xffffffff).output_idle);
	assert_int_equal(rd(PL011_CR), 0xffff);
	assert_true(wr(PL011_IMSC, 0xffffffff).output_idle);
	assert_int_equal(rd(PL011_IMSC), 0x7ff);
	/* Read-only, write-only, test and reserved words */
	wr(PL011_FR, 0);
	wr(PL011_RIS, 0);
	assert_int_equal(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
	assert_int_equal(rd(PL011_ICR), 0);
	assert_int_equal(rd(PL011_RSR), 0);
	wr(0x80, 1);
	assert_int_equal(rd(0x80), 0);
	assert_int_equal(rd(0x800), 0);
}

/*
 * pl011_start_tx_pio: pl011_tx_chars writes while FR.TXFF is clear, then either stops
 * (IMSC without TXIM) or sets TXIM and waits for TXIS. pl011_int never clears TXIS through
 * ICR. Whenever TXIM is set, the interrupt must be pending, or the TTY stalls.
 */
static void test_tx_interrupt_never_stalls(void **state)
{
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	assert_false(vpl011_irq(&u));
	wr(PL011_DR, 'x');
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT | PL011_INT_TX);
	assert_true(vpl011_irq(&u));
	assert_int_equal(rd(PL011_MIS), PL011_INT_TX);
	/* pl011_int: ICR with status & ~(TXIS | RTIS | RXIS), then pl011_tx_chars */
	wr(PL011_ICR, rd(PL011_MIS) & ~(u32)(PL011_INT_TX | PL011_INT_RT | PL011_INT_RX));
	assert_true(vpl011_irq(&u));
	/* pl011_stop_tx once the TTY is empty */
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	assert_false(vpl011_irq(&u));
}

/* A guest that clears TXIS through ICR gets it again once it writes more. */
static void test_tx_interrupt_cleared_by_icr(void **state)
{
	wr(PL011_IMSC, PL011_INT_TX);
	assert_true(vpl011_irq(&u));
	wr(PL011_ICR, PL011_INT_TX);
	assert_false(vpl011_irq(&u));
	assert_int_equal(rd(PL011_RIS), 0);
	wr(PL011_DR, 'y');
	assert_true(vpl011_irq(&u));
}

/* pl011_fifo_to_tty: reads DR while FR.RXFE is clear; RTIS/RXIS raise the interrupt. */
static void test_receive(void **state)
{
	wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	vpl011_receive(&u, 'l');
	vpl011_receive(&u, 's');
	assert_true(vpl011_irq(&u));
	assert_int_equal(rd(PL011_MIS), PL011_INT_RT | PL011_INT_RX); /* FEN clear: trigger 1 */
	assert_false(rd(PL011_FR) & PL011_FR_RXFE);
	assert_int_equal(rd(PL011_DR), 'l');
	assert_true(vpl011_irq(&u));
	assert_int_equal(rd_sized(PL011_DR, 2), 's');
	assert_true(rd(PL011_FR) & PL011_FR_RXFE);
	assert_false(vpl011_irq(&u));
	assert_int_equal(rd(PL011_RIS), PL011_INT_TX);
	assert_int_equal(rd(PL011_DR), 0); /* empty */
}

/* With FIFOs on and IFLS RX at 1/2, RXIS comes at 16 characters, RTIS at the first. */
static void test_receive_trigger_level(void **state)
{
	wr(PL011_LCR_H, PL011_LCR_H_FEN);
	wr(PL011_IFLS, 0x12);
	for (unsigned i = 0; i < 15; i++)
		vpl011_receive(&u, (u8)('a' + i));
	assert_int_equal(rd(PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), PL011_INT_RT);
	vpl011_receive(&u, 'p');
	assert_true(rd(PL011_RIS) & PL011_INT_RX);
	rd(PL011_DR);
	assert_false(rd(PL011_RIS) & PL011_INT_RX);
	assert_true(rd(PL011_RIS) & PL011_INT_RT);
	/* pl011_enable_interrupts: clear RTIS and RXIS, drain, unmask */
	wr(PL011_ICR, PL011_INT_RT | PL011_INT_RX);
	assert_int_equal(rd(PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), 0);
	for (unsigned i = 0; i < 15; i++)
		assert_int_equal(rd(PL011_DR), 'b' + i);
	assert_true(rd(PL011_FR) & PL011_FR_RXFE);
}

static void test_receive_fifo_full(void **state)
{
	for (unsigned i = 0; i < VUART_RX_FIFO; i++) {
		assert_false(rd(PL011_FR) & PL011_FR_RXFF);
		vpl011_receive(&u, (u8)i);
	}
	assert_true(rd(PL011_FR) & PL011_FR_RXFF);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(rd(PL011_DR), i);
	assert_false(rd(PL011_FR) & PL011_FR_RXFF);
	for (unsigned i = VUART_RX_FIFO; i < 80; i++)
		vpl011_receive(&u, (u8)i);
	assert_true(rd(PL011_FR) & PL011_FR_RXFF);
	assert_int_equal(u.rx_count, VUART_RX_FIFO);
	/* The FIFO refills from the backlog as the guest reads, in order. */
	for (unsigned i = 3; i < 80; i++) {
		assert_int_equal(rd(PL011_DR), i);
		assert_int_equal(u.rx_count, MIN(80 - i - 1, VUART_RX_FIFO));
	}
	assert_true(rd(PL011_FR) & PL011_FR_RXFE);
	assert_int_equal(rd(PL011_RIS) & PL011_INT_RT, 0);
	vpl011_receive(&u, 'z'); /* both rings wrapped */
	assert_int_equal(rd(PL011_DR), 'z');
}

/* A paste longer than the FIFO and the backlog loses only what exceeds both. */
static void test_receive_backlog_full(void **state)
{
	for (unsigned i = 0; i < VUART_RX_FIFO + VUART_RX_BACKLOG + 10; i++)
		vpl011_receive(&u, (u8)(i % 251));
	for (unsigned i = 0; i < VUART_RX_FIFO + VUART_RX_BACKLOG; i++)
		assert_int_equal(rd(PL011_DR), i % 251);
	assert_true(rd(PL011_FR) & PL011_FR_RXFE);
}

/* With the FIFO at its trigger level and more held back, reads keep RXIS raised. */
static void test_receive_backlog_keeps_interrupt(void **state)
{
	wr(PL011_LCR_H, PL011_LCR_H_FEN);
	wr(PL011_IMSC, PL011_INT_RX);
	for (unsigned i = 0; i < VUART_RX_FIFO + 4; i++)
		vpl011_receive(&u, 'a');
	for (unsigned i = 0; i < 4; i++) {
		rd(PL011_DR);
		assert_true(vpl011_irq(&u));
	}
	rd(PL011_DR); /* 31 left, above the 1/2 level: the refill is over */
	assert_int_equal(u.backlog_count, 0);
	assert_true(vpl011_irq(&u));
}

static void test_reset_clears_state(void **state)
{
	wr(PL011_IMSC, PL011_INT_RT);
	vpl011_receive(&u, 'q');
	assert_true(vpl011_irq(&u));
	for (unsigned i = 0; i < VUART_RX_FIFO + 5; i++)
		vpl011_receive(&u, 'q');
	vpl011_reset(&u);
	assert_false(vpl011_irq(&u));
	assert_true(rd(PL011_FR) & PL011_FR_RXFE);
	assert_int_equal(u.backlog_count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_amba_ids, setup),
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_earlycon_output, setup),
		cmocka_unit_test_setup(test_access_sizes, setup),
		cmocka_unit_test_setup(test_stored_registers, setup),
		cmocka_unit_test_setup(test_tx_interrupt_never_stalls, setup),
		cmocka_unit_test_setup(test_tx_interrupt_cleared_by_icr, setup),
		cmocka_unit_test_setup(test_receive, setup),
		cmocka_unit_test_setup(test_receive_trigger_level, setup),
		cmocka_unit_test_setup(test_receive_fifo_full, setup),
		cmocka_unit_test_setup(test_receive_backlog_full, setup),
		cmocka_unit_test_setup(test_receive_backlog_keeps_interrupt, setup),
		cmocka_unit_test_setup(test_reset_clears_state, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
