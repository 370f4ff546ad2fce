/*
 * A second backend of the virtio-iommu (iommu/viommu/viommu_backend.h), shared by
 * tests/unit/test_viommu.c and tests/fuzz/fuzz_viommu.c: the shipped replay and undo
 * (iommu/viommu/viommu_replay.c) carry out the ops of iommu/viommu/viommu_req.h on it as
 * they do on the SMMU. It checks each op is possible on real hardware (CREATE into a free
 * slot only, every other op on the domain its slot holds, no MAP over a mapped entry or
 * outside its region, no UNMAP that would split an entry, no DESTROY of a table a stream
 * still uses), fails any op or the sync on demand, leaving what the interface says a failed
 * op leaves, and compares what it holds with the module's state after every request. Like
 * an STE, each stream in a domain holds that domain's root table: hw_reachable() checks
 * that every table a stream reaches is a live one (never freed), and table pages an unmap
 * empties wait for the sync as on the SMMU (freed after it, leaked if it fails). Each domain with a table also has one
 * built by the shipped page-table engine (iommu/pgtable/pgtable.c, SMMU stage-1 format, in
 * host pages), as the SMMU backend has: the comparison walks it too. Functions return
 * NULL, or a message saying what is wrong.
 */
#ifndef TESTS_UNIT_TEST_VIOMMU_HW_H
#define TESTS_UNIT_TEST_VIOMMU_HW_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/errno.h"
#include "iommu/pgtable/pgtable.h"
#include "iommu/viommu/viommu_backend.h"
#include "iommu/viommu/viommu_req.h"

#define HW_MAX_DOMAINS VIOMMU_MAX_ENDPOINTS
/* The engine's tables cover what the device offers (VIOMMU_IAS); the model's tests also
 * try input ranges up to 2^64, whose mappings above it only the entry list holds. */
#define HW_IAS 48
#define HW_IN_TABLE(iova, size) ((iova) + ((size) - 1) < (1ULL << HW_IAS))

/* Whether a MAP goes into the engine's table too: readable or writable (as the SMMU
 * backend), both ends expressible (the tests' RAM may lie above 2^48, which stands for a
 * physical address here), and in whole 4 KiB pages: the device offers the SMMU's granule,
 * but the model's tests and the fuzzer also try granules down to one byte. */
#define HW_PAGE_MASK 0xfffULL
static inline bool hw_mirrored(u64 iova, u64 gpa, u64 size, unsigned prot)
{
	return (prot & (PGT_READ | PGT_WRITE)) && HW_IN_TABLE(iova, size) &&
	       HW_IN_TABLE(gpa, size) && !((iova | gpa | size) & HW_PAGE_MASK);
}
#ifndef HW_MAX_ENTRIES
#define HW_MAX_ENTRIES 8192 /* per domain */
#endif

struct hw_entry {
	u64 iova, size, gpa;
	unsigned prot;
	bool mmio;
	unsigned region;
};

struct hw_domain {
	bool used, bypass;
	u32 id;
	struct pgtable pgt; /* when !bypass: what the engine made of the entries below */
	struct hw_entry e[HW_MAX_ENTRIES];
	unsigned n;
};

enum hw_stream_kind { HW_ABORT, HW_BYPASS, HW_DOMAIN };

struct hw_stream {
	enum hw_stream_kind kind;
	u32 domain;
	u8 slot;
	pa_t root; /* what the SMMU would walk: the domain's root table (0 for bypass) */
};

/* Tables a failed DESTROY gave up: kept (a walker may hold them) until hw_init. */
#define HW_MAX_LEAKED 64

