/*
 * SMMUv3 driver (Arm IHI 0070; see smmuv3.h): probe and reset, the command queue with
 * CMD_SYNC completion by polling, the event and PRI queues, global errors, and stream table
 * updates. Entry encodings come from the pure builders in smmuv3_ste.c.
 *
 * Locks: smmu.lock covers the command queue, the stream table, the CDs and GERRORN;
 * smmu.evt_lock the event and PRI queues (taken first when both are). Both are taken with
 * interrupts masked, since the event interrupt handler runs on CPU 0.
 */
#include "iommu/smmuv3.h"

#include "arch/arch.h"
#include "arch/arm64/cpu.h"
#include "arch/arm64/mmu.h"
#include "arch/arm64/sysreg.h"
#include "core/alloc.h"
#include "core/lib/errno.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mmio.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"
#include "iommu/pgtable_desc.h"
#include "iommu/smmuv3_ste.h"

/* Every register handshake and every CMD_SYNC is bounded by this. */
#define SMMU_TIMEOUT_US 100000
/* Queue sizes (log2 entries), capped by IDR1: one page each. */
#define SMMU_CMDQ_BITS 8
#define SMMU_EVTQ_BITS 7
#define SMMU_PRIQ_BITS 8
/* Stream table: StreamIDs beyond 2^16 (a PCIe RID is 16 bits) are not configured and get
 * C_BAD_STREAMID. A 2-level table has 2^8 STEs (one PCI bus) per level-2 table. */
#define SMMU_MAX_SID_BITS 16
#define SMMU_SPLIT 8
#define SMMU_MAX_GROUPS (1U << (SMMU_MAX_SID_BITS - SMMU_SPLIT))
/* TLBI commands per request before a whole-VMID/ASID invalidation is cheaper. */
#define SMMU_TLBI_MAX_CMDS 16
/* Event records logged in full when no handler takes them; later ones are counted. */
#define SMMU_EVENT_LOG_LIMIT 32

struct smmu_queue {
	u64 *base;
	unsigned bits;  /* log2 entries */
	unsigned words; /* u64 per entry */
	u32 prod, cons; /* index with the wrap bit (bit `bits`), as in the registers */
	u64 prod_reg, cons_reg;
};

/* 2^group_bits consecutive StreamIDs: a level-2 table (or a slice of the linear one), and
 * the context descriptors of those that translate at stage 1, both made on first use. */
struct ste_group {
	u64 *ste;
	u64 *cd;
	bool fresh; /* its L1 descriptor is new: the next CFGI_STE must not be leaf-only */
};

static struct {
	u64 base;
	struct smmu_features f;
	bool enabled;
	bool coherent;
	bool two_level;
	unsigned sid_bits, group_bits;
	u64 *l1;
	struct ste_group groups[SMMU_MAX_GROUPS];
	struct smmu_queue cmdq, evtq, priq;
	spinlock_t lock, evt_lock;
	smmu_event_fn handler;
	unsigned events_logged;
	struct smmu_stats st;
} smmu = { .lock = SPINLOCK_INIT, .evt_lock = SPINLOCK_INIT };

static u32 rd32(u64 off) { return mmio_read32(smmu.base + off); }
static void wr32(u64 off, u32 v) { mmio_write32(smmu.base + off, v); }
static void wr64(u64 off, u64 v) { mmio_write64(smmu.base + off, v); }

static u64 lock_irqsave(spinlock_t *l)
{
	u64 flags = read_sysreg(daif);

	irq_disable();
	spin_lock(l);
	return flags;
}

static void unlock_irqrestore(spinlock_t *l, u64 flags)
{
	spin_unlock(l);
	write_sysreg(daif, flags);
}

/* Make the CPU's writes to a structure the SMMU reads visible to it. */
static void publish(const void *va, size_t len)
{
	arch_table_write_barrier(va, len, !smmu.coherent);
}

/* Before reading what a non-coherent SMMU wrote, drop the CPU's cached copy of it. The
 * lines were cleaned when the queue was made and the CPU never writes them, so clean and
 * invalidate only invalidates. (arch/arch.h offers the cleaning side only.) */
