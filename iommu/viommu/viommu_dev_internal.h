/*
 * What iommu/viommu/viommu_dev.c (the device: transport, config space, faults, counters) and
 * iommu/viommu/viommu_smmu.c (its ops replayed into the SMMU) share. Not for other files.
 */
#ifndef IOMMU_VIOMMU_DEV_INTERNAL_H
#define IOMMU_VIOMMU_DEV_INTERNAL_H

#include "arch/pmu.h"
#include "core/lib/handoff.h"
#include "core/lib/spinlock.h"
#include "core/virtio/virtio_mmio.h"
#include "core/vm/vmconfig.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_regs.h"
#include "iommu/viommu/viommu_backend.h"
#include "iommu/viommu/viommu_req.h"
#include "iommu/viommu/virtio_iommu_abi.h"

struct vm;

#define VIOMMU_IAS 48U /* input (IOVA) bits: a 4-level stage-1 table */
/* The nested stage 2 of a VM's devices is tagged with its own VMID, never the CPU's. */
#define VIOMMU_VMID_BASE 0x100U
/* Domain slot s of VM v uses ASID VIOMMU_ASID_BASE + v * VIOMMU_MAX_ENDPOINTS + s. */
#define VIOMMU_ASID_BASE 0x100U

/* The hardware side of one domain. */
struct hw_domain {
	bool used;
	bool bypass;     /* identity over the VM's RAM: no table */
	u32 id;
	struct pgtable pgt; /* its tlb_ctx: this hw_domain */
	struct viommu_dev *dev;
	u16 vmid, asid;     /* what tags its TLB entries */
};

/* Where the hypervisor's time goes (docs/performance.md), in cost_now() units (EL2
 * instructions under QEMU's -icount): each part of serving requests, by request type.
 * Counted only when the VM's config says measure-costs (viommu_now()). */
enum cost_part { COST_VALIDATE, COST_TABLE, COST_TLBI, COST_PARTS };

struct viommu_stats {
	u64 requests[VIRTIO_IOMMU_T_PROBE + 1]; /* by type; [0]: unknown types */
	u64 refused[VIRTIO_IOMMU_T_PROBE + 1];  /* status other than OK */
	u64 syncs;                              /* CMD_SYNCs for batches */
	u64 faults_sent;
	u64 cost[VIRTIO_IOMMU_T_PROBE + 1][COST_PARTS];
	u64 tlbi_cost;   /* running: the domains' TLB maintenance, split by handle() */
	u64 sync_cost;   /* the batches' CMD_SYNCs and table frees */
	u64 notifies;    /* QueueNotify writes */
	u64 notify_cost; /* in the device's handler */
	u64 exit_cost;   /* the notifying exits whole: trap, handler and return to the guest */
};

struct viommu_dev {
	spinlock_t lock;
	struct handoff faults; /* SMMU events waiting for the lock (iommu/viommu/viommu_dev.c) */
	struct vm *vm;
	bool timed; /* the VM's measure-costs: fill stats.cost and the other costs */
	struct virtio_mmio t;
	struct virtio_iommu_config cfg;
	struct viommu_ctx ctx;
	struct viommu_state st;
	struct viommu_backend hw; /* viommu_smmu_ops over this device */
	struct viommu_endpoint ep[VIOMMU_MAX_ENDPOINTS];
	/* With MSIs, every endpoint's RESV_MEM: the doorbell, which every paging domain maps
	 * (at its guest-physical address) and no MAP or UNMAP of the guest's may touch */
	struct viommu_resv msi_resv;
	u32 ep_sid[VIOMMU_MAX_ENDPOINTS];
	/* The VM's MMIO regions, its devices' BARs (peer to peer), and, with MSIs, the
	 * doorbell page (describe_vm) */
	struct viommu_region ram[VM_MAX_RAM], mmio[VIOMMU_MAX_REGIONS];
	pa_t ram_pa[VM_MAX_RAM], mmio_pa[VIOMMU_MAX_REGIONS];
	struct hw_domain dom[VIOMMU_MAX_ENDPOINTS];
	/* Table pages: one physically contiguous arena. Page 0 holds the domains' context
	 * descriptors (nested), the others the tables, handed out by `taken`. */
	pa_t arena;
	u32 arena_pages;
	u64 *taken; /* bit per arena page */
	unsigned scan; /* taken[] words below it are full */
	struct pgt_pool tables;
	/* Nested: the devices' stage 2 (the VM's RAM and MMIO as the CPU's, plus the arena
	 * read-only at `window`), which the SMMU walks the CDs and stage-1 tables through. */
	bool nested;
	struct pgtable s2;
	struct pgt_pool s2_pool;
	ipa_t window;
	/* Invalidations issued but not yet synced, and table pages waiting for that sync. */
	bool sync_owed;
	pa_t freed;
	/* The domains' TLBI commands, written to the command queue with that CMD_SYNC (or
	 * before, when more would not fit): one lock and one PROD write for both. If writing
	 * them before failed, stage_err makes that sync fail too: they never reached the SMMU. */
	struct smmu_cmd staged[2 * SMMU_TLBI_MAX_CMDS];
	unsigned n_staged;
	int stage_err;
	/* Slots whose last domain's ASID invalidation failed: invalidated again first. */
	bool stale[VIOMMU_MAX_ENDPOINTS];
	unsigned long leak_reports, sync_failures;
	/* The notification being served: its requests, and where each one's status lies. */
	struct viommu_batch batch;
	unsigned long refusals;
	unsigned long queue_errors; /* broken queues (sampled in the log) */
	struct viommu_stats stats;
};

/* A cost counter reading when the device measures its costs, else 0 (nothing counted). */
static inline cost_t viommu_now(const struct viommu_dev *d) { return d->timed ? cost_now() : 0; }

/* The arena, the mapping nodes and (nested) the devices' stage 2, from the VM's config. */
int viommu_tables_init(struct viommu_dev *d);
/* The ops of iommu/viommu/viommu_backend.h on the SMMU (hw: the struct viommu_dev). */
extern const struct viommu_backend_ops viommu_smmu_ops;
/* An endpoint in no domain: identity over the VM's RAM (bypass), or abort. */
int viommu_unattached(struct viommu_dev *d, unsigned ep, bool bypass);
/* The staged TLBI commands and a CMD_SYNC, then the table pages the invalidations freed go
 * back to the arena. */
int viommu_sync_now(struct viommu_dev *d);

#endif
