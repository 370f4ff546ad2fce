/*
 * virtio-mmio version 2 registers and queues (see virtio_mmio.h). Device requirements
 * followed here, by section of virtio 1.2: 2.1.2 (no buffer consumed and no used buffer
 * notification before DRIVER_OK; a configuration change notification after setting
 * DEVICE_NEEDS_RESET while DRIVER_OK), 2.2.2 (FEATURES_OK only for a subset of what was
 * offered), 2.4.1 (reset: status back to 0), 4.2.2.1 (magic, version, interrupt status bits,
 * reset clears InterruptStatus and every QueueReady, queues untouched while not ready,
 * ConfigGeneration).
 */
#include "core/virtio/virtio_mmio.h"

#include "core/lib/errno.h"
#include "core/vm/guest_layout.h"

_Static_assert(VIRTIO_MMIO_REGION_SIZE == GUEST_VIRTIO_SIZE, "one register file per slot");

#define STATUS_DRIVER_BITS                                                        \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED)

static u64 offered(const struct virtio_mmio *t) { return t->ops->features | VIRTIO_F_VERSION_1; }

static struct virtio_mmio_queue *queue_of(struct virtio_mmio *t, u64 index)
{
	return index < t->ops->num_queues ? &t->queues[index] : NULL;
}

static bool is_fill_queue(const struct virtio_mmio *t, unsigned q)
{
	return (t->ops->fill_queues >> q) & 1;
}

bool virtio_mmio_live(const struct virtio_mmio *t)
{
	return (t->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET |
			     VIRTIO_STATUS_FAILED)) == VIRTIO_STATUS_DRIVER_OK;
}

u64 virtio_mmio_features(const struct virtio_mmio *t)
{
	return t->status & VIRTIO_STATUS_FEATURES_OK ? t->driver_features : 0;
}

/* The interrupt line is InterruptStatus != 0 (4.2.3.4). */
static void update_irq(struct virtio_mmio *t)
{
	bool level = t->int_status != 0;

	if (level == t->irq_level)
		return;
	t->irq_level = level;
	if (t->host.set_irq)
		t->host.set_irq(t->host.ctx, level);
}

static void notify(struct virtio_mmio *t, u32 bit)
{
	t->int_status |= bit;
	update_irq(t);
}

/* The driver broke the queue protocol: stop the device until it is reset (2.1.2). The
 * first reason is kept for the glue to report. */
static void needs_reset(struct virtio_mmio *t, unsigned queue, enum vq_status why)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	t->error = why;
	t->error_queue = queue;
	t->stats.needs_reset++;
	if (t->host.report)
		t->host.report(t->host.ctx, queue, why);
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		notify(t, VIRTIO_MMIO_INT_CONFIG);
}

/* Everything the driver set up goes; ConfigGeneration keeps counting, so a driver never
 * sees an old generation again. The model's reset runs on a stopped device and has finished
 * before the guest can read Status again. */
static void reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->int_status = 0;
	t->dev_features_sel = 0;
	t->drv_features_sel = 0;
	t->queue_sel = 0;
	t->driver_features = 0;
	t->error = VQ_OK;
	t->error_queue = 0;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->queues[i] = (struct virtio_mmio_queue){ 0 };
	t->ops->reset(t->dev);
	update_irq(t);
}

void virtio_mmio_reset(struct virtio_mmio *t) { reset(t); }

void virtio_mmio_process(struct virtio_mmio *t, unsigned queue)
{
	struct virtio_mmio_queue *q = queue_of(t, queue);
	const struct vq_bufs bufs = { t->in, sizeof(t->in), t->out, sizeof(t->out),
				      t->status_at, t->ops->sync ? VIRTIO_MMIO_BATCH_MAX : 0,
				      t->ops->status_back };
	enum vq_status st;
	unsigned used;

	if (!q || is_fill_queue(t, queue) || !q->ready || !virtio_mmio_live(t))
		return;
	st = vq_process(&q->vq, &t->host.mem, t->ops->handle, t->dev, queue, &bufs, &used,
			&t->stats.vq);
	/* Requests served before a malformed chain are completed all the same. */
	if (used) {
		if (t->ops->sync)
			t->ops->sync(t->dev, queue, t->status_at);
		vq_publish(&q->vq);
		if (vq_should_notify(&q->vq))
			notify(t, VIRTIO_MMIO_INT_USED_BUFFER);
	}
	if (st)
		needs_reset(t, queue, st);
}

