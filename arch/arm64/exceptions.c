/* Reporting of exceptions that should never happen at EL2 (see vectors.S). */
#include "arch/arm64/exc_frame.h"
#include "arch/cpu.h"
#include "arch/exception.h"
#include "arch/sysreg.h"
#include "core/log/log.h"

static const char *const kind_names[] = {
	[EXC_KIND_SP0] = "exception with SP_EL0",
	[EXC_KIND_SYNC] = "synchronous exception",
	[EXC_KIND_FIQ] = "FIQ",
	[EXC_KIND_SERROR] = "SError",
	[EXC_KIND_LOWER32] = "exception from AArch32",
};

static bool sp_in_guard_page(u64 sp)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		u64 guard = (u64)(uintptr_t)cpu_stacks[i].guard;

		if (sp >= guard && sp < guard + CPU_STACK_GUARD + 512)
			return true;
	}
	return false;
}

void exception_fatal(struct exc_frame *f, u64 kind)
{
	log_err("unexpected %s at EL2 on CPU %u: CPU stopped\n", kind_names[kind], cpu_index());
	log_err("  ESR_EL2 %016lx (EC 0x%02lx: %s, ISS 0x%lx)\n", f->esr,
		FIELD_GET(ESR_EC, f->esr), esr_class_name(f->esr), FIELD_GET(ESR_ISS, f->esr));
	log_err("  FAR_EL2 %016lx  ELR_EL2 %016lx  SPSR_EL2 %016lx\n", f->far, f->elr, f->spsr);
	if (sp_in_guard_page(f->sp) || sp_in_guard_page(f->far))
		log_err("  stack overflow: SP %016lx reached a guard page\n", f->sp);
	for (unsigned i = 0; i < 30; i += 3)
		log_err("  x%-2u %016lx  x%-2u %016lx  x%-2u %016lx\n", i, f->x[i], i + 1,
			f->x[i + 1], i + 2, f->x[i + 2]);
	log_err("  x30 %016lx  sp  %016lx\n", f->x[30], f->sp);
	this_cpu()->online = false; /* after the report, so it is not interleaved with others */
}
