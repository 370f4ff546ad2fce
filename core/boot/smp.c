#include "core/boot/smp.h"

#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/psci.h"
#include "arch/sysreg.h"
#include "core/log/log.h"
#include "core/vm/vcpu.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"

#define CPU_ON_TIMEOUT_US 1000000
#define IPI_TIMEOUT_US 1000000

extern u8 secondary_entry[];

static unsigned n_cpus;
static volatile unsigned pongs;

static void on_ping(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	__atomic_fetch_add(&this_cpu()->ipi_count, 1, __ATOMIC_RELEASE);
	gic_send_sgi(SGI_PONG, cpus[0].mpidr);
}

static void on_pong(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	__atomic_fetch_add(&pongs, 1, __ATOMIC_RELAXED);
}

/* Per-CPU setup every CPU does after cpu_init(). */
static int cpu_common_init(void)
{
	/* Physical IRQs and FIQs taken at EL2 go to EL2 (Arm ARM D1.13.1, HCR_EL2.IMO/FMO). */
	write_sysreg(hcr_el2, HCR_EL2_RW | HCR_EL2_IMO | HCR_EL2_FMO | HCR_EL2_AMO);
	isb();
	if (gic_cpu_init())
		return -1;
	gic_enable_local(SGI_PING);
	gic_enable_local(SGI_PONG);
	gic_enable_local(SGI_SELFTEST);
	gic_enable_local(SGI_KICK);
	timer_cpu_init();
	gic_enable_local(platform()->timer.hyp_phys_irq);
	return 0;
}

void secondary_main(u64 index)
{
	struct cpu *c;

	cpu_init((unsigned)index);
	c = this_cpu();
	if (cpu_common_init()) {
		log_err("CPU %u (MPIDR %lx) failed to initialise its GIC interface\n", c->index, c->mpidr);
		cpu_halt();
	}
	log_info("CPU %u online (MPIDR %lx)\n", c->index, c->mpidr);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	vcpu_cpu_loop();
}

static bool wait_online(struct cpu *c)
{
	u64 deadline = timer_now_us() + CPU_ON_TIMEOUT_US;

	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		if (timer_now_us() > deadline)
			return false;
	return true;
}

static void start_cpu(unsigned index, u64 mpidr)
{
	s64 ret = psci_call(PSCI_0_2_FN64_CPU_ON, mpidr, va_to_pa(secondary_entry).v, index);

	if (ret != PSCI_RET_SUCCESS) {
		log_err("CPU %u (MPIDR %lx): PSCI CPU_ON failed: %s\n", index, mpidr, psci_ret_name(ret));
		return;
	}
	if (!wait_online(&cpus[index]))
		log_err("CPU %u (MPIDR %lx) did not come online within %u ms\n", index, mpidr,
			CPU_ON_TIMEOUT_US / 1000);
}

void smp_boot(const struct platform *p)
{
	u64 self = cpus[0].mpidr;
	unsigned next = 1;

	gic_set_handler(SGI_PING, on_ping, NULL);
	gic_set_handler(SGI_PONG, on_pong, NULL);
	if (cpu_common_init())
		log_err("CPU 0: GIC interface setup failed\n");
	cpus[0].online = true;
	n_cpus = 1;
	log_info("CPU 0 online (MPIDR %lx, boot CPU)\n", self);
	/* Portcullis numbers the boot CPU 0 and the others in device-tree order. */
	for (unsigned i = 0; i < p->n_cpus; i++) {
		if (p->cpu_mpidr[i] == self)
			continue;
		if (p->psci == PSCI_NONE) {
			log_warn("CPU MPIDR %lx not started: no PSCI\n", p->cpu_mpidr[i]);
			continue;
		}
		cpus[next].mpidr = p->cpu_mpidr[i];
		start_cpu(next, p->cpu_mpidr[i]);
		next++;
	}
	for (unsigned i = 0; i < MAX_CPUS; i++)
		n_cpus = cpus[i].online ? i + 1 : n_cpus;
}

unsigned smp_online_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_CPUS; i++)
		n += cpus[i].online ? 1 : 0;
	return n;
}

static unsigned ipi_answers(const u64 *before)
{
	unsigned n = 0;

	for (unsigned i = 1; i < n_cpus; i++)
		n += cpus[i].online && __atomic_load_n(&cpus[i].ipi_count, __ATOMIC_ACQUIRE) != before[i];
	return n;
}

void smp_demo_ipi(void)
{
	u64 before[MAX_CPUS], start = timer_now_us(), deadline = start + IPI_TIMEOUT_US;
	unsigned sent = 0;

	pongs = 0;
	for (unsigned i = 1; i < n_cpus; i++) {
		before[i] = cpus[i].ipi_count;
		if (!cpus[i].online)
			continue;
		gic_send_sgi(SGI_PING, cpus[i].mpidr);
		sent++;
	}
	/* GICv3 SGIs from several senders to one target coalesce (IHI 0069 4.4), so the
	 * answers are counted in memory; the PONG SGI is only a doorbell. Spin rather than
	 * wfi: a doorbell taken between the check and a wfi would leave nothing to wake us. */
	irq_enable();
	while (ipi_answers(before) < sent && timer_now_us() < deadline)
		cpu_relax();
	irq_disable();
	log_info("IPI: CPU 0 pinged %u CPU(s), %u answered in %lu us (%u doorbell interrupt(s))\n",
		 sent, ipi_answers(before), timer_now_us() - start, pongs);
}

