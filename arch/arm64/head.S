/*
 * Entry points. The primary CPU arrives here from QEMU -kernel or U-Boot booti as an arm64
 * Linux Image (Linux Documentation/arch/arm64/booting.rst): MMU off, x0 = DTB physical
 * address, at EL2 if the firmware has one. Secondary CPUs arrive through PSCI CPU_ON with
 * MMU off and x0 = their index (the context id we passed).
 */
#include "arch/arm64/asm.h"
#include "arch/sysreg.h"
#include "core/lib/config.h"

/* booting.rst: bit 0 little-endian (0), bits 1-2 page size 4 KiB (1), bit 3 "anywhere". */
#define IMAGE_FLAGS ((1 << 1) | (1 << 3))
#define R_AARCH64_RELATIVE 1027

	.section .head, "ax"
FUNC(_head)
	b	primary_entry
	.long	0
	.quad	0			/* text_offset */
	.quad	__image_size		/* image_size, including bss */
	.quad	IMAGE_FLAGS
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.long	0
ENDFUNC(_head)

	.text
primary_entry:
	mov	x19, x0			/* DTB */
	adr	x20, _head		/* load address; the link address is 0 */
	/* booting.rst: the image was cleaned to PoC, but bss and anything beyond may hold
	 * dirty lines from the loader. Write them back now so that none can later be evicted
	 * over what we write with the MMU (and so the data cache) off. */
	mov	x0, x20
	adr_l	x1, __image_end
	bl	dcache_clean_inval_range
	bl	apply_relocations
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	1b
	/* CPU 0's stack: the top of cpu_stacks[0]. */
	adr_l	x0, cpu_stacks
	add	sp, x0, #CPU_STACK_STRIDE
	/* Below EL2 the EL2 registers are UNDEFINED: boot_main reports the wrong level. */
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	msr	tpidr_el2, xzr		/* no struct cpu yet (cpu_index() reads 0) */
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb
1:	mov	x0, x19
	mov	x1, x20
	bl	boot_main
	b	cpu_halt

/* Apply R_AARCH64_RELATIVE entries of .rela.dyn: *(base + offset) = base + addend. */
apply_relocations:
	adr_l	x0, __rela_start
	adr_l	x1, __rela_end
1:	cmp	x0, x1
	b.hs	2f
	ldp	x2, x3, [x0], #24	/* r_offset, r_info */
	ldr	x4, [x0, #-8]		/* r_addend */
	cmp	x3, #R_AARCH64_RELATIVE
	b.ne	1b
	add	x4, x4, x20
	str	x4, [x20, x2]
	b	1b
2:	ret

/* x0 = cpu index. Turn the MMU on with the tables CPU 0 built, then run C. */
FUNC(secondary_entry)
	mov	x19, x0
	bl	mmu_enable_asm
	adr_l	x0, cpu_stacks
	mov	x1, #CPU_STACK_STRIDE
	madd	x0, x19, x1, x0
	add	sp, x0, #CPU_STACK_STRIDE
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb
	mov	x0, x19
	bl	secondary_main
	b	cpu_halt
ENDFUNC(secondary_entry)

/*
 * Load MAIR/TCR/TTBR0/SCTLR_EL2 from el2_mmu_regs (written by CPU 0 and cleaned to PoC,
 * since this may run with the caches off) and enable the MMU. Clobbers x0-x5.
 */
FUNC(mmu_enable_asm)
	adr_l	x0, el2_mmu_regs
	ldp	x2, x3, [x0]
	ldp	x4, x5, [x0, #16]
	msr	mair_el2, x2
	msr	tcr_el2, x3
	msr	ttbr0_el2, x4
	isb
	tlbi	alle2
	dsb	nsh
	isb
	msr	sctlr_el2, x5
	isb
	ic	iallu
	dsb	nsh
	isb
	ret
ENDFUNC(mmu_enable_asm)

/* Clean and invalidate data cache lines by VA for [x0, x1) to PoC. Clobbers x0, x2-x3. */
FUNC(dcache_clean_inval_range)
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2(words) */
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	dc	civac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret
ENDFUNC(dcache_clean_inval_range)

FUNC(cpu_halt)
	msr	daifset, #DAIF_ALL
1:	wfe
	b	1b
ENDFUNC(cpu_halt)