struct fake_hw {
	struct hw_domain dom[HW_MAX_DOMAINS];
	struct hw_stream stream[VIOMMU_MAX_ENDPOINTS];
	/* Failure injection: the n-th CREATE / MAP / ATTACH / DETACH / UNMAP / DESTROY /
	 * sync from now fails (0: never); CREATE and MAP with NOMEM or DEVERR as the
	 * request's status (fail_status), the others as a broken SMMU (-E_IO). */
	unsigned fail_create_in, fail_map_in, fail_attach_in;
	unsigned fail_detach_in, fail_unmap_in, fail_destroy_in, fail_sync_in;
	u8 fail_status;
	const struct viommu_ctx *ctx; /* of the request being replayed */
	struct pgt_pool pool;         /* host pages for the domains' tables */
	/* Syncs owed: set by ops that invalidate, cleared by hw_sync(). */
	bool sync_owed;
	pa_t freed;  /* table pages waiting for the sync */
	pa_t leaked; /* ... given up after a failed one, kept until hw_init */
	struct pgtable leaked_tables[HW_MAX_LEAKED];
	unsigned n_leaked_tables;
	unsigned syncs_failed;
	unsigned ops_replayed;
	char msg[256];
};

static inline pa_t hw_page_alloc(struct pgt_pool *pool)
{
	void *p = aligned_alloc(4096, 4096);

	(void)pool;
	return pa((u64)(uintptr_t)p);
}

static inline void hw_page_free(struct pgt_pool *pool, pa_t page)
{
	(void)pool;
	free((void *)(uintptr_t)page.v);
}

static inline pa_t hw_root_alloc(struct pgt_pool *pool, unsigned pages)
{
	return pages == 1 ? hw_page_alloc(pool) : pa(0);
}

/* Free what the fake gave up (the host has no walker) and start again: pgt_free_deferred
 * on the leaked list, each leaked table destroyed. */
static inline void hw_free_leaked(struct fake_hw *hw)
{
	pgt_free_deferred(&hw->pool, &hw->leaked);
	pgt_free_deferred(&hw->pool, &hw->freed);
	while (hw->n_leaked_tables)
		pgt_destroy(&hw->leaked_tables[--hw->n_leaked_tables]);
}

static inline void hw_init(struct fake_hw *hw)
{
	/* Not the entry arrays: a fuzzer calls this for every input. */
	for (unsigned i = 0; i < HW_MAX_DOMAINS; i++) {
		if (hw->dom[i].used && !hw->dom[i].bypass)
			pgt_destroy(&hw->dom[i].pgt);
		hw->dom[i].used = false;
		hw->dom[i].n = 0;
	}
	hw_free_leaked(hw);
	hw->pool = (struct pgt_pool){ .name = "fake hw", .limit = ~(size_t)0,
				      .alloc_page = hw_page_alloc, .free_page = hw_page_free };
	memset(hw->stream, 0, sizeof(hw->stream));
	hw->fail_create_in = hw->fail_map_in = hw->fail_attach_in = 0;
	hw->fail_detach_in = hw->fail_unmap_in = hw->fail_destroy_in = hw->fail_sync_in = 0;
	hw->fail_status = VIRTIO_IOMMU_S_NOMEM;
	hw->sync_owed = false;
	hw->syncs_failed = 0;
	hw->ops_replayed = 0;
	hw->msg[0] = '\0';
}

/* The domain in op's slot, if that slot holds op's domain. */
static inline struct hw_domain *hw_slot(struct fake_hw *hw, const struct viommu_op *op)
{
	struct hw_domain *d = op->slot < HW_MAX_DOMAINS ? &hw->dom[op->slot] : NULL;

	return d && d->used && d->id == op->domain ? d : NULL;
}

#define HW_FAIL(hw, ...) (snprintf((hw)->msg, sizeof((hw)->msg), __VA_ARGS__), (hw)->msg)
/* A rule broken: the message stays for hw_replay, the op fails. */
#define HW_BROKEN(hw, ...) (HW_FAIL(hw, __VA_ARGS__), -E_INVAL)
/* An injected failure, as the request's status says. */
#define HW_INJECTED(hw) ((hw)->fail_status == VIRTIO_IOMMU_S_NOMEM ? -E_NOMEM : -E_IO)

static inline bool hw_fires(unsigned *counter)
{
	return *counter && !--*counter;
}

/* As the SMMU backend after a failed op that changes a stream (smmu_set_*()). */
static inline void hw_abort_stream(struct fake_hw *hw, unsigned ep)
{
	hw->stream[ep] = (struct hw_stream){ HW_ABORT, 0, 0, pa(0) };
}

