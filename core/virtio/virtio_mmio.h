/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2), as a register model: what a
 * guest's access to one device's 0x200-byte slot does, its queues (core/virtio/virtqueue.c), and the
 * calls a device model (such as virtio-iommu) makes and receives. Pure, so it is tested on
 * the host: guest RAM is reached through a translate callback and the interrupt line through
 * a set_irq callback, both supplied by the glue that registers the slot with the MMIO
 * dispatch (the split of core/dev/vpl011.c and core/dev/vuart.c). See docs/virtio.md.
 *
 * Locking: nothing here locks. The glue serialises every call on one transport (its
 * accesses, virtio_mmio_process, virtio_queue_fill, virtio_mmio_config_changed,
 * virtio_mmio_reset) with one lock; device model callbacks run under it, and may call
 * virtio_queue_fill and virtio_mmio_config_changed on their own transport.
 */
#ifndef CORE_VIRTIO_MMIO_H
#define CORE_VIRTIO_MMIO_H

#include "core/virtio/virtio_regs.h"
#include "core/virtio/virtqueue.h"
#include "core/vm/emul.h"

#define VIRTIO_MMIO_MAX_QUEUES 8
/* A request's device-readable part and device-writable part are served from hypervisor
 * buffers of this size; a request with more to read is used with length 0, unread. */
#define VIRTIO_BUF_MAX 4096
/* Requests of one batch whose status sync() can still change (struct virtio_dev_ops). */
#define VIRTIO_MMIO_BATCH_MAX 256
/* VendorID: "Port", little-endian. */
#define VIRTIO_MMIO_VENDOR_PORTCULLIS U(0x74726f50)

/* What a device model tells the transport, and is called for. */
struct virtio_dev_ops {
	const char *name;
	u32 device_id;
	/* Device-type feature bits offered (0-23 and 50-63). The transport adds
	 * VIRTIO_F_VERSION_1 and offers no other reserved bit: no indirect descriptors, no
	 * event index, no packed ring. */
	u64 features;
	unsigned num_queues;  /* at most VIRTIO_MMIO_MAX_QUEUES */
	u16 queue_max;        /* QueueNumMax of every queue: a power of 2, at most 32768 */
	u32 fill_queues;      /* bit q: queue q holds buffers the device fills on its own
			       * (virtio_queue_fill), e.g. an event queue; notifying it does
			       * nothing. The other queues carry requests for handle(). */
	u32 config_size;      /* bytes of config space, at most VIRTIO_MMIO_CONFIG_MAX */
	/* An access of size 1, 2 or 4 at offset, naturally aligned and inside config_size.
	 * config_read returns the little-endian value; config_write may be NULL (writes are
	 * then ignored). */
	u32 (*config_read)(void *dev, u32 offset, unsigned size);
	void (*config_write)(void *dev, u32 offset, unsigned size, u32 value);
	/* One request of a request queue, in ring order: in[0..in_len) is its device-readable
	 * part (a hypervisor copy, fetched once), out[0..out_cap) its device-writable part
	 * (zeroed, copied to the guest when handle returns). Returns the used length: the
	 * bytes written from the start of out (capped at out_cap). The request is published
	 * as used after sync(), so what it needs completed must be by then. */
	size_t (*handle)(void *dev, unsigned queue, const u8 *in, size_t in_len, u8 *out,
			 size_t out_cap);
	/* Optional. After a batch of handle() calls on a queue (every request one
	 * notification found), before any of them becomes visible to the driver as used:
	 * finish what the batch left pending (virtio-iommu: one CMD_SYNC for all its TLB
	 * invalidations). What handle() wrote is in the driver's buffers already; status[k]
	 * is where the status byte of the batch's k-th handle() call lies there (status_back
	 * bytes before the end of its used length; NULL if it wrote no such byte, or k is
	 * VIRTIO_MMIO_BATCH_MAX or more), for a sync that failed to make requests not OK. */
	void (*sync)(void *dev, unsigned queue, u8 *const *status);
	u32 status_back; /* with sync: see above; at least 1 */
	/* Device reset (Status written 0, or the VM reset): done when it returns, before
	 * the guest can read the status back as 0. */
	void (*reset)(void *dev);
};

