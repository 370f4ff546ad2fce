/*
 * Host tests of the virtio-mmio transport (core/virtio/virtio_mmio.c) and, through it, the split
 * virtqueues (core/virtio/virtqueue.c): the register file as Linux's virtio_mmio driver uses it
 * (drivers/virtio/virtio_mmio.c, 6.1 and 6.12), feature negotiation, status and reset, the
 * config space and its generation, requests end to end, the device filling an event queue,
 * and every way a hostile driver can break a queue. Guest RAM is a fake: a host buffer at
 * RAM_BASE that the translate callback bounds-checks; the driver's side is written here.
 *
 * Every malformed case must end with DEVICE_NEEDS_RESET set, a configuration change
 * interrupt, the model not called, guest RAM byte-for-byte unchanged, and the device working
 * again after a reset (ASan and UBSan watch the hypervisor's side).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/errno.h"
#include "core/virtio/virtio_mmio.h"

/* ---- fake guest RAM ---- */

#define RAM_BASE ULL(0x40000000)
#define RAM_SIZE ULL(0x20000)
/* A window far above RAM whose every range maps onto one small buffer: for chains whose
 * total length is what is tested (the device touches at most VIRTIO_BUF_MAX of it). */
#define HUGE_BASE ULL(0x100000000)
#define HUGE_SIZE ULL(0x200000000)

static u8 *ram, *ram_before;
static u8 huge[2 * VIRTIO_BUF_MAX];
static bool huge_window;

static void *fake_translate(void *ctx, ipa_t a, u64 size)
{
	assert_true(size > 0);
	if (a.v >= RAM_BASE && size <= RAM_SIZE && a.v - RAM_BASE <= RAM_SIZE - size)
		return ram + (a.v - RAM_BASE);
	if (huge_window && a.v >= HUGE_BASE && size <= HUGE_SIZE && a.v - HUGE_BASE <= HUGE_SIZE - size)
		return huge;
	return NULL;
}

static u8 *g(u64 ipa_v) { return ram + (ipa_v - RAM_BASE); }
static void g16(u64 a, u16 v) { memcpy(g(a), &v, 2); }
static void g32(u64 a, u32 v) { memcpy(g(a), &v, 4); }
static void g64(u64 a, u64 v) { memcpy(g(a), &v, 8); }
static u16 r16(u64 a) { u16 v; memcpy(&v, g(a), 2); return v; }
static u32 r32(u64 a) { u32 v; memcpy(&v, g(a), 4); return v; }

static void snapshot(void) { memcpy(ram_before, ram, RAM_SIZE); }
static void assert_ram_unchanged(void) { assert_memory_equal(ram, ram_before, RAM_SIZE); }

/* ---- the fake device model: records what it is given, fills out with a pattern ---- */

#define REQ_Q 0
#define EVT_Q 1
#define QMAX 32
#define CONFIG_SIZE 40
#define DEV_FEATURES (BIT(0) | BIT(2) | BIT(4) | BIT(50))

struct fake_dev {
	unsigned handled, resets;
	u8 in[VIRTIO_BUF_MAX];
	size_t in_len, out_cap;
	unsigned queue;
	u8 order[64];        /* in[0] of each request, in the order served */
	size_t reply;        /* the used length returned; REPLY_ALL: out_cap */
	void (*hook)(struct fake_dev *d, const u8 *in, u8 *out);
	u8 config[CONFIG_SIZE];
	unsigned config_writes;
	u32 last_write_off, last_write_val;
	unsigned last_write_size;
	bool live_in_reset;
	u32 status_in_reset;
	unsigned syncs;
	u16 used_idx_at_sync; /* the guest's view when sync ran */
	unsigned handled_at_sync;
	u8 sync_status; /* != 0: what sync writes at each request's status */
	struct virtio_mmio *t;
};
#define REPLY_ALL ((size_t)-1)

static size_t fake_handle(void *dev, unsigned queue, const u8 *in, size_t in_len, u8 *out,
			  size_t out_cap)
{
	struct fake_dev *d = dev;

	for (size_t i = 0; i < out_cap; i++)
		assert_int_equal(out[i], 0); /* zeroed: nothing stale can leak to the guest */
	if (d->handled < sizeof(d->order))
		d->order[d->handled] = in_len ? in[0] : 0xff;
	d->handled++;
	d->queue = queue;
	d->in_len = in_len;
	d->out_cap = out_cap;
	memcpy(d->in, in, in_len);
	for (size_t i = 0; i < out_cap; i++)
		out[i] = (u8)(0xa0 + i);
	if (d->hook)
		d->hook(d, in, out);
	return d->reply == REPLY_ALL ? out_cap : d->reply;
}

static u16 used_idx(unsigned q);

static void fake_sync(void *dev, unsigned queue, u8 *const *status)
{
	struct fake_dev *d = dev;

	assert_int_equal(queue, REQ_Q);
	d->syncs++;
	d->used_idx_at_sync = used_idx(queue);
	d->handled_at_sync = d->handled;
	for (unsigned k = 0; d->sync_status && k < d->handled; k++)
		if (status[k])
			*status[k] = d->sync_status;
}

static void fake_reset(void *dev)
{
	struct fake_dev *d = dev;

	d->resets++;
	d->live_in_reset = virtio_mmio_live(d->t);
	d->status_in_reset = d->t->status;
}

static u32 fake_config_read(void *dev, u32 off, unsigned size)
{
	struct fake_dev *d = dev;
	u32 v = 0;

	assert_true(off + size <= CONFIG_SIZE);
	assert_true(off % size == 0);
	for (unsigned i = 0; i < size; i++)
		v |= (u32)d->config[off + i] << (8 * i);
	return v;
}

static void fake_config_write(void *dev, u32 off, unsigned size, u32 value)
{
	struct fake_dev *d = dev;

	assert_true(off + size <= CONFIG_SIZE);
	d->config_writes++;
	d->last_write_off = off;
	d->last_write_size = size;
	d->last_write_val = value;
	for (unsigned i = 0; i < size; i++)
		d->config[off + i] = (u8)(value >> (8 * i));
}

static const struct virtio_dev_ops fake_ops = {
	.name = "fake",
	.device_id = 23,
	.features = DEV_FEATURES,
	.num_queues = 2,
	.queue_max = QMAX,
	.fill_queues = BIT(EVT_Q),
	.config_size = CONFIG_SIZE,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.handle = fake_handle,
	.sync = fake_sync,
	.status_back = 4, /* as virtio-iommu's tail */
	.reset = fake_reset,
};

/* ---- the interrupt line ---- */

struct line {
	bool level;
	unsigned changes;
	unsigned reports;
	unsigned report_queue;
	enum vq_status report_why;
};

static void fake_set_irq(void *ctx, bool level)
{
	struct line *l = ctx;

	assert_true(level != l->level); /* called on changes only */
	l->level = level;
	l->changes++;
}

static void fake_report(void *ctx, unsigned queue, enum vq_status why)
{
	struct line *l = ctx;

	l->reports++;
	l->report_queue = queue;
	l->report_why = why;
}

/* ---- devices under test: two, to show one's failure stays its own ---- */

static struct virtio_mmio tr[2];
static struct fake_dev fd[2];
static struct line lines[2];
static struct virtio_mmio *T; /* the device the helpers drive */
static struct fake_dev *D;
static struct line *L;

static void use(unsigned i)
{
	T = &tr[i];
	D = &fd[i];
	L = &lines[i];
}