static inline int hw_map(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;
	const struct viommu_ctx *ctx = hw->ctx;
	struct hw_domain *d = hw_slot(hw, op);
	const struct viommu_region *r;

	if (!d || d->bypass)
		return HW_BROKEN(hw, "MAP into domain %u that has no table in slot %u", op->domain,
				 op->slot);
	if (!op->size || op->iova.v + (op->size - 1) < op->iova.v)
		return HW_BROKEN(hw, "MAP of a bad size");
	if (op->region >= (op->mmio ? ctx->n_mmio : ctx->n_ram))
		return HW_BROKEN(hw, "MAP names no region");
	r = op->mmio ? &ctx->mmio[op->region] : &ctx->ram[op->region];
	if (op->gpa.v < r->base.v || op->gpa.v - r->base.v > r->size ||
	    op->size > r->size - (op->gpa.v - r->base.v))
		return HW_BROKEN(hw, "MAP gpa %llx+%llx outside its region",
				 (unsigned long long)op->gpa.v, (unsigned long long)op->size);
	if (op->prot & ~(PGT_READ | PGT_WRITE | PGT_DEVICE) || !!(op->prot & PGT_DEVICE) != op->mmio)
		return HW_BROKEN(hw, "MAP prot %x", op->prot);
	for (unsigned i = 0; i < d->n; i++)
		if (op->iova.v <= d->e[i].iova + (d->e[i].size - 1) &&
		    d->e[i].iova <= op->iova.v + (op->size - 1))
			return HW_BROKEN(hw, "MAP over a mapped entry (pgt_map -E_EXIST)");
	hw->ops_replayed++;
	if (hw_fires(&hw->fail_map_in))
		return HW_INJECTED(hw);
	if (d->n == HW_MAX_ENTRIES)
		return HW_BROKEN(hw, "fake hw full");
	/* As the SMMU backend: neither read nor write is left out of the table. */
	if (hw_mirrored(op->iova.v, op->gpa.v, op->size, op->prot) &&
	    pgt_map(&d->pgt, op->iova.v, pa(op->gpa.v), op->size, op->prot))
		return HW_BROKEN(hw, "page-table engine refused a MAP the state allowed");
	d->e[d->n++] = (struct hw_entry){ op->iova.v, op->size, op->gpa.v, op->prot, op->mmio,
					  op->region };
	return 0;
}

/* Chain the pages of list onto to. */
static inline void hw_chain(pa_t *to, pa_t *list)
{
	while (list->v) {
		pa_t p = *list;

		*list = pa(*(u64 *)(uintptr_t)p.v);
		*(u64 *)(uintptr_t)p.v = to->v;
		*to = p;
	}
}

/* Table pages an unmap emptied: freed after the next sync, or given up (leak). */
static inline void hw_defer(struct fake_hw *hw, pa_t *list, bool leak)
{
	hw_chain(leak ? &hw->leaked : &hw->freed, list);
}

static inline bool hw_entry_overlaps(const struct hw_entry *e, u64 iova, u64 last)
{
	return e->iova <= last && iova <= e->iova + (e->size - 1);
}

static inline int hw_unmap(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;
	struct hw_domain *d = hw_slot(hw, op);
	u64 iova = op->iova.v, last = iova + (op->size - 1);
	pa_t freed = pa(0);
	bool fail;

	if (!d || d->bypass)
		return HW_BROKEN(hw, "UNMAP in domain %u that has no table in slot %u", op->domain,
				 op->slot);
	for (unsigned i = 0; i < d->n; i++)
		if (hw_entry_overlaps(&d->e[i], iova, last) &&
		    (d->e[i].iova < iova || d->e[i].iova + (d->e[i].size - 1) > last))
			return HW_BROKEN(hw, "UNMAP would split an entry");
	/* A failed invalidation clears the entries all the same; their tables are leaked. */
	fail = hw_fires(&hw->fail_unmap_in);
	for (unsigned i = 0; i < d->n;) {
		struct hw_entry *e = &d->e[i];

		if (!hw_entry_overlaps(e, iova, last)) {
			i++;
			continue;
		}
		if (hw_mirrored(e->iova, e->gpa, e->size, e->prot) &&
		    pgt_unmap_nosync(&d->pgt, e->iova, e->size, &freed))
			return HW_BROKEN(hw, "page-table engine refused an UNMAP the state allowed");
		*e = d->e[--d->n];
	}
	hw_defer(hw, &freed, fail);
	hw->ops_replayed++;
	hw->sync_owed = true;
	return fail ? -E_IO : 0;
}

