/* The replay of a request's ops into a backend, and its undo (iommu/viommu/viommu_backend.h). */
#include "iommu/viommu/viommu_backend.h"

#include "core/lib/errno.h"

int viommu_replay_op(const struct viommu_backend *b, const struct viommu_op *op)
{
	switch (op->kind) {
	case VIOMMU_OP_CREATE:
		return b->ops->create(b->hw, op);
	case VIOMMU_OP_ATTACH:
		return b->ops->attach(b->hw, op);
	case VIOMMU_OP_DETACH:
		return b->ops->detach(b->hw, op);
	case VIOMMU_OP_MAP:
		return b->ops->map(b->hw, op);
	case VIOMMU_OP_UNMAP:
		return b->ops->unmap(b->hw, op);
	case VIOMMU_OP_DESTROY:
		return b->ops->destroy(b->hw, op);
	}
	return -E_INVAL;
}

/* Undo ops[0 .. n) of a request that failed: its MAP pieces and the domain it created. A
 * failed ATTACH or DETACH left its stream aborting, which the state does not say: the
 * request's status is then DEVERR. */
static void undo(const struct viommu_backend *b, const struct viommu_txn *t, unsigned n)
{
	while (n-- > 0) {
		const struct viommu_op *op = &t->op[n];

		if (op->kind == VIOMMU_OP_MAP) {
			struct viommu_op unmap = { .kind = VIOMMU_OP_UNMAP, .domain = op->domain,
						   .slot = op->slot, .iova = op->iova,
						   .size = op->size };

			b->ops->unmap(b->hw, &unmap);
		} else if (op->kind == VIOMMU_OP_CREATE) {
			struct viommu_op destroy = { .kind = VIOMMU_OP_DESTROY, .domain = op->domain,
						     .slot = op->slot };

			b->ops->destroy(b->hw, &destroy);
		}
	}
}

u8 viommu_replay(const struct viommu_backend *b, const struct viommu_txn *t)
{
	for (unsigned i = 0; i < t->n_op; i++) {
		int ret = viommu_replay_op(b, &t->op[i]);

		if (ret) {
			undo(b, t, i);
			return ret == -E_NOMEM ? VIRTIO_IOMMU_S_NOMEM : VIRTIO_IOMMU_S_DEVERR;
		}
	}
	return VIRTIO_IOMMU_S_OK;
}
