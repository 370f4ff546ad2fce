/*
 * Split virtqueues, device side (see virtqueue.h). The driver is the guest and is not
 * trusted: guest memory is read with single-copy-atomic loads into locals, each field once,
 * and nothing read from it is used before it has been checked.
 */
#include "core/virtio/virtqueue.h"

#include "core/lib/bits.h"
#include "core/lib/string.h"
#include "core/virtio/virtio_regs.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio structures are little-endian and read without conversion");

/*
 * Barriers (2.7.13, 2.7.7, 2.7.8). The guest's CPUs and this one share guest RAM as Normal
 * cacheable Inner Shareable memory, so inner-shareable barriers suffice, as in Linux's
 * virt_rmb/virt_wmb/virt_mb. On arm64 an acquire fence is DMB ISHLD, a release or
 * sequentially consistent fence DMB ISH; each is also a compiler barrier.
 */
/* Loads after this (ring entries, descriptors, buffers) see at least what the driver wrote
 * before the available idx that was just read. */
static inline void vq_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
/* Stores before this (buffers, used element) are visible before the used idx store. */
static inline void vq_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
/* The used idx store is visible before the available ring's flags are read, so that a
 * driver re-enabling interrupts either sees the new idx or is seen by us (2.7.14). */
static inline void vq_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Guest memory: naturally aligned (the ring and table alignment is checked) single-copy
 * atomic accesses, so a field a guest rewrites concurrently is read once, whole. */
static inline u16 ld16(const u8 *p) { return __atomic_load_n((const u16 *)(const void *)p, __ATOMIC_RELAXED); }
static inline u32 ld32(const u8 *p) { return __atomic_load_n((const u32 *)(const void *)p, __ATOMIC_RELAXED); }
static inline u64 ld64(const u8 *p) { return __atomic_load_n((const u64 *)(const void *)p, __ATOMIC_RELAXED); }
static inline void st16(u8 *p, u16 v) { __atomic_store_n((u16 *)(void *)p, v, __ATOMIC_RELAXED); }
static inline void st32(u8 *p, u32 v) { __atomic_store_n((u32 *)(void *)p, v, __ATOMIC_RELAXED); }

const char *vq_status_name(enum vq_status s)
{
	static const char *const names[VQ_STATUS_COUNT] = {
		[VQ_OK] = "ok",
		[VQ_EMPTY] = "no buffer available",
		[VQ_ERR_SIZE] = "invalid queue size",
		[VQ_ERR_RING_ALIGN] = "misaligned ring",
		[VQ_ERR_RING_RANGE] = "ring outside guest RAM",
		[VQ_ERR_AVAIL_IDX] = "available idx more than the queue size ahead",
		[VQ_ERR_HEAD] = "chain head out of range",
		[VQ_ERR_NEXT] = "descriptor next out of range",
		[VQ_ERR_CHAIN_LONG] = "chain longer than the queue (loop)",
		[VQ_ERR_OVERCOMMIT] = "more descriptors in flight than the queue has",
		[VQ_ERR_INDIRECT] = "indirect descriptor (not offered)",
		[VQ_ERR_DESC_RANGE] = "buffer outside guest RAM",
		[VQ_ERR_TOTAL_LEN] = "chain longer than 2^32 bytes",
		[VQ_ERR_ORDER] = "device-readable buffer after a device-writable one",
	};

	return (unsigned)s < VQ_STATUS_COUNT && names[s] ? names[s] : "?";
}

/* A ring of the queue: aligned, not wrapping, wholly inside guest RAM. The host pointer
 * must be as aligned as the guest-physical address (it is when RAM is page-aligned on both
 * sides), because the ring's fields are accessed in place. */
static enum vq_status map_ring(const struct vq_mem *mem, ipa_t a, u64 bytes, u64 align, u8 **p)
{
	if (!IS_ALIGNED(a.v, align))
		return VQ_ERR_RING_ALIGN;
	if (a.v + bytes < a.v)
		return VQ_ERR_RING_RANGE;
	*p = mem->translate(mem->ctx, a, bytes);
	if (!*p)
		return VQ_ERR_RING_RANGE;
	if (!IS_ALIGNED((uintptr_t)*p, align))
		return VQ_ERR_RING_ALIGN;
	return VQ_OK;
}

static bool size_ok(u32 num, u32 num_max)
{
	return num && num <= num_max && num <= VIRTQ_SIZE_MAX && !(num & (num - 1));
}

enum vq_status vq_setup(struct virtqueue *vq, const struct vq_mem *mem, u32 num, u32 num_max,
			ipa_t desc, ipa_t avail, ipa_t used)
{
	enum vq_status st;
	u8 *d = NULL, *a = NULL, *u = NULL;

	*vq = (struct virtqueue){ 0 };
	if (!size_ok(num, num_max))
		return VQ_ERR_SIZE;
	st = map_ring(mem, desc, VIRTQ_DESC_BYTES(num), VIRTQ_DESC_ALIGN, &d);
	if (!st)
		st = map_ring(mem, avail, VIRTQ_AVAIL_BYTES(num), VIRTQ_AVAIL_ALIGN, &a);
	if (!st)
		st = map_ring(mem, used, VIRTQ_USED_BYTES(num), VIRTQ_USED_ALIGN, &u);
	if (st)
		return st;
	*vq = (struct virtqueue){ .num = (u16)num, .desc = d, .avail = a, .used = u };
	return VQ_OK;
}

