/* arch/irq.h on arm64: the DAIF register's I bit (Arm ARM C5.2.2). */
#ifndef ARCH_IMPL_IRQ_H
#define ARCH_IMPL_IRQ_H

#include "core/lib/types.h"

#define irq_enable() __asm__ volatile("msr daifclr, #2" : : : "memory")
#define irq_disable() __asm__ volatile("msr daifset, #2" : : : "memory")

static inline u64 irq_save(void)
{
	u64 flags;

	__asm__ volatile("mrs %0, daif" : "=r"(flags));
	irq_disable();
	return flags;
}

static inline void irq_restore(u64 flags)
{
	__asm__ volatile("msr daif, %0" : : "r"(flags) : "memory");
}

#endif
