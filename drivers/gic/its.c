/*
 * The physical ITS (drivers/gic/its.h). Commands go through one queue under a lock, each
 * waited for with a bounded poll of GITS_CREADR (style.md 10); an ITS that stalls or times
 * out is left disabled and its devices keep INTx. Collection i is CPU i.
 */
#include "drivers/gic/its.h"

#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/irq.h"
#include "arch/mmu.h"
#include "core/lib/errno.h"
#include "core/lib/mmio.h"
#include "core/lib/spinlock.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "drivers/gic/gicv3.h"
#include "drivers/gic/gicv3_regs.h"
#include "drivers/timer/poll.h"
#include "drivers/timer/timer.h"

#define ITS_FRAMES_SIZE (2 * SZ_64K) /* ITS_base and the translation frame */
#define ITS_CMDQ_BYTES SZ_4K /* 128 commands: each is waited for, one at a time */
#define ITS_CMD_WORDS 4
#define ITS_CMD_TIMEOUT_US 100000
#define ITS_TABLE_MAX_BYTES (4ULL << 20)
#define SELFTEST_LPI GIC_LPI_BASE
#define SELFTEST_WAIT_US 1000000 /* generous: a loaded host may not run the target CPU for a while */

static struct {
	u64 base;
	bool ready;
	bool pta;               /* GITS_TYPER.PTA: collections name redistributors by address */
	unsigned devbits;       /* DeviceIDs the device table covers */
	unsigned itt_entry;     /* bytes per ITT entry */
	u64 (*cmdq)[ITS_CMD_WORDS];
	u32 cwriter;            /* byte offset of the next command */
	bool stuck;             /* a command stalled or timed out: no more are sent */
	spinlock_t lock;
} its = { .lock = SPINLOCK_INIT };

bool its_ready(void) { return its.ready; }

/* ---- the command queue (5.3, 12.19.4-7) ---- */

static int its_wait(void)
{
	u64 deadline = timer_now_us() + ITS_CMD_TIMEOUT_US;
	u64 creadr;

	do {
		creadr = mmio_read64(its.base + GITS_CREADR);
		if (creadr & GITS_CREADR_STALLED) {
			log_err("ITS: command queue stalled at offset %lx\n",
				(u64)FIELD_GET(GITS_CQ_OFFSET, creadr) << 5);
			return -E_IO;
		}
		if ((creadr & GITS_CQ_OFFSET) == its.cwriter)
			return 0;
	} while (timer_now_us() < deadline);
	log_err("ITS: command not consumed after %u us\n", ITS_CMD_TIMEOUT_US);
	return -E_TIMEOUT;
}

/* Queue one command and wait until the ITS has read it. An ITS that once stalled or timed
 * out gets no more commands: each would wait as long again, with a VM's vGIC lock held. */
static int its_send(const u64 cmd[ITS_CMD_WORDS])
{
	u64 *slot;
	int ret;

	spin_lock(&its.lock);
	if (its.stuck) {
		spin_unlock(&its.lock);
		return -E_IO;
	}
	slot = its.cmdq[its.cwriter / (ITS_CMD_WORDS * 8)];
	for (unsigned i = 0; i < ITS_CMD_WORDS; i++)
		slot[i] = cmd[i];
	arch_table_write_barrier(slot, ITS_CMD_WORDS * 8, true);
	its.cwriter = (its.cwriter + ITS_CMD_WORDS * 8) % ITS_CMDQ_BYTES;
	mmio_write64(its.base + GITS_CWRITER, its.cwriter);
	ret = its_wait();
	if (ret && !its.stuck) {
		its.stuck = true;
		log_err("ITS: no more commands are sent: MSIs mapped so far keep working, new "
			"mappings fail\n");
	}
	spin_unlock(&its.lock);
	return ret;
}

static u64 rdbase(unsigned cpu)
{
	u64 rd = gic_redist_of(platform()->cpu_mpidr[cpu], its.pta);

	return FIELD_PREP(ITS_CMD_RDBASE, its.pta ? rd >> 16 : rd);
}

static int cmd_sync(unsigned cpu)
{
	const u64 c[ITS_CMD_WORDS] = { ITS_CMD_SYNC, 0, rdbase(cpu), 0 };

	return its_send(c);
}

