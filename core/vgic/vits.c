/*
 * The virtual ITS (core/vgic/vits.h). The guest's device table, ITTs and collection table
 * live here, not in guest memory (GITS_BASER<n> are all of type None, the collections are
 * held by the ITS: GITS_TYPER.HCC), so a guest can corrupt none of them. Each command is
 * checked, and a bad one is refused (logged, sampled) and skipped: the queue goes on, as a
 * guest driver expects, and nothing the guest writes reaches a fault here.
 */
#include "core/vgic/vits.h"

#include "core/lib/errno.h"
#include "core/log/log.h"
#include "core/vm/guest_layout.h"
#include "drivers/gic/gicv3_regs.h"

#define CMD_BYTES 32
/* The fields of GITS_CBASER the guest sets (12.19.5); the rest read as zero. */
#define CBASER_WRITABLE (GITS_CBASER_VALID | GENMASK(61, 59) | GENMASK(55, 53) | \
			 GITS_CBASER_ADDR | GENMASK(11, 10) | GITS_CBASER_SIZE)
#define ITT_ENTRY_BYTES 8 /* GITS_TYPER.ITT_entry_size: the guest's ITT memory is unused */

static const u64 vits_typer =
	GITS_TYPER_PHYSICAL | FIELD_PREP(GITS_TYPER_ITT_ENTRY_SIZE, ITT_ENTRY_BYTES - 1) |
	FIELD_PREP(GITS_TYPER_IDBITS, VITS_EVENT_BITS - 1) |
	FIELD_PREP(GITS_TYPER_DEVBITS, VITS_DEVICE_BITS - 1) |
	FIELD_PREP(GITS_TYPER_HCC, VITS_COLLECTIONS);

void vits_init(struct vm *vm, struct vits *its, const struct vits_hw_ops *hw, const u16 *rid,
	       const u32 *pdevid, unsigned n)
{
	*its = (struct vits){ .hw = hw, .n_dev = MIN(n, (unsigned)VITS_MAX_DEVICES) };
	for (unsigned i = 0; i < its->n_dev; i++)
		its->dev[i] = (struct vits_device){ .rid = rid[i], .pdevid = pdevid[i] };
	for (unsigned i = 0; i < VITS_COLLECTIONS; i++)
		its->collection[i] = VGIC_NO_VCPU;
	vm->vgic->its = its;
}

/* ---- what a command names ---- */

struct cmd {
	u64 w[4];
	struct vm *vm;
	struct vits *its;
};

static u32 cmd_devid(const struct cmd *c) { return (u32)FIELD_GET(ITS_CMD_DEVICEID, c->w[0]); }
static u32 cmd_event(const struct cmd *c) { return (u32)FIELD_GET(ITS_CMD_EVENTID, c->w[1]); }
static u16 cmd_icid(const struct cmd *c) { return (u16)FIELD_GET(ITS_CMD_ICID, c->w[2]); }
/* GITS_TYPER.PTA = 0: a redistributor is named by its processor number, vCPU i's is i. */
static u64 cmd_rd(u64 word) { return FIELD_GET(ITS_CMD_RDBASE, word); }

static struct vits_device *find_device(struct vits *its, u32 devid)
{
	for (unsigned i = 0; i < its->n_dev; i++)
		if (its->dev[i].rid == devid)
			return &its->dev[i];
	return NULL;
}

/* The slot of devid's event, or -1. */
static int find_event(const struct vits *its, const struct vits_device *d, u32 event)
{
	unsigned dev = (unsigned)(d - its->dev);

	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (its->ev[i].used && its->ev[i].dev == dev && its->ev[i].event == event)
			return (int)i;
	return -1;
}

/* The physical CPU an event of collection icid goes to: its vCPU's, or vCPU 0's while the
 * collection is unmapped (the vGIC then holds it pending). */
static unsigned collection_pcpu(struct vm *vm, const struct vits *its, u16 icid)
{
	u8 vcpu = its->collection[icid];

	return vm->vcpus[vcpu < vm->n_vcpus ? vcpu : 0].pcpu;
}

/* ---- LPI configuration: the guest's table at GICR_PROPBASER (5.1.1) ---- */

/* Read LPI irq's priority and enable from the guest's table; an entry outside its RAM or
 * beyond the table's IDbits reads as disabled. */
