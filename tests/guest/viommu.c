/*
 * role=viommu: a minimal virtio-iommu driver (virtio 1.2, 4.2 and 5.13) for Portcullis's
 * device on virtio-mmio slot 0, checked through real DMA with QEMU's edu at 00:02.0
 * (tests/guest/viommu.dts, tests/boot/test_viommu_guest.py). One line per case:
 * "GUEST: viommu: <case>: <what happened>", which the test compares with the rule.
 * The MMU is off, so every access is aligned and goes straight to memory.
 */
#include "gic.h"
#include "guest.h"

#define VIRTIO_BASE 0x0a000000ULL
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define S_ACK 1U
#define S_DRIVER 2U
#define S_DRIVER_OK 4U
#define S_FEATURES_OK 8U
#define S_NEEDS_RESET 0x40U
#define F_MAP_UNMAP (1U << 2)
#define F_PROBE (1U << 4)
#define F_MMIO (1U << 5)
#define F_VERSION_1_HI 1U /* bit 32 */

#define T_ATTACH 1
#define T_DETACH 2
#define T_MAP 3
#define T_UNMAP 4
#define MSI_DOORBELL 0x08090000ULL /* the ITS's GITS_TRANSLATER page (docs/msi.md) */
#define T_PROBE 5
#define MAP_RW 3U
#define MAP_MMIO 4U   /* VIRTIO_IOMMU_MAP_F_MMIO */

#define QSIZE 8U
#define EDU_SID edu_rid() /* 00:02.0, the VM's, or role=faulter's 00:05.0 */
#define FOREIGN_EP 0x18  /* 00:03.0: an edu nobody gave this VM */
#define DOMAIN 1
#define PAGE 0x1000ULL

/* Guest RAM the driver uses (the image is at the start of RAM). */
#define REQQ (GUEST_RAM_BASE + 0x1100000)  /* desc, avail, used of the request queue */
#define EVTQ (GUEST_RAM_BASE + 0x1101000)
#define EVT_BUFS (GUEST_RAM_BASE + 0x1102000)
#define REQ_BUF (GUEST_RAM_BASE + 0x1103000)
#define SRC_PAGE (GUEST_RAM_BASE + 0x1200000)
#define DST_PAGE (GUEST_RAM_BASE + 0x1201000)
#define IOVA_SRC 0x100000ULL
#define IOVA_DST 0x200000ULL
#define XFER 256U

struct vq {
	uint64_t base;
	uint16_t avail_idx, used_seen;
};

static struct vq reqq = { REQQ, 0, 0 }, evtq = { EVTQ, 0, 0 };

static uint32_t reg(unsigned off) { return mmio_read32(VIRTIO_BASE + off); }
static void set_reg(unsigned off, uint32_t v) { mmio_write32(VIRTIO_BASE + off, v); }
static void set_reg64(unsigned off, uint64_t v)
{
	set_reg(off, (uint32_t)v);
	set_reg(off + 4, (uint32_t)(v >> 32));
}

static uint64_t desc_at(const struct vq *q, unsigned i) { return q->base + 16 * i; }
static uint64_t avail_at(const struct vq *q) { return q->base + 16 * QSIZE; }
static uint64_t used_at(const struct vq *q) { return q->base + 0x800; }

static void put_desc(const struct vq *q, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	mmio_write64(desc_at(q, i), addr);
	mmio_write32(desc_at(q, i) + 8, len);
	mmio_write32(desc_at(q, i) + 12, flags | ((uint32_t)next << 16));
}

static void make_available(struct vq *q, uint16_t head)
{
	uint64_t ring = avail_at(q);
	uint32_t word = mmio_read32(ring + 4 + 2 * (q->avail_idx % QSIZE & ~1U));

	/* avail ring entries are 16-bit: rewrite the aligned word holding ours */
	if (q->avail_idx % 2)
		word = (word & 0xffff) | ((uint32_t)head << 16);
	else
		word = (word & 0xffff0000U) | head;
	mmio_write32(ring + 4 + 2 * (q->avail_idx % QSIZE & ~1U), word);
	__asm__ volatile("dmb sy" ::: "memory");
	q->avail_idx++;
	mmio_write32(ring, (uint32_t)q->avail_idx << 16); /* flags 0, idx */
	__asm__ volatile("dmb sy" ::: "memory");
}

