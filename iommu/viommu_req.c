/*
 * virtio-iommu requests, pure (iommu/viommu_req.h). The rules and their order are those of
 * docs/viommu.md "Validation", which cites the reference page rule by rule.
 */
#include "iommu/viommu_req.h"

#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "iommu/pgtable.h"

#define U64_MAX (~ULL(0))

#define RESV_PROP_SIZE sizeof(struct virtio_iommu_probe_resv_mem)
#define TAIL_SIZE sizeof(struct virtio_iommu_req_tail)

/* Readable part of each request: everything before its tail. */
#define ATTACH_LEN __builtin_offsetof(struct virtio_iommu_req_attach, tail)
#define DETACH_LEN __builtin_offsetof(struct virtio_iommu_req_detach, tail)
#define MAP_LEN __builtin_offsetof(struct virtio_iommu_req_map, tail)
#define UNMAP_LEN __builtin_offsetof(struct virtio_iommu_req_unmap, tail)
#define PROBE_LEN sizeof(struct virtio_iommu_req_probe)

static bool has(const struct viommu_ctx *ctx, unsigned feature)
{
	return ctx->features & BIT(feature);
}

static u64 granule(const struct viommu_ctx *ctx)
{
	return ctx->page_size_mask & -ctx->page_size_mask;
}

/* [a0, a1] and [b0, b1] (inclusive) share an address. */
static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 <= b1 && b0 <= a1;
}

static bool all_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static u64 region_last(const struct viommu_region *r) { return r->base.v + r->size - 1; }

/* ---- the context ---- */

static int ctx_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -E_INVAL;
}

static int check_regions(const struct viommu_region *r, unsigned n, u64 g, const char **why)
{
	if (n > VIOMMU_MAX_REGIONS)
		return ctx_fail(why, "too many regions");
	for (unsigned i = 0; i < n; i++) {
		if (!r[i].size || r[i].base.v > U64_MAX - (r[i].size - 1))
			return ctx_fail(why, "region empty or wrapping");
		if (!IS_ALIGNED(r[i].base.v, g) || !IS_ALIGNED(r[i].size, g))
			return ctx_fail(why, "region not aligned to the granule");
	}
	return 0;
}

static bool regions_disjoint(const struct viommu_region *a, unsigned na,
			     const struct viommu_region *b, unsigned nb, bool same)
{
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = same ? i + 1 : 0; j < nb; j++)
			if (overlaps(a[i].base.v, region_last(&a[i]), b[j].base.v, region_last(&b[j])))
				return false;
	return true;
}

static int check_endpoint(const struct viommu_ctx *ctx, const struct viommu_endpoint *ep,
			  const char **why)
{
	unsigned msi = 0;

	if (ep->n_resv > VIOMMU_MAX_RESV || (ep->n_resv && !ep->resv))
		return ctx_fail(why, "too many RESV_MEM regions");
	if (has(ctx, VIRTIO_IOMMU_F_PROBE) && ep->n_resv * RESV_PROP_SIZE > ctx->probe_size)
		return ctx_fail(why, "RESV_MEM properties do not fit in probe_size");
	for (unsigned i = 0; i < ep->n_resv; i++) {
		const struct viommu_resv *r = &ep->resv[i];

		/* Linux rejects [0, 2^64-1] and fails the whole endpoint. */
		if (r->start.v > r->end.v || (r->start.v == 0 && r->end.v == U64_MAX))
			return ctx_fail(why, "RESV_MEM region empty or covering everything");
		if (r->subtype != VIRTIO_IOMMU_RESV_MEM_T_RESERVED &&
		    r->subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI)
			return ctx_fail(why, "RESV_MEM subtype unknown");
		msi += r->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI;
		for (unsigned j = i + 1; j < ep->n_resv; j++)
			if (overlaps(r->start.v, r->end.v, ep->resv[j].start.v, ep->resv[j].end.v))
				return ctx_fail(why, "RESV_MEM regions overlap");
	}
	if (msi > 1)
		return ctx_fail(why, "more than one MSI region");
	return 0;
}

