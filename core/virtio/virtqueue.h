/*
 * The device side of virtio split virtqueues (virtio 1.2, 2.7), for a hostile driver. Pure
 * code: guest memory is reached only through a translate callback, so the same functions run
 * in the hypervisor (vm_ram_ptr), in host unit tests (a fake RAM) and under a fuzzer (a
 * memory blob). Nothing here locks: the caller serialises every call on one queue.
 *
 * What a guest can get wrong makes a function return a VQ_ERR_* status and write nothing to
 * guest memory for the offending chain; it never reaches an assertion. Every ring, descriptor
 * and buffer range is translated and bounds-checked before use; each descriptor is read once,
 * and the device-readable bytes are copied once into a hypervisor buffer, so what was
 * validated is what is used. See docs/virtio.md.
 */
#ifndef CORE_VIRTQUEUE_H
#define CORE_VIRTQUEUE_H

#include "core/lib/types.h"

/* A hypervisor pointer to guest-physical [addr, addr + size), or NULL if any byte of it is
 * outside the guest's RAM. size is never 0. The same range translates to the same pointer for
 * as long as a queue is set up: its rings are translated once, by vq_setup. */
typedef void *(*vq_translate_fn)(void *ctx, ipa_t addr, u64 size);

struct vq_mem {
	vq_translate_fn translate;
	void *ctx;
};

/* Results, and what was wrong with a malformed queue (vq_status_name() says it in words). */
enum vq_status {
	VQ_OK = 0,
	VQ_EMPTY,           /* no buffer available */
	VQ_ERR_SIZE,        /* queue size 0, not a power of 2 or over the maximum */
	VQ_ERR_RING_ALIGN,  /* a ring's address not aligned as 2.7 requires */
	VQ_ERR_RING_RANGE,  /* a ring not wholly inside guest RAM */
	VQ_ERR_AVAIL_IDX,   /* available idx more than the queue size ahead of the device */
	VQ_ERR_HEAD,        /* an available ring entry names no descriptor */
	VQ_ERR_NEXT,        /* a descriptor's next names no descriptor */
	VQ_ERR_CHAIN_LONG,  /* more descriptors than the queue size: a loop */
	VQ_ERR_OVERCOMMIT,  /* more descriptors in flight than the queue has: reused */
	VQ_ERR_INDIRECT,    /* VIRTQ_DESC_F_INDIRECT, which is not offered */
	VQ_ERR_DESC_RANGE,  /* a buffer not wholly inside guest RAM, or wrapping */
	VQ_ERR_TOTAL_LEN,   /* a chain's buffers total more than 2^32 bytes */
	VQ_ERR_ORDER,       /* a device-readable buffer after a device-writable one */
	VQ_STATUS_COUNT
};
const char *vq_status_name(enum vq_status s);
static inline bool vq_status_malformed(enum vq_status s) { return s > VQ_EMPTY; }

/* One queue as the driver configured it, and the device's own progress. The indexes are
 * the device's shadows: guest memory is never trusted to hold them. The rings are where
 * vq_setup found them in guest RAM, checked once: a queue's configuration is fixed while it
 * is set up (4.2.2.2), and so is the translation of guest RAM (struct vq_mem). */
struct virtqueue {
	u16 num;         /* queue size, a power of 2; 0 while not set up */
	u8 *desc;        /* descriptor table */
	u8 *avail;       /* driver area */
	u8 *used;        /* device area */
	u16 last_avail;  /* next available ring entry the device takes */
	u16 used_idx;    /* next used ring entry the device writes */
	/* Descriptors walked since the last vq_publish. A driver puts chains in free
	 * descriptors only (2.7.13.1) and sees none freed before publication, so this never
	 * exceeds num; bounding it bounds the work of a batch to num descriptors. */
	u32 walked;
};

/* Check a configuration (size, alignment, every ring inside guest RAM) and start the queue
 * at index 0. Returns VQ_OK, VQ_ERR_SIZE, VQ_ERR_RING_ALIGN or VQ_ERR_RING_RANGE; on an
 * error *vq is left zeroed. num_max is the device's limit (at most VIRTQ_SIZE_MAX). */
enum vq_status vq_setup(struct virtqueue *vq, const struct vq_mem *mem, u32 num, u32 num_max,
			ipa_t desc, ipa_t avail, ipa_t used);

/* Device-writable buffers of a chain, as far as the device will use them. */
#define VQ_OUT_SEGS 16
struct vq_seg {
	u8 *host;
	u32 len;
};

