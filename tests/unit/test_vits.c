/*
 * Host tests of the virtual ITS (core/vgic/vits.c) and the vGIC's LPIs (core/vgic/vgic_irq.c,
 * vgic_mmio.c): the registers as Linux's irq-gic-v3-its driver probes them, each command
 * as the guest queues it in its own memory, what reaches the physical ITS (a double that
 * records every call), what reaches the list registers, and every refusal a hostile guest
 * can provoke: the queue goes on, nothing else changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/ich.h"
#include "core/lib/errno.h"
#include "core/vgic/vits.h"
#include "drivers/gic/gicv3_regs.h"

#define NR_VCPUS 2
#define PCPU0 4 /* vCPU i runs on physical CPU PCPU0 + i */
#define RAM_IPA 0x40000000ULL
#define RAM_BYTES (1ULL << 20)
#define QUEUE_IPA RAM_IPA                /* 4 KiB: 128 commands */
#define PROP_IPA (RAM_IPA + 0x10000)     /* the LPI configuration table */
#define DEV_A 0x10                       /* requester IDs of the VM's two devices ... */
#define DEV_B 0x18
#define PDEV_A 0x110                     /* ... and their physical DeviceIDs */
#define PDEV_B 0x118
#define LPI 8200
#define PRIO 0xa0

static struct vm vm;
static struct vm_config cfg;
static struct vits its;
static u8 *ram;
#define G ((struct vgic_locked){ &vm, 0 })

/* The VM's RAM (core/vm/vm.c's, which needs the whole VM model). */
void *vm_ram_ptr(struct vm *v, ipa_t ip, u64 size)
{
	(void)v;
	if (ip.v < RAM_IPA || size > RAM_BYTES || ip.v - RAM_IPA > RAM_BYTES - size)
		return NULL;
	return ram + (ip.v - RAM_IPA);
}

/* ---- the physical side: every call recorded ---- */

enum hw_op { KICK, MAP, MOVE, UNMAP };
struct hw_call {
	enum hw_op op;
	u32 pdevid, event;
	unsigned slot, pcpu;
};
static struct hw_call calls[512];
static unsigned n_calls;
static bool fail_map;

static void record(struct hw_call c)
{
	assert_true(n_calls < ARRAY_SIZE(calls));
	calls[n_calls++] = c;
}

static void fake_kick(struct vcpu *v) { record((struct hw_call){ KICK, 0, 0, 0, v->id }); }

static int fake_map(struct vm *v, u32 pdevid, u32 event, unsigned slot, unsigned pcpu)
{
	if (fail_map)
		return -E_TIMEOUT;
	record((struct hw_call){ MAP, pdevid, event, slot, pcpu });
	return 0;
}

static int fake_move(u32 pdevid, u32 event, unsigned pcpu)
{
	record((struct hw_call){ MOVE, pdevid, event, 0, pcpu });
	return 0;
}

static int fake_unmap(u32 pdevid, u32 event, unsigned pcpu)
{
	record((struct hw_call){ UNMAP, pdevid, event, 0, pcpu });
	return 0;
}

static const struct vgic_hw_ops gic_ops = { .kick = fake_kick };
static const struct vits_hw_ops its_ops = { fake_map, fake_move, fake_unmap };

static unsigned count(enum hw_op op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_calls; i++)
		n += calls[i].op == op;
	return n;
}

/* The last call of kind op. */
static const struct hw_call *last(enum hw_op op)
{
	for (unsigned i = n_calls; i-- > 0;)
		if (calls[i].op == op)
			return &calls[i];
	fail_msg("no call of kind %d", op);
	return NULL;
}

/* ---- MMIO as the guest does it ---- */

static u64 its_rw(u64 off, unsigned size, bool write, u64 value)
{
	struct mmio_access a = { off, size, write, write ? value : 0xdeadbeefdeadbeefULL };

	assert_true(vits_access(G, &a));
	return a.value;
}

