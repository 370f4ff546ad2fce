/* Test guest entry: an arm64 Image header (so Portcullis loads it like Linux), a stack,
 * exception vectors that record synchronous exceptions and resume after them, and take
 * IRQs through the GIC driver (gic.c). */
	.section .head, "ax"
	.globl	_start
_start:
	b	entry
	.long	0
	.quad	0			/* text_offset */
	.quad	__image_end - _start	/* image_size */
	.quad	(1 << 1) | (1 << 3)	/* 4K pages, anywhere */
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.long	0

entry:
	mov	x19, x0			/* DTB address; on vCPUs > 0, CPU_ON's context_id */
	ldr	x1, =__stack_top
	/* vCPUs other than 0 get their own stack below, 4 KiB each */
	mrs	x2, mpidr_el1
	and	x2, x2, #0xff
	lsl	x2, x2, #12
	sub	sp, x1, x2
	ldr	x1, =vectors
	msr	vbar_el1, x1
	isb
	cbnz	x2, secondary
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b
2:	mov	x0, x19
	bl	guest_main
3:	wfi
	b	3b

secondary:
	mrs	x0, mpidr_el1
	and	x0, x0, #0xff
	mov	x1, x19
	bl	guest_secondary
4:	wfi
	b	4b

/* Current EL with SP_EL1: synchronous exceptions and IRQs; anything else is unexpected. */
	.balign	0x800
vectors:
	.rept	4
	.balign	0x80
	b	unexpected
	.endr
	.balign	0x80
	b	sync_handler
	.balign	0x80
	b	irq_handler
	.rept	10
	.balign	0x80
	b	unexpected
	.endr

/* Saves and restores what a C call may clobber: x0-x18 and x30. */
.macro	save_caller_saved
	sub	sp, sp, #160
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
.endm

.macro	restore_caller_saved
	ldp	x18, x30, [sp, #144]
	ldp	x16, x17, [sp, #128]
	ldp	x14, x15, [sp, #112]
	ldp	x12, x13, [sp, #96]
	ldp	x10, x11, [sp, #80]
	ldp	x8, x9, [sp, #64]
	ldp	x6, x7, [sp, #48]
	ldp	x4, x5, [sp, #32]
	ldp	x2, x3, [sp, #16]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #160
.endm

/* Every synchronous exception: record ESR/FAR, skip the instruction, return. */
sync_handler:
	save_caller_saved
	mrs	x0, esr_el1
	mrs	x1, far_el1
	bl	record_exception
	mrs	x0, elr_el1
	add	x0, x0, #4
	msr	elr_el1, x0
	restore_caller_saved
	eret

/* IRQs stay masked while guest_irq acknowledges and ends whatever is pending. */
irq_handler:
	save_caller_saved
	bl	guest_irq
	restore_caller_saved
	eret

unexpected:
	mrs	x0, esr_el1
	bl	guest_unexpected
5:	wfi
	b	5b