static void see_smmu_writes(const void *va, size_t len)
{
	u64 line, p;

	if (smmu.coherent)
		return;
	line = 4U << FIELD_GET(GENMASK(19, 16), read_sysreg(ctr_el0));
	for (p = ALIGN_DOWN((u64)(uintptr_t)va, line); p < (u64)(uintptr_t)va + len; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(sy);
}

static void *alloc_zeroed(size_t bytes)
{
	u64 pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE, align = 1;
	void *va;
	pa_t p;

	/* Queues and tables are aligned to their size (6.3, *_BASE; 5.1, L2Ptr). */
	while (align < pages)
		align <<= 1;
	p = page_alloc(pages, align);
	if (!p.v)
		return NULL;
	va = pa_to_va(p);
	memset(va, 0, pages * PAGE_SIZE);
	publish(va, pages * PAGE_SIZE);
	return va;
}

/* ---- Register handshakes (6.3) ---- */

static int write_ack(u64 reg, u64 ack, u32 val, u32 mask, const char *what)
{
	wr32(reg, val);
	return mmio_poll32(smmu.base + ack, mask, val & mask, SMMU_TIMEOUT_US, what);
}

#define CR0_ALL (CR0_SMMUEN | CR0_PRIQEN | CR0_EVENTQEN | CR0_CMDQEN | CR0_ATSCHK)

static int cr0_write(u32 val)
{
	return write_ack(ARM_SMMU_CR0, ARM_SMMU_CR0ACK, val, CR0_ALL, "SMMU_CR0ACK");
}

/* GBPA changes only through its Update handshake (6.3, SMMU_GBPA): wait for any update in
 * flight, write the new value with Update set, wait for Update to clear. */
static int gbpa_abort(void)
{
	u64 gbpa = smmu.base + ARM_SMMU_GBPA;

	if (mmio_poll32(gbpa, GBPA_UPDATE, 0, SMMU_TIMEOUT_US, "SMMU_GBPA.Update (before)"))
		return -E_TIMEOUT;
	mmio_write32(gbpa, mmio_read32(gbpa) | GBPA_ABORT | GBPA_UPDATE);
	if (mmio_poll32(gbpa, GBPA_UPDATE, 0, SMMU_TIMEOUT_US, "SMMU_GBPA.Update"))
		return -E_TIMEOUT;
	return (mmio_read32(gbpa) & GBPA_ABORT) ? 0 : -E_IO;
}

/* ---- Queues (3.5): PROD and CONS hold an index and a wrap bit ---- */

static u32 q_mask(const struct smmu_queue *q) { return (1U << (q->bits + 1)) - 1; }
static u32 q_idx(const struct smmu_queue *q, u32 v) { return v & ((1U << q->bits) - 1); }
static u32 q_inc(const struct smmu_queue *q, u32 v) { return (v + 1) & q_mask(q); }
static u64 *q_slot(const struct smmu_queue *q, u32 v) { return q->base + (u64)q_idx(q, v) * q->words; }
static u32 q_used(const struct smmu_queue *q) { return (q->prod - q->cons) & q_mask(q); }

static int queue_init(struct smmu_queue *q, unsigned bits, unsigned words, u64 base_reg,
		      u64 prod_reg, u64 cons_reg)
{
	*q = (struct smmu_queue){ .bits = bits, .words = words, .prod_reg = prod_reg,
				  .cons_reg = cons_reg };
	q->base = alloc_zeroed((sizeof(u64) * words) << bits);
	if (!q->base)
		return -E_NOMEM;
	wr64(base_reg, (va_to_pa(q->base).v & Q_BASE_ADDR) | FIELD_PREP(Q_BASE_LOG2SIZE, bits) |
			       (smmu.coherent ? Q_BASE_RWA : 0));
	wr32(prod_reg, 0);
	wr32(cons_reg, 0);
	return 0;
}

/* ---- Global errors (7.5) and command queue errors (7.1) ---- */

/* 7.1: CONS stays on the command that failed, and processing resumes from it once
 * GERROR.CMDQ_ERR is acknowledged. It is reported, then overwritten with a CMD_SYNC, which
 * has no other effect, so the queue moves past it. */
static void cmdq_skip_error(void)
{
	struct smmu_queue *q = &smmu.cmdq;
	u32 cons = rd32(ARM_SMMU_CMDQ_CONS);
	u64 *bad = q_slot(q, cons);

	log_err("SMMUv3: command %s (%016lx %016lx) at CMDQ index %u failed: %s; skipped\n",
		smmu_cmd_name(FIELD_GET(CMD_0_OP, bad[0])), bad[0], bad[1], q_idx(q, cons),
		smmu_cerror_name(FIELD_GET(CMDQ_CONS_ERR, cons)));
	smmu_cmd_sync(bad, CMD_SYNC_CS_NONE);
	publish(bad, CMD_WORDS * sizeof(u64));
	smmu.st.cmd_errors++;
}

/* Handle every active global error (GERROR ^ GERRORN) and acknowledge them in one GERRORN
 * write. Called with smmu.lock held. Returns the bits handled. */
static u32 gerror_handle_locked(void)
{
	u32 gerror = rd32(ARM_SMMU_GERROR), gerrorn = rd32(ARM_SMMU_GERRORN);
	u32 active = (gerror ^ gerrorn) & GERROR_ALL;

	if (!active)
		return 0;
	for (u32 b = 0; active >> b; b++) {
		if (!(active & BIT(b)))
			continue;
		smmu.st.gerrors++;
		if (BIT(b) == GERROR_CMDQ_ERR)
			cmdq_skip_error();
		else
			log_err("SMMUv3: global error %s\n", smmu_gerror_name(BIT(b)));
	}
	if (active & (GERROR_EVENTQ_ABT_ERR | GERROR_PRIQ_ABT_ERR))
		log_err("SMMUv3: records were lost\n");
	dsb(st); /* the replaced command is visible before the SMMU resumes */
	wr32(ARM_SMMU_GERRORN, gerrorn ^ active);
	return active;
}

/* ---- Command queue ---- */

static void cmdq_read_cons(void)
{
	smmu.cmdq.cons = rd32(ARM_SMMU_CMDQ_CONS) & q_mask(&smmu.cmdq);
}

/* Room for n entries, waiting (bounded) while the SMMU consumes. */
static int cmdq_reserve(unsigned n)
{
	struct smmu_queue *q = &smmu.cmdq;
	u64 deadline = 0;

	for (;;) {
		cmdq_read_cons();
		if ((1U << q->bits) - q_used(q) >= n)
			return 0;
		gerror_handle_locked();
		if (!deadline) {
			deadline = timer_now_us() + SMMU_TIMEOUT_US;
			smmu.st.queue_waits++;
		} else if (timer_now_us() > deadline) {
			log_err("SMMUv3: command queue full for %u us (PROD %x CONS %x)\n",
				SMMU_TIMEOUT_US, q->prod, q->cons);
			return -E_TIMEOUT;
		}
		spin_relax();
	}
}

static void cmdq_write(const u64 cmd[CMD_WORDS])
{
	struct smmu_queue *q = &smmu.cmdq;
	u64 *slot = q_slot(q, q->prod);

	slot[0] = cmd[0];
	slot[1] = cmd[1];
	publish(slot, CMD_WORDS * sizeof(u64));
	smmu.st.cmds[FIELD_GET(CMD_0_OP, cmd[0]) % CMD_OP_LIMIT]++;
	q->prod = q_inc(q, q->prod);
}

/* Wait until CONS reaches PROD: with the lock held nobody adds commands, so the CMD_SYNC
 * just written, and everything before it, has completed (4.7). */
static int cmdq_wait_sync(void)
{
	struct smmu_queue *q = &smmu.cmdq;
	u64 start = timer_counter(), deadline = timer_now_us() + SMMU_TIMEOUT_US, ns;
	int ret = 0;

	for (;;) {
		cmdq_read_cons();
		if (q->cons == q->prod)
			break;
		if (gerror_handle_locked() & GERROR_CMDQ_ERR)
			ret = -E_IO;
		if (timer_now_us() > deadline) {
			log_err("SMMUv3: CMD_SYNC not complete after %u us (PROD %x CONS %x, "
				"GERROR %x GERRORN %x)\n", SMMU_TIMEOUT_US, q->prod,
				rd32(ARM_SMMU_CMDQ_CONS), rd32(ARM_SMMU_GERROR), rd32(ARM_SMMU_GERRORN));
			smmu.st.sync_timeouts++;
			return -E_TIMEOUT;
		}
		spin_relax();
	}
	ns = (timer_counter() - start) * 1000000000ULL / timer_frequency();
	smmu.st.syncs++;
	smmu.st.sync_ns_total += ns;
	smmu.st.sync_ns_max = MAX(smmu.st.sync_ns_max, ns);
	return ret;
}

/* Queue n commands, then (if sync) a CMD_SYNC, and wait for it. Called with smmu.lock. */
static int cmdq_issue(const u64 (*cmds)[CMD_WORDS], unsigned n, bool sync)
{
	u64 sync_cmd[CMD_WORDS];
	int ret;

	if (n + 1 >= (1U << smmu.cmdq.bits))
		panic("SMMUv3: a batch of %u commands does not fit the command queue", n);
	ret = cmdq_reserve(n + (sync ? 1 : 0));
	if (ret)
		return ret;
	for (unsigned i = 0; i < n; i++)
		cmdq_write(cmds[i]);
	if (sync) {
		/* Completion is seen by polling CONS: no interrupt, no MSI (CS = none). */
		smmu_cmd_sync(sync_cmd, CMD_SYNC_CS_NONE);
		cmdq_write(sync_cmd);
	}
	/* The entries reach memory the SMMU sees before PROD moves. */
	dsb(st);
	wr32(ARM_SMMU_CMDQ_PROD, smmu.cmdq.prod);
	return sync ? cmdq_wait_sync() : 0;
}

static int cmd_locked(const u64 (*cmds)[CMD_WORDS], unsigned n, bool sync)
{
	u64 flags = lock_irqsave(&smmu.lock);
	int ret = cmdq_issue(cmds, n, sync);

	unlock_irqrestore(&smmu.lock, flags);
	return ret;
}

int smmu_sync(void)
{
	if (!smmu.enabled)
		return -E_NODEV;
	return cmd_locked(NULL, 0, true);
}

/* ---- TLB invalidation (4.4) ---- */

static int tlbi(const struct smmu_tlbi_req *r)
{
	u64 cmds[SMMU_TLBI_MAX_CMDS][CMD_WORDS];
	unsigned n;

	if (!smmu.enabled || !(r->stage2 ? smmu.f.s2 : smmu.f.s1))
		return -E_NODEV;
	if (!r->size)
		return 0;
	n = smmu_cmd_tlbi_range(cmds, SMMU_TLBI_MAX_CMDS, r);
	if (!n) {
		n = 1;
		if (r->stage2)
			smmu_cmd_tlbi_s12_vmall(cmds[0], r->vmid);
		else
			smmu_cmd_tlbi_nh_asid(cmds[0], 0, r->asid);
	}
	return cmd_locked(cmds, n, false);
}

int smmu_tlbi_s2(u16 vmid, u64 ipa, u64 size, bool leaf)
{
	struct smmu_tlbi_req r = { .stage2 = true, .vmid = vmid, .addr = ipa, .size = size,
				   .leaf = leaf, .range = smmu.f.ril };

	return tlbi(&r);
}

int smmu_tlbi_s1(u16 asid, u64 iova, u64 size, bool leaf)
{
	struct smmu_tlbi_req r = { .stage2 = false, .asid = asid, .addr = iova, .size = size,
				   .leaf = leaf, .range = smmu.f.ril };

	return tlbi(&r);
}

int smmu_tlbi_s2_all(u16 vmid)
{
	u64 cmd[1][CMD_WORDS];

	if (!smmu.enabled || !smmu.f.s2)
		return -E_NODEV;
	smmu_cmd_tlbi_s12_vmall(cmd[0], vmid);
	return cmd_locked(cmd, 1, false);
}

int smmu_tlbi_s1_all(u16 asid)
{
	u64 cmd[1][CMD_WORDS];

	if (!smmu.enabled || !smmu.f.s1)
		return -E_NODEV;
	smmu_cmd_tlbi_nh_asid(cmd[0], 0, asid);
	return cmd_locked(cmd, 1, false);
}

static void s2_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	smmu_tlbi_s2((u16)(uintptr_t)ctx, ia, size, leaf);
}

