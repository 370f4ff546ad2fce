/* The system counter (Arm ARM, "The Generic Timer in AArch64 state"). Inline: the vCPU loop
 * reads it on every exit. */
#ifndef ARCH_COUNTER_H
#define ARCH_COUNTER_H

#include "arch/sysreg.h"

/* CNTPCT_EL0, unordered: an ISB before it where the read must not come early. */
static inline u64 counter_read(void) { return read_sysreg(cntpct_el0); }

/* CNTFRQ_EL0: the frequency the firmware wrote, 0 when it wrote none. */
static inline u64 counter_firmware_hz(void) { return read_sysreg(cntfrq_el0); }

#endif
