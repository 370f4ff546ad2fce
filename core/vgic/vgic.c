/*
 * The vGIC bound to the hardware (docs/vgic.md): the VM's lock, the list registers and
 * the rest of the virtual CPU interface (ICH_*_EL2), the physical GIC for forwarded
 * interrupts, and the MMIO regions. The emulation itself is in vgic_irq.c and vgic_mmio.c.
 */
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/ich.h"
#include "arch/irq.h"
#include "arch/sysreg.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/log/log.h"
#include "core/platform/platform.h"
#include "core/vgic/vgic_internal.h"
#include "core/vgic/vits.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/gicv3.h"
#include "drivers/gic/its.h"
#include "drivers/pci/pci.h"

/* Where the device tree names none: the PPI the SBSA recommends, and QEMU's. */
#define MAINT_INTID_DEFAULT 25

/* Interrupts are masked while the lock is held: the sources call in from IRQ context.
 * Every acquisition counts as a change (vgic_flush), counted before anything under the lock
 * can kick a vCPU: the kick's SGI follows a DSB (gic_send_sgi), so the kicked CPU sees the
 * new count. */
static struct vgic_locked vgic_lock(struct vm *vm)
{
	u64 flags = irq_save();

	spin_lock(&vm->vgic->lock);
	__atomic_store_n(&vm->vgic->changes, vm->vgic->changes + 1, __ATOMIC_RELAXED);
	return (struct vgic_locked){ vm, flags };
}

static void vgic_unlock(struct vgic_locked g)
{
	spin_unlock(&g.vm->vgic->lock);
	irq_restore(g.flags);
}

/* ---- the physical side ---- */

static void hw_spi_route(unsigned intid, unsigned pcpu)
{
	gic_enable_spi(intid, cpus[pcpu].mpidr);
}

static void hw_spi_disable(unsigned intid)
{
	gic_disable_spi(intid);
}

static void hw_spi_config(unsigned intid, bool edge)
{
	gic_config_spi(intid, edge);
}

static void hw_deactivate(unsigned intid, unsigned pcpu)
{
	gic_deactivate(intid, pcpu);
}

static const struct vgic_hw_ops gic_ops = {
	.kick = vcpu_kick,
	.spi_route = hw_spi_route,
	.spi_disable = hw_spi_disable,
	.spi_config = hw_spi_config,
	.deactivate = hw_deactivate,
};

static unsigned maint_intid(void)
{
	unsigned intid = platform()->gic.maint_irq;

	return intid ? intid : MAINT_INTID_DEFAULT;
}

/* The maintenance interrupt (level-sensitive) made the vCPU exit, which was its purpose:
 * vgic_sync takes the list registers back. Disabling the virtual CPU interface drops it,
 * in case it is seen before vgic_sync ran. */
static void on_maintenance(unsigned intid, void *ctx)
{
	write_sysreg(ich_hcr_el2, read_sysreg(ich_hcr_el2) & ~ICH_HCR_EN);
	isb();
}

/* A forwarded SPI fired; the GIC driver dropped its priority and left it active. */
static void on_forwarded_spi(unsigned intid, void *ctx)
{
	struct vgic_locked g = vgic_lock(ctx);

	vgic_raise_hw(g, vgic_get_irq(g.vm, NULL, intid), intid);
	vgic_unlock(g);
}

/* ---- the virtual ITS over the physical one ---- */

_Static_assert(VGIC_MAX_LPIS == GIC_VM_LPIS && VM_MAX <= GIC_MAX_VMS,
	       "each VM's LPI slots have their physical LPIs");

static int its_hw_map(struct vm *vm, u32 pdevid, u32 event, unsigned slot, unsigned pcpu)
{
	return its_map_event(pdevid, event, gic_vm_lpi(vm->id, slot), pcpu);
}

static const struct vits_hw_ops its_ops = {
	.map_event = its_hw_map,
	.move_event = its_move_event,
	.unmap_event = its_unmap_event,
};