bool virtio_queue_fill(struct virtio_mmio *t, unsigned queue, const void *data, size_t len)
{
	struct virtio_mmio_queue *q = queue_of(t, queue);
	enum vq_status st;
	u32 written;

	if (!q || !is_fill_queue(t, queue) || !q->ready || !virtio_mmio_live(t)) {
		t->stats.fill_dropped++;
		return false;
	}
	st = vq_fill(&q->vq, &t->host.mem, data, (u32)MIN(len, (size_t)~U(0)), &written);
	if (st) {
		if (vq_status_malformed(st))
			needs_reset(t, queue, st);
		t->stats.fill_dropped++;
		return false;
	}
	if (vq_should_notify(&q->vq))
		notify(t, VIRTIO_MMIO_INT_USED_BUFFER);
	return true;
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_gen++;
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		notify(t, VIRTIO_MMIO_INT_CONFIG);
}

/* 2.2.2: accept any subset of what was offered, as long as it has VERSION_1 (this device
 * has no legacy interface). */
static bool features_acceptable(const struct virtio_mmio *t)
{
	return !(t->driver_features & ~offered(t)) && (t->driver_features & VIRTIO_F_VERSION_1);
}

/*
 * Writing 0 resets. Otherwise the driver can only add its own bits (it MUST NOT clear any,
 * 2.1.1): FEATURES_OK only when the features are acceptable, DRIVER_OK only after
 * FEATURES_OK (there is no legacy interface to run without negotiation). DEVICE_NEEDS_RESET
 * is the device's.
 */
static void write_status(struct virtio_mmio *t, u32 v)
{
	u32 set = v & STATUS_DRIVER_BITS & ~t->status;

	if (!v) {
		reset(t);
		return;
	}
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t))
		set &= ~(u32)VIRTIO_STATUS_FEATURES_OK;
	if (!((t->status | set) & VIRTIO_STATUS_FEATURES_OK))
		set &= ~(u32)VIRTIO_STATUS_DRIVER_OK;
	t->status |= set;
	if (!(set & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
		notify(t, VIRTIO_MMIO_INT_CONFIG);
		return;
	}
	/* Buffers made available before DRIVER_OK were waiting for it (2.1.2). */
	for (unsigned i = 0; i < t->ops->num_queues; i++)
		virtio_mmio_process(t, i);
}

/* QueueReady: 1 checks the queue's configuration and starts it at index 0; a configuration
 * the device cannot use (size, alignment, a ring outside guest RAM) leaves the queue not
 * ready and the device needing a reset. 0 stops the queue, and reads back 0 at once. */
static void write_queue_ready(struct virtio_mmio *t, struct virtio_mmio_queue *q, u32 v)
{
	enum vq_status st;

	if (!v) {
		q->ready = false;
		q->vq = (struct virtqueue){ 0 };
		return;
	}
	if (q->ready)
		return;
	st = vq_setup(&q->vq, &t->host.mem, q->num, t->ops->queue_max, ipa(q->desc),
		      ipa(q->driver), ipa(q->device));
	if (st) {
		needs_reset(t, t->queue_sel, st);
		return;
	}
	q->ready = true;
}

static void set_half(u64 *reg, bool high, u32 v)
{
	if (high)
		*reg = (*reg & GENMASK(31, 0)) | (u64)v << 32;
	else
		*reg = (*reg & GENMASK(63, 32)) | v;
}