static void s1_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	smmu_tlbi_s1((u16)(uintptr_t)ctx, ia, size, leaf);
}

static void tlb_sync(void *ctx)
{
	(void)ctx;
	smmu_sync();
}

const struct pgt_tlb_ops smmu_s2_tlb_ops = { .inv_range = s2_inv_range, .sync = tlb_sync };
const struct pgt_tlb_ops smmu_s1_tlb_ops = { .inv_range = s1_inv_range, .sync = tlb_sync };

/* ---- Stream table (5.1, 5.2) ---- */

static struct ste_group *group_of(u32 sid)
{
	struct ste_group *g = &smmu.groups[sid >> smmu.group_bits];
	u64 *l2;

	if (g->ste)
		return g;
	/* 2-level: a new level-2 table, all invalid, published before the one 64-bit store of
	 * the L1 descriptor that makes the SMMU look at it. */
	l2 = alloc_zeroed((STE_WORDS * sizeof(u64)) << SMMU_SPLIT);
	if (!l2)
		return NULL;
	*(volatile u64 *)&smmu.l1[sid >> SMMU_SPLIT] = smmu_l1std(va_to_pa(l2), SMMU_SPLIT);
	publish(&smmu.l1[sid >> SMMU_SPLIT], sizeof(u64));
	g->ste = l2;
	g->fresh = true;
	return g;
}

