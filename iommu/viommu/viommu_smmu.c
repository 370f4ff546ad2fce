/*
 * The SMMU backend of a VM's virtio-iommu (iommu/viommu/viommu_backend.h): the table arena,
 * domains as SMMU translation contexts in the slots the state gives them, and each op of the
 * request model carried out on them. docs/viommu.md "Replay" says why a domain is what it
 * is in each SMMU configuration. Called with the device's lock held.
 */
#include "iommu/viommu/viommu_dev_internal.h"

#include "arch/arch.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vm.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/its.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_regs.h"

/* ---- the table arena ---- */

static struct viommu_dev *dev_of_pool(struct pgt_pool *pool)
{
	return CONTAINER_OF(pool, struct viommu_dev, tables);
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

static struct smmu_cd *cd_slot(struct viommu_dev *d, unsigned slot)
{
	struct smmu_cd *cds = pa_to_va(d->arena);

	return &cds[slot];
}

/* ---- domains in the SMMU ---- */

static u16 dom_asid(const struct viommu_dev *d, unsigned slot)
{
	return (u16)(VIOMMU_ASID_BASE + d->vm->id * VIOMMU_MAX_ENDPOINTS + slot);
}

static u16 dma_vmid(const struct viommu_dev *d) { return (u16)(VIOMMU_VMID_BASE + vm_vmid(d->vm)); }

/* The VMID that tags a domain's stage-1 TLB entries: the devices' stage 2's when nested, 0
 * (the hypervisor's own stage-1 contexts) otherwise. */
static u16 s1_vmid(const struct viommu_dev *d) { return d->nested ? dma_vmid(d) : 0; }

/* The domain in op's slot, if that slot holds op's domain. */
static struct hw_domain *slot_domain(struct viommu_dev *d, const struct viommu_op *op)
{
	struct hw_domain *h = op->slot < VIOMMU_MAX_ENDPOINTS ? &d->dom[op->slot] : NULL;

	return h && h->used && h->id == op->domain ? h : NULL;
}

/* ... and it has a table (it is no bypass domain). */
static struct hw_domain *table_domain(struct viommu_dev *d, const struct viommu_op *op)
{
	struct hw_domain *h = slot_domain(d, op);

