/* The replay of a request's ops into a backend, its undo and the batch's sync
 * (iommu/viommu/viommu_backend.h). */
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

/* Undo the CREATE and MAP ops among ops[0 .. n) of a request that failed: its MAP pieces
 * unmapped, the domain it created destroyed. No stream reaches what they made (a failed
 * ATTACH left its stream aborting), and a failed UNMAP or DESTROY still clears the entries
 * or the slot (leaking the tables), so the undo always ends where the state is. Returns 0,
 * or the first error (the request is then DEVERR: an invalidation is in doubt). */
static int undo(const struct viommu_backend *b, const struct viommu_txn *t, unsigned n)
{
	int err = 0, ret = 0;

	while (n-- > 0) {
		const struct viommu_op *op = &t->op[n];

		if (op->kind == VIOMMU_OP_MAP) {
			struct viommu_op unmap = { .kind = VIOMMU_OP_UNMAP, .domain = op->domain,
						   .slot = op->slot, .iova = op->iova,
						   .size = op->size };

			ret = b->ops->unmap(b->hw, &unmap);
		} else if (op->kind == VIOMMU_OP_CREATE) {
			struct viommu_op destroy = { .kind = VIOMMU_OP_DESTROY, .domain = op->domain,
						     .slot = op->slot };

			ret = b->ops->destroy(b->hw, &destroy);
		}
		err = err ? err : ret;
	}
	return err;
}

static u8 status_of(int err)
{
	return err == -E_NOMEM ? VIRTIO_IOMMU_S_NOMEM : VIRTIO_IOMMU_S_DEVERR;
}

/* ops[i] failed. CREATE and MAP come before any op that changes what a stream uses:
 * nothing of the request happened once the ones before are undone. Returns whether the
 * replay stops there. */
static bool roll_back(const struct viommu_backend *b, struct viommu_txn *t, unsigned i, u8 *st)
{
	enum viommu_op_kind k = t->op[i].kind;

	if (k != VIOMMU_OP_CREATE && k != VIOMMU_OP_MAP)
		return false;
	if (undo(b, t, i))
		*st = VIRTIO_IOMMU_S_DEVERR;
	return true;
}

u8 viommu_replay(const struct viommu_backend *b, struct viommu_txn *t)
{
	u8 st = VIRTIO_IOMMU_S_OK;

	for (unsigned i = 0; i < t->n_op; i++) {
		const struct viommu_op *op = &t->op[i];
		int ret = viommu_replay_op(b, op);

		if (!ret)
			continue;
		st = st != VIRTIO_IOMMU_S_OK ? st : status_of(ret);
		if (roll_back(b, t, i, &st))
			return st;
		/* The rest goes on: the state must end where the hardware is. */
		t->hw_done = true;
		if (op->kind == VIOMMU_OP_ATTACH) {
			/* The stream aborts, in neither domain: the one this request created
			 * (ops before the ATTACH) is reached by no stream and goes. */
			t->ep_aborts = true;
			if (undo(b, t, i))
				st = VIRTIO_IOMMU_S_DEVERR;
		} else if (op->kind == VIOMMU_OP_DETACH) {
			t->ep_aborts = true;
		}
	}
	return st;
}

void viommu_batch_add(struct viommu_batch *batch, const struct viommu_txn *t)
{
	unsigned k = batch->n;

	if (k >= VIOMMU_BATCH_MAX)
		return;
	if (t->sync && t->used && t->status == VIRTIO_IOMMU_S_OK)
		batch->needs_sync[k / 64] |= 1ULL << (k % 64);
	batch->n = k + 1;
}

int viommu_batch_sync(const struct viommu_backend *b, struct viommu_batch *batch, bool owed,
		      u8 *const *status)
{
	int ret = owed ? b->ops->sync(b->hw) : 0;

	for (unsigned k = 0; ret && k < batch->n; k++)
		if ((batch->needs_sync[k / 64] >> (k % 64)) & 1 && status[k])
			*status[k] = VIRTIO_IOMMU_S_DEVERR;
	*batch = (struct viommu_batch){ 0 };
	return ret;
}
