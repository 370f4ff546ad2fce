#include "core/vm/vm_iommu.h"

#include "core/lib/errno.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vm/vm.h"
#include "core/vm/guest_layout.h"
#include "core/vm/vm_device.h"
#include "drivers/gic/its.h"
#include "drivers/pci/pci.h"
#include "drivers/timer/timer.h"
#include "iommu/smmuv3/smmuv3.h"

/* ASIDs of the hypervisor-owned stage-1 contexts: one per VM, numbered like its VMID. */
static u16 vm_asid(const struct vm *vm) { return vm_vmid(vm); }

static bool uses_stage1(void)
{
	return !smmu_has_s2();
}

static void add_bar_range(struct vm_bar_range *r, unsigned *n, u64 base, u64 size)
{
	unsigned i = (*n)++;

	for (; i > 0 && r[i - 1].base > base; i--)
		r[i] = r[i - 1];
	r[i] = (struct vm_bar_range){ base, size };
}

/* Join ranges that overlap or touch (two small BARs in one page). */
static unsigned merge_bar_ranges(struct vm_bar_range *r, unsigned n)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		struct vm_bar_range *last = out ? &r[out - 1] : NULL;

		if (last && r[i].base <= last->base + last->size)
			last->size = MAX(last->size, r[i].base + r[i].size - last->base);
		else
			r[out++] = r[i];
	}
	return out;
}

unsigned vm_pci_bar_ranges(const struct vm *vm, struct vm_bar_range *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vm->cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);

		for (unsigned b = 0; d && b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &d->bar[b];
			u64 base = ALIGN_DOWN(bar->pa.v, PAGE_SIZE);

			if (!bar->size || (bar->flags & PCI_BAR_F_IO) ||
			    !(bar->flags & PCI_BAR_F_ASSIGNED))
				continue;
			add_bar_range(r, &n, base, ALIGN_UP(bar->pa.v + bar->size, PAGE_SIZE) - base);
		}
	}
	return merge_bar_ranges(r, n);
}

/* What a device may reach beside the VM's RAM, at the addresses the VM sees it: its MMIO
 * regions and its devices' BARs (peer to peer), as its CPUs do. */
static int map_device_memory(struct vm *vm)
{
	struct vm_bar_range bars[VM_MAX_BAR_RANGES];
	unsigned n = vm_pci_bar_ranges(vm, bars);
	int ret = 0;

	for (unsigned i = 0; i < vm->cfg->n_mmio && !ret; i++)
		ret = pgt_map(&vm->dma, vm->cfg->mmio[i].ipa.v, vm->cfg->mmio[i].pa,
			      vm->cfg->mmio[i].size, PGT_READ | PGT_WRITE | PGT_DEVICE);
	for (unsigned i = 0; i < n && !ret; i++)
		ret = pgt_map(&vm->dma, bars[i].base, pa(bars[i].base), bars[i].size,
			      PGT_READ | PGT_WRITE | PGT_DEVICE);
	return ret;
}

/* The devices' own table, never the CPUs' (a CPU must not reach the doorbell: on hardware
 * its writes there carry an IMPLEMENTATION DEFINED DeviceID): the VM's RAM, MMIO and BARs
 * at its guest-physical addresses and, when the ITS is up, the doorbell page. Stage 2 if
 * the SMMU has it, else a hypervisor-owned stage 1. */
static int build_dma_table(struct vm *vm)
{
	bool s1 = uses_stage1();
	int ret;

	alloc_pgt_pool_init(&vm->dma_pool, vm->cfg->name, DMA_TABLE_PAGES);
	vm->dma.clean_to_poc = !smmu_walk_coherent();
	ret = pgt_init(&vm->dma, s1 ? PGT_FMT_SMMU_S1 : PGT_FMT_S2, vm->s2.ias, &vm->dma_pool,
		       alloc_pgt_root);
	for (unsigned i = 0; i < vm->cfg->n_ram && !ret; i++)
		ret = pgt_map(&vm->dma, vm->cfg->ram[i].ipa.v, vm->ram_pa[i], vm->cfg->ram[i].size,
			      PGT_READ | PGT_WRITE);
	if (!ret)
		ret = map_device_memory(vm);
	if (!ret && its_ready())
		ret = pgt_map(&vm->dma, GUEST_ITS_DOORBELL, its_doorbell(), PAGE_SIZE,
			      PGT_WRITE | PGT_DEVICE);
	if (!ret) {
		vm->dma.tlb = s1 ? &smmu_s1_tlb_ops : &smmu_s2_tlb_ops;
		vm->dma.tlb_ctx = s1 ? smmu_tlb_ctx(0, vm_asid(vm)) : smmu_tlb_ctx(0, vm_vmid(vm));
	}
	return ret;
}