static void load_config(struct vgic_locked g, struct virq *irq)
{
	u64 prop = g.vm->vgic->propbaser;
	unsigned idbits = (unsigned)FIELD_GET(GICR_PROPBASER_IDBITS, prop) + 1;
	u8 *cfg = NULL;

	if (irq->intid < (1ULL << MIN(idbits, (unsigned)VGIC_LPI_IDBITS)))
		cfg = vm_ram_ptr(g.vm, ipa((prop & GICR_PROPBASER_ADDR) + irq->intid - VGIC_LPI_BASE),
				 1);
	irq->priority = cfg ? (u8)(__atomic_load_n(cfg, __ATOMIC_RELAXED) & 0xfc) : 0;
	irq->enabled = cfg && (__atomic_load_n(cfg, __ATOMIC_RELAXED) & LPI_PROP_ENABLE);
	vgic_notify(g, irq);
}

static void retarget(struct vgic_locked g, unsigned slot)
{
	struct virq *irq = &g.vm->vgic->lpi[slot];

	irq->target = g.vm->vgic->its->collection[g.vm->vgic->its->ev[slot].icid];
	if (!irq->in_lr)
		irq->lr_vcpu = irq->target < g.vm->n_vcpus ? irq->target : 0;
	vgic_notify(g, irq);
}

/* ---- the commands (5.3); each returns NULL or why it was refused ---- */

static const char *unmap_slot(struct vgic_locked g, unsigned slot)
{
	struct vits *its = g.vm->vgic->its;
	struct vits_event *e = &its->ev[slot];
	struct virq *irq = &g.vm->vgic->lpi[slot];

	if (its->hw->unmap_event(its->dev[e->dev].pdevid, e->event,
				 collection_pcpu(g.vm, its, e->icid)))
		return "the physical ITS did not unmap the event";
	e->used = false;
	irq->owned = false;
	irq->pending_latch = false;
	return NULL;
}

static const char *unmap_device_events(struct vgic_locked g, struct vits_device *d)
{
	struct vits *its = g.vm->vgic->its;
	const char *why = NULL;

	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (its->ev[i].used && &its->dev[its->ev[i].dev] == d)
			why = unmap_slot(g, i) ? "the physical ITS did not unmap an event" : why;
	return why;
}

/* MAPD (5.3.8): the device's ITT of 2^(Size + 1) events, or none (V = 0). Remapping drops
 * the events of the previous ITT. */
static const char *do_mapd(struct vgic_locked g, const struct cmd *c)
{
	struct vits_device *d = find_device(c->its, cmd_devid(c));
	unsigned bits = (unsigned)FIELD_GET(ITS_CMD_SIZE, c->w[1]) + 1;
	const char *why;

	if (!d)
		return "DeviceID is none of the VM's devices";
	if ((c->w[2] & ITS_CMD_VALID) && bits > VITS_EVENT_BITS)
		return "ITT larger than GITS_TYPER.IDbits allows";
	why = unmap_device_events(g, d);
	d->event_bits = (c->w[2] & ITS_CMD_VALID) ? (u8)bits : 0;
	return why;
}

/* MAPC (5.3.9): collection ICID to a vCPU's redistributor, or unmapped. */
static const char *do_mapc(struct vgic_locked g, const struct cmd *c)
{
	u16 icid = cmd_icid(c);
	u64 rd = cmd_rd(c->w[2]);
	struct vits *its = c->its;

	if (icid >= VITS_COLLECTIONS)
		return "ICID beyond the collections the ITS holds";
	if ((c->w[2] & ITS_CMD_VALID) && rd >= g.vm->n_vcpus)
		return "RDbase is no vCPU's redistributor";
	its->collection[icid] = (c->w[2] & ITS_CMD_VALID) ? (u8)rd : VGIC_NO_VCPU;
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++) {
		struct vits_event *e = &its->ev[i];

		if (!e->used || e->icid != icid)
			continue;
		if (its->hw->move_event(its->dev[e->dev].pdevid, e->event,
					collection_pcpu(g.vm, its, icid)))
			return "the physical ITS did not move an event";
		retarget(g, i);
	}
	return NULL;
}

/* A free slot for a new event: one whose interrupt no list register holds any more. */
static int free_slot(struct vgic_locked g)
{
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (!g.vm->vgic->its->ev[i].used && !g.vm->vgic->lpi[i].in_lr)
			return (int)i;
	return -1;
}

