/*
 * SMMUv3 registers and in-memory formats, from the Arm System Memory Management Unit
 * Architecture Specification, SMMU architecture version 3 (Arm IHI 0070). Sections cited are
 * those of the specification: chapter 4 commands, chapter 5 data structures, chapter 6
 * registers, chapter 7 errors and events.
 *
 * Registers: ARM_SMMU_<register> is the offset, followed by its fields as masks and their
 * named values. In-memory entries are arrays of little-endian u64 words, each kind wrapped in
 * its own struct so that one cannot be passed for another; <KIND>_<word>_<FIELD> is a mask
 * within word <word> (FIELD_PREP/FIELD_GET, core/lib/bits.h).
 */
#ifndef IOMMU_SMMUV3_REGS_H
#define IOMMU_SMMUV3_REGS_H

#include "core/lib/bits.h"
#include "core/lib/types.h"

/* ---- Registers (6.3). Page 0 at the base, page 1 at base + 64 KiB. ---- */
#define ARM_SMMU_PAGE1 SZ_64K

#define ARM_SMMU_IDR0 U(0x0)
#define IDR0_S2P BIT(0)
#define IDR0_S1P BIT(1)
#define IDR0_TTF GENMASK(3, 2)
#define IDR0_TTF_AARCH64 U(2)
#define IDR0_TTF_BOTH U(3)
#define IDR0_COHACC BIT(4)
#define IDR0_BTM BIT(5)
#define IDR0_HYP BIT(9)
#define IDR0_ATS BIT(10)
#define IDR0_ASID16 BIT(12)
#define IDR0_MSI BIT(13)
#define IDR0_SEV BIT(14)
#define IDR0_PRI BIT(16)
#define IDR0_VMID16 BIT(18)
#define IDR0_TTENDIAN GENMASK(22, 21)
#define IDR0_TTENDIAN_MIXED U(0)
#define IDR0_TTENDIAN_LE U(2)
#define IDR0_STALL_MODEL GENMASK(25, 24)
#define IDR0_STALL_MODEL_TERM U(1)  /* terminate only */
#define IDR0_STALL_MODEL_STALL U(2) /* stall forced */
#define IDR0_ST_LEVEL GENMASK(28, 27)
#define IDR0_ST_LEVEL_2LVL U(1)

#define ARM_SMMU_IDR1 U(0x4)
#define IDR1_SIDSIZE GENMASK(5, 0)
#define IDR1_SSIDSIZE GENMASK(10, 6)
#define IDR1_PRIQS GENMASK(15, 11)
#define IDR1_EVENTQS GENMASK(20, 16)
#define IDR1_CMDQS GENMASK(25, 21)
#define IDR1_QUEUES_PRESET BIT(29)
#define IDR1_TABLES_PRESET BIT(30)

#define ARM_SMMU_IDR2 U(0x8)

#define ARM_SMMU_IDR3 U(0xc)
#define IDR3_RIL BIT(10)

#define ARM_SMMU_IDR4 U(0x10) /* IMPLEMENTATION DEFINED */

#define ARM_SMMU_IDR5 U(0x14)
#define IDR5_OAS GENMASK(2, 0) /* 0..6: 32, 36, 40, 42, 44, 48, 52 bits */
#define IDR5_GRAN4K BIT(4)
#define IDR5_GRAN16K BIT(5)
#define IDR5_GRAN64K BIT(6)

#define ARM_SMMU_AIDR U(0x1c)
#define AIDR_MINOR GENMASK(3, 0) /* SMMUv3.<minor> */

#define ARM_SMMU_CR0 U(0x20)
#define CR0_SMMUEN BIT(0)
#define CR0_PRIQEN BIT(1)
#define CR0_EVENTQEN BIT(2)
#define CR0_CMDQEN BIT(3)
#define CR0_ATSCHK BIT(4)

#define ARM_SMMU_CR0ACK U(0x24)

/* CR1 cacheability uses its own encoding, not the TCR one. */
#define ARM_SMMU_CR1 U(0x28)
#define CR1_QUEUE_IC GENMASK(1, 0)
#define CR1_QUEUE_OC GENMASK(3, 2)
#define CR1_QUEUE_SH GENMASK(5, 4)
#define CR1_TABLE_IC GENMASK(7, 6)
#define CR1_TABLE_OC GENMASK(9, 8)
#define CR1_TABLE_SH GENMASK(11, 10)
#define CR1_CACHE_NC U(0)
#define CR1_CACHE_WB U(1) /* write-back cacheable */

#define ARM_SMMU_CR2 U(0x2c)
#define CR2_RECINVSID BIT(1) /* record C_BAD_STREAMID for out-of-range StreamIDs */
#define CR2_PTM BIT(2)       /* private TLB maintenance: ignore broadcast TLBI */


