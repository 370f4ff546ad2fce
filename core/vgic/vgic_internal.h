/*
 * Inside the vGIC: the parts that build on the host (core/vgic/vgic_irq.c, core/vgic/vgic_mmio.c)
 * and are unit-tested there (tests/unit/test_vgic.c), and what they need from the rest.
 * core/vgic/vgic.c binds them to the hardware: the VM's lock, the ICH_* registers and the
 * physical GIC.
 */
#ifndef CORE_VGIC_INTERNAL_H
#define CORE_VGIC_INTERNAL_H

#include "core/vgic/vgic.h"
#include "core/vm/emul.h"
#include "core/vm/vm.h"
#include "drivers/gic/gicv3_regs.h"

/* A VM whose vGIC lock (vm->vgic->lock) is held: functions taking it need the lock
 * (style.md 6). flags is the caller's interrupt mask, restored when it unlocks. */
struct vgic_locked {
	struct vm *vm;
	u64 flags;
};

/* What the vGIC asks of the physical side: the GIC driver and vcpu_kick in the
 * hypervisor, a recording double in the unit tests. Called with the lock held. */
struct vgic_hw_ops {
	/* Make v leave the guest soon, so that its next entry sees the change. */
	void (*kick)(struct vcpu *v);
	/* A forwarded SPI: route it to physical CPU pcpu and enable it, or disable it. */
	void (*spi_route)(unsigned intid, unsigned pcpu);
	void (*spi_disable)(unsigned intid);
	/* ... and its trigger, while it is disabled. */
	void (*spi_config)(unsigned intid, bool edge);
	/* Deactivate a forwarded interrupt the guest will not deactivate itself (pcpu: the
	 * CPU whose PPI it is; unused for an SPI). */
	void (*deactivate)(unsigned intid, unsigned pcpu);
};

/* ---- interrupt state (core/vgic/vgic_irq.c) ---- */

/* Set up a VM's vGIC (its vCPUs are numbered already): virtual-device SPIs owned, every
 * interrupt in its reset state. */
void vgic_state_init(struct vm *vm, const struct vgic_hw_ops *hw);
/* Power-on state for the distributor, every redistributor and CPU interface; forwarded
 * interrupts the guest left active are deactivated, forwarded SPIs disabled. */
void vgic_reset(struct vgic_locked g);
/* Give physical SPI intid to the VM: 0, -E_RANGE (not an SPI the vGIC has), -E_EXIST. */
int vgic_claim_hw_spi(struct vgic_locked g, unsigned intid);

/* The interrupt intid as v sees it: v's SGI/PPI, or an SPI the VM owns; else NULL. */
struct virq *vgic_get_irq(struct vm *vm, struct vcpu *v, unsigned intid);
bool vgic_irq_pending(const struct virq *irq);
/* After a change to irq's state: make the vCPU concerned look at it again. */
void vgic_notify(struct vgic_locked g, struct virq *irq);
/* Release a forwarded interrupt the guest no longer has pending or active. */
void vgic_release_hw(struct vgic_locked g, struct virq *irq);
/* Enable/route or disable a forwarded SPI after its enable bit or IROUTER changed. */
void vgic_update_hw_spi(struct vgic_locked g, struct virq *irq);

/* Sources: an edge (or, if irq is level-sensitive, the line goes high); a line level; the
 * physical interrupt hw_intid, taken and left active for the guest to deactivate. */
void vgic_raise(struct vgic_locked g, struct virq *irq);
void vgic_set_line(struct vgic_locked g, struct virq *irq, bool high);
void vgic_raise_hw(struct vgic_locked g, struct virq *irq, unsigned hw_intid);
/* ICC_SGI1R_EL1 written by v. */
void vgic_send_sgis(struct vgic_locked g, struct vcpu *v, u64 sgi1r);

/* Before entry: choose what goes into v's list registers (v->vgic->lr[], used_lrs) and
 * return the ICH_HCR_EL2 value to run with. After the exit: now[] holds what the list
 * registers hold after the guest ran; take it back and free them. */
u64 vgic_fill_lrs(struct vgic_locked g, struct vcpu *v);
void vgic_fold_lrs(struct vgic_locked g, struct vcpu *v, const u64 *now);

/* ---- register emulation (core/vgic/vgic_mmio.c) ---- */

/* IIDR of every frame: Arm's JEP106 code with product 'P' (KVM's vGIC uses 'K'), so no
 * guest driver quirk matches it; PIDR2: the GICv3 architecture. */
#define VGIC_IIDR (FIELD_PREP(GICD_IIDR_PRODUCT_ID, 'P') | FIELD_PREP(GICD_IIDR_IMPLEMENTER, 0x43b))
#define VGIC_PIDR2 FIELD_PREP(GIC_PIDR2_ARCH_REV, 3)

/* A 32-bit register that reads value and ignores writes. False: not a word access. */
bool vgic_reg_ro32(struct mmio_access *a, u32 value);
/* A 64-bit register accessed whole or by either 32-bit half (off % 8 says which): a read
 * gets its part of reg; a write gives *written, reg with that part replaced, for the
 * caller to take or not. False: neither a word nor a doubleword access. */
bool vgic_reg64(struct mmio_access *a, u64 off, u64 reg, u64 *written);

/* An access to the distributor (offset within GICD) or to the redistributors (offset
 * within the region of every vCPU's frames). False: a size the register does not have. */
bool vgic_dist_access(struct vgic_locked g, struct mmio_access *a);
bool vgic_redist_access(struct vgic_locked g, struct mmio_access *a);

#endif
