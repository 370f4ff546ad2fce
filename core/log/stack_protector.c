/* -fstack-protector support for our code and Debian's libfdt.a. The canary is a fixed
 * value: a guest never sees hypervisor stacks, the protector catches overflows by bugs. */
#include "core/lib/types.h"
#include "core/log/log.h"

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ULL;

NORETURN void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	panic("stack smashing detected (stack protector canary overwritten)\n");
}