static u64 *ste_of(const struct ste_group *g, u32 sid)
{
	return g->ste + (u64)(sid & ((1U << smmu.group_bits) - 1)) * STE_WORDS;
}

static u64 *cd_of(const struct ste_group *g, u32 sid)
{
	return g->cd + (u64)(sid & ((1U << smmu.group_bits) - 1)) * CD_WORDS;
}

/* What must be ready before a translating STE's word 0 is written: its CD, and no TLB
 * entries its VMID or ASID may still hold from an earlier table (a VM restarted with the
 * same VMID). Both go in the plan's prep step. */
struct ste_prep {
	u64 *cd_slot;
	const u64 *cd;
	u64 tlbi[CMD_WORDS];
};

static void ste_store(u64 *ste, const u64 img[STE_WORDS])
{
	/* Each word in one 64-bit store (single-copy atomic); word 0 last. */
	for (unsigned w = STE_WORDS; w-- > 0;)
		if (ste[w] != img[w])
			*(volatile u64 *)&ste[w] = img[w];
	publish(ste, STE_WORDS * sizeof(u64));
}

/* Carry out smmu_ste_update_plan(): each synced step ends with CFGI_STE + CMD_SYNC. If a
 * sync fails, the STE is set to abort (one store) and invalidated once more. */
static int ste_run(struct ste_group *g, u32 sid, const u64 tgt[STE_WORDS],
		   const struct ste_prep *prep)
{
	struct smmu_ste_step steps[SMMU_STE_MAX_STEPS];
	u64 *ste = ste_of(g, sid), cmds[3][CMD_WORDS];
	unsigned n = smmu_ste_update_plan(ste, tgt, steps);
	int ret = 0;

	for (unsigned i = 0; i < n && !ret; i++) {
		unsigned nc = 0;

		if (steps[i].prep && prep) {
			if (prep->cd) {
				memcpy(prep->cd_slot, prep->cd, CD_WORDS * sizeof(u64));
				publish(prep->cd_slot, CD_WORDS * sizeof(u64));
				smmu_cmd_cfgi_cd(cmds[nc++], sid, 0, true);
			}
			memcpy(cmds[nc++], prep->tlbi, sizeof(prep->tlbi));
		}
		ste_store(ste, steps[i].ste);
		if (!steps[i].sync)
			continue;
		smmu_cmd_cfgi_ste(cmds[nc++], sid, !g->fresh);
		ret = cmdq_issue(cmds, nc, true);
		if (!ret)
			g->fresh = false;
	}
	if (n)
		smmu.st.ste_writes++;
	if (ret) {
		u64 abort[STE_WORDS];

		smmu_ste_abort(abort);
		*(volatile u64 *)&ste[0] = abort[0];
		publish(ste, sizeof(u64));
		smmu_cmd_cfgi_ste(cmds[0], sid, false);
		cmdq_issue(cmds, 1, true);
	}
	return ret;
}

static bool sid_ok(u32 sid, const char *what)
{
	if (!smmu.enabled) {
		log_warn("SMMUv3: %s for StreamID %x: no SMMU in use\n", what, sid);
		return false;
	}
	if (sid >> smmu.sid_bits) {
		log_warn("SMMUv3: %s: StreamID %x is beyond the %u-bit stream table\n", what, sid,
			 smmu.sid_bits);
		return false;
	}
	return true;
}

int smmu_set_abort(u32 sid)
{
	u64 tgt[STE_WORDS], flags;
	struct ste_group *g;
	int ret = -E_NOMEM;

	if (!sid_ok(sid, "abort"))
		return smmu.enabled ? -E_RANGE : -E_NODEV;
	smmu_ste_abort(tgt);
	flags = lock_irqsave(&smmu.lock);
	g = group_of(sid);
	if (g)
		ret = ste_run(g, sid, tgt, NULL);
	unlock_irqrestore(&smmu.lock, flags);
	if (ret)
		log_err("SMMUv3: StreamID %x: setting abort failed (%s)\n", sid, err_name(ret));
	return ret;
}