static int setup(void **state)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	ram_before = malloc(RAM_SIZE);
	assert_non_null(ram);
	assert_non_null(ram_before);
	memset(ram, 0, RAM_SIZE);
	huge_window = false;
	for (unsigned i = 0; i < 2; i++) {
		struct virtio_mmio_host host = {
			.mem = { fake_translate, NULL },
			.set_irq = fake_set_irq,
			.report = fake_report,
			.ctx = &lines[i],
		};

		fd[i] = (struct fake_dev){ .reply = REPLY_ALL, .t = &tr[i] };
		for (unsigned b = 0; b < CONFIG_SIZE; b++)
			fd[i].config[b] = (u8)(0x10 + b);
		lines[i] = (struct line){ 0 };
		assert_int_equal(virtio_mmio_init(&tr[i], &fake_ops, &fd[i], &host), 0);
	}
	use(0);
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	free(ram_before);
	return 0;
}

/* ---- register access ---- */

static bool mmio(u64 off, unsigned size, bool write, u64 *value)
{
	struct mmio_access a = { .offset = off, .size = size, .write = write, .value = *value };
	bool ok = virtio_mmio_access(T, &a);

	*value = a.value;
	return ok;
}

static u32 rd(u64 off)
{
	u64 v = 0xdeadbeef;

	assert_true(mmio(off, 4, false, &v));
	return (u32)v;
}

static void wr(u64 off, u32 v)
{
	u64 x = v;

	assert_true(mmio(off, 4, true, &x));
}

static u64 cfg_rd(u64 off, unsigned size)
{
	u64 v = 0xdeadbeefdeadbeef;

	assert_true(mmio(VIRTIO_MMIO_CONFIG + off, size, false, &v));
	return v;
}

/* ---- the driver's side: rings in fake RAM, as Linux lays them out ---- */

struct dq {
	u16 num;
	u64 desc, avail, used;
	u16 avail_idx; /* the driver's copy of what it published */
};

/* Each device's two queues and its buffers, apart from the other device's. */
static struct dq dqs[2][2];
#define BUF(dev, n) (RAM_BASE + 0x10000 + (dev) * 0x8000 + (n) * 0x400)
#define MY_BUF(n) BUF((unsigned)(T - tr), (n))

static struct dq *Q(unsigned q) { return &dqs[T - tr][q]; }

static void dq_layout(unsigned q, u16 num)
{
	u64 base = RAM_BASE + (T - tr) * 0x8000 + q * 0x3000;
	struct dq *d = Q(q);

	*d = (struct dq){ .num = num, .desc = base, .avail = base + 0x1000, .used = base + 0x2000 };
	memset(g(d->desc), 0, 0x3000);
}

static void set_desc(unsigned q, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u64 d = Q(q)->desc + 16 * (u64)i;

	g64(d + VIRTQ_DESC_ADDR, addr);
	g32(d + VIRTQ_DESC_LEN, len);
	g16(d + VIRTQ_DESC_FLAGS, flags);
	g16(d + VIRTQ_DESC_NEXT, next);
}

/* Put a chain head in the next available entry and publish it. */
static void offer(unsigned q, u16 head)
{
	struct dq *d = Q(q);

	g16(d->avail + VIRTQ_AVAIL_RING + 2 * (u64)(d->avail_idx % d->num), head);
	d->avail_idx++;
	g16(d->avail + VIRTQ_AVAIL_IDX, d->avail_idx);
}

static void set_avail_flags(unsigned q, u16 flags) { g16(Q(q)->avail + VIRTQ_AVAIL_FLAGS, flags); }
static u16 used_idx(unsigned q) { return r16(Q(q)->used + VIRTQ_USED_IDX); }
static u32 used_id(unsigned q, u16 n) { return r32(Q(q)->used + VIRTQ_USED_RING + 8 * (u64)(n % Q(q)->num)); }
static u32 used_len(unsigned q, u16 n) { return r32(Q(q)->used + VIRTQ_USED_RING + 8 * (u64)(n % Q(q)->num) + 4); }

static void setup_queue(unsigned q, u32 num, u64 desc, u64 avail, u64 used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (u32)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)avail);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (u32)(avail >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)used);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (u32)(used >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void write_features(u64 f)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (u32)(f >> 32));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (u32)f);
}

static u64 read_features(void)
{
	u64 f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (u64)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | rd(VIRTIO_MMIO_DEVICE_FEATURES);
}

#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK
#define S_NR VIRTIO_STATUS_DEVICE_NEEDS_RESET

/* Linux's sequence (virtio_dev_probe, vm_find_vqs): reset, ACK, DRIVER, features,
 * FEATURES_OK and its check, queues, DRIVER_OK. */
static void driver_init(u16 num)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(VIRTIO_MMIO_VERSION), 2);
	wr(VIRTIO_MMIO_STATUS, S_ACK);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	write_features(read_features());
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV | S_FOK);
	for (unsigned q = 0; q < 2; q++) {
		dq_layout(q, num);
		setup_queue(q, num, Q(q)->desc, Q(q)->avail, Q(q)->used);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	}
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV | S_FOK | S_DOK);
}

static void kick(unsigned q) { wr(VIRTIO_MMIO_QUEUE_NOTIFY, q); }

/* The interrupt handler's part: read and acknowledge InterruptStatus. */
static u32 take_interrupt(void)
{
	u32 s = rd(VIRTIO_MMIO_INTERRUPT_STATUS);

	wr(VIRTIO_MMIO_INTERRUPT_ACK, s);
	assert_false(L->level);
	return s;
}

/* A request like virtio-iommu's: `in_len` readable bytes (first byte `tag`) in one
 * descriptor at `head`, `out_len` writable bytes in the next one. */
static void request(u16 head, u8 tag, u32 in_len, u32 out_len, unsigned buf)
{
	u64 in = MY_BUF(buf), out = in + 0x200;

	memset(g(in), tag, in_len);
	memset(g(out), 0xee, out_len + 8);
	set_desc(REQ_Q, head, in, in_len, VIRTQ_DESC_F_NEXT, (u16)(head + 1));
	set_desc(REQ_Q, (u16)(head + 1), out, out_len, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, head);
}

/* ---- the register file ---- */

static void test_identity(void **state)
{
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), 23);
	assert_int_equal(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR_PORTCULLIS);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	/* Read-only registers ignore writes. */
	wr(VIRTIO_MMIO_MAGIC_VALUE, 0);
	wr(VIRTIO_MMIO_DEVICE_ID, 1);
	wr(VIRTIO_MMIO_INTERRUPT_STATUS, 3);
	wr(VIRTIO_MMIO_CONFIG_GENERATION, 7);
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), 23);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	/* Write-only registers read 0; no shared memory (length -1, base all ones); no queue
	 * reset in progress. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffff);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_SEL), 0);
	assert_int_equal(rd(VIRTIO_MMIO_DRIVER_FEATURES), 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NOTIFY), 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_ACK), 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	wr(VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_RESET), 0);
	assert_int_equal(rd(0x0f8), 0); /* reserved */
}

