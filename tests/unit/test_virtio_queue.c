/*
 * Host tests of the split virtqueue walker on its own (core/virtio/virtqueue.c): what vq_setup
 * accepts, the chain vq_pop describes, vq_push and vq_publish, index wrap-around, the bound on
 * work per call, and a fuzz-shaped harness (fuzz_one: a byte string is the whole of guest
 * memory and the queue's configuration) run over generated inputs. fuzz_one is what a
 * libFuzzer target would call from LLVMFuzzerTestOneInput.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/bits.h"
#include "core/virtio/virtio_regs.h"
#include "core/virtio/virtqueue.h"

/* ---- guest memory: one blob at BLOB_BASE ---- */

#define BLOB_BASE ULL(0x80000000)
#define BLOB_MAX ULL(0x100000) /* room for a 32768-entry queue */

static u8 *blob;
static u64 blob_size;
static u8 *before;
static unsigned misalign; /* translate returns pointers this far off (a broken host) */

static void *blob_translate(void *ctx, ipa_t a, u64 size)
{
	assert_true(size > 0);
	if (a.v < BLOB_BASE || size > blob_size || a.v - BLOB_BASE > blob_size - size)
		return NULL;
	return blob + (a.v - BLOB_BASE) + misalign;
}

static const struct vq_mem mem = { blob_translate, NULL };

static int setup(void **state)
{
	blob = aligned_alloc(4096, BLOB_MAX + 4096);
	before = malloc(BLOB_MAX);
	assert_non_null(blob);
	assert_non_null(before);
	memset(blob, 0, BLOB_MAX + 4096);
	blob_size = 0x10000;
	misalign = 0;
	return 0;
}

static int teardown(void **state)
{
	free(blob);
	free(before);
	return 0;
}

static u8 *b(u64 ipa_v) { return blob + (ipa_v - BLOB_BASE); }
static void b16(u64 a, u16 v) { memcpy(b(a), &v, 2); }
static void b32(u64 a, u32 v) { memcpy(b(a), &v, 4); }
static void b64(u64 a, u64 v) { memcpy(b(a), &v, 8); }
static u16 r16(u64 a) { u16 v; memcpy(&v, b(a), 2); return v; }
static u32 r32(u64 a) { u32 v; memcpy(&v, b(a), 4); return v; }

#define DESC (BLOB_BASE)
#define AVAIL (BLOB_BASE + 0x1000)
#define USED (BLOB_BASE + 0x2000)
#define BUF(n) (BLOB_BASE + 0x4000 + (n) * 0x100)

static void desc(u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	b64(DESC + 16 * (u64)i + VIRTQ_DESC_ADDR, addr);
	b32(DESC + 16 * (u64)i + VIRTQ_DESC_LEN, len);
	b16(DESC + 16 * (u64)i + VIRTQ_DESC_FLAGS, flags);
	b16(DESC + 16 * (u64)i + VIRTQ_DESC_NEXT, next);
}

static void offer(u16 num, u16 head)
{
	u16 idx = r16(AVAIL + VIRTQ_AVAIL_IDX);

	b16(AVAIL + VIRTQ_AVAIL_RING + 2 * (u64)(idx % num), head);
	b16(AVAIL + VIRTQ_AVAIL_IDX, (u16)(idx + 1));
}

static struct virtqueue vq8(void)
{
	struct virtqueue vq;

	assert_int_equal(vq_setup(&vq, &mem, 8, 8, ipa(DESC), ipa(AVAIL), ipa(USED)), VQ_OK);
	return vq;
}

/* ---- vq_setup ---- */

static enum vq_status try_setup(u32 num, u32 max, u64 d, u64 a, u64 u)
{
	struct virtqueue vq;
	enum vq_status st;

	memset(&vq, 0x5a, sizeof(vq));
	st = vq_setup(&vq, &mem, num, max, ipa(d), ipa(a), ipa(u));
	if (st) {
		assert_int_equal(vq.num, 0);
		assert_null(vq.desc);
	} else {
		assert_int_equal(vq.num, num);
		assert_int_equal(vq.last_avail, 0);
		assert_int_equal(vq.used_idx, 0);
	}
	return st;
}

