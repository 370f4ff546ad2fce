/* arch/sysreg.h on arm64: MRS and MSR (Arm ARM C6.2, "MRS", "MSR (register)"). */
#ifndef ARCH_IMPL_SYSREG_H
#define ARCH_IMPL_SYSREG_H

#include "core/lib/types.h"

#define read_sysreg(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")

#endif
