/*
 * A VM's virtio-iommu device: glue between the virtio-mmio transport (core/virtio/virtio_mmio.c)
 * and the pure request model (iommu/viommu/viommu_req.h), whose ops the replay
 * (iommu/viommu/viommu_replay.c) carries out on the SMMU backend (iommu/viommu/viommu_smmu.c).
 *
 * Every call runs under the device's lock: the guest's register accesses (a QueueNotify
 * serves the requests in the notifying vCPU's trap) and the VM's reset. SMMU events come
 * from the CPU that takes the SMMU's interrupt, with interrupts masked: they never wait
 * for this lock, which the guest can hold through a long batch. They are posted in a
 * hand-off box (core/lib/handoff.h) that whoever holds the lock empties into the event
 * queue when it lets go. Lock order: device, then the SMMU's own locks.
 */
#include "iommu/viommu/viommu_dev.h"
#include "iommu/viommu/viommu_dev_internal.h"

#include "arch/arch.h"
#include "core/lib/errno.h"
#include "core/lib/fmt.h"
#include "core/lib/handoff.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vgic/vgic.h"
#include "core/virtio/virtio_mmio.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/its.h"
#include "drivers/pci/pci.h"
#include "iommu/smmuv3/smmuv3.h"
#include "iommu/smmuv3/smmuv3_regs.h"
#include "iommu/viommu/viommu_req.h"

/* Per-VM sizes come from the config (docs/viommu.md "Limits"); these are the device's. */
#define VIOMMU_PROBE_SIZE 64U
#define VIOMMU_QUEUE_MAX 256U
/* A notification serves at most a queue's worth, and a failed sync reaches each status. */
_Static_assert(VIOMMU_QUEUE_MAX <= VIOMMU_BATCH_MAX && VIOMMU_QUEUE_MAX <= VIRTIO_MMIO_BATCH_MAX,
	       "a batch's requests all tracked");
/* 4 KiB pages and the 2 MiB and 1 GiB blocks the table engine makes. */
#define VIOMMU_PAGE_SIZES (SZ_4K | SZ_2M | SZ_1G)
#define VIOMMU_DOMAIN_LIMIT VIOMMU_MAX_ENDPOINTS

static struct viommu_dev *dev_of[VM_MAX];

/* ---- the device model (struct virtio_dev_ops) ---- */

/* A little-endian field of the request as the guest sent it (0 where it is short). */
static u64 field(const u8 *in, size_t in_len, size_t off, size_t size)
{
	u64 v = 0;

	if (off + size <= in_len)
		memcpy(&v, in + off, size);
	return v;
}

/* Sampled (log_sampled): the VM, the request as sent, and its status. */
static void log_refusal(struct viommu_dev *d, const struct viommu_txn *t, const u8 *in,
			size_t in_len)
{
	static const char *const names[] = { "?", "ATTACH", "DETACH", "MAP", "UNMAP", "PROBE" };
	unsigned long n = d->refusals++;
	u8 type = in[0] <= VIRTIO_IOMMU_T_PROBE ? in[0] : 0;

	if (!log_sampled(n))
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
	cost_t t0 = viommu_now(d), t1, t2;
	u64 tlbi = d->stats.tlbi_cost;

	d->ctx.features = virtio_mmio_features(&d->t);
	used = viommu_prepare(&d->st, &d->ctx, in, in_len, out, out_cap, &t);
	t1 = viommu_now(d);
	if (t.n_op)
		hw = viommu_replay(&d->hw, &t);
	t2 = viommu_now(d);
	viommu_commit(&d->st, &d->ctx, &t, hw);
	viommu_batch_add(&d->batch, &t);
	type = in_len && in[0] <= VIRTIO_IOMMU_T_PROBE ? in[0] : 0;
	tlbi = d->stats.tlbi_cost - tlbi;
	d->stats.requests[type]++;
	d->stats.cost[type][COST_VALIDATE] += (cost_t)(t1 - t0) + (cost_t)(viommu_now(d) - t2);
	d->stats.cost[type][COST_TABLE] += (cost_t)(t2 - t1) - tlbi;
	d->stats.cost[type][COST_TLBI] += tlbi;
	if (used && t.status != VIRTIO_IOMMU_S_OK) {
		d->stats.refused[type]++;
		log_refusal(d, &t, in, in_len);
	}
	return used;
}