static void test_setup(void **state)
{
	blob_size = BLOB_MAX;
	assert_int_equal(try_setup(8, 8, DESC, AVAIL, USED), VQ_OK);
	assert_int_equal(try_setup(1, 8, DESC, AVAIL, USED), VQ_OK);
	assert_int_equal(try_setup(0, 8, DESC, AVAIL, USED), VQ_ERR_SIZE);
	assert_int_equal(try_setup(12, 16, DESC, AVAIL, USED), VQ_ERR_SIZE);
	assert_int_equal(try_setup(16, 8, DESC, AVAIL, USED), VQ_ERR_SIZE);
	assert_int_equal(try_setup(65536, 65536, DESC, AVAIL, USED), VQ_ERR_SIZE);
	assert_int_equal(try_setup(0x80000008, ~U(0), DESC, AVAIL, USED), VQ_ERR_SIZE);
	/* The largest queue: 512 KiB of descriptors, 64 KiB + 6 available, 256 KiB + 6 used. */
	assert_int_equal(try_setup(32768, 32768, BLOB_BASE, BLOB_BASE + 0x80000,
				   BLOB_BASE + 0xa0000), VQ_OK);
	assert_int_equal(try_setup(32768, 32768, BLOB_BASE, BLOB_BASE + 0x80000,
				   BLOB_BASE + BLOB_MAX - 0x40000), VQ_ERR_RING_RANGE);
	/* Alignment: 16, 2, 4. */
	assert_int_equal(try_setup(8, 8, DESC + 8, AVAIL, USED), VQ_ERR_RING_ALIGN);
	assert_int_equal(try_setup(8, 8, DESC, AVAIL + 1, USED), VQ_ERR_RING_ALIGN);
	assert_int_equal(try_setup(8, 8, DESC, AVAIL, USED + 2), VQ_ERR_RING_ALIGN);
	assert_int_equal(try_setup(8, 8, DESC, AVAIL + 2, USED + 4), VQ_OK);
	/* Range: exact fit at the end, one byte over, below, wrapping at 2^64. */
	assert_int_equal(try_setup(8, 8, BLOB_BASE + BLOB_MAX - 128, AVAIL, USED), VQ_OK);
	assert_int_equal(try_setup(8, 8, BLOB_BASE + BLOB_MAX - 112, AVAIL, USED), VQ_ERR_RING_RANGE);
	assert_int_equal(try_setup(8, 8, DESC, BLOB_BASE + BLOB_MAX - 22, USED), VQ_OK);
	assert_int_equal(try_setup(8, 8, DESC, BLOB_BASE + BLOB_MAX - 20, USED), VQ_ERR_RING_RANGE);
	assert_int_equal(try_setup(8, 8, DESC, AVAIL, BLOB_BASE - 4), VQ_ERR_RING_RANGE);
	assert_int_equal(try_setup(8, 8, ~ULL(0) - 15, AVAIL, USED), VQ_ERR_RING_RANGE);
	assert_int_equal(try_setup(8, 8, DESC, AVAIL, ~ULL(0) - 3), VQ_ERR_RING_RANGE);
	/* A host mapping less aligned than the address: refused, not accessed misaligned. */
	misalign = 2;
	assert_int_equal(try_setup(8, 8, DESC, AVAIL, USED), VQ_ERR_RING_ALIGN);
}

/* ---- pop and push ---- */

