/*
 * Host tests of the virtio-iommu requests (iommu/viommu/viommu_req.c): one or more cases per device
 * rule of the project's virtio-iommu reference page ("rule N" below, as in docs/viommu.md) and
 * per Portcullis rule, then randomized sequences against a reference model of the mapping set.
 *
 * Every request goes through send(): prepare (checked to change nothing in the state), the
 * ops replayed by the hardware double of test_viommu_hw.h (which fails the test on any op
 * real hardware could not take), commit, then viommu_state_check and a comparison of the
 * double with the state. Requests are built as the wire bytes a driver writes, and the
 * writable area is surrounded by a canary so that every byte written beyond the used length
 * is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/errno.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/viommu/viommu_req.h"
#include "tests/unit/test_viommu_hw.h"

#define G SZ_4K
#define CANARY 0xa5
#define PROBE_SIZE 512
#define SLACK 64
#define POOL 256
#define MAX_DOMAINS 4
#define MAX_MAPPINGS 64
#define U64_MAX (~ULL(0))

#define F(x) BIT(VIRTIO_IOMMU_F_##x)
#define ALL_FEATURES \
	(F(INPUT_RANGE) | F(DOMAIN_RANGE) | F(MAP_UNMAP) | F(PROBE) | F(MMIO) | F(BYPASS_CONFIG))
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define S(x) VIRTIO_IOMMU_S_##x

/* ---- the VM: three endpoints, RAM in three regions (two adjacent), two MMIO regions ---- */

#define EP_A 0x10 /* 00:02.0 */
#define EP_B 0x18 /* 00:03.0 */
#define EP_C 0x20 /* 00:04.0, with RESV_MEM regions */
#define EP_OTHER_VM 0x28

#define RAM0 ULL(0x40000000) /* 512 MiB, then RAM1 right after it */
#define RAM1 ULL(0x60000000) /* 256 MiB */
#define RAM2 ULL(0x100000000) /* 1 GiB */
#define MMIO0 ULL(0x10000000) /* 64 KiB */
#define MMIO1 ULL(0x10010000) /* 4 KiB */
#define MSI_START ULL(0x8000000)
#define MSI_END ULL(0x80fffff)
#define RESV_START ULL(0xfee00000)
#define RESV_END ULL(0xfeefffff)

static const struct viommu_resv resv_c[] = {
	{ VIRTIO_IOMMU_RESV_MEM_T_MSI, { MSI_START }, { MSI_END } },
	{ VIRTIO_IOMMU_RESV_MEM_T_RESERVED, { RESV_START }, { RESV_END } },
};
static const struct viommu_endpoint eps[] = {
	{ EP_A, NULL, 0 },
	{ EP_B, NULL, 0 },
	{ EP_C, resv_c, ARRAY_SIZE(resv_c) },
};
static const struct viommu_region ram[] = {
	{ { RAM0 }, 512 << 20 },
	{ { RAM1 }, 256 << 20 },
	{ { RAM2 }, SZ_1G },
};
static const struct viommu_region mmio[] = {
	{ { MMIO0 }, SZ_64K },
	{ { MMIO1 }, SZ_4K },
};

static struct viommu_ctx ctx;
static struct viommu_state st;
static struct viommu_node pool[POOL];
static struct fake_hw hw;
static struct viommu_txn t;
static u8 out[PROBE_SIZE + 4 + 2 * SLACK];

static void default_ctx(void)
{
	ctx = (struct viommu_ctx){
		.features = ALL_FEATURES,
		.page_size_mask = SZ_4K | SZ_2M | SZ_1G,
		.input_start = { 0 },
		.input_end = { BIT(48) - 1 },
		.domain_start = 0,
		.domain_end = 63,
		.probe_size = PROBE_SIZE,
		.bypass = false,
		.ep = eps,
		.n_ep = ARRAY_SIZE(eps),
		.ram = ram,
		.n_ram = ARRAY_SIZE(ram),
		.mmio = mmio,
		.n_mmio = ARRAY_SIZE(mmio),
		.limits = { .domains = MAX_DOMAINS, .mappings = MAX_MAPPINGS },
	};
}

static int setup(void **state)
{
	const char *why = NULL;

	default_ctx();
	assert_int_equal(viommu_ctx_check(&ctx, &why), 0);
	viommu_init(&st, pool, POOL);
	hw_init(&hw);
	return 0;
}

/* ---- requests as a driver writes them ---- */

struct req {
	u8 b[128];
	size_t len; /* device-readable bytes */
};

static void put(struct req *r, size_t off, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		r->b[off + i] = (u8)(v >> (8 * i));
}

static struct req attach_req(u32 domain, u32 ep, u32 flags)
{
	struct req r = { .len = 20 };

	put(&r, 0, VIRTIO_IOMMU_T_ATTACH, 1);
	put(&r, 4, domain, 4);
	put(&r, 8, ep, 4);
	put(&r, 12, flags, 4);
	return r;
}

static struct req detach_req(u32 domain, u32 ep)
{
	struct req r = { .len = 20 };

	put(&r, 0, VIRTIO_IOMMU_T_DETACH, 1);
	put(&r, 4, domain, 4);
	put(&r, 8, ep, 4);
	return r;
}

static struct req map_req(u32 domain, u64 start, u64 end, u64 phys, u32 flags)
{
	struct req r = { .len = 36 };

	put(&r, 0, VIRTIO_IOMMU_T_MAP, 1);
	put(&r, 4, domain, 4);
	put(&r, 8, start, 8);
	put(&r, 16, end, 8);
	put(&r, 24, phys, 8);
	put(&r, 32, flags, 4);
	return r;
}

static struct req unmap_req(u32 domain, u64 start, u64 end)
{
	struct req r = { .len = 28 };

	put(&r, 0, VIRTIO_IOMMU_T_UNMAP, 1);
	put(&r, 4, domain, 4);
	put(&r, 8, start, 8);
	put(&r, 16, end, 8);
	return r;
}

static struct req probe_req(u32 ep)
{
	struct req r = { .len = 72 };

	put(&r, 0, VIRTIO_IOMMU_T_PROBE, 1);
	put(&r, 4, ep, 4);
	return r;
}

/* ---- running one request ---- */

static struct viommu_state st_before;
static struct viommu_node pool_before[POOL];

static void check_consistent(void)
{
	const char *why = NULL;
	const char *err;

	if (viommu_state_check(&st, &ctx, &why))
		fail_msg("state invariant broken: %s", why);
	err = hw_compare(&hw, &st, &ctx);
	if (err)
		fail_msg("hardware differs from the state: %s", err);
}

/* Run r with a writable area of out_cap bytes; returns the used length. The bytes of out
 * beyond the used length must be untouched. */
static size_t send_cap(const struct req *r, size_t out_cap)
{
	size_t used;
	u8 status;
	const char *err;

	assert_true(out_cap <= sizeof(out) - SLACK);
	memset(out, CANARY, sizeof(out));
	st_before = st;
	memcpy(pool_before, pool, sizeof(pool));
	used = viommu_prepare(&st, &ctx, r->b, r->len, out, out_cap, &t);
	assert_memory_equal(&st, &st_before, sizeof(st));
	assert_memory_equal(pool, pool_before, sizeof(pool));
	assert_int_equal(used, t.used);
	for (size_t i = used; i < sizeof(out); i++)
		if (out[i] != CANARY)
			fail_msg("byte %zu written beyond the used length %zu", i, used);
	if (used) {
		/* The tail: status, then reserved bytes written as zero. */
		assert_int_equal(out[used - 4], t.status);
		assert_int_equal(out[used - 3] | out[used - 2] | out[used - 1], 0);
	}
	if (t.status != S(OK))
		assert_int_equal(t.n_op, 0);
	err = hw_replay(&hw, &ctx, &t, &status);
	if (err)
		fail_msg("replay: %s", err);
	viommu_commit(&st, &ctx, &t, status);
	if (used)
		assert_int_equal(out[used - 4], t.status);
	if (t.sync)
		hw_sync(&hw);
	check_consistent();
	return used;
}

/* Run r with the writable area Linux gives it; check the used length; return the status. */
static u8 send(const struct req *r)
{
	bool probe = r->b[0] == VIRTIO_IOMMU_T_PROBE;
	size_t want = probe ? PROBE_SIZE + 4 : 4;

	assert_int_equal(send_cap(r, want), want);
	return t.status;
}

static u8 attach(u32 domain, u32 ep, u32 flags)
{
	struct req r = attach_req(domain, ep, flags);

	return send(&r);
}

static u8 detach(u32 domain, u32 ep)
{
	struct req r = detach_req(domain, ep);

	return send(&r);
}

static u8 map(u32 domain, u64 start, u64 end, u64 phys, u32 flags)
{
	struct req r = map_req(domain, start, end, phys, flags);

	return send(&r);
}

