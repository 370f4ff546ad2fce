/* Host double of arch/vcpu_ctx.h and arch/idregs.h: a guest is a test's function, and the
 * CPU's EL1 registers are one context in memory. */
#include "arch/idregs.h"
#include "arch/vcpu_ctx.h"
#include "arch/fake/fake.h"
#include "core/log/log.h"

struct el1_ctx fake_el1;
u64 (*fake_guest)(struct vcpu *v);

u64 guest_enter(struct vcpu *v)
{
	if (!fake_guest)
		panic("guest_enter: the test set no fake_guest\n");
	return fake_guest(v);
}

void vcpu_ctx_load(const struct el1_ctx *c) { fake_el1 = *c; }
void vcpu_ctx_save(struct el1_ctx *c) { *c = fake_el1; }

/* The host has no ID registers to show a guest. */
bool idreg_guest_value(u64 sys_id, u64 *value)
{
	(void)sys_id, (void)value;
	return false;
}
