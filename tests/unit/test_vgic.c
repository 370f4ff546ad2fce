/*
 * Host tests of the vGIC's emulation (core/vgic/vgic_irq.c, core/vgic/vgic_mmio.c): the distributor
 * and redistributor registers as Linux's irq-gic-v3 driver uses them, the ownership rule,
 * and the list-register flow. The guest's side of the list registers (acknowledge,
 * deactivate) is played here by editing the values vgic_fill_lrs produced, as the virtual
 * CPU interface would (Arm IHI 0069, ICH_LR<n>_EL2); the physical side is a double that
 * records every call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/ich.h"
#include "core/lib/errno.h"
#include "core/vgic/vgic_internal.h"
#include "core/vm/guest_layout.h"
#include "drivers/gic/gicv3_regs.h"

#define NR_VCPUS 3
#define PCPU0 4 /* vCPU i runs on physical CPU PCPU0 + i */
#define FWD_SPI 40 /* a physical SPI the tests forward */
#define EDGE_SPI GUEST_VIRTIO_INTID_BASE
#define LEVEL_SPI GUEST_UART_INTID

static struct vm vm;
#define G ((struct vgic_locked){ &vm, 0 })

/* ---- the physical side: every call recorded ---- */

enum hw_op { KICK, ROUTE, DISABLE, CONFIG, DEACTIVATE };
struct hw_call {
	enum hw_op op;
	unsigned a, b;
};
static struct hw_call calls[256];
static unsigned n_calls;

static void record(enum hw_op op, unsigned a, unsigned b)
{
	assert_true(n_calls < ARRAY_SIZE(calls));
	calls[n_calls++] = (struct hw_call){ op, a, b };
}

static void fake_kick(struct vcpu *v) { record(KICK, v->id, 0); }
static void fake_route(unsigned intid, unsigned pcpu) { record(ROUTE, intid, pcpu); }
static void fake_disable(unsigned intid) { record(DISABLE, intid, 0); }
static void fake_config(unsigned intid, bool edge) { record(CONFIG, intid, edge); }
static void fake_deactivate(unsigned intid, unsigned pcpu) { record(DEACTIVATE, intid, pcpu); }

static const struct vgic_hw_ops fake_ops = {
	.kick = fake_kick,
	.spi_route = fake_route,
	.spi_disable = fake_disable,
	.spi_config = fake_config,
	.deactivate = fake_deactivate,
};

static unsigned count(enum hw_op op, unsigned a, unsigned b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_calls; i++)
		n += calls[i].op == op && calls[i].a == a && calls[i].b == b;
	return n;
}

static unsigned kicks(unsigned vcpu) { return count(KICK, vcpu, 0); }

static unsigned count_op(enum hw_op op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_calls; i++)
		n += calls[i].op == op;
	return n;
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	vm.n_vcpus = NR_VCPUS;
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].pcpu = PCPU0 + i;
	}
	vgic_state_init(&vm, &fake_ops);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		vm.vcpus[i].vgic->nr_lrs = 4; /* as QEMU's and most Arm cores' */
	n_calls = 0;
	return 0;
}

/* ---- MMIO as the guest does it ---- */

static bool mmio(bool dist, u64 off, unsigned size, bool write, u64 *value)
{
	struct mmio_access a = { off, size, write, write ? *value : 0xdeadbeefdeadbeefULL };
	bool ok = dist ? vgic_dist_access(G, &a) : vgic_redist_access(G, &a);

	if (!write)
		*value = a.value;
	return ok;
}

static u64 dread(u64 off, unsigned size)
{
	u64 v;

	assert_true(mmio(true, off, size, false, &v));
	return v;
}

static void dwrite(u64 off, unsigned size, u64 v)
{
	assert_true(mmio(true, off, size, true, &v));
}

/* off within vCPU vcpu's frame pair (RD_base, then SGI_base at GICR_SGI_OFFSET) */
static u64 rread(unsigned vcpu, u64 off, unsigned size)
{
	u64 v;

	assert_true(mmio(false, vcpu * GUEST_GICR_STRIDE + off, size, false, &v));
	return v;
}

static void rwrite(unsigned vcpu, u64 off, unsigned size, u64 v)
{
	assert_true(mmio(false, vcpu * GUEST_GICR_STRIDE + off, size, true, &v));
}

static bool dist_size_ok(u64 off, unsigned size, bool write)
{
	u64 v = 0;

	return mmio(true, off, size, write, &v);
}

static u32 bit_of(unsigned intid) { return (u32)BIT(intid % 32); }
static struct virq *spi(unsigned intid) { return vgic_get_irq(&vm, NULL, intid); }

