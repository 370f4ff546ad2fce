/*
 * SMMUv3 stream table (Arm IHI 0070 5.1, 5.2) and the stream states API of smmuv3.h:
 * level-2 tables and CDs made on first use, and every STE change carried out as the plan
 * of smmu_ste_update_plan() (smmuv3_ste.c), each step invalidated and synced through the
 * command queue. All of it runs with smmu.lock held (smmuv3_internal.h).
 */
#include "iommu/smmuv3/smmuv3_internal.h"

#include "arch/arch.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "iommu/pgtable/pgtable_desc.h"
#include "iommu/smmuv3/smmuv3_ste.h"

/* ---- Stream table (5.1, 5.2) ---- */

static struct ste_group *group_of(u32 sid)
{
	struct ste_group *g = &smmu.groups[sid >> smmu.group_bits];
	struct smmu_ste *l2;

	if (g->ste)
		return g;
	/* 2-level: a new level-2 table, all invalid, published before the one 64-bit store of
	 * the L1 descriptor that makes the SMMU look at it. */
	l2 = smmu_alloc_zeroed(sizeof(*l2) << SMMU_SPLIT);
	if (!l2)
		return NULL;
	*(volatile u64 *)&smmu.l1[sid >> SMMU_SPLIT] = smmu_l1std(va_to_pa(l2), SMMU_SPLIT);
	smmu_publish(&smmu.l1[sid >> SMMU_SPLIT], sizeof(u64));
	g->ste = l2;
	g->fresh = true;
	return g;
}

static struct smmu_ste *ste_of(const struct ste_group *g, u32 sid)
{
	return &g->ste[sid & ((1U << smmu.group_bits) - 1)];
}

static struct smmu_cd *cd_of(const struct ste_group *g, u32 sid)
{
	return &g->cd[sid & ((1U << smmu.group_bits) - 1)];
}

/* What must be ready before a translating STE's word 0 is written: its CD, and no TLB
 * entries its VMID or ASID may still hold from an earlier table (a VM restarted with the
 * same VMID). Both go in the plan's prep step. A CD the caller keeps (nested: in the VM's
 * window) is only invalidated, at every synced step, since the CD cache is indexed by
 * StreamID and not by address (4.3.2). */
struct ste_prep {
	struct smmu_cd *cd_slot;
	const struct smmu_cd *cd;
	bool cfgi_cd;
	bool has_tlbi;
	struct smmu_cmd tlbi;
};

static void ste_store(struct smmu_ste *ste, const struct smmu_ste *img)
{
	/* Each word in one 64-bit store (single-copy atomic); word 0 last. */
	for (unsigned w = STE_WORDS; w-- > 0;)
		if (ste->data[w] != img->data[w])
			*(volatile u64 *)&ste->data[w] = img->data[w];
	smmu_publish(ste, sizeof(*ste));
}

/* Carry out smmu_ste_update_plan(): each synced step ends with CFGI_STE + CMD_SYNC. If a
 * sync fails, the STE is set to abort (one store) and invalidated once more. */
static int ste_apply(struct ste_group *g, u32 sid, const struct smmu_ste *tgt,
		     const struct ste_prep *prep)
{
	struct smmu_ste_step steps[SMMU_STE_MAX_STEPS];
	struct smmu_ste *ste = ste_of(g, sid);
	struct smmu_cmd cmds[4];
	unsigned n = smmu_ste_update_plan(ste, tgt, steps);
	int ret = 0;

	for (unsigned i = 0; i < n && !ret; i++) {
		unsigned nc = 0;

		if (steps[i].prep && prep) {
			if (prep->cd) {
				memcpy(prep->cd_slot, prep->cd, sizeof(*prep->cd));
				smmu_publish(prep->cd_slot, sizeof(*prep->cd_slot));
				smmu_cmd_cfgi_cd(&cmds[nc++], sid, 0, true);
			}
			if (prep->has_tlbi)
				cmds[nc++] = prep->tlbi;
		}
		ste_store(ste, &steps[i].ste);
		if (!steps[i].sync)
			continue;
		smmu_cmd_cfgi_ste(&cmds[nc++], sid, !g->fresh);
		if (prep && prep->cfgi_cd)
			smmu_cmd_cfgi_cd(&cmds[nc++], sid, 0, true);
		ret = smmu_cmdq_issue(cmds, nc, true);
		if (!ret)
			g->fresh = false;
	}
	if (n)
		smmu.st.ste_writes++;
	if (ret) {
		struct smmu_ste abort;

		smmu_ste_abort(&abort);
		*(volatile u64 *)&ste->data[0] = abort.data[0];
		smmu_publish(ste, sizeof(u64));
		smmu_cmd_cfgi_ste(&cmds[0], sid, false);
		smmu_cmdq_issue(cmds, 1, true);
	}
	return ret;
}

