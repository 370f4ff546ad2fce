/*
 * virtio-iommu requests, pure (iommu/viommu/viommu_req.h): framing (head and tail), dispatch by
 * type, the validation of ATTACH, DETACH, MAP and UNMAP into a status and the ops that
 * carry them out (prepare), making the state follow them (commit), and the ops of a reset.
 * The rules and their order are those of docs/viommu.md "Validation", which cites the
 * reference page rule by rule.
 *
 * The rest of the device: the context check (iommu/viommu/viommu_ctx.c), the state and its
 * invariants (iommu/viommu/viommu_state.c), the mapping set (iommu/viommu/viommu_map.c), PROBE
 * (iommu/viommu/viommu_probe.c); what they share is in iommu/viommu/viommu_internal.h.
 */
#include "iommu/viommu/viommu_internal.h"

#include "core/lib/string.h"
#include "iommu/pgtable/pgtable.h"

/* Readable part of each request: everything before its tail. */
#define ATTACH_LEN __builtin_offsetof(struct virtio_iommu_req_attach, tail)
#define DETACH_LEN __builtin_offsetof(struct virtio_iommu_req_detach, tail)
#define MAP_LEN __builtin_offsetof(struct virtio_iommu_req_map, tail)
#define UNMAP_LEN __builtin_offsetof(struct virtio_iommu_req_unmap, tail)

static bool all_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- requests ---- */

static struct viommu_op *add_op(struct viommu_txn *t, enum viommu_op_kind kind, u32 domain,
				 unsigned slot)
{
	struct viommu_op *op = &t->op[t->n_op++];

	*op = (struct viommu_op){ .kind = kind, .domain = domain, .slot = (u8)slot };
	return op;
}

/* The slot a new domain gets: the first free one. The endpoint's old domain keeps its slot
 * until after the ATTACH (the hardware holds both for a moment). -1 if none is free. */
static int free_slot(const struct viommu_state *st)
{
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS; s++)
		if (!st->dom[s].used)
			return (int)s;
	return -1;
}

static u8 prepare_attach(const struct viommu_state *st, const struct viommu_ctx *ctx,
			 const u8 *in, size_t in_len, struct viommu_txn *t)
{
	struct virtio_iommu_req_attach r;
	const struct viommu_endpoint *e;
	struct viommu_op *op;
	u32 allowed =
		viommu_has(ctx, VIRTIO_IOMMU_F_BYPASS_CONFIG) ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	unsigned old;
	int ep, slot;
	bool bypass;

	if (in_len < ATTACH_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, ATTACH_LEN);
	if (!all_zero(r.reserved, sizeof(r.reserved)) || (r.flags & ~allowed))
		return VIRTIO_IOMMU_S_INVAL;
	ep = viommu_find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	if (r.domain < ctx->domain_start || r.domain > ctx->domain_end)
		return VIRTIO_IOMMU_S_RANGE;
	bypass = r.flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
	slot = viommu_find_domain(st, r.domain);
	old = st->ep_dom[ep];
	e = &ctx->ep[ep];

	t->domain = r.domain;
	t->ep = (unsigned)ep;
	t->bypass = bypass;
	if (slot >= 0) {
		const struct viommu_domain *d = &st->dom[slot];

		if (d->bypass != bypass)
			return VIRTIO_IOMMU_S_INVAL;
		if (old == (unsigned)slot)
			return VIRTIO_IOMMU_S_OK; /* already there: nothing to do */
		/* The endpoint's RESV_MEM regions must be free in the domain it joins (spec:
		 * properties incompatible with the domain's -> UNSUPP). */
		for (unsigned i = 0; i < e->n_resv; i++)
			if (viommu_tree_overlaps(st, d->root, e->resv[i].start.v, e->resv[i].end.v))
				return VIRTIO_IOMMU_S_UNSUPP;
	} else {
		/* A new domain; the endpoint's old one goes if it leaves it empty. */
		unsigned after = st->n_domains + 1;

		if (old != VIOMMU_NO_DOMAIN && st->dom[old].n_endpoints == 1)
			after--;
		slot = free_slot(st);
		if (after > ctx->limits.domains || slot < 0)
			return VIRTIO_IOMMU_S_NOMEM;
		add_op(t, VIOMMU_OP_CREATE, r.domain, (unsigned)slot)->bypass = bypass;
	}

	t->slot = (u8)slot;
	op = add_op(t, VIOMMU_OP_ATTACH, r.domain, (unsigned)slot);
	op->bypass = bypass;
	op->endpoint = e->id;
	op->ep = (unsigned)ep;
	if (old != VIOMMU_NO_DOMAIN) {
		t->sync = true;
		if (st->dom[old].n_endpoints == 1)
			add_op(t, VIOMMU_OP_DESTROY, st->dom[old].id, old);
	}
	return VIRTIO_IOMMU_S_OK;
}

