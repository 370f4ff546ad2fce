/*
 * The guest-physical address map every VM sees, apart from its RAM and passed-through
 * devices (docs/config.md). It mirrors QEMU's virt machine so guests built for that machine
 * need no change; the config may not put RAM or MMIO over it.
 */
#ifndef CORE_GUEST_LAYOUT_H
#define CORE_GUEST_LAYOUT_H

#include "core/lib/bits.h"

#define GUEST_GICD_BASE ULL(0x08000000)
#define GUEST_GICD_SIZE ULL(0x10000)
#define GUEST_ITS_BASE ULL(0x08080000) /* ITS_base, then the translation frame */
#define GUEST_ITS_SIZE ULL(0x20000)
/* The page of its GITS_TRANSLATER, where devices write their MSIs: their translation maps it
 * to the physical ITS's (docs/msi.md); the CPUs' never does. */
#define GUEST_ITS_DOORBELL (GUEST_ITS_BASE + ULL(0x10000))
#define GUEST_GICR_BASE ULL(0x080a0000)
#define GUEST_GICR_STRIDE ULL(0x20000) /* one RD_base + SGI_base frame pair per vCPU */
#define GUEST_UART_BASE ULL(0x09000000)
#define GUEST_UART_SIZE ULL(0x1000)
/* Virtual devices (virtio-mmio) from here, one 0x200 slot each. */
#define GUEST_VIRTIO_BASE ULL(0x0a000000)
#define GUEST_VIRTIO_SIZE ULL(0x200)
/* As many slots as QEMU virt has (0x0a000000..0x0a003fff, INTIDs 48..79): no SPI in that
 * range may be forwarded from hardware, whichever slots are in use. */
#define GUEST_VIRTIO_SLOTS 32
/* Everything above is emulated and below this; guest RAM and MMIO must stay clear of it. */
#define GUEST_EMUL_START ULL(0x08000000)
#define GUEST_EMUL_END ULL(0x0b000000)

/* The guest's GIC has INTIDs 0..GUEST_NR_IRQS - 1: 32 private ones and 96 SPIs. */
#define GUEST_NR_IRQS 128
/* INTIDs of the emulated devices' interrupts (SPIs), as on QEMU virt. */
#define GUEST_UART_INTID 33
#define GUEST_VIRTIO_INTID_BASE 48
/* PPIs of the architected timer (arm,armv8-timer order: secure, physical, virtual, hyp). */
#define GUEST_TIMER_SEC_PPI 29
#define GUEST_TIMER_PHYS_PPI 30
#define GUEST_TIMER_VIRT_PPI 27
#define GUEST_TIMER_HYP_PPI 26
#define GUEST_GIC_MAINT_PPI 25

/* Intermediate physical address size of every VM's stage 2 (capped by PARange). */
#define GUEST_IPA_BITS 40

#endif
