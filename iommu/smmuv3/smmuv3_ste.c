/*
 * Pure SMMUv3 encoders (see smmuv3_ste.h): ID registers (6.3), L1 stream table descriptors
 * (5.1), stream table entries (5.2), context descriptors (5.4), commands (chapter 4), and the
 * STE update order (3.21.3). No hardware access: host-tested.
 */
#include "iommu/smmuv3/smmuv3_ste.h"

#include "core/lib/fmt.h"
#include "core/lib/string.h"

/* ---- ID registers ---- */

unsigned smmu_oas_bits(unsigned enc)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return enc < ARRAY_SIZE(bits) ? bits[enc] : 0;
}

void smmu_features_decode(const u32 idr[6], u32 aidr, struct smmu_features *f)
{
	u32 ttf = FIELD_GET(IDR0_TTF, idr[0]), endian = FIELD_GET(IDR0_TTENDIAN, idr[0]);

	*f = (struct smmu_features){
		.s1 = idr[0] & IDR0_S1P,
		.s2 = idr[0] & IDR0_S2P,
		.aarch64_tables = ttf == IDR0_TTF_AARCH64 || ttf == IDR0_TTF_BOTH,
		.le_tables = endian == IDR0_TTENDIAN_MIXED || endian == IDR0_TTENDIAN_LE,
		.coherent = idr[0] & IDR0_COHACC,
		.two_level = FIELD_GET(IDR0_ST_LEVEL, idr[0]) == IDR0_ST_LEVEL_2LVL,
		.asid16 = idr[0] & IDR0_ASID16,
		.vmid16 = idr[0] & IDR0_VMID16,
		.hyp = idr[0] & IDR0_HYP,
		.btm = idr[0] & IDR0_BTM,
		.ats = idr[0] & IDR0_ATS,
		.pri = idr[0] & IDR0_PRI,
		.msi = idr[0] & IDR0_MSI,
		.sev = idr[0] & IDR0_SEV,
		.stall_model = FIELD_GET(IDR0_STALL_MODEL, idr[0]),
		.sid_bits = FIELD_GET(IDR1_SIDSIZE, idr[1]),
		.ssid_bits = FIELD_GET(IDR1_SSIDSIZE, idr[1]),
		.cmdq_bits = FIELD_GET(IDR1_CMDQS, idr[1]),
		.eventq_bits = FIELD_GET(IDR1_EVENTQS, idr[1]),
		.priq_bits = FIELD_GET(IDR1_PRIQS, idr[1]),
		.queues_preset = idr[1] & IDR1_QUEUES_PRESET,
		.tables_preset = idr[1] & IDR1_TABLES_PRESET,
		.ril = idr[3] & IDR3_RIL,
		.gran4k = idr[5] & IDR5_GRAN4K,
		.gran16k = idr[5] & IDR5_GRAN16K,
		.gran64k = idr[5] & IDR5_GRAN64K,
		.oas_enc = FIELD_GET(IDR5_OAS, idr[5]),
		.oas_bits = smmu_oas_bits(FIELD_GET(IDR5_OAS, idr[5])),
		.minor = FIELD_GET(AIDR_MINOR, aidr),
	};
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

void smmu_features_describe(const struct smmu_features *f, char *line1, size_t len1,
			    char *line2, size_t len2)
{
	static const char *const stall[] = { "stall+terminate", "terminate", "stall forced", "?" };
	const char *stages = f->s1 && f->s2 ? "stage 1+2" : f->s1 ? "stage 1 only"
			   : f->s2 ? "stage 2 only" : "no translation";

	fmt_snprintf(line1, len1,
		     "SMMUv3.%u: %s, %s%s tables, %scoherent, %u-bit StreamIDs (%s stream table), "
		     "%u-bit ASIDs, %u-bit VMIDs, granules%s%s%s, OAS %u bits",
		     f->minor, stages, f->aarch64_tables ? "AArch64" : "AArch32-only",
		     f->le_tables ? " LE" : " BE", f->coherent ? "" : "non-", f->sid_bits,
		     f->two_level ? "2-level" : "linear", f->asid16 ? 16 : 8, f->vmid16 ? 16 : 8,
		     f->gran4k ? " 4K" : "", f->gran16k ? " 16K" : "", f->gran64k ? " 64K" : "",
		     f->oas_bits);
	fmt_snprintf(line2, len2,
		     "SMMUv3 queues up to 2^%u commands, 2^%u events, %s; range TLBI %s, SSIDs %u "
		     "bits, ATS %s, MSI %s, SEV %s, HYP %s, BTM %s, fault model %s",
		     f->cmdq_bits, f->eventq_bits, f->pri ? "PRI" : "no PRI", yes_no(f->ril),
		     f->ssid_bits, yes_no(f->ats), yes_no(f->msi), yes_no(f->sev), yes_no(f->hyp),
		     yes_no(f->btm), stall[f->stall_model & 3]);
}

/* ---- Stream table ---- */

u64 smmu_l1std(pa_t l2, unsigned split)
{
	/* 5.1: Span = log2(STEs in the L2 table) + 1; 0 would mark the descriptor invalid. */
	return FIELD_PREP(L1STD_SPAN, split + 1) | (l2.v & L1STD_L2PTR);
}

static u64 rgn(const struct smmu_walk_attrs *w) { return w->coherent ? SMMU_RGN_WBWA : SMMU_RGN_NC; }
static u64 sh(const struct smmu_walk_attrs *w) { return w->coherent ? SMMU_SH_ISH : SMMU_SH_OSH; }

void smmu_ste_invalid(struct smmu_ste *ste)
{
	memset(ste, 0, sizeof(*ste));
}

void smmu_ste_abort(struct smmu_ste *ste)
{
	smmu_ste_invalid(ste);
	ste->data[0] = STE_0_V | FIELD_PREP(STE_0_CONFIG, STE_CONFIG_ABORT);
}

void smmu_ste_s2(struct smmu_ste *ste, const struct smmu_s2_cfg *c)
{
	smmu_ste_invalid(ste);
	ste->data[0] = STE_0_V | FIELD_PREP(STE_0_CONFIG, STE_CONFIG_S2);
	/* Stage 1 bypassed: the device's own shareability passes through (SHCFG = incoming;
	 * the other overrides' 0 also means "incoming"). EATS = 0: no ATS. */
	ste->data[1] = FIELD_PREP(STE_1_SHCFG, STE_SHCFG_INCOMING) |
		       FIELD_PREP(STE_1_STRW, STE_STRW_NSEL1);
	/* The VTCR_EL2 fields of the CPU's stage 2 over the same table (Arm ARM D19.2.163):
	 * SL0 = 2 - start level for a 4 KiB granule. S2R: record faults; S2S = 0: terminate. */
	ste->data[2] = FIELD_PREP(STE_2_S2VMID, c->vmid) | FIELD_PREP(STE_2_S2T0SZ, 64 - c->ias) |
		       FIELD_PREP(STE_2_S2SL0, 2 - c->start_level) |
		       FIELD_PREP(STE_2_S2IR0, rgn(&c->walk)) |
		       FIELD_PREP(STE_2_S2OR0, rgn(&c->walk)) |
		       FIELD_PREP(STE_2_S2SH0, sh(&c->walk)) | FIELD_PREP(STE_2_S2TG, STE_S2TG_4K) |
		       FIELD_PREP(STE_2_S2PS, c->ps_enc) | STE_2_S2AA64 | STE_2_S2R;
	ste->data[3] = c->root.v & STE_3_S2TTB;
}

void smmu_ste_s1(struct smmu_ste *ste, const struct smmu_s1_cfg *c)
{
	smmu_ste_invalid(ste);
	/* One CD, no substreams: S1Fmt = linear, S1CDMax = 0. */
	ste->data[0] = STE_0_V | FIELD_PREP(STE_0_CONFIG, STE_CONFIG_S1) |
		       (c->cd.v & STE_0_S1CTXPTR);
	ste->data[1] = FIELD_PREP(STE_1_S1CIR, rgn(&c->walk)) |
		       FIELD_PREP(STE_1_S1COR, rgn(&c->walk)) |
		       FIELD_PREP(STE_1_S1CSH, sh(&c->walk)) |
		       FIELD_PREP(STE_1_STRW, STE_STRW_NSEL1);
	/* Word 2's S2VMID = 0 tags the stage-1 TLB entries (VMID 0 is reserved for this). */
}

void smmu_ste_nested(struct smmu_ste *ste, const struct smmu_s1_cfg *s1,
		     const struct smmu_s2_cfg *c)
{
	struct smmu_ste s1img;

	smmu_ste_s2(ste, c);
	smmu_ste_s1(&s1img, s1);
	ste->data[0] = STE_0_V | FIELD_PREP(STE_0_CONFIG, STE_CONFIG_NESTED) |
		       (s1img.data[0] & STE_0_S1CTXPTR);
	ste->data[1] = s1img.data[1];
}

enum smmu_ste_kind smmu_ste_kind(const struct smmu_ste *ste)
{
	if (!(ste->data[0] & STE_0_V))
		return SMMU_STE_INVALID;
	switch (FIELD_GET(STE_0_CONFIG, ste->data[0])) {
	case STE_CONFIG_ABORT:
		return SMMU_STE_ABORT;
	case STE_CONFIG_BYPASS:
		return SMMU_STE_BYPASS;
	case STE_CONFIG_S1:
	case STE_CONFIG_S2:
	case STE_CONFIG_NESTED:
		return SMMU_STE_TRANSLATE;
	default:
		return SMMU_STE_INVALID; /* reserved Config values are ILLEGAL: C_BAD_STE */
	}
}

void smmu_ste_used(const struct smmu_ste *ste, u64 used[STE_WORDS])
{
	enum smmu_ste_kind k = smmu_ste_kind(ste);

	/* Invalid and abort STEs are decided by V and Config alone. A bypassing or translating
	 * one is taken to use every bit (the exact set depends on Config and on features; the
	 * update plan does not need it finer). */
	for (unsigned i = 0; i < STE_WORDS; i++)
		used[i] = (k == SMMU_STE_INVALID || k == SMMU_STE_ABORT) ?
				  (i == 0 ? STE_0_V | STE_0_CONFIG : 0) : ~0ULL;
}

/* Whether words [from, STE_WORDS) of a and b are equal. */
static bool words_equal(const struct smmu_ste *a, const struct smmu_ste *b, unsigned from)
{
	for (unsigned i = from; i < STE_WORDS; i++)
		if (a->data[i] != b->data[i])
			return false;
	return true;
}

static unsigned add_step(struct smmu_ste_step *steps, unsigned n, const struct smmu_ste *img,
			 bool sync, bool prep)
{
	steps[n].ste = *img;
	steps[n].sync = sync;
	steps[n].prep = prep;
	return n + 1;
}

/*
 * 3.21.3: the SMMU reads an STE 64 bits at a time in any order and may cache it until
 * CMD_CFGI_STE + CMD_SYNC. So:
 *   live (translating) -> anything else: word 0 first (abort or invalid in one store);
 *   -> translating: first the words the current (non-translating) STE ignores, sync, then
 *      word 0 (V and Config) in one store, sync;
 *   words left over that the new STE ignores are cleared without a sync (nothing reads
 *   them, and the next update writes them before relying on them).
 */
unsigned smmu_ste_update_plan(const struct smmu_ste *cur, const struct smmu_ste *tgt,
			      struct smmu_ste_step steps[SMMU_STE_MAX_STEPS])
{
	bool to_translate = smmu_ste_kind(tgt) == SMMU_STE_TRANSLATE;
	enum smmu_ste_kind from = smmu_ste_kind(cur);
	struct smmu_ste img = *cur;
	unsigned n = 0;

	if (words_equal(cur, tgt, 0))
		return 0;
	/* Only word 0 differs between two translating STEs of one Config (a stream moved to
	 * another CD over the same stage 2): one single-copy atomic store, and the SMMU uses
	 * either the old STE or the new one whole. */
	if (from == SMMU_STE_TRANSLATE && to_translate && words_equal(cur, tgt, 1) &&
	    FIELD_GET(STE_0_CONFIG, cur->data[0]) == FIELD_GET(STE_0_CONFIG, tgt->data[0]))
		return add_step(steps, 0, tgt, true, false);
	if (from == SMMU_STE_TRANSLATE || from == SMMU_STE_BYPASS) {
		/* Stop the live configuration with one store to word 0. */
		img.data[0] = to_translate ? (STE_0_V | FIELD_PREP(STE_0_CONFIG, STE_CONFIG_ABORT))
					   : tgt->data[0];
		n = add_step(steps, n, &img, true, false);
	}
	if (to_translate) {
		memcpy(&img.data[1], &tgt->data[1], (STE_WORDS - 1) * sizeof(u64));
		n = add_step(steps, n, &img, true, true);
		img.data[0] = tgt->data[0];
		return add_step(steps, n, &img, true, false);
	}
	if (img.data[0] != tgt->data[0]) {
		img.data[0] = tgt->data[0];
		n = add_step(steps, n, &img, true, false);
	}
	if (!words_equal(&img, tgt, 1)) {
		/* Only bits the (now invalid or abort) STE uses would need a sync: none. */
		u64 used[STE_WORDS];
		bool sync = false;

		smmu_ste_used(&img, used);
		for (unsigned w = 1; w < STE_WORDS; w++)
			sync = sync || ((img.data[w] ^ tgt->data[w]) & used[w]);
		n = add_step(steps, n, tgt, sync, false);
	}
	return n;
}

/* ---- Context descriptor ---- */

void smmu_cd_build(struct smmu_cd *cd, const struct smmu_cd_cfg *c)
{
	memset(cd, 0, sizeof(*cd));
	/* TTB0 only (EPD1), little-endian AArch64 tables, 4 KiB granule. R: record faults;
	 * A: abort faulting transactions; S = 0: terminate, never stall. ASET: the ASID is
	 * not one of the CPUs'. */
	cd->data[0] = FIELD_PREP(CD_0_T0SZ, 64 - c->ias) | FIELD_PREP(CD_0_TG0, CD_TG0_4K) |
		      FIELD_PREP(CD_0_IR0, rgn(&c->walk)) | FIELD_PREP(CD_0_OR0, rgn(&c->walk)) |
		      FIELD_PREP(CD_0_SH0, sh(&c->walk)) | CD_0_EPD1 | CD_0_V |
		      FIELD_PREP(CD_0_IPS, c->ips_enc) | CD_0_AA64 | CD_0_R | CD_0_A | CD_0_ASET |
		      FIELD_PREP(CD_0_ASID, c->asid);
	cd->data[1] = c->ttb0.v & CD_1_TTB0;
	cd->data[3] = FIELD_PREP(CD_3_MAIR, c->mair);
}

/* ---- Commands ---- */

static void cmd_set(struct smmu_cmd *cmd, u64 w0, u64 w1)
{
	cmd->data[0] = w0;
	cmd->data[1] = w1;
}

void smmu_cmd_cfgi_ste(struct smmu_cmd *cmd, u32 sid, bool leaf)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_CFGI_STE) | FIELD_PREP(CMD_CFGI_0_SID, sid),
		leaf ? CMD_CFGI_1_LEAF : 0);
}