static bool lpi_in_use(struct vgic_locked g, u32 lpi)
{
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (g.vm->vgic->lpi[i].owned && g.vm->vgic->lpi[i].intid == lpi)
			return true;
	return false;
}

/* MAPTI and MAPI (5.3.10-11): an event of a mapped device to an LPI and a collection. */
static const char *do_mapti(struct vgic_locked g, const struct cmd *c, u32 lpi)
{
	struct vits *its = c->its;
	struct vits_device *d = find_device(its, cmd_devid(c));
	u32 event = cmd_event(c);
	u16 icid = cmd_icid(c);
	int slot;

	if (!d || !d->event_bits)
		return "DeviceID not mapped (MAPD) or none of the VM's";
	if (event >= (1ULL << d->event_bits))
		return "EventID beyond the device's ITT";
	if (lpi < VGIC_LPI_BASE || lpi >= (1ULL << VGIC_LPI_IDBITS))
		return "LPI number outside GICD_TYPER.IDbits";
	if (icid >= VITS_COLLECTIONS)
		return "ICID beyond the collections the ITS holds";
	if (find_event(its, d, event) >= 0 || lpi_in_use(g, lpi))
		return "event or LPI mapped already";
	slot = free_slot(g);
	if (slot < 0)
		return "every one of the VM's LPI slots is in use";
	if (its->hw->map_event(g.vm, d->pdevid, event, (unsigned)slot,
			       collection_pcpu(g.vm, its, icid)))
		return "the physical ITS did not map the event";
	its->ev[slot] = (struct vits_event){ true, (u8)(d - its->dev), icid, event };
	g.vm->vgic->lpi[slot] = (struct virq){ .intid = (u16)lpi, .owned = true, .group1 = true };
	retarget(g, (unsigned)slot);
	load_config(g, &g.vm->vgic->lpi[slot]);
	return NULL;
}

/* The slot of the command's (DeviceID, EventID), or -1 with *why set. */
static int cmd_slot(const struct cmd *c, const char **why)
{
	struct vits_device *d = find_device(c->its, cmd_devid(c));
	int slot = d ? find_event(c->its, d, cmd_event(c)) : -1;

	if (slot < 0)
		*why = "no such event mapped (DeviceID, EventID)";
	return slot;
}

/* MOVI (5.3.12): the event to another collection. */
static const char *do_movi(struct vgic_locked g, const struct cmd *c)
{
	const char *why = NULL;
	int slot = cmd_slot(c, &why);
	u16 icid = cmd_icid(c);
	struct vits_event *e;

	if (slot < 0)
		return why;
	if (icid >= VITS_COLLECTIONS)
		return "ICID beyond the collections the ITS holds";
	e = &c->its->ev[slot];
	if (c->its->hw->move_event(c->its->dev[e->dev].pdevid, e->event,
				   collection_pcpu(g.vm, c->its, icid)))
		return "the physical ITS did not move the event";
	e->icid = icid;
	retarget(g, (unsigned)slot);
	return NULL;
}

/* INV, INT, CLEAR, DISCARD (5.3.4-7): one event. */
static const char *do_event(struct vgic_locked g, const struct cmd *c, u8 op)
{
	const char *why = NULL;
	int slot = cmd_slot(c, &why);
	struct virq *irq;

	if (slot < 0)
		return why;
	irq = &g.vm->vgic->lpi[slot];
	switch (op) {
	case ITS_CMD_INV:
		load_config(g, irq);
		break;
	case ITS_CMD_INT:
		vgic_raise(g, irq);
		break;
	case ITS_CMD_CLEAR:
		irq->pending_latch = false;
		break;
	default: /* DISCARD */
		return unmap_slot(g, (unsigned)slot);
	}
	return NULL;
}

/* INVALL (5.3.3): every event of a collection. */
static const char *do_invall(struct vgic_locked g, const struct cmd *c)
{
	u16 icid = cmd_icid(c);

	if (icid >= VITS_COLLECTIONS)
		return "ICID beyond the collections the ITS holds";
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (c->its->ev[i].used && c->its->ev[i].icid == icid)
			load_config(g, &g.vm->vgic->lpi[i]);
	return NULL;
}

