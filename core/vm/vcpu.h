/* Running vCPUs: each physical CPU with a vCPU loops here forever (core/vm/vcpu.c), and the
 * guest's traps are decoded in core/vm/vcpu_trap.c. */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include "core/vm/vm.h"

/* Never returns: run this CPU's vCPU whenever it is on, idle otherwise. */
NORETURN void vcpu_cpu_loop(void);
/* Set up per-CPU EL2 state for guests (once per CPU). */
void vcpu_cpu_init(void);

/* Handle a synchronous exit; returns false if the vCPU stops running (CPU_OFF). */
bool vcpu_handle_sync(struct vcpu *v);
/* Inject a synchronous external abort for the faulting access into the guest (Arm ARM
 * D1.10: the exception the guest would take had the access hit a bus error). */
void vcpu_inject_abort(struct vcpu *v, u64 esr_el2, u64 far);
void vcpu_inject_undef(struct vcpu *v);

/* Virtual PSCI 1.1 over HVC/SMC (core/vm/vpsci.c); returns false when the vCPU turned itself
 * off. */
bool vpsci_call(struct vcpu *v);

/* Reset a vCPU's registers for entry at pc with x0 = arg (PSCI CPU_ON semantics). */
void vcpu_reset_regs(struct vcpu *v, u64 pc, u64 arg);

#endif
