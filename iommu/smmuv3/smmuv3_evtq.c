/*
 * SMMUv3 event and PRI queues (Arm IHI 0070 7.2 - 7.4, chapter 8) and the interrupts: draining
 * the queues into the event handler (or the log), denying unexpected page requests, and the
 * wired interrupt lines whose handler does that and the global error handling. Record
 * decoding is pure and lives in smmuv3_events.c. Locks: smmuv3_internal.h.
 */
#include "iommu/smmuv3/smmuv3_internal.h"

#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cache.h"
#include "arch/cpu.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "drivers/gic/gicv3.h"
#include "iommu/smmuv3/smmuv3_ste.h"

/* Before reading what a non-coherent SMMU wrote, drop the CPU's cached copy of it. The
 * lines were cleaned when the queue was made and the CPU never writes them, so clean and
 * invalidate only invalidates. */
static void see_smmu_writes(const void *va, size_t len)
{
	if (smmu.coherent)
		return;
	dcache_clean_inval(va, len);
	dsb(sy);
}

/* ---- Event and PRI queues (7.2 - 7.4, chapter 8) ---- */

void smmu_set_event_handler(smmu_event_fn fn)
{
	smmu.handler = fn;
}

/* A record of either queue as queue_drain() copies it out; each handler reads its kind. */
union q_record {
	struct smmu_evt evt;
	u64 pri[PRIQ_WORDS];
};

static void event_handle(const union q_record *rec)
{
	struct smmu_event ev;
	char line[160];

	smmu_event_decode(&rec->evt, &ev);
	smmu.st.events++;
	smmu.st.events_by_type[ev.type]++;
	if (smmu.handler) {
		smmu.handler(&ev);
		return;
	}
	/* No handler takes them (before the VMs exist): sampled as every flood is. */
	if (log_sampled(smmu.events_logged++)) {
		smmu_event_format(&ev, line, sizeof(line));
		log_warn("SMMUv3 event: %s\n", line);
	}
}

static void pri_handle(const union q_record *rec)
{
	const u64 *raw = rec->pri;
	struct smmu_cmd resp;
	u64 flags;
	u32 sid = FIELD_GET(PRIQ_0_SID, raw[0]);

	/* No stream has ATS enabled (STE.EATS = 0), so no page request is expected. The last
	 * request of a group is denied, so the function does not wait for an answer. */
	smmu.st.pri_requests++;
	log_warn("SMMUv3: unexpected PRI page request from StreamID %x at %lx\n", sid,
		 (u64)(raw[1] & PRIQ_1_ADDR));
	if (!(raw[0] & PRIQ_0_LAST))
		return;
	smmu_cmd_pri_resp(&resp, sid, raw[0] & PRIQ_0_SSV, FIELD_GET(PRIQ_0_SSID, raw[0]),
			  FIELD_GET(PRIQ_1_GRPID, raw[1]), CMD_PRI_RESP_DENY);
	flags = smmu_lock_irqsave(&smmu.lock);
	smmu_cmdq_issue(&resp, 1, false);
	smmu_unlock_irqrestore(&smmu.lock, flags);
}

/* Read what the SMMU has produced, freeing each entry (CONS) before handling it. An
 * overflow (PROD.OVFLG toggled) is acknowledged by copying it into CONS.OVACKFLG (7.4).
 * At most two queues' worth per call, so a flood cannot hold the CPU: the rest waits for
 * the next interrupt or poll. */
static void queue_drain(struct smmu_queue *q, const char *name,
			void (*handle)(const union q_record *rec))
{
	union q_record rec;
	unsigned budget = 2U << q->bits;
	u32 prod;

	while (budget) {
		prod = smmu_rd32(q->prod_reg);
		if ((prod ^ q->cons) & Q_OVF) {
			if (log_sampled(smmu.st.event_overflows++))
				log_warn("SMMUv3: %s queue overflowed: records were lost (%lu so far)\n",
					 name, smmu.st.event_overflows);
			q->cons ^= Q_OVF;
			smmu_wr32(q->cons_reg, q->cons);
		}
		/* Entries are read only after PROD says they are there. */
		dmb(oshld);
		if ((prod & smmu_q_mask(q)) == (q->cons & smmu_q_mask(q)))
			return;
		for (; budget && (prod & smmu_q_mask(q)) != (q->cons & smmu_q_mask(q)); budget--) {
			const void *slot = smmu_q_slot(q, q->cons);

			see_smmu_writes(slot, q->words * sizeof(u64));
			memcpy(&rec, slot, q->words * sizeof(u64));
			/* The copy is complete before the SMMU may reuse the slot. */
			dmb(osh);
			q->cons = (q->cons & Q_OVF) | smmu_q_inc(q, q->cons & smmu_q_mask(q));
			smmu_wr32(q->cons_reg, q->cons);
			handle(&rec);
		}
	}
}

bool smmu_needs_polling(void)
{
	return smmu.enabled && smmu.needs_polling;
}

void smmu_poll(void)
{
	u64 flags;

	if (!smmu.enabled)
		return;
	flags = smmu_lock_irqsave(&smmu.lock);
	smmu_gerror_handle_locked();
	smmu_unlock_irqrestore(&smmu.lock, flags);
	flags = smmu_lock_irqsave(&smmu.evt_lock);
	queue_drain(&smmu.evtq, "event", event_handle);
	if (smmu.priq.base)
		queue_drain(&smmu.priq, "PRI", pri_handle);
	smmu_unlock_irqrestore(&smmu.evt_lock, flags);
}

static void smmu_irq(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	smmu_poll();
}

/* The wired interrupts are edge-triggered (3.18). One handler serves them all (and a
 * "combined" line). Returns the IRQ_CTRL enables for the lines that are wired. */
u32 smmu_irqs_setup(const struct plat_smmu *p)
{
	const u32 want[] = { p->irq_eventq, p->irq_gerror, smmu.priq.base ? p->irq_priq : 0 };
	const u32 enable[] = { IRQ_CTRL_EVENTQ_IRQEN, IRQ_CTRL_GERROR_IRQEN, IRQ_CTRL_PRIQ_IRQEN };
	u32 irq_ctrl = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		bool done = false;
		int err = 0;

		if (!want[i]) {
			/* No line for the event queue or global errors: someone must poll. */
			smmu.needs_polling = smmu.needs_polling || i < 2;
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			done = done || want[j] == want[i];
		if (!done) {
			err = gic_config_spi(want[i], true);
			err = err ? err : gic_set_handler(want[i], smmu_irq, NULL);
			err = err ? err : gic_enable_spi(want[i], cpus[0].mpidr);
		}
		if (err) {
			log_warn("SMMUv3: interrupt %u unusable (%s): polled instead\n", want[i],
				 err_name(err));
			smmu.needs_polling = true;
		} else
			irq_ctrl |= enable[i];
	}
	return irq_ctrl;
}