/* Enable Group 1 and an SPI, with a priority and a trigger, as Linux's request_irq does. */
static void guest_enable_spi(unsigned intid, u8 prio, bool edge)
{
	dwrite(GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	dwrite(GICD_IPRIORITYR(intid), 1, prio);
	dwrite(GICD_ICFGR(intid / 16), 4, (u64)(edge ? GICD_ICFGR_EDGE : 0) << (2 * (intid % 16)));
	dwrite(GICD_ISENABLER(intid / 32), 4, bit_of(intid));
}

/* ---- the guest's virtual CPU interface, acting on list registers ---- */

static u64 lrs_now[VGIC_MAX_LRS];

static u64 enter(unsigned vcpu)
{
	struct vgic_cpu *c = vm.vcpus[vcpu].vgic;
	u64 hcr = vgic_fill_lrs(G, &vm.vcpus[vcpu]);

	memcpy(lrs_now, c->lr, sizeof(lrs_now));
	return hcr;
}

static void leave(unsigned vcpu) { vgic_fold_lrs(G, &vm.vcpus[vcpu], lrs_now); }

static unsigned lr_intid(unsigned vcpu, unsigned n)
{
	return FIELD_GET(ICH_LR_VINTID, vm.vcpus[vcpu].vgic->lr[n]);
}

/* Acknowledge (ICV_IAR1_EL1) what LR n holds: pending -> active. */
static void guest_ack(unsigned n)
{
	assert_true(lrs_now[n] & ICH_LR_PENDING);
	lrs_now[n] = (lrs_now[n] & ~ICH_LR_STATE) | ICH_LR_ACTIVE;
}

/* Deactivate (ICV_EOIR1_EL1 with EOImode 0) what LR n holds: active goes. */
static void guest_eoi(unsigned n)
{
	assert_true(lrs_now[n] & ICH_LR_ACTIVE);
	lrs_now[n] &= ~ICH_LR_ACTIVE;
}

/* ---- distributor and redistributor identification ---- */

static void test_dist_id(void **state)
{
	u64 typer = dread(GICD_TYPER, 4);

	assert_int_equal(dread(GICD_CTLR, 4), GICD_CTLR_ARE | GICD_CTLR_DS);
	assert_int_equal(FIELD_GET(GICD_TYPER_ITLINES, typer), 3); /* 128 INTIDs */
	assert_int_equal(FIELD_GET(GICD_TYPER_IDBITS, typer), 9);
	assert_true(typer & GICD_TYPER_NO1N);
	assert_false(typer & (BIT(16) | BIT(17))); /* no MBIS, no LPIS */
	assert_int_equal(dread(GICD_PIDR2, 4) & 0xf0, 0x30);
	assert_int_equal(dread(GICD_IIDR, 4), 0x5000043b);
	assert_int_equal(dread(0x000c, 4), 0); /* GICD_TYPER2 */
	/* Linux: GICD_CTLR = ARE_NS | EnableGrp1A | EnableGrp1 (bits 4, 1, 0) */
	dwrite(GICD_CTLR, 4, 0x13);
	assert_int_equal(dread(GICD_CTLR, 4), 0x53);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		assert_int_equal(kicks(i), 1);
	dwrite(GICD_CTLR, 4, 0x13); /* no change, no kick */
	assert_int_equal(count_op(KICK), NR_VCPUS);
	dwrite(GICD_CTLR, 4, 0);
	assert_int_equal(dread(GICD_CTLR, 4), 0x50);
}

static void test_redist_id(void **state)
{
	assert_int_equal(rread(0, GICR_TYPER, 8), 0);
	assert_int_equal(rread(1, GICR_TYPER, 8), (1ULL << 32) | (1 << 8));
	assert_int_equal(rread(2, GICR_TYPER, 8), (2ULL << 32) | (2 << 8) | GICR_TYPER_LAST);
	assert_int_equal(rread(2, GICR_TYPER, 4), (2 << 8) | GICR_TYPER_LAST);
	assert_int_equal(rread(2, GICR_TYPER + 4, 4), 2);
	assert_int_equal(rread(1, GICR_PIDR2, 4) & 0xf0, 0x30);
	assert_int_equal(rread(1, GICR_IIDR, 4), 0x5000043b);
	assert_int_equal(rread(1, GICR_CTLR, 4), 0);
	/* Linux wakes its redistributor and polls ChildrenAsleep. */
	assert_int_equal(rread(1, GICR_WAKER, 4), 6);
	rwrite(1, GICR_WAKER, 4, rread(1, GICR_WAKER, 4) & ~GICR_WAKER_PROCESSOR_SLEEP);
	assert_int_equal(rread(1, GICR_WAKER, 4), 0);
	assert_int_equal(rread(0, GICR_WAKER, 4), 6);
	rwrite(1, GICR_WAKER, 4, GICR_WAKER_PROCESSOR_SLEEP);
	assert_int_equal(rread(1, GICR_WAKER, 4), 6);
}

static void test_access_sizes(void **state)
{
	u64 v = 0;

	assert_false(dist_size_ok(GICD_CTLR, 2, false));
	assert_false(dist_size_ok(GICD_CTLR, 8, false));
	assert_false(dist_size_ok(GICD_CTLR, 1, true));
	assert_false(dist_size_ok(GICD_ISENABLER(1), 1, false));
	assert_false(dist_size_ok(GICD_ISENABLER(1) + 2, 2, false));
	assert_false(dist_size_ok(GICD_ISENABLER(1) + 2, 4, false)); /* misaligned */
	assert_false(dist_size_ok(GICD_ICFGR(2), 8, false));
	assert_true(dist_size_ok(GICD_IPRIORITYR(33), 1, true));
	assert_false(dist_size_ok(GICD_IPRIORITYR(34), 2, true));
	assert_true(dist_size_ok(GICD_IROUTER(33), 8, false));
	assert_true(dist_size_ok(GICD_IROUTER(33) + 4, 4, false));
	assert_false(dist_size_ok(GICD_IROUTER(33), 1, false));
	/* Unknown offsets: RAZ/WI for words and doublewords only. */
	assert_int_equal(dread(0x5000, 4), 0);
	dwrite(0x5000, 8, ~0ULL);
	assert_int_equal(dread(0x5000, 8), 0);
	assert_false(dist_size_ok(0x5000, 1, false));
	assert_false(mmio(false, GICR_WAKER, 8, false, &v));
	assert_false(mmio(false, GICR_TYPER + 4, 8, false, &v));
	assert_int_equal(rread(0, 0x70, 8), 0); /* GICR_PROPBASER: no LPIs */
	assert_int_equal(rread(0, GICR_SGI_OFFSET + 0xd00, 4), 0); /* IGRPMODR0 */
	/* Past the last vCPU's frames. */
	assert_false(mmio(false, NR_VCPUS * GUEST_GICR_STRIDE, 4, false, &v));
}

/* ---- ownership ---- */

static void test_ownership(void **state)
{
	/* INTIDs 32..63: the virtual UART (33) and virtio (48..63) are the VM's, 40 is not. */
	dwrite(GICD_ISENABLER(1), 4, ~0U);
	assert_int_equal(dread(GICD_ISENABLER(1), 4), 0xffff0002);
	assert_null(spi(FWD_SPI));
	dwrite(GICD_IPRIORITYR(FWD_SPI), 1, 0x80);
	assert_int_equal(dread(GICD_IPRIORITYR(FWD_SPI), 1), 0);
	dwrite(GICD_IROUTER(FWD_SPI), 8, 1);
	assert_int_equal(dread(GICD_IROUTER(FWD_SPI), 8), 0);
	dwrite(GICD_ISPENDR(1), 4, bit_of(FWD_SPI));
	assert_int_equal(dread(GICD_ISPENDR(1), 4) & bit_of(FWD_SPI), 0);
	/* Beyond the vGIC's SPIs */
	dwrite(GICD_ISENABLER(4), 4, ~0U);
	assert_int_equal(dread(GICD_ISENABLER(4), 4), 0);
	/* With affinity routing, the distributor's private-interrupt registers are RAZ/WI. */
	dwrite(GICD_ISENABLER(0), 4, ~0U);
	assert_int_equal(dread(GICD_ISENABLER(0), 4), 0);
	assert_false(vm.vcpus[0].vgic->priv[27].enabled);
	assert_int_equal(count_op(ROUTE) + count_op(DISABLE), 0);

	/* Forwarded to the VM: it is the guest's now. */
	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	dwrite(GICD_ISENABLER(1), 4, bit_of(FWD_SPI));
	assert_int_equal(dread(GICD_ISENABLER(1), 4), 0xffff0102);
	assert_int_equal(count(ROUTE, FWD_SPI, PCPU0), 1);

	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), -E_EXIST);
	assert_int_equal(vgic_claim_hw_spi(G, LEVEL_SPI), -E_EXIST);
	assert_int_equal(vgic_claim_hw_spi(G, EDGE_SPI + 3), -E_EXIST);
	assert_int_equal(vgic_claim_hw_spi(G, 27), -E_RANGE);
	assert_int_equal(vgic_claim_hw_spi(G, VGIC_NR_IRQS), -E_RANGE);
	assert_int_equal(vgic_claim_hw_spi(G, VGIC_NR_IRQS - 1), 0);
}

