/*
 * SMMUv3 command queue (Arm IHI 0070 3.5, 4): issuing commands, CMD_SYNC completion by
 * polling (4.7), recovery from command errors (7.1) and global errors (7.5), the TLB
 * invalidation calls (4.4) and the pgt_tlb_ops the table engine uses. All of it runs with
 * smmu.lock held (smmuv3_internal.h).
 */
#include "iommu/smmuv3/smmuv3_internal.h"

#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "core/lib/errno.h"
#include "core/log/log.h"
#include "drivers/timer/timer.h"
#include "iommu/smmuv3/smmuv3_ste.h"

static u32 q_used(const struct smmu_queue *q) { return (q->prod - q->cons) & smmu_q_mask(q); }

/* ---- Global errors (7.5) and command queue errors (7.1) ---- */

/* 7.1: CONS stays on the command that failed, and processing resumes from it once
 * GERROR.CMDQ_ERR is acknowledged. It is reported, then overwritten with a CMD_SYNC, which
 * has no other effect, so the queue moves past it. */
static void cmdq_skip_error(void)
{
	struct smmu_queue *q = &smmu.cmdq;
	u32 cons = smmu_rd32(ARM_SMMU_CMDQ_CONS);
	struct smmu_cmd *bad = smmu_q_slot(q, cons);

	log_err("SMMUv3: command %s (%016lx %016lx) at CMDQ index %u failed: %s; skipped\n",
		smmu_cmd_name(FIELD_GET(CMD_0_OP, bad->data[0])), bad->data[0], bad->data[1],
		smmu_q_idx(q, cons), smmu_cerror_name(FIELD_GET(CMDQ_CONS_ERR, cons)));
	smmu_cmd_sync(bad, CMD_SYNC_CS_NONE);
	smmu_publish(bad, sizeof(*bad));
	smmu.st.cmd_errors++;
}

/* A device faulting in a loop fills the event queue at will (QEMU's SMMU reports that as
 * EVENTQ_ABT_ERR): that is what a guest can provoke, a warning, where the other global
 * errors are the SMMU's own. Sampled, with its count. */
static void log_gerror(u32 bit, u64 count)
{
	if (bit & (GERROR_EVENTQ_ABT_ERR | GERROR_PRIQ_ABT_ERR))
		log_warn("SMMUv3: global error %s (%lu so far): records were lost\n",
			 smmu_gerror_name(bit), count);
	else
		log_err("SMMUv3: global error %s (%lu so far)\n", smmu_gerror_name(bit), count);
}

/* Handle every active global error (GERROR ^ GERRORN) and acknowledge them in one GERRORN
 * write. Called with smmu.lock held. Returns the bits handled. */
u32 smmu_gerror_handle_locked(void)
{
	u32 gerror = smmu_rd32(ARM_SMMU_GERROR), gerrorn = smmu_rd32(ARM_SMMU_GERRORN);
	u32 active = (gerror ^ gerrorn) & GERROR_ALL;

	if (!active)
		return 0;
	for (u32 b = 0; active >> b; b++) {
		if (!(active & BIT(b)))
			continue;
		smmu.st.gerrors++;
		if (BIT(b) == GERROR_CMDQ_ERR)
			cmdq_skip_error();
		else if (log_sampled(smmu.gerror_counts[b]++))
			log_gerror(BIT(b), smmu.gerror_counts[b]);
	}
	dsb(st); /* the replaced command is visible before the SMMU resumes */
	smmu_wr32(ARM_SMMU_GERRORN, gerrorn ^ active);
	return active;
}

/* ---- Command queue ---- */

static void cmdq_read_cons(void)
{
	smmu.cmdq.cons = smmu_rd32(ARM_SMMU_CMDQ_CONS) & smmu_q_mask(&smmu.cmdq);
}

