/* arch/sysreg.h on the host: one register file in memory, which tests set and inspect
 * (fake_sysreg.esr_el2 = ...). It holds the registers code above arch/ names; a register
 * missing here fails the host build, so a new one is added where it is first used. */
#ifndef ARCH_IMPL_SYSREG_H
#define ARCH_IMPL_SYSREG_H

#include "core/lib/types.h"

struct fake_sysregs {
	/* the counter, the EL2 timer, the caches */
	u64 cntpct_el0, cntfrq_el0, cnthctl_el2, cnthp_ctl_el2, cnthp_cval_el2, ctr_el0;
	/* running a guest, and its traps */
	u64 hcr_el2, cptr_el2, vtcr_el2, vttbr_el2, esr_el2, far_el2, hpfar_el2;
	u64 id_aa64isar1_el1, elr_el1, spsr_el1, esr_el1, far_el1, vbar_el1;
	/* the exception level, the GIC's CPU interface */
	u64 currentel, icc_sre_el2, icc_pmr_el1, icc_bpr1_el1, icc_ctlr_el1, icc_igrpen1_el1;
	u64 icc_sgi1r_el1, icc_iar1_el1, icc_eoir1_el1, icc_dir_el1;
	/* the GIC's virtual CPU interface (arch/ich.h) */
	u64 icc_sre_el1, ich_hcr_el2, ich_vmcr_el2, ich_vtr_el2;
	u64 ich_lr0_el2, ich_lr1_el2, ich_lr2_el2, ich_lr3_el2, ich_lr4_el2, ich_lr5_el2;
	u64 ich_lr6_el2, ich_lr7_el2, ich_lr8_el2, ich_lr9_el2, ich_lr10_el2, ich_lr11_el2;
	u64 ich_lr12_el2, ich_lr13_el2, ich_lr14_el2, ich_lr15_el2;
	u64 ich_ap0r0_el2, ich_ap0r1_el2, ich_ap0r2_el2, ich_ap0r3_el2;
	u64 ich_ap1r0_el2, ich_ap1r1_el2, ich_ap1r2_el2, ich_ap1r3_el2;
};

extern struct fake_sysregs fake_sysreg;

#define read_sysreg(r) (fake_sysreg.r)
#define write_sysreg(r, v) ((void)(fake_sysreg.r = (u64)(v)))

#endif
