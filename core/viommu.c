/*
 * A VM's virtio-iommu device: glue between the virtio-mmio transport (core/virtio_mmio.c),
 * the pure request model (iommu/viommu_req.h) and the SMMU (iommu/smmuv3.h). See
 * docs/viommu.md "Replay" for why a domain is what it is in each SMMU configuration.
 *
 * Every call runs under the device's lock: the guest's register accesses (a QueueNotify
 * serves the requests in the notifying vCPU's trap), SMMU event reports from CPU 0 and the
 * VM's reset. Lock order: device, then the SMMU's own locks.
 */
#include "core/viommu.h"

#include "arch/arch.h"
#include "core/alloc.h"
#include "core/guest_layout.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/virtio_mmio.h"
#include "core/vm.h"
#include "core/vm_iommu.h"
#include "drivers/timer/timer.h"
#include "drivers/pci/pci.h"
#include "iommu/smmuv3.h"
#include "iommu/smmuv3_regs.h"
#include "iommu/viommu_req.h"

/* Per-VM sizes (docs/viommu.md "Limits"): the config's virtio-iommu-mappings (one 40-byte
 * node each) and virtio-iommu-table-pages (the tables of all the VM's domains together,
 * and one page of context descriptors). */
#define VIOMMU_DOMAIN_LIMIT VIOMMU_MAX_ENDPOINTS
#define VIOMMU_IAS 48U       /* input (IOVA) bits: a 4-level stage-1 table */
#define VIOMMU_PROBE_SIZE 64U
#define VIOMMU_QUEUE_MAX 256U
/* 4 KiB pages and the 2 MiB and 1 GiB blocks the table engine makes. */
#define VIOMMU_PAGE_SIZES (SZ_4K | SZ_2M | SZ_1G)
/* The nested stage 2 of a VM's devices is tagged with its own VMID, never the CPU's. */
#define VIOMMU_VMID_BASE 0x100U
/* Domain slot s of VM v uses ASID VIOMMU_ASID_BASE + v * VIOMMU_MAX_ENDPOINTS + s. */
#define VIOMMU_ASID_BASE 0x100U
/* Log each VM's first refused requests, then one in 1024. */
#define REFUSALS_LOGGED_IN_FULL 32

/* The hardware side of one domain. */
struct hw_domain {
	bool used;
	bool bypass;     /* identity over the VM's RAM: no table */
	u32 id;
	struct pgtable pgt;
};

/* Where the hypervisor's time goes (docs/performance.md): counter ticks spent in each part
 * of serving requests, by request type; under QEMU's -icount they count instructions. */
enum cost_part { COST_VALIDATE, COST_TABLE, COST_PARTS };

struct viommu_stats {
	u64 requests[VIRTIO_IOMMU_T_PROBE + 1]; /* by type; [0]: unknown types */
	u64 refused[VIRTIO_IOMMU_T_PROBE + 1];  /* status other than OK */
	u64 syncs;                              /* CMD_SYNCs for batches */
	u64 faults_sent;
	u64 ticks[VIRTIO_IOMMU_T_PROBE + 1][COST_PARTS];
	u64 sync_ticks;    /* the batches' CMD_SYNCs and table frees */
	u64 notifies, notify_ticks; /* QueueNotify writes, from the handler's entry to its end */
};

struct viommu_dev {
	spinlock_t lock;
	struct vm *vm;
	struct virtio_mmio t;
	struct virtio_iommu_config cfg;
	struct viommu_ctx ctx;
	struct viommu_state st;
	struct viommu_endpoint ep[VIOMMU_MAX_ENDPOINTS];
	u32 ep_sid[VIOMMU_MAX_ENDPOINTS];
	struct viommu_region ram[VM_MAX_RAM], mmio[VM_MAX_MMIO];
	pa_t ram_pa[VM_MAX_RAM], mmio_pa[VM_MAX_MMIO];
	struct hw_domain dom[VIOMMU_MAX_ENDPOINTS];
	/* Table pages: one physically contiguous arena. Page 0 holds the domains' context
	 * descriptors (nested), the others the tables, handed out by `taken`. */
	pa_t arena;
	u32 arena_pages;
	u64 *taken; /* bit per arena page */
	unsigned scan; /* taken[] words below it are full */
	struct pgt_pool tables;
	/* Nested: the devices' stage 2 (the VM's RAM and MMIO as the CPU's, plus the arena
	 * read-only at `window`), which the SMMU walks the CDs and stage-1 tables through. */
	bool nested;
	struct pgtable s2;
	struct pgt_pool s2_pool;
	ipa_t window;
	/* Invalidations issued but not yet synced, and table pages waiting for that sync. */
	bool sync_owed;
	pa_t freed;
	unsigned long refusals;
	struct viommu_stats stats;
};