/* One of the VM's physical LPIs arrived (on the CPU of the vCPU it targets). */
static void on_vm_lpi(unsigned intid, void *ctx)
{
	struct vm *vm = ctx;
	struct vgic_locked g = vgic_lock(vm);

	vits_raise(g, intid - gic_vm_lpi(vm->id, 0));
	vgic_unlock(g);
}

static bool gits_mmio(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct vgic_locked g = vgic_lock(dev);
	bool ok = vits_access(g, a);

	vgic_unlock(g);
	return ok;
}

/* DeviceID rid of the VM's (GICv3 ITS, 5.2: its ITT; the PCI host's msi-map gives the
 * physical one) gets its ITT in the physical ITS, once: devices behind one PCIe-to-PCI
 * bridge share their alias. */
static int add_its_device(u16 rid, u16 *rids, u32 *pdevid, unsigned *n)
{
	int ret;

	for (unsigned i = 0; i < *n; i++)
		if (rids[i] == rid)
			return 0;
	ret = pci_rid_to_devid(&platform()->pci, rid, &pdevid[*n]);
	ret = ret ? ret : its_map_device(pdevid[*n], VITS_EVENT_BITS);
	if (!ret)
		rids[(*n)++] = rid;
	return ret;
}

/* Each of the VM's PCI devices, and its DMA alias (the DeviceID its MSI writes carry behind
 * a PCIe-to-PCI bridge, PCI Express to PCI/PCI-X Bridge 1.0, 2.3), gets its ITT in the
 * physical ITS now, for good; a VM whose devices cannot have one keeps INTx (after a
 * warning). */
static int its_devices(struct vm *vm, u16 *rid, u32 *pdevid, unsigned *n)
{
	*n = 0;
	for (unsigned i = 0; i < vm->cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);
		int ret = d ? add_its_device(d->bdf, rid, pdevid, n) : -E_NODEV;

		if (!ret && d->has_alias)
			ret = add_its_device(d->alias_rid, rid, pdevid, n);
		if (ret) {
			log_warn("vm %u: no MSIs for PCI device %u (%s): its devices keep INTx\n",
				 vm->id, i, err_name(ret));
			return ret;
		}
	}
	return 0;
}

static struct vits its_of_vm[VM_MAX];

static int vits_vm_init(struct vm *vm)
{
	u16 rid[VITS_MAX_DEVICES];
	u32 pdevid[VITS_MAX_DEVICES];
	unsigned n;

	if (!its_ready() || !vm->cfg->n_pci || its_devices(vm, rid, pdevid, &n))
		return 0;
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		gic_set_lpi_handler(gic_vm_lpi(vm->id, i), on_vm_lpi, vm);
	vits_init(vm, &its_of_vm[vm->id], &its_ops, rid, pdevid, n);
	vm->msi = true;
	return emul_register(vm, GUEST_ITS_BASE, GUEST_ITS_SIZE, gits_mmio, vm, "GITS");
}

/* ---- MMIO ---- */

static bool gicd_mmio(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct vgic_locked g = vgic_lock(dev);
	bool ok = vgic_dist_access(g, a);

	vgic_unlock(g);
	return ok;
}

static bool gicr_mmio(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct vgic_locked g = vgic_lock(dev);
	bool ok = vgic_redist_access(g, a);

	vgic_unlock(g);
	return ok;
}

/* ---- VM life cycle ---- */

static int vgic_vm_init(struct vm *vm)
{
	int ret;

	vgic_state_init(vm, &gic_ops);
	ret = emul_register(vm, GUEST_GICD_BASE, GUEST_GICD_SIZE, gicd_mmio, vm, "GICD");
	if (!ret)
		ret = emul_register(vm, GUEST_GICR_BASE, vm->n_vcpus * GUEST_GICR_STRIDE, gicr_mmio,
				    vm, "GICR");
	if (!ret)
		ret = gic_set_handler(maint_intid(), on_maintenance, NULL);
	if (!ret)
		ret = vits_vm_init(vm);
	if (ret)
		log_err("vm %u: vGIC: cannot set up (%s)\n", vm->id, err_name(ret));
	for (unsigned i = 0; i < vm->cfg->n_irqs && !ret; i++)
		ret = vgic_forward_spi(vm, vm->cfg->irqs[i]);
	return ret;
}

