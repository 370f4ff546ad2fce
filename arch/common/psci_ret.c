/* The names of PSCI return codes (Arm DEN0022, "Return error codes"). Portable: both
 * builds. */
#include "arch/psci.h"

const char *psci_ret_name(s64 ret)
{
	static const char *const names[] = {
		"SUCCESS", "NOT_SUPPORTED", "INVALID_PARAMETERS", "DENIED", "ALREADY_ON",
		"ON_PENDING", "INTERNAL_FAILURE", "NOT_PRESENT", "DISABLED", "INVALID_ADDRESS",
	};

	return (ret <= 0 && ret >= -9) ? names[-ret] : "unknown";
}