void smmu_cmd_cfgi_ste_range(struct smmu_cmd *cmd, u32 sid, unsigned range)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_CFGI_STE_RANGE) | FIELD_PREP(CMD_CFGI_0_SID, sid),
		FIELD_PREP(CMD_CFGI_1_RANGE, range));
}

void smmu_cmd_cfgi_all(struct smmu_cmd *cmd)
{
	smmu_cmd_cfgi_ste_range(cmd, 0, CMD_CFGI_RANGE_ALL);
}

void smmu_cmd_cfgi_cd(struct smmu_cmd *cmd, u32 sid, u32 ssid, bool leaf)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_CFGI_CD) | FIELD_PREP(CMD_CFGI_0_SSID, ssid) |
			     FIELD_PREP(CMD_CFGI_0_SID, sid),
		leaf ? CMD_CFGI_1_LEAF : 0);
}

void smmu_cmd_tlbi_nh_asid(struct smmu_cmd *cmd, u16 vmid, u16 asid)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_NH_ASID) | FIELD_PREP(CMD_TLBI_0_VMID, vmid) |
			     FIELD_PREP(CMD_TLBI_0_ASID, asid), 0);
}

void smmu_cmd_tlbi_s12_vmall(struct smmu_cmd *cmd, u16 vmid)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_S12_VMALL) | FIELD_PREP(CMD_TLBI_0_VMID, vmid), 0);
}