static struct viommu_dev *dev_of[VM_MAX];

/* ---- the table arena ---- */

static struct viommu_dev *dev_of_pool(struct pgt_pool *pool)
{
	return (struct viommu_dev *)((u8 *)pool - __builtin_offsetof(struct viommu_dev, tables));
}

static pa_t arena_alloc(struct pgt_pool *pool)
{
	struct viommu_dev *d = dev_of_pool(pool);

	for (unsigned w = d->scan; w < d->arena_pages / 64; w++) {
		if (d->taken[w] == ~0ULL)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~d->taken[w]);

		d->taken[w] |= BIT(b);
		d->scan = w;
		return pa_add(d->arena, (u64)(w * 64 + b) * PAGE_SIZE);
	}
	return pa(0);
}

static void arena_free(struct pgt_pool *pool, pa_t page)
{
	struct viommu_dev *d = dev_of_pool(pool);
	u64 i = (page.v - d->arena.v) / PAGE_SIZE;

	d->taken[i / 64] &= ~BIT(i % 64);
	d->scan = MIN(d->scan, (unsigned)(i / 64));
}

static pa_t arena_root(struct pgt_pool *pool, unsigned pages)
{
	return pages == 1 ? arena_alloc(pool) : pa(0);
}

static u64 *cd_slot(struct viommu_dev *d, unsigned slot)
{
	return (u64 *)pa_to_va(d->arena) + (u64)slot * CD_WORDS;
}

/* ---- domains in the SMMU ---- */

static u16 dom_asid(const struct viommu_dev *d, unsigned slot)
{
	return (u16)(VIOMMU_ASID_BASE + d->vm->id * VIOMMU_MAX_ENDPOINTS + slot);
}

static u16 dma_vmid(const struct viommu_dev *d) { return (u16)(VIOMMU_VMID_BASE + vm_vmid(d->vm)); }

static int find_slot(const struct viommu_dev *d, u32 id)
{
	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (d->dom[i].used && d->dom[i].id == id)
			return (int)i;
	return -1;
}

static u8 status_of(int err)
{
	return err == -E_NOMEM ? VIRTIO_IOMMU_S_NOMEM : VIRTIO_IOMMU_S_DEVERR;
}

static int create(struct viommu_dev *d, const struct viommu_op *op)
{
	struct hw_domain *h;
	int slot, ret;

	for (slot = 0; slot < (int)VIOMMU_MAX_ENDPOINTS && d->dom[slot].used; slot++)
		;
	if (slot == VIOMMU_MAX_ENDPOINTS)
		return -E_NOMEM;
	h = &d->dom[slot];
	*h = (struct hw_domain){ .bypass = op->bypass, .id = op->domain };
	if (!op->bypass) {
		h->pgt.clean_to_poc = !smmu_walk_coherent();
		ret = pgt_init(&h->pgt, PGT_FMT_SMMU_S1, VIOMMU_IAS, &d->tables, arena_root);
		if (ret)
			return ret;
		h->pgt.keep_tables = true; /* map/unmap churn allocates nothing; see reclaim() */
		h->pgt.tlb = &smmu_s1_tlb_ops;
		h->pgt.tlb_ctx = smmu_tlb_ctx(d->nested ? dma_vmid(d) : 0, dom_asid(d, (unsigned)slot));
		if (d->nested) {
			h->pgt.walker_offset = d->window.v - d->arena.v;
			smmu_write_cd(cd_slot(d, (unsigned)slot), dom_asid(d, (unsigned)slot), &h->pgt);
		}
	}
	h->used = true;
	return 0;
}

/* Every invalidation issued so far has completed; the tables it freed can be reused. */
static int sync_now(struct viommu_dev *d)
{
	int ret = smmu_sync();

	d->stats.syncs++;
	d->sync_owed = false;
	if (!ret)
		pgt_free_deferred(&d->tables, &d->freed);
	return ret;
}

