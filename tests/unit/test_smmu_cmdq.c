/*
 * Host tests of the SMMUv3 command queue (iommu/smmuv3/smmuv3_cmdq.c) when the SMMU fails
 * (issue 15's fault injection): a CMD_SYNC that never completes, a command queue that
 * stays full, a command the SMMU rejects (GERROR.CMDQ_ERR, Arm IHI 0070 7.1) and a global
 * error (7.5). The shipped driver runs over a register file in host memory; a thread plays
 * the SMMU (it consumes commands, or does not, or rejects one) and, while it stalls, the
 * counter, so that the bounded waits end. Each failure must come back as an error, never as success.
 * And pausing a stream (a VM's fault storm, core/vm/vm_iommu.h) over the shipped stream
 * table: the stream aborts, changes made meanwhile wait, resuming gives the latest back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch/sysreg.h"
#include "core/lib/errno.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_internal.h"
#include "iommu/smmuv3/smmuv3_ste.h"

#define QUEUE_BITS 4 /* 16 commands */
#define NS_PER_STEP 1000 /* what a stalled model adds to the counter each round: 1 us */

enum behaviour { CONSUME, STALL, REJECT_FIRST };

static struct {
	u8 regs[0x10000] __attribute__((aligned(8)));
	struct smmu_cmd queue[1U << QUEUE_BITS];
	volatile enum behaviour how;
	volatile bool stop;
	pthread_t thread;
} m;

static u32 reg(u64 off) { return __atomic_load_n((u32 *)&m.regs[off], __ATOMIC_ACQUIRE); }
static void set_reg(u64 off, u32 v) { __atomic_store_n((u32 *)&m.regs[off], v, __ATOMIC_RELEASE); }

/* The rejected command's CONS, with its error (7.1), and GERROR.CMDQ_ERR toggled; then it
 * waits for the driver's acknowledgement (GERRORN) before it moves on. */
static void reject(u32 cons)
{
	set_reg(ARM_SMMU_CMDQ_CONS, cons | FIELD_PREP(CMDQ_CONS_ERR, CMDQ_CERROR_ILL));
	set_reg(ARM_SMMU_GERROR, reg(ARM_SMMU_GERROR) ^ GERROR_CMDQ_ERR);
	while (!m.stop && ((reg(ARM_SMMU_GERROR) ^ reg(ARM_SMMU_GERRORN)) & GERROR_CMDQ_ERR))
		;
	m.how = CONSUME;
}

