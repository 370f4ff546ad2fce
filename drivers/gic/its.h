/*
 * The physical GICv3 ITS (Arm IHI 0069, 5.3 and 12.19): its tables, its command queue and
 * the collections of the CPUs, so that an MSI written to GITS_TRANSLATER becomes an LPI at
 * EL2. The MSI issue builds the virtual ITS on it; a machine without a usable ITS keeps
 * INTx for its devices, after one warning.
 */
#ifndef DRIVERS_GIC_ITS_H
#define DRIVERS_GIC_ITS_H

#include "core/platform/platform.h"

/* After gic_init and PCI enumeration (max_devid: the largest DeviceID a device has), before
 * the other CPUs start (they enable LPIs in gic_cpu_init): LPIs, the ITS's tables and
 * command queue, a collection per CPU. 0, or -E_* after a warning (no ITS: -E_NODEV). */
int its_init(const struct platform *p, u32 max_devid);
/* Once this CPU takes interrupts at EL2: an INT command's LPI must arrive here; if it does
 * not, the ITS is given up (warning). 0 or -E_*. */
int its_selftest(const struct platform *p);
/* Whether its_init succeeded. */
bool its_ready(void);

#endif