static int destroy(struct viommu_dev *d, int slot)
{
	struct hw_domain *h = &d->dom[slot];
	int ret = 0;

	if (!h->bypass) {
		ret = smmu_tlbi_s1_all(d->nested ? dma_vmid(d) : 0, dom_asid(d, (unsigned)slot));
		if (!ret)
			ret = sync_now(d);
		if (ret)
			return ret; /* the tables stay: a walker may still hold them */
		pgt_destroy(&h->pgt);
	}
	h->used = false;
	return 0;
}

/* An endpoint in no domain: identity over the VM's RAM, or nothing. */
static int unattached(struct viommu_dev *d, unsigned ep, bool bypass)
{
	return bypass ? vm_iommu_identity(d->vm, d->ep_sid[ep]) : smmu_set_abort(d->ep_sid[ep]);
}

static int attach(struct viommu_dev *d, const struct viommu_op *op)
{
	int slot = find_slot(d, op->domain);
	u32 sid = d->ep_sid[op->ep];

	if (slot < 0)
		return -E_INVAL;
	if (d->dom[slot].bypass)
		return vm_iommu_identity(d->vm, sid);
	if (d->nested)
		return smmu_set_nested(sid, dma_vmid(d), &d->s2,
				       ipa(d->window.v + (u64)slot * CD_WORDS * sizeof(u64)));
	return smmu_set_s1(sid, dom_asid(d, (unsigned)slot), &d->dom[slot].pgt);
}

/* Where a MAP piece's guest-physical range ends up: nested, stage 2 translates it; with
 * stage 1 alone, the region's physical address. */
static pa_t map_output(const struct viommu_dev *d, const struct viommu_op *op)
{
	const struct viommu_region *r = op->mmio ? &d->mmio[op->region] : &d->ram[op->region];
	pa_t base = op->mmio ? d->mmio_pa[op->region] : d->ram_pa[op->region];

	return d->nested ? pa(op->gpa.v) : pa_add(base, op->gpa.v - r->base.v);
}

/* The table pages ran out: free the tables the VM's domains hold empty (unmapping keeps
 * them), once their walk-cache entries are invalidated. Returns how many. */
static size_t reclaim(struct viommu_dev *d)
{
	size_t n = 0;

	for (unsigned i = 0; i < VIOMMU_MAX_ENDPOINTS; i++)
		if (d->dom[i].used && !d->dom[i].bypass)
			n += pgt_prune(&d->dom[i].pgt, &d->freed);
	if (n && sync_now(d))
		return 0;
	return n;
}

static int map(struct viommu_dev *d, const struct viommu_op *op)
{
	int slot = find_slot(d, op->domain), ret;

	if (slot < 0 || d->dom[slot].bypass)
		return -E_INVAL;
	/* Neither read nor write: nothing a stage-1 entry can express; left unmapped. */
	if (!(op->prot & (PGT_READ | PGT_WRITE)))
		return 0;
	ret = pgt_map(&d->dom[slot].pgt, op->iova.v, map_output(d, op), op->size, op->prot);
	if (ret == -E_NOMEM && reclaim(d))
		ret = pgt_map(&d->dom[slot].pgt, op->iova.v, map_output(d, op), op->size,
			      op->prot);
	return ret;
}

static int unmap(struct viommu_dev *d, const struct viommu_op *op)
{
	int slot = find_slot(d, op->domain), ret;

	if (slot < 0 || d->dom[slot].bypass)
		return -E_INVAL;
	ret = pgt_unmap_nosync(&d->dom[slot].pgt, op->iova.v, op->size, &d->freed);
	d->sync_owed = true;
	return ret;
}

static int replay_op(struct viommu_dev *d, const struct viommu_op *op)
{
	switch (op->kind) {
	case VIOMMU_OP_CREATE:
		return create(d, op);
	case VIOMMU_OP_ATTACH:
		return attach(d, op);
	case VIOMMU_OP_DETACH:
		d->sync_owed = true;
		return unattached(d, op->ep, op->bypass);
	case VIOMMU_OP_MAP:
		return map(d, op);
	case VIOMMU_OP_UNMAP:
		return unmap(d, op);
	case VIOMMU_OP_DESTROY: {
		int slot = find_slot(d, op->domain);

		return slot < 0 ? -E_INVAL : destroy(d, slot);
	}
	}
	return -E_INVAL;
}

