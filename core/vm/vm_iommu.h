/*
 * Isolation of a VM's PCI devices by the SMMU (docs/architecture.md "Devices"). Without a
 * virtio-iommu, a device's DMA is translated like the VM's CPUs' accesses: guest-physical to
 * physical over the VM's RAM, plus the MSI doorbell (docs/msi.md), and nothing else. The
 * devices have a hypervisor-owned table of their own for that (stage 2 with the VM's VMID,
 * or stage 1 if the SMMU has no stage 2). A device's stream aborts before its VM starts and
 * whenever the VM is stopped or reset.
 */
#ifndef CORE_VM_IOMMU_H
#define CORE_VM_IOMMU_H

#include "core/lib/types.h"
#include "core/vm/vm.h"
#include "core/vm/vmconfig.h"

/* Table pages of a VM's devices' table (RAM mapped with blocks). */
#define DMA_TABLE_PAGES 1024

struct vm;
struct pci_dev;

/* The VM's i-th passed-through PCI device (cfg->pci_bdf[i]; vpci_check_configs saw that it
 * exists, NULL only if enumeration lost it). */
const struct pci_dev *vm_pci_dev(const struct vm *vm, unsigned i);
/* A range of the VM's device memory its devices may reach too (peer to peer): a page
 * range of its PCI devices' memory BARs, which it sees at their physical addresses. */
struct vm_bar_range {
	u64 base, size;
};
#define VM_MAX_BAR_RANGES (VM_MAX_PCI * 6)
/* The VM's devices' memory BARs as page ranges, sorted, those that share or touch pages
 * merged; returns how many (at most VM_MAX_BAR_RANGES). */
unsigned vm_pci_bar_ranges(const struct vm *vm, struct vm_bar_range *r);
/* Build what the VM's streams translate with, and check the SMMU is there for a VM that has
 * devices. Returns 0 or -E_*. */
int vm_iommu_init(struct vm *vm);
/* Point every stream of the VM at its translation, then let the devices master. */
int vm_iommu_attach(struct vm *vm);
/* Point one of the VM's streams at the isolation-mode translation (identity over its RAM,
 * its MMIO and its devices' BARs, and the MSI doorbell): also what a virtio-iommu bypass
 * domain is. 0 or -E_*. */
int vm_iommu_identity(struct vm *vm, u32 sid);
/* Stop the devices mastering and make their streams abort (VM stop or reset). */
void vm_iommu_detach(struct vm *vm);
/* Name the owner of SMMU events (called once at boot). */
void vm_iommu_report_events(void);
/* Fault storms: a VM whose devices make more than STORM_EVENTS SMMU events within
 * STORM_WINDOW_US has their streams paused (smmu_pause_stream: aborted, recording nothing),
 * so that the one event queue all VMs share keeps room for the others' faults. A pause
 * lasts STORM_PAUSE_MIN_MS, twice as long each time the storm starts again within
 * STORM_AGAIN_MS of the last pause's end (up to STORM_PAUSE_MAX_MS: a device that faults on
 * every transfer bursts into the queue ever more rarely), and ends on one of the VM's own
 * CPUs: on an exit of one of its vCPUs once the time is up (vm_iommu_storm_check).
 * Stopping the VM ends it too. */
#define STORM_WINDOW_US 10000
#define STORM_EVENTS 64
#define STORM_PAUSE_MIN_MS 10
#define STORM_PAUSE_MAX_MS 60000
#define STORM_AGAIN_MS 1000
void vm_iommu_storm_resume_due(struct vm *vm);
static inline void vm_iommu_storm_check(struct vm *vm)
{
	if (__builtin_expect(__atomic_load_n(&vm->storm.paused, __ATOMIC_RELAXED), 0))
		vm_iommu_storm_resume_due(vm);
}

#endif
