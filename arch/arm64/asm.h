/* Assembly helpers. */
#ifndef ARCH_ARM64_ASM_H
#define ARCH_ARM64_ASM_H

/* PC-relative address of a symbol, valid before and after relocation (+/- 4 GiB). */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

#define FUNC(name) .globl name; .type name, %function; name:
#define ENDFUNC(name) .size name, . - name

#endif
