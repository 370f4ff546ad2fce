/*
 * Decoding what a guest trapped on (ESR_EL2, Arm ARM D19.2.40): stage-2 data aborts go to
 * MMIO emulation or come back to the guest as external aborts; HVC/SMC are PSCI calls;
 * trapped system registers are the vGIC's SGI register, ID registers, and registers a guest
 * may not touch. Nothing here trusts a guest value.
 */
#include "arch/exception.h"
#include "arch/guest_regs.h"
#include "arch/idregs.h"
#include "arch/sysreg.h"
#include "core/log/log.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm_device.h"

#define ICC_SGI1R_EL1 SYS_ID(3, 0, 12, 11, 5)
#define ICC_ASGI1R_EL1 SYS_ID(3, 1, 12, 11, 6)
#define ICC_SGI0R_EL1 SYS_ID(3, 2, 12, 11, 7)
#define ACTLR_EL1 SYS_ID(3, 0, 1, 0, 1)

static u64 reg_read(const struct vcpu *v, unsigned r) { return r == 31 ? 0 : v->regs.x[r]; }

static void reg_write(struct vcpu *v, unsigned r, u64 val)
{
	if (r != 31)
		v->regs.x[r] = val;
}

static void skip_instruction(struct vcpu *v, u64 esr)
{
	v->regs.pc += (esr & ESR_IL) ? 4 : 2;
}

/* Vector offset for an exception taken to EL1 from the guest's current mode (D1.10.2). */
static u64 el1_vector(const struct vcpu *v)
{
	u64 mode = v->regs.pstate & PSTATE_M;

	if (mode == PSTATE_EL1H)
		return 0x200;
	if (mode == PSTATE_EL1T)
		return 0x000;
	return 0x400; /* from EL0, AArch64 */
}

static bool from_el1(const struct vcpu *v)
{
	return (v->regs.pstate & PSTATE_M) == PSTATE_EL1H || (v->regs.pstate & PSTATE_M) == PSTATE_EL1T;
}

/* Enter the guest's EL1 exception vector with syndrome esr1 as the hardware would. The
 * guest's EL1 registers are live on this CPU. */
static void inject_exception(struct vcpu *v, u64 esr1, u64 far, bool set_far)
{
	write_sysreg(elr_el1, v->regs.pc);
	write_sysreg(spsr_el1, v->regs.pstate);
	write_sysreg(esr_el1, esr1);
	if (set_far)
		write_sysreg(far_el1, far);
	v->regs.pc = read_sysreg(vbar_el1) + el1_vector(v);
	v->regs.pstate = PSTATE_GUEST_RESET;
	v->stats.aborts_injected++;
}

void vcpu_inject_abort(struct vcpu *v, u64 esr_el2, u64 far)
{
	u64 ec = FIELD_GET(ESR_EC, esr_el2);
	bool data = ec == EC_DABT_LOW || ec == EC_DABT_CUR;
	u64 new_ec = data ? (from_el1(v) ? EC_DABT_CUR : EC_DABT_LOW) :
			    (from_el1(v) ? EC_IABT_CUR : EC_IABT_LOW);
	u64 iss = DFSC_SYNC_EXTERNAL | (data ? (esr_el2 & ISS_DABT_WNR) : 0);

	inject_exception(v, FIELD_PREP(ESR_EC, new_ec) | ESR_IL | iss, far, true);
}

void vcpu_inject_undef(struct vcpu *v)
{
	inject_exception(v, FIELD_PREP(ESR_EC, EC_UNKNOWN) | ESR_IL, 0, false);
}

static u64 fault_ipa(u64 far)
{
	return (FIELD_GET(HPFAR_FIPA, read_sysreg(hpfar_el2)) << PAGE_SHIFT) | (far & (PAGE_SIZE - 1));
}

static bool emulate_mmio(struct vcpu *v, const struct emul_region *r, u64 ipa, u64 esr)
{
	unsigned size = 1U << FIELD_GET(ISS_DABT_SAS, esr), rt = FIELD_GET(ISS_DABT_SRT, esr);
	struct mmio_access a = { .offset = ipa - r->ipa, .size = size, .write = esr & ISS_DABT_WNR };
	u64 mask = size == 8 ? ~0ULL : BIT(size * 8) - 1;

	if (a.write)
		a.value = reg_read(v, rt) & mask;
	if (!r->handler(v, r->dev, &a))
		return false;
	if (!a.write) {
		u64 val = a.value & mask;

		if ((esr & ISS_DABT_SSE) && size < 8 && (val & BIT(size * 8 - 1)))
			val |= ~mask; /* sign-extend */
		if (!(esr & ISS_DABT_SF))
			val &= 0xffffffffULL;
		reg_write(v, rt, val);
	}
	skip_instruction(v, esr);
	return true;
}

/* Whether to log this fault of v's guest, and how many its VM had so far (sampled per VM:
 * the first LOG_SAMPLE_FULL, then one in LOG_SAMPLE_EVERY). */
