/*
 * The SMMUv3 (Arm IHI 0070) that stands between PCIe devices and memory. Portcullis owns the
 * physical SMMU: from smmu_init() on, no DMA bypasses it. A stream (StreamID, sid) is in one
 * of these states, and moves only between them, never through bypass:
 *   unconfigured  STE invalid (V = 0), or no level-2 table: terminated, and recorded as
 *                 C_BAD_STE / C_BAD_STREAMID, so stray DMA from a device nobody owns is seen;
 *                 smmu_set_unconfigured() puts a stream back there (a virtio-iommu endpoint
 *                 in no domain, whose VM hears of each access as a DOMAIN fault);
 *   abort         smmu_set_abort(): terminated silently (STE.Config = abort);
 *   stage 2       smmu_set_s2(): translated by a stage-2 table of a VM's (its devices' own);
 *   stage 1       smmu_set_s1(): translated by a hypervisor-owned stage-1 table (SMMUs without
 *                 stage 2).
 * Knows the hardware and the table engine, never a VM: callers name VMIDs, ASIDs, tables.
 * The calls serialise on one lock and may be made from any CPU.
 */
#ifndef IOMMU_SMMUV3_H
#define IOMMU_SMMUV3_H

#include "core/platform/platform.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/smmuv3/smmuv3_regs.h"

/* Probe, reset and enable the SMMU p describes. Its first act makes all DMA abort
 * (GBPA.ABORT), also when firmware left it enabled; on any failure it stays so (disabled,
 * aborting), and the reason is logged. Returns 0, or -E_NODEV (absent or unusable),
 * -E_NOMEM, -E_TIMEOUT, -E_IO. */
int smmu_init(const struct plat_smmu *p);
bool smmu_present(void); /* smmu_init() succeeded */
bool smmu_has_s1(void);
bool smmu_has_s2(void);
/* ASID and VMID widths in bits: 16, or 8 without SMMU_IDR0.ASID16 / VMID16 (SMMUv3
 * §6.3.1); 0 with no SMMU in use. */
unsigned smmu_asid_bits(void);
unsigned smmu_vmid_bits(void);
/* Whether the SMMU's table walks snoop the CPU caches (IDR0.COHACC and the DT's
 * dma-coherent). If not, tables given to smmu_set_s1/s2 need clean_to_poc. */
bool smmu_walk_coherent(void);

/* Stream states (above). Each returns 0 once the SMMU uses the new state (the STE and its
 * invalidation are complete), or -E_NODEV, -E_RANGE (sid beyond the stream table, an
 * ASID/VMID too wide, a table the SMMU cannot walk), -E_INVAL, -E_NOMEM, -E_TIMEOUT,
 * -E_IO. On failure the stream is left aborting. */
int smmu_set_abort(u32 sid);
int smmu_set_unconfigured(u32 sid);
/* vmid 1..65535 (0 is reserved for hypervisor-owned stage-1 contexts): the VMID tagging
 * this stream's TLB entries (the VM's, on a table of its devices' own). */
int smmu_set_s2(u32 sid, u16 vmid, const struct pgtable *s2);
int smmu_set_s1(u32 sid, u16 asid, const struct pgtable *s1);
/* Write the context descriptor (5.4) of a stage-1 table into slot (64 bytes, aligned) and
 * make it visible to the SMMU: ASID asid, TTB0 = s1's root as its walker reads it
 * (root + walker_offset). For nested contexts, whose CDs the caller places. */
void smmu_write_cd(struct smmu_cd *slot, u16 asid, const struct pgtable *s1);
/* Nested (5.2, Config = 0b111): a guest-programmed stage-1 context over a stage 2. The CD
 * is read at cd_ipa through s2 (the caller wrote it there: smmu_cd_build, published), and
 * s1's table pointers are IPAs too. vmid tags both stages' TLB entries. Moving a stream
 * between two such contexts of one s2 is one store (no moment of abort). */
int smmu_set_nested(u32 sid, u16 vmid, const struct pgtable *s2, ipa_t cd_ipa);
/* Pausing a stream (a device whose faults flood the event queue): it aborts silently, as
 * in smmu_set_abort(), until smmu_resume_stream() gives it back the state it had, or the
 * one the calls above set meanwhile (they return 0 as soon as the hardware would have it,
 * their CDs and TLB invalidations done; only the STE waits). At most SMMU_MAX_PAUSED streams
 * at once (-E_NOMEM beyond). Pausing a paused stream, or resuming one that is not, does
 * nothing. 0 or -E_*, as above. */
int smmu_pause_stream(u32 sid);
int smmu_resume_stream(u32 sid);

/* TLB invalidation: queued, complete after smmu_sync(). [addr, addr + size) in 4 KiB
 * pages; leaf: only last-level entries changed (else walk caches too). Large ranges
 * become a whole-VMID / whole-ASID invalidation. Return 0 or -E_NODEV, -E_TIMEOUT. */
int smmu_tlbi_s2(u16 vmid, u64 ipa, u64 size, bool leaf);
/* Stage 1: vmid 0 for hypervisor-owned contexts (smmu_set_s1), the stage 2's VMID for
 * nested ones. */