static void test_pop_push(void **state)
{
	struct virtqueue vq = vq8();
	struct vq_chain c;
	u8 in[64], out[64];

	assert_int_equal(vq_pop(&vq, &mem, &c, in, sizeof(in), sizeof(out)), VQ_EMPTY);
	memset(b(BUF(0)), 0x11, 10);
	memset(b(BUF(1)), 0x22, 30);
	desc(3, BUF(0), 10, VIRTQ_DESC_F_NEXT, 5);
	desc(5, BUF(1), 30, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF(2), 40, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	desc(0, BUF(3), 50, VIRTQ_DESC_F_WRITE, 0);
	offer(8, 3);
	assert_int_equal(vq_pop(&vq, &mem, &c, in, 32, 64), VQ_OK);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.n_desc, 4);
	assert_int_equal(c.in_len, 32);
	assert_true(c.in_truncated); /* 40 readable bytes, room for 32 */
	assert_int_equal(c.out_total, 90);
	assert_int_equal(c.out_cap, 64);
	assert_int_equal(c.n_out, 2);
	assert_ptr_equal(c.out[0].host, b(BUF(2)));
	assert_int_equal(c.out[0].len, 40);
	assert_int_equal(c.out[1].len, 24);
	assert_int_equal(in[9], 0x11);
	assert_int_equal(in[10], 0x22);
	assert_int_equal(vq.last_avail, 1);
	assert_int_equal(vq_pop(&vq, &mem, &c, in, 32, 64), VQ_EMPTY);
	/* Nothing was written while walking. */
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 0);

	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (u8)i;
	desc(3, BUF(0), 10, VIRTQ_DESC_F_NEXT, 5);
	offer(8, 3);
	assert_int_equal(vq_pop(&vq, &mem, &c, in, sizeof(in), 64), VQ_OK);
	assert_false(c.in_truncated);
	memset(b(BUF(2)), 0xee, 0x200);
	assert_int_equal(vq_push(&vq, &c, out, 45), VQ_OK);
	assert_int_equal(b(BUF(2))[39], 39);
	assert_int_equal(b(BUF(3))[0], 40);
	assert_int_equal(b(BUF(3))[4], 44);
	assert_int_equal(b(BUF(3))[5], 0xee);
	assert_int_equal(r32(USED + VIRTQ_USED_RING), 3);
	assert_int_equal(r32(USED + VIRTQ_USED_RING + 4), 45);
	assert_int_equal(vq.used_idx, 1);
	/* Not the driver's until published. */
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 0);
	vq_publish(&vq);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 1);
	/* used_len beyond out_cap is capped. */
	offer(8, 3);
	assert_int_equal(vq_pop(&vq, &mem, &c, in, sizeof(in), 16), VQ_OK);
	assert_int_equal(c.out_cap, 16);
	assert_int_equal(vq_push(&vq, &c, out, 1000), VQ_OK);
	vq_publish(&vq);
	assert_int_equal(r32(USED + VIRTQ_USED_RING + 8 + 4), 16);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 2);

	/* Notification suppression. */
	assert_true(vq_should_notify(&vq));
	b16(AVAIL + VIRTQ_AVAIL_FLAGS, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_should_notify(&vq));
	b16(AVAIL + VIRTQ_AVAIL_FLAGS, 0xfffe); /* other bits: not ours to read */
	assert_true(vq_should_notify(&vq));
}

/* A malformed chain leaves the queue where it was: the same error every time, no write. */
static void test_pop_error_does_not_advance(void **state)
{
	struct virtqueue vq = vq8();
	struct vq_chain c;
	u8 in[16];

	desc(0, BUF(0), 8, VIRTQ_DESC_F_NEXT, 9);
	offer(8, 0);
	memcpy(before, blob, blob_size);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vq_pop(&vq, &mem, &c, in, sizeof(in), 16), VQ_ERR_NEXT);
		assert_int_equal(vq.last_avail, 0);
	}
	assert_memory_equal(blob, before, blob_size);
	/* An unset queue is refused, not walked. */
	struct virtqueue none = { 0 };
	assert_int_equal(vq_pop(&none, &mem, &c, in, sizeof(in), 16), VQ_ERR_SIZE);
	assert_int_equal(vq_push(&none, &c, in, 0), VQ_ERR_SIZE);
	vq_publish(&none);
	assert_true(vq_should_notify(&none));
}