/* Checks common to both stages' tables; 0 or the error to return (logged). */
static int table_check(u32 sid, const struct pgtable *t, enum pgt_format fmt, bool stage,
		       const char *what)
{
	if (!sid_ok(sid, what))
		return smmu.enabled ? -E_RANGE : -E_NODEV;
	if (!stage || smmu.f.stall_model == IDR0_STALL_MODEL_STALL) {
		log_warn("SMMUv3: %s for StreamID %x: the SMMU has no such stage%s\n", what, sid,
			 stage ? " without stalling faults" : "");
		return -E_NODEV;
	}
	if (t->fmt != fmt) {
		log_warn("SMMUv3: %s for StreamID %x: not a table of that format\n", what, sid);
		return -E_INVAL;
	}
	/* A stage-2 input is at most OAS bits wide (5.2, S2T0SZ); SL0 cannot say level 3. */
	if ((fmt == PGT_FMT_S2 && t->ias > smmu.f.oas_bits) || t->start_level > 2 ||
	    t->root.v >> smmu.f.oas_bits) {
		log_warn("SMMUv3: %s for StreamID %x: a %u-bit table at level %u (root %lx) is "
			 "beyond the SMMU's %u-bit addresses\n", what, sid, t->ias, t->start_level,
			 t->root.v, smmu.f.oas_bits);
		return -E_RANGE;
	}
	if (!smmu.coherent && !t->clean_to_poc) {
		log_warn("SMMUv3: %s for StreamID %x: the SMMU does not snoop caches, but the "
			 "table is not cleaned to the point of coherency\n", what, sid);
		return -E_INVAL;
	}
	return 0;
}

int smmu_set_s2(u32 sid, u16 vmid, const struct pgtable *s2)
{
	struct smmu_s2_cfg cfg = { .vmid = vmid, .ias = s2->ias, .start_level = s2->start_level,
				   .ps_enc = MIN(smmu.f.oas_enc, SMMU_PS_48), .root = s2->root,
				   .walk = { smmu.coherent } };
	struct ste_prep prep = { 0 };
	u64 tgt[STE_WORDS], flags;
	struct ste_group *g;
	int ret = table_check(sid, s2, PGT_FMT_S2, smmu.f.s2, "stage 2");

	if (ret)
		return ret;
	if (!vmid || (!smmu.f.vmid16 && vmid > 0xff)) {
		log_warn("SMMUv3: stage 2 for StreamID %x: VMID %u not usable\n", sid, vmid);
		return -E_RANGE;
	}
	smmu_ste_s2(tgt, &cfg);
	smmu_cmd_tlbi_s12_vmall(prep.tlbi, vmid);
	ret = -E_NOMEM;
	flags = lock_irqsave(&smmu.lock);
	g = group_of(sid);
	if (g)
		ret = ste_run(g, sid, tgt, &prep);
	unlock_irqrestore(&smmu.lock, flags);
	if (ret)
		log_err("SMMUv3: StreamID %x: stage 2 (VMID %u) failed (%s)\n", sid, vmid,
			err_name(ret));
	return ret;
}

int smmu_set_s1(u32 sid, u16 asid, const struct pgtable *s1)
{
	struct smmu_cd_cfg cdc = { .asid = asid, .ias = s1->ias,
				   .ips_enc = MIN(smmu.f.oas_enc, SMMU_PS_48), .ttb0 = s1->root,
				   .mair = PGT_S1_MAIR, .walk = { smmu.coherent } };
	u64 tgt[STE_WORDS], abort[STE_WORDS], cd[CD_WORDS], flags;
	struct ste_prep prep = { .cd = cd };
	struct ste_group *g;
	int ret = table_check(sid, s1, PGT_FMT_SMMU_S1, smmu.f.s1, "stage 1");

	if (ret)
		return ret;
	if (!smmu.f.asid16 && asid > 0xff) {
		log_warn("SMMUv3: stage 1 for StreamID %x: ASID %u not usable\n", sid, asid);
		return -E_RANGE;
	}
	smmu_cd_build(cd, &cdc);
	smmu_cmd_tlbi_nh_asid(prep.tlbi, 0, asid);
	smmu_ste_abort(abort);
	ret = -E_NOMEM;
	flags = lock_irqsave(&smmu.lock);
	g = group_of(sid);
	if (g && !g->cd)
		g->cd = alloc_zeroed((CD_WORDS * sizeof(u64)) << smmu.group_bits);
	if (g && g->cd) {
		struct smmu_s1_cfg cfg = { .cd = va_to_pa(cd_of(g, sid)), .walk = { smmu.coherent } };

		prep.cd_slot = cd_of(g, sid);
		smmu_ste_s1(tgt, &cfg);
		ret = 0;
		/* A CD in use is not rewritten in place (3.21.3): stop the stream first. */
		if (smmu_ste_kind(ste_of(g, sid)) == SMMU_STE_TRANSLATE &&
		    memcmp(prep.cd_slot, cd, sizeof(cd)))
			ret = ste_run(g, sid, abort, NULL);
		if (!ret)
			ret = ste_run(g, sid, tgt, &prep);
	}
	unlock_irqrestore(&smmu.lock, flags);
	if (ret)
		log_err("SMMUv3: StreamID %x: stage 1 (ASID %u) failed (%s)\n", sid, asid,
			err_name(ret));
	return ret;
}

/* ---- Event and PRI queues (7.2 - 7.4, chapter 8) ---- */

void smmu_set_event_handler(smmu_event_fn fn)
{
	smmu.handler = fn;
}

static void event_handle(const u64 raw[EVT_WORDS])
{
	struct smmu_event ev;
	char line[160];

	smmu_event_decode(raw, &ev);
	smmu.st.events++;
	smmu.st.events_by_type[ev.type]++;
	if (smmu.handler) {
		smmu.handler(&ev);
		return;
	}
	if (smmu.events_logged < SMMU_EVENT_LOG_LIMIT) {
		smmu_event_format(&ev, line, sizeof(line));
		log_warn("SMMUv3 event: %s\n", line);
		if (++smmu.events_logged == SMMU_EVENT_LOG_LIMIT)
			log_warn("SMMUv3: further events are counted, not logged\n");
	}
}