void smmu_cmd_tlbi_nsnh_all(struct smmu_cmd *cmd)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_NSNH_ALL), 0);
}

void smmu_cmd_tlbi_el2_all(struct smmu_cmd *cmd)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_EL2_ALL), 0);
}

void smmu_cmd_sync(struct smmu_cmd *cmd, unsigned cs)
{
	/* No MSI: MSIAddress 0, completion is seen by CMDQ_CONS passing the command. */
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_SYNC) | FIELD_PREP(CMD_SYNC_0_CS, cs), 0);
}

void smmu_cmd_pri_resp(struct smmu_cmd *cmd, u32 sid, bool ssv, u32 ssid, u16 grpid,
		       unsigned resp)
{
	cmd_set(cmd, FIELD_PREP(CMD_0_OP, CMD_OP_PRI_RESP) | (ssv ? CMD_PRI_0_SSV : 0) |
			     FIELD_PREP(CMD_PRI_0_SSID, ssid) | FIELD_PREP(CMD_PRI_0_SID, sid),
		FIELD_PREP(CMD_PRI_1_GRPID, grpid) | FIELD_PREP(CMD_PRI_1_RESP, resp));
}

static void tlbi_addr_cmd(struct smmu_cmd *cmd, const struct smmu_tlbi_req *r, u64 addr,
			  unsigned num, unsigned scale, bool range)
{
	u64 w0 = FIELD_PREP(CMD_TLBI_0_NUM, num) | FIELD_PREP(CMD_TLBI_0_SCALE, scale) |
		 FIELD_PREP(CMD_TLBI_0_VMID, r->vmid);
	/* TTL = 0: the level of the entries is not known. TG = 0 for a single address. */
	u64 w1 = (r->leaf ? CMD_TLBI_1_LEAF : 0) | FIELD_PREP(CMD_TLBI_1_TG, range ? CMD_TLBI_TG_4K : 0);

	if (r->stage2)
		cmd_set(cmd, w0 | FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_S2_IPA), w1 | (addr & CMD_TLBI_1_IPA));
	else
		cmd_set(cmd, w0 | FIELD_PREP(CMD_0_OP, CMD_OP_TLBI_NH_VA) |
				     FIELD_PREP(CMD_TLBI_0_ASID, r->asid),
			w1 | (addr & CMD_TLBI_1_VA));
}

