/*
 * The virtio-iommu device's state (iommu/viommu/viommu_req.h): which domains exist, which
 * endpoint is in which, and the pool their mappings come from; init and reset, the
 * look-ups of a domain or an endpoint by ID, an endpoint leaving its domain (and the domain
 * going with its last endpoint), and the invariants of the whole state.
 */
#include "iommu/viommu/viommu_internal.h"

#include "core/lib/string.h"

/* ---- state ---- */

void viommu_init(struct viommu_state *st, struct viommu_node *pool, u32 cap)
{
	memset(st->dom, 0, sizeof(st->dom));
	memset(st->ep_dom, VIOMMU_NO_DOMAIN, sizeof(st->ep_dom));
	st->n_domains = 0;
	st->n_mappings = 0;
	st->ep_aborting = 0;
	st->pool = pool;
	st->pool_cap = cap;
	st->free_head = VIOMMU_NIL;
	for (u32 i = cap; i-- > 0;)
		viommu_node_free(st, i);
}

void viommu_reset(struct viommu_state *st)
{
	u32 aborting = st->ep_aborting;

	viommu_init(st, st->pool, st->pool_cap);
	st->ep_aborting = aborting;
}

void viommu_set_aborting(struct viommu_state *st, unsigned ep, bool aborting)
{
	if (ep >= VIOMMU_MAX_ENDPOINTS)
		return;
	if (aborting)
		st->ep_aborting |= 1U << ep;
	else
		st->ep_aborting &= ~(1U << ep);
}

int viommu_find_domain(const struct viommu_state *st, u32 id)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (st->dom[i].used && st->dom[i].id == id)
			return (int)i;
	return -1;
}

int viommu_find_endpoint(const struct viommu_ctx *ctx, u32 id)
{
	for (unsigned i = 0; i < ctx->n_ep; i++)
		if (ctx->ep[i].id == id)
			return (int)i;
	return -1;
}

static void destroy_domain(struct viommu_state *st, unsigned slot)
{
	struct viommu_domain *d = &st->dom[slot];

	viommu_tree_free(st, d->root);
	st->n_mappings -= d->n_mappings;
	memset(d, 0, sizeof(*d));
	st->n_domains--;
}

/* Take ep out of its domain, destroying the domain if it was the last endpoint. */
void viommu_leave_domain(struct viommu_state *st, unsigned ep)
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

/* ---- invariants ---- */

int viommu_state_check(const struct viommu_state *st, const struct viommu_ctx *ctx,
		       const char **why)
{
	unsigned n_domains = 0;
	size_t n_mappings = 0, free_nodes = 0, tree_nodes = 0;

	for (unsigned e = ctx->n_ep; e < VIOMMU_MAX_ENDPOINTS; e++)
		if (st->ep_dom[e] != VIOMMU_NO_DOMAIN)
			return viommu_fail(why, "attached endpoint beyond the VM's endpoints");
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS; s++) {
		const struct viommu_domain *d = &st->dom[s];
		unsigned eps = 0;
		size_t count;
		int ret;

		for (unsigned e = 0; e < ctx->n_ep; e++)
			eps += st->ep_dom[e] == s;
		if (!d->used) {
			if (eps)
				return viommu_fail(why, "endpoint in a free domain slot");
			continue;
		}
		n_domains++;
		if (!eps || eps != d->n_endpoints)
			return viommu_fail(why, "domain endpoint count wrong or zero");
		if (viommu_find_domain(st, d->id) != (int)s)
			return viommu_fail(why, "domain ID twice");
		if (d->id < ctx->domain_start || d->id > ctx->domain_end)
			return viommu_fail(why, "domain outside domain_range");
		if (d->bypass && d->root != VIOMMU_NIL)
			return viommu_fail(why, "bypass domain with mappings");
		ret = viommu_tree_check(st, ctx, s, &count, why);
		if (ret)
			return ret;
		if (count != d->n_mappings)
			return viommu_fail(why, "domain mapping count wrong");
		n_mappings += count;
	}
	if (n_domains != st->n_domains || n_domains > ctx->limits.domains)
		return viommu_fail(why, "domain count wrong or over the limit");
	if (n_mappings != st->n_mappings || n_mappings > ctx->limits.mappings)
		return viommu_fail(why, "mapping count wrong or over the limit");
	for (u32 i = st->free_head; i != VIOMMU_NIL; i = st->pool[i].left) {
		if (i >= st->pool_cap || st->pool[i].height || free_nodes > st->pool_cap)
			return viommu_fail(why, "free list corrupt");
		free_nodes++;
	}
	for (u32 i = 0; i < st->pool_cap; i++)
		tree_nodes += st->pool[i].height != 0;
	if (tree_nodes != n_mappings || free_nodes + n_mappings != st->pool_cap)
		return viommu_fail(why, "pool nodes lost or shared");
	return 0;
}
