/*
 * A VM's virtio-iommu device (docs/viommu.md): the virtio-mmio slot, the request model of
 * iommu/viommu/viommu_req.h, and the replay of its operations into the physical SMMU, nested over
 * the VM's stage 2 where the SMMU has both stages, stage 1 only otherwise. One lock per
 * device serialises the guest's accesses, SMMU fault reports and resets.
 */
#ifndef IOMMU_VIOMMU_DEV_H
#define IOMMU_VIOMMU_DEV_H

#include "core/lib/types.h"

struct vm;
struct smmu_event;

struct vm_device_ops;

/* The device of a VM whose config asks for one (core/vm/vm_device.h), after vPCI:
 * - init creates it; start puts every endpoint in the state of an endpoint in no domain
 *   (abort, or identity over the VM's RAM when the config field bypass is 1);
 * - stop resets it (every domain and mapping gone from the SMMU, bypass back to 0);
 * - an SMMU event on a stream of the VM becomes a fault event on its event queue;
 * - stats: a line of counters, and with measure-costs one of where the time of serving
 *   requests goes (under QEMU's -icount shift=0: hypervisor instructions). */
extern const struct vm_device_ops viommu_device;

#endif