/* Undo ops[0 .. n) of a request that failed: its MAP pieces and the domain it created (a
 * failed ATTACH left its stream aborting, which the model's state does not say: DEVERR). */
static void undo(struct viommu_dev *d, const struct viommu_txn *t, unsigned n)
{
	while (n-- > 0) {
		const struct viommu_op *op = &t->op[n];
		int slot = find_slot(d, op->domain);

		if (slot < 0)
			continue;
		if (op->kind == VIOMMU_OP_MAP && (op->prot & (PGT_READ | PGT_WRITE))) {
			pgt_unmap_nosync(&d->dom[slot].pgt, op->iova.v, op->size, &d->freed);
			d->sync_owed = true;
		} else if (op->kind == VIOMMU_OP_CREATE) {
			destroy(d, slot);
		}
	}
}

static u8 replay(struct viommu_dev *d, const struct viommu_txn *t)
{
	for (unsigned i = 0; i < t->n_op; i++) {
		int ret = replay_op(d, &t->op[i]);

		if (ret) {
			undo(d, t, i);
			return status_of(ret);
		}
	}
	return VIRTIO_IOMMU_S_OK;
}

/* ---- the device model (struct virtio_dev_ops) ---- */

/* A little-endian field of the request as the guest sent it (0 where it is short). */
static u64 field(const u8 *in, size_t in_len, size_t off, size_t size)
{
	u64 v = 0;

	if (off + size <= in_len)
		memcpy(&v, in + off, size);
	return v;
}

/* Rate-limited: the VM, the request as sent, and its status. */
static void log_refusal(struct viommu_dev *d, const struct viommu_txn *t, const u8 *in,
			size_t in_len)
{
	static const char *const names[] = { "?", "ATTACH", "DETACH", "MAP", "UNMAP", "PROBE" };
	unsigned long n = d->refusals++;
	u8 type = in[0] <= VIRTIO_IOMMU_T_PROBE ? in[0] : 0;

	if (n >= REFUSALS_LOGGED_IN_FULL && n % 1024)
		return;
	if (type == VIRTIO_IOMMU_T_MAP || type == VIRTIO_IOMMU_T_UNMAP)
		log_warn("vm '%s': virtio-iommu: %s domain %lu [%lx-%lx]%s%lx: %s (%lu refused)\n",
			 d->vm->cfg->name, names[type], field(in, in_len, 4, 4),
			 field(in, in_len, 8, 8), field(in, in_len, 16, 8),
			 type == VIRTIO_IOMMU_T_MAP ? " -> " : " ",
			 type == VIRTIO_IOMMU_T_MAP ? field(in, in_len, 24, 8) : 0,
			 viommu_status_name(t->status), n + 1);
	else
		log_warn("vm '%s': virtio-iommu: %s %lu %lu: %s (%lu refused)\n", d->vm->cfg->name,
			 names[type], field(in, in_len, 4, 4), field(in, in_len, 8, 4),
			 viommu_status_name(t->status), n + 1);
}

static size_t handle(void *dev, unsigned queue, const u8 *in, size_t in_len, u8 *out,
		     size_t out_cap)
{
	struct viommu_dev *d = dev;
	struct viommu_txn t;
	size_t used;
	u8 hw = VIRTIO_IOMMU_S_OK;
	unsigned type;

	u64 t0 = timer_counter(), t1, t2;

	d->ctx.features = virtio_mmio_features(&d->t);
	used = viommu_prepare(&d->st, &d->ctx, in, in_len, out, out_cap, &t);
	t1 = timer_counter();
	if (t.n_op)
		hw = replay(d, &t);
	t2 = timer_counter();
	viommu_commit(&d->st, &d->ctx, &t, hw);
	type = in_len && in[0] <= VIRTIO_IOMMU_T_PROBE ? in[0] : 0;
	d->stats.requests[type]++;
	d->stats.ticks[type][COST_VALIDATE] += (t1 - t0) + (timer_counter() - t2);
	d->stats.ticks[type][COST_TABLE] += t2 - t1;
	if (used && t.status != VIRTIO_IOMMU_S_OK) {
		d->stats.refused[type]++;
		log_refusal(d, &t, in, in_len);
	}
	return used;
}

/* After a notification's requests, before any is used: one CMD_SYNC for all their
 * invalidations (virtio-iommu rule 9). */
