/* AArch64 system registers and their fields, as used at EL2 (Arm ARM D19, "AArch64 System
 * Register Descriptions"). Field names carry their register's name as prefix. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include "core/lib/bits.h"

/* CurrentEL (C5.2.1) */
#define CURRENTEL_EL_MASK GENMASK(3, 2)
#define CURRENTEL_EL2 (U(2) << 2)

/* SCTLR_EL2 with HCR_EL2.E2H == 0 (D19.2.118) */
#define SCTLR_EL2_M BIT(0)
#define SCTLR_EL2_A BIT(1)
#define SCTLR_EL2_C BIT(2)
#define SCTLR_EL2_SA BIT(3)
#define SCTLR_EL2_I BIT(12)
#define SCTLR_EL2_WXN BIT(19)
#define SCTLR_EL2_EE BIT(25)
#define SCTLR_EL2_RES1 (BIT(4) | BIT(5) | BIT(11) | BIT(16) | BIT(18) | BIT(22) | BIT(23) | \
			BIT(28) | BIT(29))

/* TCR_EL2 with HCR_EL2.E2H == 0 (D19.2.139) */
#define TCR_EL2_T0SZ GENMASK(5, 0)
#define TCR_EL2_IRGN0 GENMASK(9, 8)
#define TCR_EL2_ORGN0 GENMASK(11, 10)
#define TCR_EL2_SH0 GENMASK(13, 12)
#define TCR_EL2_TG0 GENMASK(15, 14)
#define TCR_EL2_PS GENMASK(18, 16)
#define TCR_EL2_RES1 (BIT(23) | BIT(31))
#define TCR_RGN_WBWA U(1)
#define TCR_SH_INNER U(3)
#define TCR_TG0_4K U(0)

/* MAIR attribute encodings (D19.2.97); index assignment is in mmu.h */
#define MAIR_ATTR_NORMAL_WB ULL(0xff)
#define MAIR_ATTR_DEVICE_nGnRE ULL(0x04)
#define MAIR_ATTR_DEVICE_nGnRnE ULL(0x00)
#define MAIR_ATTR_NORMAL_NC ULL(0x44)

/* CTR_EL0 (D19.2.34) */
#define CTR_EL0_DMINLINE GENMASK(19, 16)

/* ID_AA64MMFR0_EL1 (D19.2.64) */
#define ID_AA64MMFR0_PARANGE GENMASK(3, 0)
#define ID_AA64MMFR0_TGRAN16 GENMASK(23, 20)
#define ID_AA64MMFR0_TGRAN64 GENMASK(27, 24)
#define ID_AA64MMFR0_TGRAN4 GENMASK(31, 28)

/* MPIDR_EL1 (D19.2.101) */
#define MPIDR_AFF_MASK (GENMASK(23, 0) | GENMASK(39, 32))

/* ESR_ELx (D19.2.40) */
#define ESR_EC GENMASK(31, 26)
#define ESR_IL BIT(25)
#define ESR_ISS GENMASK(24, 0)

/* HCR_EL2 (D19.2.48) */
#define HCR_EL2_FMO BIT(3)
#define HCR_EL2_IMO BIT(4)
#define HCR_EL2_AMO BIT(5)
#define HCR_EL2_RW BIT(31)

/* CPTR_EL2 with E2H == 0 (D19.2.31) */
#define CPTR_EL2_RES1 (GENMASK(7, 0) | BIT(9) | GENMASK(13, 12))
#define CPTR_EL2_TFP BIT(10)

/* DAIF bits as used by msr daifset/daifclr immediates */
#define DAIF_IRQ U(2)
#define DAIF_ALL U(0xf)

#ifndef __ASSEMBLER__
/* read_sysreg(name) and write_sysreg(name, value), name being the register's assembler
 * name (esr_el2): the instruction itself on arm64, a register file in memory on the host. */
#include <arch_impl/sysreg.h>
#endif

#endif