/* The free-running indexes wrap at 65536; ring slots are taken modulo the size. */
static void test_index_wrap(void **state)
{
	struct virtqueue vq = vq8();
	struct vq_chain c;
	u8 out[4] = { 1, 2, 3, 4 };

	vq.last_avail = 0xfffe;
	vq.used_idx = 0xfffe;
	b16(AVAIL + VIRTQ_AVAIL_IDX, 0xfffe);
	for (u16 i = 0; i < 4; i++) {
		desc(i, BUF(i), 4, VIRTQ_DESC_F_WRITE, 0);
		offer(8, i);
	}
	assert_int_equal(r16(AVAIL + VIRTQ_AVAIL_IDX), 2);
	for (u16 i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&vq, &mem, &c, NULL, 0, 4), VQ_OK);
		assert_int_equal(c.head, i);
		assert_int_equal(vq_push(&vq, &c, out, 4), VQ_OK);
		if (i % 2)
			vq_publish(&vq);
	}
	assert_int_equal(vq_pop(&vq, &mem, &c, NULL, 0, 4), VQ_EMPTY);
	assert_int_equal(vq.last_avail, 2);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 2);
	/* 0xfffe % 8 = 6: the elements went to slots 6, 7, 0, 1. */
	assert_int_equal(r32(USED + VIRTQ_USED_RING + 6 * 8), 0);
	assert_int_equal(r32(USED + VIRTQ_USED_RING + 1 * 8), 3);
	/* Exactly num ahead is a full ring; num + 1 is impossible. */
	for (u16 i = 0; i < 8; i++) {
		desc(i, BUF(i), 4, VIRTQ_DESC_F_WRITE, 0);
		offer(8, i);
	}
	assert_int_equal(vq_pop(&vq, &mem, &c, NULL, 0, 4), VQ_OK);
	b16(AVAIL + VIRTQ_AVAIL_IDX, (u16)(vq.last_avail + 9));
	assert_int_equal(vq_pop(&vq, &mem, &c, NULL, 0, 4), VQ_ERR_AVAIL_IDX);
}

/* The device's fill: device-readable descriptors are checked, never read. */
static void test_fill(void **state)
{
	struct virtqueue vq = vq8();
	u32 written = 99;
	const char ev[] = "0123456789abcdefghijklm";

	assert_int_equal(vq_fill(&vq, &mem, ev, 24, &written), VQ_EMPTY);
	assert_int_equal(written, 0);
	desc(0, BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF(1), 30, VIRTQ_DESC_F_WRITE, 0);
	memset(b(BUF(0)), 0x33, 8);
	memset(b(BUF(1)), 0xee, 32);
	offer(8, 0);
	assert_int_equal(vq_fill(&vq, &mem, ev, 24, &written), VQ_OK);
	assert_int_equal(written, 24);
	assert_memory_equal(b(BUF(1)), ev, 24);
	assert_int_equal(b(BUF(1))[24], 0xee);
	assert_int_equal(b(BUF(0))[0], 0x33);
	assert_int_equal(r32(USED + VIRTQ_USED_RING + 4), 24);
	/* No writable part: used, nothing written. */
	desc(2, BUF(2), 8, 0, 0);
	offer(8, 2);
	assert_int_equal(vq_fill(&vq, &mem, ev, 24, &written), VQ_OK);
	assert_int_equal(written, 0);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 2);
	/* A malformed one is reported and not used. */
	desc(3, BUF(3), 8, VIRTQ_DESC_F_INDIRECT, 0);
	offer(8, 3);
	assert_int_equal(vq_fill(&vq, &mem, ev, 24, &written), VQ_ERR_INDIRECT);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 2);
}

/* ---- vq_process ---- */

struct served {
	unsigned calls;
	size_t reply;
	bool keep_adding; /* the "driver" adds a chain while each is served */
	u16 next_head;
};

static size_t handler(void *dev, unsigned queue, const u8 *in, size_t in_len, u8 *out,
		      size_t out_cap)
{
	struct served *s = dev;

	s->calls++;
	memset(out, 0x77, out_cap);
	if (s->keep_adding) {
		u16 h = s->next_head++ % 8;

		desc(h, BUF(h), 4, VIRTQ_DESC_F_WRITE, 0);
		offer(8, h);
	}
	return MIN(s->reply, out_cap);
}

/* One call serves the chains available when it began, at most one queue's worth: those
 * the driver adds meanwhile wait for its next notification. */
