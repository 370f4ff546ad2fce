#include "core/boot/selftest.h"

#include <libfdt.h>
#include "arch/arch.h"
#include "arch/barrier.h"
#include "arch/cpu.h"
#include "arch/mmu.h"
#include "core/boot/smp.h"
#include "core/lib/mmio.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "drivers/gic/gicv3.h"
#include "drivers/pci/pci.h"
#include "drivers/timer/poll.h"
#include "drivers/timer/timer.h"
#include "iommu/smmuv3/smmuv3.h"

#define VICTIM_CPU 1
#define FAULT_WAIT_US 500000

enum fault_kind { FAULT_NONE, FAULT_DATA_ABORT, FAULT_STACK_OVERFLOW };
static volatile enum fault_kind fault;

/* Each frame holds a buffer the compiler cannot drop, and the call is not a tail call,
 * so the stack grows until it reaches the guard page, far before the depth bound. */
static __attribute__((noinline)) u64 recurse(u64 depth)
{
	volatile u8 frame[512];

	frame[0] = (u8)depth;
	if (depth > CPU_STACK_SIZE)
		return depth;
	return recurse(depth + 1) + frame[0];
}

static void on_selftest_sgi(unsigned intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	if (fault == FAULT_DATA_ABORT)
		(void)*(volatile u64 *)(uintptr_t)cpu_stacks[this_cpu()->index].guard;
	else if (fault == FAULT_STACK_OVERFLOW)
		(void)recurse(0);
}

/* ---- dma-unowned: DMA from a device no VM owns ---- */

/* QEMU's edu device (QEMU docs/specs/edu.rst): BAR0 registers. */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START BIT(0)
#define EDU_DMA_TO_RAM BIT(1) /* device buffer -> RAM */
#define EDU_DMA_BUF 0x40000   /* the device buffer's device address */
#define EDU_DMA_WAIT_US 1000000 /* one transfer takes 100 ms of virtual time */

#define DMA_BYTES 16 /* QEMU's SMMU reports a refused transfer once per 4-byte write */
#define DMA_EVENT_WAIT_US 100000
#define CANARY_WORDS (PAGE_SIZE / sizeof(u64))

static u64 canary_word(unsigned i) { return 0xca4a2100dead0000ULL + i; }

static const struct pci_dev *find_edu(void)
{
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_dev_at(i);

		if (d->vendor == EDU_VENDOR && d->device == EDU_DEVICE && d->usable &&
		    (d->bar[0].flags & PCI_BAR_F_ASSIGNED) && d->bar[0].size >= PAGE_SIZE)
			return d;
	}
	return NULL;
}

static u64 stream_faults(struct smmu_stats *s)
{
	smmu_get_stats(s);
	return s->events_by_type[EVT_C_BAD_STE] + s->events_by_type[EVT_C_BAD_STREAMID];
}

/*
 * Before any VM owns a device, its stream is unconfigured (iommu/smmuv3/smmuv3.h): DMA it makes,
 * even with bus mastering on, must be terminated and reported. The edu is told to write its
 * buffer over a canary page of the hypervisor's at the page's physical address, which is
 * where a bypassing SMMU would let it land.
 */
static void dma_unowned(void)
{
	static struct smmu_stats before, after;
	const struct pci_dev *d = find_edu();
	unsigned bus, dev, fn, intact = 0;
	u64 *canary, bar, base_faults, deadline;
	int done;
	pa_t page;

	if (!d || !smmu_present()) {
		log_warn("selftest 'dma-unowned' not run (%s)\n", d ? "no SMMU in use" : "no edu device");
		return;
	}
	bus = FIELD_GET(PCI_BDF_BUS, d->bdf);
	dev = FIELD_GET(PCI_BDF_DEV, d->bdf);
	fn = FIELD_GET(PCI_BDF_FN, d->bdf);
	page = page_alloc(1, 1);
	bar = d->bar[0].pa.v;
	if (!page.v || mmu_map_device(d->bar[0].pa, PAGE_SIZE)) {
		log_warn("selftest 'dma-unowned' not run (no memory)\n");
		if (page.v)
			page_free(page, 1);
		return;
	}
	canary = pa_to_va(page);
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		canary[i] = canary_word(i);
	dsb(sy); /* the canary is in memory before the device may write there */
	base_faults = stream_faults(&before);
	pci_set_bus_master(d->bdf, true);
	mmio_write64(bar + EDU_DMA_SRC, EDU_DMA_BUF);
	mmio_write64(bar + EDU_DMA_DST, page.v);
	mmio_write64(bar + EDU_DMA_COUNT, DMA_BYTES);
	mmio_write64(bar + EDU_DMA_CMD, EDU_DMA_START | EDU_DMA_TO_RAM);
	done = !mmio_poll32(bar + EDU_DMA_CMD, EDU_DMA_START, 0, EDU_DMA_WAIT_US, "edu DMA to finish");
	deadline = timer_now_us() + DMA_EVENT_WAIT_US;
	/* The events of one transfer are recorded by the time it completes; the wait is for an
	 * SMMU that writes its queue later. */
	do {
		smmu_poll();
	} while (stream_faults(&after) == base_faults && timer_now_us() < deadline);
	smmu_poll();
	stream_faults(&after);
	pci_set_bus_master(d->bdf, false);
	dsb(sy);
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		intact += canary[i] == canary_word(i);
	log_info("selftest: dma-unowned: edu %02x:%02x.%x (StreamID 0x%x) DMA of %u bytes to "
		 "%lx: %s, canary %s (%u of %lu words), SMMU events C_BAD_STREAMID %lu C_BAD_STE "
		 "%lu\n", bus, dev, fn, d->sid, DMA_BYTES, page.v,
		 done ? "device done" : "device TIMED OUT",
		 intact == CANARY_WORDS ? "intact" : "OVERWRITTEN", intact, (u64)CANARY_WORDS,
		 after.events_by_type[EVT_C_BAD_STREAMID] - before.events_by_type[EVT_C_BAD_STREAMID],
		 after.events_by_type[EVT_C_BAD_STE] - before.events_by_type[EVT_C_BAD_STE]);
	mmu_unmap(d->bar[0].pa, PAGE_SIZE);
	page_free(page, 1);
}

void selftest_run(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	const char *what = chosen >= 0 ? fdt_getprop(fdt, chosen, "portcullis,selftest", NULL) : NULL;
	u64 deadline;

	if (!what)
		return;
	if (!strcmp(what, "dma-unowned")) {
		dma_unowned();
		return;
	}
	if (!strcmp(what, "data-abort"))
		fault = FAULT_DATA_ABORT;
	else if (!strcmp(what, "stack-overflow"))
		fault = FAULT_STACK_OVERFLOW;
	if (fault == FAULT_NONE || !cpus[VICTIM_CPU].online) {
		log_warn("selftest '%s' not run (unknown, or no CPU %u)\n", what, VICTIM_CPU);
		return;
	}
	log_info("selftest: %s on CPU %u\n", what, VICTIM_CPU);
	gic_set_handler(SGI_SELFTEST, on_selftest_sgi, NULL);
	gic_send_sgi(SGI_SELFTEST, cpus[VICTIM_CPU].mpidr);
	deadline = timer_now_us() + FAULT_WAIT_US;
	while (cpus[VICTIM_CPU].online && timer_now_us() < deadline)
		cpu_relax();
	/* The other CPUs must still answer. */
	smp_demo_ipi();
}