static uint16_t used_idx(const struct vq *q) { return (uint16_t)(mmio_read32(used_at(q)) >> 16); }

static int setup_queue(struct vq *q, unsigned n, uint64_t desc)
{
	set_reg(R_QUEUE_SEL, n);
	set_reg(R_QUEUE_NUM, QSIZE);
	set_reg64(R_QUEUE_DESC, desc);
	set_reg64(R_QUEUE_DRIVER, q->base + 16 * QSIZE);
	set_reg64(R_QUEUE_DEVICE, q->base + 0x800);
	set_reg(R_QUEUE_READY, 1);
	return reg(R_QUEUE_READY) == 1;
}

/* Reset, negotiate, both queues ready, eventq filled, DRIVER_OK. */
static int start_device(void)
{
	set_reg(R_STATUS, 0);
	for (unsigned i = 0; i < 0x1000; i += 4) {
		mmio_write32(REQQ + i, 0);
		mmio_write32(EVTQ + i, 0);
	}
	reqq.avail_idx = reqq.used_seen = evtq.avail_idx = evtq.used_seen = 0;
	set_reg(R_STATUS, S_ACK | S_DRIVER);
	set_reg(R_DRV_FEATURES_SEL, 0);
	set_reg(R_DRV_FEATURES, F_MAP_UNMAP | F_PROBE | F_MMIO);
	set_reg(R_DRV_FEATURES_SEL, 1);
	set_reg(R_DRV_FEATURES, F_VERSION_1_HI);
	set_reg(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(reg(R_STATUS) & S_FEATURES_OK))
		return 0;
	if (!setup_queue(&reqq, 0, REQQ) || !setup_queue(&evtq, 1, EVTQ))
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		put_desc(&evtq, i, EVT_BUFS + 64 * i, 24, 2 /* WRITE */, 0);
		make_available(&evtq, (uint16_t)i);
	}
	set_reg(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return 1;
}

/* One request: in[0..in_len) readable, then out_len writable bytes after it in REQ_BUF.
 * Returns the status byte (the tail's first), or -1 if the used length is not out_len. */
static int request(const uint32_t *in, unsigned in_len, unsigned out_len)
{
	uint64_t out = REQ_BUF + 0x100;
	uint32_t used_len;
	unsigned slot;

	for (unsigned i = 0; i < in_len / 4; i++)
		mmio_write32(REQ_BUF + 4 * i, in[i]);
	mmio_write32(out, 0xffffffffU);
	put_desc(&reqq, 0, REQ_BUF, in_len, 1 /* NEXT */, 1);
	put_desc(&reqq, 1, out, out_len, 2 /* WRITE */, 0);
	make_available(&reqq, 0);
	set_reg(R_QUEUE_NOTIFY, 0); /* served before this store completes */
	if (used_idx(&reqq) != (uint16_t)(reqq.used_seen + 1))
		return -2;
	slot = reqq.used_seen++ % QSIZE;
	used_len = mmio_read32(used_at(&reqq) + 4 + 8 * slot + 4);
	if (used_len != out_len)
		return -1;
	return (int)(mmio_read32(out + out_len - 4) & 0xff);
}

static int attach(uint32_t ep) { uint32_t r[] = { T_ATTACH, DOMAIN, ep, 0, 0 }; return request(r, 20, 4); }
static int detach(uint32_t ep) { uint32_t r[] = { T_DETACH, DOMAIN, ep, 0, 0 }; return request(r, 20, 4); }

static int map_flags(uint64_t iova, uint64_t size, uint64_t phys, uint32_t flags)
{
	uint64_t last = iova + size - 1;
	uint32_t r[] = { T_MAP, DOMAIN, (uint32_t)iova, (uint32_t)(iova >> 32), (uint32_t)last,
			 (uint32_t)(last >> 32), (uint32_t)phys, (uint32_t)(phys >> 32), flags };

	return request(r, 36, 4);
}

static int map(uint64_t iova, uint64_t size, uint64_t phys)
{
	return map_flags(iova, size, phys, MAP_RW);
}

static int unmap(uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	uint32_t r[] = { T_UNMAP, DOMAIN, (uint32_t)iova, (uint32_t)(iova >> 32), (uint32_t)last,
			 (uint32_t)(last >> 32), 0 };

	return request(r, 28, 4);
}

