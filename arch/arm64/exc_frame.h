/* The register frame saved by a fatal exception (vectors.S) and what reports it. */
#ifndef ARCH_ARM64_EXC_FRAME_H
#define ARCH_ARM64_EXC_FRAME_H

#define EXC_KIND_SP0 0
#define EXC_KIND_SYNC 1
#define EXC_KIND_FIQ 2
#define EXC_KIND_SERROR 3
#define EXC_KIND_LOWER32 4

#define FRAME_ELR (32 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_SIZE (36 * 8)
#define IRQ_FRAME_SIZE (12 * 16)

#ifndef __ASSEMBLER__
#include "core/lib/types.h"

struct exc_frame {
	u64 x[31];
	u64 sp; /* the stack pointer when the exception was taken */
	u64 elr, spsr;
	u64 esr, far;
};
_Static_assert(sizeof(struct exc_frame) == FRAME_SIZE, "frame layout");

/* Reports f and stops this CPU (vectors.S, for an exception EL2 cannot handle). */
void exception_fatal(struct exc_frame *f, u64 kind);
#endif

#endif