static bool log_guest_fault(struct vcpu *v, unsigned long *n)
{
	*n = __atomic_fetch_add(&v->vm->guest_faults, 1, __ATOMIC_RELAXED) + 1;
	return log_sampled(*n - 1);
}

static void data_abort(struct vcpu *v, u64 esr)
{
	u64 far = read_sysreg(far_el2), ipa = fault_ipa(far);
	const struct emul_region *r = emul_find(v->vm, ipa);
	unsigned long n;

	v->stats.mmio++;
	/* Emulation needs the syndrome (ISV); a fault on a stage-1 walk is never MMIO. */
	if (r && (esr & ISS_DABT_ISV) && !(esr & ISS_DABT_S1PTW) && emulate_mmio(v, r, ipa, esr))
		return;
	if (log_guest_fault(v, &n))
		log_warn("vm '%s' vCPU %u: %s at IPA %lx (VA %lx, PC %lx) %s: external abort "
			 "injected (%lu so far)\n", v->vm->cfg->name, v->id,
			 (esr & ISS_DABT_WNR) ? "write" : "read", ipa, far, v->regs.pc,
			 r ? (esr & ISS_DABT_ISV ? "refused by its device" : "without syndrome") :
			     "outside the VM's memory and devices", n);
	vcpu_inject_abort(v, esr, far);
}

static void instruction_abort(struct vcpu *v, u64 esr)
{
	u64 far = read_sysreg(far_el2);
	unsigned long n;

	if (log_guest_fault(v, &n))
		log_warn("vm '%s' vCPU %u: instruction fetch at IPA %lx (VA %lx) outside its "
			 "memory: external abort injected (%lu so far)\n", v->vm->cfg->name, v->id,
			 fault_ipa(far), far, n);
	vcpu_inject_abort(v, esr, far);
}

static void sysreg_trap(struct vcpu *v, u64 esr)
{
	u64 id = esr & ISS_SYS_ID_MASK, val;
	unsigned rt = FIELD_GET(ISS_SYS_RT, esr);
	bool read = esr & ISS_SYS_READ;
	unsigned long n;

	v->stats.sysreg++;
	if (id == ICC_SGI1R_EL1 && !read) {
		vm_irqchip->sgi1r_write(v, reg_read(v, rt));
	} else if ((id == ICC_ASGI1R_EL1 || id == ICC_SGI0R_EL1) && !read) {
		/* Group 0 / secure SGIs do not exist for a guest with one security state. */
	} else if (id == ACTLR_EL1) {
		if (read)
			reg_write(v, rt, 0);
	} else if (read && idreg_guest_value(id, &val)) {
		reg_write(v, rt, val);
	} else if (FIELD_GET(ISS_SYS_OP0, id) == 1) {
		/* Set/way cache maintenance (HCR_EL2.TSW): meaningless on memory the guest
		 * shares with nobody through caches that stage 2 keeps coherent. */
	} else {
		if (log_guest_fault(v, &n))
			log_warn("vm '%s' vCPU %u: %s of system register op0=%lu op1=%lu CRn=%lu "
				 "CRm=%lu op2=%lu at PC %lx: undefined instruction injected (%lu so "
				 "far)\n", v->vm->cfg->name, v->id, read ? "read" : "write",
				 FIELD_GET(ISS_SYS_OP0, id), FIELD_GET(ISS_SYS_OP1, id),
				 FIELD_GET(ISS_SYS_CRN, id), FIELD_GET(ISS_SYS_CRM, id),
				 FIELD_GET(ISS_SYS_OP2, id), v->regs.pc, n);
		vcpu_inject_undef(v);
		return;
	}
	skip_instruction(v, esr);
}

bool vcpu_handle_sync(struct vcpu *v)
{
	u64 esr = read_sysreg(esr_el2);
	unsigned long n;

	switch (FIELD_GET(ESR_EC, esr)) {
	case EC_HVC64:
		v->stats.hvc++;
		return vpsci_call(v); /* ELR already points past the HVC */
	case EC_SMC64:
		v->stats.smc++;
		skip_instruction(v, esr); /* a trapped SMC's ELR is the SMC itself */
		return vpsci_call(v);
	case EC_DABT_LOW:
		data_abort(v, esr);
		return true;
	case EC_IABT_LOW:
		instruction_abort(v, esr);
		return true;
	case EC_SYSREG:
		sysreg_trap(v, esr);
		return true;
	case EC_WFX:
		v->stats.wfx++;
		skip_instruction(v, esr);
		return true;
	default:
		/* SVE/SME (not offered), or anything else a guest can provoke. */
		if (log_guest_fault(v, &n))
			log_warn("vm '%s' vCPU %u: trap EC 0x%lx (%s) at PC %lx: undefined "
				 "instruction injected (%lu so far)\n", v->vm->cfg->name, v->id,
				 FIELD_GET(ESR_EC, esr), esr_class_name(esr), v->regs.pc, n);
		vcpu_inject_undef(v);
		return true;
	}
}