static inline int hw_create(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;
	struct hw_domain *d = op->slot < HW_MAX_DOMAINS ? &hw->dom[op->slot] : NULL;

	if (!d || d->used)
		return HW_BROKEN(hw, "CREATE of domain %u into slot %u, not free", op->domain,
				 op->slot);
	for (unsigned i = 0; i < HW_MAX_DOMAINS; i++)
		if (hw->dom[i].used && hw->dom[i].id == op->domain)
			return HW_BROKEN(hw, "CREATE of existing domain %u", op->domain);
	hw->ops_replayed++;
	if (hw_fires(&hw->fail_create_in))
		return HW_INJECTED(hw);
	d->n = 0;
	if (!op->bypass && pgt_init(&d->pgt, PGT_FMT_SMMU_S1, 48, &hw->pool, hw_root_alloc))
		return HW_BROKEN(hw, "page-table engine: no root for domain %u", op->domain);
	d->used = true;
	d->bypass = op->bypass;
	d->id = op->domain;
	return 0;
}

static inline bool hw_foreign(struct fake_hw *hw, const struct viommu_op *op)
{
	return op->ep >= hw->ctx->n_ep || hw->ctx->ep[op->ep].id != op->endpoint;
}

static inline int hw_attach(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;
	struct hw_domain *d = hw_slot(hw, op);

	if (!d || d->bypass != op->bypass)
		return HW_BROKEN(hw, "ATTACH to domain %u not created as such in slot %u",
				 op->domain, op->slot);
	if (hw_foreign(hw, op))
		return HW_BROKEN(hw, "ATTACH of a foreign endpoint");
	if (hw->stream[op->ep].kind == HW_DOMAIN)
		hw->sync_owed = true;
	if (hw_fires(&hw->fail_attach_in)) {
		hw_abort_stream(hw, op->ep);
		return HW_INJECTED(hw);
	}
	hw->stream[op->ep] = (struct hw_stream){ HW_DOMAIN, op->domain, op->slot,
						 d->bypass ? pa(0) : d->pgt.root };
	hw->ops_replayed++;
	return 0;
}

static inline int hw_detach(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;

	if (hw_foreign(hw, op))
		return HW_BROKEN(hw, "DETACH of a foreign endpoint");
	if (hw->stream[op->ep].kind != HW_DOMAIN || hw->stream[op->ep].domain != op->domain ||
	    !hw_slot(hw, op))
		return HW_BROKEN(hw, "DETACH of an endpoint not in domain %u (slot %u)", op->domain,
				 op->slot);
	hw->sync_owed = true;
	hw->ops_replayed++;
	if (hw_fires(&hw->fail_detach_in)) {
		hw_abort_stream(hw, op->ep);
		return -E_IO;
	}
	hw->stream[op->ep] = (struct hw_stream){ op->bypass ? HW_BYPASS : HW_ABORT, 0, 0, pa(0) };
	return 0;
}

