/* MMIO accessors and bounded polls (style.md 10: every wait has a timeout and a message). */
#ifndef CORE_MMIO_H
#define CORE_MMIO_H

#include "core/lib/types.h"

static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)(uintptr_t)addr; }
static inline u64 mmio_read64(u64 addr) { return *(volatile u64 *)(uintptr_t)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)(uintptr_t)addr = v; }
static inline void mmio_write64(u64 addr, u64 v) { *(volatile u64 *)(uintptr_t)addr = v; }
static inline void mmio_write8(u64 addr, u8 v) { *(volatile u8 *)(uintptr_t)addr = v; }

/* Wait until (read32(addr) & mask) == want, at most timeout_us. Returns 0 or -E_TIMEOUT
 * after logging what was waited for (what). */
int mmio_poll32(u64 addr, u32 mask, u32 want, u64 timeout_us, const char *what);

#endif
