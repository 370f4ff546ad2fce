/*
 * EL2 exception vectors (Arm ARM D1.10.2, "Exception vectors"). IRQs taken at EL2 run the
 * interrupt handler on the current stack. Every other exception taken at EL2 is a
 * hypervisor bug: it switches to the CPU's emergency stack (so a stack overflow into the
 * guard page can still be reported), saves all registers and calls exception_fatal(), which
 * reports and stops that CPU only.
 */
#include "arch/arm64/asm.h"
#include "arch/arm64/cpu_offsets.h"
#include "arch/arm64/exc_frame.h"

.macro ventry label
	.balign 0x80
	b	\label
.endm

.macro fatal_entry kind
	/* No free register yet: park x0 in TPIDRRO_EL0 and the old SP in SP_EL0. Both belong
	 * to the guest context of this CPU, which is lost anyway when the CPU stops. */
	msr	tpidrro_el0, x0
	mov	x0, sp
	msr	sp_el0, x0
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_EMERGENCY_SP]
	mov	sp, x0
	mrs	x0, tpidrro_el0
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x0, sp_el0
	stp	x30, x0, [sp, #16 * 15]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	stp	x0, x1, [sp, #FRAME_ELR]
	mrs	x0, esr_el2
	mrs	x1, far_el2
	stp	x0, x1, [sp, #FRAME_ESR]
	mov	x0, sp
	mov	x1, #\kind
	bl	exception_fatal
	b	cpu_halt
.endm

	.text
	.balign 0x800
FUNC(el2_vectors)
	ventry	cur_sp0_fatal		/* current EL with SP_EL0: never used */
	ventry	cur_sp0_fatal
	ventry	cur_sp0_fatal
	ventry	cur_sp0_fatal
	ventry	cur_sync		/* current EL with SP_EL2 */
	ventry	cur_irq
	ventry	cur_fiq
	ventry	cur_serror
	ventry	guest_exit_sync		/* lower EL, AArch64: guests (guest.S) */
	ventry	guest_exit_irq
	ventry	guest_exit_fiq
	ventry	guest_exit_serror
	ventry	lower32_fatal		/* lower EL, AArch32: never allowed */
	ventry	lower32_fatal
	ventry	lower32_fatal
	ventry	lower32_fatal
ENDFUNC(el2_vectors)

cur_sp0_fatal:	fatal_entry EXC_KIND_SP0
cur_sync:	fatal_entry EXC_KIND_SYNC
cur_fiq:	fatal_entry EXC_KIND_FIQ
cur_serror:	fatal_entry EXC_KIND_SERROR
lower32_fatal:	fatal_entry EXC_KIND_LOWER32

/* IRQ at EL2: save what the C calling convention lets a callee clobber, plus ELR/SPSR. */
cur_irq:
	sub	sp, sp, #IRQ_FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x29, [sp, #16 * 9]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	stp	x30, x0, [sp, #16 * 10]
	str	x1, [sp, #16 * 11]
	bl	irq_handle
	ldr	x1, [sp, #16 * 11]
	ldp	x30, x0, [sp, #16 * 10]
	msr	elr_el2, x0
	msr	spsr_el2, x1
	ldp	x18, x29, [sp, #16 * 9]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x0, x1, [sp, #16 * 0]
	add	sp, sp, #IRQ_FRAME_SIZE
	eret
