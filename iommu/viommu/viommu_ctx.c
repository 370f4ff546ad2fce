/*
 * The virtio-iommu device's context checked (iommu/viommu/viommu_req.h, viommu_ctx_check): what
 * the request rules rely on in struct viommu_ctx, the VM and device as the module sees
 * them: a granule, sane ranges, unique endpoints with RESV_MEM regions Linux accepts, and
 * aligned, disjoint RAM and MMIO regions.
 */
#include "iommu/viommu/viommu_internal.h"

/* ---- the context ---- */

static int check_regions(const struct viommu_region *r, unsigned n, u64 g, const char **why)
{
	if (n > VIOMMU_MAX_REGIONS)
		return viommu_fail(why, "too many regions");
	for (unsigned i = 0; i < n; i++) {
		if (!r[i].size || r[i].base.v > VIOMMU_U64_MAX - (r[i].size - 1))
			return viommu_fail(why, "region empty or wrapping");
		if (!IS_ALIGNED(r[i].base.v, g) || !IS_ALIGNED(r[i].size, g))
			return viommu_fail(why, "region not aligned to the granule");
	}
	return 0;
}

static bool regions_disjoint(const struct viommu_region *a, unsigned na,
			     const struct viommu_region *b, unsigned nb, bool same)
{
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = same ? i + 1 : 0; j < nb; j++)
			if (viommu_overlaps(a[i].base.v, viommu_region_last(&a[i]), b[j].base.v,
					    viommu_region_last(&b[j])))
				return false;
	return true;
}

static int check_endpoint(const struct viommu_ctx *ctx, const struct viommu_endpoint *ep,
			  const char **why)
{
	unsigned msi = 0;

	if (ep->n_resv > VIOMMU_MAX_RESV || (ep->n_resv && !ep->resv))
		return viommu_fail(why, "too many RESV_MEM regions");
	if (viommu_has(ctx, VIRTIO_IOMMU_F_PROBE) &&
	    ep->n_resv * VIOMMU_RESV_PROP_SIZE > ctx->probe_size)
		return viommu_fail(why, "RESV_MEM properties do not fit in probe_size");
	for (unsigned i = 0; i < ep->n_resv; i++) {
		const struct viommu_resv *r = &ep->resv[i];

		/* Linux rejects [0, 2^64-1] and fails the whole endpoint. */
		if (r->start.v > r->end.v || (r->start.v == 0 && r->end.v == VIOMMU_U64_MAX))
			return viommu_fail(why, "RESV_MEM region empty or covering everything");
		if (r->subtype != VIRTIO_IOMMU_RESV_MEM_T_RESERVED &&
		    r->subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI)
			return viommu_fail(why, "RESV_MEM subtype unknown");
		msi += r->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI;
		for (unsigned j = i + 1; j < ep->n_resv; j++)
			if (viommu_overlaps(r->start.v, r->end.v, ep->resv[j].start.v,
					    ep->resv[j].end.v))
				return viommu_fail(why, "RESV_MEM regions overlap");
	}
	if (msi > 1)
		return viommu_fail(why, "more than one MSI region");
	return 0;
}

int viommu_ctx_check(const struct viommu_ctx *ctx, const char **why)
{
	u64 g = viommu_granule(ctx);
	int ret;

	if (!ctx->page_size_mask)
		return viommu_fail(why, "page_size_mask is 0");
	if (viommu_has(ctx, VIRTIO_IOMMU_F_BYPASS))
		return viommu_fail(why, "legacy BYPASS feature");
	if (ctx->input_start.v > ctx->input_end.v ||
	    (ctx->input_start.v == 0 && ctx->input_end.v == VIOMMU_U64_MAX))
		return viommu_fail(why, "input_range empty or the whole 64-bit space");
	if (ctx->domain_start > ctx->domain_end)
		return viommu_fail(why, "domain_range empty");
	if (ctx->probe_size % 8)
		return viommu_fail(why, "probe_size not a multiple of 8");
	if (ctx->n_ep > VIOMMU_MAX_ENDPOINTS || (ctx->n_ep && !ctx->ep))
		return viommu_fail(why, "too many endpoints");
	for (unsigned i = 0; i < ctx->n_ep; i++) {
		for (unsigned j = i + 1; j < ctx->n_ep; j++)
			if (ctx->ep[i].id == ctx->ep[j].id)
				return viommu_fail(why, "endpoint ID twice");
		ret = check_endpoint(ctx, &ctx->ep[i], why);
		if (ret)
			return ret;
	}
	if ((ctx->n_ram && !ctx->ram) || (ctx->n_mmio && !ctx->mmio))
		return viommu_fail(why, "region table missing");
	ret = check_regions(ctx->ram, ctx->n_ram, g, why);
	if (!ret)
		ret = check_regions(ctx->mmio, ctx->n_mmio, g, why);
	if (ret)
		return ret;
	if (!regions_disjoint(ctx->ram, ctx->n_ram, ctx->ram, ctx->n_ram, true) ||
	    !regions_disjoint(ctx->mmio, ctx->n_mmio, ctx->mmio, ctx->n_mmio, true) ||
	    !regions_disjoint(ctx->ram, ctx->n_ram, ctx->mmio, ctx->n_mmio, false))
		return viommu_fail(why, "regions overlap");
	return 0;
}