static inline int hw_destroy(void *fake, const struct viommu_op *op)
{
	struct fake_hw *hw = fake;
	struct hw_domain *d = hw_slot(hw, op);

	if (!d)
		return HW_BROKEN(hw, "DESTROY of unknown domain %u (slot %u)", op->domain, op->slot);
	for (unsigned e = 0; e < VIOMMU_MAX_ENDPOINTS; e++)
		if (hw->stream[e].kind == HW_DOMAIN && hw->stream[e].domain == op->domain)
			return HW_BROKEN(hw, "DESTROY of domain %u still in use", op->domain);
	hw->ops_replayed++;
	hw->sync_owed = true;
	d->used = false;
	d->n = 0;
	if (!hw_fires(&hw->fail_destroy_in)) {
		if (!d->bypass)
			pgt_destroy(&d->pgt);
		return 0;
	}
	/* The invalidation failed: the slot goes, the tables are kept (the host has room for
	 * HW_MAX_LEAKED; past that they are freed, no stream reaching them by then). */
	if (!d->bypass && hw->n_leaked_tables < HW_MAX_LEAKED)
		hw->leaked_tables[hw->n_leaked_tables++] = d->pgt;
	else if (!d->bypass)
		pgt_destroy(&d->pgt);
	return -E_IO;
}

static inline int hw_sync_op(void *fake)
{
	struct fake_hw *hw = fake;

	hw->sync_owed = false;
	if (hw_fires(&hw->fail_sync_in)) {
		hw->syncs_failed++;
		hw_chain(&hw->leaked, &hw->freed);
		return -E_TIMEOUT;
	}
	pgt_free_deferred(&hw->pool, &hw->freed);
	return 0;
}

static const struct viommu_backend_ops fake_hw_ops = {
	.create = hw_create,
	.attach = hw_attach,
	.detach = hw_detach,
	.map = hw_map,
	.unmap = hw_unmap,
	.destroy = hw_destroy,
	.sync = hw_sync_op,
};

/* Replay t's ops with the shipped replay (and undo) on this backend; *status is what to
 * commit with. */
static inline const char *hw_replay(struct fake_hw *hw, const struct viommu_ctx *ctx,
				    struct viommu_txn *t, u8 *status)
{
	struct viommu_backend b = { &fake_hw_ops, hw };

	hw->ctx = ctx;
	hw->msg[0] = '\0';
	*status = viommu_replay(&b, t);
	return hw->msg[0] ? hw->msg : NULL;
}

/* The batch's sync, as the device's: statuses of requests that needed it made DEVERR if
 * it fails (status: see viommu_batch_sync). */
static inline int hw_batch_sync(struct fake_hw *hw, struct viommu_batch *batch,
				u8 *const *status)
{
	struct viommu_backend b = { &fake_hw_ops, hw };

	return viommu_batch_sync(&b, batch, hw->sync_owed, status);
}

static inline void hw_sync(struct fake_hw *hw) { hw_sync_op(hw); }

/* No stream reaches a freed table: each stream in a domain holds the root of the live
 * domain in its slot (an STE or CD pointing at a destroyed domain's root would let a
 * device walk a page the pool may have handed to anyone). */
static inline const char *hw_reachable(struct fake_hw *hw)
{
	for (unsigned e = 0; e < VIOMMU_MAX_ENDPOINTS; e++) {
		const struct hw_stream *s = &hw->stream[e];
		const struct hw_domain *d = s->slot < HW_MAX_DOMAINS ? &hw->dom[s->slot] : NULL;

		if (s->kind != HW_DOMAIN)
			continue;
		if (!d || !d->used || d->id != s->domain ||
		    s->root.v != (d->bypass ? 0 : d->pgt.root.v))
			return HW_FAIL(hw, "endpoint %u: its stream reaches a freed table (domain "
				       "%u, slot %u)", e, s->domain, s->slot);
	}
	return NULL;
}

/* The engine's table translates the entry's first and last byte to its output, or, for an
 * entry with neither read nor write, holds nothing there. */
static inline bool hw_walks_to(const struct hw_domain *d, const struct hw_entry *e)
{
	bool mapped = e->prot & (PGT_READ | PGT_WRITE);
	u64 ends[2] = { e->iova, e->iova + (e->size - 1) }, size;
	unsigned prot;
	pa_t out;

	if (!hw_mirrored(e->iova, e->gpa, e->size, PGT_READ))
		return true;

	for (unsigned i = 0; i < 2; i++) {
		if (pgt_walk(&d->pgt, ends[i], &out, &prot, &size) != mapped)
			return false;
		if (mapped && (out.v != e->gpa + (ends[i] - e->iova) ||
			       !!(prot & PGT_WRITE) != !!(e->prot & PGT_WRITE)))
			return false;
	}
	return true;
}