#define ARM_SMMU_GBPA U(0x44)
#define GBPA_ABORT BIT(20)
#define GBPA_UPDATE BIT(31)

#define ARM_SMMU_IRQ_CTRL U(0x50)
#define IRQ_CTRL_GERROR_IRQEN BIT(0)
#define IRQ_CTRL_PRIQ_IRQEN BIT(1)
#define IRQ_CTRL_EVENTQ_IRQEN BIT(2)

#define ARM_SMMU_IRQ_CTRLACK U(0x54)

/* GERROR and GERRORN: an error is active while the two bits differ (7.5). */
#define ARM_SMMU_GERROR U(0x60)
#define GERROR_CMDQ_ERR BIT(0)
#define GERROR_EVENTQ_ABT_ERR BIT(2)
#define GERROR_PRIQ_ABT_ERR BIT(3)
#define GERROR_MSI_CMDQ_ABT_ERR BIT(4)
#define GERROR_MSI_EVENTQ_ABT_ERR BIT(5)
#define GERROR_MSI_PRIQ_ABT_ERR BIT(6)
#define GERROR_MSI_GERROR_ABT_ERR BIT(7)
#define GERROR_SFM_ERR BIT(8)
#define GERROR_CMDQP_ERR BIT(9)
#define GERROR_ALL GENMASK(9, 0)

#define ARM_SMMU_GERRORN U(0x64)
/* MSI configuration; ADDR == 0 sends no MSI (6.3, *_IRQ_CFG0). */
#define ARM_SMMU_GERROR_IRQ_CFG0 U(0x68)

#define ARM_SMMU_STRTAB_BASE U(0x80)
#define STRTAB_BASE_ADDR GENMASK(51, 6)
#define STRTAB_BASE_RA BIT(62)

#define ARM_SMMU_STRTAB_BASE_CFG U(0x88)
#define STRTAB_BASE_CFG_LOG2SIZE GENMASK(5, 0)
#define STRTAB_BASE_CFG_SPLIT GENMASK(10, 6)
#define STRTAB_BASE_CFG_FMT GENMASK(17, 16)
#define STRTAB_BASE_CFG_FMT_LINEAR U(0)
#define STRTAB_BASE_CFG_FMT_2LVL U(1)

/* Queue base registers share a layout: LOG2SIZE (entries), ADDR, read/write-allocate hint. */
#define Q_BASE_LOG2SIZE GENMASK(4, 0)
#define Q_BASE_ADDR GENMASK(51, 5)
#define Q_BASE_RWA BIT(62)
/* PROD and CONS: index plus wrap bit (bit LOG2SIZE) in the low 20 bits (3.5). */
#define Q_OVF BIT(31) /* EVENTQ/PRIQ_PROD.OVFLG, *_CONS.OVACKFLG */

#define ARM_SMMU_CMDQ_BASE U(0x90)
#define ARM_SMMU_CMDQ_PROD U(0x98)
#define ARM_SMMU_CMDQ_CONS U(0x9c)
#define CMDQ_CONS_ERR GENMASK(30, 24)
#define CMDQ_CERROR_ILL U(1)
#define CMDQ_CERROR_ABT U(2)
#define CMDQ_CERROR_ATC_INV_SYNC U(3)

#define ARM_SMMU_EVENTQ_BASE U(0xa0)
#define ARM_SMMU_EVENTQ_PROD (ARM_SMMU_PAGE1 + U(0xa8))
#define ARM_SMMU_EVENTQ_CONS (ARM_SMMU_PAGE1 + U(0xac))
#define ARM_SMMU_EVENTQ_IRQ_CFG0 U(0xb0)

#define ARM_SMMU_PRIQ_BASE U(0xc0)
#define ARM_SMMU_PRIQ_PROD (ARM_SMMU_PAGE1 + U(0xc8))
#define ARM_SMMU_PRIQ_CONS (ARM_SMMU_PAGE1 + U(0xcc))
#define ARM_SMMU_PRIQ_IRQ_CFG0 U(0xd0)

/* Memory attribute encodings shared by STE and CD fields (5.2, 5.4). */
#define SMMU_RGN_NC U(0)   /* Normal non-cacheable */
#define SMMU_RGN_WBWA U(1) /* write-back, read- and write-allocate */
#define SMMU_SH_OSH U(2)
#define SMMU_SH_ISH U(3)
/* S2PS / IPS output sizes: the IDR5.OAS encoding. */
#define SMMU_PS_48 U(5)

