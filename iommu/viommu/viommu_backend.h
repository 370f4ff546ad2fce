/*
 * Where a virtio-iommu's ops (iommu/viommu/viommu_req.h) are carried out: the SMMU
 * (iommu/viommu/viommu_smmu.c), or a double in the host tests and the fuzzer
 * (tests/unit/test_viommu_hw.h). The replay and its undo are written once, here, against
 * this interface; each op names its domain's slot, which is the state's and the backend's.
 * Each returns 0 or -E_*: -E_NOMEM becomes the request's NOMEM, anything else DEVERR.
 *
 * What a failed op leaves is definite, so that the state can always say what the hardware
 * holds, and no table page is ever freed while a stream or a walker may still reach it:
 */
#ifndef IOMMU_VIOMMU_BACKEND_H
#define IOMMU_VIOMMU_BACKEND_H

#include "iommu/viommu/viommu_req.h"

struct viommu_backend_ops {
	/* Failed: nothing created, the slot still free. */
	int (*create)(void *hw, const struct viommu_op *op);
	/* Failed: the endpoint's stream aborts (it is in no domain any more). */
	int (*attach)(void *hw, const struct viommu_op *op);
	/* Failed: the endpoint's stream aborts, also where identity was asked for. */
	int (*detach)(void *hw, const struct viommu_op *op);
	/* Failed: nothing of this piece mapped. */
	int (*map)(void *hw, const struct viommu_op *op);
	/* Failed (its invalidation could not be issued): the entries are cleared all the
	 * same; the table pages they emptied are leaked, never freed. */
	int (*unmap)(void *hw, const struct viommu_op *op);
	/* Failed (its invalidation did not complete): the domain leaves its slot all the
	 * same; its table pages are leaked, never freed (a walker may still hold them). */
	int (*destroy)(void *hw, const struct viommu_op *op);
	/* Every invalidation issued so far has completed; the tables they were for are
	 * freed. Failed: those tables are leaked, never freed. */
	int (*sync)(void *hw);
};

struct viommu_backend {
	const struct viommu_backend_ops *ops;
	void *hw;
};

/* One op. 0 or -E_*. */
int viommu_replay_op(const struct viommu_backend *b, const struct viommu_op *op);
/*
 * Carry out a request's ops in order. OK when all succeed. Otherwise NOMEM or DEVERR for
 * viommu_commit, and t says how far the state follows: a failed CREATE or MAP (which come
 * before any op that changes what a stream uses) undoes the ops before it and changes
 * nothing; a failed ATTACH or DETACH leaves the endpoint's stream aborting
 * (t->ep_aborts): the domain the request created is destroyed, the rest carried on; a
 * failed UNMAP or DESTROY took effect all the same (t->hw_done).
 */
u8 viommu_replay(const struct viommu_backend *b, struct viommu_txn *t);

/* The requests of one notification, between its first request and its sync: at most one
 * queue's worth (core/virtio/virtqueue.h vq_process). */
#define VIOMMU_BATCH_MAX 256U
/* The requests of one notification, between its first request and its sync. */
struct viommu_batch {
	unsigned n;
	u64 needs_sync[(VIOMMU_BATCH_MAX + 63) / 64]; /* bit k: request k is complete only
						       * after the sync */
};

/* Request k = batch->n of the batch was t (its ops replayed and committed). */
void viommu_batch_add(struct viommu_batch *batch, const struct viommu_txn *t);
/*
 * The batch's one sync, if one is owed. When it fails, the requests whose completion
 * needed it are not OK: DEVERR is written at status[k] of each (status[k]: where request
 * k's status byte lies in the driver's buffer; NULL where it wrote none). Returns 0 or the
 * sync's error; the batch is empty again.
 */
int viommu_batch_sync(const struct viommu_backend *b, struct viommu_batch *batch, bool owed,
		      u8 *const *status);

#endif