/* ---- per-interrupt registers ---- */

static void test_priority_and_config(void **state)
{
	/* Linux writes IPRIORITYR a word at a time at boot, a byte at a time later. */
	dwrite(GICD_IPRIORITYR(32), 4, 0xa0a0a0a0);
	assert_int_equal(dread(GICD_IPRIORITYR(32), 4), 0x0000a000);
	dwrite(GICD_IPRIORITYR(LEVEL_SPI), 1, 0x80);
	assert_int_equal(dread(GICD_IPRIORITYR(LEVEL_SPI), 1), 0x80);
	assert_int_equal(dread(GICD_IPRIORITYR(32), 4), 0x00008000);
	/* ICFGR2: INTIDs 32..47, only 33 is the VM's; it resets level-sensitive. */
	assert_int_equal(dread(GICD_ICFGR(2), 4), 0);
	dwrite(GICD_ICFGR(2), 4, ~0U);
	assert_int_equal(dread(GICD_ICFGR(2), 4), GICD_ICFGR_EDGE << 2);
	/* SGIs edge, PPIs level, neither configurable. */
	rwrite(1, GICR_SGI_OFFSET + GICD_ICFGR(1), 4, ~0U);
	rwrite(1, GICR_SGI_OFFSET + GICD_ICFGR(0), 4, 0);
	assert_int_equal(rread(1, GICR_SGI_OFFSET + GICD_ICFGR(0), 4), 0xaaaaaaaa);
	assert_int_equal(rread(1, GICR_SGI_OFFSET + GICD_ICFGR(1), 4), 0);
	/* SGI_base priorities, per vCPU */
	rwrite(1, GICR_IPRIORITYR(27), 1, 0x20);
	assert_int_equal(rread(1, GICR_IPRIORITYR(24), 4), 0x20000000);
	assert_int_equal(rread(0, GICR_IPRIORITYR(24), 4), 0);
	assert_int_equal(count_op(KICK), 0); /* nothing was pending */
}

