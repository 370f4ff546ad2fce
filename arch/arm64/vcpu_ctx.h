/* Moving a vCPU's EL1 state (system registers, FP/SIMD, virtual timer) between memory and
 * the physical CPU. Each physical CPU runs one vCPU, so this happens when the vCPU starts,
 * stops or is reset, not on every exit. */
#ifndef ARCH_ARM64_VCPU_CTX_H
#define ARCH_ARM64_VCPU_CTX_H

#include "core/vm.h"

void vcpu_ctx_load(const struct el1_ctx *c);
void vcpu_ctx_save(struct el1_ctx *c);
/* The architectural reset state of a vCPU's EL1 context (MMU and caches off). */
void vcpu_ctx_reset(struct el1_ctx *c, u64 vmpidr, u64 cntvoff);

void fpsimd_save(u64 *v, u64 *fpcr_fpsr);
void fpsimd_load(const u64 *v, const u64 *fpcr_fpsr);

#endif