static u8 unmap(u32 domain, u64 start, u64 end)
{
	struct req r = unmap_req(domain, start, end);

	return send(&r);
}

static unsigned ep_index(u32 id)
{
	for (unsigned i = 0; i < ctx.n_ep; i++)
		if (ctx.ep[i].id == id)
			return i;
	fail_msg("no endpoint %x", id);
	return 0;
}

static bool in_domain(u32 ep, u32 domain)
{
	u32 d;

	return viommu_ep_domain(&st, ep_index(ep), &d) && d == domain;
}

static bool attached(u32 ep)
{
	u32 d;

	return viommu_ep_domain(&st, ep_index(ep), &d);
}

static bool domain_exists(u32 id)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (st.dom[i].used && st.dom[i].id == id)
			return true;
	return false;
}

static size_t mappings_of(u32 id)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (st.dom[i].used && st.dom[i].id == id)
			return st.dom[i].n_mappings;
	return 0;
}

/* Whether domain id maps exactly [start, end] -> phys as one mapping. */
static bool mapped(u32 id, u64 start, u64 end, u64 phys)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++) {
		u32 n = st.dom[i].root;

		if (!st.dom[i].used || st.dom[i].id != id)
			continue;
		while (n != VIOMMU_NIL) {
			if (pool[n].start.v == start)
				return pool[n].last.v == end && pool[n].gpa.v == phys;
			n = start < pool[n].start.v ? pool[n].left : pool[n].right;
		}
	}
	return false;
}

static void assert_op(unsigned i, enum viommu_op_kind kind, u32 domain)
{
	assert_true(i < t.n_op);
	assert_int_equal(t.op[i].kind, kind);
	assert_int_equal(t.op[i].domain, domain);
}

/* ---- rule 6, 7: what is written, the used length ---- */

static void test_unknown_type_writes_nothing(void **state)
{
	static const u8 types[] = { 0, 6, 7, 0x80, 0xff };

	for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
		struct req r = attach_req(1, EP_A, 0);

		r.b[0] = types[i];
		assert_int_equal(send_cap(&r, 4), 0);
		assert_int_equal(send_cap(&r, PROBE_SIZE + 4), 0);
	}
	assert_false(attached(EP_A));
}

static void test_no_room_for_tail_writes_nothing(void **state)
{
	struct req reqs[] = { attach_req(1, EP_A, 0), detach_req(1, EP_A),
			      map_req(1, 0, G - 1, RAM0, RW), unmap_req(1, 0, G - 1),
			      probe_req(EP_A) };

	for (unsigned i = 0; i < ARRAY_SIZE(reqs); i++)
		for (size_t cap = 0; cap < 4; cap++)
			assert_int_equal(send_cap(&reqs[i], cap), 0);
	assert_false(attached(EP_A));
}

static void test_head_too_short_writes_nothing(void **state)
{
	struct req r = attach_req(1, EP_A, 0);

	for (r.len = 0; r.len < 4; r.len++)
		assert_int_equal(send_cap(&r, 4), 0);
	assert_false(attached(EP_A));
}

static void test_body_too_short_is_inval(void **state)
{
	struct req reqs[] = { attach_req(1, EP_A, 0), detach_req(1, EP_A),
			      map_req(1, 0, G - 1, RAM0, RW), unmap_req(1, 0, G - 1),
			      probe_req(EP_A) };

	assert_int_equal(attach(1, EP_B, 0), S(OK));
	for (unsigned i = 0; i < ARRAY_SIZE(reqs); i++) {
		size_t full = reqs[i].len;

		for (reqs[i].len = 4; reqs[i].len < full; reqs[i].len++)
			assert_int_equal(send(&reqs[i]), S(INVAL));
	}
	assert_false(attached(EP_A));
	assert_int_equal(mappings_of(1), 0);
}

static void test_used_length_is_the_writable_length(void **state)
{
	struct req r;

	/* A larger writable area than the request's: the tail stays where the layout puts it
	 * and the used length stays 4. */
	r = attach_req(1, EP_A, 0);
	assert_int_equal(send_cap(&r, 64), 4);
	assert_int_equal(out[0], S(OK));
	r = map_req(1, 0, G - 1, RAM0, RW);
	assert_int_equal(send_cap(&r, 5), 4);
	assert_int_equal(out[0], S(OK));
	/* Errors too. */
	r = map_req(1, 0, G - 1, RAM0, RW);
	assert_int_equal(send_cap(&r, 4), 4);
	assert_int_equal(out[0], S(INVAL));
	r = unmap_req(1, 0, G - 1);
	assert_int_equal(send_cap(&r, 4), 4);
	r = detach_req(1, EP_A);
	assert_int_equal(send_cap(&r, 4), 4);
	r = probe_req(EP_A);
	assert_int_equal(send_cap(&r, PROBE_SIZE + 4 + 32), PROBE_SIZE + 4);
}

static void test_extra_readable_bytes_ignored(void **state)
{
	struct req r = attach_req(1, EP_A, 0);

	r.len = 24; /* the whole struct, tail included, as some drivers might */
	r.b[20] = 0xff;
	assert_int_equal(send(&r), S(OK));
	assert_true(in_domain(EP_A, 1));
}

static void test_head_reserved_ignored(void **state)
{
	struct req r = attach_req(1, EP_A, 0);

	r.b[1] = r.b[2] = r.b[3] = 0xff;
	assert_int_equal(send(&r), S(OK));
}

/* ---- rule 1: ATTACH ---- */

static void test_attach_reserved_is_inval(void **state)
{
	for (unsigned i = 16; i < 20; i++) {
		struct req r = attach_req(1, EP_A, 0);

		r.b[i] = 1;
		assert_int_equal(send(&r), S(INVAL));
	}
	assert_false(attached(EP_A));
}

