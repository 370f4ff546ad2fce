/*
 * The per-CPU vCPU loop: wait until this CPU's vCPU is on, load its state, run it until it
 * turns off or its VM is reset or stopped, save its state. Exits from the guest are handled
 * on the same CPU with interrupts masked; a physical interrupt that caused an exit is
 * handled right there.
 */
#include "core/vm/vcpu.h"

#include "arch/barrier.h"
#include "arch/counter.h"
#include "arch/cpu.h"
#include "arch/guest_regs.h"
#include "arch/irq.h"
#include "arch/pmu.h"
#include "arch/sysreg.h"
#include "arch/vcpu_ctx.h"
#include "core/log/log.h"
#include "core/vm/guest_layout.h"
#include "core/vm/stage2.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"

static u64 guest_hcr;

static bool cpu_has_pauth(void)
{
	u64 isar1 = read_sysreg(id_aa64isar1_el1);

	/* APA [7:4], API [11:8], GPA [27:24], GPI [31:28] (Arm ARM D19.2.62) */
	return isar1 & (GENMASK(11, 4) | GENMASK(31, 24));
}

/* The guest's virtual timer fired: hand it to the guest with the HW bit; its EOI of the
 * virtual interrupt deactivates the physical one (IHI 0069 4.1.2). */
static void vtimer_irq(unsigned intid, void *ctx)
{
	(void)ctx;
	vm_irqchip->inject_hw(vcpu_of_cpu(this_cpu()->index), intid);
}

void vcpu_cpu_init(void)
{
	gic_set_forwarded(GUEST_TIMER_VIRT_PPI, vtimer_irq, NULL);
	guest_hcr = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
		    HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_TID3 | HCR_RW;
	/* Pointer authentication keys are EL1 state like any other: let the guest use them. */
	if (cpu_has_pauth())
		guest_hcr |= HCR_APK | HCR_API;
	/* FP/SIMD is the guest's; SVE, SME and activity monitors are not offered. */
	write_sysreg(cptr_el2, CPTR_RES1 | CPTR_TZ | CPTR_TSM | CPTR_TAM);
	/* The guest reads the physical counter; its timer is the virtual one. */
	write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
	/* The PMU is the guest's but for the counter the hypervisor keeps to measure itself. */
	pmu_cpu_init();
	isb();
}

static bool vcpu_should_run(const struct vcpu *v)
{
	return v->power == VCPU_ON && !v->reset_pending;
}

static void wait_for_work(struct vcpu *v)
{
	while (v->power != VCPU_ON && !v->reset_pending)
		cpu_wait_for_interrupt();
}

static void vcpu_load(struct vcpu *v)
{
	stage2_load(v->vm);
	vcpu_ctx_load(&v->ctx);
	vm_irqchip->cpu_load(v);
	write_sysreg(hcr_el2, guest_hcr);
	isb();
	gic_enable_local(GUEST_TIMER_VIRT_PPI);
}

static void vcpu_put(struct vcpu *v)
{
	gic_disable_local(GUEST_TIMER_VIRT_PPI);
	vm_irqchip->cpu_put(v);
	vcpu_ctx_save(&v->ctx);
	write_sysreg(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO);
	isb();
}

static bool handle_exit(struct vcpu *v, u64 kind)
{
	v->stats.exits++;
	switch (kind) {
	case EXIT_SYNC:
		return vcpu_handle_sync(v);
	case EXIT_IRQ:
	case EXIT_FIQ:
		v->stats.irq++;
		irq_handle();
		return true;
	default:
		/* An SError from the guest is the guest's: report it and stop this vCPU's
		 * VM rather than the hypervisor. */
		log_err("vm '%s' vCPU %u: SError (ESR %lx) at PC %lx: stopping the VM\n",
			v->vm->cfg->name, v->id, read_sysreg(esr_el2), v->regs.pc);
		vm_request_stop(v->vm, false);
		return true;
	}
}

/* An exit is handled at EL2 with interrupts masked: keep the longest (console `stats`). */
static void note_exit_time(struct vcpu *v, u64 kind, u64 ticks)
{
	if (ticks <= v->stats.longest_exit)
		return;
	v->stats.longest_exit = ticks;
	v->stats.longest_exit_esr = kind == EXIT_SYNC ? read_sysreg(esr_el2) : 0;
}

static void vcpu_run(struct vcpu *v)
{
	const struct vm_irqchip_ops *irqchip = vm_irqchip; /* once, not on every exit */

	vcpu_load(v);
	while (vcpu_should_run(v)) {
		cost_t start = v->vm->cfg->measure_costs ? cost_now() : 0;

		irqchip->flush(v);
		u64 kind = guest_enter(v);
		/* No barrier: a statistic needs no exact ordering against the exit. */
		u64 left = counter_read();

		irqchip->sync(v);
		bool more = handle_exit(v, kind);

		vm_iommu_storm_check(v->vm);
		note_exit_time(v, kind, counter_read() - left);
		if (v->exit_cost_sum) {
			__atomic_fetch_add(v->exit_cost_sum, (cost_t)(cost_now() - start),
					   __ATOMIC_RELAXED);
			v->exit_cost_sum = NULL;
		}
		if (!more)
			break;
	}
	vcpu_put(v);
}

static bool published;

static void on_kick(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx; /* leaving the guest was the point */
}

void vcpu_kick(struct vcpu *v)
{
	if (v->pcpu != this_cpu()->index)
		gic_send_sgi(SGI_KICK, cpus[v->pcpu].mpidr);
}

void vm_publish(void)
{
	gic_set_handler(SGI_KICK, on_kick, NULL);
	__atomic_store_n(&published, true, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < MAX_CPUS; i++)
		if (cpus[i].online)
			gic_send_sgi(SGI_KICK, cpus[i].mpidr);
}

void vm_wait_published(void)
{
	while (!__atomic_load_n(&published, __ATOMIC_ACQUIRE))
		cpu_wait_for_interrupt();
}

void vcpu_cpu_loop(void)
{
	struct vcpu *v;

	irq_disable();
	vm_wait_published();
	v = vcpu_of_cpu(this_cpu()->index);
	if (!v) {
		/* No VM has this CPU: it only serves interrupts (the console's, IPIs). */
		for (;;)
			cpu_wait_for_interrupt();
	}
	vcpu_cpu_init();
	for (;;) {
		wait_for_work(v);
		if (v->reset_pending) {
			vm_vcpu_stopped(v);
			continue;
		}
		vcpu_run(v);
	}
}

void vcpu_reset_regs(struct vcpu *v, u64 pc, u64 arg)
{
	for (unsigned i = 0; i < 31; i++)
		v->regs.x[i] = 0;
	v->regs.x[0] = arg;
	v->regs.pc = pc;
	v->regs.pstate = PSTATE_GUEST_RESET;
}
