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
#define GICD_TYPER_LPIS BIT(17)
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
#define GICR_CTLR_ENABLE_LPIS BIT(0)
#define GICR_CTLR_RWP BIT(3)
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_TYPER_PLPIS BIT(0)
#define GICR_TYPER_VLPIS BIT(1)
#define GICR_TYPER_LAST BIT(4)
#define GICR_TYPER_PROC_NUM GENMASK(23, 8)
#define GICR_TYPER_AFFINITY GENMASK(63, 32)
#define GICR_WAKER 0x0014
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define GICR_PENDBASER_PTZ BIT(62)
/* PROPBASER/PENDBASER/GITS_BASER/CBASER attribute fields (12.11.29, 12.11.30, 12.19.1) */
#define GIC_BASER_INNER_WB GENMASK(9, 7) /* 0b111: Inner Write-back, read/write-allocate */
#define GIC_BASER_SHARE_INNER BIT(10)    /* 0b01 in [11:10]: Inner Shareable */
#define GICR_PROPBASER_IDBITS GENMASK(4, 0)
#define GICR_PROPBASER_ADDR GENMASK(51, 12)
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

/* ITS (12.19), ITS_base frame; GITS_TRANSLATER is in the second 64 KiB frame. */
#define GITS_CTLR 0x0000
#define GITS_CTLR_ENABLED BIT(0)
#define GITS_CTLR_QUIESCENT BIT(31)
#define GITS_IIDR 0x0004
#define GITS_TYPER 0x0008
#define GITS_TYPER_ITT_ENTRY_SIZE GENMASK(7, 4) /* bytes - 1 */
#define GITS_TYPER_DEVBITS GENMASK(17, 13)      /* DeviceID bits - 1 */
#define GITS_TYPER_PTA BIT(19) /* target redistributors by address, not by number */
#define GITS_TYPER_PHYSICAL BIT(0)              /* physical LPIs */
#define GITS_TYPER_IDBITS GENMASK(12, 8)        /* EventID bits - 1 */
#define GITS_TYPER_HCC GENMASK(31, 24)          /* collections held without a table */
#define GITS_CBASER 0x0080
#define GITS_CBASER_VALID BIT(63)
#define GITS_CBASER_SIZE GENMASK(7, 0) /* 4 KiB pages - 1 */
#define GITS_CBASER_ADDR GENMASK(51, 12)
#define GITS_CBASER_INNER_WB GENMASK(61, 59)
#define GITS_CWRITER 0x0088
#define GITS_CREADR 0x0090
#define GITS_CREADR_STALLED BIT(0)
#define GITS_CQ_OFFSET GENMASK(19, 5)
#define GITS_BASER(n) (0x0100 + 8 * (n))
#define GITS_BASER_NR 8
#define GITS_BASER_VALID BIT(63)
#define GITS_BASER_INDIRECT BIT(62)
#define GITS_BASER_INNER_WB GENMASK(61, 59)
#define GITS_BASER_TYPE GENMASK(58, 56)
#define GITS_BASER_ENTRY_SIZE GENMASK(52, 48) /* bytes - 1 */
#define GITS_BASER_ADDR GENMASK(47, 12)
#define GITS_BASER_SHARE GENMASK(11, 10)
#define GITS_BASER_PAGE_SIZE GENMASK(9, 8) /* 0: 4 KiB, 1: 16 KiB, 2: 64 KiB */
#define GITS_BASER_SIZE GENMASK(7, 0)      /* pages - 1 */
#define GITS_BASER_TYPE_DEVICE 1
#define GITS_BASER_TYPE_COLLECTION 4
#define GITS_PIDR2 0xffe8
#define GITS_TRANSLATER 0x10040
#define GITS_TRANSLATION_FRAME 0x10000

/* ITS commands (5.3), 32 bytes each: the command number in bits [7:0] of the first word. */
#define ITS_CMD_MOVI 0x01
#define ITS_CMD_INT 0x03
#define ITS_CMD_CLEAR 0x04
#define ITS_CMD_SYNC 0x05
#define ITS_CMD_MAPD 0x08
#define ITS_CMD_MAPC 0x09
#define ITS_CMD_MAPTI 0x0a
#define ITS_CMD_MAPI 0x0b
#define ITS_CMD_INV 0x0c
#define ITS_CMD_INVALL 0x0d
#define ITS_CMD_MOVALL 0x0e
#define ITS_CMD_DISCARD 0x0f
#define ITS_CMD_NUMBER GENMASK(7, 0)     /* word 0 */
#define ITS_CMD_DEVICEID GENMASK(63, 32) /* word 0 */
#define ITS_CMD_EVENTID GENMASK(31, 0)   /* word 1 */
#define ITS_CMD_PINTID GENMASK(63, 32)   /* word 1, MAPTI */
#define ITS_CMD_SIZE GENMASK(4, 0)       /* word 1, MAPD: EventID bits - 1 */
#define ITS_CMD_ICID GENMASK(15, 0)      /* word 2 */
#define ITS_CMD_VALID BIT(63)    /* MAPD, MAPC: the mapping is made (0: removed) */
#define ITS_CMD_RDBASE GENMASK(51, 16)
#define ITS_CMD_ITT_ADDR GENMASK(51, 8)

/* An LPI's configuration byte (5.1.1): priority [7:2], enable bit 0. */
#define LPI_PROP_ENABLE BIT(0)

#endif