static struct paused_stream *paused_of(u32 sid)
{
	for (unsigned i = 0; i < smmu.n_paused; i++)
		if (smmu.paused[i].sid == sid)
			return &smmu.paused[i];
	return NULL;
}

/* A change to a paused stream: what must precede its STE (the CD, the TLB invalidation)
 * is done now, while the stream aborts; the STE waits for smmu_resume_stream(). */
static int ste_defer(struct paused_stream *p, u32 sid, const struct smmu_ste *tgt,
		     const struct ste_prep *prep)
{
	struct smmu_cmd cmds[2];
	unsigned nc = 0;

	if (prep && prep->cd) {
		memcpy(prep->cd_slot, prep->cd, sizeof(*prep->cd));
		smmu_publish(prep->cd_slot, sizeof(*prep->cd_slot));
		smmu_cmd_cfgi_cd(&cmds[nc++], sid, 0, true);
	}
	if (prep && prep->has_tlbi)
		cmds[nc++] = prep->tlbi;
	p->ste = *tgt;
	return nc ? smmu_cmdq_issue(cmds, nc, true) : 0;
}

/* Every STE change but pausing and resuming: into the hardware, or for a paused stream
 * into what it will resume with. */
static int ste_run(struct ste_group *g, u32 sid, const struct smmu_ste *tgt,
		   const struct ste_prep *prep)
{
	struct paused_stream *p = smmu.n_paused ? paused_of(sid) : NULL;

	return p ? ste_defer(p, sid, tgt, prep) : ste_apply(g, sid, tgt, prep);
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

/* Carry out ste_run() for sid under the lock, its level-2 table made if needed. */
static int ste_set(u32 sid, const struct smmu_ste *tgt, const struct ste_prep *prep)
{
	u64 flags = smmu_lock_irqsave(&smmu.lock);
	struct ste_group *g = group_of(sid);
	int ret = g ? ste_run(g, sid, tgt, prep) : -E_NOMEM;

	smmu_unlock_irqrestore(&smmu.lock, flags);
	return ret;
}

/* The stage-2 half of an STE for the table s2 walked with vmid. */
static struct smmu_s2_cfg s2_cfg(u16 vmid, const struct pgtable *s2)
{
	return (struct smmu_s2_cfg){ .vmid = vmid, .ias = s2->ias,
				     .start_level = s2->start_level,
				     .ps_enc = MIN(smmu.f.oas_enc, SMMU_PS_48), .root = s2->root,
				     .walk = { smmu.coherent } };
}

/* The context descriptor of the stage-1 table s1 with asid; TTB0 is the root as its walker
 * reads it (root + walker_offset). */
static void cd_for(struct smmu_cd *cd, u16 asid, const struct pgtable *s1)
{
	struct smmu_cd_cfg cdc = { .asid = asid, .ias = s1->ias,
				   .ips_enc = MIN(smmu.f.oas_enc, SMMU_PS_48),
				   .ttb0 = pa(s1->root.v + s1->walker_offset), .mair = PGT_S1_MAIR,
				   .walk = { smmu.coherent } };

	smmu_cd_build(cd, &cdc);
}

/* A stream that terminates everything: silently (abort), or recording C_BAD_STE for each
 * transaction (an invalid STE, SMMUv3 5.2: V = 0). */
static int set_terminating(u32 sid, bool recorded)
{
	const char *what = recorded ? "unconfigured" : "abort";
	struct smmu_ste tgt;
	int ret;

	if (!sid_ok(sid, what))
		return smmu.enabled ? -E_RANGE : -E_NODEV;
	if (recorded)
		smmu_ste_invalid(&tgt);
	else
		smmu_ste_abort(&tgt);
	ret = ste_set(sid, &tgt, NULL);
	if (ret)
		log_err("SMMUv3: StreamID %x: setting %s failed (%s)\n", sid, what, err_name(ret));
	return ret;
}

int smmu_set_abort(u32 sid)
{
	return set_terminating(sid, false);
}

int smmu_set_unconfigured(u32 sid)
{
	return set_terminating(sid, true);
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
	struct smmu_s2_cfg cfg = s2_cfg(vmid, s2);
	struct ste_prep prep = { .has_tlbi = true };
	struct smmu_ste tgt;
	int ret = table_check(sid, s2, PGT_FMT_S2, smmu.f.s2, "stage 2");

	if (ret)
		return ret;
	if (!vmid || (!smmu.f.vmid16 && vmid > 0xff)) {
		log_warn("SMMUv3: stage 2 for StreamID %x: VMID %u not usable\n", sid, vmid);
		return -E_RANGE;
	}
	smmu_ste_s2(&tgt, &cfg);
	smmu_cmd_tlbi_s12_vmall(&prep.tlbi, vmid);
	ret = ste_set(sid, &tgt, &prep);
	if (ret)
		log_err("SMMUv3: StreamID %x: stage 2 (VMID %u) failed (%s)\n", sid, vmid,
			err_name(ret));
	return ret;
}

int smmu_set_s1(u32 sid, u16 asid, const struct pgtable *s1)
{
	struct smmu_ste tgt, abort;
	struct smmu_cd cd;
	struct ste_prep prep = { .cd = &cd, .has_tlbi = true };
	u64 flags;
	struct ste_group *g;
	int ret = table_check(sid, s1, PGT_FMT_SMMU_S1, smmu.f.s1, "stage 1");

	if (ret)
		return ret;
	if (!smmu.f.asid16 && asid > 0xff) {
		log_warn("SMMUv3: stage 1 for StreamID %x: ASID %u not usable\n", sid, asid);
		return -E_RANGE;
	}
	cd_for(&cd, asid, s1);
	smmu_cmd_tlbi_nh_asid(&prep.tlbi, 0, asid);
	smmu_ste_abort(&abort);
	ret = -E_NOMEM;
	flags = smmu_lock_irqsave(&smmu.lock);
	g = group_of(sid);
	if (g && !g->cd)
		g->cd = smmu_alloc_zeroed(sizeof(*g->cd) << smmu.group_bits);
	if (g && g->cd) {
		struct smmu_s1_cfg cfg = { .cd = va_to_pa(cd_of(g, sid)), .walk = { smmu.coherent } };

		prep.cd_slot = cd_of(g, sid);
		smmu_ste_s1(&tgt, &cfg);
		ret = 0;
		/* A CD in use is not rewritten in place (3.21.3): stop the stream first. */
		if (smmu_ste_kind(ste_of(g, sid)) == SMMU_STE_TRANSLATE &&
		    memcmp(prep.cd_slot, &cd, sizeof(cd)))
			ret = ste_run(g, sid, &abort, NULL);
		if (!ret)
			ret = ste_run(g, sid, &tgt, &prep);
	}
	smmu_unlock_irqrestore(&smmu.lock, flags);
	if (ret)
		log_err("SMMUv3: StreamID %x: stage 1 (ASID %u) failed (%s)\n", sid, asid,
			err_name(ret));
	return ret;
}

void smmu_write_cd(struct smmu_cd *slot, u16 asid, const struct pgtable *s1)
{
	struct smmu_cd cd;

	cd_for(&cd, asid, s1);
	/* Word 0 (V) last: a CD is only written while no STE points at it, but keep it whole. */
	for (unsigned w = CD_WORDS; w-- > 0;)
		*(volatile u64 *)&slot->data[w] = cd.data[w];
	smmu_publish(slot, sizeof(*slot));
}

int smmu_set_nested(u32 sid, u16 vmid, const struct pgtable *s2, ipa_t cd_ipa)
{
	struct smmu_s2_cfg cfg = s2_cfg(vmid, s2);
	struct smmu_s1_cfg s1 = { .cd = pa(cd_ipa.v), .walk = { smmu.coherent } };
	/* The stage-1 entries of a context this stream used before are the domain's to
	 * invalidate when it goes (iommu/viommu/viommu_dev.c); only the CD cache needs it here. */
	struct ste_prep prep = { .cfgi_cd = true };
	struct smmu_ste tgt;
	int ret = table_check(sid, s2, PGT_FMT_S2, smmu.f.s1 && smmu.f.s2, "nested");

	if (ret)
		return ret;
	if (!vmid || (!smmu.f.vmid16 && vmid > 0xff) ||
	    !IS_ALIGNED(cd_ipa.v, sizeof(struct smmu_cd))) {
		log_warn("SMMUv3: nested for StreamID %x: VMID %u or CD at %lx not usable\n", sid,
			 vmid, cd_ipa.v);
		return -E_RANGE;
	}
	smmu_ste_nested(&tgt, &s1, &cfg);
	ret = ste_set(sid, &tgt, &prep);
	if (ret)
		log_err("SMMUv3: StreamID %x: nested (VMID %u) failed (%s)\n", sid, vmid,
			err_name(ret));
	return ret;
}

int smmu_pause_stream(u32 sid)
{
	struct smmu_ste abort;
	struct ste_group *g;
	u64 flags;
	int ret = 0;

	if (!sid_ok(sid, "pause"))
		return smmu.enabled ? -E_RANGE : -E_NODEV;
	smmu_ste_abort(&abort);
	flags = smmu_lock_irqsave(&smmu.lock);
	g = group_of(sid);
	if (!g || smmu.n_paused == SMMU_MAX_PAUSED)
		ret = -E_NOMEM;
	else if (!paused_of(sid)) {
		struct paused_stream *p = &smmu.paused[smmu.n_paused++];

		p->sid = sid;
		p->ste = *ste_of(g, sid);
		/* If this fails the stream aborts all the same (ste_apply's rule): it is paused. */
		ret = ste_apply(g, sid, &abort, NULL);
	}
	smmu_unlock_irqrestore(&smmu.lock, flags);
	return ret;
}

int smmu_resume_stream(u32 sid)
{
	/* The CD cache is indexed by StreamID (4.3.2): whatever it held for the stream before
	 * the pause may be stale now. */
	const struct ste_prep prep = { .cfgi_cd = true };
	struct paused_stream *p;
	u64 flags;
	int ret = 0;

	if (!sid_ok(sid, "resume"))
		return smmu.enabled ? -E_RANGE : -E_NODEV;
	flags = smmu_lock_irqsave(&smmu.lock);
	p = paused_of(sid);
	if (p) {
		struct smmu_ste ste = p->ste;

		*p = smmu.paused[--smmu.n_paused];
		ret = ste_apply(group_of(sid), sid, &ste, &prep);
	}
	smmu_unlock_irqrestore(&smmu.lock, flags);
	if (ret)
		log_err("SMMUv3: StreamID %x: resuming failed (%s): it aborts\n", sid, err_name(ret));
	return ret;
}

int smmu_stream_table_init(void)
{
	unsigned log2size = MIN(smmu.f.sid_bits, SMMU_MAX_SID_BITS);
	void *table;
	u64 cfg;

	smmu.sid_bits = log2size;
	smmu.two_level = smmu.f.two_level && log2size > SMMU_SPLIT;
	smmu.group_bits = MIN(log2size, SMMU_SPLIT);
	if (smmu.two_level) {
		smmu.l1 = smmu_alloc_zeroed(sizeof(u64) << (log2size - SMMU_SPLIT));
		table = smmu.l1;
		cfg = FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_2LVL) |
		      FIELD_PREP(STRTAB_BASE_CFG_SPLIT, SMMU_SPLIT);
	} else {
		struct smmu_ste *stes = smmu_alloc_zeroed(sizeof(*stes) << log2size);

		for (unsigned g = 0; stes && g < (1U << (log2size - smmu.group_bits)); g++)
			smmu.groups[g].ste = stes + ((u64)g << smmu.group_bits);
		table = stes;
		cfg = FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_LINEAR);
	}
	if (!table)
		return -E_NOMEM;
	/* Every STE is invalid (zero) and, 2-level, every L1 descriptor too (Span 0). */
	smmu_wr64(ARM_SMMU_STRTAB_BASE, (va_to_pa(table).v & STRTAB_BASE_ADDR) |
					   (smmu.coherent ? STRTAB_BASE_RA : 0));
	smmu_wr32(ARM_SMMU_STRTAB_BASE_CFG, cfg | FIELD_PREP(STRTAB_BASE_CFG_LOG2SIZE, log2size));
	return 0;
}