	return h && !h->bypass ? h : NULL;
}

/* A domain's invalidation: its TLBI commands are staged in the device, and the CMD_SYNC
 * that completes them (viommu_sync_now) writes them to the command queue with it. When the
 * VM measures costs, this is the SMMU invalidation's share, apart from the table update's
 * (docs/performance.md). */
static int stage_inv_range(void *ctx, u64 ia, u64 size, bool leaf)
{
	struct hw_domain *h = ctx;
	struct viommu_dev *d = h->dev;
	cost_t t0 = viommu_now(d);
	int ret = 0;

	if (d->n_staged > ARRAY_SIZE(d->staged) - SMMU_TLBI_MAX_CMDS) {
		ret = smmu_issue(d->staged, d->n_staged, false);
		d->n_staged = 0;
		d->stage_err = d->stage_err ? d->stage_err : ret;
	}
	if (!ret)
		d->n_staged += smmu_tlbi_s1_cmds(&d->staged[d->n_staged], h->vmid, h->asid, ia,
						 size, leaf);
	d->sync_owed = true;
	d->stats.tlbi_cost += (cost_t)(viommu_now(d) - t0);
	return ret;
}

/* The table engine's own sync (break-before-make): the staged commands, then CMD_SYNC. */
static int stage_sync(void *ctx)
{
	struct hw_domain *h = ctx;
	struct viommu_dev *d = h->dev;
	cost_t t0 = viommu_now(d);
	int ret = viommu_sync_now(d);

	d->stats.tlbi_cost += (cost_t)(viommu_now(d) - t0);
	return ret;
}

/* Table pages given up after an invalidation failed (pgt_pool.leaked): logged sampled,
 * since a broken SMMU fails every one. */
static void log_leak(struct viommu_dev *d, const char *what, int err)
{
	if (log_sampled(d->leak_reports++))
		log_err("vm '%s': virtio-iommu: %s failed (%s): table pages kept, never freed "
			"(%lu so far)\n", d->vm->cfg->name, what, err_name(err),
			(unsigned long)d->tables.leaked);
}

/* A slot whose domain's ASID invalidation failed may still have TLB entries under that
 * ASID: they go before the slot's next domain can be reached (SMMUv3 §4.4,
 * CMD_TLBI_NH_ASID; complete at the CMD_SYNC, §4.7). */
static int forget_stale_asid(struct viommu_dev *d, unsigned slot)
{
	int ret;

	if (!d->stale[slot])
		return 0;
	ret = smmu_tlbi_s1_all(s1_vmid(d), dom_asid(d, slot));
	if (!ret)
		ret = viommu_sync_now(d);
	if (!ret)
		d->stale[slot] = false;
	return ret;
}

static const struct pgt_tlb_ops staged_s1_tlb_ops = { .inv_range = stage_inv_range,
						      .sync = stage_sync };

/* The doorbell in a new paging domain, where PROBE's RESV_MEM MSI region says: at its
 * guest-physical address, which stage 2 translates when nested. */
static int map_doorbell(struct viommu_dev *d, struct hw_domain *h)
{
	pa_t out = d->nested ? pa(GUEST_ITS_DOORBELL) : its_doorbell();

	if (!d->vm->msi)
		return 0;
	return pgt_map(&h->pgt, GUEST_ITS_DOORBELL, out, PAGE_SIZE, PGT_WRITE | PGT_DEVICE);
}

static int create(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	unsigned slot = op->slot;
	struct hw_domain *h;
	int ret;

	if (slot >= VIOMMU_MAX_ENDPOINTS || d->dom[slot].used)
		return -E_INVAL; /* the state gave a slot the hardware still uses */
	ret = forget_stale_asid(d, slot);
	if (ret)
		return ret;
	h = &d->dom[slot];
	*h = (struct hw_domain){ .bypass = op->bypass, .id = op->domain, .dev = d };
	if (!op->bypass) {
		h->pgt.clean_to_poc = !smmu_walk_coherent();
		ret = pgt_init(&h->pgt, PGT_FMT_SMMU_S1, VIOMMU_IAS, &d->tables, arena_root);
		if (ret)
			return ret;
		h->pgt.keep_tables = true; /* map/unmap churn allocates nothing; see reclaim() */
		h->vmid = s1_vmid(d);
		h->asid = dom_asid(d, slot);
		h->pgt.tlb = &staged_s1_tlb_ops;
		h->pgt.tlb_ctx = h;
		if (d->nested) {
			h->pgt.walker_offset = d->window.v - d->arena.v;
			smmu_write_cd(cd_slot(d, slot), dom_asid(d, slot), &h->pgt);
		}
		ret = map_doorbell(d, h);
		if (ret) {
			pgt_destroy(&h->pgt);
			return ret;
		}
	}
	h->used = true;
	return 0;
}

/* The staged invalidations go to the command queue with a CMD_SYNC (one PROD write for
 * both): once it completes, every invalidation issued so far has, and the tables they freed
 * can be reused. If the CMD_SYNC failed, or staged commands never reached the queue, a
 * walker may still hold them (or an invalidation was skipped as CERROR_ILL, SMMUv3 §7.1,
 * which no later sync makes up for): they are leaked. */
int viommu_sync_now(struct viommu_dev *d)
{
	int ret = smmu_issue(d->staged, d->n_staged, true);

	ret = ret ? ret : d->stage_err;
	d->n_staged = 0;
	d->stage_err = 0;
	d->stats.syncs++;
	d->sync_owed = false;
	if (!ret) {
		pgt_free_deferred(&d->tables, &d->freed);
	} else if (d->freed.v) {
		pgt_leak_deferred(&d->tables, &d->freed);
		log_leak(d, "CMD_SYNC", ret);
	}
	return ret;
}

static int sync_op(void *hw) { return viommu_sync_now(hw); }

static int destroy(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	unsigned slot = op->slot;
	struct hw_domain *h = slot_domain(d, op);
	int ret = 0;

	if (!h)
		return -E_INVAL;
	if (!h->bypass) {
		ret = smmu_tlbi_s1_all(s1_vmid(d), dom_asid(d, slot));
		if (!ret)
			ret = viommu_sync_now(d);
		if (ret) {
			/* No stream uses the domain, but a walker may still hold its tables
			 * and the TLB its entries: the slot goes, the tables never. */
			pgt_leak(&h->pgt);
			d->stale[slot] = true;
			log_leak(d, "DESTROY's invalidation", ret);
		} else {
			pgt_destroy(&h->pgt);
		}
	}
	h->used = false;
	return ret;
}

/* A stream change failed: what the stream uses is unknown, so it aborts (smmu_set_*() leave
 * it so already; said again for the identity path, whose failure may be before the STE). */
static int abort_after(struct viommu_dev *d, u32 sid, int err)
{
	smmu_set_abort(sid);
	return err;
}

/* An endpoint in no domain: identity over the VM's RAM, or nothing, each access then a
 * C_BAD_STE event that reaches the guest as a DOMAIN fault (virtio 1.2, 5.13.6.9:
 * VIRTIO_IOMMU_FAULT_R_DOMAIN, "not attached to any domain"). */
int viommu_unattached(struct viommu_dev *d, unsigned ep, bool bypass)
{
	return bypass ? vm_iommu_identity(d->vm, d->ep_sid[ep])
		      : smmu_set_unconfigured(d->ep_sid[ep]);
}

static int attach(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	unsigned slot = op->slot;
	u32 sid = d->ep_sid[op->ep];

	int ret;

	if (!slot_domain(d, op))
		return -E_INVAL;
	if (d->dom[slot].bypass)
		ret = vm_iommu_identity(d->vm, sid);
	else if (d->nested)
		ret = smmu_set_nested(sid, dma_vmid(d), &d->s2,
				      ipa(d->window.v + (u64)slot * sizeof(struct smmu_cd)));
	else
		ret = smmu_set_s1(sid, dom_asid(d, slot), &d->dom[slot].pgt);
	return ret ? abort_after(d, sid, ret) : 0;
}

static int detach(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	int ret = viommu_unattached(d, op->ep, op->bypass);

	d->sync_owed = true;
	return ret ? abort_after(d, d->ep_sid[op->ep], ret) : 0;
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
	if (n && viommu_sync_now(d))
		return 0;
	return n;
}

static int map(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	struct hw_domain *h = table_domain(d, op);
	int ret;

	if (!h)
		return -E_INVAL;
	/* Neither read nor write: nothing a stage-1 entry can express; left unmapped. */
	if (!(op->prot & (PGT_READ | PGT_WRITE)))
		return 0;
	ret = pgt_map(&h->pgt, op->iova.v, map_output(d, op), op->size, op->prot);
	if (ret == -E_NOMEM && reclaim(d))
		ret = pgt_map(&h->pgt, op->iova.v, map_output(d, op), op->size, op->prot);
	return ret;
}

static int unmap(void *hw, const struct viommu_op *op)
{
	struct viommu_dev *d = hw;
	struct hw_domain *h = table_domain(d, op);
	int ret;

	if (!h)
		return -E_INVAL;
	d->sync_owed = true;
	/* The guest's mappings never overlap the doorbell (RESV_MEM), but a range of them can
	 * enclose it: unmapped around it. */
	if (d->vm->msi && op->iova.v <= GUEST_ITS_DOORBELL &&
	    GUEST_ITS_DOORBELL - op->iova.v < op->size) {
		u64 below = GUEST_ITS_DOORBELL - op->iova.v;

		ret = below ? pgt_unmap_nosync(&h->pgt, op->iova.v, below, &d->freed) : 0;
		return ret ? ret : pgt_unmap_nosync(&h->pgt, GUEST_ITS_DOORBELL + PAGE_SIZE,
						    op->size - below - PAGE_SIZE, &d->freed);
	}
	return pgt_unmap_nosync(&h->pgt, op->iova.v, op->size, &d->freed);
}

const struct viommu_backend_ops viommu_smmu_ops = {
	.create = create,
	.attach = attach,
	.detach = detach,
	.map = map,
	.unmap = unmap,
	.destroy = destroy,
	.sync = sync_op,
};

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

/* The table arena, the mapping nodes and, nested, the devices' stage 2: everything the
 * replay needs, sized by the config. */
int viommu_tables_init(struct viommu_dev *d)
{
	u32 nodes = d->vm->cfg->viommu_mappings;
	struct viommu_node *pool;

	/* Rounded up to whole bitmap words; the pool's limit is what the config said. */
	d->arena_pages = ALIGN_UP(d->vm->cfg->viommu_table_pages, 64);
	d->arena = page_alloc(d->arena_pages, 1);
	pool = page_alloc_zeroed(nodes * sizeof(*pool), 1);
	d->taken = page_alloc_zeroed(d->arena_pages / 8, 1);
	if (!d->arena.v || !pool || !d->taken)
		return -E_NOMEM;
	memset(pa_to_va(d->arena), 0, PAGE_SIZE);
	d->taken[0] = BIT(0); /* the CD page */
	d->tables = (struct pgt_pool){ .name = d->vm->cfg->name,
				       .limit = d->vm->cfg->viommu_table_pages - 1,
				       .alloc_page = arena_alloc, .free_page = arena_free };
	viommu_init(&d->st, pool, nodes);
	d->nested = smmu_has_s1() && smmu_has_s2();
	return d->nested ? build_s2(d) : 0;
}