static void pri_handle(const u64 raw[PRIQ_WORDS])
{
	u64 resp[1][CMD_WORDS], flags;
	u32 sid = FIELD_GET(PRIQ_0_SID, raw[0]);

	/* No stream has ATS enabled (STE.EATS = 0), so no page request is expected. The last
	 * request of a group is denied, so the function does not wait for an answer. */
	smmu.st.pri_requests++;
	log_warn("SMMUv3: unexpected PRI page request from StreamID %x at %lx\n", sid,
		 (u64)(raw[1] & PRIQ_1_ADDR));
	if (!(raw[0] & PRIQ_0_LAST))
		return;
	smmu_cmd_pri_resp(resp[0], sid, raw[0] & PRIQ_0_SSV, FIELD_GET(PRIQ_0_SSID, raw[0]),
			  FIELD_GET(PRIQ_1_GRPID, raw[1]), CMD_PRI_RESP_DENY);
	flags = lock_irqsave(&smmu.lock);
	cmdq_issue(resp, 1, false);
	unlock_irqrestore(&smmu.lock, flags);
}

/* Read what the SMMU has produced, freeing each entry (CONS) before handling it. An
 * overflow (PROD.OVFLG toggled) is acknowledged by copying it into CONS.OVACKFLG (7.4).
 * At most two queues' worth per call, so a flood cannot hold the CPU: the rest waits for
 * the next interrupt or poll. */
static void queue_drain(struct smmu_queue *q, const char *name, void (*handle)(const u64 *raw))
{
	u64 raw[EVT_WORDS];
	unsigned budget = 2U << q->bits;
	u32 prod;

	while (budget) {
		prod = rd32(q->prod_reg);
		if ((prod ^ q->cons) & Q_OVF) {
			smmu.st.event_overflows++;
			log_warn("SMMUv3: %s queue overflowed: records were lost\n", name);
			q->cons ^= Q_OVF;
			wr32(q->cons_reg, q->cons);
		}
		/* Entries are read only after PROD says they are there. */
		dmb(oshld);
		if ((prod & q_mask(q)) == (q->cons & q_mask(q)))
			return;
		for (; budget && (prod & q_mask(q)) != (q->cons & q_mask(q)); budget--) {
			const u64 *slot = q_slot(q, q->cons);

			see_smmu_writes(slot, q->words * sizeof(u64));
			memcpy(raw, slot, q->words * sizeof(u64));
			/* The copy is complete before the SMMU may reuse the slot. */
			dmb(osh);
			q->cons = (q->cons & Q_OVF) | q_inc(q, q->cons & q_mask(q));
			wr32(q->cons_reg, q->cons);
			handle(raw);
		}
	}
}

void smmu_poll(void)
{
	u64 flags;

	if (!smmu.enabled)
		return;
	flags = lock_irqsave(&smmu.lock);
	gerror_handle_locked();
	unlock_irqrestore(&smmu.lock, flags);
	flags = lock_irqsave(&smmu.evt_lock);
	queue_drain(&smmu.evtq, "event", event_handle);
	if (smmu.priq.base)
		queue_drain(&smmu.priq, "PRI", pri_handle);
	unlock_irqrestore(&smmu.evt_lock, flags);
}

static void smmu_irq(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	smmu_poll();
}

/* The wired interrupts are edge-triggered (3.18). One handler serves them all (and a
 * "combined" line). Returns the IRQ_CTRL enables for the lines that are wired. */
static u32 irqs_setup(const struct plat_smmu *p)
{
	const u32 want[] = { p->irq_eventq, p->irq_gerror, smmu.priq.base ? p->irq_priq : 0 };
	const u32 enable[] = { IRQ_CTRL_EVENTQ_IRQEN, IRQ_CTRL_GERROR_IRQEN, IRQ_CTRL_PRIQ_IRQEN };
	u32 irq_ctrl = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		bool done = false;
		int err = 0;

		if (!want[i])
			continue;
		for (unsigned j = 0; j < i; j++)
			done = done || want[j] == want[i];
		if (!done) {
			err = gic_config_spi(want[i], true);
			err = err ? err : gic_set_handler(want[i], smmu_irq, NULL);
			err = err ? err : gic_enable_spi(want[i], cpus[0].mpidr);
		}
		if (err)
			log_warn("SMMUv3: interrupt %u unusable (%s): polled instead\n", want[i],
				 err_name(err));
		else
			irq_ctrl |= enable[i];
	}
	return irq_ctrl;
}

/* ---- Probe and reset ---- */

static int check_features(void)
{
	const struct smmu_features *f = &smmu.f;
	const char *why = !f->aarch64_tables ? "no AArch64 table format"
			: !f->le_tables ? "big-endian table walks only"
			: !f->gran4k ? "no 4 KiB granule"
			: !f->s1 && !f->s2 ? "no translation stage"
			: f->queues_preset || f->tables_preset ? "preset queue or table addresses"
			: !f->oas_bits ? "a reserved output size"
			: f->cmdq_bits < 5 ? "a command queue of under 32 entries" : NULL;

	if (!why)
		return 0;
	log_err("SMMUv3: unusable (%s): DMA through it stays aborted\n", why);
	return -E_NODEV;
}