/* Nothing the guest mapped reaches the physical ITS once its VM stops. */
static void vgic_vm_stop(struct vm *vm)
{
	struct vgic_locked g = vgic_lock(vm);

	vits_reset(g);
	vgic_unlock(g);
}

static void vgic_vm_reset(struct vm *vm)
{
	struct vgic_locked g = vgic_lock(vm);

	vits_reset(g);
	vgic_reset(g);
	vgic_unlock(g);
}

int vgic_forward_spi(struct vm *vm, unsigned intid)
{
	struct vgic_locked g;
	int ret = -E_RANGE;

	if (intid < GIC_SPI_BASE + gic_num_spis()) {
		g = vgic_lock(vm);
		ret = vgic_claim_hw_spi(g, intid);
		vgic_unlock(g);
	}
	if (!ret)
		ret = gic_set_forwarded(intid, on_forwarded_spi, vm);
	if (ret)
		log_err("vm %u: vGIC: cannot forward INTID %u (%s)\n", vm->id, intid, err_name(ret));
	return ret;
}

/* An interrupt storm shows by INTID: the four its guest acknowledged most, per vCPU. */
static bool vgic_stats_line(struct vm *vm, unsigned k, char *buf, size_t len)
{
	unsigned intid[4], n;
	u32 count[4];
	size_t at;

	if (k >= vm->n_vcpus)
		return false;
	n = vgic_most_taken(&vm->vcpus[k], intid, count, ARRAY_SIZE(count));
	at = (size_t)fmt_snprintf(buf, len, "%-16s %4u interrupts taken:%s", vm->cfg->name, k,
				  n ? "" : " none");
	for (unsigned i = 0; i < n && at < len; i++)
		at += (size_t)fmt_snprintf(buf + at, len - at, "%s %u x%u", i ? "," : "",
					   intid[i], count[i]);
	return true;
}

const struct vm_device_ops vgic_device = {
	.name = "vGIC",
	.init = vgic_vm_init,
	.stop = vgic_vm_stop,
	.reset = vgic_vm_reset,
	.stats_line = vgic_stats_line,
};

/* ---- sources ---- */

/* An emulated device's SPI (a forwarded one has its physical source). */
static struct virq *device_spi(struct vm *vm, unsigned intid)
{
	struct virq *irq = intid >= VGIC_NR_PRIVATE ? vgic_get_irq(vm, NULL, intid) : NULL;

	if (!irq || irq->hw) {
		log_warn("vm %u: vGIC: INTID %u is no virtual device's SPI\n", vm->id, intid);
		return NULL;
	}
	return irq;
}

void vgic_set_level(struct vm *vm, unsigned intid, bool high)
{
	struct vgic_locked g = vgic_lock(vm);
	struct virq *irq = device_spi(vm, intid);

	if (irq)
		vgic_set_line(g, irq, high);
	vgic_unlock(g);
}

void vgic_inject_hw(struct vcpu *v, unsigned intid)
{
	struct vgic_locked g = vgic_lock(v->vm);
	struct virq *irq = vgic_get_irq(v->vm, v, intid);

	if (irq && (intid < VGIC_NR_PRIVATE || irq->hw)) {
		vgic_raise_hw(g, irq, intid);
	} else {
		/* Not the VM's: release it rather than leave it active for good. */
		log_warn("vm %u: vGIC: physical INTID %u is not forwarded to it\n", v->vm->id, intid);
		gic_deactivate(intid, v->pcpu);
	}
	vgic_unlock(g);
}

void vgic_sgi1r_write(struct vcpu *v, u64 value)
{
	struct vgic_locked g = vgic_lock(v->vm);

	vgic_send_sgis(g, v, value);
	vgic_unlock(g);
}

/* ---- the virtual CPU interface ---- */