static void test_attach_unknown_flag_is_inval(void **state)
{
	assert_int_equal(attach(1, EP_A, BIT(1)), S(INVAL));
	assert_int_equal(attach(1, EP_A, BIT(31)), S(INVAL));
	/* BYPASS is a known flag only with BYPASS_CONFIG negotiated. */
	ctx.features &= ~F(BYPASS_CONFIG);
	assert_int_equal(attach(1, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(INVAL));
	assert_false(attached(EP_A));
}

static void test_attach_unknown_endpoint_is_noent(void **state)
{
	assert_int_equal(attach(1, EP_OTHER_VM, 0), S(NOENT));
	assert_int_equal(attach(1, 0, 0), S(NOENT));
	assert_int_equal(attach(1, 0xffffffff, 0), S(NOENT));
	assert_int_equal(st.n_domains, 0);
}

static void test_attach_domain_outside_range_is_range(void **state)
{
	ctx.domain_start = 8;
	ctx.domain_end = 15;
	assert_int_equal(attach(7, EP_A, 0), S(RANGE));
	assert_int_equal(attach(16, EP_A, 0), S(RANGE));
	assert_int_equal(attach(0xffffffff, EP_A, 0), S(RANGE));
	assert_int_equal(attach(8, EP_A, 0), S(OK));
	assert_int_equal(attach(15, EP_B, 0), S(OK));
}

static void test_attach_creates_domain(void **state)
{
	assert_int_equal(attach(3, EP_A, 0), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_op(0, VIOMMU_OP_CREATE, 3);
	assert_false(t.op[0].bypass);
	assert_op(1, VIOMMU_OP_ATTACH, 3);
	assert_int_equal(t.op[1].endpoint, EP_A);
	assert_false(t.sync); /* nothing was detached */
	assert_true(in_domain(EP_A, 3));
	assert_int_equal(st.n_domains, 1);
}

static void test_attach_several_endpoints_share_domain(void **state)
{
	assert_int_equal(attach(3, EP_A, 0), S(OK));
	assert_int_equal(map(3, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(attach(3, EP_B, 0), S(OK));
	assert_int_equal(t.n_op, 1);
	assert_op(0, VIOMMU_OP_ATTACH, 3);
	assert_true(in_domain(EP_A, 3) && in_domain(EP_B, 3));
	assert_int_equal(st.n_domains, 1);
	assert_int_equal(mappings_of(3), 1);
}

static void test_attach_same_domain_again_is_noop(void **state)
{
	assert_int_equal(attach(3, EP_A, 0), S(OK));
	assert_int_equal(map(3, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(attach(3, EP_A, 0), S(OK));
	assert_int_equal(t.n_op, 0);
	assert_true(mapped(3, 0, G - 1, RAM0));
}

static void test_attach_moves_endpoint(void **state)
{
	/* Implicit DETACH: the old domain stays while another endpoint is in it... */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(1, EP_B, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(attach(2, EP_A, 0), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_op(0, VIOMMU_OP_CREATE, 2);
	assert_op(1, VIOMMU_OP_ATTACH, 2);
	assert_true(t.sync);
	assert_true(in_domain(EP_A, 2) && in_domain(EP_B, 1));
	assert_true(mapped(1, 0, G - 1, RAM0));
	/* ...and goes with its mappings when the last one leaves. */
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_op(0, VIOMMU_OP_ATTACH, 2);
	assert_op(1, VIOMMU_OP_DESTROY, 1);
	assert_true(t.sync);
	assert_false(domain_exists(1));
	assert_int_equal(st.n_mappings, 0);
}

static void test_attach_bypass_domain(void **state)
{
	assert_int_equal(attach(1, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	assert_op(0, VIOMMU_OP_CREATE, 1);
	assert_true(t.op[0].bypass);
	assert_op(1, VIOMMU_OP_ATTACH, 1);
	assert_true(t.op[1].bypass);
	assert_int_equal(attach(1, EP_B, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	assert_true(in_domain(EP_B, 1));
}

static void test_attach_bypass_mismatch_is_inval(void **state)
{
	assert_int_equal(attach(1, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(map(2, 0, G - 1, RAM0, RW), S(OK));
	/* Both directions; the endpoint stays where it was (validated before the implicit
	 * DETACH), and its old domain keeps its mappings. */
	assert_int_equal(attach(1, EP_B, 0), S(INVAL));
	assert_true(in_domain(EP_B, 2));
	assert_true(mapped(2, 0, G - 1, RAM0));
	assert_int_equal(attach(2, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(INVAL));
	assert_true(in_domain(EP_A, 1));
	assert_int_equal(attach(2, EP_C, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(INVAL));
	assert_false(attached(EP_C));
}

static void test_attach_rejected_leaves_endpoint(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	/* Every rejection after the endpoint is known: it stays in domain 1, mappings kept. */
	struct req r = attach_req(2, EP_A, 0);
	r.b[16] = 1;
	assert_int_equal(send(&r), S(INVAL));
	assert_int_equal(attach(2, EP_A, BIT(5)), S(INVAL));
	assert_int_equal(attach(64, EP_A, 0), S(RANGE));
	assert_true(in_domain(EP_A, 1));
	assert_true(mapped(1, 0, G - 1, RAM0));
	assert_int_equal(st.n_domains, 1);
}

static void test_attach_domain_limit_is_nomem(void **state)
{
	ctx.limits.domains = 2;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(attach(3, EP_C, 0), S(NOMEM));
	assert_false(attached(EP_C));
	assert_int_equal(st.n_domains, 2);
	/* Joining an existing domain needs no new one. */
	assert_int_equal(attach(2, EP_C, 0), S(OK));
	/* A move that empties the old domain frees its place for the new one. */
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(attach(3, EP_A, 0), S(OK));
	assert_int_equal(t.n_op, 3);
	assert_op(0, VIOMMU_OP_CREATE, 3); /* may fail: first */
	assert_op(1, VIOMMU_OP_ATTACH, 3);
	assert_op(2, VIOMMU_OP_DESTROY, 1);
	assert_int_equal(st.n_domains, 2);
	/* But not when the old domain keeps another endpoint. */
	assert_int_equal(attach(4, EP_B, 0), S(NOMEM));
	assert_true(in_domain(EP_B, 2));
}

static void test_attach_limit_zero(void **state)
{
	ctx.limits.domains = 0;
	assert_int_equal(attach(1, EP_A, 0), S(NOMEM));
	assert_int_equal(st.n_domains, 0);
}

static void test_attach_resv_conflict_is_unsupp(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, MSI_START, MSI_START + G - 1, RAM0, RW), S(OK));
	/* EP_C's MSI region is mapped in domain 1: it cannot join. */
	assert_int_equal(attach(1, EP_C, 0), S(UNSUPP));
	assert_false(attached(EP_C));
	assert_int_equal(unmap(1, MSI_START, MSI_START + G - 1), S(OK));
	assert_int_equal(attach(1, EP_C, 0), S(OK));
}

static void test_attach_replay_failure_changes_nothing(void **state)
{
	/* CREATE fails (no memory for the table): NOMEM, the endpoint stays where it was. */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	hw.fail_create_in = 1;
	assert_int_equal(attach(2, EP_A, 0), S(NOMEM));
	assert_int_equal(out[0], S(NOMEM));
	assert_true(in_domain(EP_A, 1));
	assert_true(mapped(1, 0, G - 1, RAM0));
	assert_false(domain_exists(2));
	/* DEVERR is passed through the same way. */
	hw.fail_create_in = 1;
	hw.fail_status = S(DEVERR);
	assert_int_equal(attach(2, EP_B, 0), S(DEVERR));
	assert_false(attached(EP_B));
}

static void test_attach_failure_undoes_the_new_domain(void **state)
{
	/* The STE write fails after the new domain was created: the shipped undo destroys it
	 * again (hw_compare: the hardware holds exactly the state), the request is DEVERR. */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	hw.fail_attach_in = 1;
	hw.fail_status = S(DEVERR);
	assert_int_equal(attach(2, EP_B, 0), S(DEVERR));
	assert_false(domain_exists(2));
	assert_false(attached(EP_B));
	assert_true(viommu_ep_aborting(&st, ep_index(EP_B))); /* hw_compare: HW_ABORT */
	assert_true(in_domain(EP_A, 1));
	/* The slot is free again: the next domain takes it, and the endpoint is live again. */
	assert_int_equal(attach(3, EP_B, 0), S(OK));
	assert_false(viommu_ep_aborting(&st, ep_index(EP_B)));
}

/* [CREATE B] ATTACH B [DESTROY A], the DESTROY failing (its invalidation did not complete)
 * after the stream moved to B: B must stay (the stream walks its table), A leaves its slot
 * with its tables kept, and the state says so: the endpoint in B, A gone. Before, the undo
 * destroyed B under the stream and the state kept the endpoint in A. */
static void test_attach_destroy_failure_keeps_the_new_domain(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	hw.fail_destroy_in = 1;
	assert_int_equal(attach(2, EP_A, 0), S(DEVERR)); /* check_consistent: hw_reachable */
	assert_true(in_domain(EP_A, 2));
	assert_false(domain_exists(1));
	assert_int_equal(hw.n_leaked_tables, 1);
	/* Both slots usable again. */
	assert_int_equal(attach(1, EP_B, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
}

/* The ATTACH that moves an endpoint fails: its stream aborts, so it is in no domain, and
 * the domain it left (its last endpoint) and the one created for it both go. */
static void test_attach_move_failure_aborts_the_stream(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	hw.fail_attach_in = 1;
	assert_int_equal(attach(2, EP_A, 0), S(NOMEM));
	assert_false(attached(EP_A));
	assert_true(viommu_ep_aborting(&st, ep_index(EP_A)));
	assert_false(domain_exists(1));
	assert_false(domain_exists(2));
	/* Same with the DESTROY of the old domain failing as well: tables kept, slots free. */
	assert_int_equal(attach(1, EP_B, 0), S(OK));
	hw.fail_attach_in = 1;
	hw.fail_destroy_in = 2; /* the new domain's undo goes, the old one's fails */
	assert_int_equal(attach(2, EP_B, 0), S(NOMEM));
	assert_int_equal(hw.n_leaked_tables, 1);
	assert_false(domain_exists(1));
	assert_int_equal(st.n_domains, 0);
}

/* DETACH fails: the stream aborts, also with bypass (no identity): the state says so. */
static void test_detach_failure_aborts_the_stream(void **state)
{
	ctx.bypass = true;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	hw.fail_detach_in = 1;
	assert_int_equal(detach(1, EP_A), S(DEVERR));
	assert_false(domain_exists(1));
	assert_true(viommu_ep_aborting(&st, ep_index(EP_A)));
	assert_int_equal(hw.stream[ep_index(EP_A)].kind, HW_ABORT);
}

/* An UNMAP whose invalidation fails: the entries are cleared all the same (the state
 * follows), the request is DEVERR. A MAP whose undo fails the same way: nothing mapped. */
static void test_unmap_failure_clears_and_reports(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	hw.fail_unmap_in = 1;
	assert_int_equal(unmap(1, 0, G - 1), S(DEVERR));
	assert_int_equal(mappings_of(1), 0);
	/* RAM0 and RAM1 touch: one mapping, two MAP pieces; the second fails, the undo's
	 * UNMAP of the first fails too. */
	hw.fail_map_in = 2;
	hw.fail_unmap_in = 1;
	assert_int_equal(map(1, 0, 4 * G - 1, RAM1 - 2 * G, RW), S(DEVERR));
	assert_int_equal(mappings_of(1), 0);
}

/* A notification's sync fails: the requests that needed it (the UNMAP, the DETACH) are
 * DEVERR where the driver reads their status, the MAP (complete without it) stays OK.
 * Before, batch_sync only logged and every status stayed OK. */
static void test_failed_sync_makes_its_requests_deverr(void **state)
{
	struct viommu_backend b = { &fake_hw_ops, &hw };
	struct viommu_batch batch = { 0 };
	u8 status[4];
	u8 *where[4] = { &status[0], &status[1], &status[2], NULL };

	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW), S(OK));
	viommu_batch_add(&batch, &t);
	status[0] = t.status;
	assert_int_equal(unmap(1, 0, G - 1), S(OK));
	viommu_batch_add(&batch, &t);
	status[1] = t.status;
	assert_int_equal(detach(2, EP_B), S(OK));
	viommu_batch_add(&batch, &t);
	status[2] = t.status;
	hw.fail_sync_in = 1;
	assert_int_equal(viommu_batch_sync(&b, &batch, true, where), -E_TIMEOUT);
	assert_int_equal(status[0], S(OK));
	assert_int_equal(status[1], S(DEVERR));
	assert_int_equal(status[2], S(DEVERR));
	assert_int_equal(hw.syncs_failed, 1);
	assert_int_equal(batch.n, 0);
	/* The next batch's sync works: nothing left to change. */
	assert_int_equal(unmap(1, G, 2 * G - 1), S(OK));
	viommu_batch_add(&batch, &t);
	status[0] = t.status;
	assert_int_equal(viommu_batch_sync(&b, &batch, true, where), 0);
	assert_int_equal(status[0], S(OK));
}

/* ---- rule 2: DETACH ---- */

static void test_detach_reserved_ignored(void **state)
{
	struct req r = detach_req(1, EP_A);

	assert_int_equal(attach(1, EP_A, 0), S(OK));
	memset(&r.b[12], 0xff, 8);
	assert_int_equal(send(&r), S(OK));
	assert_false(attached(EP_A));
}

static void test_detach_unknown_endpoint_is_noent(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(detach(1, EP_OTHER_VM), S(NOENT));
	assert_true(in_domain(EP_A, 1));
}

static void test_detach_not_attached_is_inval(void **state)
{
	assert_int_equal(detach(1, EP_A), S(INVAL)); /* no such domain */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(detach(1, EP_B), S(INVAL)); /* in another domain */
	assert_int_equal(detach(1, EP_C), S(INVAL)); /* in none */
	assert_int_equal(detach(3, EP_A), S(INVAL));
	assert_true(in_domain(EP_A, 1) && in_domain(EP_B, 2));
}

static void test_detach_last_destroys_domain(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(1, EP_B, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW), S(OK));
	assert_int_equal(detach(1, EP_A), S(OK));
	assert_int_equal(t.n_op, 1);
	assert_op(0, VIOMMU_OP_DETACH, 1);
	assert_int_equal(t.op[0].endpoint, EP_A);
	assert_true(t.sync);
	assert_int_equal(mappings_of(1), 2);
	assert_int_equal(detach(1, EP_B), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_op(0, VIOMMU_OP_DETACH, 1);
	assert_op(1, VIOMMU_OP_DESTROY, 1);
	assert_false(domain_exists(1));
	assert_int_equal(st.n_mappings, 0);
	/* Linux replays every MAP after the first ATTACH of an empty domain: they must not
	 * meet stale mappings. */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW), S(OK));
}

/* ---- rule 8: where an endpoint in no domain goes ---- */

static void test_detach_follows_bypass_config(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(detach(1, EP_A), S(OK));
	assert_false(t.op[0].bypass);
	assert_int_equal(hw.stream[ep_index(EP_A)].kind, HW_ABORT);
	ctx.bypass = true;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(detach(1, EP_A), S(OK));
	assert_true(t.op[0].bypass);
	assert_int_equal(hw.stream[ep_index(EP_A)].kind, HW_BYPASS);
}

/* ---- rule 3: MAP ---- */

static void test_map_alignment_is_range(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0x800, 0x800 + G - 1, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, 0, G - 1, RAM0 + 0x800, RW), S(RANGE));
	assert_int_equal(map(1, 0, G - 2, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, 0, G, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0 + 1, RW), S(RANGE));
	assert_int_equal(mappings_of(1), 0);
	/* The granule is the lowest bit of page_size_mask. */
	ctx.page_size_mask = SZ_64K | SZ_2M;
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, 0, SZ_64K - 1, RAM0, RW), S(OK));
}

static void test_map_bad_range_is_range(void **state)
{
	ctx.input_start = iova(SZ_1G);
	ctx.input_end = iova(BIT(40) - 1);
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, SZ_1G + G, SZ_1G - 1, RAM0, RW), S(RANGE)); /* end < start */
	assert_int_equal(map(1, SZ_1G - G, SZ_1G + G - 1, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, BIT(40) - G, BIT(40) + G - 1, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, BIT(40), BIT(40) + G - 1, RAM0, RW), S(RANGE));
	assert_int_equal(map(1, SZ_1G, SZ_1G + G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, BIT(40) - G, BIT(40) - 1, RAM0, RW), S(OK));
}

static void test_map_overlap_is_inval(void **state)
{
	const u64 b = 16 * G;

	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, b, b + 4 * G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, b, b + 4 * G - 1, RAM0, RW), S(INVAL));         /* same */
	assert_int_equal(map(1, b - G, b, RAM1, RW), S(RANGE)); /* end + 1 unaligned */
	assert_int_equal(map(1, b - G, b + G - 1, RAM1, RW), S(INVAL));         /* left edge */
	assert_int_equal(map(1, b + 3 * G, b + 5 * G - 1, RAM1, RW), S(INVAL)); /* right edge */
	assert_int_equal(map(1, b + G, b + 2 * G - 1, RAM1, RW), S(INVAL));     /* inside */
	assert_int_equal(map(1, b - G, b + 5 * G - 1, RAM1, RW), S(INVAL));     /* around */
	assert_int_equal(mappings_of(1), 1);
	/* Adjacent on both sides is fine; another domain is another address space. */
	assert_int_equal(map(1, b - G, b - 1, RAM1, RW), S(OK));
	assert_int_equal(map(1, b + 4 * G, b + 5 * G - 1, RAM1, RW), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(map(2, b, b + 4 * G - 1, RAM0, RW), S(OK));
}

static void test_map_flags(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, BIT(3)), S(INVAL));
	assert_int_equal(map(1, 0, G - 1, RAM0, BIT(31) | RW), S(INVAL));
	/* Writes never allowed without WRITE: prot carries exactly the flags given. */
	assert_int_equal(map(1, 0, G - 1, RAM0, VIRTIO_IOMMU_MAP_F_READ), S(OK));
	assert_int_equal(t.op[0].prot, PGT_READ);
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, VIRTIO_IOMMU_MAP_F_WRITE), S(OK));
	assert_int_equal(t.op[0].prot, PGT_WRITE);
	assert_int_equal(map(1, 2 * G, 3 * G - 1, RAM0, 0), S(OK));
	assert_int_equal(t.op[0].prot, 0);
	assert_int_equal(map(1, 3 * G, 4 * G - 1, RAM0, RW), S(OK));
	assert_int_equal(t.op[0].prot, PGT_READ | PGT_WRITE);
	assert_false(t.sync); /* a MAP needs no invalidation */
}

static void test_map_mmio_flag(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	/* With MMIO: only the VM's MMIO. */
	assert_int_equal(map(1, 0, G - 1, MMIO0, VIRTIO_IOMMU_MAP_F_WRITE | VIRTIO_IOMMU_MAP_F_MMIO),
			 S(OK));
	assert_int_equal(t.n_op, 1);
	assert_true(t.op[0].mmio);
	assert_int_equal(t.op[0].region, 0);
	assert_int_equal(t.op[0].prot, PGT_WRITE | PGT_DEVICE);
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW | VIRTIO_IOMMU_MAP_F_MMIO), S(RANGE));
	assert_int_equal(map(1, G, 2 * G - 1, 0x09000000, RW | VIRTIO_IOMMU_MAP_F_MMIO), S(RANGE));
	/* Without MMIO: the VM's MMIO is not RAM. */
	assert_int_equal(map(1, G, 2 * G - 1, MMIO0, RW), S(RANGE));
	/* MMIO0 and MMIO1 are adjacent: one mapping, two pieces. */
	assert_int_equal(map(1, G, 17 * G + G - 1, MMIO0, RW | VIRTIO_IOMMU_MAP_F_MMIO), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_int_equal(t.op[1].region, 1);
	/* Without F_MMIO negotiated the flag is unknown. */
	ctx.features &= ~F(MMIO);
	assert_int_equal(map(1, 64 * G, 65 * G - 1, MMIO0, VIRTIO_IOMMU_MAP_F_MMIO), S(INVAL));
}