static void test_private_state(void **state)
{
	const u64 sgi = GICR_SGI_OFFSET;

	rwrite(1, sgi + GICD_ISENABLER(0), 4, BIT(27) | BIT(1));
	assert_int_equal(rread(1, sgi + GICD_ISENABLER(0), 4), BIT(27) | BIT(1));
	assert_int_equal(rread(1, sgi + GICD_ICENABLER(0), 4), BIT(27) | BIT(1));
	assert_int_equal(rread(0, sgi + GICD_ISENABLER(0), 4), 0);
	rwrite(1, sgi + GICD_ICENABLER(0), 4, BIT(1));
	assert_int_equal(rread(1, sgi + GICD_ISENABLER(0), 4), BIT(27));

	rwrite(1, sgi + GICD_ISPENDR(0), 4, BIT(5));
	assert_int_equal(rread(1, sgi + GICD_ICPENDR(0), 4), BIT(5));
	assert_int_equal(kicks(1), 1);
	rwrite(1, sgi + GICD_ICPENDR(0), 4, BIT(5));
	assert_int_equal(rread(1, sgi + GICD_ISPENDR(0), 4), 0);

	rwrite(1, sgi + GICD_ISACTIVER(0), 4, BIT(5));
	assert_int_equal(rread(1, sgi + GICD_ICACTIVER(0), 4), BIT(5));
	rwrite(1, sgi + GICD_ICACTIVER(0), 4, ~0U); /* Linux, at CPU bring-up */
	assert_int_equal(rread(1, sgi + GICD_ISACTIVER(0), 4), 0);

	rwrite(1, sgi + GICD_IGROUPR(0), 4, 0);
	assert_int_equal(rread(1, sgi + GICD_IGROUPR(0), 4), 0);
	rwrite(1, sgi + GICD_IGROUPR(0), 4, ~0U);
	assert_int_equal(rread(1, sgi + GICD_IGROUPR(0), 4), ~0U);
}

static void test_irouter(void **state)
{
	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	dwrite(GICD_ISENABLER(1), 4, bit_of(FWD_SPI));
	assert_int_equal(count(ROUTE, FWD_SPI, PCPU0), 1);

	dwrite(GICD_IROUTER(FWD_SPI), 8, 2);
	assert_int_equal(dread(GICD_IROUTER(FWD_SPI), 8), 2);
	assert_int_equal(count(ROUTE, FWD_SPI, PCPU0 + 2), 1);
	/* Affinity 0.0.1.0 is no vCPU: the physical SPI is disabled. */
	dwrite(GICD_IROUTER(FWD_SPI), 8, 0x100);
	assert_int_equal(count(DISABLE, FWD_SPI, 0), 1);
	assert_int_equal(spi(FWD_SPI)->target, VGIC_NO_VCPU);
	/* 32-bit halves; IRM is RAZ/WI (no 1 of N). */
	dwrite(GICD_IROUTER(FWD_SPI), 4, 1 | GICD_IROUTER_IRM);
	assert_int_equal(dread(GICD_IROUTER(FWD_SPI), 8), 1);
	assert_int_equal(count(ROUTE, FWD_SPI, PCPU0 + 1), 1);
	dwrite(GICD_IROUTER(FWD_SPI) + 4, 4, 0);
	assert_int_equal(count(ROUTE, FWD_SPI, PCPU0 + 1), 1); /* unchanged: nothing done */
	dwrite(GICD_IROUTER(FWD_SPI) + 4, 4, 1); /* Aff3 = 1 */
	assert_int_equal(dread(GICD_IROUTER(FWD_SPI) + 4, 4), 1);
	assert_int_equal(count(DISABLE, FWD_SPI, 0), 2);

	dwrite(GICD_IROUTER(FWD_SPI), 8, 0);
	dwrite(GICD_ICENABLER(1), 4, bit_of(FWD_SPI));
	assert_int_equal(count(DISABLE, FWD_SPI, 0), 3);
	/* A virtual device's SPI has no physical side. */
	n_calls = 0;
	dwrite(GICD_IROUTER(LEVEL_SPI), 8, 2);
	dwrite(GICD_ISENABLER(1), 4, bit_of(LEVEL_SPI));
	assert_int_equal(n_calls, 0);
	assert_int_equal(spi(LEVEL_SPI)->target, 2);
}

/* ---- list registers ---- */

static void test_lr_edge(void **state)
{
	struct vgic_cpu *c = vm.vcpus[0].vgic;

	guest_enable_spi(EDGE_SPI, 0x80, true);
	n_calls = 0;
	assert_int_equal(enter(0), ICH_HCR_EN);
	assert_int_equal(c->used_lrs, 0);
	leave(0);

	vgic_raise(G, spi(EDGE_SPI));
	assert_int_equal(kicks(0), 1);
	assert_int_equal(enter(0), ICH_HCR_EN);
	assert_int_equal(c->used_lrs, 1);
	assert_int_equal(c->lr[0], EDGE_SPI | (0x80ULL << 48) | ICH_LR_GROUP | ICH_LR_PENDING);
	assert_true(spi(EDGE_SPI)->in_lr);
	guest_ack(0);
	vgic_raise(G, spi(EDGE_SPI)); /* a second edge while the guest handles the first */
	leave(0);
	assert_false(spi(EDGE_SPI)->in_lr);
	assert_true(spi(EDGE_SPI)->active);
	assert_int_equal(dread(GICD_ISACTIVER(1), 4), bit_of(EDGE_SPI));

	enter(0);
	assert_int_equal(c->lr[0] & ICH_LR_STATE, ICH_LR_PENDING | ICH_LR_ACTIVE);
	guest_eoi(0);
	guest_ack(0);
	guest_eoi(0);
	leave(0);
	assert_false(vgic_irq_pending(spi(EDGE_SPI)));
	assert_false(spi(EDGE_SPI)->active);
	enter(0);
	assert_int_equal(c->used_lrs, 0);
}

static void test_lr_not_taken_stays_pending(void **state)
{
	guest_enable_spi(EDGE_SPI, 0x80, true);
	vgic_raise(G, spi(EDGE_SPI));
	enter(0);
	leave(0); /* the guest did not get to it */
	assert_true(vgic_irq_pending(spi(EDGE_SPI)));
	assert_int_equal(dread(GICD_ISPENDR(1), 4), bit_of(EDGE_SPI));
	/* Cleared by the guest before it took it: gone from the next entry. */
	dwrite(GICD_ICPENDR(1), 4, bit_of(EDGE_SPI));
	enter(0);
	assert_int_equal(vm.vcpus[0].vgic->used_lrs, 0);
}

