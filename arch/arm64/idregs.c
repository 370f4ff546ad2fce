#include "arch/idregs.h"

#include "arch/guest_regs.h"
#include "arch/sysreg.h"

/*
 * Features hidden from guests: each needs EL2 state Portcullis does not switch or enable
 * (SVE/SME register files, MTE tags, AMU, MPAM, statistical profiling, trace, branch
 * records, GCS, NMI, FPMR, LS64, MOPS (HCRX_EL2 enables), TCR2/permission indirection).
 * Field positions: Arm ARM D19.2 ID_AA64*_EL1.
 */
struct idreg {
	u64 sys_id;
	u64 hide; /* fields read as 0 */
};

#define ID_AA64PFR0 SYS_ID(3, 0, 0, 4, 0)
#define ID_AA64PFR1 SYS_ID(3, 0, 0, 4, 1)
#define ID_AA64PFR2 SYS_ID(3, 0, 0, 4, 2)
#define ID_AA64ZFR0 SYS_ID(3, 0, 0, 4, 4)
#define ID_AA64SMFR0 SYS_ID(3, 0, 0, 4, 5)
#define ID_AA64DFR0 SYS_ID(3, 0, 0, 5, 0)
#define ID_AA64ISAR1 SYS_ID(3, 0, 0, 6, 1)
#define ID_AA64ISAR2 SYS_ID(3, 0, 0, 6, 2)
#define ID_AA64MMFR3 SYS_ID(3, 0, 0, 7, 3)

static const struct idreg hidden[] = {
	{ ID_AA64PFR0, GENMASK(35, 32) /* SVE */ | GENMASK(43, 40) /* MPAM */ |
		       GENMASK(47, 44) /* AMU */ | GENMASK(55, 52) /* RME */ },
	{ ID_AA64PFR1, GENMASK(11, 8) /* MTE */ | GENMASK(27, 24) /* SME */ |
		       GENMASK(35, 32) /* MTE_frac */ | GENMASK(39, 36) /* NMI */ |
		       GENMASK(47, 44) /* GCS */ | GENMASK(51, 48) /* THE */ |
		       GENMASK(55, 52) /* MTEX */ | GENMASK(19, 16) /* MPAM_frac */ },
	{ ID_AA64PFR2, ~0ULL /* MTE variants, FPMR */ },
	{ ID_AA64ZFR0, ~0ULL },
	{ ID_AA64SMFR0, ~0ULL },
	{ ID_AA64DFR0, GENMASK(35, 32) /* PMSVer */ | GENMASK(43, 40) /* TraceFilt */ |
		       GENMASK(47, 44) /* TraceBuffer */ | GENMASK(55, 52) /* BRBE */ |
		       GENMASK(7, 4) /* TraceVer */ },
	{ ID_AA64ISAR1, GENMASK(63, 60) /* LS64 */ },
	{ ID_AA64ISAR2, GENMASK(19, 16) /* MOPS */ },
	{ ID_AA64MMFR3, ~0ULL /* TCRX, SCTLRX, S1PIE, S1POE, ... */ },
};

/* Read the ID register with this identity (op0=3, op1=0, CRn=0, CRm 0..7, op2 0..7). */
static u64 read_id(unsigned crm, unsigned op2)
{
#define ID_CASE(m, o) case (m) * 8 + (o): return read_sysreg(S3_0_C0_C##m##_##o)
#define ID_ROW(m) ID_CASE(m, 0); ID_CASE(m, 1); ID_CASE(m, 2); ID_CASE(m, 3); \
	ID_CASE(m, 4); ID_CASE(m, 5); ID_CASE(m, 6); ID_CASE(m, 7)
	switch (crm * 8 + op2) {
	ID_ROW(1);
	ID_ROW(2);
	ID_ROW(3);
	ID_ROW(4);
	ID_ROW(5);
	ID_ROW(6);
	ID_ROW(7);
	default: return 0;
	}
#undef ID_ROW
#undef ID_CASE
}

bool idreg_guest_value(u64 sys_id, u64 *value)
{
	unsigned crm = FIELD_GET(ISS_SYS_CRM, sys_id), op2 = FIELD_GET(ISS_SYS_OP2, sys_id);

	/* The TID3 group: op0 3, op1 0, CRn 0, CRm 1..7 (D1.13.x, HCR_EL2.TID3). */
	if ((sys_id & ~(ISS_SYS_CRM | ISS_SYS_OP2)) != SYS_ID(3, 0, 0, 0, 0) || crm < 1)
		return false;
	*value = read_id(crm, op2);
	for (unsigned i = 0; i < ARRAY_SIZE(hidden); i++)
		if (hidden[i].sys_id == sys_id)
			*value &= ~hidden[i].hide;
	return true;
}