int viommu_ctx_check(const struct viommu_ctx *ctx, const char **why)
{
	u64 g = granule(ctx);
	int ret;

	if (!ctx->page_size_mask)
		return ctx_fail(why, "page_size_mask is 0");
	if (has(ctx, VIRTIO_IOMMU_F_BYPASS))
		return ctx_fail(why, "legacy BYPASS feature");
	if (ctx->input_start.v > ctx->input_end.v ||
	    (ctx->input_start.v == 0 && ctx->input_end.v == U64_MAX))
		return ctx_fail(why, "input_range empty or the whole 64-bit space");
	if (ctx->domain_start > ctx->domain_end)
		return ctx_fail(why, "domain_range empty");
	if (ctx->probe_size % 8)
		return ctx_fail(why, "probe_size not a multiple of 8");
	if (ctx->n_ep > VIOMMU_MAX_ENDPOINTS || (ctx->n_ep && !ctx->ep))
		return ctx_fail(why, "too many endpoints");
	for (unsigned i = 0; i < ctx->n_ep; i++) {
		for (unsigned j = i + 1; j < ctx->n_ep; j++)
			if (ctx->ep[i].id == ctx->ep[j].id)
				return ctx_fail(why, "endpoint ID twice");
		ret = check_endpoint(ctx, &ctx->ep[i], why);
		if (ret)
			return ret;
	}
	if ((ctx->n_ram && !ctx->ram) || (ctx->n_mmio && !ctx->mmio))
		return ctx_fail(why, "region table missing");
	ret = check_regions(ctx->ram, ctx->n_ram, g, why);
	if (!ret)
		ret = check_regions(ctx->mmio, ctx->n_mmio, g, why);
	if (ret)
		return ret;
	if (!regions_disjoint(ctx->ram, ctx->n_ram, ctx->ram, ctx->n_ram, true) ||
	    !regions_disjoint(ctx->mmio, ctx->n_mmio, ctx->mmio, ctx->n_mmio, true) ||
	    !regions_disjoint(ctx->ram, ctx->n_ram, ctx->mmio, ctx->n_mmio, false))
		return ctx_fail(why, "regions overlap");
	return 0;
}

/* ---- the mapping trees (AVL, keyed by start; mappings are disjoint) ---- */

static struct viommu_node *node(const struct viommu_state *st, u32 i)
{
	return &st->pool[i];
}

static u8 height(const struct viommu_state *st, u32 i)
{
	return i == VIOMMU_NIL ? 0 : node(st, i)->height;
}

static void fix_height(const struct viommu_state *st, u32 i)
{
	struct viommu_node *n = node(st, i);

	n->height = 1 + MAX(height(st, n->left), height(st, n->right));
}

static u32 rotate_right(const struct viommu_state *st, u32 y)
{
	u32 x = node(st, y)->left;

	node(st, y)->left = node(st, x)->right;
	node(st, x)->right = y;
	fix_height(st, y);
	fix_height(st, x);
	return x;
}

static u32 rotate_left(const struct viommu_state *st, u32 x)
{
	u32 y = node(st, x)->right;

	node(st, x)->right = node(st, y)->left;
	node(st, y)->left = x;
	fix_height(st, x);
	fix_height(st, y);
	return y;
}

/* Restore the AVL property at i (its subtrees are AVL trees whose heights differ by at
 * most 2); returns the subtree's new root. */
static u32 rebalance(const struct viommu_state *st, u32 i)
{
	struct viommu_node *n = node(st, i);
	int bf = (int)height(st, n->left) - (int)height(st, n->right);

	fix_height(st, i);
	if (bf > 1) {
		struct viommu_node *l = node(st, n->left);

		if (height(st, l->left) < height(st, l->right))
			n->left = rotate_left(st, n->left);
		return rotate_right(st, i);
	}
	if (bf < -1) {
		struct viommu_node *r = node(st, n->right);

		if (height(st, r->right) < height(st, r->left))
			n->right = rotate_right(st, n->right);
		return rotate_left(st, i);
	}
	return i;
}

/* Recursion depth is the tree's height: at most 1.44 * log2(pool size), about 45. */
static u32 tree_insert(const struct viommu_state *st, u32 root, u32 i)
{
	struct viommu_node *r;

	if (root == VIOMMU_NIL)
		return i;
	r = node(st, root);
	if (node(st, i)->start.v < r->start.v)
		r->left = tree_insert(st, r->left, i);
	else
		r->right = tree_insert(st, r->right, i);
	return rebalance(st, root);
}

static u32 tree_remove_min(const struct viommu_state *st, u32 root, u32 *min)
{
	struct viommu_node *r = node(st, root);

	if (r->left == VIOMMU_NIL) {
		*min = root;
		return r->right;
	}
	r->left = tree_remove_min(st, r->left, min);
	return rebalance(st, root);
}

