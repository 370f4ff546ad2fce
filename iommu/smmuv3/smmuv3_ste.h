/*
 * Pure encoders and decoders of the SMMUv3's in-memory formats (Arm IHI 0070): ID register
 * decoding, stream table entries, context descriptors, commands, event records, and the
 * order in which a live STE is rewritten. Functions from inputs to entries (struct smmu_ste,
 * smmu_cd, smmu_cmd; smmuv3_regs.h) and from event records to their meaning, with no
 * hardware access, so the host unit tests check them against values worked out from the
 * specification (tests/unit/test_smmuv3.c). The driver is iommu/smmuv3/smmuv3.c.
 */
#ifndef IOMMU_SMMUV3_STE_H
#define IOMMU_SMMUV3_STE_H

#include "core/lib/types.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_regs.h"

/* ---- What the ID registers say (6.3, SMMU_IDR0..5, SMMU_AIDR) ---- */
struct smmu_features {
	bool s1, s2;          /* stage 1 / stage 2 translation (IDR0.S1P, S2P) */
	bool aarch64_tables;  /* IDR0.TTF includes AArch64 */
	bool le_tables;       /* IDR0.TTENDIAN allows little-endian walks */
	bool coherent;        /* IDR0.COHACC: table walks and queues can be cache coherent */
	bool two_level;       /* IDR0.ST_LEVEL: 2-level stream table */
	bool asid16, vmid16;
	bool hyp, btm, ats, pri, msi, sev;
	unsigned stall_model; /* IDR0_STALL_MODEL_* */
	unsigned sid_bits, ssid_bits;
	unsigned cmdq_bits, eventq_bits, priq_bits; /* log2 of the largest queue */
	bool queues_preset, tables_preset;
	bool ril;             /* IDR3.RIL: range TLB invalidation */
	bool gran4k, gran16k, gran64k;
	unsigned oas_enc, oas_bits; /* IDR5.OAS and the size it encodes */
	unsigned minor;             /* SMMUv3.<minor> (AIDR) */
};

/* idr[0..5] = SMMU_IDR0..IDR5; aidr = SMMU_AIDR. */
void smmu_features_decode(const u32 idr[6], u32 aidr, struct smmu_features *f);
/* The boot report: two lines (no newline) describing f. */
void smmu_features_describe(const struct smmu_features *f, char *line1, size_t len1,
			    char *line2, size_t len2);
/* Output-size bits for an IDR5.OAS / STE.S2PS / CD.IPS encoding; 0 if reserved. */
unsigned smmu_oas_bits(unsigned enc);

/* ---- Level 1 stream table descriptor (5.1) ---- */
/* An L1 descriptor pointing at an L2 table of 2^split STEs (split <= 30). */
u64 smmu_l1std(pa_t l2, unsigned split);

/* ---- Stream table entries (5.2) ---- */

/* Memory attributes of the SMMU's own accesses to a table or descriptor. */
struct smmu_walk_attrs {
	bool coherent; /* cacheable, inner shareable; otherwise non-cacheable, outer shareable */
};

struct smmu_s2_cfg {
	u16 vmid;
	unsigned ias;         /* input (IPA) bits: S2T0SZ = 64 - ias */
	unsigned start_level; /* 0..3: S2SL0 = 2 - start_level (4 KiB granule) */
	unsigned ps_enc;      /* output size, IDR5.OAS encoding */
	pa_t root;            /* S2TTB: aligned to the (concatenated) root's size */
	struct smmu_walk_attrs walk;
};

struct smmu_s1_cfg {
	pa_t cd;              /* the one context descriptor (S1CDMax = 0) */
	struct smmu_walk_attrs walk; /* for fetching the CD */
};

/* Invalid (V = 0): every transaction is terminated and C_BAD_STE recorded. */
void smmu_ste_invalid(struct smmu_ste *ste);
/* Valid, Config = abort: every transaction is terminated, nothing recorded. */
void smmu_ste_abort(struct smmu_ste *ste);
/* Stage 2 only, AArch64 4 KiB tables, faults recorded (S2R) and terminated. */
void smmu_ste_s2(struct smmu_ste *ste, const struct smmu_s2_cfg *c);
/* Stage 1 only, through one context descriptor, NS-EL1 stream world, S2VMID 0. */
void smmu_ste_s1(struct smmu_ste *ste, const struct smmu_s1_cfg *c);

/* Nested: stage 1 through the one CD at s1->cd (an IPA, read through stage 2), then
 * stage 2 as smmu_ste_s2; both stages' TLB entries tagged with c->vmid. */
void smmu_ste_nested(struct smmu_ste *ste, const struct smmu_s1_cfg *s1,
		     const struct smmu_s2_cfg *c);

