/*
 * A VM's virtio-iommu device (docs/viommu.md): the virtio-mmio slot, the request model of
 * iommu/viommu/viommu_req.h, and the replay of its operations into the physical SMMU, nested over
 * the VM's stage 2 where the SMMU has both stages, stage 1 only otherwise. One lock per
 * device serialises the guest's accesses, SMMU fault reports and resets.
 */
#ifndef CORE_VIOMMU_H
#define CORE_VIOMMU_H

#include "core/lib/types.h"

struct vm;
struct smmu_event;

/* Create the device of a VM whose config asks for one (nothing otherwise): after
 * vpci_vm_init and vm_iommu_init. Returns 0 or -E_*, logged. */
int viommu_vm_init(struct vm *vm);
/* Whether the VM has one: its devices' streams are then the guest's to program. */
bool viommu_present(const struct vm *vm);
/* Put every endpoint in the state of an endpoint in no domain (abort, or identity over
 * the VM's RAM when the config field bypass is 1): the VM's boot. 0 or -E_*. */
int viommu_vm_start(struct vm *vm);
/* Device reset for a VM that stops or restarts: every domain and mapping gone from the
 * SMMU, the config field bypass back to 0. */
void viommu_vm_reset(struct vm *vm);
/* An SMMU event on a stream of this VM: a fault event on the device's event queue. */
void viommu_report_event(struct vm *vm, const struct smmu_event *ev);
/* One line of counters for the prompt's `stats` into buf (no newline); false if the VM has
 * no device. */
bool viommu_stats_line(struct vm *vm, char *buf, size_t len);
/* One line of where the time of serving requests goes, ns per request (under QEMU's
 * -icount shift=0: hypervisor instructions). */
bool viommu_cost_line(struct vm *vm, char *buf, size_t len);

#endif