static void test_process_bounded(void **state)
{
	struct virtqueue vq = vq8();
	struct served s = { .reply = 4, .keep_adding = true };
	struct vq_stats stats = { 0 };
	u8 in[16], out[16];
	const struct vq_bufs bufs = { .in = in, .in_cap = sizeof(in), .out = out,
				      .out_cap = sizeof(out) };
	unsigned used;

	for (u16 h = 0; h < 8; h++) {
		desc(h, BUF(h), 4, VIRTQ_DESC_F_WRITE, 0);
		offer(8, h);
	}
	assert_int_equal(vq_process(&vq, &mem, handler, &s, 0, &bufs, &used, &stats), VQ_OK);
	assert_int_equal(used, 8);
	assert_int_equal(s.calls, 8);
	assert_int_equal(stats.chains, 8);
	assert_int_equal(r16(AVAIL + VIRTQ_AVAIL_IDX), 16);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 0); /* the caller publishes */
	vq_publish(&vq);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 8);
	/* The 8 added meanwhile wait for the next notification. */
	s.keep_adding = false;
	assert_int_equal(vq_process(&vq, &mem, handler, &s, 0, &bufs, &used, &stats), VQ_OK);
	assert_int_equal(used, 8);
	vq_publish(&vq);
	assert_int_equal(vq_process(&vq, &mem, handler, &s, 0, &bufs, &used, &stats), VQ_OK);
	assert_int_equal(used, 0);
	assert_int_equal(r16(USED + VIRTQ_USED_IDX), 16);
}

/* ---- the fuzz-shaped harness ---- */

/*
 * One input: 16 bytes of queue configuration, then guest memory (at most BLOB_MAX). Runs
 * vq_setup, then vq_process twice with a handler whose used lengths the input chooses, and
 * checks what must hold whatever the input: no out-of-bounds access (ASan), no write to
 * guest memory when nothing was used, the guest's used idx equal to the device's.
 */
struct fuzz_dev {
	const u8 *replies;
	unsigned n;
};

static size_t fuzz_handler(void *dev, unsigned queue, const u8 *in, size_t in_len, u8 *out,
			   size_t out_cap)
{
	struct fuzz_dev *f = dev;
	size_t reply = f->replies[f->n++ % 4];

	memset(out, 0x5a, out_cap);
	return reply * 7; /* sometimes more than out_cap: the walker caps it */
}

/* What the generated inputs reached, so the test knows it went deep. */
static unsigned outcomes[VQ_STATUS_COUNT];
static unsigned long served;

static void fuzz_one(const u8 *data, size_t size)
{
	static u8 in[256], out[256];
	const struct vq_bufs bufs = { .in = in, .in_cap = sizeof(in), .out = out,
				      .out_cap = sizeof(out) };
	struct fuzz_dev f = { .replies = data + 12 };
	struct vq_stats stats = { 0 };
	struct virtqueue vq;
	u16 off[3];
	u32 num;

	if (size < 16)
		return;
	num = 1U << (data[0] % 6);                   /* 1..32 */
	for (unsigned i = 0; i < 3; i++)
		off[i] = (u16)(data[2 + 2 * i] | data[3 + 2 * i] << 8);
	blob_size = MIN(size - 16, BLOB_MAX);
	memcpy(blob, data + 16, blob_size);
	if (vq_setup(&vq, &mem, num, 32, ipa(BLOB_BASE + off[0]), ipa(BLOB_BASE + off[1]),
		     ipa(BLOB_BASE + off[2])))
		return;
	vq.last_avail = vq.used_idx = (u16)(data[8] | data[9] << 8);
	for (unsigned round = 0; round < 2; round++) {
		unsigned used;
		enum vq_status st;

		memcpy(before, blob, blob_size);
		st = vq_process(&vq, &mem, fuzz_handler, &f, 0, &bufs, &used, &stats);
		assert_true(st == VQ_OK || vq_status_malformed(st));
		outcomes[st]++;
		served += used;
		assert_int_equal(vq.last_avail, vq.used_idx);
		if (!used) {
			assert_memory_equal(blob, before, blob_size);
		} else {
			vq_publish(&vq);
			assert_int_equal(r16(BLOB_BASE + off[2] + VIRTQ_USED_IDX), vq.used_idx);
		}
		if (st)
			break;
	}
}

