/* arch/irq.h on the host: the mask is a flag tests can check (fake_irqs_masked). */
#ifndef ARCH_IMPL_IRQ_H
#define ARCH_IMPL_IRQ_H

#include "core/lib/types.h"

extern bool fake_irqs_masked;

static inline void irq_enable(void) { fake_irqs_masked = false; }
static inline void irq_disable(void) { fake_irqs_masked = true; }

static inline u64 irq_save(void)
{
	u64 flags = fake_irqs_masked;

	irq_disable();
	return flags;
}

static inline void irq_restore(u64 flags) { fake_irqs_masked = flags; }

#endif