/* Unlink the node with this start (present) into *gone. */
static u32 tree_remove(const struct viommu_state *st, u32 root, u64 start, u32 *gone)
{
	struct viommu_node *r;
	u32 min;

	if (root == VIOMMU_NIL)
		return VIOMMU_NIL;
	r = node(st, root);
	if (start < r->start.v) {
		r->left = tree_remove(st, r->left, start, gone);
	} else if (start > r->start.v) {
		r->right = tree_remove(st, r->right, start, gone);
	} else {
		*gone = root;
		if (r->right == VIOMMU_NIL)
			return r->left;
		r->right = tree_remove_min(st, r->right, &min);
		node(st, min)->left = r->left;
		node(st, min)->right = r->right;
		return rebalance(st, min);
	}
	return rebalance(st, root);
}

/* The mapping with the greatest start <= x, or VIOMMU_NIL. */
static u32 find_le(const struct viommu_state *st, u32 i, u64 x)
{
	u32 best = VIOMMU_NIL;

	while (i != VIOMMU_NIL) {
		if (node(st, i)->start.v <= x) {
			best = i;
			i = node(st, i)->right;
		} else {
			i = node(st, i)->left;
		}
	}
	return best;
}

/* The mapping with the least start >= x, or VIOMMU_NIL. */
static u32 find_ge(const struct viommu_state *st, u32 i, u64 x)
{
	u32 best = VIOMMU_NIL;

	while (i != VIOMMU_NIL) {
		if (node(st, i)->start.v >= x) {
			best = i;
			i = node(st, i)->left;
		} else {
			i = node(st, i)->right;
		}
	}
	return best;
}

/* Whether any mapping of the tree shares an address with [s, l]. Mappings are disjoint, so
 * the one with the greatest start <= l ends last among those starting <= l. */
static bool tree_overlaps(const struct viommu_state *st, u32 root, u64 s, u64 l)
{
	u32 i = find_le(st, root, l);

	return i != VIOMMU_NIL && node(st, i)->last.v >= s;
}

static void node_free(struct viommu_state *st, u32 i)
{
	struct viommu_node *n = node(st, i);

	n->height = 0;
	n->right = VIOMMU_NIL;
	n->left = st->free_head;
	st->free_head = i;
}

static void tree_free(struct viommu_state *st, u32 i)
{
	if (i == VIOMMU_NIL)
		return;
	tree_free(st, node(st, i)->left);
	tree_free(st, node(st, i)->right);
	node_free(st, i);
}

/* ---- state ---- */

void viommu_init(struct viommu_state *st, struct viommu_node *pool, u32 cap)
{
	memset(st->dom, 0, sizeof(st->dom));
	memset(st->ep_dom, VIOMMU_NO_DOMAIN, sizeof(st->ep_dom));
	st->n_domains = 0;
	st->n_mappings = 0;
	st->pool = pool;
	st->pool_cap = cap;
	st->free_head = VIOMMU_NIL;
	for (u32 i = cap; i-- > 0;)
		node_free(st, i);
}

void viommu_reset(struct viommu_state *st)
{
	viommu_init(st, st->pool, st->pool_cap);
}

static int find_domain(const struct viommu_state *st, u32 id)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (st->dom[i].used && st->dom[i].id == id)
			return (int)i;
	return -1;
}

static int find_endpoint(const struct viommu_ctx *ctx, u32 id)
{
	for (unsigned i = 0; i < ctx->n_ep; i++)
		if (ctx->ep[i].id == id)
			return (int)i;
	return -1;
}

static void destroy_domain(struct viommu_state *st, unsigned slot)
{
	struct viommu_domain *d = &st->dom[slot];

	tree_free(st, d->root);
	st->n_mappings -= d->n_mappings;
	memset(d, 0, sizeof(*d));
	st->n_domains--;
}

/* Take ep out of its domain, destroying the domain if it was the last endpoint. */
static void leave_domain(struct viommu_state *st, unsigned ep)
{
	unsigned slot = st->ep_dom[ep];

	st->ep_dom[ep] = VIOMMU_NO_DOMAIN;
	if (!--st->dom[slot].n_endpoints)
		destroy_domain(st, slot);
}