/* ---- Level 1 Stream Table Descriptor (5.1) ---- */
#define L1STD_SPAN GENMASK(4, 0) /* 0: invalid; else the L2 table has 2^(SPAN-1) STEs */
#define L1STD_L2PTR GENMASK(51, 6)

/* ---- Stream Table Entry, 8 words (5.2) ---- */
#define STE_WORDS 8
struct smmu_ste { u64 data[STE_WORDS]; }; /* Stream Table Entry (5.2) */
#define STE_0_V BIT(0)
#define STE_0_CONFIG GENMASK(3, 1)
#define STE_CONFIG_ABORT U(0)  /* 0b000: terminate with abort, record nothing */
#define STE_CONFIG_BYPASS U(4) /* 0b100: both stages bypassed (never used) */
#define STE_CONFIG_S1 U(5)     /* 0b101: stage 1 translates, stage 2 bypass */
#define STE_CONFIG_S2 U(6)     /* 0b110: stage 1 bypass, stage 2 translates */
#define STE_CONFIG_NESTED U(7) /* 0b111: both stages translate */
#define STE_0_S1CTXPTR GENMASK(51, 6)

#define STE_1_S1CIR GENMASK(3, 2)
#define STE_1_S1COR GENMASK(5, 4)
#define STE_1_S1CSH GENMASK(7, 6)
#define STE_1_STRW GENMASK(31, 30)
#define STE_STRW_NSEL1 U(0)
#define STE_1_SHCFG GENMASK(45, 44)
#define STE_SHCFG_INCOMING U(1)

#define STE_2_S2VMID GENMASK(15, 0)
#define STE_2_S2T0SZ GENMASK(37, 32)
#define STE_2_S2SL0 GENMASK(39, 38)
#define STE_2_S2IR0 GENMASK(41, 40)
#define STE_2_S2OR0 GENMASK(43, 42)
#define STE_2_S2SH0 GENMASK(45, 44)
#define STE_2_S2TG GENMASK(47, 46)
#define STE_S2TG_4K U(0)
#define STE_2_S2PS GENMASK(50, 48)
#define STE_2_S2AA64 BIT(51)
#define STE_2_S2R BIT(58)

#define STE_3_S2TTB GENMASK(51, 4)

/* ---- Context Descriptor, 8 words (5.4) ---- */
#define CD_WORDS 8
struct smmu_cd { u64 data[CD_WORDS]; }; /* Context Descriptor (5.4) */
#define CD_0_T0SZ GENMASK(5, 0)
#define CD_0_TG0 GENMASK(7, 6)
#define CD_TG0_4K U(0)
#define CD_0_IR0 GENMASK(9, 8)
#define CD_0_OR0 GENMASK(11, 10)
#define CD_0_SH0 GENMASK(13, 12)
#define CD_0_EPD1 BIT(30)
#define CD_0_V BIT(31)
#define CD_0_IPS GENMASK(34, 32)
#define CD_0_AA64 BIT(41)
#define CD_0_R BIT(45)    /* record faults */
#define CD_0_A BIT(46)    /* abort (rather than RAZ/WI) faulting transactions */
#define CD_0_ASET BIT(47) /* ASID not shared with the PEs: no broadcast TLBI */
#define CD_0_ASID GENMASK(63, 48)
#define CD_1_TTB0 GENMASK(51, 4)
#define CD_3_MAIR GENMASK(63, 0)

/* ---- Commands, 2 words (chapter 4) ---- */
#define CMD_WORDS 2
struct smmu_cmd { u64 data[CMD_WORDS]; }; /* a command queue entry (chapter 4) */
#define CMD_0_OP GENMASK(7, 0)
#define CMD_OP_CFGI_STE U(0x03)
#define CMD_OP_CFGI_STE_RANGE U(0x04) /* CFGI_ALL is this with RANGE 31 */
#define CMD_OP_CFGI_CD U(0x05)
#define CMD_OP_CFGI_CD_ALL U(0x06)
#define CMD_OP_TLBI_NH_ALL U(0x10)
#define CMD_OP_TLBI_NH_ASID U(0x11)
#define CMD_OP_TLBI_NH_VA U(0x12)
#define CMD_OP_TLBI_EL2_ALL U(0x20)
#define CMD_OP_TLBI_S12_VMALL U(0x28)
#define CMD_OP_TLBI_S2_IPA U(0x2a)
#define CMD_OP_TLBI_NSNH_ALL U(0x30)
#define CMD_OP_PRI_RESP U(0x41)
#define CMD_OP_SYNC U(0x46)
#define CMD_OP_LIMIT U(0x47) /* above every opcode Portcullis issues */