static void test_queue_registers(void **state)
{
	for (unsigned q = 0; q < 2; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	}
	/* A queue that does not exist: QueueNumMax 0, QueueReady 0, writes ignored. */
	for (unsigned q = 2; q < 3 + VIRTIO_MMIO_MAX_QUEUES; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		wr(VIRTIO_MMIO_QUEUE_NUM, 4);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	}
	wr(VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);

	/* Addresses are 64-bit: both halves land. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x11111110);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x22);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x33333332);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0x44);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x55555554);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0x66);
	assert_int_equal(T->queues[1].num, 8);
	assert_int_equal(T->queues[1].desc, 0x2211111110);
	assert_int_equal(T->queues[1].driver, 0x4433333332);
	assert_int_equal(T->queues[1].device, 0x6655555554);
	assert_int_equal(T->queues[0].num, 0);
}

/* Control registers: aligned 32-bit accesses only (4.2.2.2); the slot ends at 0x200. */
static void test_access_sizes(void **state)
{
	u64 v = 0;

	assert_false(mmio(VIRTIO_MMIO_MAGIC_VALUE, 1, false, &v));
	assert_false(mmio(VIRTIO_MMIO_MAGIC_VALUE, 2, false, &v));
	assert_false(mmio(VIRTIO_MMIO_MAGIC_VALUE, 8, false, &v));
	assert_false(mmio(VIRTIO_MMIO_MAGIC_VALUE + 2, 4, false, &v));
	assert_false(mmio(VIRTIO_MMIO_STATUS, 1, true, &v));
	assert_false(mmio(VIRTIO_MMIO_QUEUE_DESC_LOW, 8, true, &v));
	assert_false(mmio(VIRTIO_MMIO_CONFIG_GENERATION + 1, 1, false, &v));
	/* Config space: 1, 2, 4 bytes naturally aligned. */
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 3, 1, false, &v));
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 2, 2, false, &v));
	assert_false(mmio(VIRTIO_MMIO_CONFIG + 1, 2, false, &v));
	assert_false(mmio(VIRTIO_MMIO_CONFIG + 2, 4, false, &v));
	assert_false(mmio(VIRTIO_MMIO_CONFIG, 8, false, &v));
	assert_false(mmio(VIRTIO_MMIO_CONFIG, 3, false, &v));
	assert_true(mmio(VIRTIO_MMIO_REGION_SIZE - 4, 4, false, &v));
	assert_int_equal(v, 0);
	assert_false(mmio(VIRTIO_MMIO_REGION_SIZE, 4, false, &v));
	assert_false(mmio(VIRTIO_MMIO_REGION_SIZE, 1, true, &v));
	assert_false(mmio(~ULL(0) - 3, 4, false, &v));
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
}

/* ---- features and status ---- */

static void test_features_offered(void **state)
{
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), (u32)DEV_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	/* VERSION_1 (bit 32) and the model's bit 50; no other reserved bit (no INDIRECT_DESC,
	 * EVENT_IDX, RING_PACKED, ACCESS_PLATFORM...). */
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1 | BIT(18));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	assert_int_equal(read_features() & VIRTIO_F_RESERVED_MASK, VIRTIO_F_VERSION_1);
}

static bool negotiate(u64 f)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_ACK);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	write_features(f);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	return rd(VIRTIO_MMIO_STATUS) & S_FOK;
}

static void test_feature_negotiation(void **state)
{
	/* Any subset of what is offered, with VERSION_1. */
	assert_true(negotiate(DEV_FEATURES | VIRTIO_F_VERSION_1));
	assert_int_equal(virtio_mmio_features(T), DEV_FEATURES | VIRTIO_F_VERSION_1);
	assert_true(negotiate(BIT(2) | VIRTIO_F_VERSION_1));
	assert_int_equal(virtio_mmio_features(T), BIT(2) | VIRTIO_F_VERSION_1);
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	/* Without VERSION_1 (a legacy driver), or with anything not offered: refused. */
	assert_false(negotiate(BIT(2)));
	assert_int_equal(virtio_mmio_features(T), 0);
	assert_false(negotiate(0));
	assert_false(negotiate(BIT(1) | VIRTIO_F_VERSION_1));
	assert_false(negotiate(VIRTIO_F_INDIRECT_DESC | VIRTIO_F_VERSION_1));
	assert_false(negotiate(VIRTIO_F_EVENT_IDX | VIRTIO_F_VERSION_1));
	assert_false(negotiate(VIRTIO_F_RING_PACKED | VIRTIO_F_VERSION_1));
	assert_false(negotiate(BIT(63) | VIRTIO_F_VERSION_1));
	/* The refusal leaves the other bits; a corrected set is then accepted. Words past 1
	 * do not exist. */
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	write_features(BIT(0) | VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV | S_FOK);
	/* After FEATURES_OK nothing changes the negotiated set. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(virtio_mmio_features(T), BIT(0) | VIRTIO_F_VERSION_1);
	/* The same set is accepted again after a reset (2.2.2), which forgets the last. */
	assert_true(negotiate(BIT(0) | VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(T->driver_features, 0);
	assert_int_equal(virtio_mmio_features(T), 0);
}

static void test_status_rules(void **state)
{
	dq_layout(REQ_Q, 8);
	/* DRIVER_OK before FEATURES_OK is not taken: no legacy operation. */
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_DOK);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	assert_false(virtio_mmio_live(T));
	/* The driver cannot set DEVICE_NEEDS_RESET, nor clear a bit with a non-zero write. */
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_NR);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	wr(VIRTIO_MMIO_STATUS, S_ACK);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	wr(VIRTIO_MMIO_STATUS, 0x100);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV);
	/* Requests before DRIVER_OK wait for it (2.1.2: nothing consumed before). */
	write_features(VIRTIO_F_VERSION_1);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	setup_queue(REQ_Q, 8, Q(REQ_Q)->desc, Q(REQ_Q)->avail, Q(REQ_Q)->used);
	request(0, 0x51, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 0);
	assert_int_equal(used_idx(REQ_Q), 0);
	assert_false(L->level);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	assert_int_equal(D->handled, 1);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_true(L->level);
	/* FAILED stops the device until a reset. */
	request(2, 0x52, 8, 4, 1);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK | VIRTIO_STATUS_FAILED);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_false(virtio_mmio_live(T));
}

/* ---- config space ---- */

static void test_config_space(void **state)
{
	/* Every width the driver may use, little-endian. */
	assert_int_equal(cfg_rd(0, 1), 0x10);
	assert_int_equal(cfg_rd(5, 1), 0x15);
	assert_int_equal(cfg_rd(6, 2), 0x1716);
	assert_int_equal(cfg_rd(36, 4), 0x37363534);
	assert_int_equal(cfg_rd(39, 1), 0x37);
	/* A 64-bit field: two 32-bit reads. */
	assert_int_equal(cfg_rd(8, 4) | cfg_rd(12, 4) << 32, 0x1f1e1d1c1b1a1918);
	/* Past the device's config space: 0, writes ignored. */
	assert_int_equal(cfg_rd(40, 4), 0);
	assert_int_equal(cfg_rd(38, 2), 0x3736);
	assert_int_equal(cfg_rd(40, 1), 0);
	assert_int_equal(cfg_rd(0xff, 1), 0);
	/* Writes reach the model with their width. */
	u64 v = 0x01;
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 36, 1, true, &v));
	assert_int_equal(D->config_writes, 1);
	assert_int_equal(D->last_write_off, 36);
	assert_int_equal(D->last_write_size, 1);
	assert_int_equal(D->last_write_val, 1);
	v = 0xabcd1234;
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 32, 4, true, &v));
	assert_int_equal(cfg_rd(32, 4), 0xabcd1234);
	v = 0xffffffffffff;
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 30, 2, true, &v));
	assert_int_equal(D->last_write_val, 0xffff);
	v = 7;
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 40, 4, true, &v));
	assert_true(mmio(VIRTIO_MMIO_CONFIG + 38, 4, true, &v) == false); /* misaligned */
	assert_int_equal(D->config_writes, 3);
	/* Reading config needs no negotiation (2.5.2) and changes nothing. */
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
}

