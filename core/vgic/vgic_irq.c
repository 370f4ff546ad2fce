/*
 * Virtual interrupt state and the list-register flow (docs/vgic.md). Every list register
 * is rebuilt before each entry from the interrupts' state, and read back after the exit
 * (Arm IHI 0069, "Virtual interrupt handling and prioritization": the hypervisor keeps the
 * pending and active state, the list registers show the guest the part it needs now).
 * Built on the host too: everything physical goes through struct vgic_hw_ops.
 */
#include "arch/ich.h"
#include "core/lib/errno.h"
#include "core/vgic/vgic_internal.h"
#include "core/vm/guest_layout.h"
#include "drivers/gic/gicv3_regs.h"

static bool is_virtual_device_spi(unsigned intid)
{
	return intid == GUEST_UART_INTID ||
	       (intid >= GUEST_VIRTIO_INTID_BASE &&
		intid < GUEST_VIRTIO_INTID_BASE + GUEST_VIRTIO_SLOTS);
}

struct virq *vgic_get_irq(struct vm *vm, struct vcpu *v, unsigned intid)
{
	struct virq *irq;

	if (intid < VGIC_NR_PRIVATE)
		return v ? &v->vgic->priv[intid] : NULL;
	if (intid >= VGIC_NR_IRQS)
		return NULL;
	irq = &vm->vgic->spi[intid - VGIC_NR_PRIVATE];
	return irq->owned ? irq : NULL;
}

/* Level-sensitive and emulated: pending follows the device's line. The pending latch (a
 * write to ISPENDR) is consumed by the acknowledge, and the line is sampled again when the
 * guest deactivates it (the list register's EOI bit brings an exit then). A forwarded
 * interrupt is sampled by the physical GIC: for it the latch is the only pending state. */
static bool resampled(const struct virq *irq)
{
	return irq->level && !irq->hw;
}

bool vgic_irq_pending(const struct virq *irq)
{
	return irq->pending_latch || (resampled(irq) && irq->line_level);
}

static bool group_enabled(const struct vgic_dist *d, const struct virq *irq)
{
	return d->ctlr & (irq->group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0);
}

/* Pending, enabled, and its group enabled in GICD_CTLR: the guest may acknowledge it. */
static bool deliverable(const struct vgic_dist *d, const struct virq *irq)
{
	return vgic_irq_pending(irq) && irq->enabled && group_enabled(d, irq);
}

/* The vCPU whose list registers irq belongs in now, or NULL. */
static struct vcpu *irq_home(struct vm *vm, const struct virq *irq)
{
	/* An interrupt in a list register stays with that vCPU until its exit gives it back,
	 * and an active one until the guest deactivates it there. */
	unsigned id = irq->in_lr || irq->active ? irq->lr_vcpu : irq->target;

	return id < vm->n_vcpus ? &vm->vcpus[id] : NULL;
}

/* An LPI: one of vgic_dist.lpi[]. */
static bool vgic_is_lpi(const struct virq *irq)
{
	return irq->intid >= VGIC_LPI_BASE;
}

/* A private interrupt's target is the vCPU it belongs to (reset_irq); an LPI is marked by
 * its slot. */
static void mark_maybe_lr(struct vm *vm, const struct virq *irq)
{
	if (vgic_is_lpi(irq)) {
		unsigned slot = (unsigned)(irq - vm->vgic->lpi);

		vm->vgic->lpi_maybe_lr[slot / 64] |= BIT(slot % 64);
	} else if (irq->intid < VGIC_NR_PRIVATE)
		vm->vcpus[irq->target].vgic->maybe_lr |= BIT(irq->intid);
	else
		vm->vgic->maybe_lr[irq->intid / 64] |= BIT(irq->intid % 64);
}

/* Only pending or active interrupts go into list registers (wants_lr). The line level
 * counts whatever the trigger, so that a change of trigger needs no marking. */
static bool may_want_lr(const struct virq *irq)
{
	return irq->pending_latch || irq->line_level || irq->active;
}