static u64 its_read(u64 off, unsigned size) { return its_rw(off, size, false, 0); }
static void its_write(u64 off, unsigned size, u64 v) { its_rw(off, size, true, v); }

static void redist_write(unsigned vcpu, u64 off, unsigned size, u64 v)
{
	struct mmio_access a = { vcpu * GUEST_GICR_STRIDE + off, size, true, v };

	assert_true(vgic_redist_access(G, &a));
}

static u64 redist_read(unsigned vcpu, u64 off, unsigned size)
{
	struct mmio_access a = { vcpu * GUEST_GICR_STRIDE + off, size, false, 0 };

	assert_true(vgic_redist_access(G, &a));
	return a.value;
}

static u64 dist_read(u64 off)
{
	struct mmio_access a = { off, 4, false, 0 };

	assert_true(vgic_dist_access(G, &a));
	return a.value;
}

/* ---- the command queue, written where the guest put it ---- */

static u32 queued; /* byte offset of the next command */

static void queue(u64 w0, u64 w1, u64 w2, u64 w3)
{
	u64 *slot = (u64 *)(ram + (QUEUE_IPA - RAM_IPA) + queued);

	slot[0] = w0;
	slot[1] = w1;
	slot[2] = w2;
	slot[3] = w3;
	queued = (queued + 32) % SZ_4K;
}

/* Queue one command and tell the ITS (GITS_CWRITER), as Linux does for each. */
static void send(u64 w0, u64 w1, u64 w2, u64 w3)
{
	queue(w0, w1, w2, w3);
	its_write(GITS_CWRITER, 8, queued);
}

static u64 dev_word(u8 cmd, u32 devid) { return cmd | (u64)devid << 32; }

static void mapd(u32 devid, unsigned event_bits, bool valid)
{
	send(dev_word(ITS_CMD_MAPD, devid), event_bits - 1,
	     (valid ? ITS_CMD_VALID : 0) | 0x40020000ULL /* ITT_addr: unused */, 0);
}

static void mapc(u16 icid, u64 rd, bool valid)
{
	send(ITS_CMD_MAPC, 0, (valid ? ITS_CMD_VALID : 0) | rd << 16 | icid, 0);
}

static void mapti(u32 devid, u32 event, u32 lpi, u16 icid)
{
	send(dev_word(ITS_CMD_MAPTI, devid), event | (u64)lpi << 32, icid, 0);
}

static void event_cmd(u8 cmd, u32 devid, u32 event, u16 icid)
{
	send(dev_word(cmd, devid), event, icid, 0);
}

static void set_prop(u32 lpi, u8 value) { ram[PROP_IPA - RAM_IPA + lpi - VGIC_LPI_BASE] = value; }

static unsigned creadr(void) { return (unsigned)its_read(GITS_CREADR, 8); }

/* ---- the list registers ---- */

/* The LPI in vCPU v's list registers on its next entry, or 0; the exit gives it back. */
static u32 lpi_in_lr(unsigned v)
{
	u32 found = 0;
	u64 now[VGIC_MAX_LRS];

	vgic_fill_lrs(G, &vm.vcpus[v]);
	for (unsigned i = 0; i < vm.vcpus[v].vgic->used_lrs; i++) {
		u64 lr = vm.vcpus[v].vgic->lr[i];

		if (FIELD_GET(ICH_LR_VINTID, lr) >= VGIC_LPI_BASE) {
			assert_true(lr & ICH_LR_PENDING);
			assert_true(lr & ICH_LR_GROUP);
			assert_false(lr & ICH_LR_HW);
			assert_int_equal(FIELD_GET(ICH_LR_PRIORITY, lr), PRIO);
			found = (u32)FIELD_GET(ICH_LR_VINTID, lr);
		}
		now[i] = lr; /* not acknowledged: still pending after the exit */
	}
	vgic_fold_lrs(G, &vm.vcpus[v], now);
	return found;
}

/* ---- setup: the VM's vGIC with an ITS, the guest's LPIs on as Linux turns them on ---- */