static void batch_sync(void *dev, unsigned queue)
{
	struct viommu_dev *d = dev;
	u64 t0 = timer_counter();

	if (d->sync_owed && sync_now(d))
		log_err("vm '%s': virtio-iommu: CMD_SYNC failed\n", d->vm->cfg->name);
	d->stats.sync_ticks += timer_counter() - t0;
}

static u32 config_read(void *dev, u32 offset, unsigned size)
{
	struct viommu_dev *d = dev;
	u32 v = 0;

	memcpy(&v, (const u8 *)&d->cfg + offset, size); /* little-endian, as the CPU */
	return v;
}

static void set_bypass(struct viommu_dev *d, bool bypass)
{
	d->ctx.bypass = bypass;
	d->cfg.bypass = bypass;
	for (unsigned ep = 0; ep < d->ctx.n_ep; ep++) {
		u32 domain;

		if (!viommu_ep_domain(&d->st, ep, &domain))
			unattached(d, ep, bypass);
	}
}

/* Only `bypass` is writable, and only once BYPASS_CONFIG was accepted (virtio 1.2,
 * 5.13.4); 0 and 1 are its values, anything else is ignored. */
static void config_write(void *dev, u32 offset, unsigned size, u32 value)
{
	struct viommu_dev *d = dev;

	if (offset != __builtin_offsetof(struct virtio_iommu_config, bypass) || size != 1 ||
	    value > 1 || !(virtio_mmio_features(&d->t) & BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG)))
		return;
	if (value != d->cfg.bypass)
		set_bypass(d, value);
}

/* Device reset (rule 10): every endpoint out of its domain, every domain gone, synced. */
static void model_reset(void *dev)
{
	struct viommu_dev *d = dev;
	struct viommu_op ops[2 * VIOMMU_MAX_ENDPOINTS];
	unsigned n = viommu_reset_ops(&d->st, &d->ctx, ops, ARRAY_SIZE(ops));

	for (unsigned i = 0; i < n; i++)
		if (replay_op(d, &ops[i]))
			log_err("vm '%s': virtio-iommu: reset: op %u failed\n", d->vm->cfg->name,
				ops[i].kind);
	if (d->sync_owed)
		sync_now(d);
	viommu_reset(&d->st);
}

static const struct virtio_dev_ops viommu_ops = {
	.name = "virtio-iommu",
	.device_id = VIRTIO_ID_IOMMU,
	.features = BIT(VIRTIO_IOMMU_F_INPUT_RANGE) | BIT(VIRTIO_IOMMU_F_DOMAIN_RANGE) |
		    BIT(VIRTIO_IOMMU_F_MAP_UNMAP) | BIT(VIRTIO_IOMMU_F_PROBE) |
		    BIT(VIRTIO_IOMMU_F_MMIO) | BIT(VIRTIO_IOMMU_F_BYPASS_CONFIG),
	.num_queues = 2,
	.queue_max = VIOMMU_QUEUE_MAX,
	.fill_queues = BIT(VIRTIO_IOMMU_EVENTQ),
	.config_size = sizeof(struct virtio_iommu_config),
	.config_read = config_read,
	.config_write = config_write,
	.handle = handle,
	.sync = batch_sync,
	.reset = model_reset,
};

/* ---- transport glue ---- */

static void *guest_ram(void *vm, ipa_t addr, u64 size) { return vm_ram_ptr(vm, addr, size); }

static void set_irq(void *ctx, bool level)
{
	struct viommu_dev *d = ctx;

	vgic_set_level(d->vm, GUEST_VIRTIO_INTID_BASE, level);
}

static void report(void *ctx, unsigned queue, enum vq_status why)
{
	struct viommu_dev *d = ctx;

	log_warn("vm '%s': virtio-iommu: queue %u: %s: device needs reset\n", d->vm->cfg->name,
		 queue, vq_status_name(why));
}

static bool mmio_access(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct viommu_dev *d = dev;
	bool notify = a->write && a->offset == VIRTIO_MMIO_QUEUE_NOTIFY;
	u64 t0 = timer_counter();
	bool ok;

	spin_lock(&d->lock);
	ok = virtio_mmio_access(&d->t, a);
	if (notify) {
		d->stats.notifies++;
		d->stats.notify_ticks += timer_counter() - t0;
	}
	spin_unlock(&d->lock);
	return ok;
}

