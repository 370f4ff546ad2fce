/*
 * libFuzzer target for the virtio-iommu requests (iommu/viommu/viommu_req.c).
 *
 * One input is a device configuration, then a sequence of requests. Each request is either
 * raw bytes (anything a hostile driver could write) or built from the input's choices among
 * values that meet each other (the VM's endpoints, a few domains, addresses on a page grid
 * and at the edges of RAM, MMIO, RESV_MEM and the 64-bit space), so that sequences reach
 * deep states. Hardware failures are injected (CREATE or MAP out of table memory; a broken
 * SMMU failing ATTACH, DETACH, UNMAP, DESTROY or the batch's sync), requests are grouped in
 * notifications whose one sync may fail, and the device is sometimes reset or its bypass
 * field changed.
 *
 * After every request, anything wrong aborts:
 *  - prepare changed the state, or wrote beyond the used length, or gave a used length
 *    other than 0, 4, probe_size + 4, or (PROBE with a small area) the area's size;
 *  - an op real hardware could not take (tests/unit/test_viommu_hw.h replays them);
 *  - viommu_state_check: no overlap in a domain's mappings, every mapping inside the VM's
 *    RAM (MMIO for MMIO mappings) and input_range and clear of RESV_MEM, balanced trees,
 *    domain and mapping counts within the limits, no pool node lost;
 *  - the hardware double differs from the state, or a stream reaches a freed table (or one
 *    the state says aborts does not);
 *  - after a sync that failed, a request that needed it is not DEVERR.
 *
 * Build and run: `make fuzz` (FUZZ_TIME=seconds; the Makefile lists the sources).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HW_MAX_ENTRIES 1024
#include "core/lib/errno.h"
#include "iommu/viommu/viommu_req.h"
#include "tests/unit/test_viommu_hw.h"

#define POOL_MAX 64
#define PROBE_SIZE 64
#define OUT_MAX (PROBE_SIZE + 4 + 16)
#define SLACK 32
#define CANARY 0x5a
#define U64_MAX (~ULL(0))

/* ---- the VM (as in tests/unit/test_viommu.c) ---- */

#define MSI_START ULL(0x8000000)
#define MSI_END ULL(0x80fffff)

static const struct viommu_resv resv_c[] = {
	{ VIRTIO_IOMMU_RESV_MEM_T_MSI, { MSI_START }, { MSI_END } },
	{ VIRTIO_IOMMU_RESV_MEM_T_RESERVED, { 0xfee00000 }, { 0xfeefffff } },
};
static const struct viommu_endpoint eps[] = {
	{ 0x10, NULL, 0 },
	{ 0x18, NULL, 0 },
	{ 0x20, resv_c, 2 },
};
static const struct viommu_region ram[] = {
	{ { 0x40000000 }, 0x20000000 },
	{ { 0x60000000 }, 0x10000000 }, /* adjacent to the first */
	{ { 0x100000000 }, 0x40000000 },
	{ { 0xffffffffffe00000 }, 0x200000 }, /* the top of the 64-bit space */
};
static const struct viommu_region mmio[] = {
	{ { 0x10000000 }, 0x10000 },
	{ { 0x10010000 }, 0x10000 },
};

/* Values requests are built from: edges of everything above. */
static const u64 addrs[] = {
	0,
	0x1000,
	0x10000,
	0x200000,
	MSI_START - 0x1000,
	MSI_START,
	MSI_END + 1,
	0xfee00000,
	0x10000000,
	0x10010000,
	0x1001f000,
	0x40000000,
	0x5ffff000,
	0x60000000,
	0x6ffff000,
	0x100000000,
	0x13ffff000,
	(1ULL << 48) - 0x1000,
	1ULL << 48,
	0xffffffffffe00000,
	0xfffffffffffff000,
	U64_MAX,
};

/* ---- reading the input ---- */

struct input {
	const u8 *p;
	size_t n;
};

static u64 take(struct input *in, unsigned bytes)
{
	u64 v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (u64)*in->p << (8 * i);
	return v;
}