static int setup(void **state)
{
	static const u16 rid[] = { DEV_A, DEV_B };
	static const u32 pdevid[] = { PDEV_A, PDEV_B };

	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(ram, 0, RAM_BYTES);
	cfg = (struct vm_config){ .name = "guest", .n_cpus = NR_VCPUS, .n_ram = 1 };
	vm.cfg = &cfg;
	vm.n_vcpus = NR_VCPUS;
	for (unsigned i = 0; i < NR_VCPUS; i++)
		vm.vcpus[i] = (struct vcpu){ .vm = &vm, .id = i, .pcpu = PCPU0 + i };
	vgic_state_init(&vm, &gic_ops);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		vm.vcpus[i].vgic->nr_lrs = 4;
	vits_init(&vm, &its, &its_ops, rid, pdevid, 2);
	vm.vgic->ctlr = GICD_CTLR_ENABLE_G1;
	/* The redistributors' tables and LPIs, the ITS's queue, then the ITS on. */
	redist_write(0, GICR_PROPBASER, 8, PROP_IPA | (VGIC_LPI_IDBITS - 1));
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		redist_write(i, GICR_PENDBASER, 8, RAM_IPA + 0x20000 + i * 0x10000);
		redist_write(i, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	}
	its_write(GITS_CBASER, 8, GITS_CBASER_VALID | QUEUE_IPA | 0 /* one 4 KiB page */);
	its_write(GITS_CWRITER, 8, 0);
	its_write(GITS_CTLR, 4, GITS_CTLR_ENABLED);
	queued = 0;
	n_calls = 0;
	fail_map = false;
	return 0;
}

/* Device A's event 2 raises LPI on collection 1, which is vCPU 1's. */
static void map_one(void)
{
	set_prop(LPI, PRIO | LPI_PROP_ENABLE);
	mapd(DEV_A, 3, true);
	mapc(1, 1, true);
	mapti(DEV_A, 2, LPI, 1);
}

/* ---- tests ---- */

static void test_registers_as_linux_probes_them(void **state)
{
	u64 typer = its_read(GITS_TYPER, 8);

	assert_int_equal(its_read(GITS_PIDR2, 4) & 0xf0, 0x30); /* GICv3 */
	assert_true(typer & GITS_TYPER_PHYSICAL);
	assert_false(typer & GITS_TYPER_PTA);
	assert_int_equal(FIELD_GET(GITS_TYPER_DEVBITS, typer), 15);
	assert_int_equal(FIELD_GET(GITS_TYPER_IDBITS, typer), VITS_EVENT_BITS - 1);
	assert_int_equal(FIELD_GET(GITS_TYPER_HCC, typer), VITS_COLLECTIONS);
	assert_int_equal(its_read(GITS_TYPER + 4, 4), typer >> 32);
	for (unsigned n = 0; n < GITS_BASER_NR; n++)
		assert_int_equal(its_read(GITS_BASER(n), 8), 0); /* type None: no guest tables */
	assert_true(its_read(GITS_CTLR, 4) & GITS_CTLR_QUIESCENT);
	assert_true(dist_read(GICD_TYPER) & GICD_TYPER_LPIS);
	assert_int_equal(FIELD_GET(GICD_TYPER_IDBITS, dist_read(GICD_TYPER)), VGIC_LPI_IDBITS - 1);
	assert_true(redist_read(1, GICR_TYPER, 8) & GICR_TYPER_PLPIS);
	assert_int_equal(redist_read(1, GICR_CTLR, 4), GICR_CTLR_ENABLE_LPIS);
	assert_int_equal(redist_read(1, GICR_PROPBASER, 8), PROP_IPA | (VGIC_LPI_IDBITS - 1));
}

