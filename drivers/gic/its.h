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

/* For the VMs' virtual ITSs (core/vgic/vits.c), each waited for (SYNC) and 0 or -E_*:
 * give device pdevid an ITT of 2^event_bits events (MAPD; once, when its VM is made);
 * map its event to LPI lpi at CPU cpu (MAPTI, INV); move it (MOVI); unmap it (DISCARD). */
int its_map_device(u32 pdevid, unsigned event_bits);
int its_map_event(u32 pdevid, u32 event, unsigned lpi, unsigned cpu);
int its_move_event(u32 pdevid, u32 event, unsigned cpu);
int its_unmap_event(u32 pdevid, u32 event, unsigned cpu);
/* The doorbell: the page of GITS_TRANSLATER, all a device may reach of the ITS. */
pa_t its_doorbell(void);

#endif