static void say(const char *what, int status)
{
	puts("GUEST: viommu: ");
	puts(what);
	puts(": status ");
	putdec((uint64_t)(int64_t)status);
	puts("\n");
}

static void fill(uint64_t page, uint32_t seed)
{
	for (unsigned i = 0; i < XFER; i += 4)
		mmio_write32(page + i, seed * 0x9e3779b9U + i);
}

/* RAM (src) -> edu buffer -> RAM (dst), at device addresses; 1 if dst got src's bytes. */
static int copy_through(uint64_t bar, uint64_t src_dev, uint64_t dst_dev, uint32_t seed)
{
	fill(SRC_PAGE, seed);
	fill(DST_PAGE, 0);
	edu_dma(bar, src_dev, EDU_DMA_BUF, XFER, 0);
	edu_dma(bar, EDU_DMA_BUF, dst_dev, XFER, EDU_DMA_TO_RAM);
	for (unsigned i = 0; i < XFER; i += 4)
		if (mmio_read32(DST_PAGE + i) != seed * 0x9e3779b9U + i)
			return 0;
	return 1;
}

static void say_dma(const char *what, int landed)
{
	puts("GUEST: viommu: ");
	puts(what);
	puts(landed ? ": DMA landed\n" : ": DMA blocked\n");
}

/* The first fault event that came since the last call (the others are counted), then every
 * buffer goes back to the device. */
static void say_fault(void)
{
	unsigned n = 0;

	delay_ms(50);
	for (; used_idx(&evtq) != evtq.used_seen; n++) {
		unsigned slot = evtq.used_seen++ % QSIZE;
		uint16_t id = (uint16_t)mmio_read32(used_at(&evtq) + 4 + 8 * slot);
		uint64_t b = EVT_BUFS + 64 * id;

		if (!n) {
			puts("GUEST: viommu: fault event: reason ");
			putdec(mmio_read32(b) & 0xff);
			puts(" flags ");
			puthex(mmio_read32(b + 4));
			puts(" endpoint ");
			puthex(mmio_read32(b + 8));
			puts(" address ");
			puthex(*(volatile uint64_t *)(b + 16));
			puts("\n");
		}
		make_available(&evtq, id);
	}
	if (!n)
		puts("GUEST: viommu: fault event: none\n");
}

static void conformance(uint64_t bar)
{
	say_dma("unattached", copy_through(bar, SRC_PAGE, DST_PAGE, 1));
	say_fault();
	say("attach foreign endpoint", attach(FOREIGN_EP));
	say("attach", attach(EDU_SID));
	say_dma("attached, nothing mapped", copy_through(bar, IOVA_SRC, IOVA_DST, 2));
	say_fault();
	say("map src", map(IOVA_SRC, PAGE, SRC_PAGE));
	say("map dst", map(IOVA_DST, PAGE, DST_PAGE));
	say_dma("mapped", copy_through(bar, IOVA_SRC, IOVA_DST, 3));
	say("map overlapping", map(IOVA_DST, PAGE, SRC_PAGE));
	say("map unaligned", map(IOVA_DST + 0x10000 + 8, PAGE, SRC_PAGE));
	say("map outside RAM", map(0x300000, PAGE, 0x40000000));
	say("map hypervisor", map(0x300000, PAGE, GUEST_RAM_BASE + GUEST_RAM_SIZE));
	say("map 8K", map(0x400000, 2 * PAGE, SRC_PAGE));
	say("map over the MSI doorbell", map(MSI_DOORBELL, PAGE, SRC_PAGE));
	say("map around the MSI doorbell", map(MSI_DOORBELL - PAGE, 3 * PAGE, SRC_PAGE));
	say("map its edu's BAR as MMIO", map_flags(0x500000, PAGE, bar, MAP_RW | MAP_MMIO));
	say("map its edu's BAR as RAM", map(0x501000, PAGE, bar));
	say("unmap the BAR", unmap(0x500000, PAGE));
	say("unmap splitting", unmap(0x400000, PAGE));
	say("unmap dst", unmap(IOVA_DST, PAGE));
	say_dma("dst unmapped", copy_through(bar, IOVA_SRC, IOVA_DST, 4));
	say_fault();
	say("detach", detach(EDU_SID));
	say_dma("detached", copy_through(bar, IOVA_SRC, IOVA_SRC, 5));
}