/* What Linux's virtio_cread64 does over virtio-mmio: generation, two halves, generation,
 * again until both generations match. */
static u64 read_config64(u32 off, void (*between)(void))
{
	u32 before, after;
	u64 v;

	do {
		before = rd(VIRTIO_MMIO_CONFIG_GENERATION);
		v = cfg_rd(off, 4);
		if (between) {
			between();
			between = NULL;
		}
		v |= cfg_rd(off + 4, 4) << 32;
		after = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	} while (before != after);
	return v;
}

static void change_config(void)
{
	for (unsigned b = 0; b < 8; b++)
		D->config[b] = 0x77;
	virtio_mmio_config_changed(T);
}

static void test_config_generation(void **state)
{
	assert_int_equal(read_config64(0, NULL), 0x1716151413121110);
	/* A change between the halves is seen by the generation: the driver reads again and
	 * gets the new value whole. */
	assert_int_equal(read_config64(0, change_config), 0x7777777777777777);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1);
	/* Before DRIVER_OK a change raises no interrupt; after, a config change one. */
	assert_false(L->level);
	driver_init(8);
	virtio_mmio_config_changed(T);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 2);
	assert_true(L->level);
	assert_int_equal(take_interrupt(), VIRTIO_MMIO_INT_CONFIG);
	/* A reset does not take the generation back. */
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 2);
}

/* ---- requests ---- */

