/*
 * The guest's distributor and redistributors (Arm IHI 0069, GICD_* and GICR_* register
 * descriptions): one security state (GICD_CTLR.DS = 1), affinity routing always on
 * (ARE = 1), LPIs when the VM has a virtual ITS (core/vgic/vits.c). A guest reaches only its
 * own interrupts: its SGIs and PPIs, the SPIs the VM owns and the LPIs its ITS mapped; the
 * rest read as zero and ignore writes. Built on the host too.
 */
#include "core/log/log.h"
#include "core/vgic/vgic_internal.h"
#include "core/vm/guest_layout.h"
#include "drivers/gic/gicv3_regs.h"

/* VGIC_NR_IRQS INTIDs below 1024, no 1 of N routing; with an ITS, LPIs below
 * 2^VGIC_LPI_IDBITS. */
#define VGIC_GICD_TYPER                                                 \
	(FIELD_PREP(GICD_TYPER_ITLINES, VGIC_NR_IRQS / 32 - 1) |        \
	 FIELD_PREP(GICD_TYPER_IDBITS, 10 - 1) | GICD_TYPER_NO1N)
#define VGIC_GICD_TYPER_LPIS                                                          \
	((VGIC_GICD_TYPER & ~GICD_TYPER_IDBITS) | GICD_TYPER_LPIS |                   \
	 FIELD_PREP(GICD_TYPER_IDBITS, VGIC_LPI_IDBITS - 1))
#define VGIC_IROUTER_AFF \
	(GICD_IROUTER_AFF0 | GICD_IROUTER_AFF1 | GICD_IROUTER_AFF2 | GICD_IROUTER_AFF3)
#define VGIC_ARCH_INTIDS 1024 /* the span of every per-interrupt register block */

bool vgic_reg_ro32(struct mmio_access *a, u32 value)
{
	if (a->size != 4)
		return false;
	if (!a->write)
		a->value = value;
	return true;
}

bool vgic_reg64(struct mmio_access *a, u64 off, u64 reg, u64 *written)
{
	unsigned shift = (unsigned)(off % 8) * 8;
	u64 mask = (a->size == 8 ? ~ULL(0) : GENMASK(31, 0)) << shift;

	if (a->size != 4 && a->size != 8)
		return false;
	if (!a->write)
		a->value = (reg & mask) >> shift;
	else
		*written = (reg & ~mask) | ((a->value << shift) & mask);
	return true;
}

/* Reserved or not emulated: RAZ/WI, for word and doubleword accesses. */
static bool unknown(struct vgic_locked g, const char *frame, struct mmio_access *a)
{
	if (a->size != 4 && a->size != 8)
		return false;
	log_debug("vm %u: vGIC: %s of %s offset %lx ignored\n", g.vm->id,
		  a->write ? "write" : "read", frame, a->offset);
	if (!a->write)
		a->value = 0;
	return true;
}

/* ---- per-interrupt fields: IGROUPR, I[SC]ENABLER, I[SC]PENDR, I[SC]ACTIVER, IPRIORITYR,
 * ICFGR. Set/clear registers act on the bits written as 1. ---- */

static u32 get_group(const struct virq *irq) { return irq->group1; }
static u32 get_enabled(const struct virq *irq) { return irq->enabled; }
static u32 get_pending(const struct virq *irq) { return vgic_irq_pending(irq); }
static u32 get_active(const struct virq *irq) { return irq->active; }
static u32 get_priority(const struct virq *irq) { return irq->priority; }
static u32 get_config(const struct virq *irq) { return irq->level ? 0 : GICD_ICFGR_EDGE; }

static void set_group(struct vgic_locked g, struct virq *irq, u32 group1)
{
	if (irq->group1 == (bool)group1)
		return;
	irq->group1 = group1;
	vgic_notify(g, irq);
}

static void write_enable(struct vgic_locked g, struct virq *irq, bool enable)
{
	if (irq->enabled == enable)
		return;
	irq->enabled = enable;
	vgic_update_hw_spi(g, irq);
	vgic_notify(g, irq);
}

static void set_enable(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (bit)
		write_enable(g, irq, true);
}

static void clear_enable(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (bit)
		write_enable(g, irq, false);
}

