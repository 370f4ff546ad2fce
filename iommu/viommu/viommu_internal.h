/*
 * What the files of the pure virtio-iommu device (iommu/viommu/viommu_req.h) share and nothing
 * outside them may use: small helpers over the context, the mapping set's operations
 * (iommu/viommu/viommu_map.c), the state's look-ups (iommu/viommu/viommu_state.c) and PROBE
 * (iommu/viommu/viommu_probe.c). The public interface stays iommu/viommu/viommu_req.h.
 */
#ifndef IOMMU_VIOMMU_INTERNAL_H
#define IOMMU_VIOMMU_INTERNAL_H

#include "core/lib/errno.h"
#include "iommu/viommu/viommu_req.h"

#define VIOMMU_U64_MAX (~ULL(0))

#define VIOMMU_RESV_PROP_SIZE sizeof(struct virtio_iommu_probe_resv_mem)
#define VIOMMU_TAIL_SIZE sizeof(struct virtio_iommu_req_tail)

/* ---- helpers (here, inline) ---- */

static inline bool viommu_has(const struct viommu_ctx *ctx, unsigned feature)
{
	return ctx->features & BIT(feature);
}

static inline u64 viommu_granule(const struct viommu_ctx *ctx)
{
	return ctx->page_size_mask & -ctx->page_size_mask;
}

/* [a0, a1] and [b0, b1] (inclusive) share an address. */
static inline bool viommu_overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 <= b1 && b0 <= a1;
}

static inline u64 viommu_region_last(const struct viommu_region *r)
{
	return r->base.v + r->size - 1;
}

/* -E_INVAL, with *why (if why) set to reason. */
static inline int viommu_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -E_INVAL;
}

static inline struct viommu_node *viommu_node_at(const struct viommu_state *st, u32 i)
{
	return &st->pool[i];
}

/* ---- the mapping set: one AVL tree per domain (iommu/viommu/viommu_map.c) ---- */

/* Insert node i (start set, height 1, no children) into the tree at root; returns the new
 * root. */
u32 viommu_tree_insert(const struct viommu_state *st, u32 root, u32 i);
/* Unlink the node with this start (present) into *gone; returns the new root. */
u32 viommu_tree_remove(const struct viommu_state *st, u32 root, u64 start, u32 *gone);
/* The mapping with the greatest start <= x, or VIOMMU_NIL. */
u32 viommu_find_le(const struct viommu_state *st, u32 i, u64 x);
/* The mapping with the least start >= x, or VIOMMU_NIL. */
u32 viommu_find_ge(const struct viommu_state *st, u32 i, u64 x);
/* Whether any mapping of the tree shares an address with [s, l]. */
bool viommu_tree_overlaps(const struct viommu_state *st, u32 root, u64 s, u64 l);
/* Put node i on the free list. */
void viommu_node_free(struct viommu_state *st, u32 i);
/* Put every node of the tree at i on the free list. */
void viommu_tree_free(struct viommu_state *st, u32 i);
/* The mapping invariants of domain slot's tree (see viommu_state_check): 0 and *count the
 * mappings in it, or -E_INVAL and *why. */
int viommu_tree_check(const struct viommu_state *st, const struct viommu_ctx *ctx,
		      unsigned slot, size_t *count, const char **why);

/* ---- the state: domains and endpoints (iommu/viommu/viommu_state.c) ---- */

/* The dom[] slot of domain id, or -1. */
int viommu_find_domain(const struct viommu_state *st, u32 id);
/* The ctx->ep[] index of endpoint id, or -1. */
int viommu_find_endpoint(const struct viommu_ctx *ctx, u32 id);
/* Take ep out of its domain, destroying the domain if it was the last endpoint. */
void viommu_leave_domain(struct viommu_state *st, unsigned ep);

/* ---- PROBE (iommu/viommu/viommu_probe.c) ---- */

/* PROBE: properties into out[0 .. probe_size) when it has room for them; returns the
 * status and sets *tail_off. */
u8 viommu_prepare_probe(const struct viommu_ctx *ctx, const u8 *in, size_t in_len, u8 *out,
			size_t out_cap, size_t *tail_off);

#endif
