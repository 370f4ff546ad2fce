/*
 * Entering a guest and leaving it (Arm ARM D1.10, exception entry and return).
 *
 * u64 guest_enter(struct vcpu *v): saves the hypervisor's callee-saved registers on its
 * stack, loads the guest's x0-x30, PC and PSTATE from v->regs and erets. Any exception from
 * the guest comes back through the lower-EL vectors (vectors.S -> guest_exit_*), which store
 * the guest registers into the vCPU whose pointer this CPU's struct cpu holds, and return
 * from guest_enter with the exit kind (enum vcpu_exit).
 */
#include "arch/arm64/asm.h"
#include "arch/arm64/cpu_offsets.h"

#define REGS_PC (31 * 8)
#define HOST_FRAME (12 * 8)

	.text
FUNC(guest_enter)
	sub	sp, sp, #HOST_FRAME
	stp	x19, x20, [sp, #16 * 0]
	stp	x21, x22, [sp, #16 * 1]
	stp	x23, x24, [sp, #16 * 2]
	stp	x25, x26, [sp, #16 * 3]
	stp	x27, x28, [sp, #16 * 4]
	stp	x29, x30, [sp, #16 * 5]
	mrs	x1, tpidr_el2
	str	x0, [x1, #CPU_GUEST_REGS]
	ldp	x2, x3, [x0, #REGS_PC]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [x0, #16 * 1]
	ldp	x4, x5, [x0, #16 * 2]
	ldp	x6, x7, [x0, #16 * 3]
	ldp	x8, x9, [x0, #16 * 4]
	ldp	x10, x11, [x0, #16 * 5]
	ldp	x12, x13, [x0, #16 * 6]
	ldp	x14, x15, [x0, #16 * 7]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x18, x19, [x0, #16 * 9]
	ldp	x20, x21, [x0, #16 * 10]
	ldp	x22, x23, [x0, #16 * 11]
	ldp	x24, x25, [x0, #16 * 12]
	ldp	x26, x27, [x0, #16 * 13]
	ldp	x28, x29, [x0, #16 * 14]
	ldr	x30, [x0, #16 * 15]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			/* no speculation past the eret */
	isb
ENDFUNC(guest_enter)

/* Entered from the lower-EL vectors with the guest's registers live and SP_EL2 where
 * guest_enter left it; x0 and x1 are on that stack, x1 = exit kind is set below. */
.macro guest_exit kind
	stp	x0, x1, [sp, #-16]!
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_GUEST_REGS]
	stp	x2, x3, [x0, #16 * 1]
	stp	x4, x5, [x0, #16 * 2]
	stp	x6, x7, [x0, #16 * 3]
	stp	x8, x9, [x0, #16 * 4]
	stp	x10, x11, [x0, #16 * 5]
	stp	x12, x13, [x0, #16 * 6]
	stp	x14, x15, [x0, #16 * 7]
	stp	x16, x17, [x0, #16 * 8]
	stp	x18, x19, [x0, #16 * 9]
	stp	x20, x21, [x0, #16 * 10]
	stp	x22, x23, [x0, #16 * 11]
	stp	x24, x25, [x0, #16 * 12]
	stp	x26, x27, [x0, #16 * 13]
	stp	x28, x29, [x0, #16 * 14]
	str	x30, [x0, #16 * 15]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #REGS_PC]
	mov	x0, #\kind
	b	guest_return
.endm

FUNC(guest_exit_sync)
	guest_exit 0
ENDFUNC(guest_exit_sync)
FUNC(guest_exit_irq)
	guest_exit 1
ENDFUNC(guest_exit_irq)
FUNC(guest_exit_fiq)
	guest_exit 2
ENDFUNC(guest_exit_fiq)
FUNC(guest_exit_serror)
	guest_exit 3
ENDFUNC(guest_exit_serror)

guest_return:
	ldp	x19, x20, [sp, #16 * 0]
	ldp	x21, x22, [sp, #16 * 1]
	ldp	x23, x24, [sp, #16 * 2]
	ldp	x25, x26, [sp, #16 * 3]
	ldp	x27, x28, [sp, #16 * 4]
	ldp	x29, x30, [sp, #16 * 5]
	add	sp, sp, #HOST_FRAME
	ret