/* The device-readable buffer buf[0..len) goes into in[], as much as fits. */
static void copy_in(struct vq_chain *c, const u8 *buf, u32 len, u8 *in, u32 in_cap)
{
	u32 n = MIN(len, in_cap - c->in_len);

	if (n)
		memcpy(in + c->in_len, buf, n);
	c->in_len += n;
	if (n < len)
		c->in_truncated = true;
}

/* A device-writable buffer: usable while segments and out_max last. Once one is not
 * recorded no later one is, so the recorded ones are a prefix of the writable part. */
static void record_out(struct vq_chain *c, u8 *buf, u32 len, u32 out_max)
{
	u32 n;

	c->out_total += len;
	if (!len || c->n_out == VQ_OUT_SEGS || c->out_cap == out_max)
		return;
	n = MIN(len, out_max - c->out_cap);
	c->out[c->n_out++] = (struct vq_seg){ .host = buf, .len = n };
	c->out_cap += n;
}

/* An empty chain: its scalars only, since out[] is read only below n_out. Zeroing the
 * whole struct (288 bytes) twice per request cost more than the rest of the pop. */
static void chain_start(struct vq_chain *c, u16 head)
{
	c->head = head;
	c->n_desc = 0;
	c->in_len = 0;
	c->in_truncated = false;
	c->out_cap = 0;
	c->out_total = 0;
	c->n_out = 0;
}

/*
 * Walk the chain from head: every descriptor read once (fields into locals), every buffer
 * translated before it is touched, at most num descriptors (so a loop ends), the total
 * bounded, readable before writable. Nothing is written to guest memory.
 */
static enum vq_status walk(const struct virtqueue *vq, const struct vq_mem *mem, u16 head,
			   struct vq_chain *c, u8 *in, u32 in_cap, u32 out_max)
{
	u16 idx = head;
	u64 total = 0;
	bool writable = false;

	chain_start(c, head);
	if (head >= vq->num)
		return VQ_ERR_HEAD;
	for (;;) {
		const u8 *d = vq->desc + (u64)VIRTQ_DESC_SIZE * idx;
		u64 addr;
		u32 len;
		u16 flags, next;
		u8 *buf = NULL;

		/* num distinct descriptors at most: one more means one was visited twice, in
		 * this chain or since the last publication. */
		if (c->n_desc == vq->num)
			return VQ_ERR_CHAIN_LONG;
		if (vq->walked + c->n_desc == vq->num)
			return VQ_ERR_OVERCOMMIT;
		c->n_desc++;
		addr = ld64(d + VIRTQ_DESC_ADDR);
		len = ld32(d + VIRTQ_DESC_LEN);
		flags = ld16(d + VIRTQ_DESC_FLAGS);
		next = ld16(d + VIRTQ_DESC_NEXT);

		if (flags & VIRTQ_DESC_F_INDIRECT)
			return VQ_ERR_INDIRECT;
		total += len;
		if (total > VIRTQ_CHAIN_BYTES_MAX)
			return VQ_ERR_TOTAL_LEN;
		/* A zero-length buffer names no memory: nothing to check or touch. */
		if (len) {
			if (addr + len - 1 < addr)
				return VQ_ERR_DESC_RANGE;
			buf = mem->translate(mem->ctx, ipa(addr), len);
			if (!buf)
				return VQ_ERR_DESC_RANGE;
		}
		if (flags & VIRTQ_DESC_F_WRITE) {
			writable = true;
			record_out(c, buf, len, out_max);
		} else if (writable) {
			return VQ_ERR_ORDER;
		} else {
			copy_in(c, buf, len, in, in_cap);
		}
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return VQ_OK;
		if (next >= vq->num)
			return VQ_ERR_NEXT;
		idx = next;
	}
}

/* How many chains the driver has made available past the device's index: the available
 * idx, read once (2.7.13), then a read barrier for what it publishes. */
static enum vq_status available(const struct virtqueue *vq, u16 *pending)
{
	if (!vq->num)
		return VQ_ERR_SIZE;
	*pending = (u16)(ld16(vq->avail + VIRTQ_AVAIL_IDX) - vq->last_avail);
	/* The driver cannot have more than num chains outstanding (2.7.13). */
	if (*pending > vq->num)
		return VQ_ERR_AVAIL_IDX;
	vq_rmb(); /* the ring entries and the chains were written before idx */
	return VQ_OK;
}

/* The chain of the next available ring entry, which available() counted. */
static enum vq_status take(struct virtqueue *vq, const struct vq_mem *mem, struct vq_chain *c,
			   u8 *in, u32 in_cap, u32 out_max)
{
	u16 head = ld16(vq->avail + VIRTQ_AVAIL_RING + 2 * (u64)(vq->last_avail & (vq->num - 1)));
	enum vq_status st = walk(vq, mem, head, c, in, in_cap, out_max);

	if (st)
		return st;
	vq->walked += c->n_desc;
	vq->last_avail++;
	return VQ_OK;
}