void vgic_notify(struct vgic_locked g, struct virq *irq)
{
	struct vcpu *home = irq_home(g.vm, irq);

	if (may_want_lr(irq))
		mark_maybe_lr(g.vm, irq);
	if (home && (vgic_irq_pending(irq) || irq->active || irq->in_lr))
		g.vm->vgic->hw->kick(home);
}

void vgic_release_hw(struct vgic_locked g, struct virq *irq)
{
	struct vm *vm = g.vm;
	unsigned pcpu = 0;

	/* In another vCPU's list register, the guest can still deactivate it itself. */
	if (!irq->hw_active || irq->in_lr || irq->pending_latch || irq->active)
		return;
	if (irq->intid < VGIC_NR_PRIVATE)
		pcpu = vm->vcpus[irq->lr_vcpu].pcpu;
	vm->vgic->hw->deactivate(irq->hw_intid, pcpu);
	irq->hw_active = false;
}

void vgic_update_hw_spi(struct vgic_locked g, struct virq *irq)
{
	const struct vgic_hw_ops *hw = g.vm->vgic->hw;

	if (!irq->hw || irq->intid < VGIC_NR_PRIVATE)
		return;
	if (irq->enabled && irq->target < g.vm->n_vcpus)
		hw->spi_route(irq->hw_intid, g.vm->vcpus[irq->target].pcpu);
	else
		hw->spi_disable(irq->hw_intid);
}

/* ---- reset ---- */

/* Reset values, where IHI 0069 leaves them to the implementation: Group 1, priority 0,
 * disabled; SGIs edge-triggered, PPIs and SPIs level-sensitive; SPIs routed to vCPU 0.
 * What the VM owns stays. */
static void reset_irq(struct virq *irq, unsigned intid, unsigned vcpu)
{
	bool spi = intid >= VGIC_NR_PRIVATE;

	*irq = (struct virq){
		.intid = (u16)intid,
		.owned = spi ? irq->owned : true,
		.hw = spi && irq->hw,
		.hw_intid = spi ? irq->hw_intid : 0,
		.group1 = true,
		.level = intid >= VGIC_NR_SGIS,
		.target = (u8)vcpu,
		.lr_vcpu = (u8)vcpu,
	};
}

/* The guest is gone: whatever physical interrupt it held is released. */
static void release_for_reset(struct vgic_locked g, struct virq *irq)
{
	irq->in_lr = false;
	irq->pending_latch = false;
	irq->active = false;
	vgic_release_hw(g, irq);
	if (irq->hw && irq->intid >= VGIC_NR_PRIVATE)
		g.vm->vgic->hw->spi_disable(irq->hw_intid);
}

static void reset_cpu(struct vgic_locked g, struct vcpu *v)
{
	struct vgic_cpu *c = v->vgic;

	for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++) {
		release_for_reset(g, &c->priv[i]);
		reset_irq(&c->priv[i], i, v->id);
	}
	c->used_lrs = 0;
	c->lr_overflow = false;
	c->vmcr = 0; /* the binary points take their reset values from 0 (ICH_VMCR_EL2) */
	for (unsigned i = 0; i < VGIC_MAX_APRS; i++)
		c->ap0r[i] = c->ap1r[i] = 0;
	c->waker_sleep = true;
	c->lpis_enabled = false;
	c->pendbaser = 0;
}

void vgic_reset(struct vgic_locked g)
{
	struct vm *vm = g.vm;

	vm->vgic->ctlr = 0;
	vm->vgic->propbaser = 0;
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		vm->vgic->lpi[i] = (struct virq){ .target = VGIC_NO_VCPU };
	for (unsigned i = 0; i < VGIC_MAX_LPIS / 64; i++)
		vm->vgic->lpi_maybe_lr[i] = 0;
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
		release_for_reset(g, &vm->vgic->spi[i]);
		reset_irq(&vm->vgic->spi[i], VGIC_NR_PRIVATE + i, 0);
	}
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		reset_cpu(g, &vm->vcpus[i]);
}

/* Each VM's: struct vm and struct vcpu hold pointers (core/vm/vm.h knows no device). */
static struct vgic_dist dist_of_vm[VM_MAX];
static struct vgic_cpu cpu_of_vcpu[VM_MAX][VM_MAX_VCPUS];