/* Most exits change no interrupt state (an MMIO access, a trapped register): after a flush
 * that listed nothing and wanted nothing, the next one is skipped while the VM's vGIC state
 * stays as it was. A change on another CPU that concerns this vCPU kicks it (vgic_notify),
 * and the exit that follows sees the change counted. */
void vgic_flush(struct vcpu *v)
{
	struct vgic_cpu *c = v->vgic;
	struct vgic_locked g;
	u64 hcr;

	if (c->idle && __atomic_load_n(&v->vm->vgic->changes, __ATOMIC_RELAXED) == c->idle_at)
		return; /* ICH_HCR_EL2 stays En, as vgic_sync left it */
	g = vgic_lock(v->vm);
	hcr = vgic_fill_lrs(g, v);
	c->idle = !c->used_lrs && !c->lr_overflow;
	c->idle_at = v->vm->vgic->changes;
	vgic_unlock(g);
	for (unsigned i = 0; i < c->used_lrs; i++)
		ich_write_lr(i, c->lr[i]);
	write_sysreg(ich_hcr_el2, hcr);
}

/* The n list registers v used, taken back. Apart from vgic_sync so that an exit with none
 * in use does not pay for the array's stack protection. */
static __attribute__((noinline)) void take_back_lrs(struct vcpu *v, unsigned n)
{
	u64 now[VGIC_MAX_LRS];
	struct vgic_locked g;

	/* En = 0 drops a maintenance interrupt: its condition is handled below. */
	write_sysreg(ich_hcr_el2, 0);
	for (unsigned i = 0; i < n; i++) {
		now[i] = ich_read_lr(i);
		ich_write_lr(i, 0);
	}
	g = vgic_lock(v->vm);
	vgic_fold_lrs(g, v, now);
	vgic_unlock(g);
}

void vgic_sync(struct vcpu *v)
{
	unsigned n = MIN(v->vgic->used_lrs, VGIC_MAX_LRS);

	/* No list register used: ICH_HCR_EL2 is En alone (UIE needs two in use), so no
	 * maintenance interrupt can be pending (IHI 0069, ICH_HCR_EL2, ICH_MISR_EL2). */
	if (n)
		take_back_lrs(v, n);
}

void vgic_cpu_load(struct vcpu *v)
{
	struct vgic_cpu *c = v->vgic;
	unsigned aprs = ich_nr_aprs();

	c->nr_lrs = MIN(ich_nr_lrs(), VGIC_MAX_LRS);
	c->idle = false; /* the first entry flushes */
	/* The guest uses the system-register interface only; the layout of ICH_VMCR_EL2
	 * depends on ICC_SRE_EL1.SRE, so that comes first (IHI 0069, ICH_VMCR_EL2). */
	write_sysreg(icc_sre_el1, ICC_SRE_EL1_SRE | ICC_SRE_EL1_DFB | ICC_SRE_EL1_DIB);
	isb();
	write_sysreg(ich_vmcr_el2, c->vmcr);
	for (unsigned i = 0; i < aprs; i++) {
		ich_write_ap0r(i, c->ap0r[i]);
		ich_write_ap1r(i, c->ap1r[i]);
	}
	write_sysreg(ich_hcr_el2, ICH_HCR_EN);
	isb();
	gic_enable_local(maint_intid());
}

void vgic_cpu_put(struct vcpu *v)
{
	struct vgic_cpu *c = v->vgic;
	unsigned aprs = ich_nr_aprs();

	gic_disable_local(maint_intid());
	c->vmcr = read_sysreg(ich_vmcr_el2);
	for (unsigned i = 0; i < aprs; i++) {
		c->ap0r[i] = ich_read_ap0r(i);
		c->ap1r[i] = ich_read_ap1r(i);
	}
	write_sysreg(ich_hcr_el2, 0);
	isb();
}

const struct vm_irqchip_ops vgic_irqchip = {
	.cpu_load = vgic_cpu_load,
	.cpu_put = vgic_cpu_put,
	.flush = vgic_flush,
	.sync = vgic_sync,
	.inject_hw = vgic_inject_hw,
	.sgi1r_write = vgic_sgi1r_write,
};