static int stream_table_init(void)
{
	unsigned log2size = MIN(smmu.f.sid_bits, SMMU_MAX_SID_BITS);
	u64 cfg;

	smmu.sid_bits = log2size;
	smmu.two_level = smmu.f.two_level && log2size > SMMU_SPLIT;
	smmu.group_bits = MIN(log2size, SMMU_SPLIT);
	if (smmu.two_level) {
		smmu.l1 = alloc_zeroed(sizeof(u64) << (log2size - SMMU_SPLIT));
		cfg = FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_2LVL) |
		      FIELD_PREP(STRTAB_BASE_CFG_SPLIT, SMMU_SPLIT);
	} else {
		smmu.l1 = alloc_zeroed((STE_WORDS * sizeof(u64)) << log2size);
		for (unsigned g = 0; smmu.l1 && g < (1U << (log2size - smmu.group_bits)); g++)
			smmu.groups[g].ste = smmu.l1 + ((u64)g * STE_WORDS << smmu.group_bits);
		cfg = FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_LINEAR);
	}
	if (!smmu.l1)
		return -E_NOMEM;
	/* Every STE is invalid (zero) and, 2-level, every L1 descriptor too (Span 0). */
	wr64(ARM_SMMU_STRTAB_BASE, (va_to_pa(smmu.l1).v & STRTAB_BASE_ADDR) |
					   (smmu.coherent ? STRTAB_BASE_RA : 0));
	wr32(ARM_SMMU_STRTAB_BASE_CFG, cfg | FIELD_PREP(STRTAB_BASE_CFG_LOG2SIZE, log2size));
	return 0;
}

/* Configuration and TLB caches may hold anything from before the reset: drop it all
 * before SMMUEN (CFGI_ALL, TLBI_NSNH_ALL, and TLBI_EL2_ALL where there is an EL2 world). */
static int invalidate_all(void)
{
	u64 cmds[3][CMD_WORDS], flags, t0 = timer_counter(), ns;
	unsigned n = 0;
	int ret;

	smmu_cmd_cfgi_all(cmds[n++]);
	smmu_cmd_tlbi_nsnh_all(cmds[n++]);
	if (smmu.f.hyp)
		smmu_cmd_tlbi_el2_all(cmds[n++]);
	flags = lock_irqsave(&smmu.lock);
	ret = cmdq_issue(cmds, n, true);
	unlock_irqrestore(&smmu.lock, flags);
	ns = (timer_counter() - t0) * 1000000000ULL / timer_frequency();
	if (!ret)
		log_info("SMMUv3: CFGI_ALL + TLBI_NSNH_ALL%s + CMD_SYNC completed in %lu ns\n",
			 smmu.f.hyp ? " + TLBI_EL2_ALL" : "", ns);
	return ret;
}

static int reset(const struct plat_smmu *p)
{
	u32 cr0 = CR0_CMDQEN, irq_ctrl, gerror;
	int ret;

	/* Everything off (DMA now aborts by GBPA), interrupts off, stale errors acknowledged. */
	if (cr0_write(0) || write_ack(ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, 0, ~0U,
				      "SMMU_IRQ_CTRLACK"))
		return -E_TIMEOUT;
	gerror = (rd32(ARM_SMMU_GERROR) ^ rd32(ARM_SMMU_GERRORN)) & GERROR_ALL;
	if (gerror)
		log_warn("SMMUv3: global errors %x were active before the reset\n", gerror);
	wr32(ARM_SMMU_GERRORN, rd32(ARM_SMMU_GERROR));
	/* Wired interrupts only: an MSI address of 0 sends none (6.3, *_IRQ_CFG0). */
	if (smmu.f.msi) {
		wr64(ARM_SMMU_GERROR_IRQ_CFG0, 0);
		wr64(ARM_SMMU_EVENTQ_IRQ_CFG0, 0);
		if (smmu.f.pri)
			wr64(ARM_SMMU_PRIQ_IRQ_CFG0, 0);
	}
	ret = stream_table_init();
	ret = ret ? ret : queue_init(&smmu.cmdq, MIN(SMMU_CMDQ_BITS, smmu.f.cmdq_bits), CMD_WORDS,
				     ARM_SMMU_CMDQ_BASE, ARM_SMMU_CMDQ_PROD, ARM_SMMU_CMDQ_CONS);
	ret = ret ? ret : queue_init(&smmu.evtq, MIN(SMMU_EVTQ_BITS, smmu.f.eventq_bits),
				     EVT_WORDS, ARM_SMMU_EVENTQ_BASE, ARM_SMMU_EVENTQ_PROD,
				     ARM_SMMU_EVENTQ_CONS);
	if (!ret && smmu.f.pri)
		ret = queue_init(&smmu.priq, MIN(SMMU_PRIQ_BITS, smmu.f.priq_bits), PRIQ_WORDS,
				 ARM_SMMU_PRIQ_BASE, ARM_SMMU_PRIQ_PROD, ARM_SMMU_PRIQ_CONS);
	if (ret)
		return ret;
	/* Tables and queues in cacheable inner-shareable memory if the SMMU snoops, else
	 * non-cacheable (their lines are cleaned to PoC). */
	wr32(ARM_SMMU_CR1, smmu.coherent ?
		     FIELD_PREP(CR1_QUEUE_IC, CR1_CACHE_WB) | FIELD_PREP(CR1_QUEUE_OC, CR1_CACHE_WB) |
		     FIELD_PREP(CR1_QUEUE_SH, SMMU_SH_ISH) | FIELD_PREP(CR1_TABLE_IC, CR1_CACHE_WB) |
		     FIELD_PREP(CR1_TABLE_OC, CR1_CACHE_WB) | FIELD_PREP(CR1_TABLE_SH, SMMU_SH_ISH) :
		     FIELD_PREP(CR1_QUEUE_IC, CR1_CACHE_NC) | FIELD_PREP(CR1_QUEUE_OC, CR1_CACHE_NC) |
		     FIELD_PREP(CR1_QUEUE_SH, SMMU_SH_OSH) | FIELD_PREP(CR1_TABLE_IC, CR1_CACHE_NC) |
		     FIELD_PREP(CR1_TABLE_OC, CR1_CACHE_NC) | FIELD_PREP(CR1_TABLE_SH, SMMU_SH_OSH));
	/* Record out-of-range StreamIDs; do not let the CPUs' broadcast TLBIs (guests'
	 * included) reach the SMMU's TLBs: every invalidation is an explicit command. */
	wr32(ARM_SMMU_CR2, CR2_RECINVSID | CR2_PTM);

	if (cr0_write(cr0))
		return -E_TIMEOUT;
	ret = invalidate_all();
	if (ret)
		return ret;
	cr0 |= CR0_EVENTQEN | (smmu.priq.base ? CR0_PRIQEN : 0);
	if (cr0_write(cr0))
		return -E_TIMEOUT;
	irq_ctrl = irqs_setup(p);
	if (write_ack(ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, irq_ctrl, ~0U, "SMMU_IRQ_CTRLACK"))
		return -E_TIMEOUT;
	/* From here the stream table decides: every stream is terminated until configured. */
	return cr0_write(cr0 | CR0_SMMUEN);
}