static void test_lr_priority_and_overflow(void **state)
{
	static const u8 prio[] = { 0xa0, 0x40, 0x80, 0x40, 0xc0, 0x60 };
	struct vgic_cpu *c = vm.vcpus[0].vgic;

	for (unsigned i = 0; i < ARRAY_SIZE(prio); i++) {
		guest_enable_spi(EDGE_SPI + i, prio[i], true);
		vgic_raise(G, spi(EDGE_SPI + i));
	}
	/* An active interrupt keeps its list register whatever its priority. */
	guest_enable_spi(EDGE_SPI + 8, 0xf0, true);
	dwrite(GICD_ISACTIVER(1), 4, bit_of(EDGE_SPI + 8));

	assert_int_equal(enter(0), ICH_HCR_EN | ICH_HCR_UIE);
	assert_int_equal(c->used_lrs, 4);
	assert_int_equal(lr_intid(0, 0), EDGE_SPI + 8);
	assert_int_equal(lr_intid(0, 1), EDGE_SPI + 1); /* 0x40, lower INTID first */
	assert_int_equal(lr_intid(0, 2), EDGE_SPI + 3); /* 0x40 */
	assert_int_equal(lr_intid(0, 3), EDGE_SPI + 5); /* 0x60 */
	guest_ack(1);
	guest_eoi(1);
	leave(0);
	/* The rest, by priority; the pending ones the guest did not take come back. */
	assert_int_equal(enter(0), ICH_HCR_EN | ICH_HCR_UIE);
	assert_int_equal(lr_intid(0, 1), EDGE_SPI + 3);
	assert_int_equal(lr_intid(0, 2), EDGE_SPI + 5);
	assert_int_equal(lr_intid(0, 3), EDGE_SPI + 2);
	leave(0);

	/* One list register: an underflow interrupt would fire at once, so none. */
	c->nr_lrs = 1;
	assert_int_equal(enter(0), ICH_HCR_EN);
	assert_int_equal(c->used_lrs, 1);
	leave(0);
}

static void test_lr_level_resample(void **state)
{
	struct vgic_cpu *c = vm.vcpus[0].vgic;

	guest_enable_spi(LEVEL_SPI, 0x90, false);
	vgic_set_line(G, spi(LEVEL_SPI), true);
	enter(0);
	assert_int_equal(c->lr[0], LEVEL_SPI | (0x90ULL << 48) | ICH_LR_GROUP | ICH_LR_EOI |
					   ICH_LR_PENDING);
	guest_ack(0);
	leave(0);
	/* The line is still high: pending and active. */
	enter(0);
	assert_int_equal(c->lr[0] & ICH_LR_STATE, ICH_LR_PENDING | ICH_LR_ACTIVE);
	guest_eoi(0); /* the EOI bit makes this exit */
	leave(0);
	assert_true(vgic_irq_pending(spi(LEVEL_SPI)));
	/* The device's cause is gone before the guest took it again. */
	vgic_set_line(G, spi(LEVEL_SPI), false);
	enter(0);
	assert_int_equal(c->used_lrs, 0);

	/* A write to ISPENDR makes it pending until acknowledged, whatever the line. */
	dwrite(GICD_ISPENDR(1), 4, bit_of(LEVEL_SPI));
	enter(0);
	guest_ack(0);
	leave(0);
	assert_false(vgic_irq_pending(spi(LEVEL_SPI)));
	enter(0);
	guest_eoi(0);
	leave(0);
	enter(0);
	assert_int_equal(c->used_lrs, 0);

	/* Made edge-triggered by the guest, the device's rising edges latch. */
	dwrite(GICD_ICENABLER(1), 4, bit_of(LEVEL_SPI));
	guest_enable_spi(LEVEL_SPI, 0x90, true);
	vgic_set_line(G, spi(LEVEL_SPI), true);
	vgic_set_line(G, spi(LEVEL_SPI), false);
	assert_true(vgic_irq_pending(spi(LEVEL_SPI)));
	enter(0);
	assert_false(c->lr[0] & ICH_LR_EOI);
}