/* ---- creation ---- */

static void describe_vm(struct viommu_dev *d)
{
	const struct vm_config *cfg = d->vm->cfg;

	for (unsigned i = 0; i < cfg->n_ram; i++) {
		d->ram[i] = (struct viommu_region){ cfg->ram[i].ipa, cfg->ram[i].size };
		d->ram_pa[i] = d->vm->ram_pa[i];
	}
	for (unsigned i = 0; i < cfg->n_mmio; i++) {
		d->mmio[i] = (struct viommu_region){ cfg->mmio[i].ipa, cfg->mmio[i].size };
		d->mmio_pa[i] = cfg->mmio[i].pa;
	}
	for (unsigned i = 0; i < d->vm->vpci.n; i++) {
		const struct pci_dev *p = d->vm->vpci.dev[i].pdev;

		if (!p->has_sid)
			continue;
		/* Endpoint ID = requester ID: the guest's iommu-map is the identity. */
		d->ep[d->ctx.n_ep] = (struct viommu_endpoint){ .id = p->bdf };
		d->ep_sid[d->ctx.n_ep++] = p->sid;
	}
	d->cfg = (struct virtio_iommu_config){
		.page_size_mask = VIOMMU_PAGE_SIZES,
		.input_range = { 0, BIT(VIOMMU_IAS) - 1 },
		.domain_range = { 0, 0xffffffffU },
		.probe_size = VIOMMU_PROBE_SIZE,
	};
	d->ctx.page_size_mask = d->cfg.page_size_mask;
	d->ctx.input_start = iova(0);
	d->ctx.input_end = iova(d->cfg.input_range.end);
	d->ctx.domain_start = 0;
	d->ctx.domain_end = d->cfg.domain_range.end;
	d->ctx.probe_size = VIOMMU_PROBE_SIZE;
	d->ctx.ep = d->ep;
	d->ctx.ram = d->ram;
	d->ctx.n_ram = cfg->n_ram;
	d->ctx.mmio = d->mmio;
	d->ctx.n_mmio = cfg->n_mmio;
	d->ctx.limits = (struct viommu_limits){ VIOMMU_DOMAIN_LIMIT, d->vm->cfg->viommu_mappings };
}

/* The lowest arena-sized IPA range, above the first, that the VM's stage 2 leaves empty. */
static int pick_window(struct viommu_dev *d, u64 bytes)
{
	const struct pgtable *s2 = &d->vm->s2;

	for (u64 w = bytes; w <= BIT(s2->ias) - bytes; w += bytes) {
		u64 ia = w, size;

		while (ia < w + bytes && !pgt_walk(s2, ia, NULL, NULL, &size))
			ia = ALIGN_DOWN(ia, size) + size;
		if (ia >= w + bytes) {
			d->window = ipa(w);
			return 0;
		}
	}
	return -E_NOMEM;
}

/* Nested: the devices' stage 2, the VM's RAM and MMIO as its CPUs see them plus the table
 * arena, read-only, where the VM's CPUs see nothing: the guest can never write its own
 * device tables, and a device reaches nothing the VM does not own even through them. */
static int build_s2(struct viommu_dev *d)
{
	struct vm *vm = d->vm;
	u64 bytes = (u64)d->arena_pages * PAGE_SIZE;
	int ret = pick_window(d, bytes);

	alloc_pgt_pool_init(&d->s2_pool, vm->cfg->name, 64);
	d->s2.clean_to_poc = !smmu_walk_coherent();
	if (!ret)
		ret = pgt_init(&d->s2, PGT_FMT_S2, vm->s2.ias, &d->s2_pool, alloc_pgt_root);
	for (unsigned i = 0; i < d->ctx.n_ram && !ret; i++)
		ret = pgt_map(&d->s2, d->ram[i].base.v, d->ram_pa[i], d->ram[i].size,
			      PGT_READ | PGT_WRITE);
	for (unsigned i = 0; i < d->ctx.n_mmio && !ret; i++)
		ret = pgt_map(&d->s2, d->mmio[i].base.v, d->mmio_pa[i], d->mmio[i].size,
			      PGT_READ | PGT_WRITE | PGT_DEVICE);
	if (!ret)
		ret = pgt_map(&d->s2, d->window.v, d->arena, bytes, PGT_READ);
	if (!ret) {
		d->s2.tlb = &smmu_s2_tlb_ops;
		d->s2.tlb_ctx = smmu_tlb_ctx(0, dma_vmid(d));
	}
	return ret;
}