const struct pci_dev *vm_pci_dev(const struct vm *vm, unsigned i)
{
	return pci_find((u16)vm->cfg->pci_bdf[i]);
}

int vm_iommu_init(struct vm *vm)
{
	if (!vm->cfg->n_pci)
		return 0;
	if (!smmu_present()) {
		log_err("vm '%s': has PCI devices but no SMMU isolates their DMA\n", vm->cfg->name);
		return -E_NODEV;
	}
	return build_dma_table(vm);
}

int vm_iommu_identity(struct vm *vm, u32 sid)
{
	return uses_stage1() ? smmu_set_s1(sid, vm_asid(vm), &vm->dma)
			     : smmu_set_s2(sid, vm_vmid(vm), &vm->dma);
}

/* Point d's streams at the isolation-mode translation: its own and its DMA alias's (PCI
 * Express to PCI/PCI-X Bridge 1.0, 2.3: behind a PCIe-to-PCI bridge its DMA arrives as the
 * alias; vpci_check_configs saw that the alias has a StreamID no other VM's device uses). */
static int identity_streams(struct vm *vm, const struct pci_dev *d)
{
	int ret = vm_iommu_identity(vm, d->sid);

	if (!ret && d->has_alias_sid)
		ret = vm_iommu_identity(vm, d->alias_sid);
	return ret;
}

int vm_iommu_attach(struct vm *vm)
{
	bool guest_programmed = vm->cfg->virtio_iommu;

	for (unsigned i = 0; i < vm->cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);
		int ret;

		if (!d || !d->has_sid)
			continue; /* vpci_check_configs refused it: no StreamID, no isolation */
		ret = guest_programmed ? 0 : identity_streams(vm, d);
		if (!ret)
			ret = pci_set_bus_master(d->bdf, true);
		if (ret) {
			log_err("vm '%s': StreamID 0x%x: cannot set up DMA isolation (%s)\n",
				vm->cfg->name, d->sid, err_name(ret));
			return ret;
		}
	}
	/* With a virtio-iommu the guest decides: its start puts every stream in no domain. */
	return 0;
}

/* The StreamIDs d's DMA may carry: its own, its DMA alias's and the aliasing bridge's (a
 * virtio-iommu endpoint too). Returns how many, at most DEV_MAX_STREAMS. */
#define DEV_MAX_STREAMS 3
static unsigned dev_streams(const struct pci_dev *d, u32 sid[DEV_MAX_STREAMS])
{
	unsigned n = 0;

	if (d->has_sid)
		sid[n++] = d->sid;
	if (d->has_alias_sid)
		sid[n++] = d->alias_sid;
	if (d->has_alias && d->alias_bridge->has_sid)
		sid[n++] = d->alias_bridge->sid;
	return n;
}

/* ---- Fault storms (vm_iommu.h) ---- */

/* Pause or resume every stream of the VM's: its devices', their DMA aliases' and the
 * aliasing bridges' (a virtio-iommu endpoint too); with vm->storm.lock held. */
static void storm_streams(struct vm *vm, int (*change)(u32 sid))
{
	for (unsigned i = 0; i < vm->cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);
		u32 sid[DEV_MAX_STREAMS];

		for (unsigned k = 0, n = d ? dev_streams(d, sid) : 0; k < n; k++)
			change(sid[k]);
	}
}

static void storm_resume(struct vm *vm, u64 now)
{
	storm_streams(vm, smmu_resume_stream);
	vm->storm.resumed_at_us = now;
	vm->storm.window_us = now;
	vm->storm.events = 0;
	__atomic_store_n(&vm->storm.paused, false, __ATOMIC_RELAXED);
}