void vgic_state_init(struct vm *vm, const struct vgic_hw_ops *hw)
{
	struct vgic_dist *d = &dist_of_vm[vm->id];

	*d = (struct vgic_dist){ .lock = SPINLOCK_INIT, .hw = hw };
	vm->vgic = d;
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++)
		d->spi[i] = (struct virq){ .owned = is_virtual_device_spi(VGIC_NR_PRIVATE + i) };
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		vm->vcpus[i].vgic = &cpu_of_vcpu[vm->id][i];
		*vm->vcpus[i].vgic = (struct vgic_cpu){ .nr_lrs = 0 };
	}
	vgic_reset((struct vgic_locked){ vm, 0 });
}

int vgic_claim_hw_spi(struct vgic_locked g, unsigned intid)
{
	struct virq *irq;

	if (intid < VGIC_NR_PRIVATE || intid >= VGIC_NR_IRQS)
		return -E_RANGE;
	irq = &g.vm->vgic->spi[intid - VGIC_NR_PRIVATE];
	if (irq->owned)
		return -E_EXIST;
	irq->owned = true;
	irq->hw = true;
	irq->hw_intid = (u16)intid;
	return 0;
}

/* ---- sources ---- */

void vgic_raise(struct vgic_locked g, struct virq *irq)
{
	if (resampled(irq))
		irq->line_level = true;
	else
		irq->pending_latch = true;
	vgic_notify(g, irq);
}

void vgic_set_line(struct vgic_locked g, struct virq *irq, bool high)
{
	/* An edge-triggered interrupt latches the rising edge (IHI 0069, ICFGR). */
	if (high && !irq->line_level && !irq->level)
		irq->pending_latch = true;
	irq->line_level = high;
	vgic_notify(g, irq);
}

void vgic_raise_hw(struct vgic_locked g, struct virq *irq, unsigned hw_intid)
{
	irq->hw = true;
	irq->hw_intid = (u16)hw_intid;
	irq->hw_active = true;
	irq->hw_activation++;
	irq->pending_latch = true;
	vgic_notify(g, irq);
}

/* Does ICC_SGI1R_EL1 value sgi1r, written by self, address t? vCPU i has affinity
 * 0.0.0.i (IHI 0069, ICC_SGI1R_EL1: IRM, or Aff3.Aff2.Aff1 with RS and TargetList). */
static bool sgi_targets(u64 sgi1r, const struct vcpu *self, const struct vcpu *t)
{
	if (sgi1r & ICC_SGI1R_IRM)
		return t != self;
	if (sgi1r & (ICC_SGI1R_AFF1 | ICC_SGI1R_AFF2 | ICC_SGI1R_AFF3))
		return false;
	return FIELD_GET(ICC_SGI1R_RS, sgi1r) == t->id / 16 &&
	       (FIELD_GET(ICC_SGI1R_TARGETS, sgi1r) & BIT(t->id % 16));
}

void vgic_send_sgis(struct vgic_locked g, struct vcpu *v, u64 sgi1r)
{
	unsigned sgi = FIELD_GET(ICC_SGI1R_INTID, sgi1r);

	for (unsigned i = 0; i < g.vm->n_vcpus; i++) {
		struct vcpu *t = &g.vm->vcpus[i];
		struct virq *irq = &t->vgic->priv[sgi];

		/* ICC_SGI1R_EL1 raises Group 1 SGIs: one the target made Group 0 is not
		 * forwarded to it. */
		if (!sgi_targets(sgi1r, v, t) || !irq->group1)
			continue;
		irq->pending_latch = true;
		vgic_notify(g, irq);
	}
}

/* ---- list registers ---- */

static bool wants_lr(struct vm *vm, struct vcpu *v, const struct virq *irq)
{
	if (!irq->active && !deliverable(vm->vgic, irq))
		return false;
	return irq_home(vm, irq) == v;
}

/* The next bit set from i on in words[0..n), or n * 64. */
static unsigned next_bit(const u64 *words, unsigned n, unsigned i)
{
	for (unsigned w = i / 64; w < n; w++) {
		u64 bits = words[w] & (i / 64 == w ? ~0ULL << (i % 64) : ~0ULL);

		if (bits)
			return w * 64 + (unsigned)__builtin_ctzll(bits);
	}
	return n * 64;
}