/*
 * A range command (4.4, IDR3.RIL) covers (NUM + 1) << SCALE pages from its address. Take
 * the lowest set bit of the pages left as SCALE and the five bits from there as NUM + 1:
 * each command clears five bits of the count, so 2^36 pages (a 48-bit space) need at most
 * eight. SCALE stops at 31, where NUM + 1 may reach 32.
 */
unsigned smmu_cmd_tlbi_range(struct smmu_cmd *cmds, unsigned max, const struct smmu_tlbi_req *r)
{
	u64 pages = r->size >> PAGE_SHIFT, addr = r->addr;
	unsigned n = 0;

	while (pages) {
		unsigned scale = 0;
		u64 chunks = 1;

		if (n == max)
			return 0;
		if (r->range) {
			scale = MIN((unsigned)__builtin_ctzll(pages), CMD_TLBI_SCALE_MAX);
			chunks = pages >> scale;
			chunks = scale < CMD_TLBI_SCALE_MAX ? (chunks & CMD_TLBI_NUM_MAX)
							    : MIN(chunks, CMD_TLBI_NUM_MAX + 1);
		}
		tlbi_addr_cmd(&cmds[n++], r, addr, (unsigned)chunks - 1, scale, r->range);
		pages -= chunks << scale;
		addr += (chunks << scale) << PAGE_SHIFT;
	}
	return n;
}