/* After a notification's requests, before any is used: one CMD_SYNC for all their
 * invalidations (virtio-iommu rule 9). If it fails, the requests that needed it are
 * DEVERR: the IOTLB may still hold what they removed. */
static void batch_sync(void *dev, unsigned queue, u8 *const *status)
{
	struct viommu_dev *d = dev;
	cost_t t0 = viommu_now(d);
	int ret = viommu_batch_sync(&d->hw, &d->batch, d->sync_owed, status);

	if (ret && log_sampled(d->sync_failures++))
		log_err("vm '%s': virtio-iommu: CMD_SYNC failed (%s): its requests are DEVERR "
			"(%lu failed)\n", d->vm->cfg->name, err_name(ret), d->sync_failures);
	d->stats.sync_cost += (cost_t)(viommu_now(d) - t0);
}

static u32 config_read(void *dev, u32 offset, unsigned size)
{
	struct viommu_dev *d = dev;
	u32 v = 0;

	memcpy(&v, (const u8 *)&d->cfg + offset, size); /* little-endian, as the CPU */
	return v;
}

/* Endpoint ep, in no domain, gets the translation `bypass` says; if that fails its stream
 * aborts (smmu_set_*()), and the state says so. */
static void set_unattached(struct viommu_dev *d, unsigned ep)
{
	int ret = viommu_unattached(d, ep, d->ctx.bypass);

	if (ret)
		log_err("vm '%s': virtio-iommu: endpoint %x: no %s (%s): it aborts\n",
			d->vm->cfg->name, d->ep[ep].id, d->ctx.bypass ? "identity" : "abort",
			err_name(ret));
	viommu_set_aborting(&d->st, ep, ret != 0);
}

static void set_bypass(struct viommu_dev *d, bool bypass)
{
	d->ctx.bypass = bypass;
	d->cfg.bypass = bypass;
	for (unsigned ep = 0; ep < d->ctx.n_ep; ep++) {
		u32 domain;

		if (!viommu_ep_domain(&d->st, ep, &domain))
			set_unattached(d, ep);
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

/* Device reset (rule 10): every endpoint out of its domain, every domain gone, synced.
 * A failed op still ends where the state does (iommu/viommu/viommu_backend.h), but for the
 * streams it leaves aborting: those, and any cut off before, get their unattached
 * translation again. */
static void model_reset(void *dev)
{
	struct viommu_dev *d = dev;
	struct viommu_op ops[2 * VIOMMU_MAX_ENDPOINTS];
	unsigned n = viommu_reset_ops(&d->st, &d->ctx, ops, ARRAY_SIZE(ops));
	u32 failed = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!viommu_replay_op(&d->hw, &ops[i]))
			continue;
		log_err("vm '%s': virtio-iommu: reset: op %u failed\n", d->vm->cfg->name,
			ops[i].kind);
		if (ops[i].kind == VIOMMU_OP_DETACH)
			failed |= 1U << ops[i].ep;
	}
	if (d->sync_owed)
		viommu_sync_now(d);
	viommu_reset(&d->st);
	for (unsigned ep = 0; ep < d->ctx.n_ep; ep++)
		if ((failed | d->st.ep_aborting) & (1U << ep))
			set_unattached(d, ep);
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
	.status_back = sizeof(struct virtio_iommu_req_tail),
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
	unsigned long n = d->queue_errors++;

	if (log_sampled(n))
		log_warn("vm '%s': virtio-iommu: queue %u: %s: device needs reset (%lu so far)\n",
			 d->vm->cfg->name, queue, vq_status_name(why), n + 1);
}