int smmu_tlbi_s1(u16 vmid, u16 asid, u64 iova, u64 size, bool leaf);
int smmu_tlbi_s1_all(u16 vmid, u16 asid);
/* Wait until every command issued so far has completed (CMD_SYNC). 0, -E_TIMEOUT after
 * logging what was pending, or -E_IO if the SMMU rejected a command (logged, skipped). */
int smmu_sync(void);

/* For a caller that gathers invalidations and issues them later, with its CMD_SYNC: the
 * commands of smmu_tlbi_s1(vmid, asid, iova, size, leaf), at most SMMU_TLBI_MAX_CMDS, into
 * cmds; returns how many (0 for an empty range). */
#define SMMU_TLBI_MAX_CMDS 16
struct smmu_cmd;
unsigned smmu_tlbi_s1_cmds(struct smmu_cmd *cmds, u16 vmid, u16 asid, u64 iova, u64 size,
			   bool leaf);
/* Queue n commands and, with sync, a CMD_SYNC after them, published by one write of PROD
 * (SMMUv3 3.5); with sync, wait for it as smmu_sync() does. Returns as smmu_sync(). */
int smmu_issue(const struct smmu_cmd *cmds, unsigned n, bool sync);

/* For the table engine's break-before-make (struct pgtable.tlb): stage 2 with
 * tlb_ctx = smmu_tlb_ctx(0, vmid), stage 1 with tlb_ctx = smmu_tlb_ctx(vmid, asid). A VM's stage 2 is
 * walked by its CPUs too, so its owner chains these with the CPU's own invalidation. */
extern const struct pgt_tlb_ops smmu_s2_tlb_ops;
extern const struct pgt_tlb_ops smmu_s1_tlb_ops;
static inline void *smmu_tlb_ctx(u16 vmid, u16 asid)
{
	return (void *)(uintptr_t)(((u32)vmid << 16) | asid);
}
static inline u16 smmu_tlb_ctx_vmid(void *ctx) { return (u16)((uintptr_t)ctx >> 16); }
static inline u16 smmu_tlb_ctx_id(void *ctx) { return (u16)(uintptr_t)ctx; }

/* ---- Faults and events (7.3) ---- */
#define SMMU_EVF_ADDR BIT(0)   /* addr holds the input address */
#define SMMU_EVF_IPA BIT(1)    /* ipa holds the IPA of a stage-2 fault */
#define SMMU_EVF_FETCH BIT(2)  /* fetch holds the address of a failed structure fetch */
#define SMMU_EVF_ACCESS BIT(3) /* WRITE, PRIV and INSTR describe the transaction */
#define SMMU_EVF_WRITE BIT(4)  /* a write (else a read) */
#define SMMU_EVF_PRIV BIT(5)
#define SMMU_EVF_INSTR BIT(6)
#define SMMU_EVF_S2 BIT(7)    /* the fault is at stage 2 */
#define SMMU_EVF_CLASS BIT(8) /* cls says what the walk was doing */

struct smmu_event {
	u8 type;          /* EVT_* (iommu/smmuv3/smmuv3_regs.h) */
	const char *name; /* "F_TRANSLATION", ... */
	u32 sid;
	bool ssv;
	u32 ssid;
	u32 flags; /* SMMU_EVF_* */
	u8 cls;    /* EVT_CLASS_* */
	u64 addr;  /* the address the device used: an IOVA at stage 1, an IPA at stage 2 only */
	u64 ipa;
	u64 fetch;
	struct smmu_evt raw; /* the record as read */
};

/* Name of an event type ("F_TRANSLATION"); "IMPDEF" or "reserved" for the others. */
const char *smmu_event_name(unsigned type);

/* Called for every event record, once counted, from the event interrupt (CPU 0) or
 * smmu_poll(), with the event queue's lock held and interrupts masked: it may call
 * smmu_set_*() and the TLB calls, not smmu_poll(). NULL (the default): the driver logs the
 * first events itself. */
typedef void (*smmu_event_fn)(const struct smmu_event *ev);
void smmu_set_event_handler(smmu_event_fn fn);

/* Drain the event (and PRI) queue and handle global errors: the interrupt handler's work,
 * for a periodic path to call when interrupts are missing or as a backstop. */
void smmu_poll(void);
/* True when a wired interrupt is missing or unusable, so that smmu_poll() must run
 * periodically (core/boot/boot.c arms it on the EL2 timer). */
bool smmu_needs_polling(void);

struct smmu_stats {
	u64 cmds[CMD_OP_LIMIT]; /* commands issued, by opcode */
	u64 syncs, sync_ns_total, sync_ns_max, sync_timeouts;
	u64 cmd_errors;  /* commands the SMMU rejected (CMDQ_CONS.ERR), skipped */
	u64 queue_waits; /* times the command queue was full */
	u64 ste_writes;  /* STE updates (each a plan of one to three syncs) */
	u64 events, events_by_type[256];
	u64 event_overflows; /* event or PRI queue overflows (records lost) */
	u64 gerrors;     /* global errors reported (GERROR bits) */
	u64 pri_requests;
};
void smmu_get_stats(struct smmu_stats *out);

/* One or two lines for the boot summary: state, tables, queues, counters. */
void smmu_print_summary(void);

#endif