static u8 prepare_detach(const struct viommu_state *st, const struct viommu_ctx *ctx,
			 const u8 *in, size_t in_len, struct viommu_txn *t)
{
	struct virtio_iommu_req_detach r;
	struct viommu_op *op;
	unsigned slot;
	int ep;

	if (in_len < DETACH_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, DETACH_LEN);
	/* reserved is ignored (spec: MUST). */
	ep = viommu_find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	slot = st->ep_dom[ep];
	if (slot == VIOMMU_NO_DOMAIN || st->dom[slot].id != r.domain)
		return VIRTIO_IOMMU_S_INVAL;

	t->domain = r.domain;
	t->ep = (unsigned)ep;
	t->sync = true;
	op = add_op(t, VIOMMU_OP_DETACH, r.domain, slot);
	op->bypass = ctx->bypass;
	op->endpoint = r.endpoint;
	op->ep = (unsigned)ep;
	if (st->dom[slot].n_endpoints == 1)
		add_op(t, VIOMMU_OP_DESTROY, r.domain, slot);
	return VIRTIO_IOMMU_S_OK;
}

/* Cut [gpa, last] into pieces, each inside one region of the kind the flags ask for, into
 * t's ops. False if some address is in no such region or it takes too many pieces. */
static bool map_pieces(const struct viommu_ctx *ctx, u64 va, u64 gpa, u64 last, u32 flags,
		       u32 domain, unsigned slot, struct viommu_txn *t)
{
	bool mmio = flags & VIRTIO_IOMMU_MAP_F_MMIO;
	const struct viommu_region *reg = mmio ? ctx->mmio : ctx->ram;
	unsigned n = mmio ? ctx->n_mmio : ctx->n_ram;
	unsigned prot = ((flags & VIRTIO_IOMMU_MAP_F_READ) ? PGT_READ : 0) |
			((flags & VIRTIO_IOMMU_MAP_F_WRITE) ? PGT_WRITE : 0) |
			(mmio ? PGT_DEVICE : 0);
	u64 cur = gpa;

	for (;;) {
		struct viommu_op *op;
		unsigned i;
		u64 end;

		for (i = 0; i < n; i++)
			if (cur >= reg[i].base.v && cur <= viommu_region_last(&reg[i]))
				break;
		if (i == n || t->n_op == VIOMMU_MAP_MAX_PIECES)
			return false;
		end = MIN(last, viommu_region_last(&reg[i]));
		op = add_op(t, VIOMMU_OP_MAP, domain, slot);
		op->iova = iova(va + (cur - gpa));
		op->size = end - cur + 1;
		op->gpa = ipa(cur);
		op->prot = prot;
		op->mmio = mmio;
		op->region = i;
		if (end == last)
			return true;
		cur = end + 1;
	}
}