static bool mmio_access(struct vcpu *v, void *dev, struct mmio_access *a)
{
	struct viommu_dev *d = dev;
	bool notify = a->write && a->offset == VIRTIO_MMIO_QUEUE_NOTIFY;
	cost_t t0 = viommu_now(d);
	bool ok;

	spin_lock(&d->lock);
	ok = virtio_mmio_access(&d->t, a);
	if (notify) {
		d->stats.notifies++;
		d->stats.notify_cost += (cost_t)(viommu_now(d) - t0);
		if (d->timed)
			v->exit_cost_sum = &d->stats.exit_cost;
	}
	handoff_unlock(&d->faults);
	return ok;
}

/* ---- fault delivery (virtio 1.2, 5.13.6.9) ---- */

/* Under the device's lock: the faults the SMMU's interrupt posted go to the guest. */
static void deliver_faults(struct handoff *h)
{
	struct viommu_dev *d = CONTAINER_OF(h, struct viommu_dev, faults);
	struct virtio_iommu_fault f;

	while (handoff_take(h, &f))
		if (virtio_queue_fill(&d->t, VIRTIO_IOMMU_EVENTQ, &f, sizeof(f)))
			d->stats.faults_sent++;
}

/* ---- creation ---- */

/* The VM's devices' BARs are MMIO a MAP may target (peer to peer), at their physical
 * addresses, as the VM sees them; the doorbell keeps the last place. */
static void describe_bars(struct viommu_dev *d)
{
	struct vm_bar_range bars[VM_MAX_BAR_RANGES];
	unsigned n = vm_pci_bar_ranges(d->vm, bars), i;

	for (i = 0; i < n && d->ctx.n_mmio < VIOMMU_MAX_REGIONS - 1; i++) {
		d->mmio[d->ctx.n_mmio] = (struct viommu_region){ ipa(bars[i].base), bars[i].size };
		d->mmio_pa[d->ctx.n_mmio++] = pa(bars[i].base);
	}
	if (i < n)
		log_warn("vm '%s': virtio-iommu: more BAR ranges than MMIO regions: the last not "
			 "reachable peer to peer\n", d->vm->cfg->name);
}

/* Each device, its DMA alias (a bridge's Requester ID, PCI Express to PCI/PCI-X Bridge 1.0,
 * 2.3) and the aliasing bridge are endpoints: Linux attaches every DMA alias of a device
 * behind a PCIe-to-PCI bridge, and puts the bridge in its IOMMU group (which it cannot
 * probe without it). Devices behind one bridge share the alias's and the bridge's
 * endpoints, and go to one VM (vpci_check_configs), which also saw that no two endpoints
 * share a stream: each endpoint's domain is its STE's. */
static void add_endpoint(struct viommu_dev *d, u16 rid, u32 sid)
{
	for (unsigned ep = 0; ep < d->ctx.n_ep; ep++)
		if (d->ep[ep].id == rid)
			return;
	if (d->ctx.n_ep == VIOMMU_MAX_ENDPOINTS) {
		log_err("vm '%s': virtio-iommu: more than %u endpoints: " PCI_BDF_FMT " is none\n",
			d->vm->cfg->name, VIOMMU_MAX_ENDPOINTS, PCI_BDF_ARGS(rid));
		return;
	}
	/* Endpoint ID = requester ID: the guest's iommu-map is the identity. */
	d->ep[d->ctx.n_ep] = (struct viommu_endpoint){ .id = rid };
	if (d->vm->msi)
		d->ep[d->ctx.n_ep] = (struct viommu_endpoint){ rid, &d->msi_resv, 1 };
	d->ep_sid[d->ctx.n_ep++] = sid;
}

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
	d->msi_resv = (struct viommu_resv){ VIRTIO_IOMMU_RESV_MEM_T_MSI, iova(GUEST_ITS_DOORBELL),
					    iova(GUEST_ITS_DOORBELL + PAGE_SIZE - 1) };
	d->ctx.n_mmio = cfg->n_mmio;
	describe_bars(d);
	/* A guest driver that ignores the RESV_MEM region maps its MSI doorbell itself, MMIO
	 * and write, elsewhere (Linux does without the region): the doorbell is MMIO of the
	 * VM's for that. */
	if (d->vm->msi) {
		d->mmio[d->ctx.n_mmio] = (struct viommu_region){ ipa(GUEST_ITS_DOORBELL), PAGE_SIZE };
		d->mmio_pa[d->ctx.n_mmio++] = its_doorbell();
	}
	for (unsigned i = 0; i < cfg->n_pci; i++) {
		const struct pci_dev *p = vm_pci_dev(d->vm, i);

		if (!p || !p->has_sid)
			continue;
		add_endpoint(d, p->bdf, p->sid);
		if (p->has_alias_sid)
			add_endpoint(d, p->alias_rid, p->alias_sid);
		if (p->has_alias && p->alias_bridge->has_sid)
			add_endpoint(d, p->alias_bridge->bdf, p->alias_bridge->sid);
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
	d->ctx.limits = (struct viommu_limits){ VIOMMU_DOMAIN_LIMIT, d->vm->cfg->viommu_mappings };
}