/* Active interrupts first: the guest can only deactivate what is in a list register. Then
 * by priority; the scan order (by INTID) breaks ties. */
static bool goes_before(const struct virq *a, const struct virq *b)
{
	if (a->active != b->active)
		return a->active;
	return a->priority < b->priority;
}

/* Keep best[0..*n) sorted and at most max long. */
static void insert_sorted(struct virq **best, unsigned *n, unsigned max, struct virq *irq)
{
	unsigned i = *n;

	if (i == max) {
		if (!goes_before(irq, best[max - 1]))
			return;
		i--;
	} else {
		(*n)++;
	}
	for (; i > 0 && goes_before(irq, best[i - 1]); i--)
		best[i] = best[i - 1];
	best[i] = irq;
}

/* The list register for irq (IHI 0069, ICH_LR<n>_EL2). */
static u64 lr_value(const struct vgic_dist *d, const struct virq *irq)
{
	u64 lr = FIELD_PREP(ICH_LR_VINTID, irq->intid) |
		 FIELD_PREP(ICH_LR_PRIORITY, irq->priority);
	bool pending = deliverable(d, irq);

	if (irq->group1)
		lr |= ICH_LR_GROUP;
	if (irq->hw_active) {
		/* The guest's deactivation deactivates the physical interrupt, which cannot be
		 * pending again while active: never pending and active together with HW = 1. */
		lr |= ICH_LR_HW | FIELD_PREP(ICH_LR_PINTID, irq->hw_intid);
		pending = pending && !irq->active;
	} else if (resampled(irq)) {
		lr |= ICH_LR_EOI;
	}
	if (pending)
		lr |= ICH_LR_PENDING;
	if (irq->active)
		lr |= ICH_LR_ACTIVE;
	return lr;
}

/* irq goes into v's list register n as lr. */
static void take_lr(struct vcpu *v, unsigned n, struct virq *irq, u64 lr)
{
	v->vgic->lr[n] = lr;
	v->vgic->lr_irq[n] = irq;
	v->vgic->lr_hw_activation[n] = irq->hw_activation;
	irq->in_lr = true;
	irq->lr_vcpu = (u8)v->id;
	/* The list register holds this pending state now; what is still pending after the
	 * exit comes back in vgic_fold_lrs. */
	if ((lr & ICH_LR_PENDING) && !resampled(irq))
		irq->pending_latch = false;
}

/* Underflow maintenance interrupt (ICH_HCR_EL2.UIE) when interrupts are waiting for a list
 * register: the guest exits once it has handled all but one. With a single list register
 * it would fire at once, so the wait then lasts until the next exit. */
static u64 hcr_value(const struct vgic_cpu *c)
{
	return ICH_HCR_EN | (c->lr_overflow && c->used_lrs > 1 ? ICH_HCR_UIE : 0);
}

/* The next INTID from i on that may want one of v's list registers, or VGIC_NR_IRQS. */
static unsigned next_maybe_lr(struct vgic_locked g, const struct vcpu *v, unsigned i)
{
	for (unsigned w = i / 64; w < VGIC_NR_IRQS / 64; w++) {
		u64 bits = g.vm->vgic->maybe_lr[w] | (w ? 0 : v->vgic->maybe_lr);

		bits &= i / 64 == w ? ~0ULL << (i % 64) : ~0ULL;
		if (bits)
			return w * 64 + (unsigned)__builtin_ctzll(bits);
	}
	return VGIC_NR_IRQS;
}

static void unmark_maybe_lr(struct vgic_locked g, struct vcpu *v, unsigned intid)
{
	if (intid < VGIC_NR_PRIVATE)
		v->vgic->maybe_lr &= ~BIT(intid);
	else
		g.vm->vgic->maybe_lr[intid / 64] &= ~BIT(intid % 64);
}

