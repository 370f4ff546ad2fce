/*
 * The register model of the virtual PL011 (Arm DDI 0183): what a guest's read or write of
 * one register does to struct vuart. Pure, so it is tested on the host; core/dev/vuart.c adds the
 * lock, the interrupt line and the console. docs/console.md says what is emulated.
 */
#ifndef CORE_VPL011_H
#define CORE_VPL011_H

#include "core/dev/vuart.h"
#include "core/vm/emul.h"

/* PeriphID: part 0x011, designer 0x41 (Arm), revision 3 = r1p5, whose FIFOs have 32 entries
 * like VUART_RX_FIFO (DDI 0183 3.3.15); PCellID: the PrimeCell signature (3.3.16). */
#define VPL011_PERIPHID 0x00341011U
#define VPL011_PCELLID 0xb105f00dU

/* What an access did besides reading or writing registers. */
struct vpl011_effect {
	int tx;           /* the character written to UARTDR, or -1 */
	bool output_idle; /* UARTIMSC or UARTCR written: a burst of output has ended */
};

void vpl011_reset(struct vuart *u);
/* One guest access of 1, 2 or 4 bytes, naturally aligned. Returns false (the access is
 * refused) otherwise. */
bool vpl011_access(struct vuart *u, struct mmio_access *a, struct vpl011_effect *fx);
/* A character on the receive line: into the FIFO, or while it is full into the backlog,
 * from which reads of UARTDR refill it; dropped when both are full. */
void vpl011_receive(struct vuart *u, u8 c);
/* The level of the combined interrupt UARTINTR: any raw interrupt that is not masked. */
bool vpl011_irq(const struct vuart *u);

#endif