static u64 pick_addr(struct input *in)
{
	u8 how = (u8)take(in, 1);
	u64 base = addrs[(how & 0x1f) % (sizeof(addrs) / sizeof(addrs[0]))];

	switch (how >> 5) {
	case 0:
		return take(in, 8); /* anything */
	case 1:
		return base + take(in, 1) * 0x1000;
	case 2:
		return base - take(in, 1) * 0x1000;
	case 3:
		return base + (take(in, 2) & 0xfff);
	default:
		return base;
	}
}

/* An end for a range starting at s: usually a whole number of pages on. */
static u64 pick_end(struct input *in, u64 s)
{
	u8 how = (u8)take(in, 1);

	if (how < 0xc0)
		return s + (u64)(how & 0x1f) * 0x1000 + 0xfff;
	if (how < 0xe0)
		return pick_addr(in);
	return s + (how & 0x1f) - 1;
}

static u32 pick_domain(struct input *in)
{
	u8 v = (u8)take(in, 1);

	return v < 0xf0 ? v % 6 : (u32)take(in, 4);
}

static u32 pick_ep(struct input *in)
{
	u8 v = (u8)take(in, 1);

	return v < 0xf0 ? (v % 4 < 3 ? eps[v % 4].id : 0x28) : (u32)take(in, 4);
}

static void put(u8 *b, size_t off, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		b[off + i] = (u8)(v >> (8 * i));
}

/* A request into b; returns its readable length. */
static size_t build(struct input *in, u8 *b, size_t cap)
{
	u8 kind = (u8)take(in, 1);
	size_t len;
	u64 s;

	memset(b, 0, cap);
	if (kind >= 0xe0) { /* raw bytes */
		len = take(in, 1) % cap;
		for (size_t i = 0; i < len; i++)
			b[i] = (u8)take(in, 1);
		return len;
	}
	switch (kind % 8) {
	case 0:
	case 1:
		b[0] = VIRTIO_IOMMU_T_ATTACH;
		put(b, 4, pick_domain(in), 4);
		put(b, 8, pick_ep(in), 4);
		put(b, 12, take(in, 1) < 0xc0 ? 0 : take(in, 4), 4);
		len = 20;
		break;
	case 2:
		b[0] = VIRTIO_IOMMU_T_DETACH;
		put(b, 4, pick_domain(in), 4);
		put(b, 8, pick_ep(in), 4);
		len = 20;
		break;
	case 3:
		b[0] = VIRTIO_IOMMU_T_UNMAP;
		put(b, 4, pick_domain(in), 4);
		s = pick_addr(in);
		put(b, 8, s, 8);
		put(b, 16, pick_end(in, s), 8);
		len = 28;
		break;
	case 4:
		b[0] = VIRTIO_IOMMU_T_PROBE;
		put(b, 4, pick_ep(in), 4);
		len = 72;
		break;
	default:
		b[0] = VIRTIO_IOMMU_T_MAP;
		put(b, 4, pick_domain(in), 4);
		s = pick_addr(in);
		put(b, 8, s, 8);
		put(b, 16, pick_end(in, s), 8);
		put(b, 24, pick_addr(in), 8);
		put(b, 32, take(in, 1) % 16, 4);
		len = 36;
		break;
	}
	/* Now and then a few bytes flipped or the request cut short. */
	if ((kind & 0x18) == 0x18) {
		u8 at = (u8)take(in, 1);

		b[at % len] ^= (u8)take(in, 1);
		if (at & 0x80)
			len = at % len;
	}
	return len;
}

/* ---- checking ---- */

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			fprintf(stderr, "fuzz_viommu: "); \
			fprintf(stderr, __VA_ARGS__);      \
			fprintf(stderr, "\n");             \
			abort();                           \
		}                                          \
	} while (0)

static struct viommu_ctx ctx;
static struct viommu_state st, st_before;
static struct viommu_node pool[POOL_MAX], pool_before[POOL_MAX];
static struct fake_hw hw;

static void check_state(void)
{
	const char *why = NULL, *err;

	CHECK(!viommu_state_check(&st, &ctx, &why), "state invariant: %s", why);
	err = hw_compare(&hw, &st, &ctx);
	CHECK(!err, "hardware differs: %s", err);
}

