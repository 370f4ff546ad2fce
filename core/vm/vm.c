/*
 * VM creation and lifecycle. At boot every configured VM gets its RAM from the allocator,
 * its stage 2, its emulated devices and its images, and vCPU 0 is switched on. A stop or
 * restart (PSCI SYSTEM_OFF/RESET, or the console) is a request every vCPU of the VM
 * acknowledges on its own CPU; the last one to leave the guest finishes the job, so no CPU
 * ever changes state another CPU is running on.
 */
#include "core/vm/vm.h"

#include "arch/arch.h"
#include "arch/vcpu_ctx.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/log/log.h"
#include "core/mm/alloc.h"
#include "core/vm/stage2.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_image.h"
#include "core/vm/vm_iommu.h"
#include "drivers/timer/timer.h"

struct vm vms[VM_MAX];
unsigned n_vms;
static struct vcpu *cpu_vcpu[MAX_CPUS];

struct vcpu *vcpu_of_cpu(unsigned pcpu)
{
	return pcpu < MAX_CPUS ? cpu_vcpu[pcpu] : NULL;
}

void *vm_ram_ptr(struct vm *vm, ipa_t ip, u64 size)
{
	for (unsigned i = 0; i < vm->cfg->n_ram; i++) {
		const struct vm_ram_cfg *r = &vm->cfg->ram[i];

		if (ip.v >= r->ipa.v && size <= r->size && ip.v - r->ipa.v <= r->size - size)
			return pa_to_va(pa_add(vm->ram_pa[i], ip.v - r->ipa.v));
	}
	return NULL;
}

static int alloc_ram(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg->n_ram; i++) {
		const struct vm_ram_cfg *r = &vm->cfg->ram[i];
		u64 pages = r->size / PAGE_SIZE;
		/* 2 MiB alignment (when the size allows) lets stage 2 use block mappings. */
		u64 align = IS_ALIGNED(r->size, SZ_2M) && IS_ALIGNED(r->ipa.v, SZ_2M) ? SZ_2M / PAGE_SIZE : 1;
		int ret;

		if (r->pinned) {
			vm->ram_pa[i] = r->pa; /* claimed by claim_pinned_ram() */
		} else {
			vm->ram_pa[i] = page_alloc(pages, align);
			if (!vm->ram_pa[i].v) {
				log_err("vm '%s': cannot get %lu MiB of RAM for IPA %lx\n",
					vm->cfg->name, r->size >> 20, r->ipa.v);
				return -E_NOMEM;
			}
		}
		/* Nothing of what the memory held before may reach the guest. */
		memset(pa_to_va(vm->ram_pa[i]), 0, r->size);
		ret = stage2_map(vm, r->ipa, vm->ram_pa[i], r->size, false);
		if (ret)
			return ret;
	}
	return 0;
}

/* The devices the config passes through by address (their interrupts: the vGIC's init). */
static int map_mmio(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int ret = 0;

	for (unsigned i = 0; i < cfg->n_mmio && !ret; i++)
		ret = stage2_map(vm, cfg->mmio[i].ipa, cfg->mmio[i].pa, cfg->mmio[i].size, true);
	return ret;
}

/* Put the VM in its boot state: images loaded, vCPU 0 on at the entry point. */
static int vm_boot(struct vm *vm)
{
	int ret = vm_load_images(vm);

	if (!ret)
		ret = vm_iommu_attach(vm);
	if (!ret)
		ret = vm_devices_start(vm);
	if (ret)
		return ret;
	vm->cntvoff = timer_counter();
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		vcpu_ctx_reset(&v->ctx, i, vm->cntvoff);
		vcpu_reset_regs(v, vm->entry, vm->dtb_ipa);
		v->power = VCPU_OFF;
	}
	spin_lock(&vm->lock);
	vm->state = VM_RUNNING;
	spin_unlock(&vm->lock);
	__atomic_store_n(&vm->vcpus[0].power, VCPU_ON, __ATOMIC_RELEASE);
	return 0;
}

