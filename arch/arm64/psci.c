#include "arch/psci.h"

static enum psci_conduit conduit = PSCI_NONE;

void psci_set_conduit(enum psci_conduit c) { conduit = c; }

/* SMC Calling Convention (Arm DEN0028): function id in x0, arguments x1-x3, result x0. */
s64 psci_call(u32 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = a1;
	register u64 x2 __asm__("x2") = a2;
	register u64 x3 __asm__("x3") = a3;

	if (conduit == PSCI_SMC)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else if (conduit == PSCI_HVC)
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else
		return PSCI_RET_NOT_SUPPORTED;
	return (s64)x0;
}