/* SYNC and MOVALL (5.3.13, 5.3.11): every command takes effect when it is read, and an
 * LPI's pending state follows its collection, so both only check their redistributors. */
static const char *check_rds(struct vgic_locked g, const struct cmd *c, bool two)
{
	if (cmd_rd(c->w[2]) >= g.vm->n_vcpus || (two && cmd_rd(c->w[3]) >= g.vm->n_vcpus))
		return "RDbase is no vCPU's redistributor";
	return NULL;
}

static const char *run_cmd(struct vgic_locked g, const struct cmd *c, u8 op)
{
	switch (op) {
	case ITS_CMD_MAPD:
		return do_mapd(g, c);
	case ITS_CMD_MAPC:
		return do_mapc(g, c);
	case ITS_CMD_MAPTI:
		return do_mapti(g, c, (u32)FIELD_GET(ITS_CMD_PINTID, c->w[1]));
	case ITS_CMD_MAPI:
		return do_mapti(g, c, cmd_event(c));
	case ITS_CMD_MOVI:
		return do_movi(g, c);
	case ITS_CMD_INV:
	case ITS_CMD_INT:
	case ITS_CMD_CLEAR:
	case ITS_CMD_DISCARD:
		return do_event(g, c, op);
	case ITS_CMD_INVALL:
		return do_invall(g, c);
	case ITS_CMD_SYNC:
		return check_rds(g, c, false);
	case ITS_CMD_MOVALL:
		return check_rds(g, c, true);
	default:
		return "not a GICv3 ITS command (GICv4 ones included)";
	}
}

static void refuse(struct vgic_locked g, const char *what, u64 detail, const char *why)
{
	struct vits *its = g.vm->vgic->its;

	if (log_sampled(its->refused++))
		log_warn("vm %u: vITS: %s 0x%lx refused: %s (%lu so far)\n", g.vm->id, what, detail,
			 why, its->refused);
}

/* ---- the command queue (5.2, GITS_CBASER, GITS_CWRITER, GITS_CREADR) ---- */

static u32 queue_bytes(const struct vits *its)
{
	return ((u32)FIELD_GET(GITS_CBASER_SIZE, its->cbaser) + 1) * SZ_4K;
}

/* Up to VITS_CMDS_PER_ACCESS commands from CREADR towards CWRITER. A queue not wholly in
 * the VM's RAM is refused whole, and the guest sees it make no progress. */
static void run_queue(struct vgic_locked g)
{
	struct vits *its = g.vm->vgic->its;
	u32 size = queue_bytes(its);
	const u64 *q;

	if (!(its->ctlr & GITS_CTLR_ENABLED) || !(its->cbaser & GITS_CBASER_VALID) ||
	    its->creadr == its->cwriter)
		return;
	q = vm_ram_ptr(g.vm, ipa(its->cbaser & GITS_CBASER_ADDR), size);
	if (!q) {
		refuse(g, "command queue at", its->cbaser & GITS_CBASER_ADDR, "not in the VM's RAM");
		return;
	}
	for (unsigned n = 0; n < VITS_CMDS_PER_ACCESS && its->creadr != its->cwriter; n++) {
		struct cmd c = { .vm = g.vm, .its = its };
		const char *why;

		/* Copied once: the guest may change the queue meanwhile. */
		for (unsigned i = 0; i < 4; i++)
			c.w[i] = __atomic_load_n(&q[its->creadr / 8 + i], __ATOMIC_RELAXED);
		why = run_cmd(g, &c, (u8)FIELD_GET(ITS_CMD_NUMBER, c.w[0]));
		if (why)
			refuse(g, "command", FIELD_GET(ITS_CMD_NUMBER, c.w[0]), why);
		its->creadr = (its->creadr + CMD_BYTES) % size;
	}
}

static void write_cwriter(struct vgic_locked g, u64 value)
{
	struct vits *its = g.vm->vgic->its;
	u32 off = (u32)(value & GITS_CQ_OFFSET);

	if (off >= queue_bytes(its)) {
		refuse(g, "GITS_CWRITER", value, "beyond the command queue");
		return;
	}
	its->cwriter = off;
	run_queue(g);
}

/* CBASER changes only while the ITS is disabled (12.19.5: otherwise UNPREDICTABLE, here
 * ignored), and resets CREADR. */
