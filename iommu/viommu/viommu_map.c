/*
 * The mapping set of the virtio-iommu device (iommu/viommu/viommu_req.h): each domain's mappings
 * as an AVL tree of disjoint IOVA ranges keyed by start, its nodes taken from the pool the
 * state was given (free ones chained through left, height 0); insertion, removal, the
 * look-ups the requests need, and the invariants every tree must keep (viommu_tree_check,
 * called by viommu_state_check).
 */
#include "iommu/viommu/viommu_internal.h"

/* ---- the mapping trees (AVL, keyed by start; mappings are disjoint) ---- */

static u8 height(const struct viommu_state *st, u32 i)
{
	return i == VIOMMU_NIL ? 0 : viommu_node_at(st, i)->height;
}

static void fix_height(const struct viommu_state *st, u32 i)
{
	struct viommu_node *n = viommu_node_at(st, i);

	n->height = 1 + MAX(height(st, n->left), height(st, n->right));
}

static u32 rotate_right(const struct viommu_state *st, u32 y)
{
	u32 x = viommu_node_at(st, y)->left;

	viommu_node_at(st, y)->left = viommu_node_at(st, x)->right;
	viommu_node_at(st, x)->right = y;
	fix_height(st, y);
	fix_height(st, x);
	return x;
}

static u32 rotate_left(const struct viommu_state *st, u32 x)
{
	u32 y = viommu_node_at(st, x)->right;

	viommu_node_at(st, x)->right = viommu_node_at(st, y)->left;
	viommu_node_at(st, y)->left = x;
	fix_height(st, x);
	fix_height(st, y);
	return y;
}

/* Restore the AVL property at i (its subtrees are AVL trees whose heights differ by at
 * most 2); returns the subtree's new root. */
static u32 rebalance(const struct viommu_state *st, u32 i)
{
	struct viommu_node *n = viommu_node_at(st, i);
	int bf = (int)height(st, n->left) - (int)height(st, n->right);

	fix_height(st, i);
	if (bf > 1) {
		struct viommu_node *l = viommu_node_at(st, n->left);

		if (height(st, l->left) < height(st, l->right))
			n->left = rotate_left(st, n->left);
		return rotate_right(st, i);
	}
	if (bf < -1) {
		struct viommu_node *r = viommu_node_at(st, n->right);

		if (height(st, r->right) < height(st, r->left))
			n->right = rotate_right(st, n->right);
		return rotate_left(st, i);
	}
	return i;
}

/* Recursion depth is the tree's height: at most 1.44 * log2(pool size), about 45. */
u32 viommu_tree_insert(const struct viommu_state *st, u32 root, u32 i)
{
	struct viommu_node *r;

	if (root == VIOMMU_NIL)
		return i;
	r = viommu_node_at(st, root);
	if (viommu_node_at(st, i)->start.v < r->start.v)
		r->left = viommu_tree_insert(st, r->left, i);
	else
		r->right = viommu_tree_insert(st, r->right, i);
	return rebalance(st, root);
}

static u32 tree_remove_min(const struct viommu_state *st, u32 root, u32 *min)
{
	struct viommu_node *r = viommu_node_at(st, root);

	if (r->left == VIOMMU_NIL) {
		*min = root;
		return r->right;
	}
	r->left = tree_remove_min(st, r->left, min);
	return rebalance(st, root);
}

/* Unlink the node with this start (present) into *gone. */
u32 viommu_tree_remove(const struct viommu_state *st, u32 root, u64 start, u32 *gone)
{
	struct viommu_node *r;
	u32 min;

	if (root == VIOMMU_NIL)
		return VIOMMU_NIL;
	r = viommu_node_at(st, root);
	if (start < r->start.v) {
		r->left = viommu_tree_remove(st, r->left, start, gone);
	} else if (start > r->start.v) {
		r->right = viommu_tree_remove(st, r->right, start, gone);
	} else {
		*gone = root;
		if (r->right == VIOMMU_NIL)
			return r->left;
		r->right = tree_remove_min(st, r->right, &min);
		viommu_node_at(st, min)->left = r->left;
		viommu_node_at(st, min)->right = r->right;
		return rebalance(st, min);
	}
	return rebalance(st, root);
}

