/*
 * The GICv3 virtual CPU interface control registers at EL2 (Arm IHI 0069, "ICH_*_EL2"
 * register descriptions in the programmers' model chapter), their fields, and accessors.
 * The accessors read and write the registers through read_sysreg/write_sysreg, so the host
 * build has them too, over arch/fake's register file.
 */
#ifndef ARCH_ICH_H
#define ARCH_ICH_H

#include "core/lib/bits.h"

/* ICH_HCR_EL2: Interrupt Controller Hyp Control Register */
#define ICH_HCR_EN BIT(0)      /* the virtual CPU interface signals interrupts */
#define ICH_HCR_UIE BIT(1)     /* maintenance interrupt when at most one LR is valid */

/* ICH_VTR_EL2: VGIC Type Register */
#define ICH_VTR_LISTREGS GENMASK(4, 0) /* number of list registers - 1 */
#define ICH_VTR_PREBITS GENMASK(28, 26) /* virtual preemption bits - 1 */

/* ICH_LR<n>_EL2: List Registers */
#define ICH_LR_VINTID GENMASK(31, 0)
#define ICH_LR_PINTID GENMASK(44, 32) /* HW == 1: the physical INTID to deactivate */
#define ICH_LR_EOI BIT(41)            /* HW == 0: maintenance interrupt on deactivation */
#define ICH_LR_PRIORITY GENMASK(55, 48)
#define ICH_LR_GROUP BIT(60) /* 1: Group 1 (virtual IRQ); 0: Group 0 (virtual FIQ) */
#define ICH_LR_HW BIT(61)
#define ICH_LR_STATE GENMASK(63, 62)
#define ICH_LR_PENDING BIT(62)
#define ICH_LR_ACTIVE BIT(63)

/* ICC_SRE_EL1 as the guest sees it: system-register interface only (no GICv2 legacy). */
#define ICC_SRE_EL1_SRE BIT(0)
#define ICC_SRE_EL1_DFB BIT(1)
#define ICC_SRE_EL1_DIB BIT(2)

#ifndef __ASSEMBLER__
#include "arch/sysreg.h"

/* Number of list registers this CPU implements. */
static inline unsigned ich_nr_lrs(void)
{
	return FIELD_GET(ICH_VTR_LISTREGS, read_sysreg(ich_vtr_el2)) + 1;
}

/* Number of ICH_AP0R<n>/ICH_AP1R<n> registers: one per 32 preemption levels (IHI 0069,
 * ICH_AP1R<n>_EL2: 5 bits -> n = 0, 6 bits -> n <= 1, 7 bits -> n <= 3). */
static inline unsigned ich_nr_aprs(void)
{
	unsigned bits = FIELD_GET(ICH_VTR_PREBITS, read_sysreg(ich_vtr_el2)) + 1;

	return bits >= 7 ? 4 : bits == 6 ? 2 : 1;
}

/* The register number is part of the instruction: one case per register. n is always
 * below ich_nr_lrs() / ich_nr_aprs() (other registers do not exist: UNDEFINED). */
static inline u64 ich_read_lr(unsigned n)
{
	switch (n) {
	case 0: return read_sysreg(ich_lr0_el2);
	case 1: return read_sysreg(ich_lr1_el2);
	case 2: return read_sysreg(ich_lr2_el2);
	case 3: return read_sysreg(ich_lr3_el2);
	case 4: return read_sysreg(ich_lr4_el2);
	case 5: return read_sysreg(ich_lr5_el2);
	case 6: return read_sysreg(ich_lr6_el2);
	case 7: return read_sysreg(ich_lr7_el2);
	case 8: return read_sysreg(ich_lr8_el2);
	case 9: return read_sysreg(ich_lr9_el2);
	case 10: return read_sysreg(ich_lr10_el2);
	case 11: return read_sysreg(ich_lr11_el2);
	case 12: return read_sysreg(ich_lr12_el2);
	case 13: return read_sysreg(ich_lr13_el2);
	case 14: return read_sysreg(ich_lr14_el2);
	case 15: return read_sysreg(ich_lr15_el2);
	}
	return 0;
}

static inline void ich_write_lr(unsigned n, u64 v)
{
	switch (n) {
	case 0: write_sysreg(ich_lr0_el2, v); break;
	case 1: write_sysreg(ich_lr1_el2, v); break;
	case 2: write_sysreg(ich_lr2_el2, v); break;
	case 3: write_sysreg(ich_lr3_el2, v); break;
	case 4: write_sysreg(ich_lr4_el2, v); break;
	case 5: write_sysreg(ich_lr5_el2, v); break;
	case 6: write_sysreg(ich_lr6_el2, v); break;
	case 7: write_sysreg(ich_lr7_el2, v); break;
	case 8: write_sysreg(ich_lr8_el2, v); break;
	case 9: write_sysreg(ich_lr9_el2, v); break;
	case 10: write_sysreg(ich_lr10_el2, v); break;
	case 11: write_sysreg(ich_lr11_el2, v); break;
	case 12: write_sysreg(ich_lr12_el2, v); break;
	case 13: write_sysreg(ich_lr13_el2, v); break;
	case 14: write_sysreg(ich_lr14_el2, v); break;
	case 15: write_sysreg(ich_lr15_el2, v); break;
	}
}

/* Active Priorities Registers, Group 0 (ICH_AP0R<n>_EL2) and Group 1 (ICH_AP1R<n>_EL2). */
static inline u32 ich_read_ap0r(unsigned n)
{
	switch (n) {
	case 0: return read_sysreg(ich_ap0r0_el2);
	case 1: return read_sysreg(ich_ap0r1_el2);
	case 2: return read_sysreg(ich_ap0r2_el2);
	case 3: return read_sysreg(ich_ap0r3_el2);
	}
	return 0;
}

static inline u32 ich_read_ap1r(unsigned n)
{
	switch (n) {
	case 0: return read_sysreg(ich_ap1r0_el2);
	case 1: return read_sysreg(ich_ap1r1_el2);
	case 2: return read_sysreg(ich_ap1r2_el2);
	case 3: return read_sysreg(ich_ap1r3_el2);
	}
	return 0;
}

static inline void ich_write_ap0r(unsigned n, u32 v)
{
	switch (n) {
	case 0: write_sysreg(ich_ap0r0_el2, v); break;
	case 1: write_sysreg(ich_ap0r1_el2, v); break;
	case 2: write_sysreg(ich_ap0r2_el2, v); break;
	case 3: write_sysreg(ich_ap0r3_el2, v); break;
	}
}

static inline void ich_write_ap1r(unsigned n, u32 v)
{
	switch (n) {
	case 0: write_sysreg(ich_ap1r0_el2, v); break;
	case 1: write_sysreg(ich_ap1r1_el2, v); break;
	case 2: write_sysreg(ich_ap1r2_el2, v); break;
	case 3: write_sysreg(ich_ap1r3_el2, v); break;
	}
}

#endif /* __ASSEMBLER__ */

#endif