/* Hypervisor memory for bytes, zeroed, or NULL. */
static void *pages_zeroed(size_t bytes)
{
	u64 pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	pa_t p = page_alloc(pages, 1);

	if (!p.v)
		return NULL;
	memset(pa_to_va(p), 0, pages * PAGE_SIZE);
	return pa_to_va(p);
}

static int setup(struct viommu_dev *d)
{
	struct virtio_mmio_host host = { .mem = { guest_ram, d->vm }, .set_irq = set_irq,
					 .report = report, .ctx = d };
	struct viommu_node *pool;
	const char *why;
	int ret;

	describe_vm(d);
	if (viommu_ctx_check(&d->ctx, &why)) {
		log_err("vm '%s': virtio-iommu: %s\n", d->vm->cfg->name, why);
		return -E_INVAL;
	}
	u32 nodes = d->vm->cfg->viommu_mappings;

	/* Rounded up to whole bitmap words; the pool's limit is what the config said. */
	d->arena_pages = ALIGN_UP(d->vm->cfg->viommu_table_pages, 64);
	d->arena = page_alloc(d->arena_pages, 1);
	pool = pages_zeroed(nodes * sizeof(*pool));
	d->taken = pages_zeroed(d->arena_pages / 8);
	if (!d->arena.v || !pool || !d->taken)
		return -E_NOMEM;
	memset(pa_to_va(d->arena), 0, PAGE_SIZE);
	d->taken[0] = BIT(0); /* the CD page */
	d->tables = (struct pgt_pool){ .name = d->vm->cfg->name,
				       .limit = d->vm->cfg->viommu_table_pages - 1,
				       .alloc_page = arena_alloc, .free_page = arena_free };
	viommu_init(&d->st, pool, nodes);
	d->nested = smmu_has_s1() && smmu_has_s2();
	ret = d->nested ? build_s2(d) : 0;
	if (!ret)
		ret = virtio_mmio_init(&d->t, &viommu_ops, d, &host);
	if (!ret)
		ret = emul_register(d->vm, GUEST_VIRTIO_BASE, GUEST_VIRTIO_SIZE, mmio_access, d,
				    "virtio-iommu");
	return ret;
}

int viommu_vm_init(struct vm *vm)
{
	struct viommu_dev *d;
	int ret;

	if (!vm->cfg->virtio_iommu)
		return 0;
	if (!smmu_has_s1()) {
		log_err("vm '%s': virtio-iommu needs an SMMU with stage 1\n", vm->cfg->name);
		return -E_NODEV;
	}
	d = pages_zeroed(sizeof(*d));
	if (!d)
		return -E_NOMEM;
	d->vm = vm;
	ret = setup(d);
	if (ret) {
		log_err("vm '%s': virtio-iommu not created (%s)\n", vm->cfg->name, err_name(ret));
		return ret;
	}
	dev_of[vm->id] = d;
	log_info("vm '%s': virtio-iommu with %u endpoint(s), domains %s, up to %u mappings and "
		 "%u KiB of tables\n", vm->cfg->name, d->ctx.n_ep,
		 d->nested ? "nested over stage 2" : "stage 1 only", vm->cfg->viommu_mappings,
		 vm->cfg->viommu_table_pages * 4);
	return 0;
}

bool viommu_present(const struct vm *vm) { return dev_of[vm->id] != NULL; }

int viommu_vm_start(struct vm *vm)
{
	struct viommu_dev *d = dev_of[vm->id];
	int ret = 0;

	spin_lock(&d->lock);
	for (unsigned ep = 0; ep < d->ctx.n_ep && !ret; ep++)
		ret = unattached(d, ep, d->ctx.bypass);
	spin_unlock(&d->lock);
	return ret;
}

void viommu_vm_reset(struct vm *vm)
{
	struct viommu_dev *d = dev_of[vm->id];

	if (!d)
		return;
	spin_lock(&d->lock);
	virtio_mmio_reset(&d->t);
	d->ctx.bypass = false;
	d->cfg.bypass = 0;
	spin_unlock(&d->lock);
}

/* ---- faults (virtio 1.2, 5.13.6.9) ---- */