static void set_pending(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (!bit)
		return;
	irq->pending_latch = true;
	vgic_notify(g, irq);
}

/* A level-sensitive interrupt stays pending while its line is high. */
static void clear_pending(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (!bit)
		return;
	irq->pending_latch = false;
	vgic_release_hw(g, irq);
	vgic_notify(g, irq);
}

static void set_active(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (!bit || irq->active)
		return;
	irq->active = true;
	if (!irq->in_lr)
		irq->lr_vcpu = irq->target; /* where the guest will deactivate it */
	vgic_notify(g, irq);
}

static void clear_active(struct vgic_locked g, struct virq *irq, u32 bit)
{
	if (!bit || !irq->active)
		return;
	irq->active = false;
	vgic_release_hw(g, irq);
	vgic_notify(g, irq);
}

static void set_priority(struct vgic_locked g, struct virq *irq, u32 priority)
{
	if (irq->priority == priority)
		return;
	irq->priority = (u8)priority;
	vgic_notify(g, irq);
}

/* SGIs are edge-triggered and PPIs level-sensitive, read-only (GICR_ICFGR0/1 allow it).
 * A forwarded SPI's trigger is its physical one's, changed only while it is disabled
 * (changing it while enabled is UNPREDICTABLE: ignored here). */
static void set_config(struct vgic_locked g, struct virq *irq, u32 cfg)
{
	bool level = !(cfg & GICD_ICFGR_EDGE);

	if (irq->intid < VGIC_NR_PRIVATE || irq->level == level)
		return;
	if (irq->hw) {
		if (irq->enabled)
			return;
		g.vm->vgic->hw->spi_config(irq->hw_intid, !level);
	}
	irq->level = level;
	vgic_notify(g, irq);
}

struct irq_field {
	u16 offset; /* of the block: the same in GICD and in the SGI_base frame */
	u8 bits;    /* per interrupt */
	u8 sizes;   /* access sizes allowed, or-ed together */
	u32 (*get)(const struct virq *irq);
	void (*set)(struct vgic_locked g, struct virq *irq, u32 field);
};

static const struct irq_field irq_fields[] = {
	{ GICD_IGROUPR(0), 1, 4, get_group, set_group },
	{ GICD_ISENABLER(0), 1, 4, get_enabled, set_enable },
	{ GICD_ICENABLER(0), 1, 4, get_enabled, clear_enable },
	{ GICD_ISPENDR(0), 1, 4, get_pending, set_pending },
	{ GICD_ICPENDR(0), 1, 4, get_pending, clear_pending },
	{ GICD_ISACTIVER(0), 1, 4, get_active, set_active },
	{ GICD_ICACTIVER(0), 1, 4, get_active, clear_active },
	{ GICD_IPRIORITYR(0), 8, 4 | 1, get_priority, set_priority }, /* byte-accessible */
	{ GICD_ICFGR(0), 2, 4, get_config, set_config },
};

static const struct irq_field *find_field(u64 off)
{
	for (unsigned i = 0; i < ARRAY_SIZE(irq_fields); i++) {
		const struct irq_field *f = &irq_fields[i];

		if (off >= f->offset && off - f->offset < VGIC_ARCH_INTIDS * f->bits / 8)
			return f;
	}
	return NULL;
}

/* The interrupt a field is about: owner's SGIs and PPIs in its SGI_base frame, the VM's
 * SPIs in the distributor (where affinity routing makes the private ones RAZ/WI). */
static struct virq *field_irq(struct vm *vm, struct vcpu *owner, unsigned intid)
{
	if (owner)
		return intid < VGIC_NR_PRIVATE ? &owner->vgic->priv[intid] : NULL;
	return intid >= VGIC_NR_PRIVATE ? vgic_get_irq(vm, NULL, intid) : NULL;
}