static void test_map_no_domain_is_noent(void **state)
{
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(NOENT));
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(2, 0, G - 1, RAM0, RW), S(NOENT));
}

static void test_map_bypass_domain_is_inval(void **state)
{
	assert_int_equal(attach(1, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(INVAL));
	assert_int_equal(mappings_of(1), 0);
}

static void test_map_over_resv_mem_is_inval(void **state)
{
	assert_int_equal(attach(1, EP_C, 0), S(OK));
	assert_int_equal(map(1, MSI_START, MSI_START + G - 1, RAM0, RW), S(INVAL));
	assert_int_equal(map(1, MSI_END + 1 - G, MSI_END, RAM0, RW), S(INVAL));
	assert_int_equal(map(1, MSI_START - G, MSI_START + G - 1, RAM0, RW), S(INVAL));
	assert_int_equal(map(1, RESV_START, RESV_START + G - 1, RAM0, RW), S(INVAL));
	assert_int_equal(map(1, MSI_START - G, MSI_START - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, MSI_END + 1, MSI_END + G, RAM0, RW), S(OK));
	/* Only the regions of endpoints in the domain count. */
	assert_int_equal(attach(2, EP_A, 0), S(OK));
	assert_int_equal(map(2, MSI_START, MSI_START + G - 1, RAM0, RW), S(OK));
}

static void test_map_top_of_address_space(void **state)
{
	/* virt_end = 2^64 - 1: virt_end + 1 wraps to 0, sizes do not. */
	ctx.input_start = iova(G);
	ctx.input_end = iova(U64_MAX);
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, U64_MAX - G + 1, U64_MAX, RAM0, RW), S(OK));
	assert_int_equal(t.op[0].size, G);
	assert_true(mapped(1, U64_MAX - G + 1, U64_MAX, RAM0));
	assert_int_equal(map(1, U64_MAX - 2 * G + 1, U64_MAX, RAM1, RW), S(INVAL));
	assert_int_equal(map(1, 0, U64_MAX, RAM0, RW), S(RANGE)); /* below input_range */
	assert_int_equal(map(1, G, U64_MAX, RAM0, RW), S(RANGE)); /* far beyond the RAM */
	assert_int_equal(map(1, U64_MAX - 2 * G + 1, U64_MAX - G, U64_MAX - G + 1, RW), S(RANGE));
	assert_int_equal(unmap(1, U64_MAX - G + 1, U64_MAX), S(OK));
	assert_int_equal(t.op[0].size, G);
	assert_int_equal(mappings_of(1), 0);
	assert_int_equal(map(1, U64_MAX - G + 1, U64_MAX, RAM0, RW), S(OK));
	assert_int_equal(unmap(1, 0, U64_MAX), S(OK));
	assert_int_equal(mappings_of(1), 0);
}

