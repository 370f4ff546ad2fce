#include "drivers/timer/poll.h"

#include "core/lib/mmio.h"

#include "core/lib/errno.h"
#include "core/log/log.h"
#include "drivers/timer/timer.h"

int mmio_poll32(u64 addr, u32 mask, u32 want, u64 timeout_us, const char *what)
{
	u64 deadline = timer_now_us() + timeout_us;
	u32 v;

	do {
		v = mmio_read32(addr);
		if ((v & mask) == want)
			return 0;
	} while (timer_now_us() < deadline);
	log_err("timeout after %lu us waiting for %s (register %lx = %x)\n", timeout_us, what,
		addr, v);
	return -E_TIMEOUT;
}