u64 vgic_fill_lrs(struct vgic_locked g, struct vcpu *v)
{
	struct vgic_cpu *c = v->vgic;
	struct vgic_dist *d = g.vm->vgic;
	struct virq *best[VGIC_MAX_LRS];
	unsigned n = 0, wanted = 0;
	unsigned max = MIN(c->nr_lrs, VGIC_MAX_LRS);

	for (unsigned i = next_maybe_lr(g, v, 0); i < VGIC_NR_IRQS; i = next_maybe_lr(g, v, i + 1)) {
		struct virq *irq = i < VGIC_NR_PRIVATE ? &c->priv[i] : &d->spi[i - VGIC_NR_PRIVATE];

		if (!may_want_lr(irq)) {
			unmark_maybe_lr(g, v, i);
			continue;
		}
		if (!irq->owned || !wants_lr(g.vm, v, irq))
			continue;
		wanted++;
		insert_sorted(best, &n, max, irq);
	}
	for (unsigned i = next_bit(d->lpi_maybe_lr, VGIC_MAX_LPIS / 64, 0); i < VGIC_MAX_LPIS;
	     i = next_bit(d->lpi_maybe_lr, VGIC_MAX_LPIS / 64, i + 1)) {
		struct virq *irq = &d->lpi[i];

		if (!may_want_lr(irq)) {
			d->lpi_maybe_lr[i / 64] &= ~BIT(i % 64);
			continue;
		}
		/* GICR_CTLR.EnableLPIs off: they wait (IHI 0069, 5.1). */
		if (!irq->owned || !c->lpis_enabled || !wants_lr(g.vm, v, irq))
			continue;
		wanted++;
		insert_sorted(best, &n, max, irq);
	}
	for (unsigned i = 0; i < n; i++)
		take_lr(v, i, best[i], lr_value(d, best[i]));
	c->used_lrs = n;
	c->lr_overflow = wanted > n;
	return hcr_value(c);
}

/* What the guest did with irq, which was was in a list register (holding its physical
 * activation number activation, with HW = 1) and is now now. */
static void fold_lr(struct vgic_locked g, struct vcpu *v, struct virq *irq, u64 was, u64 now,
		    u8 activation)
{
	bool acknowledged = (was & ICH_LR_PENDING) && !(now & ICH_LR_PENDING);
	struct vcpu *home;

	irq->in_lr = false;
	if (acknowledged && vgic_is_lpi(irq))
		v->vgic->taken_lpis++;
	else if (acknowledged)
		v->vgic->taken[irq->intid]++;
	irq->active = now & ICH_LR_ACTIVE;
	if (!resampled(irq)) {
		if (now & ICH_LR_PENDING)
			irq->pending_latch = true; /* not acknowledged yet: still pending */
	} else if (acknowledged) {
		irq->pending_latch = false; /* acknowledged: consumes the latch, not the line */
	}
	/* Deactivated with HW = 1: the GIC deactivated the physical interrupt as well. Unless
	 * it has fired again since (a level line still high, on another CPU), and that newer
	 * activation is still to be deactivated by the guest. */
	if ((was & ICH_LR_HW) && !(now & ICH_LR_STATE) && activation == irq->hw_activation)
		irq->hw_active = false;
	if (may_want_lr(irq))
		mark_maybe_lr(g.vm, irq);
	/* Routed elsewhere while it was here: its new vCPU can take it now. */
	home = irq_home(g.vm, irq);
	if (home && home != v && vgic_irq_pending(irq))
		g.vm->vgic->hw->kick(home);
}

void vgic_fold_lrs(struct vgic_locked g, struct vcpu *v, const u64 *now)
{
	struct vgic_cpu *c = v->vgic;

	for (unsigned i = 0; i < c->used_lrs; i++)
		fold_lr(g, v, c->lr_irq[i], c->lr[i], now[i], c->lr_hw_activation[i]);
	c->used_lrs = 0;
}

unsigned vgic_most_taken(const struct vcpu *v, unsigned *intid, u32 *count, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VGIC_NR_IRQS; i++) {
		u32 c = v->vgic->taken[i];
		unsigned k;

		if (!c || (n == max && c <= count[max - 1]))
			continue;
		k = n < max ? n++ : max - 1; /* the last place, or a new one */
		for (; k > 0 && count[k - 1] < c; k--) {
			intid[k] = intid[k - 1];
			count[k] = count[k - 1];
		}
		intid[k] = i;
		count[k] = c;
	}
	return n;
}