static int setup(struct viommu_dev *d)
{
	struct virtio_mmio_host host = { .mem = { guest_ram, d->vm }, .set_irq = set_irq,
					 .report = report, .ctx = d };
	const char *why;
	int ret;

	describe_vm(d);
	if (viommu_ctx_check(&d->ctx, &why)) {
		log_err("vm '%s': virtio-iommu: %s\n", d->vm->cfg->name, why);
		return -E_INVAL;
	}
	ret = viommu_tables_init(d);
	if (!ret)
		ret = virtio_mmio_init(&d->t, &viommu_ops, d, &host);
	if (!ret)
		ret = emul_register(d->vm, GUEST_VIRTIO_BASE, GUEST_VIRTIO_SIZE, mmio_access, d,
				    "virtio-iommu");
	return ret;
}

/* The ASIDs (VIOMMU_ASID_BASE and up) and, nested, the VMID (VIOMMU_VMID_BASE and up) the
 * replay gives vm's domains fit the SMMU's widths; else every ATTACH would fail
 * (smmu_set_*: -E_RANGE), so the device is not created and boot says why, once. */
static bool ids_fit(const struct vm *vm)
{
	u32 asid = VIOMMU_ASID_BASE + (vm->id + 1) * VIOMMU_MAX_ENDPOINTS - 1;
	u32 vmid = VIOMMU_VMID_BASE + vm_vmid(vm);
	bool nested = smmu_has_s2();

	if (!(asid >> smmu_asid_bits()) && (!nested || !(vmid >> smmu_vmid_bits())))
		return true;
	log_err("vm '%s': virtio-iommu needs %s up to 0x%x; the SMMU has %u-bit ASIDs and "
		"%u-bit VMIDs (SMMU_IDR0.ASID16, VMID16): not created\n", vm->cfg->name,
		asid >> smmu_asid_bits() ? "ASIDs" : "VMIDs", asid >> smmu_asid_bits() ? asid : vmid,
		smmu_asid_bits(), smmu_vmid_bits());
	return false;
}

static int viommu_vm_init(struct vm *vm)
{
	struct viommu_dev *d;
	int ret;

	if (!vm->cfg->virtio_iommu)
		return 0;
	if (!smmu_has_s1()) {
		log_err("vm '%s': virtio-iommu needs an SMMU with stage 1\n", vm->cfg->name);
		return -E_NODEV;
	}
	if (!ids_fit(vm))
		return -E_NODEV;
	d = page_alloc_zeroed(sizeof(*d), 1);
	if (!d)
		return -E_NOMEM;
	d->vm = vm;
	d->hw = (struct viommu_backend){ &viommu_smmu_ops, d };
	d->timed = vm->cfg->measure_costs;
	handoff_init(&d->faults, &d->lock, sizeof(struct virtio_iommu_fault), deliver_faults);
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

static int viommu_vm_start(struct vm *vm)
{
	struct viommu_dev *d = dev_of[vm->id];
	int ret = 0;

	if (!d)
		return 0;
	spin_lock(&d->lock);
	for (unsigned ep = 0; ep < d->ctx.n_ep && !ret; ep++)
		ret = viommu_unattached(d, ep, d->ctx.bypass);
	handoff_unlock(&d->faults);
	return ret;
}

static void viommu_vm_reset(struct vm *vm)
{
	struct viommu_dev *d = dev_of[vm->id];

	if (!d)
		return;
	spin_lock(&d->lock);
	virtio_mmio_reset(&d->t);
	d->ctx.bypass = false;
	d->cfg.bypass = 0;
	handoff_unlock(&d->faults);
}

/* ---- SMMU events as faults ---- */

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

static void viommu_report_event(struct vm *vm, const struct smmu_event *ev)
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
	handoff_post(&d->faults, &f);
}

