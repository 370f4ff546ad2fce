/*
 * The virtio-iommu device's requests, pure (docs/viommu.md "Validation"): decoding, every
 * validation rule, and the device's state (domains, which endpoint is in which, the mappings
 * of each domain), with the hardware left out. A request is turned into a status, the bytes
 * the device writes back (tail, PROBE properties), the used length, and a short list of
 * operations (struct viommu_op) that carry it out on the SMMU; the caller (iommu/viommu/viommu_dev.c)
 * replays those. Nothing here touches hardware or allocates memory, so the host tests and
 * the fuzzer run it as it is.
 *
 * What the module knows of the VM and the machine comes in a struct viommu_ctx: the VM's
 * endpoints, its RAM and MMIO (guest-physical), the negotiated features, the config space
 * values and the per-VM limits.
 *
 * One request at a time, in ring order, under the device's lock:
 *
 *	used = viommu_prepare(st, ctx, in, in_len, out, out_cap, &t);  // st unchanged
 *	hw = replay t.op[0 .. t.n_op)                                   // VIRTIO_IOMMU_S_OK,
 *	viommu_commit(st, ctx, &t, hw);                                 // _NOMEM or _DEVERR
 *
 * prepare validates against st and writes the status (and PROBE's properties) into out; it
 * changes nothing in st. If the request is rejected it has no ops and the status is final.
 * Otherwise its ops are replayed in order, and commit makes st follow them; if the replay
 * failed (a CREATE or MAP out of table memory: NOMEM; a broken SMMU: DEVERR) commit rewrites
 * the status instead and leaves st as it was, so a request's effects exist only if it
 * succeeds. Ops that can fail (CREATE, MAP) come before ops that change what a stream uses.
 *
 * Batching: ops queue TLB invalidations but need not wait for them. When t.sync is set the
 * request may only be marked used after a CMD_SYNC issued after its ops; a caller handling
 * all the requests of one notification issues one sync after the last and then publishes
 * every used entry (and frees the tables of DESTROYed domains only after that sync).
 */
#ifndef IOMMU_VIOMMU_REQ_H
#define IOMMU_VIOMMU_REQ_H

#include "core/lib/types.h"
#include "iommu/viommu/virtio_iommu_abi.h"

#define VIOMMU_MAX_ENDPOINTS 32 /* per device: a domain exists only with an endpoint in it */
#define VIOMMU_MAX_REGIONS 64   /* RAM regions, and MMIO regions, per VM */
#define VIOMMU_MAX_RESV 4       /* RESV_MEM regions per endpoint */
#define VIOMMU_MAP_MAX_PIECES 8 /* regions one MAP may span (else RANGE) */
#define VIOMMU_TXN_MAX_OPS VIOMMU_MAP_MAX_PIECES

/* ---- The VM and the device as the module sees them ---- */

/* Guest-physical memory the VM owns: [base, base + size). */
struct viommu_region {
	ipa_t base;
	u64 size;
};

/* An IOVA range reported by PROBE as RESV_MEM; no MAP may overlap it. */
struct viommu_resv {
	u8 subtype; /* VIRTIO_IOMMU_RESV_MEM_T_RESERVED or _MSI */
	iova_t start;
	iova_t end; /* inclusive */
};

struct viommu_endpoint {
	u32 id; /* endpoint ID = PCI requester ID */
	const struct viommu_resv *resv;
	unsigned n_resv;
};

struct viommu_limits {
	unsigned domains; /* domains existing at once */
	size_t mappings;  /* mappings over all domains (also bounded by the state's pool) */
};

struct viommu_ctx {
	u64 features; /* negotiated: BIT(VIRTIO_IOMMU_F_*) */
	/* Config space as offered (struct virtio_iommu_config). The ranges always apply: pass
	 * the widest values when INPUT_RANGE or DOMAIN_RANGE is not offered. */
	u64 page_size_mask;
	iova_t input_start, input_end; /* inclusive; the full 64-bit space is not allowed */
	u32 domain_start, domain_end;  /* inclusive */
	u32 probe_size;
	/* Where an endpoint in no domain goes: identity over the VM's RAM (the config field
	 * bypass is 1 and BYPASS_CONFIG is offered) or nowhere. */
	bool bypass;
	const struct viommu_endpoint *ep; /* the VM's endpoints, no others */
	unsigned n_ep;
	const struct viommu_region *ram;  /* what a MAP without the MMIO flag may target */
	unsigned n_ram;
	const struct viommu_region *mmio; /* what a MAP with the MMIO flag may target */
	unsigned n_mmio;
	struct viommu_limits limits;
};