static u8 prepare_map(const struct viommu_state *st, const struct viommu_ctx *ctx,
		      const u8 *in, size_t in_len, struct viommu_txn *t)
{
	struct virtio_iommu_req_map r;
	const struct viommu_domain *d;
	u64 g = viommu_granule(ctx);
	u32 known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE |
		    (viommu_has(ctx, VIRTIO_IOMMU_F_MMIO) ? VIRTIO_IOMMU_MAP_F_MMIO : 0);
	u64 size_m1, phys_last;
	int slot;

	if (!viommu_has(ctx, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	if (in_len < MAP_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, MAP_LEN);
	if (r.flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	slot = viommu_find_domain(st, r.domain);
	if (slot < 0)
		return VIRTIO_IOMMU_S_NOENT;
	d = &st->dom[slot];
	if (d->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	/* virt_end + 1 wraps to 0 at 2^64 - 1, which is aligned: the arithmetic stays right. */
	if (!IS_ALIGNED(r.virt_start, g) || !IS_ALIGNED(r.phys_start, g) ||
	    !IS_ALIGNED(r.virt_end + 1, g))
		return VIRTIO_IOMMU_S_RANGE;
	if (r.virt_end < r.virt_start || r.virt_start < ctx->input_start.v ||
	    r.virt_end > ctx->input_end.v)
		return VIRTIO_IOMMU_S_RANGE;
	size_m1 = r.virt_end - r.virt_start;
	if (r.phys_start > VIOMMU_U64_MAX - size_m1)
		return VIRTIO_IOMMU_S_RANGE;
	phys_last = r.phys_start + size_m1;
	if (!map_pieces(ctx, r.virt_start, r.phys_start, phys_last, r.flags, r.domain,
			(unsigned)slot, t))
		return VIRTIO_IOMMU_S_RANGE; /* (viommu_prepare drops the ops of a rejection) */
	for (unsigned e = 0; e < ctx->n_ep; e++) {
		if (st->ep_dom[e] != (unsigned)slot)
			continue;
		for (unsigned i = 0; i < ctx->ep[e].n_resv; i++) {
			const struct viommu_resv *rv = &ctx->ep[e].resv[i];

			if (viommu_overlaps(r.virt_start, r.virt_end, rv->start.v, rv->end.v))
				return VIRTIO_IOMMU_S_INVAL;
		}
	}
	if (viommu_tree_overlaps(st, d->root, r.virt_start, r.virt_end))
		return VIRTIO_IOMMU_S_INVAL;
	if (st->n_mappings >= ctx->limits.mappings || st->n_mappings >= st->pool_cap)
		return VIRTIO_IOMMU_S_NOMEM;
	t->domain = r.domain;
	t->start = r.virt_start;
	t->last = r.virt_end;
	t->gpa = r.phys_start;
	t->flags = r.flags;
	return VIRTIO_IOMMU_S_OK;
}

static u8 prepare_unmap(const struct viommu_state *st, const struct viommu_ctx *ctx,
			const u8 *in, size_t in_len, struct viommu_txn *t)
{
	struct virtio_iommu_req_unmap r;
	const struct viommu_domain *d;
	struct viommu_op *op;
	u32 first, last;
	int slot;

	if (!viommu_has(ctx, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	if (in_len < UNMAP_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, UNMAP_LEN);
	/* Allowed by the spec ("MAY ... INVAL"); Portcullis then removes nothing. */
	if (!all_zero(r.reserved, sizeof(r.reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	slot = viommu_find_domain(st, r.domain);
	if (slot < 0)
		return VIRTIO_IOMMU_S_NOENT;
	d = &st->dom[slot];
	if (d->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	if (r.virt_end < r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;
	/* A mapping straddling either end would be split: refuse, removing nothing. */
	first = viommu_find_le(st, d->root, r.virt_start);
	if (first != VIOMMU_NIL && viommu_node_at(st, first)->start.v < r.virt_start &&
	    viommu_node_at(st, first)->last.v >= r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;
	last = viommu_find_le(st, d->root, r.virt_end);
	if (last != VIOMMU_NIL && viommu_node_at(st, last)->last.v > r.virt_end &&
	    viommu_node_at(st, last)->start.v >= r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;

	t->domain = r.domain;
	t->start = r.virt_start;
	t->last = r.virt_end;
	first = viommu_find_ge(st, d->root, r.virt_start);
	if (first == VIOMMU_NIL || viommu_node_at(st, first)->start.v > r.virt_end)
		return VIRTIO_IOMMU_S_OK; /* nothing mapped there */
	/* Every mapping in [first.start, last.last] lies inside the range (no holes matter:
	 * nothing else is mapped between them), so one op covers them all. */
	t->sync = true;
	op = add_op(t, VIOMMU_OP_UNMAP, r.domain, (unsigned)slot);
	op->iova = viommu_node_at(st, first)->start;
	op->size = viommu_node_at(st, last)->last.v - viommu_node_at(st, first)->start.v + 1;
	return VIRTIO_IOMMU_S_OK;
}

size_t viommu_prepare(const struct viommu_state *st, const struct viommu_ctx *ctx, const u8 *in,
		      size_t in_len, u8 *out, size_t out_cap, struct viommu_txn *t)
{
	struct virtio_iommu_req_tail tail = { 0 };
	size_t tail_off = 0;

	/* All but op[]: add_op clears each op it hands out, and only op[0 .. n_op) is read.
	 * Clearing the eight ops too was a fifth of a MAP's validation. */
	memset(&t->n_op, 0, sizeof(*t) - __builtin_offsetof(struct viommu_txn, n_op));
	t->status = VIRTIO_IOMMU_S_OK;
	if (in_len < sizeof(struct virtio_iommu_req_head) || out_cap < VIOMMU_TAIL_SIZE)
		return 0; /* no head or no tail: nothing can be written */
	t->type = in[0];
	switch (t->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		t->status = prepare_attach(st, ctx, in, in_len, t);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		t->status = prepare_detach(st, ctx, in, in_len, t);
		break;
	case VIRTIO_IOMMU_T_MAP:
		t->status = prepare_map(st, ctx, in, in_len, t);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		t->status = prepare_unmap(st, ctx, in, in_len, t);
		break;
	case VIRTIO_IOMMU_T_PROBE:
		if (!viommu_has(ctx, VIRTIO_IOMMU_F_PROBE))
			return 0;
		t->status = viommu_prepare_probe(ctx, in, in_len, out, out_cap, &tail_off);
		break;
	default:
		return 0;
	}
	if (t->status != VIRTIO_IOMMU_S_OK) {
		t->n_op = 0;
		t->sync = false;
	}
	tail.status = t->status;
	memcpy(out + tail_off, &tail, sizeof(tail));
	t->tail_status = out + tail_off;
	t->used = tail_off + VIOMMU_TAIL_SIZE;
	return t->used;
}

static void commit_attach(struct viommu_state *st, const struct viommu_txn *t)
{
	unsigned slot;
	int found;

	if (st->ep_dom[t->ep] != VIOMMU_NO_DOMAIN) {
		if (st->dom[st->ep_dom[t->ep]].id == t->domain)
			return;
		viommu_leave_domain(st, t->ep);
	}
	found = viommu_find_domain(st, t->domain);
	if (found < 0) {
		slot = t->slot; /* free since prepare, as CREATE said */
		st->dom[slot] = (struct viommu_domain){
			.used = true, .bypass = t->bypass, .id = t->domain, .root = VIOMMU_NIL,
		};
		st->n_domains++;
	} else {
		slot = (unsigned)found;
	}
	st->dom[slot].n_endpoints++;
	st->ep_dom[t->ep] = (u8)slot;
}

static void commit_map(struct viommu_state *st, const struct viommu_txn *t)
{
	struct viommu_domain *d = &st->dom[viommu_find_domain(st, t->domain)];
	u32 i = st->free_head;
	struct viommu_node *n = viommu_node_at(st, i);

	st->free_head = n->left;
	*n = (struct viommu_node){
		.start = iova(t->start), .last = iova(t->last), .gpa = ipa(t->gpa),
		.flags = t->flags, .left = VIOMMU_NIL, .right = VIOMMU_NIL, .height = 1,
	};
	d->root = viommu_tree_insert(st, d->root, i);
	d->n_mappings++;
	st->n_mappings++;
}

static void commit_unmap(struct viommu_state *st, const struct viommu_txn *t)
{
	struct viommu_domain *d = &st->dom[viommu_find_domain(st, t->domain)];
	u32 i, gone;

	while ((i = viommu_find_ge(st, d->root, t->start)) != VIOMMU_NIL &&
	       viommu_node_at(st, i)->start.v <= t->last) {
		d->root = viommu_tree_remove(st, d->root, viommu_node_at(st, i)->start.v, &gone);
		viommu_node_free(st, gone);
		d->n_mappings--;
		st->n_mappings--;
	}
}

void viommu_commit(struct viommu_state *st, const struct viommu_ctx *ctx, struct viommu_txn *t,
		   u8 hw_status)
{
	if (t->status != VIRTIO_IOMMU_S_OK || !t->used)
		return;
	if (hw_status != VIRTIO_IOMMU_S_OK) {
		t->status = hw_status;
		*t->tail_status = hw_status;
		if (!t->hw_done && !t->ep_aborts)
			return;
	}
	if (t->ep_aborts) {
		/* The stream aborts: out of its domain (gone if it was the last), in none. */
		if (st->ep_dom[t->ep] != VIOMMU_NO_DOMAIN)
			viommu_leave_domain(st, t->ep);
		viommu_set_aborting(st, t->ep, true);
		return;
	}
	switch (t->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		commit_attach(st, t);
		viommu_set_aborting(st, t->ep, false);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		viommu_leave_domain(st, t->ep);
		break;
	case VIRTIO_IOMMU_T_MAP:
		commit_map(st, t);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		commit_unmap(st, t);
		break;
	default:
		break; /* PROBE changes nothing */
	}
}

size_t viommu_handle(struct viommu_state *st, const struct viommu_ctx *ctx, const u8 *in,
		     size_t in_len, u8 *out, size_t out_cap, struct viommu_txn *t)
{
	size_t used = viommu_prepare(st, ctx, in, in_len, out, out_cap, t);

	viommu_commit(st, ctx, t, VIRTIO_IOMMU_S_OK);
	return used;
}

unsigned viommu_reset_ops(const struct viommu_state *st, const struct viommu_ctx *ctx,
			  struct viommu_op *ops, unsigned cap)
{
	unsigned n = 0;

	for (unsigned e = 0; e < ctx->n_ep && n < cap; e++) {
		if (st->ep_dom[e] == VIOMMU_NO_DOMAIN)
			continue;
		ops[n++] = (struct viommu_op){
			.kind = VIOMMU_OP_DETACH, .domain = st->dom[st->ep_dom[e]].id,
			.slot = st->ep_dom[e],
			.bypass = ctx->bypass, .endpoint = ctx->ep[e].id, .ep = e,
		};
	}
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS && n < cap; s++)
		if (st->dom[s].used)
			ops[n++] = (struct viommu_op){ .kind = VIOMMU_OP_DESTROY,
						       .domain = st->dom[s].id, .slot = (u8)s };
	return n;
}

const char *viommu_status_name(u8 status)
{
	static const char *const names[] = {
		"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
	};

	return status < ARRAY_SIZE(names) ? names[status] : "unknown";
}