enum vq_status vq_pop(struct virtqueue *vq, const struct vq_mem *mem, struct vq_chain *c,
		      u8 *in, u32 in_cap, u32 out_max)
{
	u16 pending;
	enum vq_status st = available(vq, &pending);

	chain_start(c, 0);
	if (st)
		return st;
	return pending ? take(vq, mem, c, in, in_cap, out_max) : VQ_EMPTY;
}

/* vq_push on a queue that is set up. */
static void push(struct virtqueue *vq, const struct vq_chain *c, const u8 *out, u32 used_len)
{
	u32 left;
	u8 *elem;

	used_len = MIN(used_len, c->out_cap);
	left = used_len;
	for (unsigned i = 0; i < c->n_out && left; i++) {
		u32 n = MIN(left, c->out[i].len);

		memcpy(c->out[i].host, out, n);
		out += n;
		left -= n;
	}
	/* A slot past the published idx: the driver does not read it yet. */
	elem = vq->used + VIRTQ_USED_RING + (u64)VIRTQ_USED_ELEM_SIZE * (vq->used_idx & (vq->num - 1));
	st32(elem + VIRTQ_USED_ELEM_ID, c->head);
	st32(elem + VIRTQ_USED_ELEM_LEN, used_len);
	vq->used_idx++;
}

enum vq_status vq_push(struct virtqueue *vq, const struct vq_chain *c, const u8 *out,
		       u32 used_len)
{
	if (!vq->num)
		return VQ_ERR_SIZE;
	push(vq, c, out, used_len);
	return VQ_OK;
}

void vq_publish(struct virtqueue *vq)
{
	vq->walked = 0;
	if (!vq->num)
		return; /* nothing can have been pushed */
	vq_wmb(); /* buffers and elements before the idx that publishes them (2.7.8.2) */
	st16(vq->used + VIRTQ_USED_IDX, vq->used_idx);
}

bool vq_should_notify(const struct virtqueue *vq)
{
	if (!vq->num)
		return true; /* a spurious notification is harmless (2.7.7.1) */
	vq_mb();
	return !(ld16(vq->avail + VIRTQ_AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Where byte off of c's device-writable part lies in guest memory. */
static u8 *out_byte(const struct vq_chain *c, u32 off)
{
	for (unsigned i = 0; i < c->n_out; off -= c->out[i++].len)
		if (off < c->out[i].len)
			return c->out[i].host + off;
	return NULL;
}

static void note_status(const struct vq_bufs *bufs, unsigned k, const struct vq_chain *c,
			u32 used_len)
{
	if (k >= bufs->status_cap)
		return;
	bufs->status_at[k] = used_len >= bufs->status_back && bufs->status_back
				     ? out_byte(c, used_len - bufs->status_back)
				     : NULL;
}

enum vq_status vq_process(struct virtqueue *vq, const struct vq_mem *mem, vq_handler_fn fn,
			  void *dev, unsigned queue, const struct vq_bufs *bufs, unsigned *used,
			  struct vq_stats *stats)
{
	u16 pending;
	enum vq_status st = available(vq, &pending);

	*used = 0;
	/* The available idx is read once: at most one queue's worth per call, which bounds the
	 * work a guest's single notification causes. A driver notifies for buffers it adds
	 * later, since the device never suppresses notifications (no VIRTQ_USED_F_NO_NOTIFY,
	 * no EVENT_IDX: 2.7.10). */
	for (unsigned i = 0; !st && i < pending; i++) {
		struct vq_chain c;
		size_t n = 0;

		st = take(vq, mem, &c, bufs->in, bufs->in_cap, bufs->out_cap);
		if (st)
			break;
		stats->chains++;
		if (c.in_truncated) {
			/* More to read than a request of this device can be: refuse it, used
			 * length 0, without a guess at what a prefix means. */
			stats->oversized++;
		} else {
			if (c.out_cap)
				memset(bufs->out, 0, c.out_cap); /* nothing stale reaches the guest */
			n = fn(dev, queue, bufs->in, c.in_len, bufs->out, c.out_cap);
			note_status(bufs, *used, &c, (u32)MIN(n, (size_t)c.out_cap));
		}
		push(vq, &c, bufs->out, (u32)MIN(n, (size_t)c.out_cap));
		(*used)++;
	}
	return st;
}

enum vq_status vq_fill(struct virtqueue *vq, const struct vq_mem *mem, const void *data,
		       u32 len, u32 *written)
{
	struct vq_chain c;
	enum vq_status st;

	*written = 0;
	/* A device-readable part is not the device's business here: checked, not read. */
	st = vq_pop(vq, mem, &c, NULL, 0, len);
	if (st)
		return st;
	push(vq, &c, data, c.out_cap);
	vq_publish(vq);
	*written = c.out_cap;
	return VQ_OK;
}