static void test_lr_hw_spi(void **state)
{
	struct vgic_cpu *c = vm.vcpus[0].vgic;
	const u64 hw = ICH_LR_HW | ((u64)FWD_SPI << 32);

	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	guest_enable_spi(FWD_SPI, 0xa0, false);
	vgic_raise_hw(G, spi(FWD_SPI), FWD_SPI);
	enter(0);
	assert_int_equal(c->lr[0], FWD_SPI | hw | (0xa0ULL << 48) | ICH_LR_GROUP | ICH_LR_PENDING);
	guest_ack(0);
	leave(0);
	/* The physical interrupt is active: never pending and active in one HW entry. */
	dwrite(GICD_ISPENDR(1), 4, bit_of(FWD_SPI));
	enter(0);
	assert_int_equal(c->lr[0] & (ICH_LR_STATE | ICH_LR_HW), ICH_LR_ACTIVE | ICH_LR_HW);
	guest_eoi(0);
	leave(0);
	assert_false(spi(FWD_SPI)->hw_active);
	assert_int_equal(count_op(DEACTIVATE), 0); /* the GIC did it */
	/* The ISPENDR write: a plain virtual interrupt now, nothing physical to release. */
	enter(0);
	assert_int_equal(c->lr[0] & (ICH_LR_STATE | ICH_LR_HW), ICH_LR_PENDING);
	guest_ack(0);
	guest_eoi(0);
	leave(0);

	/* The guest clears a pending forwarded interrupt: the physical one is released. */
	vgic_raise_hw(G, spi(FWD_SPI), FWD_SPI);
	dwrite(GICD_ICPENDR(1), 4, bit_of(FWD_SPI));
	assert_int_equal(count(DEACTIVATE, FWD_SPI, 0), 1);
	assert_false(spi(FWD_SPI)->hw_active);

	/* Disabled by the guest: the physical one stays active, so it cannot fire again. */
	vgic_raise_hw(G, spi(FWD_SPI), FWD_SPI);
	dwrite(GICD_ICENABLER(1), 4, bit_of(FWD_SPI));
	enter(0);
	assert_int_equal(c->used_lrs, 0);
	leave(0);
	assert_true(spi(FWD_SPI)->hw_active);
	assert_int_equal(count(DEACTIVATE, FWD_SPI, 0), 1);

	/* ... until the VM resets. */
	vgic_reset(G);
	assert_int_equal(count(DEACTIVATE, FWD_SPI, 0), 2);
	assert_int_equal(count(DISABLE, FWD_SPI, 0), 2);
	assert_non_null(spi(FWD_SPI)); /* still the VM's */
}

/* The guest deactivates a forwarded level SPI on vCPU 0 (HW = 1: the physical one goes
 * inactive at once), its line is still high, and the SPI fires again on vCPU 1's CPU (the
 * guest moved it) before vCPU 0 exits. vCPU 0's exit must not take the new activation for
 * the old one: vCPU 1 gets it with HW = 1, so the guest's deactivation there deactivates the
 * physical interrupt again. Without that, it would stay active for good and the device's
 * interrupts would be gone (issue: livelock). */
static void test_lr_hw_spi_fires_again_before_exit(void **state)
{
	const u64 hw = ICH_LR_HW | ((u64)FWD_SPI << 32);

	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	guest_enable_spi(FWD_SPI, 0xa0, false);
	vgic_raise_hw(G, spi(FWD_SPI), FWD_SPI);
	enter(0);
	guest_ack(0);
	guest_eoi(0);                           /* the physical SPI is inactive now */
	dwrite(GICD_IROUTER(FWD_SPI), 8, 1);
	vgic_raise_hw(G, spi(FWD_SPI), FWD_SPI); /* ... and active again, on vCPU 1's CPU */
	leave(0);
	assert_true(spi(FWD_SPI)->hw_active);
	enter(1);
	assert_int_equal(vm.vcpus[1].vgic->lr[0] & (ICH_LR_HW | ICH_LR_PINTID | ICH_LR_STATE),
			 hw | ICH_LR_PENDING);
	guest_ack(0);
	guest_eoi(0);
	leave(1);
	assert_false(spi(FWD_SPI)->hw_active);
	assert_int_equal(count_op(DEACTIVATE), 0); /* the GIC did it, both times */
}

/* The prompt names what each vCPU's guest acknowledged most: an interrupt storm by INTID. */
static void test_most_taken(void **state)
{
	unsigned intid[2];
	u32 count[2];

	guest_enable_spi(EDGE_SPI, 0x80, true);
	guest_enable_spi(LEVEL_SPI, 0x80, false);
	assert_int_equal(vgic_most_taken(&vm.vcpus[0], intid, count, 2), 0);
	for (unsigned i = 0; i < 3; i++) {
		vgic_raise(G, spi(EDGE_SPI));
		enter(0);
		guest_ack(0);
		guest_eoi(0);
		leave(0);
	}
	vgic_set_line(G, spi(LEVEL_SPI), true);
	enter(0);
	leave(0); /* listed but not acknowledged: not taken */
	assert_int_equal(vgic_most_taken(&vm.vcpus[0], intid, count, 2), 1);
	assert_int_equal(intid[0], EDGE_SPI);
	assert_int_equal(count[0], 3);
	enter(0);
	guest_ack(0);
	guest_eoi(0);
	leave(0);
	vgic_set_line(G, spi(LEVEL_SPI), false);
	assert_int_equal(vgic_most_taken(&vm.vcpus[0], intid, count, 1), 1); /* the top one */
	assert_int_equal(intid[0], EDGE_SPI);
	assert_int_equal(vgic_most_taken(&vm.vcpus[0], intid, count, 2), 2);
	assert_int_equal(intid[1], LEVEL_SPI);
	assert_int_equal(count[1], 1);
	assert_int_equal(vgic_most_taken(&vm.vcpus[1], intid, count, 2), 0);
}

