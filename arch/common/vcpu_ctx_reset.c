/* A vCPU's EL1 context at reset. Portable: both builds. */
#include "arch/vcpu_ctx.h"

#include "core/lib/bits.h"
#include "core/lib/string.h"

/* SCTLR_EL1 RES1 bits with the MMU, caches and alignment checks off (Arm ARM D19.2.118). */
#define SCTLR_EL1_RESET (BIT(11) | BIT(20) | BIT(22) | BIT(23) | BIT(28) | BIT(29))
#define MPIDR_RES1 BIT(31)

void vcpu_ctx_reset(struct el1_ctx *c, u64 vmpidr, u64 cntvoff)
{
	memset(c, 0, sizeof(*c));
	c->sctlr = SCTLR_EL1_RESET;
	c->vmpidr = vmpidr | MPIDR_RES1;
	c->cntvoff = cntvoff;
}