static void say_count(const char *what, unsigned n, int status)
{
	puts("GUEST: viommu: ");
	puts(what);
	puts(": ");
	putdec(n);
	puts(" then status ");
	putdec((uint64_t)(int64_t)status);
	puts("\n");
}

/* MAP one page at IOVAs step apart until the device refuses; returns how many it took and
 * the refusal's status in *status. */
static unsigned map_until_refused(uint64_t base, uint64_t step, unsigned max, int *status)
{
	unsigned n = 0;

	while (n < max && (*status = map(base + n * step, PAGE, SRC_PAGE)) == 0)
		n++;
	return n;
}

/* The per-VM limits answer NOMEM, and one UNMAP gives everything back. */
static void limits(void)
{
	int status;
	unsigned n;

	say("attach again", attach(EDU_SID));
	n = map_until_refused(0x10000000ULL, PAGE, 20000, &status);
	say_count("mappings until refused", n, status);
	say("unmap them all", unmap(0x10000000ULL, (uint64_t)n * PAGE));
	/* One page per 2 MiB: a level-3 table each, until the table pages run out. */
	n = map_until_refused(0x100000000ULL, 0x200000ULL, 20000, &status);
	say_count("tables until refused", n, status);
	say("unmap those", unmap(0x100000000ULL, (uint64_t)n * 0x200000ULL));
	say("map after the limits", map(0x10000000ULL, PAGE, SRC_PAGE));
}

/* A MAP whose 36 readable bytes come in six descriptors of 6 bytes. */
static void split_request(void)
{
	uint64_t iova = 0x20000000ULL, last = iova + PAGE - 1;
	uint32_t r[] = { T_MAP, DOMAIN, (uint32_t)iova, (uint32_t)(iova >> 32), (uint32_t)last,
			 (uint32_t)(last >> 32), (uint32_t)SRC_PAGE, 0, MAP_RW };
	uint64_t out = REQ_BUF + 0x100;

	for (unsigned i = 0; i < 9; i++)
		mmio_write32(REQ_BUF + 4 * i, r[i]);
	mmio_write32(out, 0xffffffffU);
	for (unsigned i = 0; i < 6; i++)
		put_desc(&reqq, i, REQ_BUF + 6 * i, 6, 1, (uint16_t)(i + 1));
	put_desc(&reqq, 6, out, 4, 2, 0);
	make_available(&reqq, 0);
	set_reg(R_QUEUE_NOTIFY, 0);
	reqq.used_seen++;
	say("map split over 6 descriptors", (int)(mmio_read32(out) & 0xff));
}

/* Requests made available but never notified, then a device reset: none of them may take
 * effect later, and the domain is gone. */
static void reset_mid_batch(uint64_t bar)
{
	for (unsigned i = 0; i < 3; i++) {
		uint64_t iova = IOVA_SRC + i * PAGE, last = iova + PAGE - 1;
		uint32_t r[] = { T_MAP, DOMAIN, (uint32_t)iova, 0, (uint32_t)last, 0,
				 (uint32_t)SRC_PAGE, 0, MAP_RW };
		uint64_t buf = REQ_BUF + 0x200 * (i + 1);

		for (unsigned w = 0; w < 9; w++)
			mmio_write32(buf + 4 * w, r[w]);
		put_desc(&reqq, 2 * i, buf, 36, 1, (uint16_t)(2 * i + 1));
		put_desc(&reqq, 2 * i + 1, buf + 0x100, 4, 2, 0);
		make_available(&reqq, (uint16_t)(2 * i));
	}
	start_device(); /* writes Status 0 first */
	say("attach after reset", attach(EDU_SID));
	say_dma("batch never notified", copy_through(bar, IOVA_SRC, IOVA_SRC, 6));
	say_fault();
	say("map after reset", map(IOVA_SRC, PAGE, SRC_PAGE));
	say("detach after reset", detach(EDU_SID));
}

/* Two vCPUs drive the request queue at once, with no lock between them (a driver bug, or a
 * hostile one): torn rings and requests are the device's problem, not the hypervisor's.
 * Afterwards a reset brings the device back. */
#define RACE_ROUNDS 300
static volatile uint32_t race_done;

static void race_rounds(uint64_t base)
{
	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		map(base + i * PAGE, PAGE, SRC_PAGE);
		unmap(base + i * PAGE, PAGE);
	}
}