/* Room for n entries, waiting (bounded) while the SMMU consumes. */
static int cmdq_reserve(unsigned n)
{
	struct smmu_queue *q = &smmu.cmdq;
	u64 deadline = 0;

	for (;;) {
		cmdq_read_cons();
		if ((1U << q->bits) - q_used(q) >= n)
			return 0;
		smmu_gerror_handle_locked();
		if (!deadline) {
			deadline = timer_now_us() + SMMU_TIMEOUT_US;
			smmu.st.queue_waits++;
		} else if (timer_now_us() > deadline) {
			log_err("SMMUv3: command queue full for %u us (PROD %x CONS %x)\n",
				SMMU_TIMEOUT_US, q->prod, q->cons);
			return -E_TIMEOUT;
		}
		spin_relax();
	}
}

static void cmdq_write(const struct smmu_cmd *cmd)
{
	struct smmu_queue *q = &smmu.cmdq;
	struct smmu_cmd *slot = smmu_q_slot(q, q->prod);

	slot->data[0] = cmd->data[0];
	slot->data[1] = cmd->data[1];
	smmu_publish(slot, sizeof(*slot));
	smmu.st.cmds[FIELD_GET(CMD_0_OP, cmd->data[0]) % CMD_OP_LIMIT]++;
	q->prod = smmu_q_inc(q, q->prod);
}

/* Wait until CONS reaches PROD: with the lock held nobody adds commands, so the CMD_SYNC
 * just written, and everything before it, has completed (4.7). An SMMU that consumed the
 * queue before the first look (QEMU's does as PROD is written) costs that one read: the
 * deadline is taken at the second. */
static int cmdq_wait_sync(void)
{
	struct smmu_queue *q = &smmu.cmdq;
	u64 start = timer_counter(), deadline = 0, ns;
	int ret = 0;

	for (cmdq_read_cons(); q->cons != q->prod; cmdq_read_cons()) {
		if (smmu_gerror_handle_locked() & GERROR_CMDQ_ERR)
			ret = -E_IO;
		if (!deadline) {
			deadline = timer_now_us() + SMMU_TIMEOUT_US;
		} else if (timer_now_us() > deadline) {
			log_err("SMMUv3: CMD_SYNC not complete after %u us (PROD %x CONS %x, "
				"GERROR %x GERRORN %x)\n", SMMU_TIMEOUT_US, q->prod,
				smmu_rd32(ARM_SMMU_CMDQ_CONS), smmu_rd32(ARM_SMMU_GERROR), smmu_rd32(ARM_SMMU_GERRORN));
			smmu.st.sync_timeouts++;
			return -E_TIMEOUT;
		}
		spin_relax();
	}
	ns = (timer_counter() - start) * 1000000000ULL / timer_frequency();
	smmu.st.syncs++;
	smmu.st.sync_ns_total += ns;
	smmu.st.sync_ns_max = MAX(smmu.st.sync_ns_max, ns);
	return ret;
}

/* Queue n commands, then (if sync) a CMD_SYNC, and wait for it. Called with smmu.lock. */
int smmu_cmdq_issue(const struct smmu_cmd *cmds, unsigned n, bool sync)
{
	struct smmu_cmd sync_cmd;
	int ret;

	if (n + 1 >= (1U << smmu.cmdq.bits))
		panic("SMMUv3: a batch of %u commands does not fit the command queue", n);
	ret = cmdq_reserve(n + (sync ? 1 : 0));
	if (ret)
		return ret;
	for (unsigned i = 0; i < n; i++)
		cmdq_write(&cmds[i]);
	if (sync) {
		/* Completion is seen by polling CONS: no interrupt, no MSI (CS = none). */
		smmu_cmd_sync(&sync_cmd, CMD_SYNC_CS_NONE);
		cmdq_write(&sync_cmd);
	}
	/* The entries reach memory the SMMU sees before PROD moves. */
	dsb(st);
	smmu_wr32(ARM_SMMU_CMDQ_PROD, smmu.cmdq.prod);
	return sync ? cmdq_wait_sync() : 0;
}

