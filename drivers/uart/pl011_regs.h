/*
 * Arm PrimeCell UART (PL011) registers (Arm DDI 0183, 3.2 "Summary of registers" and 3.3
 * "Register descriptions"), shared by the driver of the hypervisor's UART
 * (drivers/uart/uart.c) and the virtual PL011 each VM sees (core/dev/vpl011.c).
 */
#ifndef DRIVERS_UART_PL011_REGS_H
#define DRIVERS_UART_PL011_REGS_H

#include "core/lib/bits.h"

/* 3.3.1 Data Register: written to transmit; a read takes a character and its error flags. */
#define PL011_DR 0x000
#define PL011_DR_DATA GENMASK(7, 0)
#define PL011_DR_FE BIT(8) /* framing error */
#define PL011_DR_PE BIT(9) /* parity error */
#define PL011_DR_BE BIT(10) /* break */
#define PL011_DR_OE BIT(11) /* overrun */
#define PL011_DR_ERRORS (PL011_DR_FE | PL011_DR_PE | PL011_DR_BE | PL011_DR_OE)

/* 3.3.2 Receive Status Register (read) / Error Clear Register (write). */
#define PL011_RSR 0x004

/* 3.3.3 Flag Register */
#define PL011_FR 0x018
#define PL011_FR_BUSY BIT(3)
#define PL011_FR_RXFE BIT(4)
#define PL011_FR_TXFF BIT(5)
#define PL011_FR_RXFF BIT(6)
#define PL011_FR_TXFE BIT(7)

/* 3.3.5, 3.3.6 Integer and Fractional Baud Rate Registers */
#define PL011_IBRD 0x024
#define PL011_IBRD_DIVINT GENMASK(15, 0)
#define PL011_FBRD 0x028
#define PL011_FBRD_DIVFRAC GENMASK(5, 0)

/* 3.3.7 Line Control Register */
#define PL011_LCR_H 0x02c
#define PL011_LCR_H_ALL GENMASK(7, 0)
#define PL011_LCR_H_FEN BIT(4) /* FIFOs enabled; clear: one-character holding registers */

/* 3.3.8 Control Register */
#define PL011_CR 0x030
#define PL011_CR_ALL GENMASK(15, 0)
#define PL011_CR_TXE BIT(8)
#define PL011_CR_RXE BIT(9)

/* 3.3.9 Interrupt FIFO Level Select Register: a trigger level in eighths of the FIFO. */
#define PL011_IFLS 0x034
#define PL011_IFLS_TXIFLSEL GENMASK(2, 0)
#define PL011_IFLS_RXIFLSEL GENMASK(5, 3)
#define PL011_IFLS_1_8 0
#define PL011_IFLS_1_4 1
#define PL011_IFLS_1_2 2
#define PL011_IFLS_3_4 3
#define PL011_IFLS_7_8 4

/* 3.3.10-3.3.13 Interrupt Mask Set/Clear, Raw and Masked Interrupt Status, Interrupt Clear:
 * one bit per interrupt, the same in the four registers. */
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_INT_RX BIT(4) /* receive FIFO at or above its trigger level */
#define PL011_INT_TX BIT(5) /* transmit FIFO at or below its trigger level */
#define PL011_INT_RT BIT(6) /* receive timeout: data waits, none arrived lately */
#define PL011_INT_ALL GENMASK(10, 0)

/* 3.3.14 DMA Control Register */
#define PL011_DMACR 0x048
#define PL011_DMACR_ALL GENMASK(2, 0)

/* 3.3.15, 3.3.16 Peripheral and PrimeCell identification: eight registers holding one byte
 * each, PeriphID0-3 then PCellID0-3. */
#define PL011_PERIPHID0 0xfe0
#define PL011_PCELLID3 0xffc

#endif