/* Check what the rules rely on: a granule, sane ranges, endpoint IDs unique, RESV_MEM
 * regions Linux accepts (start <= end, not everything, subtype known, at most one MSI, no
 * overlap, all fitting in probe_size, probe_size a multiple of 8), regions granule-aligned,
 * non-empty and disjoint, no legacy BYPASS feature, counts within the maxima above. Returns
 * 0, or -E_INVAL with *why set to a constant string. */
int viommu_ctx_check(const struct viommu_ctx *ctx, const char **why);

/* ---- State ---- */

#define VIOMMU_NIL 0xffffffffU /* no node */
#define VIOMMU_NO_DOMAIN 0xff  /* ep_dom[]: not attached */

/* A mapping [start, last] -> gpa, a node of its domain's AVL tree (keyed by start). Nodes
 * come from a pool the caller provides; free ones are chained through left, height 0. */
struct viommu_node {
	iova_t start;
	iova_t last; /* inclusive */
	ipa_t gpa;
	u32 flags; /* VIRTIO_IOMMU_MAP_F_* */
	u32 left, right;
	u8 height; /* 0: free */
};

struct viommu_domain {
	bool used;
	bool bypass;
	u32 id;
	unsigned n_endpoints; /* >= 1 while used */
	size_t n_mappings;
	u32 root; /* VIOMMU_NIL when empty */
};

struct viommu_state {
	struct viommu_domain dom[VIOMMU_MAX_ENDPOINTS];
	unsigned n_domains;
	u8 ep_dom[VIOMMU_MAX_ENDPOINTS]; /* per ctx->ep index: a dom[] slot or VIOMMU_NO_DOMAIN */
	/* Bit e: endpoint e is in no domain and its stream aborts whatever `bypass` says: an
	 * ATTACH or DETACH failed in the hardware (its state unknown, so cut off). Until its
	 * next ATTACH, or the device's own retry of the unattached translation. */
	u32 ep_aborting;
	struct viommu_node *pool;
	u32 pool_cap;
	u32 free_head;
	size_t n_mappings;
};

/* Empty state (no domain, no endpoint attached) over pool[0 .. cap), cap < VIOMMU_NIL. */
void viommu_init(struct viommu_state *st, struct viommu_node *pool, u32 cap);

/* ---- Operations for the hardware ---- */

enum viommu_op_kind {
	/* Build domain's translation: an empty table, or for a bypass domain identity over the
	 * VM's RAM. Can fail (NOMEM) and then nothing else of the request happened. */
	VIOMMU_OP_CREATE,
	/* Point endpoint's stream at domain's translation, replacing whatever it used (no
	 * moment without translation or with the old one after the new one). */
	VIOMMU_OP_ATTACH,
	/* Point endpoint's stream at identity over the VM's RAM (bypass) or make it abort. */
	VIOMMU_OP_DETACH,
	/* Map [iova, iova + size) to [gpa, gpa + size) with prot in domain; the range lies in
	 * one region (ctx->mmio[region] if mmio, else ctx->ram[region]). Can fail (NOMEM),
	 * leaving nothing mapped. A request's MAP ops all succeed, or the caller undoes the
	 * earlier ones. prot is exactly what the driver asked for: without PGT_WRITE no write
	 * may pass; a stage-1 table cannot refuse reads, so WRITE alone may read (the spec
	 * allows it) and a prot of 0 is best left unmapped (its IOVA stays taken in st). */
	VIOMMU_OP_MAP,
	/* Remove every entry in [iova, iova + size) of domain (holes are unmapped already) and
	 * invalidate the TLB for it. */
	VIOMMU_OP_UNMAP,
	/* No stream uses domain any more: invalidate everything it may have cached, free its
	 * tables after the next sync. */
	VIOMMU_OP_DESTROY,
};

struct viommu_op {
	enum viommu_op_kind kind;
	u32 domain;
	/* The domain's slot in the state (struct viommu_state.dom): the hardware's too, so
	 * that the replay needs no look-up. CREATE names the slot the domain will have. */
	u8 slot;
	bool bypass;      /* CREATE, ATTACH: a bypass domain; DETACH: see above */
	u32 endpoint;     /* ATTACH, DETACH: endpoint ID */
	unsigned ep;      /* ... and its index in ctx->ep */
	iova_t iova;      /* MAP, UNMAP */
	u64 size;
	ipa_t gpa;        /* MAP */
	unsigned prot;    /* MAP: PGT_READ, PGT_WRITE, PGT_DEVICE (iommu/pgtable/pgtable.h) */
	bool mmio;        /* MAP */
	unsigned region;  /* MAP */
};