static int cmd_locked(const struct smmu_cmd *cmds, unsigned n, bool sync)
{
	u64 flags = smmu_lock_irqsave(&smmu.lock);
	int ret = smmu_cmdq_issue(cmds, n, sync);

	smmu_unlock_irqrestore(&smmu.lock, flags);
	return ret;
}

int smmu_issue(const struct smmu_cmd *cmds, unsigned n, bool sync)
{
	if (!smmu.enabled)
		return -E_NODEV;
	return n || sync ? cmd_locked(cmds, n, sync) : 0;
}

int smmu_sync(void)
{
	return smmu_issue(NULL, 0, true);
}

/* ---- TLB invalidation (4.4) ---- */

/* r's commands: its range, or the whole VMID / ASID where that takes more than
 * SMMU_TLBI_MAX_CMDS. */
static unsigned tlbi_cmds(struct smmu_cmd *cmds, const struct smmu_tlbi_req *r)
{
	unsigned n = smmu_cmd_tlbi_range(cmds, SMMU_TLBI_MAX_CMDS, r);

	if (n)
		return n;
	if (r->stage2)
		smmu_cmd_tlbi_s12_vmall(&cmds[0], r->vmid);
	else
		smmu_cmd_tlbi_nh_asid(&cmds[0], r->vmid, r->asid);
	return 1;
}

static int tlbi(const struct smmu_tlbi_req *r)
{
	struct smmu_cmd cmds[SMMU_TLBI_MAX_CMDS];

	if (!smmu.enabled || !(r->stage2 ? smmu.f.s2 : smmu.f.s1))
		return -E_NODEV;
	if (!r->size)
		return 0;
	return cmd_locked(cmds, tlbi_cmds(cmds, r), false);
}

unsigned smmu_tlbi_s1_cmds(struct smmu_cmd *cmds, u16 vmid, u16 asid, u64 iova, u64 size,
			   bool leaf)
{
	struct smmu_tlbi_req r = { .stage2 = false, .vmid = vmid, .asid = asid, .addr = iova,
				   .size = size, .leaf = leaf, .range = smmu.f.ril };

	return size ? tlbi_cmds(cmds, &r) : 0;
}

int smmu_tlbi_s2(u16 vmid, u64 ipa, u64 size, bool leaf)
{
	struct smmu_tlbi_req r = { .stage2 = true, .vmid = vmid, .addr = ipa, .size = size,
				   .leaf = leaf, .range = smmu.f.ril };

	return tlbi(&r);
}

int smmu_tlbi_s1(u16 vmid, u16 asid, u64 iova, u64 size, bool leaf)
{
	struct smmu_tlbi_req r = { .stage2 = false, .vmid = vmid, .asid = asid, .addr = iova, .size = size,
				   .leaf = leaf, .range = smmu.f.ril };

	return tlbi(&r);
}

int smmu_tlbi_s1_all(u16 vmid, u16 asid)
{
	struct smmu_cmd cmd;

	if (!smmu.enabled || !smmu.f.s1)
		return -E_NODEV;
	smmu_cmd_tlbi_nh_asid(&cmd, vmid, asid);
	return cmd_locked(&cmd, 1, false);
}

static int s2_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	return smmu_tlbi_s2(smmu_tlb_ctx_id(ctx), ia, size, leaf);
}

static int s1_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	return smmu_tlbi_s1(smmu_tlb_ctx_vmid(ctx), smmu_tlb_ctx_id(ctx), ia, size, leaf);
}

static int tlb_sync(void *ctx)
{
	(void)ctx;
	return smmu_sync();
}

const struct pgt_tlb_ops smmu_s2_tlb_ops = { .inv_range = s2_inv_range, .sync = tlb_sync };
const struct pgt_tlb_ops smmu_s1_tlb_ops = { .inv_range = s1_inv_range, .sync = tlb_sync };