static bool field_access(struct vgic_locked g, struct vcpu *owner, const struct irq_field *f,
			 u64 off, struct mmio_access *a)
{
	unsigned first = (unsigned)(off - f->offset) * 8 / f->bits;
	unsigned n = a->size * 8 / f->bits;
	u32 mask = (u32)GENMASK(f->bits - 1, 0);
	u64 value = 0;

	if (!(f->sizes & a->size))
		return false;
	for (unsigned i = 0; i < n; i++) {
		struct virq *irq = field_irq(g.vm, owner, first + i);
		unsigned shift = i * f->bits;

		if (!irq)
			continue;
		if (a->write)
			f->set(g, irq, (a->value >> shift) & mask);
		else
			value |= (u64)f->get(irq) << shift;
	}
	if (!a->write)
		a->value = value;
	return true;
}

/* ---- distributor ---- */

static bool ctlr_access(struct vgic_locked g, struct mmio_access *a)
{
	struct vm *vm = g.vm;
	u32 enables = (u32)a->value & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);

	if (a->size != 4)
		return false;
	if (!a->write) {
		/* RWP reads 0: every write takes effect at once. */
		a->value = vm->vgic->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
		return true;
	}
	if (enables == vm->vgic->ctlr)
		return true;
	vm->vgic->ctlr = enables;
	/* What may be delivered changed for every vCPU. */
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		vm->vgic->hw->kick(&vm->vcpus[i]);
	return true;
}

/* The vCPU with affinity aff (vCPU i has 0.0.0.i), or VGIC_NO_VCPU. */
static u8 vcpu_of_affinity(const struct vm *vm, u64 aff)
{
	u64 aff0 = FIELD_GET(GICD_IROUTER_AFF0, aff);

	if ((aff & ~GICD_IROUTER_AFF0) || aff0 >= vm->n_vcpus)
		return VGIC_NO_VCPU;
	return (u8)aff0;
}

static void set_irouter(struct vgic_locked g, struct virq *irq, u64 value)
{
	value &= VGIC_IROUTER_AFF; /* IRM is RAZ/WI: GICD_TYPER.No1N */
	if (value == irq->irouter)
		return;
	irq->irouter = value;
	irq->target = vcpu_of_affinity(g.vm, value);
	vgic_update_hw_spi(g, irq);
	vgic_notify(g, irq);
}

/* GICD_IROUTER<n>: 64-bit, or either 32-bit half. */
static bool irouter_access(struct vgic_locked g, struct mmio_access *a)
{
	struct virq *irq = vgic_get_irq(g.vm, NULL, (unsigned)(a->offset - GICD_IROUTER(0)) / 8);
	u64 written;

	if (!vgic_reg64(a, a->offset, irq ? irq->irouter : 0, &written))
		return false;
	if (a->write && irq)
		set_irouter(g, irq, written);
	return true;
}

static bool dist_reg(struct vgic_locked g, struct mmio_access *a)
{
	switch (a->offset) {
	case GICD_CTLR:
		return ctlr_access(g, a);
	case GICD_TYPER:
		return vgic_reg_ro32(a, g.vm->vgic->its ? VGIC_GICD_TYPER_LPIS : VGIC_GICD_TYPER);
	case GICD_IIDR:
		return vgic_reg_ro32(a, VGIC_IIDR);
	case GICD_PIDR2:
		return vgic_reg_ro32(a, VGIC_PIDR2);
	default:
		return unknown(g, "GICD", a);
	}
}

bool vgic_dist_access(struct vgic_locked g, struct mmio_access *a)
{
	const struct irq_field *f;

	if (!IS_ALIGNED(a->offset, a->size))
		return false;
	/* IROUTER<n> exists for the SPIs, n = 32..1019. */
	if (a->offset >= GICD_IROUTER(VGIC_NR_PRIVATE) && a->offset < GICD_IROUTER(1020))
		return irouter_access(g, a);
	f = find_field(a->offset);
	if (f)
		return field_access(g, NULL, f, a->offset, a);
	return dist_reg(g, a);
}

/* ---- redistributors: vCPU i's RD_base frame and SGI_base frame, GUEST_GICR_STRIDE apart */

static u64 redist_typer(const struct vm *vm, const struct vcpu *v)
{
	u64 typer = FIELD_PREP(GICR_TYPER_AFFINITY, v->id) | FIELD_PREP(GICR_TYPER_PROC_NUM, v->id);

	if (vm->vgic->its)
		typer |= GICR_TYPER_PLPIS;

	return v->id == vm->n_vcpus - 1 ? typer | GICR_TYPER_LAST : typer;
}