void viommu_secondary(void)
{
	race_rounds(0x40000000ULL);
	race_done = 1;
	psci(PSCI_CPU_OFF, 0, 0, 0);
}

/* PROBE's answer (virtio 1.2, 5.13.6.8): its first property, as the guest reads it. */
static void say_probe_property(void)
{
	uint64_t out = REQ_BUF + 0x100;

	puts("GUEST: viommu: probe: type ");
	putdec(mmio_read32(out) & 0xffff);
	puts(" length ");
	putdec(mmio_read32(out) >> 16);
	puts(" subtype ");
	putdec(mmio_read32(out + 4) & 0xff);
	puts(" start ");
	puthex(mmio_read32(out + 8) | (uint64_t)mmio_read32(out + 12) << 32);
	puts(" end ");
	puthex(mmio_read32(out + 16) | (uint64_t)mmio_read32(out + 20) << 32);
	puts("\n");
}

static void race(void)
{
	uint32_t probe_req[2 + 16] = { T_PROBE, EDU_SID };
	int64_t on;

	start_device();
	attach(EDU_SID);
	on = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, VIOMMU_RACE_TASK);
	race_rounds(0x50000000ULL);
	puts("GUEST: viommu: race: partner ");
	puts(on == 0 && wait_eq(&race_done, 1, 5000) ? "done" : "NOT done");
	puts("\n");
	start_device();
	say("after race, probe", request(probe_req, 72, 64 + 4));
	say_probe_property();
}

/* A driver that breaks its queues: the device stops (DEVICE_NEEDS_RESET) and a reset
 * brings it back. */