/* One request between prepare and commit. */
struct viommu_txn {
	struct viommu_op op[VIOMMU_TXN_MAX_OPS]; /* first: viommu_prepare clears what follows */
	unsigned n_op;
	bool sync;   /* complete only after a CMD_SYNC issued after the ops */
	/* Set by a replay that failed (iommu/viommu/viommu_backend.h): the ops took effect
	 * all the same, so the state follows them; the endpoint's stream aborts. */
	bool hw_done;
	bool ep_aborts;
	u8 status;   /* VIRTIO_IOMMU_S_*, as written into out (if used > 0) */
	size_t used; /* the used length */
	/* The decoded request, for viommu_commit. */
	u8 *tail_status;
	u8 type;
	u32 domain;
	u8 slot;     /* ATTACH: the domain's slot (a new one: the one CREATE names) */
	unsigned ep;
	bool bypass;
	u64 start, last, gpa;
	u32 flags;
};

/* Decode and validate one request: in[0 .. in_len) the device-readable bytes (copied out of
 * the guest already), out[0 .. out_cap) the device-writable area. Writes the tail (and
 * PROBE's properties) into out, fills t, and returns the used length: 0 (nothing written)
 * for an unknown type, a head shorter than 4 bytes, no room for the tail, or PROBE without
 * F_PROBE; else 4, or probe_size + 4 for PROBE (out_cap for a PROBE whose area is too small
 * for the properties). st is not changed. */
size_t viommu_prepare(const struct viommu_state *st, const struct viommu_ctx *ctx, const u8 *in,
		      size_t in_len, u8 *out, size_t out_cap, struct viommu_txn *t);

/* After t's ops were replayed: hw_status VIRTIO_IOMMU_S_OK makes st follow them; anything
 * else (NOMEM, DEVERR) becomes the request's status, st unchanged, unless the replay set
 * t->hw_done (st follows) or t->ep_aborts (the endpoint leaves its domain, joins none, and
 * is marked aborting). Nothing to do for a request prepare rejected. st and ctx must be
 * what prepare saw. */
void viommu_commit(struct viommu_state *st, const struct viommu_ctx *ctx, struct viommu_txn *t,
		   u8 hw_status);

/* prepare, then commit with VIRTIO_IOMMU_S_OK: for callers whose replay cannot fail. */
size_t viommu_handle(struct viommu_state *st, const struct viommu_ctx *ctx, const u8 *in,
		     size_t in_len, u8 *out, size_t out_cap, struct viommu_txn *t);

/* Device reset (status 0): the ops that undo everything (a DETACH for every attached
 * endpoint, then a DESTROY for every domain; at most 2 * VIOMMU_MAX_ENDPOINTS) into
 * ops[0 .. cap), returning how many. Replay them, sync, then viommu_reset(). */
unsigned viommu_reset_ops(const struct viommu_state *st, const struct viommu_ctx *ctx,
			  struct viommu_op *ops, unsigned cap);
/* Forget every domain and mapping (the pool stays the state's). Endpoints marked aborting
 * stay so: their streams are not among the reset's ops. */
void viommu_reset(struct viommu_state *st);
/* Mark endpoint ep's stream aborting (its unattached translation could not be set) or not. */
void viommu_set_aborting(struct viommu_state *st, unsigned ep, bool aborting);

/* ---- Queries ---- */

/* The domain endpoint ctx->ep[ep] is attached to: true and *domain, or false. */
bool viommu_ep_domain(const struct viommu_state *st, unsigned ep, u32 *domain);
/* Whether its stream aborts whatever `bypass` says (struct viommu_state.ep_aborting). */
static inline bool viommu_ep_aborting(const struct viommu_state *st, unsigned ep)
{
	return ep < VIOMMU_MAX_ENDPOINTS && (st->ep_aborting & (1U << ep));
}
/* "OK", "INVAL", ... for logs. */
const char *viommu_status_name(u8 status);

/* Every invariant of st against ctx (for tests, the fuzzer and debug builds): each domain
 * has an endpoint, the counts agree and are within the limits, each tree is a balanced
 * search tree of disjoint, granule-aligned mappings inside input_range and inside the VM's
 * RAM (MMIO for MMIO mappings), none overlapping a RESV_MEM region of an endpoint in its
 * domain, and pool nodes are in exactly one tree or free. 0, or -E_INVAL and *why. */
int viommu_state_check(const struct viommu_state *st, const struct viommu_ctx *ctx,
		       const char **why);

#endif