static void write_cbaser(struct vgic_locked g, u64 value)
{
	struct vits *its = g.vm->vgic->its;

	if (its->ctlr & GITS_CTLR_ENABLED)
		return;
	its->cbaser = value & CBASER_WRITABLE;
	its->creadr = its->cwriter = 0;
}

/* ---- registers ---- */

static bool ctlr_access(struct vgic_locked g, struct mmio_access *a)
{
	struct vits *its = g.vm->vgic->its;

	if (!vgic_reg_ro32(a, its->ctlr | GITS_CTLR_QUIESCENT))
		return false;
	if (a->write) {
		its->ctlr = (u32)a->value & GITS_CTLR_ENABLED;
		run_queue(g);
	}
	return true;
}

static bool queue_reg(struct vgic_locked g, struct mmio_access *a, u64 off)
{
	struct vits *its = g.vm->vgic->its;
	u64 base = off & ~7ULL, value = 0, written = 0;
	bool ok;

	if (base == GITS_CBASER)
		value = its->cbaser;
	else if (base == GITS_CWRITER)
		value = its->cwriter;
	else
		value = its->creadr;
	ok = vgic_reg64(a, off, value, &written);
	if (ok && a->write && base == GITS_CBASER)
		write_cbaser(g, written);
	else if (ok && a->write && base == GITS_CWRITER)
		write_cwriter(g, written);
	else if (ok && !a->write && base == GITS_CREADR)
		run_queue(g); /* the guest waits on CREADR: the rest of a long queue goes on */
	return ok;
}

/* A CPU's write to GITS_TRANSLATER has no DeviceID of the VM's (on hardware an
 * IMPLEMENTATION DEFINED one): ignored. Devices reach the physical one, through the SMMU. */
static bool translater_access(struct vgic_locked g, struct mmio_access *a)
{
	if (a->size != 2 && a->size != 4)
		return false;
	if (a->write)
		refuse(g, "CPU write to GITS_TRANSLATER, value", a->value, "only devices send MSIs");
	else
		a->value = 0;
	return true;
}

bool vits_access(struct vgic_locked g, struct mmio_access *a)
{
	u64 off = a->offset, ignored;

	if (!IS_ALIGNED(off, a->size))
		return false;
	if (off >= GITS_TRANSLATION_FRAME)
		return off == GITS_TRANSLATER ? translater_access(g, a) : vgic_reg_ro32(a, 0);
	switch (off) {
	case GITS_CTLR:
		return ctlr_access(g, a);
	case GITS_IIDR:
		return vgic_reg_ro32(a, VGIC_IIDR);
	case GITS_TYPER:
	case GITS_TYPER + 4:
		return vgic_reg64(a, off, vits_typer, &ignored);
	case GITS_CBASER:
	case GITS_CBASER + 4:
	case GITS_CWRITER:
	case GITS_CWRITER + 4:
	case GITS_CREADR:
	case GITS_CREADR + 4:
		return queue_reg(g, a, off);
	case GITS_PIDR2:
		return vgic_reg_ro32(a, VGIC_PIDR2);
	default:
		/* GITS_BASER<n> read as type None: no table in guest memory (12.19.1). */
		if (a->size != 4 && a->size != 8)
			return false;
		if (!a->write)
			a->value = 0;
		return true;
	}
}

/* ---- life cycle and the physical side ---- */

void vits_reset(struct vgic_locked g)
{
	struct vits *its = g.vm->vgic->its;

	if (!its)
		return;
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		if (its->ev[i].used && unmap_slot(g, i))
			log_err("vm %u: vITS: event %u of DeviceID 0x%x still mapped after reset\n",
				g.vm->id, its->ev[i].event, its->dev[its->ev[i].dev].rid);
	for (unsigned i = 0; i < its->n_dev; i++)
		its->dev[i].event_bits = 0;
	for (unsigned i = 0; i < VITS_COLLECTIONS; i++)
		its->collection[i] = VGIC_NO_VCPU;
	its->ctlr = 0;
	its->cbaser = 0;
	its->creadr = its->cwriter = 0;
}

void vits_raise(struct vgic_locked g, unsigned slot)
{
	struct virq *irq = slot < VGIC_MAX_LPIS ? &g.vm->vgic->lpi[slot] : NULL;

	/* One unmapped since it was raised is spurious (5.1: LPIs may be). */
	if (irq && irq->owned)
		vgic_raise(g, irq);
}
