/*
 * State and helpers shared by the SMMUv3 driver's files (Arm IHI 0070; see smmuv3.h), and
 * by no one else:
 *   smmuv3.c         probe, reset and enable; the memory and lock helpers below
 *   smmuv3_strtab.c  the stream table and the stream states API (5.1, 5.2)
 *   smmuv3_cmdq.c    the command queue, CMD_SYNC, command and global error recovery (7.1,
 *                    7.5), TLB invalidation (4.4) and the pgt_tlb_ops
 *   smmuv3_evtq.c    the event and PRI queues (7.2 - 7.4, chapter 8) and the interrupts
 *
 * Locks: smmu.lock covers the command queue, the stream table, the CDs and GERRORN;
 * smmu.evt_lock the event and PRI queues (taken first when both are). Both are taken with
 * interrupts masked, since the event interrupt handler runs on CPU 0.
 */
#ifndef IOMMU_SMMUV3_INTERNAL_H
#define IOMMU_SMMUV3_INTERNAL_H

#include "core/lib/mmio.h"
#include "core/lib/spinlock.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_ste.h"

/* Every register handshake and every CMD_SYNC is bounded by this. */
#define SMMU_TIMEOUT_US 100000
/* Stream table: StreamIDs beyond 2^16 (a PCIe RID is 16 bits) are not configured and get
 * C_BAD_STREAMID. A 2-level table has 2^8 STEs (one PCI bus) per level-2 table. */
#define SMMU_MAX_SID_BITS 16
#define SMMU_SPLIT 8
#define SMMU_MAX_GROUPS (1U << (SMMU_MAX_SID_BITS - SMMU_SPLIT))

struct smmu_queue {
	u64 *base;
	unsigned bits;  /* log2 entries */
	unsigned words; /* u64 per entry */
	u32 prod, cons; /* index with the wrap bit (bit `bits`), as in the registers */
	u64 prod_reg, cons_reg;
};

/* 2^group_bits consecutive StreamIDs: a level-2 table (or a slice of the linear one), and
 * the context descriptors of those that translate at stage 1, both made on first use. */
struct ste_group {
	struct smmu_ste *ste;
	struct smmu_cd *cd;
	bool fresh; /* its L1 descriptor is new: the next CFGI_STE must not be leaf-only */
};

/* A stream smmu_pause_stream() stopped: the STE it aborts instead of, which every change
 * made meanwhile updates, and smmu_resume_stream() writes back. */
struct paused_stream {
	u32 sid;
	struct smmu_ste ste;
};
#define SMMU_MAX_PAUSED 16

struct smmu_state {
	u64 base;
	struct smmu_features f;
	bool enabled;
	bool coherent;
	bool two_level;
	bool needs_polling; /* an event or GERROR line is missing or unusable */
	unsigned sid_bits, group_bits;
	u64 *l1; /* a 2-level table's level-1 descriptors (5.1) */
	struct ste_group groups[SMMU_MAX_GROUPS];
	struct smmu_queue cmdq, evtq, priq;
	spinlock_t lock, evt_lock;
	smmu_event_fn handler;
	unsigned long events_logged; /* events no handler took */
	u64 gerror_counts[32]; /* each GERROR bit's occurrences (its log lines are sampled) */
	struct paused_stream paused[SMMU_MAX_PAUSED];
	unsigned n_paused;
	struct smmu_stats st;
};
extern struct smmu_state smmu;

static inline u32 smmu_rd32(u64 off) { return mmio_read32(smmu.base + off); }
static inline void smmu_wr32(u64 off, u32 v) { mmio_write32(smmu.base + off, v); }
static inline void smmu_wr64(u64 off, u64 v) { mmio_write64(smmu.base + off, v); }

/* ---- Queues (3.5): PROD and CONS hold an index and a wrap bit ---- */

static inline u32 smmu_q_mask(const struct smmu_queue *q)
{
	return (1U << (q->bits + 1)) - 1;
}

static inline u32 smmu_q_idx(const struct smmu_queue *q, u32 v)
{
	return v & ((1U << q->bits) - 1);
}

static inline u32 smmu_q_inc(const struct smmu_queue *q, u32 v)
{
	return (v + 1) & smmu_q_mask(q);
}

/* Entry v, to be read or written as the queue's kind of entry (struct smmu_cmd, ...). */
static inline void *smmu_q_slot(const struct smmu_queue *q, u32 v)
{
	return q->base + (u64)smmu_q_idx(q, v) * q->words;
}

/* smmuv3.c: the lock, visibility and allocation helpers. */
u64 smmu_lock_irqsave(spinlock_t *l);
void smmu_unlock_irqrestore(spinlock_t *l, u64 flags);
/* Make the CPU's writes to a structure the SMMU reads visible to it. */
void smmu_publish(const void *va, size_t len);
/* Zeroed pages, aligned to their size (6.3, *_BASE; 5.1, L2Ptr), published. NULL if none. */
void *smmu_alloc_zeroed(size_t bytes);

/* smmuv3_cmdq.c: called with smmu.lock held. */
/* Handle every active global error (GERROR ^ GERRORN) and acknowledge them in one GERRORN
 * write. Returns the bits handled. */
u32 smmu_gerror_handle_locked(void);
/* Queue n commands, then (if sync) a CMD_SYNC, and wait for it. */
int smmu_cmdq_issue(const struct smmu_cmd *cmds, unsigned n, bool sync);

/* smmuv3_strtab.c: make the (invalid) stream table and point the SMMU at it. */
int smmu_stream_table_init(void);

/* smmuv3_evtq.c: wire the SMMU's interrupts. Returns the IRQ_CTRL enables for the lines
 * that are wired. */
u32 smmu_irqs_setup(const struct plat_smmu *p);

#endif
