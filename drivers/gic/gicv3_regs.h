/* GICv3 registers (Arm IHI 0069, chapter 12), prefixed by block. */
#ifndef DRIVERS_GIC_GICV3_REGS_H
#define DRIVERS_GIC_GICV3_REGS_H

#include "core/lib/bits.h"

/* Distributor (12.9) */
#define GICD_CTLR 0x0000
#define GICD_CTLR_ENABLE_G0 BIT(0)
#define GICD_CTLR_ENABLE_G1 BIT(1) /* EnableGrp1NS in the two-security-states NS view */
#define GICD_CTLR_ARE BIT(4)       /* ARE_NS, or ARE with a single security state */
#define GICD_CTLR_DS BIT(6)        /* single security state */
#define GICD_CTLR_RWP BIT(31)
#define GICD_TYPER 0x0004
#define GICD_TYPER_ITLINES GENMASK(4, 0)
#define GICD_TYPER_IDBITS GENMASK(23, 19)
#define GICD_TYPER_NO1N BIT(25)
#define GICD_IIDR 0x0008
#define GICD_IIDR_IMPLEMENTER GENMASK(11, 0)
#define GICD_IIDR_PRODUCT_ID GENMASK(31, 24)
#define GICD_IGROUPR(n) (0x0080 + 4 * (n))
#define GICD_ISENABLER(n) (0x0100 + 4 * (n))
#define GICD_ICENABLER(n) (0x0180 + 4 * (n))
#define GICD_ISPENDR(n) (0x0200 + 4 * (n))
#define GICD_ICPENDR(n) (0x0280 + 4 * (n))
#define GICD_ISACTIVER(n) (0x0300 + 4 * (n))
#define GICD_ICACTIVER(n) (0x0380 + 4 * (n))
#define GICD_IPRIORITYR(n) (0x0400 + (n))
#define GICD_ICFGR(n) (0x0c00 + 4 * (n))
#define GICD_ICFGR_EDGE 2 /* in each interrupt's two-bit field: edge-triggered */
#define GICD_IROUTER(n) (0x6000 + 8 * (n))
#define GICD_IROUTER_AFF0 GENMASK(7, 0)
#define GICD_IROUTER_AFF1 GENMASK(15, 8)
#define GICD_IROUTER_AFF2 GENMASK(23, 16)
#define GICD_IROUTER_IRM BIT(31)
#define GICD_IROUTER_AFF3 GENMASK(39, 32)
#define GICD_PIDR2 0xffe8
#define GIC_PIDR2_ARCH_REV GENMASK(7, 4) /* 3: GICv3 (GICD_PIDR2 and GICR_PIDR2) */

/* Redistributor, RD_base frame (12.11) */
#define GICR_CTLR 0x0000
#define GICR_CTLR_RWP BIT(3)
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_TYPER_VLPIS BIT(1)
#define GICR_TYPER_LAST BIT(4)
#define GICR_TYPER_PROC_NUM GENMASK(23, 8)
#define GICR_TYPER_AFFINITY GENMASK(63, 32)
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP BIT(2)
#define GICR_PIDR2 0xffe8
/* SGI_base frame, 64 KiB after RD_base */
#define GICR_SGI_OFFSET 0x10000
#define GICR_IGROUPR0 (GICR_SGI_OFFSET + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_OFFSET + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_OFFSET + 0x0180)
#define GICR_ICPENDR0 (GICR_SGI_OFFSET + 0x0280)
#define GICR_ICACTIVER0 (GICR_SGI_OFFSET + 0x0380)
#define GICR_IPRIORITYR(n) (GICR_SGI_OFFSET + 0x0400 + (n))
#define GICR_FRAME_SIZE_V3 0x20000
#define GICR_FRAME_SIZE_V4 0x40000

/* CPU interface system registers (12.2) */
#define ICC_SRE_EL2_SRE BIT(0)
#define ICC_SRE_EL2_DFB BIT(1)
#define ICC_SRE_EL2_DIB BIT(2)
#define ICC_SRE_EL2_ENABLE BIT(3)
#define ICC_IAR_INTID GENMASK(23, 0)
#define ICC_CTLR_EOIMODE BIT(1)
#define ICC_SGI1R_TARGETS GENMASK(15, 0)
#define ICC_SGI1R_AFF1 GENMASK(23, 16)
#define ICC_SGI1R_INTID GENMASK(27, 24)
#define ICC_SGI1R_AFF2 GENMASK(39, 32)
#define ICC_SGI1R_IRM BIT(40)
#define ICC_SGI1R_RS GENMASK(47, 44)
#define ICC_SGI1R_AFF3 GENMASK(55, 48)

#define GIC_PRIO_DEFAULT 0xa0
#define GIC_PRIO_MASK_NONE 0xff

#endif
