/*
 * SMMUv3 driver (Arm IHI 0070; see smmuv3.h): probe, reset and enable, the register
 * handshakes (6.3), queue setup (3.5), and the driver state with its lock, visibility and
 * allocation helpers. The rest of the driver, and the locking rules, are listed in
 * smmuv3_internal.h; entry encodings come from the pure builders in smmuv3_ste.c.
 */
#include "iommu/smmuv3/smmuv3_internal.h"

#include "arch/arch.h"
#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/mmu.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "drivers/timer/poll.h"
#include "drivers/timer/timer.h"
#include "iommu/smmuv3/smmuv3_ste.h"

/* Queue sizes (log2 entries), capped by IDR1: the command and PRI queues a page each; the
 * event queue, which every VM's faults share, 4,096 records (128 KiB), room for the whole
 * burst of one faulting transfer (docs/livelock.md "Fault storms"). */
#define SMMU_CMDQ_BITS 8
#define SMMU_EVTQ_BITS 12
#define SMMU_PRIQ_BITS 8

struct smmu_state smmu = { .lock = SPINLOCK_INIT, .evt_lock = SPINLOCK_INIT };

u64 smmu_lock_irqsave(spinlock_t *l)
{
	u64 flags = irq_save();

	spin_lock(l);
	return flags;
}

