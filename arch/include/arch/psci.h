/* PSCI calls to the firmware (Arm DEN0022, Power State Coordination Interface). */
#ifndef ARCH_PSCI_H
#define ARCH_PSCI_H

#include "core/platform/platform.h"

#define PSCI_0_2_FN_PSCI_VERSION 0x84000000U
#define PSCI_0_2_FN_CPU_OFF 0x84000002U
#define PSCI_0_2_FN64_CPU_ON 0xC4000003U
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008U
#define PSCI_0_2_FN_SYSTEM_RESET 0x84000009U

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED -1
#define PSCI_RET_INVALID_PARAMS -2
#define PSCI_RET_DENIED -3
#define PSCI_RET_ALREADY_ON -4
#define PSCI_RET_ON_PENDING -5
#define PSCI_RET_INTERNAL_FAILURE -6
#define PSCI_RET_NOT_PRESENT -7
#define PSCI_RET_DISABLED -8
#define PSCI_RET_INVALID_ADDRESS -9

void psci_set_conduit(enum psci_conduit c);
/* Returns the firmware's answer, or PSCI_RET_NOT_SUPPORTED without a conduit. */
s64 psci_call(u32 fn, u64 a1, u64 a2, u64 a3);
const char *psci_ret_name(s64 ret);

#endif