static void test_map_phys_must_be_ram(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, 0, RW), S(RANGE));
	assert_int_equal(map(1, 0, G - 1, RAM0 - G, RW), S(RANGE));
	assert_int_equal(map(1, 0, 2 * G - 1, RAM0 - G, RW), S(RANGE)); /* starts before */
	assert_int_equal(map(1, 0, 2 * G - 1, RAM2 + SZ_1G - G, RW), S(RANGE)); /* runs past */
	assert_int_equal(map(1, 0, G - 1, RAM1 + (256 << 20), RW), S(RANGE)); /* the gap */
	assert_int_equal(map(1, 0, G - 1, 0x09000000, RW), S(RANGE)); /* someone's UART */
	assert_int_equal(map(1, 0, G - 1, U64_MAX - G + 1, RW), S(RANGE));
	assert_int_equal(mappings_of(1), 0);
	assert_int_equal(map(1, 0, G - 1, RAM2 + SZ_1G - G, RW), S(OK));
	assert_int_equal(t.op[0].region, 2);
	assert_false(t.op[0].mmio);
}

static void test_map_across_adjacent_ram(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, SZ_1G, SZ_1G + 4 * G - 1, RAM1 - 2 * G, RW), S(OK));
	assert_int_equal(t.n_op, 2);
	assert_op(0, VIOMMU_OP_MAP, 1);
	assert_int_equal(t.op[0].iova.v, SZ_1G);
	assert_int_equal(t.op[0].gpa.v, RAM1 - 2 * G);
	assert_int_equal(t.op[0].size, 2 * G);
	assert_int_equal(t.op[0].region, 0);
	assert_int_equal(t.op[1].iova.v, SZ_1G + 2 * G);
	assert_int_equal(t.op[1].gpa.v, RAM1);
	assert_int_equal(t.op[1].size, 2 * G);
	assert_int_equal(t.op[1].region, 1);
	/* One mapping for the device: unmapped as a whole. */
	assert_int_equal(mappings_of(1), 1);
	assert_int_equal(unmap(1, SZ_1G, SZ_1G + 2 * G - 1), S(RANGE));
	assert_int_equal(unmap(1, SZ_1G, SZ_1G + 4 * G - 1), S(OK));
}

static void test_map_limit_is_nomem(void **state)
{
	ctx.limits.mappings = 3;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(2, EP_B, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(2, 0, G - 1, RAM0, RW), S(OK)); /* the limit is per VM */
	assert_int_equal(map(2, G, 2 * G - 1, RAM0, RW), S(NOMEM));
	assert_int_equal(map(1, 2 * G, 3 * G - 1, RAM0, RW), S(NOMEM));
	assert_int_equal(st.n_mappings, 3);
	assert_int_equal(unmap(1, 0, G - 1), S(OK));
	assert_int_equal(map(2, G, 2 * G - 1, RAM0, RW), S(OK));
}

static void test_map_pool_limit_is_nomem(void **state)
{
	ctx.limits.mappings = 1000;
	viommu_init(&st, pool, 2);
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, G, 2 * G - 1, RAM0, RW), S(OK));
	assert_int_equal(map(1, 2 * G, 3 * G - 1, RAM0, RW), S(NOMEM));
}

static void test_map_table_memory_is_nomem(void **state)
{
	/* The table pages run out while replaying: NOMEM, no mapping in the state or in the
	 * hardware (the double undoes the first piece of a two-piece MAP). */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	hw.fail_map_in = 1;
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(NOMEM));
	assert_int_equal(mappings_of(1), 0);
	hw.fail_map_in = 2;
	assert_int_equal(map(1, 0, 4 * G - 1, RAM1 - 2 * G, RW), S(NOMEM));
	assert_int_equal(mappings_of(1), 0);
	assert_int_equal(map(1, 0, 4 * G - 1, RAM1 - 2 * G, RW), S(OK));
}

static void test_map_unmap_need_feature(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	ctx.features &= ~F(MAP_UNMAP);
	assert_int_equal(map(1, 0, G - 1, RAM0, RW), S(UNSUPP));
	assert_int_equal(unmap(1, 0, G - 1), S(UNSUPP));
}

/* ---- rule 4: UNMAP ---- */

/* The specification's examples, in pages: each starts from a blank address space. */
static void spec_example(unsigned n, void (*maps)(void), u64 us, u64 ue, u8 status,
			 size_t left, unsigned ops)
{
	(void)n;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	maps();
	assert_int_equal(unmap(1, us * G, (ue + 1) * G - 1), status);
	assert_int_equal(t.n_op, ops);
	assert_int_equal(mappings_of(1), left);
	assert_int_equal(detach(1, EP_A), S(OK));
}

/* Pages s..e of domain 1 onto the same pages of RAM0. */
static void map_pages(u64 s, u64 e)
{
	assert_int_equal(map(1, s * G, (e + 1) * G - 1, RAM0 + s * G, RW), S(OK));
}

static void none(void) {}
static void a_0_9(void) { map_pages(0, 9); }
static void a_0_4_b_5_9(void) { map_pages(0, 4); map_pages(5, 9); }
static void a_0_4(void) { map_pages(0, 4); }
static void a_0_4_b_10_14(void) { map_pages(0, 4); map_pages(10, 14); }

static void test_unmap_spec_examples(void **state)
{
	spec_example(1, none, 0, 4, S(OK), 0, 0); /* nothing to invalidate */
	spec_example(2, a_0_9, 0, 9, S(OK), 0, 1);
	spec_example(3, a_0_4_b_5_9, 0, 9, S(OK), 0, 1);
	spec_example(4, a_0_9, 0, 4, S(RANGE), 1, 0);
	spec_example(5, a_0_4_b_5_9, 0, 4, S(OK), 1, 1);
	spec_example(6, a_0_4, 0, 9, S(OK), 0, 1);
	spec_example(7, a_0_4_b_10_14, 0, 14, S(OK), 0, 1);
}