static inline int hw_entry_cmp(const void *a, const void *b)
{
	const struct hw_entry *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* In-order mappings of a domain's tree, into out (at most cap); returns how many. */
static inline size_t hw_collect(const struct viommu_state *st, u32 i, struct viommu_node *out,
				size_t n, size_t cap)
{
	if (i == VIOMMU_NIL || n >= cap)
		return n;
	n = hw_collect(st, st->pool[i].left, out, n, cap);
	if (n < cap)
		out[n++] = st->pool[i];
	return hw_collect(st, st->pool[i].right, out, n, cap);
}

/* The hardware holds exactly the module's state. */
static inline const char *hw_compare(struct fake_hw *hw, const struct viommu_state *st,
				     const struct viommu_ctx *ctx)
{
	static struct viommu_node maps[HW_MAX_ENTRIES];
	unsigned hw_domains = 0;

	for (unsigned e = 0; e < ctx->n_ep; e++) {
		u32 dom;
		bool in = viommu_ep_domain(st, e, &dom);
		struct hw_stream s = hw->stream[e];

		if (in ? (s.kind != HW_DOMAIN || s.domain != dom) : s.kind == HW_DOMAIN)
			return HW_FAIL(hw, "endpoint %u: stream differs from the state", e);
		if (viommu_ep_aborting(st, e) && s.kind != HW_ABORT)
			return HW_FAIL(hw, "endpoint %u: the state says its stream aborts", e);
	}
	if (hw_reachable(hw))
		return hw->msg;
	for (unsigned i = 0; i < HW_MAX_DOMAINS; i++)
		hw_domains += hw->dom[i].used;
	if (hw_domains != st->n_domains)
		return HW_FAIL(hw, "%u domains in hardware, %u in the state", hw_domains,
			       st->n_domains);
	for (unsigned s = 0; s < VIOMMU_MAX_ENDPOINTS; s++) {
		const struct viommu_domain *sd = &st->dom[s];
		struct hw_domain *d;
		size_t n, k = 0;

		if (!sd->used)
			continue;
		d = &hw->dom[s];
		if (!d->used || d->id != sd->id || d->bypass != sd->bypass)
			return HW_FAIL(hw, "domain %u missing from slot %u or of the wrong kind", sd->id,
				       s);
		qsort(d->e, d->n, sizeof(d->e[0]), hw_entry_cmp);
		n = hw_collect(st, sd->root, maps, 0, HW_MAX_ENTRIES);
		for (size_t m = 0; m < n; m++) {
			u64 at = maps[m].start.v;

			/* The mapping's pieces, in order, exactly covering it. */
			do {
				const struct hw_entry *e = k < d->n ? &d->e[k] : NULL;
				unsigned prot = ((maps[m].flags & VIRTIO_IOMMU_MAP_F_READ) ? PGT_READ : 0) |
						((maps[m].flags & VIRTIO_IOMMU_MAP_F_WRITE) ? PGT_WRITE : 0) |
						((maps[m].flags & VIRTIO_IOMMU_MAP_F_MMIO) ? PGT_DEVICE : 0);

				if (!e || e->iova != at ||
				    e->gpa != maps[m].gpa.v + (at - maps[m].start.v) || e->prot != prot)
					return HW_FAIL(hw, "domain %u: mapping at %llx differs in hardware",
						       sd->id, (unsigned long long)maps[m].start.v);
				if (!hw_walks_to(d, e))
					return HW_FAIL(hw, "domain %u: the table does not map %llx as "
						       "the entry says", sd->id, (unsigned long long)e->iova);
				at += e->size;
				k++;
			} while (at != maps[m].last.v + 1);
		}
		if (k != d->n)
			return HW_FAIL(hw, "domain %u: %u entries in hardware beyond the state", sd->id,
				       d->n - (unsigned)k);
	}
	return NULL;
}

#endif
