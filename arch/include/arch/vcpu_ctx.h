/* Moving a vCPU's EL1 state (system registers, FP/SIMD, virtual timer) between memory and
 * the physical CPU. Each physical CPU runs one vCPU, so this happens when the vCPU starts,
 * stops or is reset, not on every exit. */
#ifndef ARCH_VCPU_CTX_H
#define ARCH_VCPU_CTX_H

#include "core/lib/types.h"

/* The guest's general-purpose state, saved on every exit (arch/arm64/guest.S). */
struct vcpu_regs {
	u64 x[31];
	u64 pc;     /* ELR_EL2 */
	u64 pstate; /* SPSR_EL2 */
};

/* EL1 system registers and FP/SIMD, saved and restored when a vCPU leaves or takes its
 * physical CPU (arch/arm64/vcpu_ctx.c). */
struct el1_ctx {
	u64 sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
	u64 esr, far, afsr0, afsr1, par, elr, spsr, sp_el1, sp_el0;
	u64 tpidr_el0, tpidrro_el0, tpidr_el1, cpacr, cntkctl, mdscr, csselr;
	u64 cntv_ctl, cntv_cval, cntvoff;
	u64 vmpidr;
	u64 fpcr, fpsr;
	u64 v[64]; /* q0-q31 as pairs */
};

/* Why a vCPU left the guest. */
enum vcpu_exit { EXIT_SYNC, EXIT_IRQ, EXIT_FIQ, EXIT_SERROR };

struct vcpu;

/* Runs v's guest (its registers are v->regs, which core/vm/vm.h keeps first in struct
 * vcpu) until it exits; returns the enum vcpu_exit. */
u64 guest_enter(struct vcpu *v);

void vcpu_ctx_load(const struct el1_ctx *c);
void vcpu_ctx_save(struct el1_ctx *c);
/* The architectural reset state of a vCPU's EL1 context (MMU and caches off). */
void vcpu_ctx_reset(struct el1_ctx *c, u64 vmpidr, u64 cntvoff);

#endif