static u8 fault_reason(u8 type)
{
	switch (type) {
	case EVT_F_TRANSLATION:
	case EVT_F_ADDR_SIZE:
	case EVT_F_ACCESS:
	case EVT_F_PERMISSION:
		return VIRTIO_IOMMU_FAULT_R_MAPPING;
	case EVT_C_BAD_STE:
	case EVT_F_STREAM_DISABLED:
	case EVT_F_TRANSL_FORBIDDEN:
	case EVT_C_BAD_CD:
	case EVT_F_CD_FETCH:
		return VIRTIO_IOMMU_FAULT_R_DOMAIN;
	default:
		return VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	}
}

void viommu_report_event(struct vm *vm, const struct smmu_event *ev)
{
	struct viommu_dev *d = dev_of[vm->id];
	struct virtio_iommu_fault f = { .reason = fault_reason(ev->type) };

	if (!d)
		return;
	for (unsigned ep = 0; ep < d->ctx.n_ep; ep++)
		if (d->ep_sid[ep] == ev->sid)
			f.endpoint = d->ep[ep].id;
	if (ev->flags & SMMU_EVF_ACCESS)
		f.flags = (ev->flags & SMMU_EVF_WRITE) ? VIRTIO_IOMMU_FAULT_F_WRITE
						       : VIRTIO_IOMMU_FAULT_F_READ;
	if (ev->flags & SMMU_EVF_ADDR) {
		f.flags |= VIRTIO_IOMMU_FAULT_F_ADDRESS;
		f.address = ev->addr;
	}
	spin_lock(&d->lock);
	if (virtio_queue_fill(&d->t, VIRTIO_IOMMU_EVENTQ, &f, sizeof(f)))
		d->stats.faults_sent++;
	spin_unlock(&d->lock);
}

/* ns per event at the counter's frequency (under -icount shift=0: instructions). */
static u64 per(u64 ticks, u64 n)
{
	return n ? ticks * 1000000000ULL / timer_frequency() / n : 0;
}

bool viommu_cost_line(struct vm *vm, char *buf, size_t len)
{
	struct viommu_dev *d = dev_of[vm->id];
	const struct viommu_stats *s;
	u64 maps, unmaps;

	if (!d)
		return false;
	s = &d->stats;
	maps = s->requests[VIRTIO_IOMMU_T_MAP];
	unmaps = s->requests[VIRTIO_IOMMU_T_UNMAP];
	fmt_snprintf(buf, len, "%s: virtio-iommu ns each: map validate %lu table %lu, unmap "
		     "validate %lu table+tlbi %lu, sync %lu per unmap, notification %lu (%lu)",
		     vm->cfg->name, per(s->ticks[VIRTIO_IOMMU_T_MAP][COST_VALIDATE], maps),
		     per(s->ticks[VIRTIO_IOMMU_T_MAP][COST_TABLE], maps),
		     per(s->ticks[VIRTIO_IOMMU_T_UNMAP][COST_VALIDATE], unmaps),
		     per(s->ticks[VIRTIO_IOMMU_T_UNMAP][COST_TABLE], unmaps),
		     per(s->sync_ticks, unmaps), per(s->notify_ticks, s->notifies), s->notifies);
	return true;
}

bool viommu_stats_line(struct vm *vm, char *buf, size_t len)
{
	struct viommu_dev *d = dev_of[vm->id];
	const struct viommu_stats *s;

	if (!d)
		return false;
	s = &d->stats;
	fmt_snprintf(buf, len, "%s: virtio-iommu: %lu attach, %lu detach, %lu map, %lu unmap, "
		     "%lu probe (%lu refused), %lu syncs, %lu faults sent, %lu dropped, %lu "
		     "mappings, %lu table pages", vm->cfg->name,
		     s->requests[VIRTIO_IOMMU_T_ATTACH], s->requests[VIRTIO_IOMMU_T_DETACH],
		     s->requests[VIRTIO_IOMMU_T_MAP], s->requests[VIRTIO_IOMMU_T_UNMAP],
		     s->requests[VIRTIO_IOMMU_T_PROBE],
		     s->refused[0] + s->refused[1] + s->refused[2] + s->refused[3] +
			     s->refused[4] + s->refused[5],
		     s->syncs, s->faults_sent, d->t.stats.fill_dropped, (u64)d->st.n_mappings,
		     (u64)d->tables.used);
	return true;
}
