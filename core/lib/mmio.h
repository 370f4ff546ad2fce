/* MMIO accessors (the bounded poll over them: drivers/timer/poll.h). */
#ifndef CORE_LIB_MMIO_H
#define CORE_LIB_MMIO_H

#include "core/lib/types.h"

static inline u8 mmio_read8(u64 addr) { return *(volatile u8 *)(uintptr_t)addr; }
static inline u16 mmio_read16(u64 addr) { return *(volatile u16 *)(uintptr_t)addr; }
static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)(uintptr_t)addr; }
static inline u64 mmio_read64(u64 addr) { return *(volatile u64 *)(uintptr_t)addr; }
static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32 *)(uintptr_t)addr = v; }
static inline void mmio_write64(u64 addr, u64 v) { *(volatile u64 *)(uintptr_t)addr = v; }
static inline void mmio_write8(u64 addr, u8 v) { *(volatile u8 *)(uintptr_t)addr = v; }
static inline void mmio_write16(u64 addr, u16 v) { *(volatile u16 *)(uintptr_t)addr = v; }

#endif