int smmu_init(const struct plat_smmu *p)
{
	static const u64 idr_regs[] = { ARM_SMMU_IDR0, ARM_SMMU_IDR1, ARM_SMMU_IDR2,
					ARM_SMMU_IDR3, ARM_SMMU_IDR4, ARM_SMMU_IDR5 };
	char line1[200], line2[200];
	u32 idr[6], cr0;
	int ret;

	if (!p->present)
		return -E_NODEV;
	if (p->size < 2 * ARM_SMMU_PAGE1) {
		log_err("SMMUv3 at %lx: register frame of %lx bytes has no page 1\n", p->base.v,
			p->size);
		return -E_NODEV;
	}
	ret = mmu_map_device(p->base, 2 * ARM_SMMU_PAGE1);
	if (ret) {
		log_err("SMMUv3 at %lx: cannot map its registers (%s)\n", p->base.v, err_name(ret));
		return ret;
	}
	smmu.base = p->base.v;
	/* First of all, make DMA abort while the SMMU is disabled; then whatever firmware
	 * left enabled can be turned off without letting DMA bypass it. */
	cr0 = rd32(ARM_SMMU_CR0);
	ret = gbpa_abort();
	if (ret) {
		log_err("SMMUv3 at %lx: cannot set GBPA.ABORT (%s): left as found (CR0 %x)\n",
			smmu.base, err_name(ret), cr0);
		return ret;
	}
	if (cr0 & CR0_SMMUEN)
		log_warn("SMMUv3: firmware left it enabled (CR0 %x): taken over, DMA aborted "
			 "meanwhile\n", cr0);
	for (unsigned i = 0; i < ARRAY_SIZE(idr); i++)
		idr[i] = rd32(idr_regs[i]);
	smmu_features_decode(idr, rd32(ARM_SMMU_AIDR), &smmu.f);
	smmu_features_describe(&smmu.f, line1, sizeof(line1), line2, sizeof(line2));
	log_info("%s\n", line1);
	log_info("%s\n", line2);
	ret = check_features();
	if (ret)
		return ret;
	smmu.coherent = smmu.f.coherent && p->dma_coherent;
	if (smmu.f.coherent != p->dma_coherent)
		log_warn("SMMUv3: IDR0.COHACC %u but the device tree %s dma-coherent: treated as "
			 "non-coherent\n", smmu.f.coherent, p->dma_coherent ? "says" : "lacks");
	ret = reset(p);
	if (ret) {
		log_err("SMMUv3 at %lx: reset failed (%s): disabled, DMA through it aborts\n",
			smmu.base, err_name(ret));
		cr0_write(0);
		return ret;
	}
	smmu.enabled = true;
	log_info("SMMUv3 at %lx enabled: %s stream table for %u-bit StreamIDs, every stream "
		 "aborting; queues of %u commands, %u events%s\n", smmu.base,
		 smmu.two_level ? "2-level" : "linear", smmu.sid_bits, 1U << smmu.cmdq.bits,
		 1U << smmu.evtq.bits, smmu.priq.base ? ", PRI" : "");
	return 0;
}

bool smmu_present(void) { return smmu.enabled; }
bool smmu_has_s1(void) { return smmu.enabled && smmu.f.s1; }
bool smmu_has_s2(void) { return smmu.enabled && smmu.f.s2; }
bool smmu_walk_coherent(void) { return smmu.coherent; }

void smmu_get_stats(struct smmu_stats *out)
{
	u64 flags = lock_irqsave(&smmu.lock);

	*out = smmu.st;
	unlock_irqrestore(&smmu.lock, flags);
}

void smmu_print_summary(void)
{
	struct smmu_stats s;
	u64 cmds = 0;

	if (!smmu.enabled) {
		if (smmu.base)
			log_info("            not in use: DMA through it aborts\n");
		return;
	}
	smmu_get_stats(&s);
	for (unsigned i = 0; i < CMD_OP_LIMIT; i++)
		cmds += s.cmds[i];
	log_info("            %s%s, %s stream table (%u-bit StreamIDs), %s walks; %lu commands, "
		 "%lu syncs (max %lu ns), %lu events\n", smmu.f.s1 ? "stage 1" : "",
		 smmu.f.s1 && smmu.f.s2 ? "+2" : smmu.f.s2 ? "stage 2" : "",
		 smmu.two_level ? "2-level" : "linear", smmu.sid_bits,
		 smmu.coherent ? "coherent" : "non-coherent", cmds, s.syncs, s.sync_ns_max,
		 s.events);
}
