/* Masking this CPU's interrupts (PSTATE.I, Arm ARM C5.2.2 "DAIF"): irq_enable(), irq_disable(), and
 * irq_save() / irq_restore(flags) around a section that may already run masked. Inline:
 * the vGIC and the SMMU take them around every lock. */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <arch_impl/irq.h>

/* What an interrupt exception calls: the interrupt controller's driver (drivers/gic)
 * acknowledges and dispatches it. The vCPU loop calls it too, for an interrupt that made
 * the guest exit. */
void irq_handle(void);

#endif
