/*
 * Host tests of the VM model: core/vm/vm.c (creation, boot, stop and restart), core/vm/vpsci.c
 * (the guest's PSCI), core/vm/vm_device.c (the devices' ops), core/vm/vcpu.c (a vCPU's reset
 * registers, its kick) and core/vm/stage2.c, built as shipped over arch/fake (the EL1
 * context, the CPUs, the TLB). What they drive from beside or above the arch is doubled
 * here: image loading, isolation mode, the GIC and SMMU drivers, the timer. Devices are
 * doubles registered through the real registry, so every test sees the order of what was
 * called on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/cpu.h"
#include "arch/fake/fake.h"
#include "arch/guest_regs.h"
#include "arch/psci.h"
#include "arch/sysreg.h"
#include "arch/tlb.h"
#include "arch/vcpu_ctx.h"
#include "core/lib/ranges.h"
#include "core/mm/alloc.h"
#include "core/vm/stage2.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm.h"
#include "core/vm/vm_device.h"
#include "core/vm/vm_image.h"
#include "core/vm/vm_iommu.h"
#include "drivers/gic/gicv3.h"
#include "drivers/timer/timer.h"
#include "iommu/smmuv3/smmuv3.h"

#define RAM_PAGES 4096U /* 16 MiB of host memory for the allocator */
#define ENTRY 0x40080000ULL
#define DTB_IPA 0x48000000ULL
#define PSCI_CPU_ON_64 0xC4000003ULL
#define PSCI_SYSTEM_OFF 0x84000008ULL
#define PSCI_SYSTEM_RESET 0x84000009ULL

/* ---- what happened, in order ---- */

static char events[64][32];
static unsigned n_events;

static void event(const char *fmt, const char *what)
{
	if (n_events < 64)
		snprintf(events[n_events++], sizeof(events[0]), fmt, what);
}

/* The index of the first event named e, or -1. */
static int at(const char *e)
{
	for (unsigned i = 0; i < n_events; i++)
		if (!strcmp(events[i], e))
			return (int)i;
	return -1;
}

static void assert_before(const char *a, const char *b)
{
	int i = at(a), j = at(b);

	if (i < 0 || j < 0 || i >= j)
		fail_msg("'%s' (%d) should come before '%s' (%d)", a, i, b, j);
}

/* ---- doubles of what the VM model drives ---- */

int vm_load_images(struct vm *vm)
{
	vm->entry = ENTRY;
	vm->dtb_ipa = DTB_IPA;
	event("%s", "images loaded");
	return 0;
}
int vm_iommu_init(struct vm *vm) { (void)vm; return 0; }
int vm_iommu_attach(struct vm *vm) { (void)vm; event("%s", "DMA attached"); return 0; }
void vm_iommu_detach(struct vm *vm) { (void)vm; event("%s", "DMA detached"); }
void vm_iommu_storm_resume_due(struct vm *vm) { (void)vm; } /* no device, no storm */
u64 timer_counter(void) { return 1000; }

/* No SMMU: no device walks the VMs' stage 2. */
bool smmu_present(void) { return false; }
bool smmu_has_s2(void) { return false; }
int smmu_tlbi_s2(u16 vmid, u64 ipa, u64 size, bool leaf)
{
	(void)vmid, (void)ipa, (void)size, (void)leaf;
	return 0;
}
int smmu_sync(void) { return 0; }

/* The GIC driver: the kick is an SGI to the vCPU's CPU. The vCPU loop's interrupts are
 * not exercised here. */
int gic_set_handler(unsigned intid, irq_handler_t fn, void *ctx)
{
	(void)intid, (void)fn, (void)ctx;
	return 0;
}
int gic_set_forwarded(unsigned intid, irq_handler_t fn, void *ctx)
{
	return gic_set_handler(intid, fn, ctx);
}
int gic_disable_local(unsigned intid) { (void)intid; return 0; }
int gic_enable_local(unsigned intid) { (void)intid; return 0; }
void irq_handle(void) {}

static u64 sgi_targets[64];
static unsigned n_sgis;
void gic_send_sgi(unsigned intid, u64 mpidr)
{
	(void)intid;
	if (n_sgis < 64)
		sgi_targets[n_sgis++] = mpidr;
}