/* The requests of the notification being served, as the device's batch: each one's status
 * as the driver would read it, and whether it waits for the batch's sync. */
static struct viommu_batch batch;
static u8 batch_status[VIOMMU_BATCH_MAX];
static u8 *batch_where[VIOMMU_BATCH_MAX];
static bool batch_needs_sync[VIOMMU_BATCH_MAX];

static void end_batch(void)
{
	bool failed = hw_batch_sync(&hw, &batch, batch_where) != 0;

	for (unsigned k = 0; k < VIOMMU_BATCH_MAX && batch_where[k]; k++) {
		CHECK(!failed || !batch_needs_sync[k] || batch_status[k] == VIRTIO_IOMMU_S_DEVERR,
		      "request %u reported %u after its sync failed", k, batch_status[k]);
		batch_where[k] = NULL;
	}
	CHECK(!hw.sync_owed, "sync still owed after the batch");
	check_state();
}

static void run_one(const u8 *req, size_t len, size_t out_cap, u8 type)
{
	static u8 out[OUT_MAX + SLACK];
	struct viommu_txn t;
	unsigned k = batch.n;
	size_t used;
	u8 status;
	const char *err;

	memset(out, CANARY, sizeof(out));
	st_before = st;
	memcpy(pool_before, pool, sizeof(pool));
	used = viommu_prepare(&st, &ctx, req, len, out, out_cap, &t);
	CHECK(!memcmp(&st, &st_before, sizeof(st)) && !memcmp(pool, pool_before, sizeof(pool)),
	      "prepare changed the state");
	CHECK(used == t.used, "used length not reported");
	for (size_t i = used; i < sizeof(out); i++)
		CHECK(out[i] == CANARY, "byte %zu written beyond the used length %zu", i, used);
	if (used) {
		bool probe = type == VIRTIO_IOMMU_T_PROBE;

		CHECK(used == (probe ? (out_cap < PROBE_SIZE + 4 ? out_cap : PROBE_SIZE + 4) : 4),
		      "used length %zu for type %u, area %zu", used, type, out_cap);
		CHECK(out[used - 4] == t.status && !out[used - 3] && !out[used - 2] && !out[used - 1],
		      "tail");
		CHECK(t.status <= VIRTIO_IOMMU_S_NOMEM, "status %u", t.status);
	}
	CHECK(t.status == VIRTIO_IOMMU_S_OK || !t.n_op, "ops for a rejected request");
	err = hw_replay(&hw, &ctx, &t, &status);
	CHECK(!err, "replay: %s", err);
	viommu_commit(&st, &ctx, &t, status);
	if (k < VIOMMU_BATCH_MAX) {
		batch_status[k] = used ? out[used - 4] : 0;
		batch_where[k] = &batch_status[k];
		batch_needs_sync[k] = t.sync && used && t.status == VIRTIO_IOMMU_S_OK;
	}
	viommu_batch_add(&batch, &t);
	check_state();
	if (batch.n == VIOMMU_BATCH_MAX)
		end_batch();
}

/* As the device's reset (iommu/viommu/viommu_dev.c model_reset): op by op, a failed
 * DETACH leaving its stream aborting (the device's retry of the unattached translation is
 * taken to fail as well). */
