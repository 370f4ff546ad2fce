/*
 * Where a virtio-iommu's ops (iommu/viommu/viommu_req.h) are carried out: the SMMU
 * (iommu/viommu/viommu_smmu.c), or a double in the host tests and the fuzzer
 * (tests/unit/test_viommu_hw.h). The replay and its undo are written once, here, against
 * this interface; each op names its domain's slot, which is the state's and the backend's.
 * Each returns 0 or -E_*: -E_NOMEM becomes the request's NOMEM, anything else DEVERR.
 */
#ifndef IOMMU_VIOMMU_BACKEND_H
#define IOMMU_VIOMMU_BACKEND_H

#include "iommu/viommu/viommu_req.h"

struct viommu_backend_ops {
	int (*create)(void *hw, const struct viommu_op *op);
	int (*attach)(void *hw, const struct viommu_op *op);
	int (*detach)(void *hw, const struct viommu_op *op);
	int (*map)(void *hw, const struct viommu_op *op);
	int (*unmap)(void *hw, const struct viommu_op *op);
	/* May fail (the invalidation did not complete): the tables then stay. */
	int (*destroy)(void *hw, const struct viommu_op *op);
};

struct viommu_backend {
	const struct viommu_backend_ops *ops;
	void *hw;
};

/* One op. 0 or -E_*. */
int viommu_replay_op(const struct viommu_backend *b, const struct viommu_op *op);
/* Carry out a request's ops in order; at the first that fails, undo the ones before it
 * (MAP pieces unmapped, a domain it created destroyed) and return NOMEM or DEVERR for
 * viommu_commit; else OK. */
u8 viommu_replay(const struct viommu_backend *b, const struct viommu_txn *t);

#endif