static u64 per(u64 sum, u64 n) { return n ? cost_in_unit(sum) / n : 0; }

static bool viommu_cost_line(struct vm *vm, char *buf, size_t len)
{
	struct viommu_dev *d = dev_of[vm->id];
	const struct viommu_stats *s;
	const u64 *map, *unmap;
	u64 maps, unmaps, exit_cost;

	if (!d || !d->timed)
		return false;
	s = &d->stats;
	map = s->cost[VIRTIO_IOMMU_T_MAP];
	unmap = s->cost[VIRTIO_IOMMU_T_UNMAP];
	maps = s->requests[VIRTIO_IOMMU_T_MAP];
	unmaps = s->requests[VIRTIO_IOMMU_T_UNMAP];
	exit_cost = __atomic_load_n(&s->exit_cost, __ATOMIC_RELAXED);
	fmt_snprintf(buf, len, "%s: virtio-iommu %s each: map validate %lu table %lu tlbi %lu, "
		     "unmap validate %lu table %lu tlbi %lu, sync %lu per unmap, notification "
		     "trap %lu handler %lu (%lu)", vm->cfg->name, cost_unit(),
		     per(map[COST_VALIDATE], maps), per(map[COST_TABLE], maps),
		     per(map[COST_TLBI], maps), per(unmap[COST_VALIDATE], unmaps),
		     per(unmap[COST_TABLE], unmaps), per(unmap[COST_TLBI], unmaps),
		     per(s->sync_cost, unmaps),
		     per(exit_cost > s->notify_cost ? exit_cost - s->notify_cost : 0, s->notifies),
		     per(s->notify_cost, s->notifies), s->notifies);
	return true;
}

static bool viommu_stats_line(struct vm *vm, char *buf, size_t len)
{
	struct viommu_dev *d = dev_of[vm->id];
	const struct viommu_stats *s;
	u64 refused = 0;

	if (!d)
		return false;
	s = &d->stats;
	for (unsigned i = 0; i < ARRAY_SIZE(s->refused); i++)
		refused += s->refused[i];
	fmt_snprintf(buf, len, "%s: virtio-iommu: %lu attach, %lu detach, %lu map, %lu unmap, "
		     "%lu probe (%lu refused), %lu syncs, %lu faults sent, %lu dropped (%lu while "
		     "busy), %lu mappings, %lu table pages (%lu leaked)", vm->cfg->name,
		     s->requests[VIRTIO_IOMMU_T_ATTACH], s->requests[VIRTIO_IOMMU_T_DETACH],
		     s->requests[VIRTIO_IOMMU_T_MAP], s->requests[VIRTIO_IOMMU_T_UNMAP],
		     s->requests[VIRTIO_IOMMU_T_PROBE], refused, s->syncs, s->faults_sent,
		     d->t.stats.fill_dropped, d->faults.dropped, (u64)d->st.n_mappings,
		     (u64)d->tables.used, (u64)d->tables.leaked);
	return true;
}

static bool viommu_stats(struct vm *vm, unsigned k, char *buf, size_t len)
{
	return k == 0 ? viommu_stats_line(vm, buf, len)
		      : k == 1 && viommu_cost_line(vm, buf, len);
}

const struct vm_device_ops viommu_device = {
	.name = "virtio-iommu",
	.init = viommu_vm_init,
	.start = viommu_vm_start,
	.stop = viommu_vm_reset,
	.dma_fault = viommu_report_event,
	.stats_line = viommu_stats,
};