/* A chain taken from the available ring by vq_pop and not yet returned with vq_push. */
struct vq_chain {
	u16 head;
	u16 n_desc;
	u32 in_len;         /* device-readable bytes copied into the caller's buffer */
	bool in_truncated;  /* ... and there were more than it could hold */
	u32 out_cap;        /* device-writable bytes the device may fill: the first VQ_OUT_SEGS
			     * writable buffers, capped at the caller's out_max */
	u64 out_total;      /* every device-writable byte of the chain */
	unsigned n_out;
	struct vq_seg out[VQ_OUT_SEGS];
};

/*
 * Take the next available chain. Reads the available idx, then (after a read barrier) the
 * ring entry and the descriptors, each descriptor once; checks every one; copies the
 * device-readable bytes into in[0..in_cap) (in may be NULL when in_cap is 0). Returns
 * VQ_OK (the chain is the caller's until vq_push), VQ_EMPTY, or a VQ_ERR_* with no write to
 * guest memory; the queue does not advance on an error.
 */
enum vq_status vq_pop(struct virtqueue *vq, const struct vq_mem *mem, struct vq_chain *c,
		      u8 *in, u32 in_cap, u32 out_max);

/* Complete a popped chain: copy out[0..used_len) into its device-writable buffers in
 * order and write its used element (used_len capped at c->out_cap). The driver does not see
 * it until vq_publish. Chains are pushed in the order they were popped, at most num between
 * two publications. Returns VQ_OK, or VQ_ERR_SIZE for a queue vq_setup did not accept. */
enum vq_status vq_push(struct virtqueue *vq, const struct vq_chain *c, const u8 *out,
		       u32 used_len);

/* Make every pushed chain used: a write barrier, then the used idx (2.7.8.2). */
void vq_publish(struct virtqueue *vq);

/* After publishing: whether the driver wants a used buffer notification (2.7.7: the
 * available ring's flags without VIRTQ_AVAIL_F_NO_INTERRUPT, read after a full barrier). */
bool vq_should_notify(const struct virtqueue *vq);

/* Serve one request: in[0..in_len) is its device-readable part, out[0..out_cap) (zeroed)
 * its device-writable part. Returns the bytes written from the start of out. */
typedef size_t (*vq_handler_fn)(void *dev, unsigned queue, const u8 *in, size_t in_len,
				u8 *out, size_t out_cap);

/* Scratch buffers for vq_process, owned by the caller (hypervisor memory). */
struct vq_bufs {
	u8 *in;
	u32 in_cap;
	u8 *out;
	u32 out_cap;
	/* Optional (status_cap 0): status_at[k] gets, for the k-th chain the handler served
	 * (k < status_cap), where in guest memory the byte status_back bytes before the end of
	 * its used length lies (a request's status, for a device whose tail ends what it
	 * writes), or NULL if the used length is shorter; so that the device can still change
	 * it before the chains are published. */
	u8 **status_at;
	u32 status_cap;
	u32 status_back;
};

struct vq_stats {
	u64 chains;    /* chains served (handler called, or refused as oversized) */
	u64 oversized; /* device-readable part larger than bufs->in_cap: used with length 0,
			* the handler not called */
};

/*
 * Serve every chain available when called, in ring order: the available idx is read once,
 * so at most one queue's worth (a driver notifies again for buffers it adds later: the
 * device never suppresses notifications); then pop, handler, push for each (with
 * bufs->status_at filled). Returns VQ_OK once those were served, or the VQ_ERR_* of the first
 * malformed chain, the chains before it having been pushed. *used counts the chains pushed;
 * the caller publishes them (vq_publish), after completing whatever the handler left
 * pending for the batch. This is the function to fuzz: a guest's whole influence is the
 * memory behind mem.
 */
enum vq_status vq_process(struct virtqueue *vq, const struct vq_mem *mem, vq_handler_fn fn,
			  void *dev, unsigned queue, const struct vq_bufs *bufs, unsigned *used,
			  struct vq_stats *stats);

/* The device posts data into the next available chain (a queue the device fills, such as
 * an event queue): data[0..len) is written to its device-writable buffers, as much as fits,
 * and the chain is used (published) with the length written. Returns VQ_OK, VQ_EMPTY (no
 * buffer: the data is not delivered) or a VQ_ERR_*. *written gets the used length. */
enum vq_status vq_fill(struct virtqueue *vq, const struct vq_mem *mem, const void *data,
		       u32 len, u32 *written);

#endif