static void write_reg(struct virtio_mmio *t, u64 reg, u32 v)
{
	struct virtio_mmio_queue *q = queue_of(t, t->queue_sel);
	/* The queue's configuration is the driver's only while the queue is not ready
	 * (4.2.2.2); once checked it stays as it was checked. */
	struct virtio_mmio_queue *qcfg = q && !q->ready ? q : NULL;

	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->drv_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Negotiation ends at FEATURES_OK; words past 1 are 0 by definition. */
		if (!(t->status & VIRTIO_STATUS_FEATURES_OK) && t->drv_features_sel < 2)
			set_half(&t->driver_features, t->drv_features_sel == 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (qcfg)
			qcfg->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			write_queue_ready(t, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		t->stats.notifies++;
		virtio_mmio_process(t, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->int_status &= ~v;
		update_irq(t);
		break;
	case VIRTIO_MMIO_STATUS: write_status(t, v); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (qcfg)
			set_half(&qcfg->desc, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (qcfg)
			set_half(&qcfg->driver, reg == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (qcfg)
			set_half(&qcfg->device, reg == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
		break;
	}
	/* Read-only registers, SHMSel (no shared memory), QueueReset (no RING_RESET) and
	 * reserved words ignore writes. */
}

static u32 read_reg(struct virtio_mmio *t, u64 reg)
{
	struct virtio_mmio_queue *q = queue_of(t, t->queue_sel);

	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR_PORTCULLIS;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->dev_features_sel < 2 ? (u32)(offered(t) >> (32 * t->dev_features_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? t->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return t->int_status;
	case VIRTIO_MMIO_STATUS: return t->status;
	/* No shared memory region: length -1 and base all ones (4.2.2). */
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH: return ~U(0);
	case VIRTIO_MMIO_CONFIG_GENERATION: return t->config_gen;
	}
	/* Write-only registers, QueueReset (0: no reset in progress) and reserved words. */
	return 0;
}

/* The config space, accessed with byte alignment: 1, 2 or 4 bytes naturally aligned (a
 * 64-bit field is read as two 32-bit halves, ConfigGeneration telling the driver whether to
 * retry). Bytes past the device's config space read as 0 and ignore writes. */
static bool config_access(struct virtio_mmio *t, struct mmio_access *a)
{
	u64 off = a->offset - VIRTIO_MMIO_CONFIG;
	bool inside;

	if ((a->size != 1 && a->size != 2 && a->size != 4) || !IS_ALIGNED(a->offset, a->size) ||
	    a->offset >= VIRTIO_MMIO_REGION_SIZE)
		return false;
	inside = off + a->size <= t->ops->config_size;
	if (a->write) {
		if (inside && t->ops->config_write)
			t->ops->config_write(t->dev, (u32)off, a->size,
					     (u32)(a->value & GENMASK(a->size * 8 - 1, 0)));
	} else {
		a->value = inside ? t->ops->config_read(t->dev, (u32)off, a->size) &
					    GENMASK(a->size * 8 - 1, 0)
				  : 0;
	}
	return true;
}

bool virtio_mmio_access(struct virtio_mmio *t, struct mmio_access *a)
{
	if (a->offset >= VIRTIO_MMIO_CONFIG)
		return config_access(t, a);
	/* 4.2.2.2: control registers are accessed 32 bits wide and aligned, only. */
	if (a->size != 4 || !IS_ALIGNED(a->offset, 4))
		return false;
	if (a->write)
		write_reg(t, a->offset, (u32)a->value);
	else
		a->value = read_reg(t, a->offset);
	return true;
}

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops, void *dev,
		     const struct virtio_mmio_host *host)
{
	if (!ops || !ops->handle || !ops->reset || (ops->config_size && !ops->config_read) ||
	    !host || !host->mem.translate)
		return -E_INVAL;
	if (ops->num_queues > VIRTIO_MMIO_MAX_QUEUES ||
	    (ops->fill_queues & ~(u32)GENMASK(VIRTIO_MMIO_MAX_QUEUES - 1, 0)) ||
	    (ops->fill_queues >> ops->num_queues))
		return -E_INVAL;
	if (ops->num_queues && (!ops->queue_max || ops->queue_max > VIRTQ_SIZE_MAX ||
				(ops->queue_max & (ops->queue_max - 1))))
		return -E_INVAL;
	if ((ops->features & VIRTIO_F_RESERVED_MASK) || ops->config_size > VIRTIO_MMIO_CONFIG_MAX)
		return -E_INVAL;
	*t = (struct virtio_mmio){ .ops = ops, .dev = dev, .host = *host };
	return 0;
}