static unsigned sgis_to(u64 mpidr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_sgis; i++)
		n += sgi_targets[i] == mpidr;
	return n;
}


/* Two device types, so that their order shows. */
static int dev_a_init(struct vm *vm) { (void)vm; event("%s", "a init"); return 0; }
static int dev_a_start(struct vm *vm) { (void)vm; event("%s", "a start"); return 0; }
static void dev_a_stop(struct vm *vm) { (void)vm; event("%s", "a stop"); }
static void dev_a_reset(struct vm *vm) { (void)vm; event("%s", "a reset"); }
static int dev_b_init(struct vm *vm) { (void)vm; event("%s", "b init"); return 0; }
static int dev_b_start(struct vm *vm) { (void)vm; event("%s", "b start"); return 0; }
static void dev_b_stop(struct vm *vm) { (void)vm; event("%s", "b stop"); }
static void dev_b_reset(struct vm *vm) { (void)vm; event("%s", "b reset"); }

static const struct vm_device_ops dev_a = { "a", dev_a_init, dev_a_start, dev_a_stop,
					    dev_a_reset, NULL, NULL };
static const struct vm_device_ops dev_b = { "b", dev_b_init, dev_b_start, dev_b_stop,
					    dev_b_reset, NULL, NULL };

/* ---- a VM of three vCPUs on CPUs 1-3 ---- */

static u8 *ram;
static pa_t ram_pa;
static struct vm_configs cfgs;
static struct vm *vm;

static int setup_group(void **state)
{
	struct range_set set = { .n = 0 };

	(void)state;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		cpus[i].mpidr = 0x100 + i; /* this is CPU 0 (arch/fake) */
	ram = aligned_alloc(SZ_2M, (size_t)RAM_PAGES * PAGE_SIZE);
	if (!ram || ranges_add(&set, pa((u64)(uintptr_t)ram), (u64)RAM_PAGES * PAGE_SIZE) ||
	    alloc_init(&set))
		return -1;
	vm_device_register(&dev_a);
	vm_device_register(&dev_b);
	cfgs = (struct vm_configs){ .n = 1 };
	cfgs.vm[0] = (struct vm_config){ .name = "guest", .n_cpus = 3, .cpus = { 1, 2, 3 },
					 .n_ram = 1 };
	cfgs.vm[0].ram[0] = (struct vm_ram_cfg){ .ipa = ipa(0x40000000), .size = SZ_2M };
	n_events = 0;
	assert_int_equal(vm_create_all(&cfgs), 0);
	vm = &vms[0];
	return n_vms == 1 ? 0 : -1;
}

static int teardown_group(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

/* A PSCI call from vCPU v, as its HVC trap makes it; x0 after the call. */
static s64 psci(unsigned v, u64 fn, u64 a1, u64 a2, u64 a3)
{
	struct vcpu *c = &vm->vcpus[v];

	c->regs.x[0] = fn;
	c->regs.x[1] = a1;
	c->regs.x[2] = a2;
	c->regs.x[3] = a3;
	vpsci_call(c);
	return (s64)c->regs.x[0];
}

/* Every vCPU that was asked to leave the guest does, on its own CPU. */
static void vcpus_leave(void)
{
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		if (vm->vcpus[i].reset_pending)
			vm_vcpu_stopped(&vm->vcpus[i]);
}

/* ---- tests (in order: each starts where the last left the VM) ---- */

static void test_created_booted_and_devices_in_order(void **state)
{
	(void)state;
	assert_int_equal(vm->state, VM_RUNNING);
	assert_int_equal(vm->vcpus[0].power, VCPU_ON);
	assert_int_equal(vm->vcpus[0].regs.pc, ENTRY);
	assert_int_equal(vm->vcpus[0].regs.x[0], DTB_IPA);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	assert_ptr_equal(vcpu_of_cpu(2), &vm->vcpus[1]);
	assert_null(vcpu_of_cpu(0));
	/* Each vCPU's EL1 context at reset: its MPIDR, the VM's counter offset. */
	assert_int_equal(vm->vcpus[2].ctx.vmpidr & MPIDR_AFF_MASK, 2);
	assert_int_equal(vm->vcpus[2].ctx.cntvoff, 1000);
	/* The VM's RAM is in its stage 2. */
	assert_true(stage2_translate(vm, ipa(0x40000000), &ram_pa));
	/* Devices made in registration order, started once the images and DMA are in place. */
	assert_before("a init", "b init");
	assert_before("b init", "images loaded");
	assert_before("images loaded", "DMA attached");
	assert_before("DMA attached", "a start");
	assert_before("a start", "b start");
}

static void test_cpu_on(void **state)
{
	(void)state;
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 1, 0x40100000, 7), PSCI_RET_SUCCESS);
	assert_int_equal(vm->vcpus[1].power, VCPU_ON);
	assert_int_equal(vm->vcpus[1].regs.pc, 0x40100000);
	assert_int_equal(vm->vcpus[1].regs.x[0], 7);
	assert_int_equal(vm->vcpus[1].regs.pstate, PSTATE_GUEST_RESET);
	assert_true(sgis_to(cpus[2].mpidr) > 0); /* the kick: vCPU 1 runs on CPU 2 */
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 1, 0x40100000, 7), PSCI_RET_ALREADY_ON);
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 5, 0x40100000, 7), PSCI_RET_INVALID_PARAMS);
}