static void test_lr_hw_timer_ppi(void **state)
{
	struct vgic_cpu *c = vm.vcpus[1].vgic;
	struct virq *timer = &c->priv[GUEST_TIMER_VIRT_PPI];

	dwrite(GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	rwrite(1, GICR_ISENABLER0, 4, BIT(GUEST_TIMER_VIRT_PPI));
	n_calls = 0;
	vgic_raise_hw(G, timer, GUEST_TIMER_VIRT_PPI);
	assert_int_equal(kicks(1), 1);
	enter(1);
	assert_int_equal(c->lr[0] & (ICH_LR_HW | ICH_LR_PINTID | ICH_LR_STATE),
			 ICH_LR_HW | ((u64)GUEST_TIMER_VIRT_PPI << 32) | ICH_LR_PENDING);
	guest_ack(0);
	leave(1);
	enter(0);
	assert_int_equal(vm.vcpus[0].vgic->used_lrs, 0); /* vCPU 1's alone */
	/* Reset while the guest holds it: released on vCPU 1's physical CPU. */
	vgic_reset(G);
	assert_int_equal(count(DEACTIVATE, GUEST_TIMER_VIRT_PPI, PCPU0 + 1), 1);
	assert_false(timer->hw);
}

static void test_lr_disabled_and_groups(void **state)
{
	struct vgic_cpu *c = vm.vcpus[0].vgic;

	guest_enable_spi(EDGE_SPI, 0x80, true);
	dwrite(GICD_ICENABLER(1), 4, bit_of(EDGE_SPI));
	vgic_raise(G, spi(EDGE_SPI));
	enter(0);
	assert_int_equal(c->used_lrs, 0);
	leave(0);
	dwrite(GICD_ISENABLER(1), 4, bit_of(EDGE_SPI));
	dwrite(GICD_CTLR, 4, GICD_CTLR_ARE); /* distributor off */
	enter(0);
	assert_int_equal(c->used_lrs, 0);
	leave(0);
	/* A Group 0 interrupt goes to the guest as a virtual FIQ, when Group 0 is on. */
	dwrite(GICD_IGROUPR(1), 4, ~bit_of(EDGE_SPI));
	dwrite(GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G0);
	enter(0);
	assert_int_equal(c->used_lrs, 1);
	assert_false(c->lr[0] & ICH_LR_GROUP);
	guest_ack(0);
	leave(0);
	/* Active and disabled: stays in a list register until deactivated, not pending. */
	dwrite(GICD_ICENABLER(1), 4, bit_of(EDGE_SPI));
	vgic_raise(G, spi(EDGE_SPI));
	enter(0);
	assert_int_equal(c->lr[0] & ICH_LR_STATE, ICH_LR_ACTIVE);
}

static bool maybe_lr(unsigned intid) { return vm.vgic->maybe_lr[intid / 64] & BIT(intid % 64); }

/* An exit looks only at interrupts marked when they became pending or active; the mark
 * goes once one is neither. A line held high keeps it: a change of trigger then makes the
 * interrupt pending without any new event. */
static void test_lr_scan_marks(void **state)
{
	struct vgic_cpu *c = vm.vcpus[0].vgic;

	guest_enable_spi(EDGE_SPI, 0x80, true);
	enter(0);
	leave(0);
	assert_false(maybe_lr(EDGE_SPI));
	vgic_set_line(G, spi(EDGE_SPI), true);
	assert_true(maybe_lr(EDGE_SPI));
	enter(0);
	guest_ack(0);
	guest_eoi(0);
	leave(0);
	enter(0);
	assert_int_equal(c->used_lrs, 0);
	assert_true(maybe_lr(EDGE_SPI)); /* the line is still high */
	leave(0);
	dwrite(GICD_ICFGR(EDGE_SPI / 16), 4, 0); /* level-sensitive now */
	enter(0);
	assert_int_equal(c->used_lrs, 1);
	assert_int_equal(lr_intid(0, 0), EDGE_SPI);
	leave(0);
	vgic_set_line(G, spi(EDGE_SPI), false);
	enter(0);
	assert_int_equal(c->used_lrs, 0);
	assert_false(maybe_lr(EDGE_SPI));
}

static void test_spi_moves_after_exit(void **state)
{
	guest_enable_spi(EDGE_SPI, 0x80, true);
	vgic_raise(G, spi(EDGE_SPI));
	enter(0);
	/* Routed to vCPU 1 while in vCPU 0's list register: vCPU 0 must give it back first. */
	n_calls = 0;
	dwrite(GICD_IROUTER(EDGE_SPI), 8, 1);
	assert_int_equal(kicks(0), 1);
	assert_int_equal(vgic_fill_lrs(G, &vm.vcpus[1]), ICH_HCR_EN);
	assert_int_equal(vm.vcpus[1].vgic->used_lrs, 0);
	leave(0);
	assert_int_equal(kicks(1), 1);
	enter(1);
	assert_int_equal(lr_intid(1, 0), EDGE_SPI);
	guest_ack(0);
	leave(1);
	/* Active on vCPU 1, it stays there even if routed back. */
	dwrite(GICD_IROUTER(EDGE_SPI), 8, 0);
	enter(0);
	assert_int_equal(vm.vcpus[0].vgic->used_lrs, 0);
	leave(0);
	enter(1);
	assert_int_equal(lr_intid(1, 0), EDGE_SPI);
	guest_eoi(0);
	leave(1);
}

static void test_sgi1r(void **state)
{
	struct vcpu *v1 = &vm.vcpus[1];
	const u64 sgi3 = FIELD_PREP(ICC_SGI1R_INTID, 3);

	vgic_send_sgis(G, v1, sgi3 | FIELD_PREP(ICC_SGI1R_TARGETS, BIT(0) | BIT(2)));
	assert_true(vm.vcpus[0].vgic->priv[3].pending_latch);
	assert_false(vm.vcpus[1].vgic->priv[3].pending_latch);
	assert_true(vm.vcpus[2].vgic->priv[3].pending_latch);
	assert_int_equal(kicks(0) + kicks(2), 2);
	assert_int_equal(kicks(1), 0);

	setup(state);
	vgic_send_sgis(G, &vm.vcpus[0], sgi3 | ICC_SGI1R_IRM);
	assert_false(vm.vcpus[0].vgic->priv[3].pending_latch);
	assert_true(vm.vcpus[1].vgic->priv[3].pending_latch);
	assert_true(vm.vcpus[2].vgic->priv[3].pending_latch);

	/* Affinities no vCPU has: Aff0 16.. (RS = 1), Aff1 = 1. */
	setup(state);
	vgic_send_sgis(G, v1, sgi3 | FIELD_PREP(ICC_SGI1R_RS, 1) | FIELD_PREP(ICC_SGI1R_TARGETS, 1));
	vgic_send_sgis(G, v1, sgi3 | FIELD_PREP(ICC_SGI1R_AFF1, 1) | FIELD_PREP(ICC_SGI1R_TARGETS, 1));
	assert_int_equal(n_calls, 0);
	assert_false(vm.vcpus[0].vgic->priv[3].pending_latch);

	/* Group 0 on the target: ICC_SGI1R_EL1 does not reach it. */
	rwrite(0, GICR_IGROUPR0, 4, ~BIT(3));
	vgic_send_sgis(G, v1, sgi3 | FIELD_PREP(ICC_SGI1R_TARGETS, 1));
	assert_false(vm.vcpus[0].vgic->priv[3].pending_latch);

	/* To itself, delivered at its next entry. */
	rwrite(1, GICR_ISENABLER0, 4, BIT(3));
	dwrite(GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	vgic_send_sgis(G, v1, sgi3 | FIELD_PREP(ICC_SGI1R_TARGETS, BIT(1)));
	enter(1);
	assert_int_equal(lr_intid(1, 0), 3);
}

static void test_hw_config(void **state)
{
	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	dwrite(GICD_ICFGR(FWD_SPI / 16), 4, (u64)GICD_ICFGR_EDGE << (2 * (FWD_SPI % 16)));
	assert_int_equal(count(CONFIG, FWD_SPI, true), 1);
	dwrite(GICD_ISENABLER(1), 4, bit_of(FWD_SPI));
	/* Enabled: a change would be UNPREDICTABLE, so it is ignored. */
	dwrite(GICD_ICFGR(FWD_SPI / 16), 4, 0);
	assert_int_equal(count_op(CONFIG), 1);
	assert_int_equal(dread(GICD_ICFGR(FWD_SPI / 16), 4),
			 (u64)GICD_ICFGR_EDGE << (2 * (FWD_SPI % 16)));
}

static void test_reset(void **state)
{
	struct vgic_cpu *c = vm.vcpus[2].vgic;

	assert_int_equal(vgic_claim_hw_spi(G, FWD_SPI), 0);
	guest_enable_spi(LEVEL_SPI, 0x10, true);
	dwrite(GICD_IROUTER(LEVEL_SPI), 8, 2);
	rwrite(2, GICR_WAKER, 4, 0);
	rwrite(2, GICR_ISENABLER0, 4, ~0U);
	vgic_set_line(G, spi(LEVEL_SPI), true);
	c->vmcr = 0x1234;
	c->ap1r[0] = 1;
	enter(2);

	vgic_reset(G);
	assert_int_equal(dread(GICD_CTLR, 4), GICD_CTLR_ARE | GICD_CTLR_DS);
	assert_int_equal(dread(GICD_ISENABLER(1), 4), 0);
	assert_int_equal(dread(GICD_IPRIORITYR(LEVEL_SPI), 1), 0);
	assert_int_equal(dread(GICD_ICFGR(2), 4), 0);
	assert_int_equal(dread(GICD_IROUTER(LEVEL_SPI), 8), 0);
	assert_int_equal(dread(GICD_IGROUPR(1), 4), 0xffff0102);
	assert_int_equal(dread(GICD_ISPENDR(1), 4), 0);
	assert_false(spi(LEVEL_SPI)->in_lr);
	assert_int_equal(rread(2, GICR_WAKER, 4), 6);
	assert_int_equal(rread(2, GICR_ISENABLER0, 4), 0);
	assert_int_equal(c->vmcr, 0);
	assert_int_equal(c->ap1r[0], 0);
	assert_int_equal(c->used_lrs, 0);
	/* Still the VM's: the forwarded SPI and the virtual devices'. */
	dwrite(GICD_ISENABLER(1), 4, bit_of(FWD_SPI));
	assert_int_equal(dread(GICD_ISENABLER(1), 4), bit_of(FWD_SPI));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dist_id, setup),
		cmocka_unit_test_setup(test_redist_id, setup),
		cmocka_unit_test_setup(test_access_sizes, setup),
		cmocka_unit_test_setup(test_ownership, setup),
		cmocka_unit_test_setup(test_priority_and_config, setup),
		cmocka_unit_test_setup(test_private_state, setup),
		cmocka_unit_test_setup(test_irouter, setup),
		cmocka_unit_test_setup(test_lr_edge, setup),
		cmocka_unit_test_setup(test_lr_not_taken_stays_pending, setup),
		cmocka_unit_test_setup(test_lr_priority_and_overflow, setup),
		cmocka_unit_test_setup(test_lr_level_resample, setup),
		cmocka_unit_test_setup(test_lr_hw_spi, setup),
		cmocka_unit_test_setup(test_lr_hw_spi_fires_again_before_exit, setup),
		cmocka_unit_test_setup(test_most_taken, setup),
		cmocka_unit_test_setup(test_lr_hw_timer_ppi, setup),
		cmocka_unit_test_setup(test_lr_disabled_and_groups, setup),
		cmocka_unit_test_setup(test_spi_moves_after_exit, setup),
		cmocka_unit_test_setup(test_lr_scan_marks, setup),
		cmocka_unit_test_setup(test_sgi1r, setup),
		cmocka_unit_test_setup(test_hw_config, setup),
		cmocka_unit_test_setup(test_reset, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
