#include "arch/cpu.h"

#include "arch/arm64/cpu_offsets.h"
#include "arch/barrier.h"
#include "arch/sysreg.h"

#include <stddef.h>

_Static_assert(offsetof(struct cpu, emergency_sp) == CPU_EMERGENCY_SP, "vectors.S");
_Static_assert(offsetof(struct cpu, guest_regs) == CPU_GUEST_REGS, "guest.S");

struct cpu cpus[MAX_CPUS];

_Static_assert(sizeof(struct cpu_stack) == CPU_STACK_STRIDE, "head.S stack stride");
struct cpu_stack cpu_stacks[MAX_CPUS];
/* For reporting fatal exceptions, even a stack overflow (vectors.S). */
static u8 emergency_stacks[MAX_CPUS][CPU_EMERGENCY_STACK_SIZE] __attribute__((aligned(16)));

unsigned cpu_index(void)
{
	struct cpu *c = this_cpu();

	return c ? c->index : 0;
}

void cpu_init(unsigned index)
{
	struct cpu *c = &cpus[index];

	c->index = index;
	c->mpidr = read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
	c->emergency_sp = (u64)(uintptr_t)&emergency_stacks[index][CPU_EMERGENCY_STACK_SIZE];
	write_sysreg(tpidr_el2, c);
	isb();
}