static void hostile(void)
{
	uint32_t probe_req[2 + 16] = { T_PROBE, EDU_SID };

	start_device();
	set_reg(R_STATUS, 0);
	set_reg(R_STATUS, S_ACK | S_DRIVER);
	set_reg(R_DRV_FEATURES_SEL, 1);
	set_reg(R_DRV_FEATURES, F_VERSION_1_HI);
	set_reg(R_DRV_FEATURES_SEL, 0);
	set_reg(R_DRV_FEATURES, F_MAP_UNMAP);
	set_reg(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	puts("GUEST: viommu: ring in hypervisor memory: ready ");
	putdec(setup_queue(&reqq, 0, 0x40000000ULL));
	puts(" status ");
	puthex(reg(R_STATUS));
	puts("\n");

	start_device();
	put_desc(&reqq, 0, REQ_BUF, 20, 1, 0); /* next = itself: a loop */
	make_available(&reqq, 0);
	set_reg(R_QUEUE_NOTIFY, 0);
	puts("GUEST: viommu: descriptor loop: used ");
	putdec(used_idx(&reqq));
	puts(" status ");
	puthex(reg(R_STATUS));
	puts("\n");

	start_device();
	put_desc(&reqq, 0, REQ_BUF, 0xffffffffU, 1, 1); /* a 4 GiB buffer */
	put_desc(&reqq, 1, REQ_BUF + 0x100, 4, 2, 0);
	make_available(&reqq, 0);
	set_reg(R_QUEUE_NOTIFY, 0);
	puts("GUEST: viommu: huge length: status ");
	puthex(reg(R_STATUS));
	puts("\n");

	start_device();
	say("after reset, probe", request(probe_req, 72, 64 + 4));
}

void viommu(void)
{
	uint64_t bar;

	puts("GUEST: viommu: device ");
	putdec(reg(R_DEVICE_ID));
	puts(" version ");
	putdec(reg(R_VERSION));
	puts(reg(R_MAGIC) == 0x74726976U ? " magic ok\n" : " magic BAD\n");
	bar = edu_setup();
	if (!start_device()) {
		puts("GUEST: viommu: device did not start\n");
		return;
	}
	conformance(bar);
	limits();
	split_request();
	reset_mid_batch(bar);
	race();
	hostile();
	puts("GUEST: viommu: done\n");
}

/* ---- role=flood: the device's DMA into an unmapped IOVA, again and again ---- */

/* Each 2 KiB transfer into an IOVA that nothing maps is a burst of SMMU translation faults
 * (QEMU's SMMU records one per access it fails); QEMU's edu does one transfer per 100 ms of
 * virtual time at most. Reports every second how many it started and how many fault events
 * the virtio-iommu delivered, whose buffers go straight back. (tests/linux/livelock-*.dts) */
#define FLOOD_XFER 2048U
#define FLOOD_REPORT_MS 1000

static unsigned drain_fault_events(void)
{
	unsigned n = 0;

	for (; used_idx(&evtq) != evtq.used_seen; n++) {
		unsigned slot = evtq.used_seen++ % QSIZE;

		make_available(&evtq, (uint16_t)mmio_read32(used_at(&evtq) + 4 + 8 * slot));
	}
	return n;
}

void viommu_flood(void)
{
	uint64_t bar = edu_setup(), next;
	unsigned dmas = 0, events = 0;

	if (!start_device() || attach(EDU_SID) != 0) {
		puts("GUEST: flood: no domain for the device\n");
		return;
	}
	puts("GUEST: flood: started\n");
	next = counter() + ms_to_ticks(FLOOD_REPORT_MS);
	for (;;) {
		edu_dma(bar, EDU_DMA_BUF, IOVA_DST, FLOOD_XFER, EDU_DMA_TO_RAM);
		dmas++;
		events += drain_fault_events();
		if (counter() < next)
			continue;
		next += ms_to_ticks(FLOOD_REPORT_MS);
		puts("GUEST: flood: ");
		putdec(dmas);
		puts(" DMAs, ");
		putdec(events);
		puts(" fault events\n");
	}
}

/* ---- role=faulter: its own faults heard beside a flood (tests/boot/test_storm.py) ----
 * Its edu at 00:05.0 DMAs FAULTER_DMAS times (100 ms each, edu's pace), FAULTER_GAP_MS
 * apart, each time into an unmapped IOVA of its own; every fault event's address says which DMA it was. A fault the
 * SMMU's shared event queue lost (another VM's device filled it) is never reported. */
#define FAULTER_DMAS 32U
#define FAULTER_GAP_MS 50U
#define FAULTER_IOVA 0x4000000ULL
#define FAULTER_STRIDE 0x10000ULL

/* Which of the faulter's DMAs the fault events since the last call were about. */
static uint64_t faults_reported(void)
{
	uint64_t seen = 0;

	while (used_idx(&evtq) != evtq.used_seen) {
		unsigned slot = evtq.used_seen++ % QSIZE;
		uint16_t id = (uint16_t)mmio_read32(used_at(&evtq) + 4 + 8 * slot);
		uint64_t a = *(volatile uint64_t *)(EVT_BUFS + 64 * id + 16) - FAULTER_IOVA;

		if (a / FAULTER_STRIDE < FAULTER_DMAS)
			seen |= 1ULL << (a / FAULTER_STRIDE);
		make_available(&evtq, id);
	}
	return seen;
}

void viommu_faulter(void)
{
	uint64_t seen = 0;
	unsigned heard = 0, timeouts = 0;
	uint64_t bar;

	edu_use(5);
	bar = edu_setup();
	if (!start_device() || attach(EDU_SID) != 0) {
		puts("GUEST: faulter: no domain for the device\n");
		return;
	}
	/* The flood beside it started with this VM. Its pauses double from 10 ms: it bursts
	 * into the queue at about 0, 0.01, 0.03, ... 2.55, 5.11 and 10.23 s, and this VM
	 * faults between the last two (core/vm/vm_iommu.h "Fault storms"). */
	delay_ms(6000);
	for (unsigned k = 0; k < FAULTER_DMAS; k++) {
		/* 4 bytes: one fault each, so the driver's 4 event buffers never run out. */
		timeouts += !edu_dma(bar, EDU_DMA_BUF, FAULTER_IOVA + k * FAULTER_STRIDE, 4,
				     EDU_DMA_TO_RAM);
		delay_ms(FAULTER_GAP_MS);
		seen |= faults_reported();
	}
	/* A report may still be on its way (a loaded host): up to a second more. */
	for (unsigned ms = 0; ms < 1000 && seen != (1ULL << FAULTER_DMAS) - 1; ms += 10) {
		delay_ms(10);
		seen |= faults_reported();
	}
	for (unsigned k = 0; k < FAULTER_DMAS; k++)
		heard += (seen >> k) & 1;
	puts("GUEST: faulter: ");
	putdec(heard);
	puts(" of ");
	putdec(FAULTER_DMAS);
	puts(" faults reported, missing ");
	puthex(~seen & ((1ULL << FAULTER_DMAS) - 1));
	puts(", ");
	putdec(timeouts);
	puts(" DMA(s) timed out\n");
}

/* ---- role=viommubench: the hypervisor's costs as the guest sees them (make bench) ---- */

#define BENCH_EPS 16       /* edus at 00:02.0 .. 00:11.0 (tests/guest/viommu-bench.dts) */
#define BENCH_PAIRS 1000
#define BENCH_TRAPS 10000
#define BENCH_TIMER_SAMPLES 100
#define PREFILL_IOVA 0x1000000000ULL
#define TIMED_IOVA 0x8000000000ULL
#define VTIMER_INTID 27

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t n)
{
	return ticks * 1000000000ULL / read_sysreg(cntfrq_el0) / n;
}