/* xorshift64*: deterministic inputs. */
static u64 rng = 0x9e3779b97f4a7c15;
static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1d;
}

/* Inputs a coverage-guided fuzzer would take a while to find: rings in place, chains that
 * are mostly well-formed, with every kind of fault sprinkled in. */
static size_t gen_input(u8 *data, size_t max)
{
	size_t mem_size = 0x3000, size = 16 + mem_size;
	u32 num = 1U << (rnd() % 6);
	u16 desc_off = 0x000, avail_off = 0x400, used_off = 0x800;
	u16 start = (u16)rnd();
	unsigned pending = (unsigned)(rnd() % (num + 2));
	u8 *m = data + 16;

	assert_true(size <= max);
	for (size_t i = 0; i < size; i++)
		data[i] = (u8)rnd();
	data[0] = (u8)__builtin_ctz(num);
	if (rnd() % 16 == 0)
		desc_off |= (u16)(rnd() % 16); /* sometimes misaligned */
	memcpy(data + 2, &desc_off, 2);
	memcpy(data + 4, &avail_off, 2);
	memcpy(data + 6, &used_off, 2);
	memcpy(data + 8, &start, 2);
	/* The available ring: pending chains after start, heads mostly in range. */
	u16 idx = (u16)(start + pending);
	memcpy(m + avail_off + VIRTQ_AVAIL_IDX, &idx, 2);
	for (u32 i = 0; i < num; i++) {
		u16 head = (u16)(rnd() % (num + (rnd() % 8 == 0)));
		memcpy(m + avail_off + VIRTQ_AVAIL_RING + 2 * i, &head, 2);
	}
	/* Descriptors: buffers mostly inside memory, short chains, writable after readable. */
	for (u32 i = 0; i < num; i++) {
		u8 *d = m + desc_off + 16 * i;
		u64 addr = BLOB_BASE + 0x1000 + rnd() % 0x1f00;
		u32 len = (u32)(rnd() % 0x120);
		u16 flags = (u16)(rnd() % 4), next = (u16)(rnd() % (num + (rnd() % 8 == 0)));

		if (rnd() % 32 == 0)
			addr = rnd();
		if (rnd() % 32 == 0)
			len = (u32)rnd();
		if (rnd() % 64 == 0)
			flags |= VIRTQ_DESC_F_INDIRECT;
		if (i + 1 < num && rnd() % 2)
			flags = (u16)((flags & ~VIRTQ_DESC_F_NEXT) | VIRTQ_DESC_F_NEXT), next = (u16)(i + 1);
		memcpy(d + VIRTQ_DESC_ADDR, &addr, 8);
		memcpy(d + VIRTQ_DESC_LEN, &len, 4);
		memcpy(d + VIRTQ_DESC_FLAGS, &flags, 2);
		memcpy(d + VIRTQ_DESC_NEXT, &next, 2);
	}
	return size;
}

static void test_fuzz_generated(void **state)
{
	static u8 data[16 + 0x4000];

	for (unsigned i = 0; i < 20000; i++) {
		size_t n = gen_input(data, sizeof(data));

		fuzz_one(data, n);
	}
	/* Raw random bytes and truncated inputs too. */
	for (unsigned i = 0; i < 2000; i++) {
		size_t n = rnd() % sizeof(data);

		for (size_t j = 0; j < n; j++)
			data[j] = (u8)rnd();
		fuzz_one(data, n);
	}
	assert_true(served > 10000);
	assert_true(outcomes[VQ_OK] > 1000);
	static const enum vq_status reached[] = {
		VQ_ERR_AVAIL_IDX, VQ_ERR_HEAD, VQ_ERR_NEXT, VQ_ERR_CHAIN_LONG, VQ_ERR_OVERCOMMIT,
		VQ_ERR_INDIRECT, VQ_ERR_DESC_RANGE, VQ_ERR_ORDER,
	};
	for (unsigned i = 0; i < ARRAY_SIZE(reached); i++)
		assert_true(outcomes[reached[i]] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pop_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pop_error_does_not_advance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_generated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
