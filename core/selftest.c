#include "core/selftest.h"

#include <libfdt.h>
#include "arch/arm64/cpu.h"
#include "arch/arm64/sysreg.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/smp.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"

#define VICTIM_CPU 1
#define FAULT_WAIT_US 500000

enum fault_kind { FAULT_NONE, FAULT_DATA_ABORT, FAULT_STACK_OVERFLOW };
static volatile enum fault_kind fault;

/* Each frame holds a buffer the compiler cannot drop, and the call is not a tail call,
 * so the stack grows until it reaches the guard page, far before the depth bound. */
static __attribute__((noinline)) u64 recurse(u64 depth)
{
	volatile u8 frame[512];

	frame[0] = (u8)depth;
	if (depth > CPU_STACK_SIZE)
		return depth;
	return recurse(depth + 1) + frame[0];
}

static void on_selftest_sgi(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	if (fault == FAULT_DATA_ABORT)
		(void)*(volatile u64 *)(uintptr_t)cpu_stacks[this_cpu()->index].guard;
	else if (fault == FAULT_STACK_OVERFLOW)
		(void)recurse(0);
}

void selftest_run(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	const char *what = chosen >= 0 ? fdt_getprop(fdt, chosen, "portcullis,selftest", NULL) : NULL;
	u64 deadline;

	if (!what)
		return;
	if (!strcmp(what, "data-abort"))
		fault = FAULT_DATA_ABORT;
	else if (!strcmp(what, "stack-overflow"))
		fault = FAULT_STACK_OVERFLOW;
	if (fault == FAULT_NONE || !cpus[VICTIM_CPU].online) {
		log_warn("selftest '%s' not run (unknown, or no CPU %u)\n", what, VICTIM_CPU);
		return;
	}
	log_info("selftest: %s on CPU %u\n", what, VICTIM_CPU);
	gic_set_handler(SGI_SELFTEST, on_selftest_sgi, NULL);
	gic_send_sgi(SGI_SELFTEST, cpus[VICTIM_CPU].mpidr);
	deadline = timer_now_us() + FAULT_WAIT_US;
	while (cpus[VICTIM_CPU].online && timer_now_us() < deadline)
		cpu_relax();
	/* The other CPUs must still answer. */
	smp_demo_ipi();
}