/* Whether the SMMU would translate, bypass, or terminate with this STE. */
enum smmu_ste_kind { SMMU_STE_INVALID, SMMU_STE_ABORT, SMMU_STE_BYPASS, SMMU_STE_TRANSLATE };
enum smmu_ste_kind smmu_ste_kind(const struct smmu_ste *ste);
/* The bits of each word the SMMU reads for this STE's V and Config (the rest are IGNORED,
 * 5.2): what an update may change freely while this STE is live. A mask, not an STE: plain
 * words, so it cannot be written where an STE goes. */
void smmu_ste_used(const struct smmu_ste *ste, u64 used[STE_WORDS]);

/*
 * How to turn a live STE into another one (3.21.3): a list of images, each to be written
 * over the previous one (only the words that differ), each followed by CMD_CFGI_STE +
 * CMD_SYNC when sync is set. The SMMU may read any mix of a step's old and new words
 * until that step's sync completes, so every step either changes only words the current
 * configuration ignores, or changes the single word 0 (single-copy atomic, 64 bits). A
 * translating STE is changed in place only when word 0 alone differs and Config stays;
 * otherwise it goes through abort. Never bypass.
 */
#define SMMU_STE_MAX_STEPS 3
struct smmu_ste_step {
	struct smmu_ste ste;
	bool sync;
	bool prep; /* writes a translating target's words 1..7 before word 0 enables them:
		    * where what the new STE points at (a CD) must become valid */
};
unsigned smmu_ste_update_plan(const struct smmu_ste *cur, const struct smmu_ste *tgt,
			      struct smmu_ste_step steps[SMMU_STE_MAX_STEPS]);

/* ---- Context descriptor (5.4) ---- */
struct smmu_cd_cfg {
	u16 asid;
	unsigned ias;     /* T0SZ = 64 - ias (VMSAv8-64, 4 KiB granule, TTB0 only) */
	unsigned ips_enc; /* IDR5.OAS encoding */
	pa_t ttb0;
	u64 mair;
	struct smmu_walk_attrs walk;
};
void smmu_cd_build(struct smmu_cd *cd, const struct smmu_cd_cfg *c);

/* ---- Commands (chapter 4) ---- */
void smmu_cmd_cfgi_ste(struct smmu_cmd *cmd, u32 sid, bool leaf);
/* StreamIDs sid & ~(2^(range+1) - 1) to that + 2^(range+1) - 1. */
void smmu_cmd_cfgi_ste_range(struct smmu_cmd *cmd, u32 sid, unsigned range);
void smmu_cmd_cfgi_all(struct smmu_cmd *cmd);
void smmu_cmd_cfgi_cd(struct smmu_cmd *cmd, u32 sid, u32 ssid, bool leaf);
void smmu_cmd_tlbi_nh_asid(struct smmu_cmd *cmd, u16 vmid, u16 asid);
void smmu_cmd_tlbi_s12_vmall(struct smmu_cmd *cmd, u16 vmid);
void smmu_cmd_tlbi_nsnh_all(struct smmu_cmd *cmd);
void smmu_cmd_tlbi_el2_all(struct smmu_cmd *cmd);
void smmu_cmd_sync(struct smmu_cmd *cmd, unsigned cs);
void smmu_cmd_pri_resp(struct smmu_cmd *cmd, u32 sid, bool ssv, u32 ssid, u16 grpid,
		       unsigned resp);

/*
 * TLB invalidation by address for [addr, addr + size), 4 KiB pages: TLBI_NH_VA (stage 1,
 * tagged vmid + asid) or TLBI_S2_IPA (stage 2, vmid). With range (IDR3.RIL) each command
 * covers (NUM + 1) * 2^SCALE pages; without, one page. Fills at most max commands and
 * returns how many were needed, or 0 if more than max would be (the caller then
 * invalidates the whole ASID or VMID instead).
 */
struct smmu_tlbi_req {
	bool stage2;
	u16 vmid, asid;
	u64 addr, size;
	bool leaf;
	bool range;
};
unsigned smmu_cmd_tlbi_range(struct smmu_cmd *cmds, unsigned max, const struct smmu_tlbi_req *r);

/* Names for the log: a command opcode, a CMDQ_CONS.ERR code, a GERROR bit. */
const char *smmu_cmd_name(unsigned op);
const char *smmu_cerror_name(unsigned err);
const char *smmu_gerror_name(u32 bit);

/* ---- Event records (7.3) ---- */
void smmu_event_decode(const struct smmu_evt *evt, struct smmu_event *ev);
/* One log line (no newline) for ev: name, StreamID, address, access. */
int smmu_event_format(const struct smmu_event *ev, char *buf, size_t len);

#endif