static void test_unmap_split_is_range_and_removes_nothing(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	map_pages(0, 3);
	map_pages(4, 7);
	map_pages(8, 11);
	/* QEMU removes what comes before the split; the spec removes nothing. */
	assert_int_equal(unmap(1, 0, 9 * G - 1), S(RANGE));        /* splits the last */
	assert_int_equal(unmap(1, 2 * G, 12 * G - 1), S(RANGE));   /* splits the first */
	assert_int_equal(unmap(1, 5 * G, 6 * G - 1), S(RANGE));    /* inside one */
	assert_int_equal(unmap(1, 4 * G + 1, 8 * G - 1), S(RANGE)); /* one byte in */
	assert_int_equal(unmap(1, 4 * G, 8 * G - 2), S(RANGE));    /* one byte short */
	assert_int_equal(mappings_of(1), 3);
	assert_int_equal(unmap(1, 4 * G, 8 * G - 1), S(OK));
	assert_int_equal(mappings_of(1), 2);
}

static void test_unmap_removes_everything_inside(void **state)
{
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	map_pages(2, 3);
	map_pages(6, 6);
	map_pages(9, 12);
	map_pages(20, 21);
	/* Holes in the range are fine; one op spans the mappings removed. */
	assert_int_equal(unmap(1, G, 15 * G - 1), S(OK));
	assert_int_equal(t.n_op, 1);
	assert_op(0, VIOMMU_OP_UNMAP, 1);
	assert_int_equal(t.op[0].iova.v, 2 * G);
	assert_int_equal(t.op[0].size, 11 * G);
	assert_true(t.sync);
	assert_int_equal(mappings_of(1), 1);
	assert_true(mapped(1, 20 * G, 22 * G - 1, RAM0 + 20 * G));
	/* Nothing there: OK, no op, nothing to wait for. */
	assert_int_equal(unmap(1, 0, 15 * G - 1), S(OK));
	assert_int_equal(t.n_op, 0);
	assert_false(t.sync);
	/* Unaligned edges are fine when they cut no mapping. */
	assert_int_equal(unmap(1, 19 * G + 5, 22 * G + 7), S(OK));
	assert_int_equal(mappings_of(1), 0);
}

static void test_unmap_errors(void **state)
{
	struct req r;

	assert_int_equal(unmap(1, 0, G - 1), S(NOENT));
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	map_pages(0, 0);
	assert_int_equal(unmap(2, 0, G - 1), S(NOENT));
	assert_int_equal(unmap(1, G, 0), S(RANGE)); /* end < start */
	r = unmap_req(1, 0, G - 1);
	r.b[26] = 1;
	assert_int_equal(send(&r), S(INVAL)); /* reserved: INVAL, and nothing removed */
	assert_int_equal(mappings_of(1), 1);
	assert_int_equal(attach(2, EP_B, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	assert_int_equal(unmap(2, 0, G - 1), S(INVAL));
}

/* ---- rule 5: PROBE ---- */

struct prop {
	u16 type, length;
	u8 subtype;
	u64 start, end;
};

static u64 get(const u8 *p, unsigned bytes)
{
	u64 v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void test_probe_resv_mem(void **state)
{
	struct req r = probe_req(EP_C);

	assert_int_equal(send(&r), S(OK));
	assert_int_equal(t.n_op, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(resv_c); i++) {
		const u8 *p = out + 24 * i;

		assert_int_equal(get(p, 2), VIRTIO_IOMMU_PROBE_T_RESV_MEM);
		assert_int_equal(get(p + 2, 2), 20);
		assert_int_equal(p[4], resv_c[i].subtype);
		assert_int_equal(p[5] | p[6] | p[7], 0);
		assert_int_equal(get(p + 8, 8), resv_c[i].start.v);
		assert_int_equal(get(p + 16, 8), resv_c[i].end.v);
	}
	/* The rest zero-filled: the list ends there. */
	for (unsigned i = 24 * ARRAY_SIZE(resv_c); i < PROBE_SIZE; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[PROBE_SIZE], S(OK));
	/* An endpoint without regions: all zero. */
	r = probe_req(EP_A);
	assert_int_equal(send(&r), S(OK));
	for (unsigned i = 0; i < PROBE_SIZE; i++)
		assert_int_equal(out[i], 0);
	/* reserved is ignored. */
	r = probe_req(EP_C);
	memset(&r.b[8], 0xff, 64);
	assert_int_equal(send(&r), S(OK));
	assert_int_equal(get(out, 2), VIRTIO_IOMMU_PROBE_T_RESV_MEM);
}

static void test_probe_unknown_endpoint_is_noent(void **state)
{
	struct req r = probe_req(EP_OTHER_VM);

	assert_int_equal(send(&r), S(NOENT));
	for (unsigned i = 0; i < PROBE_SIZE; i++)
		assert_int_equal(out[i], 0);
}

static void test_probe_small_area_is_inval(void **state)
{
	struct req r = probe_req(EP_C);

	/* Status in the area's last 4 bytes, properties unwritten, used = the area. */
	for (size_t cap = 4; cap < PROBE_SIZE + 4; cap += 4) {
		assert_int_equal(send_cap(&r, cap), cap);
		assert_int_equal(t.status, S(INVAL));
		for (size_t i = 0; i < cap - 4; i++)
			assert_int_equal(out[i], CANARY);
	}
	assert_int_equal(send_cap(&r, PROBE_SIZE + 3), PROBE_SIZE + 3);
	assert_int_equal(t.status, S(INVAL));
}

static void test_probe_without_feature_writes_nothing(void **state)
{
	struct req r = probe_req(EP_C);

	ctx.features &= ~F(PROBE);
	assert_int_equal(send_cap(&r, PROBE_SIZE + 4), 0);
	assert_int_equal(send_cap(&r, 4), 0);
}

/* ---- rule 10: reset ---- */

static void test_reset(void **state)
{
	struct viommu_op ops[2 * VIOMMU_MAX_ENDPOINTS];
	unsigned n;
	u8 status;

	ctx.bypass = true;
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	assert_int_equal(attach(1, EP_B, 0), S(OK));
	assert_int_equal(attach(2, EP_C, VIRTIO_IOMMU_ATTACH_F_BYPASS), S(OK));
	map_pages(0, 3);
	n = viommu_reset_ops(&st, &ctx, ops, ARRAY_SIZE(ops));
	assert_int_equal(n, 5);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ops[i].kind, VIOMMU_OP_DETACH);
		assert_true(ops[i].bypass);
	}
	assert_int_equal(ops[3].kind, VIOMMU_OP_DESTROY);
	assert_int_equal(ops[4].kind, VIOMMU_OP_DESTROY);
	struct viommu_txn tr = { .n_op = n };
	memcpy(tr.op, ops, sizeof(tr.op[0]) * MIN(n, VIOMMU_TXN_MAX_OPS));
	assert_null(hw_replay(&hw, &ctx, &tr, &status));
	viommu_reset(&st);
	check_consistent();
	assert_int_equal(st.n_domains, 0);
	assert_int_equal(st.n_mappings, 0);
	/* Everything usable again. */
	assert_int_equal(attach(1, EP_A, 0), S(OK));
	map_pages(0, 3);
}

/* ---- the context's own checks ---- */

static void test_ctx_check(void **state)
{
	static const struct viommu_resv two_msi[] = {
		{ VIRTIO_IOMMU_RESV_MEM_T_MSI, { 0 }, { 0xfff } },
		{ VIRTIO_IOMMU_RESV_MEM_T_MSI, { 0x1000 }, { 0x1fff } },
	};
	static const struct viommu_resv overlap[] = {
		{ 0, { 0 }, { 0x1fff } },
		{ 0, { 0x1000 }, { 0x2fff } },
	};
	static const struct viommu_resv everything[] = { { 0, { 0 }, { U64_MAX } } };
	static const struct viommu_resv backwards[] = { { 0, { 2 }, { 1 } } };
	static const struct viommu_resv subtype[] = { { 2, { 0 }, { 1 } } };
	static const struct viommu_region unaligned[] = { { { RAM0 + 0x800 }, SZ_2M } };
	static const struct viommu_region wrap[] = { { { U64_MAX - G + 1 }, 2 * G } };
	static const struct viommu_region twice[] = { { { RAM0 }, SZ_2M }, { { RAM0 + G }, G } };
	struct viommu_endpoint ep[2] = { { EP_A, NULL, 0 }, { EP_B, NULL, 0 } };
	const char *why;

#define BAD(reason, change)                                                 \
	do {                                                                \
		default_ctx();                                              \
		ep[0] = (struct viommu_endpoint){ EP_A, NULL, 0 };          \
		ep[1] = (struct viommu_endpoint){ EP_B, NULL, 0 };          \
		change;                                                     \
		why = NULL;                                                 \
		assert_int_equal(viommu_ctx_check(&ctx, &why), -E_INVAL);  \
		assert_string_equal(why, reason);                           \
	} while (0)
#define EP0(r, n) (ep[0].resv = (r), ep[0].n_resv = (n), ctx.ep = ep, ctx.n_ep = 2)

	BAD("page_size_mask is 0", ctx.page_size_mask = 0);
	BAD("legacy BYPASS feature", ctx.features |= F(BYPASS));
	BAD("input_range empty or the whole 64-bit space",
	    (ctx.input_start = iova(2), ctx.input_end = iova(1)));
	BAD("input_range empty or the whole 64-bit space",
	    (ctx.input_start = iova(0), ctx.input_end = iova(U64_MAX)));
	BAD("domain_range empty", (ctx.domain_start = 5, ctx.domain_end = 4));
	BAD("probe_size not a multiple of 8", ctx.probe_size = 500);
	/* EP_C's two properties need 48 bytes. */
	BAD("RESV_MEM properties do not fit in probe_size", ctx.probe_size = 40);
	BAD("too many endpoints", ctx.n_ep = VIOMMU_MAX_ENDPOINTS + 1);
	BAD("endpoint ID twice", (ep[1].id = EP_A, ctx.ep = ep, ctx.n_ep = 2));
	BAD("more than one MSI region", EP0(two_msi, 2));
	BAD("RESV_MEM regions overlap", EP0(overlap, 2));
	BAD("RESV_MEM region empty or covering everything", EP0(everything, 1));
	BAD("RESV_MEM region empty or covering everything", EP0(backwards, 1));
	BAD("RESV_MEM subtype unknown", EP0(subtype, 1));
	BAD("too many RESV_MEM regions", EP0(everything, VIOMMU_MAX_RESV + 1));
	BAD("region not aligned to the granule", (ctx.ram = unaligned, ctx.n_ram = 1));
	BAD("region empty or wrapping", (ctx.ram = wrap, ctx.n_ram = 1));
	BAD("regions overlap", (ctx.ram = twice, ctx.n_ram = 2));
	BAD("regions overlap", (ctx.mmio = twice, ctx.n_mmio = 1, ctx.ram = twice + 1, ctx.n_ram = 1));
	BAD("too many regions", ctx.n_mmio = VIOMMU_MAX_REGIONS + 1);
	BAD("region table missing", ctx.ram = NULL);
#undef EP0
#undef BAD
	/* Without PROBE, properties need not fit. */
	default_ctx();
	ctx.features &= ~F(PROBE);
	ctx.probe_size = 0;
	assert_int_equal(viommu_ctx_check(&ctx, NULL), 0);
}

static void test_state_check_catches_corruption(void **state)
{
	const char *why = NULL;

	assert_int_equal(attach(1, EP_A, 0), S(OK));
	map_pages(0, 0);
	map_pages(2, 2);
	map_pages(4, 4);
	st.dom[0].n_mappings++;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	st.dom[0].n_mappings--;
	pool[st.dom[0].root].start.v += G; /* the root (page 2) now overlaps nothing but... */
	pool[st.dom[0].root].gpa.v += G;
	pool[st.dom[0].root].last.v += 2 * G; /* ...runs into page 4 */
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	assert_string_equal(why, "mappings out of order or overlapping");
	pool[st.dom[0].root].last.v -= 2 * G;
	pool[st.dom[0].root].start.v -= G;
	pool[st.dom[0].root].gpa.v = 0x09000000;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	assert_string_equal(why, "mapping outside the VM's RAM");
	pool[st.dom[0].root].gpa.v = RAM0 + 2 * G;
	st.ep_dom[ep_index(EP_A)] = VIOMMU_NO_DOMAIN;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	st.ep_dom[ep_index(EP_A)] = 0;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), 0);
	pool[st.dom[0].root].height++;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	assert_string_equal(why, "tree unbalanced or heights wrong");
	pool[st.dom[0].root].height--;
	pool[st.free_head].height = 1;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	assert_string_equal(why, "free list corrupt");
	pool[st.free_head].height = 0;
	ctx.limits.mappings = 2;
	assert_int_equal(viommu_state_check(&st, &ctx, &why), -E_INVAL);
	assert_string_equal(why, "mapping count wrong or over the limit");
}

