/*
 * A virtual GICv3 ITS per VM (Arm IHI 0069, 5.2-5.3 and the GITS_* registers of 12.19):
 * the guest maps its devices' events to LPIs with ITS commands in a queue in its own
 * memory; each command is checked against what the VM owns and every valid mapping is
 * mirrored into the physical ITS, whose LPI then reaches EL2 on the CPU of the target vCPU
 * and is injected through the list registers (docs/msi.md). Built on the host too: the
 * physical ITS is behind struct vits_hw_ops. Everything here runs under the vGIC's lock.
 */
#ifndef CORE_VGIC_VITS_H
#define CORE_VGIC_VITS_H

#include "core/vgic/vgic_internal.h"
#include "core/vm/vmconfig.h"

/* What the guest sees (GITS_TYPER): DeviceID = the PCI requester ID (16 bits), at most
 * 2^VITS_EVENT_BITS events per device, and collections held by the ITS, one per vCPU. */
#define VITS_DEVICE_BITS 16
#define VITS_EVENT_BITS 10
#define VITS_COLLECTIONS VM_MAX_VCPUS
/* The VM's DeviceIDs: each PCI device's and its DMA alias's (a device behind a PCIe-to-PCI
 * bridge writes its MSIs as the bridge's Requester ID, PCI Express to PCI/PCI-X Bridge 1.0,
 * 2.3, which Linux's ITS driver takes as its DeviceID). */
#define VITS_MAX_DEVICES (2 * VM_MAX_PCI)
/* Commands taken from the queue per CWRITER write or CREADR read: a guest that fills a
 * 1 MiB queue waits on CREADR while the rest are done, in bounded steps. */
#define VITS_CMDS_PER_ACCESS 64

/* The physical ITS, for the VM's devices (pdevid: the device's DeviceID at the ITS). */
struct vits_hw_ops {
	/* Map event of pdevid to the VM's LPI slot (its physical LPI is the VM's slot-th),
	 * delivered on physical CPU pcpu. 0 or -E_*. */
	int (*map_event)(struct vm *vm, u32 pdevid, u32 event, unsigned slot, unsigned pcpu);
	int (*move_event)(u32 pdevid, u32 event, unsigned pcpu);
	/* Unmap it (delivered at pcpu so far); after this its physical LPI comes at most
	 * once more, already pending. */
	int (*unmap_event)(u32 pdevid, u32 event, unsigned pcpu);
};

struct vits_device {
	u16 rid;            /* the guest's DeviceID */
	u32 pdevid;         /* the physical ITS's */
	u8 event_bits;      /* the ITT size of the guest's MAPD; 0: not mapped */
};

/* An event the guest mapped: slot i of the VM is vgic_dist.lpi[i]. */
struct vits_event {
	bool used;
	u8 dev;             /* index in vits.dev */
	u16 icid;
	u32 event;
};

struct vits {
	u32 ctlr;           /* GITS_CTLR.Enabled */
	u64 cbaser;
	u32 creadr, cwriter; /* byte offsets in the queue */
	struct vits_device dev[VITS_MAX_DEVICES];
	unsigned n_dev;
	u8 collection[VITS_COLLECTIONS]; /* the vCPU each maps to, or VGIC_NO_VCPU */
	struct vits_event ev[VGIC_MAX_LPIS];
	const struct vits_hw_ops *hw;
	unsigned long refused; /* commands and accesses refused, for the log's sampling */
};

/* Give the VM (its vGIC set up) a virtual ITS for its PCI devices: rid[i] (a device's
 * requester ID or DMA alias, at most VITS_MAX_DEVICES) has physical DeviceID pdevid[i]. */
void vits_init(struct vm *vm, struct vits *its, const struct vits_hw_ops *hw, const u16 *rid,
	       const u32 *pdevid, unsigned n);
/* An access to the ITS's two frames (offset from ITS_base). False: a size the register
 * does not have. */
bool vits_access(struct vgic_locked g, struct mmio_access *a);
/* Power-on state: every event unmapped in the physical ITS too, nothing pending. */
void vits_reset(struct vgic_locked g);
/* The physical LPI of the VM's slot fired: the event's LPI is pending. */
void vits_raise(struct vgic_locked g, unsigned slot);

#endif
