/* Bounded polls of device registers (style.md 10: every wait has a timeout and a message),
 * timed by the system counter. */
#ifndef DRIVERS_TIMER_POLL_H
#define DRIVERS_TIMER_POLL_H

#include "core/lib/types.h"

/* Wait until (read32(addr) & mask) == want, at most timeout_us. Returns 0 or -E_TIMEOUT
 * after logging what was waited for (what). */
int mmio_poll32(u64 addr, u32 mask, u32 want, u64 timeout_us, const char *what);

#endif