static void test_handle_is_prepare_and_commit(void **state)
{
	struct req r = attach_req(1, EP_A, 0);

	assert_int_equal(viommu_handle(&st, &ctx, r.b, r.len, out, 4, &t), 4);
	assert_int_equal(out[0], S(OK));
	assert_int_equal(t.n_op, 2);
	assert_true(in_domain(EP_A, 1));
	r = attach_req(1, EP_OTHER_VM, 0);
	assert_int_equal(viommu_handle(&st, &ctx, r.b, r.len, out, 4, &t), 4);
	assert_int_equal(out[0], S(NOENT));
	assert_int_equal(viommu_state_check(&st, &ctx, NULL), 0);
}

static void test_status_names(void **state)
{
	assert_string_equal(viommu_status_name(S(OK)), "OK");
	assert_string_equal(viommu_status_name(S(NOMEM)), "NOMEM");
	assert_string_equal(viommu_status_name(9), "unknown");
}

/* ---- randomized: MAP/UNMAP against a reference model of the mapping set ---- */

struct model_map {
	u64 start, last, gpa;
};

struct model {
	struct model_map m[2][MAX_MAPPINGS];
	unsigned n[2];
	size_t total;
};

static u64 rnd_state;

static u64 rnd(void)
{
	/* xorshift64*: deterministic across hosts. */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * ULL(0x2545f4914f6cdd1d);
}

static u64 rnd_below(u64 n) { return rnd() % n; }

/* Addresses on a small grid (so that requests meet), with rare odd values. */
static u64 grid_pages = 64;

static u64 rnd_page(void)
{
	switch (rnd_below(16)) {
	case 0:
		return rnd_below(grid_pages) * G + rnd_below(G);
	case 1:
		return BIT(48) - G * (1 + rnd_below(4));
	default:
		return rnd_below(grid_pages) * G;
	}
}

/* Whether [a, l] lies in the VM's RAM (regions in any order, maybe adjacent). */
static bool model_in_ram(u64 a, u64 l)
{
	for (unsigned i = 0; i < ARRAY_SIZE(ram); i++) {
		u64 rl = ram[i].base.v + ram[i].size - 1;

		if (a >= ram[i].base.v && a <= rl)
			return l <= rl || model_in_ram(rl + 1, l);
	}
	return false;
}

/* The status the reference page gives a MAP (on a non-bypass domain, no RESV_MEM). */
static u8 model_map_status(const struct model *md, unsigned d, u64 s, u64 e, u64 phys)
{
	if ((s | phys | (e + 1)) & (G - 1) || e < s || e > BIT(48) - 1)
		return S(RANGE);
	if (phys > U64_MAX - (e - s) || !model_in_ram(phys, phys + (e - s)))
		return S(RANGE);
	for (unsigned i = 0; i < md->n[d]; i++)
		if (s <= md->m[d][i].last && md->m[d][i].start <= e)
			return S(INVAL);
	if (md->total >= ctx.limits.mappings)
		return S(NOMEM);
	return S(OK);
}

static void model_compare(const struct model *md)
{
	struct viommu_node got[MAX_MAPPINGS];

	for (unsigned d = 0; d < 2; d++) {
		unsigned slot;
		size_t n;

		for (slot = 0; !(st.dom[slot].used && st.dom[slot].id == d + 1); slot++)
			;
		n = hw_collect(&st, st.dom[slot].root, got, 0, MAX_MAPPINGS);
		assert_int_equal(n, md->n[d]);
		/* The model is unordered: find each of its mappings. */
		for (unsigned i = 0; i < md->n[d]; i++) {
			size_t k;

			for (k = 0; k < n && got[k].start.v != md->m[d][i].start; k++)
				;
			assert_true(k < n);
			assert_int_equal(got[k].last.v, md->m[d][i].last);
			assert_int_equal(got[k].gpa.v, md->m[d][i].gpa);
		}
	}
}

