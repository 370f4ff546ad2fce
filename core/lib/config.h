/* Build-time limits of the hypervisor, shared with assembly. */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include "core/lib/bits.h"

#define MAX_CPUS 16
#define CPU_STACK_SIZE (4 * SZ_4K)
/* Each CPU's stack area: an unmapped guard page below the stack (arch/arm64/mmu.c). */
#define CPU_STACK_GUARD SZ_4K
#define CPU_STACK_STRIDE (CPU_STACK_GUARD + CPU_STACK_SIZE)
/* Separate stack for fatal exceptions, so a stack overflow can still be reported. */
#define CPU_EMERGENCY_STACK_SIZE SZ_4K

#endif
