/*
 * Virtual GICv3 (Arm IHI 0069): an emulated distributor per VM and redistributor per vCPU,
 * with virtual interrupts delivered through the ICH list registers. A physical SPI owned by
 * a VM, and the virtual timer PPI, are forwarded with the HW bit, so the guest's
 * deactivation deactivates the physical interrupt. A guest can only configure interrupts
 * that belong to it. See docs/vgic.md.
 */
#ifndef CORE_VGIC_H
#define CORE_VGIC_H

#include "core/lib/spinlock.h"
#include "core/lib/types.h"
#include "core/vm/guest_layout.h"

#define VGIC_NR_PRIVATE 32 /* SGIs and PPIs, per vCPU */
#define VGIC_NR_SGIS 16
#define VGIC_NR_SPIS (GUEST_NR_IRQS - VGIC_NR_PRIVATE) /* SPIs a VM can have */
#define VGIC_NR_IRQS (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_MAX_LRS 16
#define VGIC_MAX_APRS 4
#define VGIC_NO_VCPU 0xff     /* an SPI routed to an affinity no vCPU has */
/* LPIs (IHI 0069 chapter 5), with a virtual ITS: the guest's INTIDs from 8192 below
 * 2^VGIC_LPI_IDBITS, of which a VM may have VGIC_MAX_LPIS mapped at once (each one an
 * event of one of its devices, core/vgic/vits.c). */
#define VGIC_LPI_BASE 8192
#define VGIC_LPI_IDBITS 16
#define VGIC_MAX_LPIS 128

/*
 * One virtual interrupt. Protected by the VM's vgic lock (struct vgic_dist.lock).
 * Pending state: pending_latch (an edge, a write to ISPENDR, an SGI) or, for a
 * level-sensitive interrupt, line_level (the emulated device's output).
 */
struct virq {
	u16 intid;
	u16 hw_intid;  /* physical INTID when hw */
	u8 priority;
	u8 target;     /* SPIs: the vCPU its IROUTER names, or VGIC_NO_VCPU */
	u8 lr_vcpu;    /* the vCPU whose list registers hold it (in_lr) or held it last */
	bool owned;    /* SPIs: the VM may use it (forwarded, or a virtual device's) */
	bool hw;       /* forwarded physical interrupt (an SPI, or the virtual timer PPI) */
	bool hw_active; /* the physical one is active, waiting for the guest's deactivation */
	u8 hw_activation; /* counts vgic_raise_hw: which activation a list register held */
	bool group1;
	bool enabled;
	bool level;    /* level-sensitive (ICFGR) */
	bool pending_latch;
	bool line_level;
	bool active;
	bool in_lr;    /* in lr_vcpu's list registers while it runs the guest */
	u64 irouter;   /* SPIs: the affinity the guest wrote */
};

/* Per vCPU: its SGIs and PPIs, its redistributor, and its virtual CPU interface. */
struct vgic_cpu {
	struct virq priv[VGIC_NR_PRIVATE];
	u64 lr[VGIC_MAX_LRS]; /* what vgic_flush wrote to ICH_LR<n>_EL2 */
	struct virq *lr_irq[VGIC_MAX_LRS]; /* ... for which interrupt */
	u8 lr_hw_activation[VGIC_MAX_LRS]; /* ... and, with HW = 1, which activation of it */
	u32 taken[VGIC_NR_IRQS]; /* acknowledges by the guest here, by INTID (the prompt's stats) */
	unsigned used_lrs;    /* ... and how many, until vgic_sync takes them back */
	unsigned nr_lrs;      /* ICH_VTR_EL2.ListRegs + 1, read in vgic_cpu_load */
	bool lr_overflow;     /* more interrupts wanted a list register than there were */
	u64 vmcr;             /* ICH_VMCR_EL2 while the vCPU is off its CPU */
	u32 ap0r[VGIC_MAX_APRS], ap1r[VGIC_MAX_APRS];
	bool waker_sleep;     /* GICR_WAKER.ProcessorSleep */
	bool lpis_enabled;    /* GICR_CTLR.EnableLPIs */
	u64 pendbaser;        /* GICR_PENDBASER: kept for the guest, never read here */
	u32 taken_lpis;       /* LPIs acknowledged by the guest here, all INTIDs together */
	/* Private interrupts that may want a list register (bit = INTID); see
	 * vgic_dist.maybe_lr. */
	u32 maybe_lr;
	/* The last vgic_flush listed nothing and wanted nothing, when the VM's vgic_dist.changes
	 * was idle_at: until that changes, entering needs no flush (core/vgic/vgic.c). */
	bool idle;
	u64 idle_at;
};