/* SYSTEM_RESET: every vCPU leaves the guest; the last one out stops the devices (in reverse
 * order), resets them, and only then are the images loaded again and vCPU 0 started. */
static void test_system_reset_resets_devices_before_images_reload(void **state)
{
	unsigned long tlbis = fake_tlb_invalidations;

	(void)state;
	n_events = 0;
	psci(1, PSCI_SYSTEM_RESET, 0, 0, 0);
	assert_true(vm->stopping);
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		assert_true(vm->vcpus[i].reset_pending);
	vcpus_leave();
	assert_false(vm->stopping);
	assert_int_equal(vm->resets, 1);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_before("b stop", "a stop");
	assert_before("a stop", "DMA detached");
	assert_before("DMA detached", "a reset");
	assert_before("a reset", "images loaded");
	assert_before("b reset", "images loaded");
	assert_before("images loaded", "a start");
	assert_int_equal(vm->vcpus[0].power, VCPU_ON);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	assert_int_equal(vm->vcpus[0].regs.pc, ENTRY);
	assert_true(fake_tlb_invalidations > tlbis); /* the old guest's stage 2 TLB entries */
}

/* vCPU 2 asks for a reset; vCPU 1 has already left for it when vCPU 0, still in its own
 * trap, turns vCPU 1 on: refused, or vCPU 1 would run while its VM resets. */
static void test_cpu_on_while_the_vm_stops_is_denied(void **state)
{
	(void)state;
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 1, 0x40100000, 0), PSCI_RET_SUCCESS);
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 2, 0x40100000, 0), PSCI_RET_SUCCESS);
	psci(2, PSCI_SYSTEM_RESET, 0, 0, 0);
	vm_vcpu_stopped(&vm->vcpus[1]);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 1, 0x40200000, 0), PSCI_RET_DENIED);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	assert_false(vm->vcpus[1].reset_pending);
	vcpus_leave();
	assert_int_equal(vm->resets, 2);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
}

/* SYSTEM_OFF: the devices stop, DMA is cut, nothing is reset or reloaded; a stopped VM
 * ignores further requests. */
static void test_system_off_stops_and_stays_stopped(void **state)
{
	(void)state;
	n_events = 0;
	psci(0, PSCI_SYSTEM_OFF, 0, 0, 0);
	vcpus_leave();
	assert_int_equal(vm->state, VM_STOPPED);
	assert_before("b stop", "a stop");
	assert_before("a stop", "DMA detached");
	assert_int_equal(at("a reset"), -1);
	assert_int_equal(at("images loaded"), -1);
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		assert_int_equal(vm->vcpus[i].power, VCPU_OFF);
	vm_request_stop(vm, true);
	assert_false(vm->stopping);
	assert_int_equal(psci(0, PSCI_CPU_ON_64, 1, 0x40100000, 0), PSCI_RET_DENIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_created_booted_and_devices_in_order),
		cmocka_unit_test(test_cpu_on),
		cmocka_unit_test(test_system_reset_resets_devices_before_images_reload),
		cmocka_unit_test(test_cpu_on_while_the_vm_stops_is_denied),
		cmocka_unit_test(test_system_off_stops_and_stays_stopped),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
