/*
 * GICv3 at EL2 (Arm IHI 0069, GIC architecture specification v3/v4): distributor,
 * redistributors and the system-register CPU interface. SGIs serve as IPIs.
 */
#ifndef DRIVERS_GIC_GICV3_H
#define DRIVERS_GIC_GICV3_H

#include "core/platform/platform.h"

#define GIC_SGI_BASE 0
#define GIC_PPI_BASE 16
#define GIC_SPI_BASE 32
#define GIC_MAX_INTID 1020 /* 1020-1023 are special (IHI 0069 2.2.1) */
#define GIC_INTID_SPURIOUS 1023

/* SGIs the hypervisor uses between its CPUs */
#define SGI_PING 1
#define SGI_PONG 2
#define SGI_SELFTEST 3
#define SGI_KICK 4 /* make a CPU leave its guest (core/vm/vm.c vcpu_kick) */

typedef void (*irq_handler_t)(unsigned intid, void *ctx);

/* Distributor and the boot CPU's redistributor. Returns 0 or -E_*. */
int gic_init(const struct plat_gic *g);
/* This CPU's redistributor and CPU interface (every CPU, the boot CPU included). */
int gic_cpu_init(void);

/* Handlers run with the interrupt acknowledged; afterwards its priority is dropped and it
 * is deactivated (ICC_CTLR_EL1.EOImode = 1: the two steps are separate). */
int gic_set_handler(unsigned intid, irq_handler_t fn, void *ctx);
/* Like gic_set_handler, for an interrupt forwarded to a guest with the HW bit: the
 * hypervisor only drops its priority; the guest's deactivation of the virtual interrupt
 * deactivates the physical one (IHI 0069 4.1.2 / 11.1). */
int gic_set_forwarded(unsigned intid, irq_handler_t fn, void *ctx);
/* Disable a PPI/SGI on this CPU. */
int gic_disable_local(unsigned intid);
/* Enable a PPI or SGI on this CPU, or an SPI routed to the CPU with affinity mpidr. */
int gic_enable_local(unsigned intid);
int gic_enable_spi(unsigned intid, u64 mpidr);
int gic_disable_spi(unsigned intid);
/* Make an SPI edge-triggered or level-sensitive; only while it is disabled (IHI 0069,
 * GICD_ICFGR<n>: changing an enabled interrupt's trigger is UNPREDICTABLE). */
int gic_config_spi(unsigned intid, bool edge);
/* Deactivate an SPI, or a PPI/SGI of CPU cpu (by its Portcullis index), from any CPU:
 * how a forwarded interrupt is released when its guest will not deactivate it. */
int gic_deactivate(unsigned intid, unsigned cpu);
/* Send SGI intid to the CPU with affinity mpidr. */
void gic_send_sgi(unsigned intid, u64 mpidr);
unsigned gic_num_spis(void);

/* ---- LPIs (IHI 0069 chapter 5), for the ITS driver (drivers/gic/its.h) ---- */
#define GIC_LPI_BASE 8192
#define GIC_LPI_IDBITS 14  /* INTIDs below 2^14: 8192 LPIs at most */
/* The LPIs the hypervisor handles: 8192 .. 8192 + GIC_HYP_LPIS - 1, the first 64 its own
 * (the ITS self-test's), then GIC_VM_LPIS for each VM's virtual ITS (fixed ranges: an LPI
 * left pending after its event was unmapped can only reach the same VM). */
#define GIC_OWN_LPIS 64
#define GIC_VM_LPIS 128
#define GIC_MAX_VMS 8
#define GIC_HYP_LPIS (GIC_OWN_LPIS + GIC_MAX_VMS * GIC_VM_LPIS)
/* The physical LPI of slot slot of VM vm_id. */
static inline unsigned gic_vm_lpi(unsigned vm_id, unsigned slot)
{
	return GIC_LPI_BASE + GIC_OWN_LPIS + vm_id * GIC_VM_LPIS + slot;
}
/* The configuration table and this CPU's pending table; later CPUs get theirs in
 * gic_cpu_init. -E_NODEV when the distributor has no LPIs. */
int gic_lpi_init(void);
/* Enable or disable an LPI in the configuration table (the ITS's INV makes it seen). */
int gic_lpi_config(unsigned lpi, bool enable);
int gic_set_lpi_handler(unsigned lpi, irq_handler_t fn, void *ctx);
/* The redistributor of the CPU with affinity mpidr as an ITS names it (5.3.10 MAPC's
 * RDbase): its physical address if by_address (GITS_TYPER.PTA), else its processor
 * number. 0 with by_address when there is none. */
u64 gic_redist_of(u64 mpidr, bool by_address);

#endif
