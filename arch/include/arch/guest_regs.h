/* EL2 controls for running a guest at EL1 (Arm ARM D19.2), and the trapped-instruction
 * syndromes Portcullis decodes. */
#ifndef ARCH_GUEST_REGS_H
#define ARCH_GUEST_REGS_H

#include "core/lib/bits.h"

/* HCR_EL2 (D19.2.48) */
#define HCR_VM BIT(0)
#define HCR_SWIO BIT(1)
#define HCR_FMO BIT(3)
#define HCR_IMO BIT(4)
#define HCR_AMO BIT(5)
#define HCR_FB BIT(9)
#define HCR_BSU_IS (ULL(1) << 10)
#define HCR_TSC BIT(19)
#define HCR_TIDCP BIT(20)
#define HCR_TACR BIT(21)
#define HCR_TSW BIT(22)
#define HCR_TID3 BIT(18)
#define HCR_RW BIT(31)
#define HCR_APK BIT(40)
#define HCR_API BIT(41)

/* CPTR_EL2 with E2H = 0 (D19.2.31) */
#define CPTR_TZ BIT(8)
#define CPTR_TFP BIT(10)
#define CPTR_TSM BIT(12)
#define CPTR_TAM BIT(30)
#define CPTR_RES1 (GENMASK(7, 0) | BIT(9) | BIT(13))

/* CNTHCTL_EL2 with E2H = 0 (D19.12.15) */
#define CNTHCTL_EL1PCTEN BIT(0)
#define CNTHCTL_EL1PCEN BIT(1)

/* SPSR for an exception taken to EL1 using SP_EL1, DAIF masked */
#define PSTATE_EL1H U(0x5)
#define PSTATE_EL1T U(0x4)
#define PSTATE_M GENMASK(3, 0)
#define PSTATE_DAIF (U(0xf) << 6)
#define PSTATE_GUEST_RESET (PSTATE_EL1H | PSTATE_DAIF)

/* Exception classes (ESR_ELx.EC, D19.2.40) */
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_SVE 0x19
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SME 0x1d

/* Data abort ISS (D19.2.40.x) */
#define ISS_DABT_ISV BIT(24)
#define ISS_DABT_SAS GENMASK(23, 22)
#define ISS_DABT_SSE BIT(21)
#define ISS_DABT_SRT GENMASK(20, 16)
#define ISS_DABT_SF BIT(15)
#define ISS_DABT_S1PTW BIT(7)
#define ISS_DABT_WNR BIT(6)
#define ISS_DABT_DFSC GENMASK(5, 0)
#define DFSC_SYNC_EXTERNAL 0x10

/* Trapped MSR/MRS ISS (D19.2.40.x, EC 0x18) */
#define ISS_SYS_OP0 GENMASK(21, 20)
#define ISS_SYS_OP2 GENMASK(19, 17)
#define ISS_SYS_OP1 GENMASK(16, 14)
#define ISS_SYS_CRN GENMASK(13, 10)
#define ISS_SYS_RT GENMASK(9, 5)
#define ISS_SYS_CRM GENMASK(4, 1)
#define ISS_SYS_READ BIT(0)
/* The register identity: everything but Rt and the direction */
#define ISS_SYS_ID_MASK (ISS_SYS_OP0 | ISS_SYS_OP2 | ISS_SYS_OP1 | ISS_SYS_CRN | ISS_SYS_CRM)
#define SYS_ID(op0, op1, crn, crm, op2)                                                  \
	(FIELD_PREP(ISS_SYS_OP0, op0) | FIELD_PREP(ISS_SYS_OP1, op1) |                    \
	 FIELD_PREP(ISS_SYS_CRN, crn) | FIELD_PREP(ISS_SYS_CRM, crm) |                    \
	 FIELD_PREP(ISS_SYS_OP2, op2))

/* HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4] (D19.2.50) */
#define HPFAR_FIPA GENMASK(43, 4)

#endif