/* One more SMMU event of the VM's (from the event interrupt, on CPU 0). */
static void storm_count(struct vm *vm)
{
	u64 now = timer_now_us();
	struct dma_storm *s = &vm->storm;

	spin_lock(&s->lock);
	if (now - s->window_us >= STORM_WINDOW_US) {
		s->window_us = now;
		s->events = 0;
	}
	if (!s->paused && ++s->events > STORM_EVENTS) {
		/* Right after a pause, the storm went on: the next one lasts longer. */
		bool again = s->pauses && now - s->resumed_at_us < 1000ULL * STORM_AGAIN_MS;

		s->pause_ms = again ? MIN(2 * s->pause_ms, STORM_PAUSE_MAX_MS) : STORM_PAUSE_MIN_MS;
		s->resume_at_us = now + 1000ULL * s->pause_ms;
		s->pauses++;
		storm_streams(vm, smmu_pause_stream);
		__atomic_store_n(&s->paused, true, __ATOMIC_RELAXED);
		if (log_sampled(s->pauses - 1))
			log_warn("vm '%s': its devices made over %u SMMU faults in %u ms: their DMA "
				 "is paused for %u ms (%lu pauses so far)\n", vm->cfg->name,
				 STORM_EVENTS, STORM_WINDOW_US / 1000, s->pause_ms, s->pauses);
	}
	spin_unlock(&s->lock);
}

/* Every caller runs at EL2 with interrupts masked (an exit, the event interrupt, a stop),
 * so the storm lock needs no masking of its own. */
void vm_iommu_storm_resume_due(struct vm *vm)
{
	u64 now = timer_now_us();

	if (now < vm->storm.resume_at_us)
		return;
	spin_lock(&vm->storm.lock);
	if (vm->storm.paused && now >= vm->storm.resume_at_us)
		storm_resume(vm, now);
	spin_unlock(&vm->storm.lock);
}

/* A stopping VM's pause ends at once: its streams then abort for the stop itself. */
static void storm_end(struct vm *vm)
{
	spin_lock(&vm->storm.lock);
	if (vm->storm.paused)
		storm_resume(vm, timer_now_us());
	spin_unlock(&vm->storm.lock);
}

static void abort_stream(const struct vm *vm, u32 sid)
{
	if (smmu_set_abort(sid))
		log_err("vm '%s': StreamID 0x%x did not go to abort\n", vm->cfg->name, sid);
}

void vm_iommu_detach(struct vm *vm)
{
	storm_end(vm);
	for (unsigned i = 0; i < vm->cfg->n_pci; i++) {
		const struct pci_dev *d = vm_pci_dev(vm, i);
		u32 sid[DEV_MAX_STREAMS];

		if (!d)
			continue;
		pci_set_bus_master(d->bdf, false);
		for (unsigned k = 0, n = dev_streams(d, sid); k < n; k++)
			abort_stream(vm, sid[k]);
	}
}

static bool dev_uses_stream(const struct pci_dev *d, u32 sid)
{
	u32 own[DEV_MAX_STREAMS];

	for (unsigned k = 0, n = dev_streams(d, own); k < n; k++)
		if (own[k] == sid)
			return true;
	return false;
}

static struct vm *owner_of(u32 sid)
{
	for (unsigned i = 0; i < n_vms; i++)
		for (unsigned j = 0; j < vms[i].cfg->n_pci; j++) {
			const struct pci_dev *d = vm_pci_dev(&vms[i], j);

			if (d && dev_uses_stream(d, sid))
				return &vms[i];
		}
	return NULL;
}

/* A device can fault on every transfer: each VM's events are sampled (log_sampled) on
 * their own, so one VM's faulting device does not hide another's faults. */
static void on_event(const struct smmu_event *ev)
{
	static unsigned long seen[VM_MAX + 1]; /* [VM_MAX]: streams no VM owns */
	struct vm *vm = owner_of(ev->sid);
	unsigned long n = seen[vm ? vm->id : VM_MAX]++;

	if (vm) {
		storm_count(vm);
		vm_devices_dma_fault(vm, ev);
	}
	if (!log_sampled(n))
		return;
	log_warn("SMMU: %s from StreamID 0x%x (%s%s%s) at %s %lx%s (event %lu)\n", ev->name, ev->sid,
		 vm ? "vm '" : "no VM", vm ? vm->cfg->name : "", vm ? "'" : "",
		 (ev->flags & SMMU_EVF_S2) ? "IPA" : "address",
		 (ev->flags & SMMU_EVF_IPA) ? ev->ipa : ev->addr,
		 (ev->flags & SMMU_EVF_ACCESS) ? ((ev->flags & SMMU_EVF_WRITE) ? ", write" : ", read") : "",
		 n + 1);
}

void vm_iommu_report_events(void)
{
	smmu_set_event_handler(on_event);
}
