/* Host double of arch/cpu.h, arch/irq.h and arch/psci.h: the CPUs, their interrupt mask, and
 * firmware that has no calls. */
#include <stdio.h>
#include <stdlib.h>

#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/psci.h"
#include "arch/fake/fake.h"

struct cpu cpus[MAX_CPUS];
struct cpu_stack cpu_stacks[MAX_CPUS];
struct cpu *fake_current_cpu = &cpus[0];
unsigned long fake_interrupt_waits;
bool fake_irqs_masked = true; /* as a CPU starts */
unsigned long fake_psci_calls;

unsigned cpu_index(void) { return fake_current_cpu->index; }

void cpu_init(unsigned index)
{
	cpus[index].index = index;
	fake_current_cpu = &cpus[index];
}

void cpu_halt(void)
{
	fprintf(stderr, "CPU %u halted\n", cpu_index());
	abort();
}

void psci_set_conduit(enum psci_conduit c) { (void)c; }

s64 psci_call(u32 fn, u64 a1, u64 a2, u64 a3)
{
	(void)fn, (void)a1, (void)a2, (void)a3;
	fake_psci_calls++;
	return PSCI_RET_NOT_SUPPORTED;
}