bool viommu_ep_domain(const struct viommu_state *st, unsigned ep, u32 *domain)
{
	if (ep >= VIOMMU_MAX_ENDPOINTS || st->ep_dom[ep] == VIOMMU_NO_DOMAIN)
		return false;
	*domain = st->dom[st->ep_dom[ep]].id;
	return true;
}

/* ---- requests ---- */

static struct viommu_op *add_op(struct viommu_txn *t, enum viommu_op_kind kind, u32 domain)
{
	struct viommu_op *op = &t->op[t->n_op++];

	op->kind = kind;
	op->domain = domain;
	return op;
}

static u8 prepare_attach(const struct viommu_state *st, const struct viommu_ctx *ctx,
			 const u8 *in, size_t in_len, struct viommu_txn *t)
{
	struct virtio_iommu_req_attach r;
	const struct viommu_endpoint *e;
	struct viommu_op *op;
	u32 allowed = has(ctx, VIRTIO_IOMMU_F_BYPASS_CONFIG) ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	unsigned old;
	int ep, slot;
	bool bypass;

	if (in_len < ATTACH_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, ATTACH_LEN);
	if (!all_zero(r.reserved, sizeof(r.reserved)) || (r.flags & ~allowed))
		return VIRTIO_IOMMU_S_INVAL;
	ep = find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	if (r.domain < ctx->domain_start || r.domain > ctx->domain_end)
		return VIRTIO_IOMMU_S_RANGE;
	bypass = r.flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
	slot = find_domain(st, r.domain);
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
			if (tree_overlaps(st, d->root, e->resv[i].start.v, e->resv[i].end.v))
				return VIRTIO_IOMMU_S_UNSUPP;
	} else {
		/* A new domain; the endpoint's old one goes if it leaves it empty. */
		unsigned after = st->n_domains + 1;

		if (old != VIOMMU_NO_DOMAIN && st->dom[old].n_endpoints == 1)
			after--;
		if (after > ctx->limits.domains)
			return VIRTIO_IOMMU_S_NOMEM;
		add_op(t, VIOMMU_OP_CREATE, r.domain)->bypass = bypass;
	}

	op = add_op(t, VIOMMU_OP_ATTACH, r.domain);
	op->bypass = bypass;
	op->endpoint = e->id;
	op->ep = (unsigned)ep;
	if (old != VIOMMU_NO_DOMAIN) {
		t->sync = true;
		if (st->dom[old].n_endpoints == 1)
			add_op(t, VIOMMU_OP_DESTROY, st->dom[old].id);
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
	ep = find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	slot = st->ep_dom[ep];
	if (slot == VIOMMU_NO_DOMAIN || st->dom[slot].id != r.domain)
		return VIRTIO_IOMMU_S_INVAL;

	t->domain = r.domain;
	t->ep = (unsigned)ep;
	t->sync = true;
	op = add_op(t, VIOMMU_OP_DETACH, r.domain);
	op->bypass = ctx->bypass;
	op->endpoint = r.endpoint;
	op->ep = (unsigned)ep;
	if (st->dom[slot].n_endpoints == 1)
		add_op(t, VIOMMU_OP_DESTROY, r.domain);
	return VIRTIO_IOMMU_S_OK;
}

/* Cut [gpa, last] into pieces, each inside one region of the kind the flags ask for, into
 * t's ops. False if some address is in no such region or it takes too many pieces. */