static void test_mapped_event_reaches_the_physical_its_and_its_vcpu(void **state)
{
	const struct hw_call *m;

	map_one();
	assert_int_equal(creadr(), 3 * 32);
	assert_int_equal(count(MAP), 1);
	m = last(MAP);
	assert_int_equal(m->pdevid, PDEV_A);
	assert_int_equal(m->event, 2);
	assert_int_equal(m->pcpu, PCPU0 + 1);
	assert_int_equal(its.refused, 0);
	/* The device's MSI: its physical LPI arrives, the guest's LPI goes to vCPU 1 only. */
	vits_raise(G, m->slot);
	assert_int_equal(lpi_in_lr(0), 0);
	assert_int_equal(lpi_in_lr(1), LPI);
	/* Acknowledged, it is gone (an LPI has no active state). */
	vgic_fill_lrs(G, &vm.vcpus[1]);
	{
		u64 now[VGIC_MAX_LRS] = { 0 };

		vgic_fold_lrs(G, &vm.vcpus[1], now);
	}
	assert_int_equal(lpi_in_lr(1), 0);
	assert_int_equal(vm.vcpus[1].vgic->taken_lpis, 1);
}

static void test_int_and_clear_commands(void **state)
{
	map_one();
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	assert_int_equal(lpi_in_lr(1), LPI);
	event_cmd(ITS_CMD_CLEAR, DEV_A, 2, 0);
	assert_int_equal(lpi_in_lr(1), 0);
}

static void test_configuration_is_read_on_inv(void **state)
{
	map_one();
	set_prop(LPI, PRIO); /* the guest masks it, and says so with INV */
	event_cmd(ITS_CMD_INV, DEV_A, 2, 0);
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	assert_int_equal(lpi_in_lr(1), 0);
	set_prop(LPI, PRIO | LPI_PROP_ENABLE);
	assert_int_equal(lpi_in_lr(1), 0); /* not seen before INV/INVALL */
	send(ITS_CMD_INVALL, 0, 1, 0);
	assert_int_equal(lpi_in_lr(1), LPI);
}