static void *smmu_model(void *arg)
{
	(void)arg;
	while (!m.stop) {
		u32 prod = reg(ARM_SMMU_CMDQ_PROD), cons = reg(ARM_SMMU_CMDQ_CONS) & ~CMDQ_CONS_ERR;

		if (m.how == REJECT_FIRST && prod != cons)
			reject(cons);
		else if (m.how == CONSUME)
			set_reg(ARM_SMMU_CMDQ_CONS, prod);
		else /* time passes only for a stalled SMMU: a working one never times out */
			__atomic_fetch_add(&fake_sysreg.cntpct_el0, NS_PER_STEP, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	memset(m.regs, 0, sizeof(m.regs));
	memset(m.queue, 0, sizeof(m.queue));
	memset(&smmu.st, 0, sizeof(smmu.st));
	fake_sysreg.cntfrq_el0 = 1000000000;
	smmu.base = (u64)(uintptr_t)m.regs;
	smmu.enabled = true;
	smmu.lock = (spinlock_t)SPINLOCK_INIT;
	smmu.cmdq = (struct smmu_queue){ .base = (u64 *)m.queue, .bits = QUEUE_BITS, .words = 2,
					 .prod_reg = ARM_SMMU_CMDQ_PROD,
					 .cons_reg = ARM_SMMU_CMDQ_CONS };
	m.how = CONSUME;
	m.stop = false;
	return pthread_create(&m.thread, NULL, smmu_model, NULL);
}

static int teardown(void **state)
{
	(void)state;
	m.stop = true;
	return pthread_join(m.thread, NULL);
}

static struct smmu_cmd tlbi(void)
{
	struct smmu_cmd c;

	smmu_cmd_tlbi_nh_asid(&c, 1, 0x100);
	return c;
}

static void test_sync_completes(void **state)
{
	struct smmu_cmd c = tlbi();
	u64 flags = smmu_lock_irqsave(&smmu.lock);

	assert_int_equal(smmu_cmdq_issue(&c, 1, true), 0);
	smmu_unlock_irqrestore(&smmu.lock, flags);
	assert_int_equal(smmu_sync(), 0);
	assert_int_equal(smmu.st.syncs, 2);
	assert_int_equal(smmu.st.sync_timeouts, 0);
}

/* The SMMU stops consuming: the CMD_SYNC's wait ends after SMMU_TIMEOUT_US, as an error. */
static void test_sync_that_never_completes_is_an_error(void **state)
{
	m.how = STALL;
	assert_int_equal(smmu_sync(), -E_TIMEOUT);
	assert_int_equal(smmu.st.sync_timeouts, 1);
	assert_int_equal(smmu.st.syncs, 0);
}

/* Commands without a sync fill the queue; the next one waits for room, bounded. */
static void test_full_queue_is_an_error(void **state)
{
	struct smmu_cmd c = tlbi();
	u64 flags;
	int ret = 0;
	unsigned issued = 0;

	m.how = STALL;
	flags = smmu_lock_irqsave(&smmu.lock);
	while (!ret && issued <= (1U << QUEUE_BITS)) {
		ret = smmu_cmdq_issue(&c, 1, false);
		issued += !ret;
	}
	smmu_unlock_irqrestore(&smmu.lock, flags);
	assert_int_equal(ret, -E_TIMEOUT);
	assert_int_equal(issued, 1U << QUEUE_BITS);
	assert_true(smmu.st.queue_waits >= 1);
}

/* A command the SMMU rejects: reported, replaced by a CMD_SYNC so the queue moves on, the
 * global error acknowledged, and the sync that followed it fails. */
static void test_rejected_command_is_skipped_and_its_sync_fails(void **state)
{
	struct smmu_cmd c = tlbi();
	u64 flags;
	int ret;

	m.how = REJECT_FIRST;
	flags = smmu_lock_irqsave(&smmu.lock);
	ret = smmu_cmdq_issue(&c, 1, true);
	smmu_unlock_irqrestore(&smmu.lock, flags);
	assert_int_equal(ret, -E_IO);
	assert_int_equal(smmu.st.cmd_errors, 1);
	assert_int_equal(FIELD_GET(CMD_0_OP, m.queue[0].data[0]), CMD_OP_SYNC);
	assert_int_equal(reg(ARM_SMMU_GERROR), reg(ARM_SMMU_GERRORN));
	/* And the queue works again. */
	assert_int_equal(smmu_sync(), 0);
}

/* A global error other than a command's: counted, acknowledged, nothing else disturbed. */
static void test_global_error_is_acknowledged(void **state)
{
	u64 flags;

	set_reg(ARM_SMMU_GERROR, GERROR_EVENTQ_ABT_ERR);
	flags = smmu_lock_irqsave(&smmu.lock);
	assert_int_equal(smmu_gerror_handle_locked(), GERROR_EVENTQ_ABT_ERR);
	assert_int_equal(smmu_gerror_handle_locked(), 0);
	smmu_unlock_irqrestore(&smmu.lock, flags);
	assert_int_equal(reg(ARM_SMMU_GERRORN), GERROR_EVENTQ_ABT_ERR);
	assert_int_equal(smmu.st.gerrors, 1);
	assert_int_equal(smmu_sync(), 0);
}

/* ---- Pausing streams: a linear stream table of 32 entries in host memory ---- */

#define PAUSE_SID_BITS 5
static struct smmu_ste stes[1U << PAUSE_SID_BITS] __attribute__((aligned(64)));

static int setup_table(void **state)
{
	memset(stes, 0, sizeof(stes));
	memset(smmu.paused, 0, sizeof(smmu.paused));
	smmu.n_paused = 0;
	smmu.sid_bits = smmu.group_bits = PAUSE_SID_BITS;
	smmu.groups[0] = (struct ste_group){ .ste = stes };
	smmu.coherent = true;
	smmu.f.s2 = smmu.f.vmid16 = true;
	smmu.f.oas_bits = 48;
	return setup(state);
}

static struct pgtable s2_table(void)
{
	return (struct pgtable){ .fmt = PGT_FMT_S2, .ias = 40, .start_level = 1,
				 .root = { 0x80000000 } };
}

static u16 ste_vmid(u32 sid) { return (u16)FIELD_GET(STE_2_S2VMID, stes[sid].data[2]); }

static void test_paused_stream_aborts_and_resumes_with_the_latest(void **state)
{
	struct pgtable t = s2_table();

	assert_int_equal(smmu_set_s2(3, 5, &t), 0);
	assert_int_equal(smmu_ste_kind(&stes[3]), SMMU_STE_TRANSLATE);
	assert_int_equal(smmu_pause_stream(3), 0);
	assert_int_equal(smmu_ste_kind(&stes[3]), SMMU_STE_ABORT);
	assert_int_equal(smmu_pause_stream(3), 0); /* again: nothing more */
	/* Moved to another table while paused: it keeps aborting. */
	assert_int_equal(smmu_set_s2(3, 6, &t), 0);
	assert_int_equal(smmu_ste_kind(&stes[3]), SMMU_STE_ABORT);
	/* Other streams are untouched by the pause. */
	assert_int_equal(smmu_set_s2(4, 7, &t), 0);
	assert_int_equal(ste_vmid(4), 7);
	assert_int_equal(smmu_resume_stream(3), 0);
	assert_int_equal(smmu_ste_kind(&stes[3]), SMMU_STE_TRANSLATE);
	assert_int_equal(ste_vmid(3), 6);
	assert_int_equal(smmu_resume_stream(3), 0); /* not paused: nothing */
	assert_int_equal(ste_vmid(3), 6);
	assert_int_equal(smmu.n_paused, 0);
}

/* A stream unconfigured while paused resumes unconfigured (what a stopped VM wants). */
static void test_paused_stream_resumes_to_abort_if_told_so(void **state)
{
	struct pgtable t = s2_table();

	assert_int_equal(smmu_set_s2(9, 5, &t), 0);
	assert_int_equal(smmu_pause_stream(9), 0);
	assert_int_equal(smmu_set_unconfigured(9), 0);
	assert_int_equal(smmu_ste_kind(&stes[9]), SMMU_STE_ABORT);
	assert_int_equal(smmu_resume_stream(9), 0);
	assert_int_equal(smmu_ste_kind(&stes[9]), SMMU_STE_INVALID);
}

static void test_paused_streams_are_bounded(void **state)
{
	for (u32 sid = 0; sid < SMMU_MAX_PAUSED; sid++)
		assert_int_equal(smmu_pause_stream(sid), 0);
	assert_int_equal(smmu_pause_stream(SMMU_MAX_PAUSED), -E_NOMEM);
	assert_int_equal(smmu_ste_kind(&stes[SMMU_MAX_PAUSED]), SMMU_STE_INVALID);
	for (u32 sid = 0; sid < SMMU_MAX_PAUSED; sid++)
		assert_int_equal(smmu_resume_stream(sid), 0);
	assert_int_equal(smmu.n_paused, 0);
	assert_int_equal(smmu_pause_stream(1U << PAUSE_SID_BITS), -E_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_that_never_completes_is_an_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_command_is_skipped_and_its_sync_fails,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_error_is_acknowledged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_stream_aborts_and_resumes_with_the_latest,
						setup_table, teardown),
		cmocka_unit_test_setup_teardown(test_paused_stream_resumes_to_abort_if_told_so,
						setup_table, teardown),
		cmocka_unit_test_setup_teardown(test_paused_streams_are_bounded, setup_table,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