/* What the glue supplies: guest RAM, the interrupt line, and where a broken queue is
 * reported. set_irq is called whenever the line's level (InterruptStatus != 0) changes;
 * report (optional) when the driver's mistake sets DEVICE_NEEDS_RESET, once until the
 * device is reset, so the glue can log it with the VM's name. */
struct virtio_mmio_host {
	struct vq_mem mem;
	void (*set_irq)(void *ctx, bool level);
	void (*report)(void *ctx, unsigned queue, enum vq_status why);
	void *ctx;
};

struct virtio_mmio_queue {
	struct virtqueue vq;   /* valid while ready */
	bool ready;
	u32 num;               /* QueueNum as written */
	u64 desc, driver, device; /* as written, checked when QueueReady is set */
};

struct virtio_mmio_stats {
	u64 notifies;        /* QueueNotify writes */
	u64 fill_dropped;    /* virtio_queue_fill found no buffer */
	u64 needs_reset;     /* times DEVICE_NEEDS_RESET was set */
	struct vq_stats vq;  /* requests served */
};

struct virtio_mmio {
	const struct virtio_dev_ops *ops;
	void *dev;
	struct virtio_mmio_host host;
	u32 status;
	u32 int_status;
	u32 config_gen;
	u32 dev_features_sel, drv_features_sel, queue_sel;
	u64 driver_features;
	bool irq_level;
	/* Why DEVICE_NEEDS_RESET was set (VQ_OK otherwise) and on which queue: for the glue to
	 * report. Cleared by reset. */
	enum vq_status error;
	unsigned error_queue;
	struct virtio_mmio_queue queues[VIRTIO_MMIO_MAX_QUEUES];
	struct virtio_mmio_stats stats;
	u8 in[VIRTIO_BUF_MAX];
	u8 out[VIRTIO_BUF_MAX];
	u8 *status_at[VIRTIO_MMIO_BATCH_MAX]; /* of the batch being served (sync()) */
};

/* Set up a transport in its reset state (the model's reset is not called). Returns 0, or
 * -E_INVAL when ops is inconsistent (too many queues, a bad queue_max, a reserved feature
 * bit, config space too large, a callback missing). */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops, void *dev,
		     const struct virtio_mmio_host *host);

/* One guest access to the slot (offset from its base). Control registers take aligned
 * 32-bit accesses only, the config space aligned 1, 2 and 4-byte ones; anything else returns
 * false (the guest gets an external abort). A QueueNotify write serves the queue before
 * returning. */
bool virtio_mmio_access(struct virtio_mmio *t, struct mmio_access *a);

/* Device reset, as the guest writing 0 to Status: for the VM's reset. */
void virtio_mmio_reset(struct virtio_mmio *t);

/* Serve every available request of a request queue now (what QueueNotify does), if the
 * device is live (DRIVER_OK, not DEVICE_NEEDS_RESET or FAILED) and the queue ready. */
void virtio_mmio_process(struct virtio_mmio *t, unsigned queue);

/* The device posts data[0..len) into the next buffer the driver made available on a fill
 * queue, and raises a used buffer notification. Returns false, and counts a drop, when the
 * device is not live or no buffer waits; a buffer smaller than len gets what fits (its used
 * length says how much). */
bool virtio_queue_fill(struct virtio_mmio *t, unsigned queue, const void *data, size_t len);

/* The device changed its config space: a new ConfigGeneration, and a configuration change
 * notification once the driver is running. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

/* The features the driver accepted once FEATURES_OK was set, else 0. */
u64 virtio_mmio_features(const struct virtio_mmio *t);

/* Whether the device is live: DRIVER_OK and neither DEVICE_NEEDS_RESET nor FAILED. */
bool virtio_mmio_live(const struct virtio_mmio *t);

#endif