static void test_enable_lpis_gates_delivery(void **state)
{
	map_one();
	redist_write(1, GICR_CTLR, 4, 0);
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	assert_int_equal(lpi_in_lr(1), 0);
	redist_write(1, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	assert_int_equal(lpi_in_lr(1), LPI);
}

static void test_movi_and_mapc_move_the_physical_event(void **state)
{
	map_one();
	event_cmd(ITS_CMD_MOVI, DEV_A, 2, 0); /* collection 0: not mapped yet */
	assert_int_equal(last(MOVE)->pcpu, PCPU0);
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	assert_int_equal(lpi_in_lr(0) | lpi_in_lr(1), 0); /* held until collection 0 maps */
	mapc(0, 0, true);
	assert_int_equal(lpi_in_lr(0), LPI);
	mapc(0, 1, true); /* collection 0 now on vCPU 1: the event follows, pending state too */
	assert_int_equal(last(MOVE)->pcpu, PCPU0 + 1);
	assert_int_equal(lpi_in_lr(1), LPI);
}

static void test_discard_unmaps_and_drops_pending(void **state)
{
	unsigned slot;

	map_one();
	slot = last(MAP)->slot;
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	event_cmd(ITS_CMD_DISCARD, DEV_A, 2, 0);
	assert_int_equal(count(UNMAP), 1);
	assert_int_equal(last(UNMAP)->pdevid, PDEV_A);
	assert_int_equal(lpi_in_lr(1), 0);
	vits_raise(G, slot); /* one already pending at the redistributor: spurious, dropped */
	assert_int_equal(lpi_in_lr(1), 0);
	/* The LPI and event can be mapped again. */
	mapti(DEV_A, 2, LPI, 1);
	assert_int_equal(count(MAP), 2);
	assert_int_equal(its.refused, 0);
}

static void test_mapd_unmap_drops_the_devices_events(void **state)
{
	map_one();
	mapti(DEV_A, 3, LPI + 1, 1);
	mapd(DEV_A, 3, false);
	assert_int_equal(count(UNMAP), 2);
	mapti(DEV_A, 4, LPI + 2, 1); /* no ITT now */
	assert_int_equal(count(MAP), 2);
	assert_int_equal(its.refused, 1);
}

/* Each bad command is refused and skipped: nothing reaches the physical ITS, the queue
 * goes on, and a good command after them all still works. */
static void test_hostile_commands_are_refused_and_the_queue_goes_on(void **state)
{
	map_one();
	n_calls = 0;
	mapd(0x20, 3, true);                    /* another VM's DeviceID */
	mapd(DEV_B, VITS_EVENT_BITS + 1, true); /* an ITT beyond GITS_TYPER.IDbits */
	mapti(DEV_B, 0, LPI + 1, 1);            /* device not mapped */
	mapti(DEV_A, 8, LPI + 1, 1);            /* EventID beyond its ITT (2^3) */
	mapti(DEV_A, 3, 100, 1);                /* not an LPI */
	mapti(DEV_A, 3, 1U << VGIC_LPI_IDBITS, 1); /* beyond IDbits */
	mapti(DEV_A, 3, LPI + 1, VITS_COLLECTIONS); /* no such collection */
	mapti(DEV_A, 3, LPI, 1);                /* LPI mapped already */
	mapti(DEV_A, 2, LPI + 1, 1);            /* event mapped already */
	mapc(1, NR_VCPUS, true);                /* no such vCPU */
	event_cmd(ITS_CMD_INT, 0x20, 0, 0);     /* no such event */
	send(ITS_CMD_SYNC, 0, (u64)NR_VCPUS << 16, 0);
	send(0x20, 0, 0, 0);                    /* GICv4's VMAPTI: not a GICv3 command */
	assert_int_equal(its.refused, 13);
	assert_int_equal(creadr(), 16 * 32);
	assert_int_equal(n_calls, 0);
	mapti(DEV_A, 3, LPI + 1, 1);
	assert_int_equal(count(MAP), 1);
	assert_int_equal(its.refused, 13);
}

static void test_a_failed_physical_mapping_maps_nothing(void **state)
{
	set_prop(LPI, PRIO | LPI_PROP_ENABLE);
	mapd(DEV_A, 3, true);
	mapc(1, 1, true);
	fail_map = true;
	mapti(DEV_A, 2, LPI, 1);
	assert_int_equal(its.refused, 1);
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0); /* no such event */
	assert_int_equal(its.refused, 2);
	assert_int_equal(lpi_in_lr(1), 0);
}

static void test_a_vm_maps_at_most_vgic_max_lpis(void **state)
{
	mapd(DEV_A, VITS_EVENT_BITS, true);
	mapc(0, 0, true);
	for (unsigned e = 0; e < VGIC_MAX_LPIS + 1; e++) {
		mapti(DEV_A, e, LPI + e, 0);
		its_read(GITS_CREADR, 8);
	}
	assert_int_equal(count(MAP), VGIC_MAX_LPIS);
	assert_int_equal(its.refused, 1);
}

static void test_queue_outside_ram_or_cwriter_beyond_it(void **state)
{
	its_write(GITS_CTLR, 4, 0);
	its_write(GITS_CBASER, 8, GITS_CBASER_VALID | (RAM_IPA + RAM_BYTES - SZ_4K) | 1);
	its_write(GITS_CTLR, 4, GITS_CTLR_ENABLED);
	its_write(GITS_CWRITER, 8, 32); /* 8 KiB queue, the second page beyond RAM */
	assert_int_equal(creadr(), 0);
	assert_true(its.refused >= 1);
	its_write(GITS_CTLR, 4, 0);
	its_write(GITS_CBASER, 8, GITS_CBASER_VALID | QUEUE_IPA);
	its_write(GITS_CTLR, 4, GITS_CTLR_ENABLED);
	its.refused = 0;
	its_write(GITS_CWRITER, 8, SZ_4K); /* past the 4 KiB queue */
	assert_int_equal(its.refused, 1);
	assert_int_equal(its_read(GITS_CWRITER, 8), 0);
	/* CBASER is fixed while the ITS is on. */
	its_write(GITS_CBASER, 8, GITS_CBASER_VALID | (QUEUE_IPA + SZ_4K));
	assert_int_equal(its_read(GITS_CBASER, 8) & GITS_CBASER_ADDR, QUEUE_IPA);
}

