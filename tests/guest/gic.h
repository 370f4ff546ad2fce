/*
 * The guest's GICv3, brought up as an OS does it (Arm IHI 0069): the distributor and this
 * vCPU's redistributor where every Portcullis VM has them (QEMU virt's addresses), the
 * system-register CPU interface, EOImode 0 (ICC_EOIR1_EL1 drops priority and deactivates).
 */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdint.h>

#define GICD_BASE 0x08000000ULL
#define GICD_CTLR 0x0000
#define GICD_CTLR_ENABLE_G1 (1U << 1)
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_DS (1U << 6)
#define GICD_CTLR_RWP (1U << 31)
#define GICD_IGROUPR(n) (0x0080 + 4 * (n))
#define GICD_ISENABLER(n) (0x0100 + 4 * (n))
#define GICD_ISPENDR(n) (0x0200 + 4 * (n))
#define GICD_IPRIORITYR(n) (0x0400 + (n))
#define GICD_IROUTER(n) (0x6000 + 8 * (n))

/* vCPU i's RD_base frame, and its SGI_base frame 64 KiB above. */
#define GICR_BASE(cpu) (0x080a0000ULL + 0x20000ULL * (cpu))
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_IPRIORITYR(n) (GICR_SGI + 0x0400 + (n))

#define ICC_SGI1R_TARGETS(list) ((uint64_t)(list) & 0xffff)
#define ICC_SGI1R_AFF1(a) ((uint64_t)(a) << 16)
#define ICC_SGI1R_INTID(n) ((uint64_t)(n) << 24)
#define ICC_SGI1R_IRM (1ULL << 40)

#define GIC_SPURIOUS 1020 /* INTIDs 1020..1023: nothing to acknowledge */
#define GIC_PRIO_DEFAULT 0xa0 /* what Linux uses */
#define GIC_TRACKED 64    /* INTIDs counted per vCPU in gic_seen */

typedef void (*gic_handler_t)(unsigned intid, unsigned cpu);

/* What each vCPU acknowledged: gic_seen[cpu][intid] for INTIDs below GIC_TRACKED, and
 * gic_stray[cpu] for any other below the LPIs or any without a handler. Written by that
 * vCPU only. */
extern volatile uint32_t gic_seen[][GIC_TRACKED];
extern volatile uint32_t gic_stray[];
/* LPIs (INTIDs from 8192) each vCPU acknowledged, whichever. */
#define GIC_LPI_BASE 8192
extern volatile uint32_t gic_lpis[];
/* The counter when this vCPU last acknowledged an LPI. */
extern volatile uint64_t gic_lpi_at[];

/* Once per VM: GICD_CTLR = ARE | EnableGrp1. Returns what GICD_CTLR reads afterwards. */
uint32_t gic_dist_init(void);
/* On each vCPU: wake its redistributor, enable the CPU interface, unmask IRQs. 0, or -1
 * if GICR_WAKER.ChildrenAsleep never cleared. */
int gic_cpu_init(void);
void gic_set_handler(unsigned intid, gic_handler_t fn);
/* An SGI or PPI of this vCPU: Group 1, default priority, enabled in its redistributor. */
void gic_enable_private(unsigned intid);
/* An SPI: Group 1, default priority, routed to affinity 0.0.0.aff0, enabled. */
void gic_enable_spi(unsigned intid, unsigned aff0);
void gic_route_spi(unsigned intid, unsigned aff0);
/* Is the SPI's bit set in GICD_ISENABLER / GICD_ISPENDR? */
int gic_spi_enabled(unsigned intid);
int gic_spi_pending(unsigned intid);
void gic_send_sgi(uint64_t sgi1r);

#endif