static bool map_pieces(const struct viommu_ctx *ctx, u64 va, u64 gpa, u64 last, u32 flags,
		       u32 domain, struct viommu_txn *t)
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
			if (cur >= reg[i].base.v && cur <= region_last(&reg[i]))
				break;
		if (i == n || t->n_op == VIOMMU_MAP_MAX_PIECES)
			return false;
		end = MIN(last, region_last(&reg[i]));
		op = add_op(t, VIOMMU_OP_MAP, domain);
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
	u64 g = granule(ctx);
	u32 known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE |
		    (has(ctx, VIRTIO_IOMMU_F_MMIO) ? VIRTIO_IOMMU_MAP_F_MMIO : 0);
	u64 size_m1, phys_last;
	int slot;

	if (!has(ctx, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	if (in_len < MAP_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, MAP_LEN);
	if (r.flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	slot = find_domain(st, r.domain);
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
	if (r.phys_start > U64_MAX - size_m1)
		return VIRTIO_IOMMU_S_RANGE;
	phys_last = r.phys_start + size_m1;
	if (!map_pieces(ctx, r.virt_start, r.phys_start, phys_last, r.flags, r.domain, t))
		return VIRTIO_IOMMU_S_RANGE; /* (viommu_prepare drops the ops of a rejection) */
	for (unsigned e = 0; e < ctx->n_ep; e++) {
		if (st->ep_dom[e] != (unsigned)slot)
			continue;
		for (unsigned i = 0; i < ctx->ep[e].n_resv; i++) {
			const struct viommu_resv *rv = &ctx->ep[e].resv[i];

			if (overlaps(r.virt_start, r.virt_end, rv->start.v, rv->end.v))
				return VIRTIO_IOMMU_S_INVAL;
		}
	}
	if (tree_overlaps(st, d->root, r.virt_start, r.virt_end))
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

	if (!has(ctx, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	if (in_len < UNMAP_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, UNMAP_LEN);
	/* Allowed by the spec ("MAY ... INVAL"); Portcullis then removes nothing. */
	if (!all_zero(r.reserved, sizeof(r.reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	slot = find_domain(st, r.domain);
	if (slot < 0)
		return VIRTIO_IOMMU_S_NOENT;
	d = &st->dom[slot];
	if (d->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	if (r.virt_end < r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;
	/* A mapping straddling either end would be split: refuse, removing nothing. */
	first = find_le(st, d->root, r.virt_start);
	if (first != VIOMMU_NIL && node(st, first)->start.v < r.virt_start &&
	    node(st, first)->last.v >= r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;
	last = find_le(st, d->root, r.virt_end);
	if (last != VIOMMU_NIL && node(st, last)->last.v > r.virt_end &&
	    node(st, last)->start.v >= r.virt_start)
		return VIRTIO_IOMMU_S_RANGE;

	t->domain = r.domain;
	t->start = r.virt_start;
	t->last = r.virt_end;
	first = find_ge(st, d->root, r.virt_start);
	if (first == VIOMMU_NIL || node(st, first)->start.v > r.virt_end)
		return VIRTIO_IOMMU_S_OK; /* nothing mapped there */
	/* Every mapping in [first.start, last.last] lies inside the range (no holes matter:
	 * nothing else is mapped between them), so one op covers them all. */
	t->sync = true;
	op = add_op(t, VIOMMU_OP_UNMAP, r.domain);
	op->iova = node(st, first)->start;
	op->size = node(st, last)->last.v - node(st, first)->start.v + 1;
	return VIRTIO_IOMMU_S_OK;
}

static void write_resv(u8 *p, const struct viommu_resv *rv)
{
	struct virtio_iommu_probe_resv_mem prop = {
		.head = { .type = VIRTIO_IOMMU_PROBE_T_RESV_MEM,
			  .length = VIRTIO_IOMMU_RESV_MEM_LEN },
		.subtype = rv->subtype,
		.start = rv->start.v,
		.end = rv->end.v,
	};

	memcpy(p, &prop, sizeof(prop));
}

/* PROBE: properties into out[0 .. probe_size) when it has room for them; returns the
 * status and sets *tail_off. */
static u8 prepare_probe(const struct viommu_ctx *ctx, const u8 *in, size_t in_len, u8 *out,
			size_t out_cap, size_t *tail_off)
{
	struct virtio_iommu_req_probe r;
	const struct viommu_endpoint *e;
	size_t need = (size_t)ctx->probe_size + TAIL_SIZE;
	int ep;

	if (out_cap < need) {
		/* Spec: properties smaller than probe_size -> write none, INVAL. */
		*tail_off = out_cap - TAIL_SIZE;
		return VIRTIO_IOMMU_S_INVAL;
	}
	*tail_off = ctx->probe_size;
	memset(out, 0, ctx->probe_size); /* unused space reads as zero (and as the end) */
	if (in_len < PROBE_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, PROBE_LEN);
	/* reserved is ignored (spec: MUST). */
	ep = find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	e = &ctx->ep[ep];
	/* viommu_ctx_check made sure they all fit. */
	for (unsigned i = 0; i < e->n_resv; i++)
		write_resv(out + i * RESV_PROP_SIZE, &e->resv[i]);
	return VIRTIO_IOMMU_S_OK;
}

size_t viommu_prepare(const struct viommu_state *st, const struct viommu_ctx *ctx, const u8 *in,
		      size_t in_len, u8 *out, size_t out_cap, struct viommu_txn *t)
{
	struct virtio_iommu_req_tail tail = { 0 };
	size_t tail_off = 0;

	memset(t, 0, sizeof(*t));
	t->status = VIRTIO_IOMMU_S_OK;
	if (in_len < sizeof(struct virtio_iommu_req_head) || out_cap < TAIL_SIZE)
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
		if (!has(ctx, VIRTIO_IOMMU_F_PROBE))
			return 0;
		t->status = prepare_probe(ctx, in, in_len, out, out_cap, &tail_off);
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
	t->used = tail_off + TAIL_SIZE;
	return t->used;
}

static void commit_attach(struct viommu_state *st, const struct viommu_txn *t)
{
	unsigned slot;
	int found;

	if (st->ep_dom[t->ep] != VIOMMU_NO_DOMAIN) {
		if (st->dom[st->ep_dom[t->ep]].id == t->domain)
			return;
		leave_domain(st, t->ep);
	}
	found = find_domain(st, t->domain);
	if (found < 0) {
		/* Domains never outnumber attached endpoints, so a slot is free. */
		for (slot = 0; st->dom[slot].used; slot++)
			;
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
	struct viommu_domain *d = &st->dom[find_domain(st, t->domain)];
	u32 i = st->free_head;
	struct viommu_node *n = node(st, i);

	st->free_head = n->left;
	*n = (struct viommu_node){
		.start = iova(t->start), .last = iova(t->last), .gpa = ipa(t->gpa),
		.flags = t->flags, .left = VIOMMU_NIL, .right = VIOMMU_NIL, .height = 1,
	};
	d->root = tree_insert(st, d->root, i);
	d->n_mappings++;
	st->n_mappings++;
}

static void commit_unmap(struct viommu_state *st, const struct viommu_txn *t)
{
	struct viommu_domain *d = &st->dom[find_domain(st, t->domain)];
	u32 i, gone;

	while ((i = find_ge(st, d->root, t->start)) != VIOMMU_NIL &&
	       node(st, i)->start.v <= t->last) {
		d->root = tree_remove(st, d->root, node(st, i)->start.v, &gone);
		node_free(st, gone);
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
		return;
	}
	switch (t->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		commit_attach(st, t);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		leave_domain(st, t->ep);
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
			.bypass = ctx->bypass, .endpoint = ctx->ep[e].id, .ep = e,
		};
	}
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS && n < cap; s++)
		if (st->dom[s].used)
			ops[n++] = (struct viommu_op){ .kind = VIOMMU_OP_DESTROY,
						       .domain = st->dom[s].id };
	return n;
}

const char *viommu_status_name(u8 status)
{
	static const char *const names[] = {
		"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
	};

	return status < ARRAY_SIZE(names) ? names[status] : "unknown";
}

/* ---- invariants ---- */

struct walk {
	const struct viommu_state *st;
	const struct viommu_ctx *ctx;
	unsigned slot;
	size_t count;
	bool have_prev;
	u64 prev_last;
	const char *why;
};

static bool in_regions(const struct viommu_region *r, unsigned n, u64 a, u64 l)
{
	/* Regions are disjoint: follow them from a. */
	for (;;) {
		unsigned i;

		for (i = 0; i < n; i++)
			if (a >= r[i].base.v && a <= region_last(&r[i]))
				break;
		if (i == n)
			return false;
		if (l <= region_last(&r[i]))
			return true;
		a = region_last(&r[i]) + 1;
	}
}

static bool mapping_ok(struct walk *w, const struct viommu_node *n)
{
	const struct viommu_ctx *ctx = w->ctx;
	u64 g = granule(ctx), size_m1 = n->last.v - n->start.v;
	bool mmio = n->flags & VIRTIO_IOMMU_MAP_F_MMIO;

	if (n->start.v > n->last.v || !IS_ALIGNED(n->start.v, g) ||
	    !IS_ALIGNED(n->last.v + 1, g) || !IS_ALIGNED(n->gpa.v, g))
		w->why = "mapping empty or not aligned";
	else if (n->start.v < ctx->input_start.v || n->last.v > ctx->input_end.v)
		w->why = "mapping outside input_range";
	else if (n->flags & ~VIRTIO_IOMMU_MAP_F_MASK)
		w->why = "mapping flags unknown";
	else if (n->gpa.v > U64_MAX - size_m1 ||
		 !in_regions(mmio ? ctx->mmio : ctx->ram, mmio ? ctx->n_mmio : ctx->n_ram,
			     n->gpa.v, n->gpa.v + size_m1))
		w->why = mmio ? "MMIO mapping outside the VM's MMIO" : "mapping outside the VM's RAM";
	else if (w->have_prev && w->prev_last >= n->start.v)
		w->why = "mappings out of order or overlapping";
	if (w->why)
		return false;
	for (unsigned e = 0; e < ctx->n_ep; e++) {
		if (w->st->ep_dom[e] != w->slot)
			continue;
		for (unsigned i = 0; i < ctx->ep[e].n_resv; i++)
			if (overlaps(n->start.v, n->last.v, ctx->ep[e].resv[i].start.v,
				     ctx->ep[e].resv[i].end.v)) {
				w->why = "mapping over a RESV_MEM region";
				return false;
			}
	}
	w->have_prev = true;
	w->prev_last = n->last.v;
	return true;
}

/* In-order walk; returns the subtree's height, or -1 (w->why set). */
static int walk_tree(struct walk *w, u32 i, unsigned depth)
{
	const struct viommu_node *n;
	int hl, hr;

	if (i == VIOMMU_NIL)
		return 0;
	if (i >= w->st->pool_cap || depth > 64) {
		w->why = "tree link out of the pool or cyclic";
		return -1;
	}
	n = &w->st->pool[i];
	hl = walk_tree(w, n->left, depth + 1);
	if (hl < 0 || !mapping_ok(w, n))
		return -1;
	w->count++;
	hr = walk_tree(w, n->right, depth + 1);
	if (hr < 0)
		return -1;
	if (n->height != 1 + MAX(hl, hr) || hl - hr > 1 || hr - hl > 1) {
		w->why = "tree unbalanced or heights wrong";
		return -1;
	}
	return n->height;
}

int viommu_state_check(const struct viommu_state *st, const struct viommu_ctx *ctx,
		       const char **why)
{
	unsigned n_domains = 0;
	size_t n_mappings = 0, free_nodes = 0, tree_nodes = 0;

	for (unsigned e = ctx->n_ep; e < VIOMMU_MAX_ENDPOINTS; e++)
		if (st->ep_dom[e] != VIOMMU_NO_DOMAIN)
			return ctx_fail(why, "attached endpoint beyond the VM's endpoints");
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS; s++) {
		const struct viommu_domain *d = &st->dom[s];
		struct walk w = { .st = st, .ctx = ctx, .slot = s };
		unsigned eps = 0;

		for (unsigned e = 0; e < ctx->n_ep; e++)
			eps += st->ep_dom[e] == s;
		if (!d->used) {
			if (eps)
				return ctx_fail(why, "endpoint in a free domain slot");
			continue;
		}
		n_domains++;
		if (!eps || eps != d->n_endpoints)
			return ctx_fail(why, "domain endpoint count wrong or zero");
		if (find_domain(st, d->id) != (int)s)
			return ctx_fail(why, "domain ID twice");
		if (d->id < ctx->domain_start || d->id > ctx->domain_end)
			return ctx_fail(why, "domain outside domain_range");
		if (d->bypass && d->root != VIOMMU_NIL)
			return ctx_fail(why, "bypass domain with mappings");
		if (walk_tree(&w, d->root, 0) < 0)
			return ctx_fail(why, w.why);
		if (w.count != d->n_mappings)
			return ctx_fail(why, "domain mapping count wrong");
		n_mappings += w.count;
	}
	if (n_domains != st->n_domains || n_domains > ctx->limits.domains)
		return ctx_fail(why, "domain count wrong or over the limit");
	if (n_mappings != st->n_mappings || n_mappings > ctx->limits.mappings)
		return ctx_fail(why, "mapping count wrong or over the limit");
	for (u32 i = st->free_head; i != VIOMMU_NIL; i = st->pool[i].left) {
		if (i >= st->pool_cap || st->pool[i].height || free_nodes > st->pool_cap)
			return ctx_fail(why, "free list corrupt");
		free_nodes++;
	}
	for (u32 i = 0; i < st->pool_cap; i++)
		tree_nodes += st->pool[i].height != 0;
	if (tree_nodes != n_mappings || free_nodes + n_mappings != st->pool_cap)
		return ctx_fail(why, "pool nodes lost or shared");
	return 0;
}