void smmu_unlock_irqrestore(spinlock_t *l, u64 flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

/* Make the CPU's writes to a structure the SMMU reads visible to it. */
void smmu_publish(const void *va, size_t len)
{
	arch_table_write_barrier(va, len, !smmu.coherent);
}

void *smmu_alloc_zeroed(size_t bytes)
{
	/* Queues and tables are aligned to their size (6.3, *_BASE; 5.1, L2Ptr). */
	void *va = page_alloc_zeroed(bytes, 0);

	if (va)
		smmu_publish(va, ALIGN_UP(bytes, PAGE_SIZE));
	return va;
}

/* ---- Register handshakes (6.3) ---- */

static int write_ack(u64 reg, u64 ack, u32 val, u32 mask, const char *what)
{
	smmu_wr32(reg, val);
	return mmio_poll32(smmu.base + ack, mask, val & mask, SMMU_TIMEOUT_US, what);
}

#define CR0_ALL (CR0_SMMUEN | CR0_PRIQEN | CR0_EVENTQEN | CR0_CMDQEN | CR0_ATSCHK)

static int cr0_write(u32 val)
{
	return write_ack(ARM_SMMU_CR0, ARM_SMMU_CR0ACK, val, CR0_ALL, "SMMU_CR0ACK");
}

/* GBPA changes only through its Update handshake (6.3, SMMU_GBPA): wait for any update in
 * flight, write the new value with Update set, wait for Update to clear. */
static int gbpa_abort(void)
{
	u64 gbpa = smmu.base + ARM_SMMU_GBPA;

	if (mmio_poll32(gbpa, GBPA_UPDATE, 0, SMMU_TIMEOUT_US, "SMMU_GBPA.Update (before)"))
		return -E_TIMEOUT;
	mmio_write32(gbpa, mmio_read32(gbpa) | GBPA_ABORT | GBPA_UPDATE);
	if (mmio_poll32(gbpa, GBPA_UPDATE, 0, SMMU_TIMEOUT_US, "SMMU_GBPA.Update"))
		return -E_TIMEOUT;
	return (mmio_read32(gbpa) & GBPA_ABORT) ? 0 : -E_IO;
}

/* ---- Queues (3.5) ---- */

static int queue_init(struct smmu_queue *q, unsigned bits, unsigned words, u64 base_reg,
		      u64 prod_reg, u64 cons_reg)
{
	*q = (struct smmu_queue){ .bits = bits, .words = words, .prod_reg = prod_reg,
				  .cons_reg = cons_reg };
	q->base = smmu_alloc_zeroed((sizeof(u64) * words) << bits);
	if (!q->base)
		return -E_NOMEM;
	smmu_wr64(base_reg, (va_to_pa(q->base).v & Q_BASE_ADDR) | FIELD_PREP(Q_BASE_LOG2SIZE, bits) |
			       (smmu.coherent ? Q_BASE_RWA : 0));
	smmu_wr32(prod_reg, 0);
	smmu_wr32(cons_reg, 0);
	return 0;
}

/* ---- Probe and reset ---- */

static int check_features(void)
{
	const struct smmu_features *f = &smmu.f;
	const char *why = !f->aarch64_tables ? "no AArch64 table format"
			: !f->le_tables ? "big-endian table walks only"
			: !f->gran4k ? "no 4 KiB granule"
			: !f->s1 && !f->s2 ? "no translation stage"
			: f->queues_preset || f->tables_preset ? "preset queue or table addresses"
			: !f->oas_bits ? "a reserved output size"
			: f->cmdq_bits < 5 ? "a command queue of under 32 entries" : NULL;

	if (!why)
		return 0;
	log_err("SMMUv3: unusable (%s): DMA through it stays aborted\n", why);
	return -E_NODEV;
}

/* Configuration and TLB caches may hold anything from before the reset: drop it all
 * before SMMUEN (CFGI_ALL, TLBI_NSNH_ALL, and TLBI_EL2_ALL where there is an EL2 world). */
static int invalidate_all(void)
{
	struct smmu_cmd cmds[3];
	u64 flags, t0 = timer_counter(), ns;
	unsigned n = 0;
	int ret;

	smmu_cmd_cfgi_all(&cmds[n++]);
	smmu_cmd_tlbi_nsnh_all(&cmds[n++]);
	if (smmu.f.hyp)
		smmu_cmd_tlbi_el2_all(&cmds[n++]);
	flags = smmu_lock_irqsave(&smmu.lock);
	ret = smmu_cmdq_issue(cmds, n, true);
	smmu_unlock_irqrestore(&smmu.lock, flags);
	ns = (timer_counter() - t0) * 1000000000ULL / timer_frequency();
	if (!ret)
		log_info("SMMUv3: CFGI_ALL + TLBI_NSNH_ALL%s + CMD_SYNC completed in %lu ns\n",
			 smmu.f.hyp ? " + TLBI_EL2_ALL" : "", ns);
	return ret;
}

static int reset(const struct plat_smmu *p)
{
	u32 cr0 = CR0_CMDQEN, irq_ctrl, gerror;
	int ret;

	/* Everything off (DMA now aborts by GBPA), interrupts off, stale errors acknowledged. */
	if (cr0_write(0) || write_ack(ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, 0, ~0U,
				      "SMMU_IRQ_CTRLACK"))
		return -E_TIMEOUT;
	gerror = (smmu_rd32(ARM_SMMU_GERROR) ^ smmu_rd32(ARM_SMMU_GERRORN)) & GERROR_ALL;
	if (gerror)
		log_warn("SMMUv3: global errors %x were active before the reset\n", gerror);
	smmu_wr32(ARM_SMMU_GERRORN, smmu_rd32(ARM_SMMU_GERROR));
	/* Wired interrupts only: an MSI address of 0 sends none (6.3, *_IRQ_CFG0). */
	if (smmu.f.msi) {
		smmu_wr64(ARM_SMMU_GERROR_IRQ_CFG0, 0);
		smmu_wr64(ARM_SMMU_EVENTQ_IRQ_CFG0, 0);
		if (smmu.f.pri)
			smmu_wr64(ARM_SMMU_PRIQ_IRQ_CFG0, 0);
	}
	ret = smmu_stream_table_init();
	ret = ret ? ret : queue_init(&smmu.cmdq, MIN(SMMU_CMDQ_BITS, smmu.f.cmdq_bits), CMD_WORDS,
				     ARM_SMMU_CMDQ_BASE, ARM_SMMU_CMDQ_PROD, ARM_SMMU_CMDQ_CONS);
	ret = ret ? ret : queue_init(&smmu.evtq, MIN(SMMU_EVTQ_BITS, smmu.f.eventq_bits),
				     EVT_WORDS, ARM_SMMU_EVENTQ_BASE, ARM_SMMU_EVENTQ_PROD,
				     ARM_SMMU_EVENTQ_CONS);
	if (!ret && smmu.f.pri)
		ret = queue_init(&smmu.priq, MIN(SMMU_PRIQ_BITS, smmu.f.priq_bits), PRIQ_WORDS,
				 ARM_SMMU_PRIQ_BASE, ARM_SMMU_PRIQ_PROD, ARM_SMMU_PRIQ_CONS);
	if (ret)
		return ret;
	/* Tables and queues in cacheable inner-shareable memory if the SMMU snoops, else
	 * non-cacheable (their lines are cleaned to PoC). */
	smmu_wr32(ARM_SMMU_CR1, smmu.coherent ?
		     FIELD_PREP(CR1_QUEUE_IC, CR1_CACHE_WB) | FIELD_PREP(CR1_QUEUE_OC, CR1_CACHE_WB) |
		     FIELD_PREP(CR1_QUEUE_SH, SMMU_SH_ISH) | FIELD_PREP(CR1_TABLE_IC, CR1_CACHE_WB) |
		     FIELD_PREP(CR1_TABLE_OC, CR1_CACHE_WB) | FIELD_PREP(CR1_TABLE_SH, SMMU_SH_ISH) :
		     FIELD_PREP(CR1_QUEUE_IC, CR1_CACHE_NC) | FIELD_PREP(CR1_QUEUE_OC, CR1_CACHE_NC) |
		     FIELD_PREP(CR1_QUEUE_SH, SMMU_SH_OSH) | FIELD_PREP(CR1_TABLE_IC, CR1_CACHE_NC) |
		     FIELD_PREP(CR1_TABLE_OC, CR1_CACHE_NC) | FIELD_PREP(CR1_TABLE_SH, SMMU_SH_OSH));
	/* Record out-of-range StreamIDs; do not let the CPUs' broadcast TLBIs (guests'
	 * included) reach the SMMU's TLBs: every invalidation is an explicit command. */
	smmu_wr32(ARM_SMMU_CR2, CR2_RECINVSID | CR2_PTM);

	if (cr0_write(cr0))
		return -E_TIMEOUT;
	ret = invalidate_all();
	if (ret)
		return ret;
	cr0 |= CR0_EVENTQEN | (smmu.priq.base ? CR0_PRIQEN : 0);
	if (cr0_write(cr0))
		return -E_TIMEOUT;
	irq_ctrl = smmu_irqs_setup(p);
	if (write_ack(ARM_SMMU_IRQ_CTRL, ARM_SMMU_IRQ_CTRLACK, irq_ctrl, ~0U, "SMMU_IRQ_CTRLACK"))
		return -E_TIMEOUT;
	/* From here the stream table decides: every stream is terminated until configured. */
	return cr0_write(cr0 | CR0_SMMUEN);
}

int smmu_init(const struct plat_smmu *p)
{
	static const u64 idr_regs[] = { ARM_SMMU_IDR0, ARM_SMMU_IDR1, ARM_SMMU_IDR2,
					ARM_SMMU_IDR3, ARM_SMMU_IDR4, ARM_SMMU_IDR5 };
	char line1[200], line2[200];
	u32 idr[6], cr0;
	int ret;

	if (!p->present)
		return -E_NODEV;
	if (p->size < 2 * ARM_SMMU_PAGE1) {
		log_err("SMMUv3 at %lx: register frame of %lx bytes has no page 1\n", p->base.v,
			p->size);
		return -E_NODEV;
	}
	ret = mmu_map_device(p->base, 2 * ARM_SMMU_PAGE1);
	if (ret) {
		log_err("SMMUv3 at %lx: cannot map its registers (%s)\n", p->base.v, err_name(ret));
		return ret;
	}
	smmu.base = p->base.v;
	/* First of all, make DMA abort while the SMMU is disabled; then whatever firmware
	 * left enabled can be turned off without letting DMA bypass it. */
	cr0 = smmu_rd32(ARM_SMMU_CR0);
	ret = gbpa_abort();
	if (ret) {
		log_err("SMMUv3 at %lx: cannot set GBPA.ABORT (%s): left as found (CR0 %x)\n",
			smmu.base, err_name(ret), cr0);
		return ret;
	}
	if (cr0 & CR0_SMMUEN)
		log_warn("SMMUv3: firmware left it enabled (CR0 %x): taken over, DMA aborted "
			 "meanwhile\n", cr0);
	for (unsigned i = 0; i < ARRAY_SIZE(idr); i++)
		idr[i] = smmu_rd32(idr_regs[i]);
	smmu_features_decode(idr, smmu_rd32(ARM_SMMU_AIDR), &smmu.f);
	smmu_features_describe(&smmu.f, line1, sizeof(line1), line2, sizeof(line2));
	log_info("%s\n", line1);
	log_info("%s\n", line2);
	ret = check_features();
	if (ret)
		return ret;
	smmu.coherent = smmu.f.coherent && p->dma_coherent;
	if (smmu.f.coherent != p->dma_coherent)
		log_warn("SMMUv3: IDR0.COHACC %u but the device tree %s dma-coherent: treated as "
			 "non-coherent\n", smmu.f.coherent, p->dma_coherent ? "says" : "lacks");
	ret = reset(p);
	if (ret) {
		log_err("SMMUv3 at %lx: reset failed (%s): disabled, DMA through it aborts\n",
			smmu.base, err_name(ret));
		cr0_write(0);
		return ret;
	}
	smmu.enabled = true;
	log_info("SMMUv3 at %lx enabled: %s stream table for %u-bit StreamIDs, every stream "
		 "aborting; queues of %u commands, %u events%s\n", smmu.base,
		 smmu.two_level ? "2-level" : "linear", smmu.sid_bits, 1U << smmu.cmdq.bits,
		 1U << smmu.evtq.bits, smmu.priq.base ? ", PRI" : "");
	return 0;
}

bool smmu_present(void) { return smmu.enabled; }
bool smmu_has_s1(void) { return smmu.enabled && smmu.f.s1; }
bool smmu_has_s2(void) { return smmu.enabled && smmu.f.s2; }
unsigned smmu_asid_bits(void) { return smmu.enabled ? (smmu.f.asid16 ? 16 : 8) : 0; }
unsigned smmu_vmid_bits(void) { return smmu.enabled ? (smmu.f.vmid16 ? 16 : 8) : 0; }
bool smmu_walk_coherent(void) { return smmu.coherent; }

void smmu_get_stats(struct smmu_stats *out)
{
	u64 flags = smmu_lock_irqsave(&smmu.lock);

	*out = smmu.st;
	smmu_unlock_irqrestore(&smmu.lock, flags);
}

void smmu_print_summary(void)
{
	struct smmu_stats s;
	u64 cmds = 0;

	if (!smmu.enabled) {
		if (smmu.base)
			log_info("            not in use: DMA through it aborts\n");
		return;
	}
	smmu_get_stats(&s);
	for (unsigned i = 0; i < CMD_OP_LIMIT; i++)
		cmds += s.cmds[i];
	log_info("            %s%s, %s stream table (%u-bit StreamIDs), %s walks; %lu commands, "
		 "%lu syncs (max %lu ns), %lu events\n", smmu.f.s1 ? "stage 1" : "",
		 smmu.f.s1 && smmu.f.s2 ? "+2" : smmu.f.s2 ? "stage 2" : "",
		 smmu.two_level ? "2-level" : "linear", smmu.sid_bits,
		 smmu.coherent ? "coherent" : "non-coherent", cmds, s.syncs, s.sync_ns_max,
		 s.events);
}