static void test_cpu_writes_to_the_translater_are_ignored(void **state)
{
	map_one();
	its_write(GITS_TRANSLATER, 4, 2); /* event 2, but from a CPU: no DeviceID */
	assert_int_equal(lpi_in_lr(1), 0);
	assert_int_equal(its.refused, 1);
}

static void test_a_long_queue_runs_in_bounded_steps(void **state)
{
	map_one();
	for (unsigned i = 0; i < 100; i++)
		queue(dev_word(ITS_CMD_INV, DEV_A), 2, 0, 0);
	its_write(GITS_CWRITER, 8, queued);
	assert_int_equal(creadr(), (3 + VITS_CMDS_PER_ACCESS) * 32 % SZ_4K);
	/* The guest polls CREADR: each read takes the next steps. */
	for (unsigned i = 0; i < 3 && creadr() != queued; i++)
		;
	assert_int_equal(creadr(), queued);
	assert_int_equal(its.refused, 0);
}

static void test_reset_unmaps_every_event(void **state)
{
	map_one();
	mapti(DEV_A, 3, LPI + 1, 1);
	event_cmd(ITS_CMD_INT, DEV_A, 2, 0);
	vits_reset(G);
	vgic_reset(G);
	assert_int_equal(count(UNMAP), 2);
	assert_int_equal(its_read(GITS_CTLR, 4), GITS_CTLR_QUIESCENT);
	assert_int_equal(its_read(GITS_CBASER, 8), 0);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		assert_int_equal(redist_read(i, GICR_CTLR, 4), 0);
	for (unsigned i = 0; i < VGIC_MAX_LPIS; i++)
		assert_false(vm.vgic->lpi[i].owned || vgic_irq_pending(&vm.vgic->lpi[i]));
}

static void test_no_its_no_lpis(void **state)
{
	vgic_state_init(&vm, &gic_ops); /* a VM whose devices have no ITS */
	assert_false(dist_read(GICD_TYPER) & GICD_TYPER_LPIS);
	assert_false(redist_read(0, GICR_TYPER, 8) & GICR_TYPER_PLPIS);
	redist_write(0, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	assert_int_equal(redist_read(0, GICR_CTLR, 4), 0);
}

static int group_setup(void **state)
{
	(void)state;
	ram = aligned_alloc(SZ_64K, RAM_BYTES);
	return ram ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registers_as_linux_probes_them, setup),
		cmocka_unit_test_setup(test_mapped_event_reaches_the_physical_its_and_its_vcpu, setup),
		cmocka_unit_test_setup(test_int_and_clear_commands, setup),
		cmocka_unit_test_setup(test_configuration_is_read_on_inv, setup),
		cmocka_unit_test_setup(test_enable_lpis_gates_delivery, setup),
		cmocka_unit_test_setup(test_movi_and_mapc_move_the_physical_event, setup),
		cmocka_unit_test_setup(test_discard_unmaps_and_drops_pending, setup),
		cmocka_unit_test_setup(test_mapd_unmap_drops_the_devices_events, setup),
		cmocka_unit_test_setup(test_hostile_commands_are_refused_and_the_queue_goes_on, setup),
		cmocka_unit_test_setup(test_a_failed_physical_mapping_maps_nothing, setup),
		cmocka_unit_test_setup(test_a_vm_maps_at_most_vgic_max_lpis, setup),
		cmocka_unit_test_setup(test_queue_outside_ram_or_cwriter_beyond_it, setup),
		cmocka_unit_test_setup(test_cpu_writes_to_the_translater_are_ignored, setup),
		cmocka_unit_test_setup(test_a_long_queue_runs_in_bounded_steps, setup),
		cmocka_unit_test_setup(test_reset_unmaps_every_event, setup),
		cmocka_unit_test_setup(test_no_its_no_lpis, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