/* GICR_TYPER: 64-bit, or either 32-bit half; read-only. */
static bool typer_access(struct vgic_locked g, struct vcpu *owner, u64 off, struct mmio_access *a)
{
	u64 ignored;

	return vgic_reg64(a, off, redist_typer(g.vm, owner), &ignored);
}

/* GICR_WAKER: ChildrenAsleep follows ProcessorSleep at once. */
static bool waker_access(struct vcpu *owner, struct mmio_access *a)
{
	if (a->size != 4)
		return false;
	if (a->write)
		owner->vgic->waker_sleep = a->value & GICR_WAKER_PROCESSOR_SLEEP;
	else
		a->value = owner->vgic->waker_sleep ?
				   GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP : 0;
	return true;
}

/* GICR_CTLR: EnableLPIs, with an ITS; RWP reads 0 (every write takes effect at once). */
static bool rd_ctlr_access(struct vgic_locked g, struct vcpu *owner, struct mmio_access *a)
{
	bool enable = a->value & GICR_CTLR_ENABLE_LPIS;

	if (a->size != 4)
		return false;
	if (!a->write) {
		a->value = owner->vgic->lpis_enabled ? GICR_CTLR_ENABLE_LPIS : 0;
		return true;
	}
	if (!g.vm->vgic->its || enable == owner->vgic->lpis_enabled)
		return true;
	owner->vgic->lpis_enabled = enable;
	g.vm->vgic->hw->kick(owner); /* LPIs waiting for it may go in now */
	return true;
}

/* GICR_PROPBASER (shared by every redistributor: 12.11.29 allows it) and GICR_PENDBASER,
 * 64-bit or by halves; fixed while the redistributor's LPIs are on (else UNPREDICTABLE,
 * here ignored). The pending table is the guest's, never read: pending state is here. */
static bool lpi_base_access(struct vgic_locked g, struct vcpu *owner, u64 off,
			    struct mmio_access *a)
{
	u64 *reg = off < GICR_PENDBASER ? &g.vm->vgic->propbaser : &owner->vgic->pendbaser;
	u64 written;

	if (!vgic_reg64(a, off, g.vm->vgic->its ? *reg : 0, &written))
		return false;
	if (a->write && g.vm->vgic->its && !owner->vgic->lpis_enabled)
		*reg = written & ~GICR_PENDBASER_PTZ;
	return true;
}

static bool rd_frame_access(struct vgic_locked g, struct vcpu *owner, u64 off,
			    struct mmio_access *a)
{
	switch (off) {
	case GICR_CTLR:
		return rd_ctlr_access(g, owner, a);
	case GICR_PROPBASER:
	case GICR_PROPBASER + 4:
	case GICR_PENDBASER:
	case GICR_PENDBASER + 4:
		return lpi_base_access(g, owner, off, a);
	case GICR_IIDR:
		return vgic_reg_ro32(a, VGIC_IIDR);
	case GICR_TYPER:
	case GICR_TYPER + 4:
		return typer_access(g, owner, off, a);
	case GICR_WAKER:
		return waker_access(owner, a);
	case GICR_PIDR2:
		return vgic_reg_ro32(a, VGIC_PIDR2);
	default:
		return unknown(g, "GICR RD_base", a);
	}
}

bool vgic_redist_access(struct vgic_locked g, struct mmio_access *a)
{
	unsigned index = (unsigned)(a->offset / GUEST_GICR_STRIDE);
	u64 off = a->offset % GUEST_GICR_STRIDE;
	const struct irq_field *f;
	struct vcpu *owner;

	if (!IS_ALIGNED(a->offset, a->size) || index >= g.vm->n_vcpus)
		return false;
	owner = &g.vm->vcpus[index];
	if (off < GICR_SGI_OFFSET)
		return rd_frame_access(g, owner, off, a);
	/* SGI_base lays out IGROUPR0..ICFGR1 at the distributor's offsets. */
	off -= GICR_SGI_OFFSET;
	f = find_field(off);
	if (f)
		return field_access(g, owner, f, off, a);
	return unknown(g, "GICR SGI_base", a);
}