static int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	int ret;

	vm->cfg = cfg;
	vm->n_vcpus = cfg->n_cpus;
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].pcpu = cfg->cpus[i];
	}
	ret = stage2_init(vm);
	if (!ret)
		ret = alloc_ram(vm);
	if (!ret)
		ret = map_mmio(vm);
	if (!ret)
		ret = vm_iommu_init(vm);
	if (!ret)
		ret = vm_devices_init(vm);
	if (!ret)
		ret = vm_boot(vm);
	return ret;
}

/*
 * Take every VM's pinned RAM before any VM allocates, so that no VM's allocated RAM can land
 * on pages another VM's config pins. Returns false if cfg's pinned RAM is not all free.
 */
static bool claim_pinned_ram(const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_ram; i++) {
		const struct vm_ram_cfg *r = &cfg->ram[i];
		int ret = r->pinned ? page_claim(r->pa, r->size / PAGE_SIZE) : 0;

		if (ret) {
			log_err("vm '%s' not started: its pinned RAM at %lx is not free (%s)\n",
				cfg->name, r->pa.v, err_name(ret));
			return false;
		}
	}
	return true;
}

int vm_create_all(const struct vm_configs *cfgs)
{
	bool pinned_ok[VM_MAX];

	for (unsigned i = 0; i < cfgs->n; i++)
		pinned_ok[i] = claim_pinned_ram(&cfgs->vm[i]);
	for (unsigned i = 0; i < cfgs->n; i++) {
		struct vm *vm = &vms[n_vms];
		int ret;

		if (!pinned_ok[i])
			continue;
		vm->id = n_vms;
		ret = vm_create(vm, &cfgs->vm[i]);
		if (ret) {
			log_err("vm '%s' not started: %s\n", cfgs->vm[i].name, err_name(ret));
			continue;
		}
		for (unsigned c = 0; c < vm->n_vcpus; c++)
			cpu_vcpu[vm->vcpus[c].pcpu] = &vm->vcpus[c];
		log_info("vm '%s': %u vCPU(s) from CPU %u, %lu MiB at IPA %lx, entry %lx\n",
			 cfgs->vm[i].name, vm->n_vcpus, vm->vcpus[0].pcpu,
			 cfgs->vm[i].ram[0].size >> 20, cfgs->vm[i].ram[0].ipa.v, vm->entry);
		n_vms++;
	}
	return 0;
}

void vm_request_stop(struct vm *vm, bool restart)
{
	spin_lock(&vm->lock);
	if (vm->stopping || vm->state != VM_RUNNING) {
		spin_unlock(&vm->lock);
		return;
	}
	vm->stopping = true;
	vm->restart = restart;
	vm->stopped = 0;
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		__atomic_store_n(&vm->vcpus[i].reset_pending, true, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

/* Every vCPU is out of the guest: reset the VM's devices and boot it again, or leave it. */
static void vm_finish_stop(struct vm *vm)
{
	/* STOPPED refuses new requests until vm_boot() makes the VM RUNNING again, so the
	 * request in progress can end here, before the restarted guest could ask for another. */
	spin_lock(&vm->lock);
	vm->state = VM_STOPPED;
	vm->stopping = false;
	spin_unlock(&vm->lock);
	vm_devices_stop(vm); /* e.g. every guest-programmed domain gone from the SMMU */
	vm_iommu_detach(vm); /* no DMA from its devices until it runs again */
	if (!vm->restart) {
		log_info("vm '%s' stopped\n", vm->cfg->name);
		return;
	}
	vm->resets++;
	vm_devices_reset(vm);
	stage2_flush_tlb(vm);
	if (vm_boot(vm)) {
		log_err("vm '%s' could not be restarted\n", vm->cfg->name);
		return;
	}
	log_info("vm '%s' restarted (reset %u)\n", vm->cfg->name, vm->resets);
	vcpu_kick(&vm->vcpus[0]);
}

void vm_vcpu_stopped(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool last;

	spin_lock(&vm->lock);
	v->power = VCPU_OFF;
	v->reset_pending = false;
	last = ++vm->stopped == vm->n_vcpus;
	spin_unlock(&vm->lock);
	if (last)
		vm_finish_stop(vm);
}