static void random_step(struct model *md)
{
	unsigned d = (unsigned)rnd_below(2);
	u64 s = rnd_page();
	u64 e = rnd_below(16) ? s + rnd_below(8) * G : rnd_page();

	e += rnd_below(16) ? G - 1 : rnd_below(G);

	if (rnd_below(3)) {
		static const u64 phys_base[] = { RAM0, RAM0, RAM0, RAM1 - 8 * G, RAM2 + SZ_1G - 8 * G,
						 MMIO0 };
		u64 phys = phys_base[rnd_below(ARRAY_SIZE(phys_base))] + rnd_below(8) * G +
			   (rnd_below(32) ? 0 : rnd_below(G));
		u8 want = model_map_status(md, d, s, e, phys);

		assert_int_equal(map(d + 1, s, e, phys, RW), want);
		if (want == S(OK)) {
			md->m[d][md->n[d]++] = (struct model_map){ s, e, phys };
			md->total++;
		}
	} else {
		bool split = false;
		u64 lo = U64_MAX, hi = 0;

		if (e < s) {
			assert_int_equal(unmap(d + 1, s, e), S(RANGE));
			return;
		}
		for (unsigned i = 0; i < md->n[d]; i++) {
			const struct model_map *m = &md->m[d][i];

			if (m->last < s || m->start > e)
				continue;
			if (m->start < s || m->last > e)
				split = true;
			lo = MIN(lo, m->start);
			hi = MAX(hi, m->last);
		}
		assert_int_equal(unmap(d + 1, s, e), split ? S(RANGE) : S(OK));
		if (split || lo > hi) {
			assert_int_equal(t.n_op, 0);
			return;
		}
		assert_int_equal(t.n_op, 1);
		assert_int_equal(t.op[0].iova.v, lo);
		assert_int_equal(t.op[0].size, hi - lo + 1);
		for (unsigned i = 0; i < md->n[d];) {
			if (md->m[d][i].last < s || md->m[d][i].start > e) {
				i++;
				continue;
			}
			md->m[d][i] = md->m[d][--md->n[d]];
			md->total--;
		}
	}
}

static void test_random_against_model(void **state)
{
	static struct model md;

	grid_pages = 160;
	for (unsigned seed = 1; seed <= 20; seed++) {
		setup(state);
		memset(&md, 0, sizeof(md));
		rnd_state = seed * ULL(0x9e3779b97f4a7c15);
		ctx.limits.mappings = 40; /* reached now and then */
		assert_int_equal(attach(1, EP_A, 0), S(OK));
		assert_int_equal(attach(2, EP_B, 0), S(OK));
		for (unsigned step = 0; step < 2000; step++) {
			random_step(&md);
			if (step % 64 == 0)
				model_compare(&md);
		}
		model_compare(&md);
	}
	grid_pages = 64;
}

/* Whole-device random sequences, every request type, failures injected: only the
 * invariants and the hardware double judge (send() checks both after every request). */
static void test_random_device(void **state)
{
	static const u32 ids[] = { EP_A, EP_B, EP_C, EP_OTHER_VM };

	for (unsigned seed = 1; seed <= 20; seed++) {
		setup(state);
		ctx.bypass = seed & 1;
		viommu_init(&st, pool, 48 + seed);
		rnd_state = seed * ULL(0xd1b54a32d192ed03);
		for (unsigned step = 0; step < 3000; step++) {
			u32 dom = (u32)rnd_below(6);
			u32 ep = ids[rnd_below(ARRAY_SIZE(ids))];
			u64 s = rnd_page(), e = s + rnd_below(4) * G + G - 1;
			struct req r;

			if (!rnd_below(50))
				hw.fail_create_in = 1 + (unsigned)rnd_below(3);
			if (!rnd_below(50))
				hw.fail_map_in = 1 + (unsigned)rnd_below(3);
			switch (rnd_below(10)) {
			case 0:
				r = attach_req(dom, ep, rnd_below(4) ? 0 : VIRTIO_IOMMU_ATTACH_F_BYPASS);
				break;
			case 1:
				r = detach_req(dom, ep);
				break;
			case 2:
				r = probe_req(ep);
				break;
			case 3:
			case 4:
				r = unmap_req(dom, s, rnd_below(8) ? e : rnd_page());
				break;
			default:
				r = map_req(dom, s, e,
					    rnd_below(4) ? RAM1 - 2 * G + rnd_below(8) * G
							 : MMIO0 + rnd_below(20) * G,
					    (u32)rnd_below(8));
				if (!rnd_below(16))
					r = map_req(dom, MSI_START - G, MSI_START + G * rnd_below(3),
						    RAM0, RW);
				break;
			}
			if (!rnd_below(20))
				r.len = (size_t)rnd_below(r.len + 1);
			send_cap(&r, rnd_below(10) ? (r.b[0] == VIRTIO_IOMMU_T_PROBE ? PROBE_SIZE + 4 : 4)
					      : (size_t)rnd_below(PROBE_SIZE + 8));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_type_writes_nothing, setup),
		cmocka_unit_test_setup(test_no_room_for_tail_writes_nothing, setup),
		cmocka_unit_test_setup(test_head_too_short_writes_nothing, setup),
		cmocka_unit_test_setup(test_body_too_short_is_inval, setup),
		cmocka_unit_test_setup(test_used_length_is_the_writable_length, setup),
		cmocka_unit_test_setup(test_extra_readable_bytes_ignored, setup),
		cmocka_unit_test_setup(test_head_reserved_ignored, setup),
		cmocka_unit_test_setup(test_attach_reserved_is_inval, setup),
		cmocka_unit_test_setup(test_attach_unknown_flag_is_inval, setup),
		cmocka_unit_test_setup(test_attach_unknown_endpoint_is_noent, setup),
		cmocka_unit_test_setup(test_attach_domain_outside_range_is_range, setup),
		cmocka_unit_test_setup(test_attach_creates_domain, setup),
		cmocka_unit_test_setup(test_attach_several_endpoints_share_domain, setup),
		cmocka_unit_test_setup(test_attach_same_domain_again_is_noop, setup),
		cmocka_unit_test_setup(test_attach_moves_endpoint, setup),
		cmocka_unit_test_setup(test_attach_bypass_domain, setup),
		cmocka_unit_test_setup(test_attach_bypass_mismatch_is_inval, setup),
		cmocka_unit_test_setup(test_attach_rejected_leaves_endpoint, setup),
		cmocka_unit_test_setup(test_attach_domain_limit_is_nomem, setup),
		cmocka_unit_test_setup(test_attach_limit_zero, setup),
		cmocka_unit_test_setup(test_attach_resv_conflict_is_unsupp, setup),
		cmocka_unit_test_setup(test_attach_replay_failure_changes_nothing, setup),
		cmocka_unit_test_setup(test_attach_failure_undoes_the_new_domain, setup),
		cmocka_unit_test_setup(test_attach_destroy_failure_keeps_the_new_domain, setup),
		cmocka_unit_test_setup(test_attach_move_failure_aborts_the_stream, setup),
		cmocka_unit_test_setup(test_detach_failure_aborts_the_stream, setup),
		cmocka_unit_test_setup(test_unmap_failure_clears_and_reports, setup),
		cmocka_unit_test_setup(test_failed_sync_makes_its_requests_deverr, setup),
		cmocka_unit_test_setup(test_detach_reserved_ignored, setup),
		cmocka_unit_test_setup(test_detach_unknown_endpoint_is_noent, setup),
		cmocka_unit_test_setup(test_detach_not_attached_is_inval, setup),
		cmocka_unit_test_setup(test_detach_last_destroys_domain, setup),
		cmocka_unit_test_setup(test_detach_follows_bypass_config, setup),
		cmocka_unit_test_setup(test_map_alignment_is_range, setup),
		cmocka_unit_test_setup(test_map_bad_range_is_range, setup),
		cmocka_unit_test_setup(test_map_overlap_is_inval, setup),
		cmocka_unit_test_setup(test_map_flags, setup),
		cmocka_unit_test_setup(test_map_mmio_flag, setup),
		cmocka_unit_test_setup(test_map_no_domain_is_noent, setup),
		cmocka_unit_test_setup(test_map_bypass_domain_is_inval, setup),
		cmocka_unit_test_setup(test_map_over_resv_mem_is_inval, setup),
		cmocka_unit_test_setup(test_map_top_of_address_space, setup),
		cmocka_unit_test_setup(test_map_phys_must_be_ram, setup),
		cmocka_unit_test_setup(test_map_across_adjacent_ram, setup),
		cmocka_unit_test_setup(test_map_limit_is_nomem, setup),
		cmocka_unit_test_setup(test_map_pool_limit_is_nomem, setup),
		cmocka_unit_test_setup(test_map_table_memory_is_nomem, setup),
		cmocka_unit_test_setup(test_map_unmap_need_feature, setup),
		cmocka_unit_test_setup(test_unmap_spec_examples, setup),
		cmocka_unit_test_setup(test_unmap_split_is_range_and_removes_nothing, setup),
		cmocka_unit_test_setup(test_unmap_removes_everything_inside, setup),
		cmocka_unit_test_setup(test_unmap_errors, setup),
		cmocka_unit_test_setup(test_probe_resv_mem, setup),
		cmocka_unit_test_setup(test_probe_unknown_endpoint_is_noent, setup),
		cmocka_unit_test_setup(test_probe_small_area_is_inval, setup),
		cmocka_unit_test_setup(test_probe_without_feature_writes_nothing, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test(test_ctx_check),
		cmocka_unit_test_setup(test_state_check_catches_corruption, setup),
		cmocka_unit_test_setup(test_handle_is_prepare_and_commit, setup),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_random_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
