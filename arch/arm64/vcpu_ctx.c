#include "arch/vcpu_ctx.h"

#include "arch/barrier.h"
#include "arch/sysreg.h"

/* fpsimd.S: q0-q31 as pairs, then FPCR and FPSR. */
void fpsimd_save(u64 *v, u64 *fpcr_fpsr);
void fpsimd_load(const u64 *v, const u64 *fpcr_fpsr);

void vcpu_ctx_load(const struct el1_ctx *c)
{
	write_sysreg(vmpidr_el2, c->vmpidr);
	write_sysreg(cntvoff_el2, c->cntvoff);
	write_sysreg(sctlr_el1, c->sctlr);
	write_sysreg(ttbr0_el1, c->ttbr0);
	write_sysreg(ttbr1_el1, c->ttbr1);
	write_sysreg(tcr_el1, c->tcr);
	write_sysreg(mair_el1, c->mair);
	write_sysreg(amair_el1, c->amair);
	write_sysreg(vbar_el1, c->vbar);
	write_sysreg(contextidr_el1, c->contextidr);
	write_sysreg(esr_el1, c->esr);
	write_sysreg(far_el1, c->far);
	write_sysreg(afsr0_el1, c->afsr0);
	write_sysreg(afsr1_el1, c->afsr1);
	write_sysreg(par_el1, c->par);
	write_sysreg(elr_el1, c->elr);
	write_sysreg(spsr_el1, c->spsr);
	write_sysreg(sp_el1, c->sp_el1);
	write_sysreg(sp_el0, c->sp_el0);
	write_sysreg(tpidr_el0, c->tpidr_el0);
	write_sysreg(tpidrro_el0, c->tpidrro_el0);
	write_sysreg(tpidr_el1, c->tpidr_el1);
	write_sysreg(cpacr_el1, c->cpacr);
	write_sysreg(cntkctl_el1, c->cntkctl);
	write_sysreg(mdscr_el1, c->mdscr);
	write_sysreg(csselr_el1, c->csselr);
	write_sysreg(cntv_cval_el0, c->cntv_cval);
	write_sysreg(cntv_ctl_el0, c->cntv_ctl);
	fpsimd_load(c->v, &c->fpcr);
	isb();
}

void vcpu_ctx_save(struct el1_ctx *c)
{
	c->sctlr = read_sysreg(sctlr_el1);
	c->ttbr0 = read_sysreg(ttbr0_el1);
	c->ttbr1 = read_sysreg(ttbr1_el1);
	c->tcr = read_sysreg(tcr_el1);
	c->mair = read_sysreg(mair_el1);
	c->amair = read_sysreg(amair_el1);
	c->vbar = read_sysreg(vbar_el1);
	c->contextidr = read_sysreg(contextidr_el1);
	c->esr = read_sysreg(esr_el1);
	c->far = read_sysreg(far_el1);
	c->afsr0 = read_sysreg(afsr0_el1);
	c->afsr1 = read_sysreg(afsr1_el1);
	c->par = read_sysreg(par_el1);
	c->elr = read_sysreg(elr_el1);
	c->spsr = read_sysreg(spsr_el1);
	c->sp_el1 = read_sysreg(sp_el1);
	c->sp_el0 = read_sysreg(sp_el0);
	c->tpidr_el0 = read_sysreg(tpidr_el0);
	c->tpidrro_el0 = read_sysreg(tpidrro_el0);
	c->tpidr_el1 = read_sysreg(tpidr_el1);
	c->cpacr = read_sysreg(cpacr_el1);
	c->cntkctl = read_sysreg(cntkctl_el1);
	c->mdscr = read_sysreg(mdscr_el1);
	c->csselr = read_sysreg(csselr_el1);
	c->cntv_ctl = read_sysreg(cntv_ctl_el0);
	c->cntv_cval = read_sysreg(cntv_cval_el0);
	/* Stop the virtual timer so it cannot fire for a vCPU that is not running. */
	write_sysreg(cntv_ctl_el0, 0);
	c->vmpidr = read_sysreg(vmpidr_el2);
	c->cntvoff = read_sysreg(cntvoff_el2);
	fpsimd_save(c->v, &c->fpcr);
}