/* CMD_CFGI_* (4.3) */
#define CMD_CFGI_0_SSID GENMASK(31, 12)
#define CMD_CFGI_0_SID GENMASK(63, 32)
#define CMD_CFGI_1_LEAF BIT(0)
#define CMD_CFGI_1_RANGE GENMASK(4, 0) /* CFGI_STE_RANGE: 2^(RANGE+1) StreamIDs */
#define CMD_CFGI_RANGE_ALL U(31)

/* CMD_TLBI_* (4.4) */
#define CMD_TLBI_0_NUM GENMASK(16, 12)
#define CMD_TLBI_0_SCALE GENMASK(24, 20)
#define CMD_TLBI_0_VMID GENMASK(47, 32)
#define CMD_TLBI_0_ASID GENMASK(63, 48)
#define CMD_TLBI_1_LEAF BIT(0)
#define CMD_TLBI_1_TG GENMASK(11, 10) /* 0: one address (no range); 1: 4 KiB granule */
#define CMD_TLBI_TG_4K U(1)
#define CMD_TLBI_1_VA GENMASK(63, 12)
#define CMD_TLBI_1_IPA GENMASK(51, 12)
#define CMD_TLBI_NUM_MAX U(31)
#define CMD_TLBI_SCALE_MAX U(31)

/* CMD_PRI_RESP (4.6) */
#define CMD_PRI_0_SSID GENMASK(31, 12)
#define CMD_PRI_0_SSV BIT(11)
#define CMD_PRI_0_SID GENMASK(63, 32)
#define CMD_PRI_1_GRPID GENMASK(8, 0)
#define CMD_PRI_1_RESP GENMASK(13, 12)
#define CMD_PRI_RESP_DENY U(0) /* PCIe "Invalid Request" */

/* CMD_SYNC (4.7) */
#define CMD_SYNC_0_CS GENMASK(13, 12)
#define CMD_SYNC_CS_NONE U(0)
#define CMD_SYNC_CS_SEV U(2)

/* ---- Event records, 4 words (7.3) ---- */
#define EVT_WORDS 4
struct smmu_evt { u64 data[EVT_WORDS]; }; /* an event queue record (7.3) */
#define EVT_0_TYPE GENMASK(7, 0)
#define EVT_0_SSV BIT(11)
#define EVT_0_SSID GENMASK(31, 12)
#define EVT_0_SID GENMASK(63, 32)
#define EVT_1_PNU BIT(33) /* privileged */
#define EVT_1_IND BIT(34) /* instruction fetch */
#define EVT_1_RNW BIT(35) /* 1: read, 0: write */
#define EVT_1_S2 BIT(39) /* the fault was at stage 2 */
#define EVT_1_CLASS GENMASK(41, 40)
#define EVT_CLASS_TT U(1) /* while walking translation tables */
#define EVT_CLASS_IN U(2) /* the input address itself */
#define EVT_2_INPUT_ADDR GENMASK(63, 0)
#define EVT_3_IPA GENMASK(51, 12)
#define EVT_3_FETCH_ADDR GENMASK(51, 3)

#define EVT_F_UUT U(0x01)
#define EVT_C_BAD_STREAMID U(0x02)
#define EVT_F_STE_FETCH U(0x03)
#define EVT_C_BAD_STE U(0x04)
#define EVT_F_BAD_ATS_TREQ U(0x05)
#define EVT_F_STREAM_DISABLED U(0x06)
#define EVT_F_TRANSL_FORBIDDEN U(0x07)
#define EVT_C_BAD_SUBSTREAMID U(0x08)
#define EVT_F_CD_FETCH U(0x09)
#define EVT_C_BAD_CD U(0x0a)
#define EVT_F_WALK_EABT U(0x0b)
#define EVT_F_TRANSLATION U(0x10)
#define EVT_F_ADDR_SIZE U(0x11)
#define EVT_F_ACCESS U(0x12)
#define EVT_F_PERMISSION U(0x13)
#define EVT_F_TLB_CONFLICT U(0x20)
#define EVT_F_CFG_CONFLICT U(0x21)
#define EVT_E_PAGE_REQUEST U(0x24)
#define EVT_F_VMS_FETCH U(0x25)
#define EVT_IMPDEF_FIRST U(0xe0)
#define EVT_IMPDEF_LAST U(0xef)

/* ---- PRI queue entries, 2 words (8.1) ---- */
#define PRIQ_WORDS 2
#define PRIQ_0_SID GENMASK(31, 0)
#define PRIQ_0_SSID GENMASK(51, 32)
#define PRIQ_0_LAST BIT(62)
#define PRIQ_0_SSV BIT(63)
#define PRIQ_1_GRPID GENMASK(8, 0)
#define PRIQ_1_ADDR GENMASK(63, 12)

#endif