struct vgic_hw_ops;
struct vits;

/* Per VM: its distributor. The lock covers every virq of the VM (SPIs and each vCPU's
 * private ones) and the distributor registers. */
struct vgic_dist {
	spinlock_t lock;
	u32 ctlr; /* GICD_CTLR.EnableGrp0/EnableGrp1 */
	struct virq spi[VGIC_NR_SPIS];
	const struct vgic_hw_ops *hw; /* the physical side: the GIC driver, or a test double */
	/* SPIs that may want a list register (bit = INTID; bits below VGIC_NR_PRIVATE unused):
	 * set when one becomes pending or active, cleared by the next scan that finds it
	 * neither. So a guest exit looks at a handful of interrupts, not at all of them. */
	u64 maybe_lr[VGIC_NR_IRQS / 64];
	/* LPIs: lpi[i] is the interrupt of the virtual ITS's event slot i (owned while the
	 * event is mapped); maybe_lr as above, by slot. */
	struct virq lpi[VGIC_MAX_LPIS];
	u64 lpi_maybe_lr[VGIC_MAX_LPIS / 64];
	u64 propbaser; /* GICR_PROPBASER: one configuration table for every redistributor */
	struct vits *its; /* the VM's virtual ITS, or NULL (then no LPIs) */
	u64 changes; /* counts the lock's acquisitions: whatever changes the state takes it */
};

struct vm;
struct vcpu;

struct vm_device_ops;
/* The VM's GIC (core/vm/vm_device.h): init registers the distributor and redistributor
 * regions and forwards the config's SPIs; reset takes distributor and redistributors to
 * their power-on state; stats: per vCPU the interrupts its guest acknowledged most. */
extern const struct vm_device_ops vgic_device;
/* ... and its vCPU side: list registers in and out (core/vm/vm_device.h). */
struct vm_irqchip_ops;
extern const struct vm_irqchip_ops vgic_irqchip;
/* Forward physical SPI intid (owned by the VM) to the guest as the same INTID, HW bit set. */
int vgic_forward_spi(struct vm *vm, unsigned intid);

/* Drive the line of an emulated device's SPI (to the vCPU it is routed to; an edge when the
 * guest made it edge-triggered). Kicks the target vCPU. */
void vgic_set_level(struct vm *vm, unsigned intid, bool high);
/* The physical interrupt intid fired and belongs to this CPU's vCPU (forwarded SPI or the
 * virtual timer): queue it with the HW bit. */
void vgic_inject_hw(struct vcpu *v, unsigned intid);

/* Around each guest entry: move pending interrupts into list registers, and after the
 * exit, take back what the guest did with them. */
void vgic_flush(struct vcpu *v);
void vgic_sync(struct vcpu *v);
/* The guest wrote ICC_SGI1R_EL1 (trapped): send SGIs to the addressed vCPUs of its VM. */
void vgic_sgi1r_write(struct vcpu *v, u64 value);
/* The INTIDs v's guest acknowledged most, most first: at most max of them, into intid[] and
 * count[]; returns how many. An interrupt storm shows here by name. */
unsigned vgic_most_taken(const struct vcpu *v, unsigned *intid, u32 *count, unsigned max);
/* Load and save the virtual CPU interface (ICH_*) when a vCPU takes or leaves its CPU. */
void vgic_cpu_load(struct vcpu *v);
void vgic_cpu_put(struct vcpu *v);

#endif