static void test_round_trip(void **state)
{
	u64 in_a = MY_BUF(0), in_b = MY_BUF(1), out_a = MY_BUF(2), out_b = MY_BUF(3);

	driver_init(8);
	/* A request in four descriptors, out of table order: 5 bytes + 7 bytes readable,
	 * 3 + 6 writable. */
	for (unsigned i = 0; i < 5; i++)
		g(in_a)[i] = (u8)(1 + i);
	for (unsigned i = 0; i < 7; i++)
		g(in_b)[i] = (u8)(6 + i);
	memset(g(out_a), 0xee, 16);
	memset(g(out_b), 0xee, 16);
	set_desc(REQ_Q, 6, in_a, 5, VIRTQ_DESC_F_NEXT, 2);
	set_desc(REQ_Q, 2, in_b, 7, VIRTQ_DESC_F_NEXT, 7);
	set_desc(REQ_Q, 7, out_a, 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	set_desc(REQ_Q, 0, out_b, 6, VIRTQ_DESC_F_WRITE, 5);
	offer(REQ_Q, 6);
	D->reply = 7;
	kick(REQ_Q);

	assert_int_equal(D->handled, 1);
	assert_int_equal(D->queue, REQ_Q);
	assert_int_equal(D->in_len, 12);
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(D->in[i], 1 + i);
	assert_int_equal(D->out_cap, 9);
	/* Exactly the used length was written, across the descriptors, in order. */
	assert_int_equal(g(out_a)[0], 0xa0);
	assert_int_equal(g(out_a)[2], 0xa2);
	assert_int_equal(g(out_a)[3], 0xee);
	assert_int_equal(g(out_b)[0], 0xa3);
	assert_int_equal(g(out_b)[3], 0xa6);
	assert_int_equal(g(out_b)[4], 0xee);
	/* Readable buffers are never written. */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(g(in_a)[i], 1 + i);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_int_equal(used_id(REQ_Q, 0), 6);
	assert_int_equal(used_len(REQ_Q, 0), 7);
	assert_int_equal(r16(Q(REQ_Q)->used + VIRTQ_USED_FLAGS), 0);
	/* Used buffer notification: line up until acknowledged. */
	assert_true(L->level);
	assert_int_equal(take_interrupt(), VIRTIO_MMIO_INT_USED_BUFFER);
	assert_int_equal(L->changes, 2);
	assert_int_equal(T->stats.vq.chains, 1);
	/* A spurious notification does nothing. */
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_false(L->level);
}

/* Several requests per notification, served in ring order, each with its used element;
 * the free-running indexes wrap at 65536. */
static void test_batches_and_wrap(void **state)
{
	u32 total = 0;

	driver_init(8);
	for (unsigned round = 0; total < 70000; round++) {
		unsigned n = 1 + round % 4;

		for (unsigned i = 0; i < n; i++)
			request((u16)(2 * i), (u8)(total + i), 4, 4, i);
		D->handled = 0;
		kick(REQ_Q);
		assert_int_equal(D->handled, n);
		for (unsigned i = 0; i < n; i++) {
			u16 u = (u16)(total + i);

			assert_int_equal(D->order[i], (u8)(total + i));
			assert_int_equal(used_id(REQ_Q, u), 2 * i);
			assert_int_equal(used_len(REQ_Q, u), 4);
		}
		total += n;
		assert_int_equal(used_idx(REQ_Q), (u16)total);
		take_interrupt();
	}
	assert_int_equal(T->queues[REQ_Q].vq.last_avail, (u16)total);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* One sync per notification, after the whole batch was handled and before any of it is
 * visible to the driver (virtio-iommu: one CMD_SYNC, then the used entries). */
static void test_sync_before_publish(void **state)
{
	driver_init(8);
	request(0, 1, 8, 4, 0);
	request(2, 2, 8, 4, 1);
	request(4, 3, 8, 4, 2);
	kick(REQ_Q);
	assert_int_equal(D->syncs, 1);
	assert_int_equal(D->handled_at_sync, 3);
	assert_int_equal(D->used_idx_at_sync, 0);
	assert_int_equal(used_idx(REQ_Q), 3);
	/* Nothing served, nothing to sync. */
	kick(REQ_Q);
	assert_int_equal(D->syncs, 1);
	/* The device filling its event queue publishes at once, without sync. */
	set_desc(EVT_Q, 0, MY_BUF(5), 24, VIRTQ_DESC_F_WRITE, 0);
	offer(EVT_Q, 0);
	assert_true(virtio_queue_fill(T, EVT_Q, "e", 1));
	assert_int_equal(used_idx(EVT_Q), 1);
	assert_int_equal(D->syncs, 1);
}

/* The sync can still change each request's status (status_back bytes before the end of
 * its used length), in whichever writable buffer that byte lies, before it is published; a
 * request that wrote less has none. */
static void test_sync_changes_statuses(void **state)
{
	u64 out_a = MY_BUF(0) + 0x200, in_c = MY_BUF(4), out_c1 = MY_BUF(5), out_c2 = MY_BUF(6);

	driver_init(8);
	D->reply = 6;
	D->sync_status = 0x33;
	request(0, 1, 8, 6, 0); /* status at byte 2 */
	/* Writable bytes in two buffers of 3: byte 2 is the first buffer's last. */
	memset(g(out_c1), 0xee, 8);
	memset(g(out_c2), 0xee, 8);
	set_desc(REQ_Q, 2, in_c, 8, VIRTQ_DESC_F_NEXT, 3);
	set_desc(REQ_Q, 3, out_c1, 3, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	set_desc(REQ_Q, 4, out_c2, 3, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 2);
	kick(REQ_Q);
	assert_int_equal(D->syncs, 1);
	assert_int_equal(g(out_a)[2], 0x33);
	assert_int_equal(g(out_a)[3], 0xa3); /* the rest as handle() wrote it */
	assert_int_equal(g(out_c1)[2], 0x33);
	assert_int_equal(g(out_c2)[0], 0xa3);
	/* Used length 3, under status_back: no status to change. */
	D->reply = 3;
	request(5, 2, 8, 6, 2);
	kick(REQ_Q);
	assert_int_equal(g(MY_BUF(2) + 0x200)[0], 0xa0);
	assert_int_equal(used_idx(REQ_Q), 3);
}

/* A full ring (num chains outstanding) is served whole by one notification. */
static void test_full_ring(void **state)
{
	driver_init(16);
	for (u16 i = 0; i < 16; i++) {
		set_desc(REQ_Q, i, MY_BUF(i), 4, VIRTQ_DESC_F_WRITE, 0);
		offer(REQ_Q, i);
	}
	kick(REQ_Q);
	assert_int_equal(D->handled, 16);
	assert_int_equal(used_idx(REQ_Q), 16);
	assert_int_equal(used_id(REQ_Q, 15), 15);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

static void test_used_lengths(void **state)
{
	u64 out = MY_BUF(1);

	driver_init(8);
	/* Nothing written: used length 0, the buffer untouched. */
	D->reply = 0;
	request(0, 1, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(used_len(REQ_Q, 0), 0);
	assert_int_equal(g(MY_BUF(0) + 0x200)[0], 0xee);
	/* Part of the buffer. */
	D->reply = 3;
	request(0, 2, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(used_len(REQ_Q, 1), 3);
	assert_int_equal(g(MY_BUF(0) + 0x200)[2], 0xa2);
	assert_int_equal(g(MY_BUF(0) + 0x200)[3], 0xee);
	/* A model claiming more than there was room for gets the room. */
	D->reply = 100;
	request(0, 3, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(used_len(REQ_Q, 2), 4);
	assert_int_equal(g(MY_BUF(0) + 0x200)[4], 0xee);
	/* No writable part at all. */
	D->reply = 5;
	set_desc(REQ_Q, 4, MY_BUF(2), 8, 0, 0);
	offer(REQ_Q, 4);
	kick(REQ_Q);
	assert_int_equal(D->out_cap, 0);
	assert_int_equal(used_len(REQ_Q, 3), 0);
	/* Only a writable part (in_len 0). */
	D->reply = REPLY_ALL;
	memset(g(out), 0xee, 64);
	set_desc(REQ_Q, 5, out, 24, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 5);
	kick(REQ_Q);
	assert_int_equal(D->in_len, 0);
	assert_int_equal(D->out_cap, 24);
	assert_int_equal(used_len(REQ_Q, 4), 24);
	assert_int_equal(g(out)[23], 0xa0 + 23);
	assert_int_equal(g(out)[24], 0xee);
	/* Zero-length descriptors name no memory: accepted wherever they are. */
	set_desc(REQ_Q, 0, 0xdead0000, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, MY_BUF(2), 4, VIRTQ_DESC_F_NEXT, 2);
	set_desc(REQ_Q, 2, ~ULL(0), 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	set_desc(REQ_Q, 3, out, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->in_len, 4);
	assert_int_equal(used_len(REQ_Q, 5), 4);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* Parts larger than the hypervisor's buffers. */
static void test_large_parts(void **state)
{
	u64 big = RAM_BASE + 0x18000; /* 0x8000 bytes: device 1's buffers, unused here */

	driver_init(QMAX);
	/* Writable space beyond VIRTIO_BUF_MAX: the model gets VIRTIO_BUF_MAX of it. */
	memset(g(big), 0xee, 0x8000);
	set_desc(REQ_Q, 0, MY_BUF(0), 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, big, 0x8000, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->out_cap, VIRTIO_BUF_MAX);
	assert_int_equal(used_len(REQ_Q, 0), VIRTIO_BUF_MAX);
	assert_int_equal(g(big)[VIRTIO_BUF_MAX - 1], (u8)(0xa0 + VIRTIO_BUF_MAX - 1));
	assert_int_equal(g(big)[VIRTIO_BUF_MAX], 0xee);
	/* More than VQ_OUT_SEGS writable buffers: the first VQ_OUT_SEGS are used. */
	_Static_assert(QMAX > VQ_OUT_SEGS, "a chain longer than VQ_OUT_SEGS fits the queue");
	for (u16 i = 0; i < QMAX; i++)
		set_desc(REQ_Q, i, MY_BUF(0) + 8 * i, 8,
			 VIRTQ_DESC_F_WRITE | (i + 1 < QMAX ? VIRTQ_DESC_F_NEXT : 0), (u16)(i + 1));
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->out_cap, 8 * VQ_OUT_SEGS);
	/* A readable part larger than VIRTIO_BUF_MAX is no request this device can take: used
	 * with length 0, the model not called, the device still fine. */
	D->handled = 0;
	set_desc(REQ_Q, 0, big, VIRTIO_BUF_MAX + 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, MY_BUF(1), 4, VIRTQ_DESC_F_WRITE, 0);
	memset(g(MY_BUF(1)), 0xee, 4);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 0);
	assert_int_equal(used_idx(REQ_Q), 3);
	assert_int_equal(used_len(REQ_Q, 2), 0);
	assert_int_equal(g(MY_BUF(1))[0], 0xee);
	assert_int_equal(T->stats.vq.oversized, 1);
	/* Exactly VIRTIO_BUF_MAX readable is fine. */
	set_desc(REQ_Q, 0, big, VIRTIO_BUF_MAX, VIRTQ_DESC_F_NEXT, 1);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(D->in_len, VIRTIO_BUF_MAX);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* VIRTQ_AVAIL_F_NO_INTERRUPT: buffers used, no notification (Linux sets it on a queue
 * without callback, such as virtio-iommu's request queue, and busy-polls). */
static void test_no_interrupt_flag(void **state)
{
	driver_init(8);
	set_avail_flags(REQ_Q, VIRTQ_AVAIL_F_NO_INTERRUPT);
	request(0, 1, 8, 4, 0);
	request(2, 2, 8, 4, 1);
	kick(REQ_Q);
	assert_int_equal(used_idx(REQ_Q), 2);
	assert_false(L->level);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	set_avail_flags(REQ_Q, 0);
	request(4, 3, 8, 4, 2);
	kick(REQ_Q);
	assert_true(L->level);
}

static void test_interrupt_ack(void **state)
{
	driver_init(8);
	request(0, 1, 8, 4, 0);
	kick(REQ_Q);
	virtio_mmio_config_changed(T);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_ALL);
	assert_int_equal(L->changes, 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_USED_BUFFER);
	assert_true(L->level);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 0xfffffffc); /* undefined bits: nothing */
	assert_true(L->level);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_false(L->level);
	assert_int_equal(L->changes, 2);
	/* A reset lowers the line too. */
	request(2, 1, 8, 4, 0);
	kick(REQ_Q);
	assert_true(L->level);
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_false(L->level);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

/* Notifications that name nothing to do. */
static void test_notify_ignored(void **state)
{
	driver_init(8);
	request(0, 1, 8, 4, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000); /* no NOTIFICATION_DATA: the whole value */
	kick(EVT_Q);                           /* the device fills that one itself */
	assert_int_equal(D->handled, 0);
	assert_int_equal(T->stats.notifies, 4);
	/* A stopped queue (QueueReady 0, read back as 0 at once) is not touched. */
	wr(VIRTIO_MMIO_QUEUE_SEL, REQ_Q);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 0);
	assert_int_equal(used_idx(REQ_Q), 0);
	/* Enabled again, it starts from index 0. */
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	virtio_mmio_process(T, REQ_Q); /* asked directly: nothing more */
	virtio_mmio_process(T, 99);
	assert_int_equal(D->handled, 1);
}

/* While a queue is ready its configuration is fixed as it was checked. */
static void test_queue_config_frozen(void **state)
{
	driver_init(8);
	wr(VIRTIO_MMIO_QUEUE_SEL, REQ_Q);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x1000);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	request(0, 9, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(T->queues[REQ_Q].vq.num, 8);
	assert_ptr_equal(T->queues[REQ_Q].vq.desc, g(Q(REQ_Q)->desc));
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* The model sees a copy made once: changing the guest's descriptors or request while it
 * runs changes nothing, and the reply lands where the descriptor said when it was read. */
static void hook_rewrite(struct fake_dev *d, const u8 *in, u8 *out)
{
	memset(g(MY_BUF(0)), 0x99, 8);                  /* the request */
	set_desc(REQ_Q, 1, MY_BUF(5), 4, VIRTQ_DESC_F_WRITE, 0); /* the reply's descriptor */
	set_desc(REQ_Q, 0, MY_BUF(6), 8, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(in[i], 0x42);
}

static void test_no_double_fetch(void **state)
{
	driver_init(8);
	memset(g(MY_BUF(5)), 0xee, 4);
	request(0, 0x42, 8, 4, 0);
	D->hook = hook_rewrite;
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(D->in[7], 0x42);
	assert_int_equal(g(MY_BUF(0) + 0x200)[0], 0xa0); /* the original reply buffer */
	assert_int_equal(g(MY_BUF(5))[0], 0xee);          /* not the rewritten one */
	assert_int_equal(used_len(REQ_Q, 0), 4);
}

/* ---- reset ---- */

static void test_reset_midway(void **state)
{
	unsigned resets;

	driver_init(8);
	request(0, 1, 8, 4, 0);
	kick(REQ_Q);
	/* Requests made available, then the driver resets before notifying. */
	request(2, 2, 8, 4, 1);
	request(4, 3, 8, 4, 2);
	assert_true(L->level);
	snapshot();
	resets = D->resets;
	wr(VIRTIO_MMIO_STATUS, 0);
	/* The model's reset ran on a stopped device and was done before Status read 0. */
	assert_int_equal(D->resets, resets + 1);
	assert_false(D->live_in_reset);
	assert_int_equal(D->status_in_reset, 0);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(L->level);
	assert_int_equal(virtio_mmio_features(T), 0);
	for (unsigned q = 0; q < 2; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	}
	/* Nothing is consumed or written after the reset. */
	kick(REQ_Q);
	virtio_mmio_process(T, REQ_Q);
	assert_false(virtio_queue_fill(T, EVT_Q, "x", 1));
	assert_int_equal(D->handled, 1);
	assert_ram_unchanged();
	/* Re-initialised with fresh rings, the device starts again from index 0. */
	D->handled = 0;
	driver_init(8);
	request(0, 7, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(D->order[0], 7);
	assert_int_equal(used_idx(REQ_Q), 1);
	/* virtio_mmio_reset (the VM's reset) is the same reset. */
	virtio_mmio_reset(T);
	assert_int_equal(D->resets, resets + 3); /* driver_init's own reset counted too */
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_false(L->level);
}

/* ---- the device filling a queue (virtio-iommu's event queue) ---- */

static void offer_event_buffer(u16 head, u64 addr, u32 len)
{
	memset(g(addr), 0xee, len + 8);
	set_desc(EVT_Q, head, addr, len, VIRTQ_DESC_F_WRITE, 0);
	offer(EVT_Q, head);
}

static void test_event_fill(void **state)
{
	u8 ev[24];

	for (unsigned i = 0; i < sizeof(ev); i++)
		ev[i] = (u8)(0x30 + i);
	/* Not before DRIVER_OK. */
	assert_false(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	driver_init(8);
	/* No buffer: dropped and counted. */
	assert_false(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_int_equal(T->stats.fill_dropped, 2);
	assert_false(L->level);
	/* Buffers the driver made available, used one per event, in order. */
	offer_event_buffer(0, MY_BUF(0), 24);
	offer_event_buffer(1, MY_BUF(1), 24);
	kick(EVT_Q); /* the driver's notification consumes nothing */
	assert_int_equal(used_idx(EVT_Q), 0);
	assert_true(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_int_equal(used_idx(EVT_Q), 1);
	assert_int_equal(used_id(EVT_Q, 0), 0);
	assert_int_equal(used_len(EVT_Q, 0), 24);
	assert_memory_equal(g(MY_BUF(0)), ev, 24);
	assert_int_equal(g(MY_BUF(0))[24], 0xee);
	assert_true(L->level);
	assert_int_equal(take_interrupt(), VIRTIO_MMIO_INT_USED_BUFFER);
	ev[0] = 0x99;
	assert_true(virtio_queue_fill(T, EVT_Q, ev, 8));
	assert_int_equal(used_id(EVT_Q, 1), 1);
	assert_int_equal(used_len(EVT_Q, 1), 8);
	assert_int_equal(g(MY_BUF(1))[0], 0x99);
	assert_int_equal(g(MY_BUF(1))[8], 0xee);
	take_interrupt();
	assert_false(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_int_equal(T->stats.fill_dropped, 3);
	/* A buffer smaller than the event gets what fits, its used length says so; one in two
	 * descriptors gets it split. */
	offer_event_buffer(2, MY_BUF(2), 16);
	assert_true(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_int_equal(used_len(EVT_Q, 2), 16);
	assert_int_equal(g(MY_BUF(2))[16], 0xee);
	set_desc(EVT_Q, 3, MY_BUF(3), 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	set_desc(EVT_Q, 4, MY_BUF(4), 14, VIRTQ_DESC_F_WRITE, 0);
	offer(EVT_Q, 3);
	assert_true(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_int_equal(used_len(EVT_Q, 3), 24);
	assert_memory_equal(g(MY_BUF(3)), ev, 10);
	assert_memory_equal(g(MY_BUF(4)), ev + 10, 14);
	/* Suppressed interrupt. */
	take_interrupt();
	set_avail_flags(EVT_Q, VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer_event_buffer(5, MY_BUF(5), 24);
	assert_true(virtio_queue_fill(T, EVT_Q, ev, sizeof(ev)));
	assert_false(L->level);
	/* Not on a request queue, nor a queue that does not exist. */
	assert_false(virtio_queue_fill(T, REQ_Q, ev, sizeof(ev)));
	assert_false(virtio_queue_fill(T, 5, ev, sizeof(ev)));
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* The model reports an event while it serves a request (a fault found by a MAP). */
static void hook_fill(struct fake_dev *d, const u8 *in, u8 *out)
{
	assert_true(virtio_queue_fill(d->t, EVT_Q, "event", 5));
}

static void test_fill_from_handler(void **state)
{
	driver_init(8);
	offer_event_buffer(0, MY_BUF(4), 24);
	request(0, 1, 8, 4, 0);
	D->hook = hook_fill;
	kick(REQ_Q);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_int_equal(used_len(REQ_Q, 0), 4);
	assert_int_equal(g(MY_BUF(0) + 0x200)[0], 0xa0);
	assert_int_equal(used_idx(EVT_Q), 1);
	assert_memory_equal(g(MY_BUF(4)), "event", 5);
}

/* ---- malformed queues ---- */

/* Notify, then check the device stopped cleanly: DEVICE_NEEDS_RESET with a config change
 * interrupt, the model not called, guest RAM unchanged; it stays stopped, and a reset
 * brings it back. */
static void expect_malformed_on(unsigned q, enum vq_status why)
{
	unsigned handled = D->handled;

	snapshot();
	if (q == EVT_Q)
		assert_false(virtio_queue_fill(T, EVT_Q, "evt", 3));
	else
		kick(q);
	assert_int_equal(T->error, why);
	assert_int_equal(T->error_queue, q);
	assert_int_equal(L->reports, 1);
	assert_int_equal(L->report_queue, q);
	assert_int_equal(L->report_why, why);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_NR);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_DOK);
	assert_true(L->level);
	assert_true(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(D->handled, handled);
	assert_ram_unchanged();
	assert_false(virtio_mmio_live(T));
	/* Stopped: further notifications and fills do nothing. */
	kick(REQ_Q);
	assert_false(virtio_queue_fill(T, EVT_Q, "evt", 3));
	assert_int_equal(D->handled, handled);
	assert_ram_unchanged();
	assert_int_equal(T->stats.needs_reset, 1);
	assert_int_equal(L->reports, 1);
	/* The driver resets and starts again: all is well. */
	D->handled = 0;
	driver_init(8);
	assert_int_equal(T->error, VQ_OK);
	request(0, 0x5a, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

static void expect_malformed(enum vq_status why) { expect_malformed_on(REQ_Q, why); }

static void test_bad_desc_outside_ram(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, RAM_BASE + RAM_SIZE, 8, 0, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

static void test_bad_desc_straddles_ram_end(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, RAM_BASE + RAM_SIZE - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

static void test_bad_desc_below_ram(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, RAM_BASE - 4, 8, 0, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

static void test_bad_desc_wraps(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, ~ULL(0) - 0xff, 0x200, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

/* RAM_BASE + len wraps nothing but covers far more than RAM. */
static void test_bad_desc_len_max(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, RAM_BASE, 0xffffffff, 0, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

static void test_bad_desc_len_max_writable(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(1), 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_DESC_RANGE);
}

/* With anything before it, a 0xffffffff-byte buffer takes the chain past 2^32 bytes. */
static void test_bad_desc_len_max_after_another(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, MY_BUF(1), 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_TOTAL_LEN);
}

/* A chain's buffers may not total more than 2^32 bytes, even where every one is in RAM
 * (the huge window stands for a guest with that much memory). */
static void test_bad_total_length(void **state)
{
	driver_init(8);
	huge_window = true;
	/* Exactly 2^32 is allowed. */
	set_desc(REQ_Q, 0, HUGE_BASE, 0x80000000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, HUGE_BASE, 0x80000000, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(D->out_cap, VIRTIO_BUF_MAX);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
	/* One byte more is not. */
	set_desc(REQ_Q, 1, HUGE_BASE, 0x80000000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set_desc(REQ_Q, 2, MY_BUF(0), 1, VIRTQ_DESC_F_WRITE, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_TOTAL_LEN);
}

static void test_bad_loop(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, MY_BUF(1), 8, VIRTQ_DESC_F_NEXT, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_CHAIN_LONG);
}

static void test_bad_self_loop(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 3, MY_BUF(0), 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	offer(REQ_Q, 3);
	expect_malformed(VQ_ERR_CHAIN_LONG);
}

/* A loop of zero-length descriptors costs nothing to follow but must end too. */
static void test_bad_empty_loop(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, 0, 0, VIRTQ_DESC_F_NEXT, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_CHAIN_LONG);
}

/* All num descriptors in one chain is the longest allowed; one more is a loop. */
static void test_bad_chain_longer_than_queue(void **state)
{
	driver_init(8);
	for (u16 i = 0; i < 8; i++)
		set_desc(REQ_Q, i, MY_BUF(i), 4, VIRTQ_DESC_F_NEXT, (u16)((i + 1) % 8));
	g16(Q(REQ_Q)->desc + 7 * 16 + VIRTQ_DESC_FLAGS, 0);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(D->in_len, 32);
	g16(Q(REQ_Q)->desc + 7 * 16 + VIRTQ_DESC_FLAGS, VIRTQ_DESC_F_NEXT);
	g16(Q(REQ_Q)->desc + 7 * 16 + VIRTQ_DESC_NEXT, 3);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_CHAIN_LONG);
}

static void test_bad_next_out_of_range(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 8);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_NEXT);
}

static void test_bad_next_max(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 0xffff);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_NEXT);
}

static void test_bad_head_out_of_range(void **state)
{
	driver_init(8);
	offer(REQ_Q, 8);
	expect_malformed(VQ_ERR_HEAD);
}

static void test_bad_writable_then_readable(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(REQ_Q, 1, MY_BUF(1), 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set_desc(REQ_Q, 2, MY_BUF(2), 4, 0, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_ORDER);
}

static void test_bad_indirect(void **state)
{
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(REQ_Q, 0);
	expect_malformed(VQ_ERR_INDIRECT);
}

static void test_bad_avail_idx_jump(void **state)
{
	driver_init(8);
	g16(Q(REQ_Q)->avail + VIRTQ_AVAIL_IDX, 9);
	expect_malformed(VQ_ERR_AVAIL_IDX);
}

/* The driver can never take buffers back: idx moving backwards is 65535 ahead. */
static void test_bad_avail_idx_backwards(void **state)
{
	driver_init(8);
	request(0, 1, 8, 4, 0);
	kick(REQ_Q);
	take_interrupt();
	g16(Q(REQ_Q)->avail + VIRTQ_AVAIL_IDX, 0);
	expect_malformed(VQ_ERR_AVAIL_IDX);
}

/* Chains sharing descriptors: every available entry names the same 8-descriptor chain.
 * Without a bound that is 8 x 8 descriptor reads per notification (32768^2 for the largest
 * queue); a driver can never have more than 8 in flight, so the second chain is refused. */
static void test_bad_overcommit(void **state)
{
	driver_init(8);
	for (u16 i = 0; i < 8; i++)
		set_desc(REQ_Q, i, MY_BUF(i), 4, i < 7 ? VIRTQ_DESC_F_NEXT : 0, (u16)(i + 1));
	for (unsigned i = 0; i < 8; i++)
		offer(REQ_Q, 0);
	snapshot();
	kick(REQ_Q);
	assert_int_equal(D->handled, 1);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_int_equal(T->error, VQ_ERR_OVERCOMMIT);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_NR);
	/* Only the used ring changed (idx and the first element), no buffer. */
	g16(Q(REQ_Q)->used + VIRTQ_USED_IDX, 0);
	g32(Q(REQ_Q)->used + VIRTQ_USED_RING + 4, 0);
	assert_ram_unchanged();
}

/* The same chain offered again once it was published is fine: descriptors are free again. */
static void test_reuse_after_publish(void **state)
{
	driver_init(8);
	for (unsigned round = 0; round < 20; round++) {
		for (u16 i = 0; i < 8; i++)
			set_desc(REQ_Q, i, MY_BUF(i), 4, i < 7 ? VIRTQ_DESC_F_NEXT : 0, (u16)(i + 1));
		offer(REQ_Q, 0);
		kick(REQ_Q);
	}
	assert_int_equal(D->handled, 20);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* Good chains before a malformed one are completed; the malformed one is not. */
static void test_bad_after_good(void **state)
{
	driver_init(8);
	request(0, 1, 8, 4, 0);
	request(2, 2, 8, 4, 1);
	set_desc(REQ_Q, 4, MY_BUF(2), 8, VIRTQ_DESC_F_NEXT, 9);
	offer(REQ_Q, 4);
	request(5, 3, 8, 4, 3);
	kick(REQ_Q);
	assert_int_equal(D->handled, 2);
	assert_int_equal(D->syncs, 1);
	assert_int_equal(D->used_idx_at_sync, 0);
	assert_int_equal(used_idx(REQ_Q), 2);
	assert_int_equal(T->error, VQ_ERR_NEXT);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_ALL);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

static void test_bad_event_buffer(void **state)
{
	driver_init(8);
	set_desc(EVT_Q, 0, RAM_BASE + RAM_SIZE - 8, 24, VIRTQ_DESC_F_WRITE, 0);
	offer(EVT_Q, 0);
	expect_malformed_on(EVT_Q, VQ_ERR_DESC_RANGE);
}

/* Queue configurations the device cannot use are found when QueueReady is written: the
 * queue stays not ready, and the device needs a reset (notified once DRIVER_OK is set). */
static void expect_bad_setup(u32 num, u64 desc, u64 avail, u64 used, enum vq_status why)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	snapshot();
	setup_queue(REQ_Q, num, desc, avail, used);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_NR);
	assert_int_equal(T->error, why);
	assert_false(L->level);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	assert_true(L->level);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	kick(REQ_Q);
	assert_int_equal(D->handled, 0);
	assert_ram_unchanged();
	take_interrupt();
}

static void test_bad_queue_setup(void **state)
{
	u64 d = RAM_BASE, a = RAM_BASE + 0x1000, u = RAM_BASE + 0x2000;

	expect_bad_setup(0, d, a, u, VQ_ERR_SIZE);
	expect_bad_setup(6, d, a, u, VQ_ERR_SIZE);
	expect_bad_setup(QMAX * 2, d, a, u, VQ_ERR_SIZE);
	expect_bad_setup(0x10008, d, a, u, VQ_ERR_SIZE); /* QueueNum is 32 bits wide */
	expect_bad_setup(8, d + 8, a, u, VQ_ERR_RING_ALIGN);
	expect_bad_setup(8, d, a + 1, u, VQ_ERR_RING_ALIGN);
	expect_bad_setup(8, d, a, u + 2, VQ_ERR_RING_ALIGN);
	expect_bad_setup(8, 0, a, u, VQ_ERR_RING_RANGE);
	expect_bad_setup(8, d, RAM_BASE + RAM_SIZE, u, VQ_ERR_RING_RANGE);
	expect_bad_setup(8, d, a, RAM_BASE + RAM_SIZE - 64, VQ_ERR_RING_RANGE); /* 70 bytes */
	expect_bad_setup(8, d | ULL(1) << 32, a, u, VQ_ERR_RING_RANGE);
	expect_bad_setup(8, d, a, ~ULL(0) - 3, VQ_ERR_RING_RANGE);
	/* The largest ring that fits is fine. */
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_true(negotiate(VIRTIO_F_VERSION_1));
	setup_queue(REQ_Q, 8, d, a, RAM_BASE + RAM_SIZE - 70 - 2);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

/* One device's malformed queue is its own business: the other device works on. */
static void test_needs_reset_is_per_device(void **state)
{
	use(1);
	driver_init(8);
	use(0);
	driver_init(8);
	set_desc(REQ_Q, 0, MY_BUF(0), 8, VIRTQ_DESC_F_NEXT, 0);
	offer(REQ_Q, 0);
	kick(REQ_Q);
	assert_true(rd(VIRTIO_MMIO_STATUS) & S_NR);
	assert_true(lines[0].level);

	use(1);
	assert_false(rd(VIRTIO_MMIO_STATUS) & S_NR);
	assert_false(lines[1].level);
	request(0, 0x11, 8, 4, 0);
	kick(REQ_Q);
	assert_int_equal(fd[1].handled, 1);
	assert_int_equal(used_idx(REQ_Q), 1);
	assert_true(lines[1].level);
	assert_int_equal(take_interrupt(), VIRTIO_MMIO_INT_USED_BUFFER);
	assert_int_equal(fd[0].handled, 0);
}

/* ---- init ---- */

static void test_init_checks_ops(void **state)
{
	struct virtio_mmio t;
	struct virtio_mmio_host host = { .mem = { fake_translate, NULL } };
	struct virtio_dev_ops ops = fake_ops;

	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), 0);
	assert_int_equal(t.status, 0);
	ops.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.queue_max = 12;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops.queue_max = 0;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.features |= VIRTIO_F_INDIRECT_DESC;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.features |= VIRTIO_F_VERSION_1;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.config_size = VIRTIO_MMIO_CONFIG_MAX + 1;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.fill_queues = BIT(2);
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.handle = NULL;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	ops = fake_ops;
	ops.config_read = NULL;
	assert_int_equal(virtio_mmio_init(&t, &ops, NULL, &host), -E_INVAL);
	host.mem.translate = NULL;
	assert_int_equal(virtio_mmio_init(&t, &fake_ops, NULL, &host), -E_INVAL);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_identity),
		T_(test_queue_registers),
		T_(test_access_sizes),
		T_(test_features_offered),
		T_(test_feature_negotiation),
		T_(test_status_rules),
		T_(test_config_space),
		T_(test_config_generation),
		T_(test_round_trip),
		T_(test_batches_and_wrap),
		T_(test_sync_before_publish),
		T_(test_sync_changes_statuses),
		T_(test_full_ring),
		T_(test_used_lengths),
		T_(test_large_parts),
		T_(test_no_interrupt_flag),
		T_(test_interrupt_ack),
		T_(test_notify_ignored),
		T_(test_queue_config_frozen),
		T_(test_no_double_fetch),
		T_(test_reset_midway),
		T_(test_event_fill),
		T_(test_fill_from_handler),
		T_(test_bad_desc_outside_ram),
		T_(test_bad_desc_straddles_ram_end),
		T_(test_bad_desc_below_ram),
		T_(test_bad_desc_wraps),
		T_(test_bad_desc_len_max),
		T_(test_bad_desc_len_max_writable),
		T_(test_bad_desc_len_max_after_another),
		T_(test_bad_total_length),
		T_(test_bad_loop),
		T_(test_bad_self_loop),
		T_(test_bad_empty_loop),
		T_(test_bad_chain_longer_than_queue),
		T_(test_bad_next_out_of_range),
		T_(test_bad_next_max),
		T_(test_bad_head_out_of_range),
		T_(test_bad_writable_then_readable),
		T_(test_bad_indirect),
		T_(test_bad_avail_idx_jump),
		T_(test_bad_avail_idx_backwards),
		T_(test_bad_overcommit),
		T_(test_reuse_after_publish),
		T_(test_bad_after_good),
		T_(test_bad_event_buffer),
		T_(test_bad_queue_setup),
		T_(test_needs_reset_is_per_device),
		T_(test_init_checks_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