static int cmd_mapc(unsigned cpu)
{
	const u64 c[ITS_CMD_WORDS] = { ITS_CMD_MAPC, 0, ITS_CMD_VALID | rdbase(cpu) | cpu, 0 };

	return its_send(c);
}

/* MAPD: the device's ITT (2^event_bits events), or none (itt NULL). */
static int cmd_mapd(u32 devid, void *itt, unsigned event_bits)
{
	const u64 c[ITS_CMD_WORDS] = {
		ITS_CMD_MAPD | (u64)devid << 32, itt ? event_bits - 1 : 0,
		itt ? ITS_CMD_VALID | (va_to_pa(itt).v & ITS_CMD_ITT_ADDR) : 0, 0,
	};

	return its_send(c);
}

static int cmd_event(u8 op, u32 devid, u32 event, u32 lpi, unsigned cpu)
{
	const u64 c[ITS_CMD_WORDS] = { op | (u64)devid << 32, event | (u64)lpi << 32, cpu, 0 };

	return its_send(c);
}

/* ---- tables (12.19.1: GITS_BASER<n>) ---- */

static const u64 baser_page_bytes[] = { SZ_4K, 4 * SZ_4K, SZ_64K, SZ_64K }; /* 0b11: as 64K */

/* The page size the table will have: 4 KiB, or 64 KiB if it takes more than 256 of them,
 * unless the ITS keeps a page size of its own (the field may be read-only): asked with the
 * table still invalid. */
static u64 table_page(unsigned n, u64 baser, u64 bytes)
{
	u64 want = bytes > 256 * SZ_4K ? 2 : 0;
	u64 probe = baser & ~(GITS_BASER_VALID | GITS_BASER_PAGE_SIZE);

	mmio_write64(its.base + GITS_BASER(n), probe | FIELD_PREP(GITS_BASER_PAGE_SIZE, want));
	return baser_page_bytes[FIELD_GET(GITS_BASER_PAGE_SIZE,
					  mmio_read64(its.base + GITS_BASER(n)))];
}

/* One table: entries of the size the ITS says, flat, in pages of the size it takes. */
static int setup_table(unsigned n, u64 baser, u64 entries)
{
	u64 entry = FIELD_GET(GITS_BASER_ENTRY_SIZE, baser) + 1, bytes = entries * entry;
	u64 page = table_page(n, baser, bytes), pages = ALIGN_UP(bytes, page) / page;
	void *t;
	u64 want;

	if (bytes > ITS_TABLE_MAX_BYTES || pages > 256)
		return -E_NOMEM;
	t = page_alloc_zeroed(pages * page, page / PAGE_SIZE);
	if (!t)
		return -E_NOMEM;
	arch_table_write_barrier(t, pages * page, true);
	want = GITS_BASER_VALID | FIELD_PREP(GITS_BASER_INNER_WB, 7) |
	       (baser & (GITS_BASER_TYPE | GITS_BASER_ENTRY_SIZE)) | va_to_pa(t).v |
	       FIELD_PREP(GITS_BASER_SHARE, 1) |
	       FIELD_PREP(GITS_BASER_PAGE_SIZE, page == SZ_64K ? 2 : page != SZ_4K) | (pages - 1);
	mmio_write64(its.base + GITS_BASER(n), want);
	/* The page size and the address must have stuck; the cacheability may not. */
	if ((mmio_read64(its.base + GITS_BASER(n)) ^ want) &
	    (GITS_BASER_VALID | GITS_BASER_PAGE_SIZE | GITS_BASER_ADDR | GITS_BASER_SIZE))
		return -E_INVAL;
	return 0;
}

static int setup_tables(const struct platform *p)
{
	int ret = 0;

	for (unsigned n = 0; n < GITS_BASER_NR && !ret; n++) {
		u64 baser = mmio_read64(its.base + GITS_BASER(n));

		switch (FIELD_GET(GITS_BASER_TYPE, baser)) {
		case GITS_BASER_TYPE_DEVICE:
			ret = setup_table(n, baser, 1ULL << its.devbits);
			break;
		case GITS_BASER_TYPE_COLLECTION:
			ret = setup_table(n, baser, p->n_cpus);
			break;
		default:
			break; /* none, or vPEs (GICv4): not used */
		}
	}
	return ret;
}

/* DeviceIDs: enough for the devices enumeration found and the self-test's above them,
 * within the ITS's (the table is flat: 2^bits entries). */
