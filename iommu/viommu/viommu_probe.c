/*
 * PROBE requests of the virtio-iommu device (iommu/viommu/viommu_req.h): an endpoint's properties,
 * its RESV_MEM regions, written into the device-writable area of probe_size bytes.
 */
#include "iommu/viommu/viommu_internal.h"

#include "core/lib/string.h"

#define PROBE_LEN sizeof(struct virtio_iommu_req_probe)

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
u8 viommu_prepare_probe(const struct viommu_ctx *ctx, const u8 *in, size_t in_len, u8 *out,
			size_t out_cap, size_t *tail_off)
{
	struct virtio_iommu_req_probe r;
	const struct viommu_endpoint *e;
	size_t need = (size_t)ctx->probe_size + VIOMMU_TAIL_SIZE;
	int ep;

	if (out_cap < need) {
		/* Spec: properties smaller than probe_size -> write none, INVAL. */
		*tail_off = out_cap - VIOMMU_TAIL_SIZE;
		return VIRTIO_IOMMU_S_INVAL;
	}
	*tail_off = ctx->probe_size;
	memset(out, 0, ctx->probe_size); /* unused space reads as zero (and as the end) */
	if (in_len < PROBE_LEN)
		return VIRTIO_IOMMU_S_INVAL;
	memcpy(&r, in, PROBE_LEN);
	/* reserved is ignored (spec: MUST). */
	ep = viommu_find_endpoint(ctx, r.endpoint);
	if (ep < 0)
		return VIRTIO_IOMMU_S_NOENT;
	e = &ctx->ep[ep];
	/* viommu_ctx_check made sure they all fit. */
	for (unsigned i = 0; i < e->n_resv; i++)
		write_resv(out + i * VIOMMU_RESV_PROP_SIZE, &e->resv[i]);
	return VIRTIO_IOMMU_S_OK;
}
