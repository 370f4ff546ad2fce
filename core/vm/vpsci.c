/*
 * The PSCI 1.1 interface a guest sees (Arm DEN0022D), over HVC or a trapped SMC. Calls act
 * on the caller's VM only: CPU_ON can start only its own vCPUs, SYSTEM_OFF/RESET stop or
 * restart only its own VM.
 */
#include "arch/psci.h"
#include "arch/sysreg.h"
#include "arch/vcpu_ctx.h"
#include "core/log/log.h"
#include "core/vm/vcpu.h"

#define PSCI_1_0_FN_PSCI_FEATURES 0x8400000AU
#define PSCI_0_2_FN_CPU_SUSPEND 0x84000001U
#define PSCI_0_2_FN64_CPU_SUSPEND 0xC4000001U
#define PSCI_0_2_FN_CPU_ON 0x84000003U
#define PSCI_0_2_FN_AFFINITY_INFO 0x84000004U
#define PSCI_0_2_FN64_AFFINITY_INFO 0xC4000004U
#define PSCI_0_2_FN_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_VERSION_1_1 0x10001
#define PSCI_MIGRATE_NOT_REQUIRED 2 /* no Trusted OS to migrate (5.1.7) */
#define AFFINITY_ON 0
#define AFFINITY_OFF 1

/* vCPU i has MPIDR affinity Aff0 = i, Aff1..3 = 0 (core/vm/guest_dt.c). */
static struct vcpu *vcpu_by_mpidr(struct vm *vm, u64 mpidr)
{
	u64 aff = mpidr & MPIDR_AFF_MASK;

	return aff < vm->n_vcpus ? &vm->vcpus[aff] : NULL;
}

static s64 cpu_on(struct vcpu *caller, u64 mpidr, u64 entry, u64 ctx_id)
{
	struct vm *vm = caller->vm;
	struct vcpu *t = vcpu_by_mpidr(vm, mpidr);
	s64 ret = PSCI_RET_SUCCESS;

	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	spin_lock(&vm->lock);
	if (vm->stopping || vm->state != VM_RUNNING) {
		/* Its vCPUs are leaving for a stop or reset: one turned on now would run while
		 * the VM is shown stopped, or during its own reset. */
		ret = PSCI_RET_DENIED;
	} else if (t->power == VCPU_ON) {
		ret = PSCI_RET_ALREADY_ON;
	} else {
		vcpu_reset_regs(t, entry, ctx_id);
		vcpu_ctx_reset(&t->ctx, t->id, vm->cntvoff);
		__atomic_store_n(&t->power, VCPU_ON, __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->lock);
	if (ret == PSCI_RET_SUCCESS)
		vcpu_kick(t);
	return ret;
}

static s64 affinity_info(struct vcpu *caller, u64 mpidr, u64 level)
{
	struct vcpu *t = vcpu_by_mpidr(caller->vm, mpidr);

	if (!t || level != 0)
		return PSCI_RET_INVALID_PARAMS;
	return t->power == VCPU_ON ? AFFINITY_ON : AFFINITY_OFF;
}

static bool supported(u32 fn)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
		return true;
	default:
		return false;
	}
}

bool vpsci_call(struct vcpu *v)
{
	u64 *x = v->regs.x;
	u32 fn = (u32)x[0];
	s64 ret;

	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		ret = PSCI_VERSION_1_1;
		break;
	case PSCI_1_0_FN_PSCI_FEATURES:
		ret = supported((u32)x[1]) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
		break;
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		/* Standby: returning at once is a valid wake-up (5.4.2). */
		ret = PSCI_RET_SUCCESS;
		break;
	case PSCI_0_2_FN_CPU_OFF:
		__atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
		return false;
	case PSCI_0_2_FN_CPU_ON:
		ret = cpu_on(v, (u32)x[1], (u32)x[2], (u32)x[3]);
		break;
	case PSCI_0_2_FN64_CPU_ON:
		ret = cpu_on(v, x[1], x[2], x[3]);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		ret = affinity_info(v, x[1], x[2]);
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		ret = PSCI_MIGRATE_NOT_REQUIRED;
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		log_info("vm '%s': PSCI SYSTEM_OFF from vCPU %u\n", v->vm->cfg->name, v->id);
		vm_request_stop(v->vm, false);
		return true;
	case PSCI_0_2_FN_SYSTEM_RESET:
		log_info("vm '%s': PSCI SYSTEM_RESET from vCPU %u\n", v->vm->cfg->name, v->id);
		vm_request_stop(v->vm, true);
		return true;
	default:
		ret = PSCI_RET_NOT_SUPPORTED; /* SMCCC: unknown function (DEN0028 5.2) */
		break;
	}
	x[0] = (u64)ret;
	return true;
}