static unsigned device_bits(u32 max_devid, u64 typer)
{
	unsigned bits = 1;

	while ((1ULL << bits) < (u64)max_devid + 2)
		bits++;
	return MIN(bits, (unsigned)FIELD_GET(GITS_TYPER_DEVBITS, typer) + 1);
}

static int setup_cmdq(void)
{
	its.cmdq = page_alloc_zeroed(ITS_CMDQ_BYTES, ITS_CMDQ_BYTES / PAGE_SIZE);
	if (!its.cmdq)
		return -E_NOMEM;
	arch_table_write_barrier(its.cmdq, ITS_CMDQ_BYTES, true);
	mmio_write64(its.base + GITS_CBASER, GITS_CBASER_VALID |
			 FIELD_PREP(GITS_CBASER_INNER_WB, 7) | va_to_pa(its.cmdq).v |
			 FIELD_PREP(GITS_BASER_SHARE, 1) | (ITS_CMDQ_BYTES / SZ_4K - 1));
	its.cwriter = 0;
	mmio_write64(its.base + GITS_CWRITER, 0);
	return 0;
}

/* ---- the self-test: an INT command's LPI, taken here ---- */

static volatile unsigned selftest_taken[MAX_CPUS];

static void selftest_lpi(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	__atomic_fetch_add(&selftest_taken[cpu_index()], 1, __ATOMIC_RELEASE);
}

/* The event goes to CPU cpu's collection, an INT raises it: its LPI must be taken there
 * (the other CPUs take theirs while they wait for their VMs). Returns 0 or -E_*. */
static int selftest_cpu(u32 dev, unsigned cpu, u64 *us)
{
	unsigned before = selftest_taken[cpu];
	u64 start, deadline;
	int ret;

	ret = cmd_event(ITS_CMD_MAPTI, dev, 0, SELFTEST_LPI, cpu);
	ret = ret ? ret : cmd_event(ITS_CMD_INV, dev, 0, 0, 0);
	ret = ret ? ret : cmd_sync(cpu);
	start = timer_now_us();
	ret = ret ? ret : cmd_event(ITS_CMD_INT, dev, 0, 0, 0);
	ret = ret ? ret : cmd_sync(cpu);
	deadline = start + SELFTEST_WAIT_US;
	irq_enable(); /* this CPU's own LPI, when cpu is this one */
	while (!ret && __atomic_load_n(&selftest_taken[cpu], __ATOMIC_ACQUIRE) == before &&
	       timer_now_us() < deadline)
		cpu_relax();
	irq_disable();
	*us = timer_now_us() - start;
	if (!ret && selftest_taken[cpu] == before) {
		log_err("ITS: self-test: the INT command's LPI %u never reached CPU %u\n",
			SELFTEST_LPI, cpu);
		ret = -E_TIMEOUT;
	}
	cmd_event(ITS_CMD_DISCARD, dev, 0, 0, 0);
	return ret;
}

/* DeviceID 2^devbits - 1 (no PCI device's), one event, LPI 8192 to each online CPU in
 * turn: every redistributor's LPIs and every collection work. */
static int selftest(void)
{
	u32 dev = (u32)((1ULL << its.devbits) - 1);
	void *itt = page_alloc_zeroed(SZ_4K, 1);
	unsigned n = 0;
	u64 us, worst = 0;
	int ret;

	if (!itt)
		return -E_NOMEM;
	arch_table_write_barrier(itt, SZ_4K, true);
	gic_set_lpi_handler(SELFTEST_LPI, selftest_lpi, NULL);
	gic_lpi_config(SELFTEST_LPI, true);
	ret = cmd_mapd(dev, itt, 1);
	for (unsigned cpu = 0; cpu < MAX_CPUS && !ret; cpu++) {
		if (!cpus[cpu].online)
			continue;
		ret = selftest_cpu(dev, cpu, &us);
		worst = MAX(worst, us);
		n++;
	}
	if (!ret)
		log_info("ITS: self-test: INT (DeviceID 0x%x) -> LPI %u taken on each of %u CPU(s), "
			 "at most %lu us\n", dev, SELFTEST_LPI, n, worst);
	cmd_mapd(dev, NULL, 0);
	gic_lpi_config(SELFTEST_LPI, false);
	return ret;
}

/* ---- the VMs' devices and events ---- */