/* ---- Names ---- */

const char *smmu_cmd_name(unsigned op)
{
	switch (op) {
	case CMD_OP_CFGI_STE: return "CFGI_STE";
	case CMD_OP_CFGI_STE_RANGE: return "CFGI_STE_RANGE";
	case CMD_OP_CFGI_CD: return "CFGI_CD";
	case CMD_OP_CFGI_CD_ALL: return "CFGI_CD_ALL";
	case CMD_OP_TLBI_NH_ALL: return "TLBI_NH_ALL";
	case CMD_OP_TLBI_NH_ASID: return "TLBI_NH_ASID";
	case CMD_OP_TLBI_NH_VA: return "TLBI_NH_VA";
	case CMD_OP_TLBI_EL2_ALL: return "TLBI_EL2_ALL";
	case CMD_OP_TLBI_S12_VMALL: return "TLBI_S12_VMALL";
	case CMD_OP_TLBI_S2_IPA: return "TLBI_S2_IPA";
	case CMD_OP_TLBI_NSNH_ALL: return "TLBI_NSNH_ALL";
	case CMD_OP_PRI_RESP: return "PRI_RESP";
	case CMD_OP_SYNC: return "CMD_SYNC";
	default: return "unknown";
	}
}

const char *smmu_cerror_name(unsigned err)
{
	static const char *const names[] = { "CERROR_NONE", "CERROR_ILL (illegal command)",
					     "CERROR_ABT (abort reading the command)",
					     "CERROR_ATC_INV_SYNC (ATC invalidation timed out)" };

	return err < ARRAY_SIZE(names) ? names[err] : "reserved";
}

const char *smmu_gerror_name(u32 bit)
{
	switch (bit) {
	case GERROR_CMDQ_ERR: return "CMDQ_ERR";
	case GERROR_EVENTQ_ABT_ERR: return "EVENTQ_ABT_ERR (event queue write aborted)";
	case GERROR_PRIQ_ABT_ERR: return "PRIQ_ABT_ERR (PRI queue write aborted)";
	case GERROR_MSI_CMDQ_ABT_ERR: return "MSI_CMDQ_ABT_ERR";
	case GERROR_MSI_EVENTQ_ABT_ERR: return "MSI_EVENTQ_ABT_ERR";
	case GERROR_MSI_PRIQ_ABT_ERR: return "MSI_PRIQ_ABT_ERR";
	case GERROR_MSI_GERROR_ABT_ERR: return "MSI_GERROR_ABT_ERR";
	case GERROR_SFM_ERR: return "SFM_ERR (service failure mode: the SMMU terminates all "
				    "traffic until reset)";
	case GERROR_CMDQP_ERR: return "CMDQP_ERR";
	default: return "reserved";
	}
}