static void say_ns(const char *what, uint64_t ns)
{
	puts("GUEST: viommu-bench: ");
	puts(what);
	puts(" ns ");
	putdec(ns);
	puts("\n");
}

/* A register read the hypervisor emulates: the whole trap, there and back. */
static void bench_trap(void)
{
	uint64_t t0 = counter();

	for (unsigned i = 0; i < BENCH_TRAPS; i++)
		(void)reg(R_MAGIC);
	say_ns("mmio read", ticks_to_ns(counter() - t0, BENCH_TRAPS));
}

static volatile uint64_t timer_late;
static volatile uint32_t timer_fired;

static void bench_timer_irq(unsigned intid, unsigned cpu)
{
	(void)intid;
	(void)cpu;
	timer_late += counter() - read_sysreg(cntv_cval_el0);
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	timer_fired++;
}

/* From the virtual timer's deadline to the guest's handler: through the physical
 * interrupt, the hypervisor and the vGIC. */
static void bench_timer(void)
{
	gic_dist_init();
	gic_cpu_init();
	gic_set_handler(VTIMER_INTID, bench_timer_irq);
	gic_enable_private(VTIMER_INTID);
	for (unsigned i = 0; i < BENCH_TIMER_SAMPLES; i++) {
		write_sysreg(cntv_cval_el0, counter() + ms_to_ticks(1));
		write_sysreg(cntv_ctl_el0, 1);
		isb();
		while (timer_fired == i)
			__asm__ volatile("wfi");
	}
	say_ns("vtimer latency", ticks_to_ns(timer_late, BENCH_TIMER_SAMPLES));
}

static void bench_pairs(unsigned live, unsigned eps)
{
	uint64_t t0 = counter();

	for (unsigned i = 0; i < BENCH_PAIRS; i++) {
		map(TIMED_IOVA, PAGE, SRC_PAGE);
		unmap(TIMED_IOVA, PAGE);
	}
	puts("GUEST: viommu-bench: live ");
	putdec(live);
	puts(" endpoints ");
	putdec(eps);
	puts(" map+unmap ns ");
	putdec(ticks_to_ns(counter() - t0, BENCH_PAIRS));
	puts("\n");
}

/* MAP+UNMAP round trips with 10, 10^3 and 10^5 live mappings in the domain, and with 1, 4
 * and 16 endpoints attached to it. The 10^5 mappings stay for the hypervisor's count of
 * table pages per mapping. */
static void bench_scale(void)
{
	static const unsigned lives[] = { 10, 1000, 100000 }, eps[] = { 1, 4, 16 };
	unsigned live = 0;

	start_device();
	attach(EDU_SID);
	for (unsigned l = 0; l < 3; l++) {
		for (; live < lives[l]; live++)
			if (map(PREFILL_IOVA + live * PAGE, PAGE, SRC_PAGE)) {
				puts("GUEST: viommu-bench: prefill REFUSED\n");
				return;
			}
		for (unsigned e = 0; e < 3; e++) {
			for (unsigned k = 1; k < eps[e]; k++)
				attach(EDU_SID + 8 * k);
			bench_pairs(live, eps[e]);
		}
		for (unsigned k = 1; k < BENCH_EPS; k++)
			detach(EDU_SID + 8 * k);
	}
}

void viommu_bench(void)
{
	bench_trap();
	bench_timer();
	bench_scale();
	puts("GUEST: viommu-bench: done\n");
}