static void reset_device(void)
{
	struct viommu_op ops[2 * VIOMMU_MAX_ENDPOINTS];
	struct viommu_backend b = { &fake_hw_ops, &hw };
	unsigned n = viommu_reset_ops(&st, &ctx, ops, 2 * VIOMMU_MAX_ENDPOINTS);
	u32 failed = 0;

	end_batch();
	hw.ctx = &ctx;
	hw.msg[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		if (viommu_replay_op(&b, &ops[i]) && ops[i].kind == VIOMMU_OP_DETACH)
			failed |= 1U << ops[i].ep;
	CHECK(!hw.msg[0], "reset replay: %s", hw.msg);
	if (hw.sync_owed)
		hw_sync(&hw);
	viommu_reset(&st);
	for (unsigned ep = 0; ep < ctx.n_ep; ep++)
		if (failed & (1U << ep))
			viommu_set_aborting(&st, ep, true);
	check_state();
}

static void configure(struct input *in)
{
	static const u64 masks[] = { 0x40201000, 0x10000, 0x1, 0x200 | 0x1000 };
	static const u64 input_ends[] = { (1ULL << 48) - 1, U64_MAX, U64_MAX - 0x1000 };
	u8 a = (u8)take(in, 1), b = (u8)take(in, 1), c = (u8)take(in, 1);
	const char *why = NULL;

	ctx = (struct viommu_ctx){
		.features = BIT(VIRTIO_IOMMU_F_INPUT_RANGE) | BIT(VIRTIO_IOMMU_F_DOMAIN_RANGE),
		.page_size_mask = masks[a % 4],
		.input_start = iova((a & 0x10) ? 0x1000 : 0),
		.input_end = iova(input_ends[(a >> 2) % 3]),
		.domain_start = (a & 0x20) ? 1 : 0,
		.domain_end = (a & 0x40) ? 3 : 0xffffffff,
		.probe_size = PROBE_SIZE,
		.bypass = a & 0x80,
		.ep = eps,
		.n_ep = 3,
		.ram = ram,
		.n_ram = 4,
		.mmio = mmio,
		.n_mmio = 2,
		.limits = { .domains = b % 5, .mappings = c % (POOL_MAX + 8) },
	};
	/* Features as Linux negotiates them, minus what the input drops. */
	if (!(b & 0x10))
		ctx.features |= BIT(VIRTIO_IOMMU_F_MAP_UNMAP);
	if (!(b & 0x20))
		ctx.features |= BIT(VIRTIO_IOMMU_F_PROBE);
	if (!(b & 0x40))
		ctx.features |= BIT(VIRTIO_IOMMU_F_MMIO);
	if (!(b & 0x80))
		ctx.features |= BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG);
	if (ctx.input_start.v == 0 && ctx.input_end.v == U64_MAX)
		ctx.input_start = iova(0x1000);
	CHECK(!viommu_ctx_check(&ctx, &why), "context: %s", why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	u8 req[96];

	configure(&in);
	viommu_init(&st, pool, 1 + (u32)take(&in, 1) % POOL_MAX);
	hw_init(&hw);
	batch = (struct viommu_batch){ 0 };
	memset(batch_where, 0, sizeof(batch_where));
	check_state();
	while (in.n) {
		u8 ctl = (u8)take(&in, 1);
		size_t len, out_cap;

		switch (ctl >> 5) {
		case 0:
			hw.fail_create_in = 1 + (ctl & 1);
			hw.fail_map_in = 1 + ((ctl >> 1) & 3);
			hw.fail_status = (ctl & 8) ? VIRTIO_IOMMU_S_DEVERR : VIRTIO_IOMMU_S_NOMEM;
			break;
		case 1:
			if (ctl == 0x20)
				reset_device();
			else if (ctl == 0x21)
				ctx.bypass = !ctx.bypass; /* the driver writes the config field */
			else if (ctl & 8)
				end_batch(); /* the notification ends */
			break;
		case 2:
			/* A broken SMMU: an invalidation or a stream change that fails. */
			hw.fail_detach_in = (ctl & 1) ? 1 + ((ctl >> 3) & 1) : 0;
			hw.fail_unmap_in = (ctl & 2) ? 1 + ((ctl >> 3) & 1) : 0;
			hw.fail_destroy_in = (ctl & 4) ? 1 + ((ctl >> 4) & 1) : 0;
			hw.fail_attach_in = (ctl & 8) ? 1 : 0;
			hw.fail_sync_in = (ctl & 0x10) ? 1 : 0;
			break;
		default:
			break;
		}
		len = build(&in, req, sizeof(req));
		/* The writable area: usually what Linux gives, sometimes anything up to OUT_MAX. */
		if (ctl & 0x10)
			out_cap = take(&in, 1) % (OUT_MAX + 1);
		else
			out_cap = req[0] == VIRTIO_IOMMU_T_PROBE ? PROBE_SIZE + 4 : 4;
		run_one(req, len, out_cap, len ? req[0] : 0);
	}
	end_batch();
	return 0;
}