/* The mapping with the greatest start <= x, or VIOMMU_NIL. */
u32 viommu_find_le(const struct viommu_state *st, u32 i, u64 x)
{
	u32 best = VIOMMU_NIL;

	while (i != VIOMMU_NIL) {
		if (viommu_node_at(st, i)->start.v <= x) {
			best = i;
			i = viommu_node_at(st, i)->right;
		} else {
			i = viommu_node_at(st, i)->left;
		}
	}
	return best;
}

/* The mapping with the least start >= x, or VIOMMU_NIL. */
u32 viommu_find_ge(const struct viommu_state *st, u32 i, u64 x)
{
	u32 best = VIOMMU_NIL;

	while (i != VIOMMU_NIL) {
		if (viommu_node_at(st, i)->start.v >= x) {
			best = i;
			i = viommu_node_at(st, i)->left;
		} else {
			i = viommu_node_at(st, i)->right;
		}
	}
	return best;
}

/* Whether any mapping of the tree shares an address with [s, l]. Mappings are disjoint, so
 * the one with the greatest start <= l ends last among those starting <= l. */
bool viommu_tree_overlaps(const struct viommu_state *st, u32 root, u64 s, u64 l)
{
	u32 i = viommu_find_le(st, root, l);

	return i != VIOMMU_NIL && viommu_node_at(st, i)->last.v >= s;
}

void viommu_node_free(struct viommu_state *st, u32 i)
{
	struct viommu_node *n = viommu_node_at(st, i);

	n->height = 0;
	n->right = VIOMMU_NIL;
	n->left = st->free_head;
	st->free_head = i;
}

void viommu_tree_free(struct viommu_state *st, u32 i)
{
	if (i == VIOMMU_NIL)
		return;
	viommu_tree_free(st, viommu_node_at(st, i)->left);
	viommu_tree_free(st, viommu_node_at(st, i)->right);
	viommu_node_free(st, i);
}

/* ---- invariants of one tree ---- */

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
			if (a >= r[i].base.v && a <= viommu_region_last(&r[i]))
				break;
		if (i == n)
			return false;
		if (l <= viommu_region_last(&r[i]))
			return true;
		a = viommu_region_last(&r[i]) + 1;
	}
}

static bool mapping_ok(struct walk *w, const struct viommu_node *n)
{
	const struct viommu_ctx *ctx = w->ctx;
	u64 g = viommu_granule(ctx), size_m1 = n->last.v - n->start.v;
	bool mmio = n->flags & VIRTIO_IOMMU_MAP_F_MMIO;

	if (n->start.v > n->last.v || !IS_ALIGNED(n->start.v, g) ||
	    !IS_ALIGNED(n->last.v + 1, g) || !IS_ALIGNED(n->gpa.v, g))
		w->why = "mapping empty or not aligned";
	else if (n->start.v < ctx->input_start.v || n->last.v > ctx->input_end.v)
		w->why = "mapping outside input_range";
	else if (n->flags & ~VIRTIO_IOMMU_MAP_F_MASK)
		w->why = "mapping flags unknown";
	else if (n->gpa.v > VIOMMU_U64_MAX - size_m1 ||
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
			if (viommu_overlaps(n->start.v, n->last.v, ctx->ep[e].resv[i].start.v,
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

int viommu_tree_check(const struct viommu_state *st, const struct viommu_ctx *ctx,
		      unsigned slot, size_t *count, const char **why)
{
	struct walk w = { .st = st, .ctx = ctx, .slot = slot };

	if (walk_tree(&w, st->dom[slot].root, 0) < 0)
		return viommu_fail(why, w.why);
	*count = w.count;
	return 0;
}