int its_map_device(u32 pdevid, unsigned event_bits)
{
	u64 bytes = MAX((1ULL << event_bits) * its.itt_entry, (u64)SZ_4K);
	void *itt;

	if (!its.ready)
		return -E_NODEV;
	if (pdevid >= (1ULL << its.devbits) - 1) /* the last is the self-test's */
		return -E_RANGE;
	itt = page_alloc_zeroed(bytes, 1); /* 256-byte aligned at least (MAPD's ITT_addr) */
	if (!itt)
		return -E_NOMEM;
	arch_table_write_barrier(itt, bytes, true);
	return cmd_mapd(pdevid, itt, event_bits);
}

int its_map_event(u32 pdevid, u32 event, unsigned lpi, unsigned cpu)
{
	int ret = gic_lpi_config(lpi, true);

	ret = ret ? ret : cmd_event(ITS_CMD_MAPTI, pdevid, event, lpi, cpu);
	ret = ret ? ret : cmd_event(ITS_CMD_INV, pdevid, event, 0, 0);
	return ret ? ret : cmd_sync(cpu);
}

int its_move_event(u32 pdevid, u32 event, unsigned cpu)
{
	int ret = cmd_event(ITS_CMD_MOVI, pdevid, event, 0, cpu);

	return ret ? ret : cmd_sync(cpu);
}

/* After the SYNC the ITS sends nothing more for the event (5.3.13); an LPI of it already
 * pending at a redistributor may still arrive once. */
int its_unmap_event(u32 pdevid, u32 event, unsigned cpu)
{
	int ret = cmd_event(ITS_CMD_DISCARD, pdevid, event, 0, 0);

	return ret ? ret : cmd_sync(cpu);
}

pa_t its_doorbell(void)
{
	return pa(platform()->gic.its.v + GITS_TRANSLATION_FRAME);
}

/* ---- bring-up ---- */

static int its_start(const struct platform *p, u32 max_devid)
{
	u64 typer;
	int ret;

	its.base = p->gic.its.v;
	ret = mmu_map_device(p->gic.its, ITS_FRAMES_SIZE);
	if (ret)
		return ret;
	/* Disabled and quiescent before its tables change (12.19.2). */
	mmio_write32(its.base + GITS_CTLR, 0);
	ret = mmio_poll32(its.base + GITS_CTLR, GITS_CTLR_QUIESCENT, GITS_CTLR_QUIESCENT,
			  ITS_CMD_TIMEOUT_US, "GITS_CTLR.Quiescent");
	typer = mmio_read64(its.base + GITS_TYPER);
	its.pta = typer & GITS_TYPER_PTA;
	its.itt_entry = (unsigned)FIELD_GET(GITS_TYPER_ITT_ENTRY_SIZE, typer) + 1;
	its.devbits = device_bits(max_devid, typer);
	ret = ret ? ret : gic_lpi_init();
	ret = ret ? ret : setup_tables(p);
	ret = ret ? ret : setup_cmdq();
	if (ret)
		return ret;
	mmio_write32(its.base + GITS_CTLR, GITS_CTLR_ENABLED);
	for (unsigned cpu = 0; cpu < p->n_cpus && !ret; cpu++)
		ret = cmd_mapc(cpu);
	for (unsigned cpu = 0; cpu < p->n_cpus && !ret; cpu++)
		ret = cmd_sync(cpu);
	return ret;
}

static void give_up(const struct platform *p, int err)
{
	its.ready = false;
	if (its.base)
		mmio_write32(its.base + GITS_CTLR, 0);
	log_warn("ITS at %lx unusable (%s): PCI devices keep INTx\n", p->gic.its.v,
		 err_name(err));
}

int its_init(const struct platform *p, u32 max_devid)
{
	int ret;

	if (!p->gic.has_its)
		return -E_NODEV;
	ret = its_start(p, max_devid);
	if (ret) {
		give_up(p, ret);
		return ret;
	}
	its.ready = true;
	log_info("ITS at %lx: %u DeviceID bits, %u-byte ITT entries, %u collection(s), %s\n",
		 p->gic.its.v, its.devbits, its.itt_entry, p->n_cpus,
		 its.pta ? "redistributors by address" : "redistributors by number");
	return 0;
}

int its_selftest(const struct platform *p)
{
	int ret = its.ready ? selftest() : 0;

	if (ret)
		give_up(p, ret);
	return ret;
}
