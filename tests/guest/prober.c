/*
 * role=prober, on a 2-vCPU VM. Boot 1: every 64 MiB outside its RAM aborts; PSCI CPU_ON,
 * AFFINITY_INFO and CPU_OFF on vCPU 1; the virtual timer on vCPU 0; SGIs between the two
 * vCPUs (where vCPU 1 also runs the virtual timer); then PSCI SYSTEM_RESET. Boot 2 (RAM
 * survives the reset, so it knows): its vGIC is back in its reset state; SYSTEM_OFF.
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

/* Survives SYSTEM_RESET: the hypervisor reloads the images, not the rest of RAM. */
#define BOOT_RECORD ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1000000))
#define BOOT_MAGIC 0x746f6f42746f6f42ULL

/* What vCPU 1 does when started (PSCI CPU_ON's context_id). */
#define TASK_OFF 0 /* note that it ran, turn itself off */
#define TASK_SGI 1 /* the SGI partner, then off */

#define SGI_BY_LIST 3 /* sent by target list: 0 -> 1, then 1 -> 0 */
#define SGI_BY_IRM 5  /* sent with IRM = 1 (everyone but the sender): 0, then 1 */
#define SGI_ABSENT 7  /* sent to affinities no vCPU has */
#define WAIT_MS 1000
#define SETTLE_MS 20

static volatile uint64_t secondary_ran;
static volatile uint32_t partner_ready, partner_done;

/* Every 64 MiB of the first 4 GiB above 1 GiB of guest-physical space that is not this
 * VM's RAM: where the hypervisor and the other VM live physically. */
static void probe_outside_ram(void)
{
	unsigned tried = 0, aborted = 0;

	for (uint64_t ipa = 0x40000000; ipa < 0x140000000ULL; ipa += 0x4000000) {
		if (ipa >= GUEST_RAM_BASE && ipa < GUEST_RAM_BASE + GUEST_RAM_SIZE)
			continue;
		tried++;
		aborted += probe(ipa);
	}
	puts("GUEST: probed ");
	putdec(tried);
	puts(" addresses outside RAM, ");
	putdec(aborted);
	puts(" aborted\n");
}

/* AFFINITY_INFO of vCPU 1 once it reads OFF, or what it still reads after WAIT_MS: a vCPU
 * that has noted it ran may not have reached its CPU_OFF yet. */
static int64_t vcpu1_affinity_once_off(void)
{
	int64_t aff = psci(PSCI_AFFINITY_INFO, 1, 0, 0);

	for (int i = 0; i < WAIT_MS && aff != PSCI_AFFINITY_OFF; i++) {
		delay_ms(1);
		aff = psci(PSCI_AFFINITY_INFO, 1, 0, 0);
	}
	return aff;
}

static void check_smp(void)
{
	int64_t on = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, TASK_OFF);
	int64_t off, again;

	for (int i = 0; i < WAIT_MS && !secondary_ran; i++)
		delay_ms(1);
	off = vcpu1_affinity_once_off();
	again = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, TASK_OFF);
	vcpu1_affinity_once_off();
	puts("GUEST: CPU_ON ");
	putdec((uint64_t)-on);
	puts(" secondary ");
	putdec(secondary_ran);
	puts(" affinity-after-off ");
	putdec((uint64_t)off);
	puts(" second-on ");
	putdec((uint64_t)-again);
	puts(" bad-target ");
	putdec((uint64_t)-psci(PSCI_CPU_ON, 7, GUEST_RAM_BASE, 0));
	puts("\n");
}

static void count_only(unsigned intid, unsigned cpu)
{
	(void)intid;
	(void)cpu;
}

static void enable_sgis(void)
{
	static const unsigned sgis[] = { SGI_BY_LIST, SGI_BY_IRM, SGI_ABSENT };

	for (unsigned i = 0; i < sizeof(sgis) / sizeof(sgis[0]); i++) {
		gic_set_handler(sgis[i], count_only);
		gic_enable_private(sgis[i]);
	}
}

/* vCPU 1: answer vCPU 0's SGI by target list with one back to vCPU 0, and its IRM SGI
 * with an IRM SGI. */
static void sgi_partner(void)
{
	if (gic_cpu_init()) {
		puts("GUEST: vCPU 1 GICR_WAKER.ChildrenAsleep stuck\n");
		partner_done = 1;
		return;
	}
	enable_sgis();
	vtimer_test();
	partner_ready = 1;
	if (wait_eq(&gic_seen[1][SGI_BY_LIST], 1, WAIT_MS))
		gic_send_sgi(ICC_SGI1R_INTID(SGI_BY_LIST) | ICC_SGI1R_TARGETS(1U << 0));
	if (wait_eq(&gic_seen[1][SGI_BY_IRM], 1, WAIT_MS))
		gic_send_sgi(ICC_SGI1R_INTID(SGI_BY_IRM) | ICC_SGI1R_IRM);
	delay_ms(SETTLE_MS);
	partner_done = 1;
}

void prober_secondary(unsigned cpu, uint64_t task)
{
	secondary_ran = cpu;
	if (task == TASK_SGI)
		sgi_partner();
	psci(PSCI_CPU_OFF, 0, 0, 0);
	puts("GUEST: CPU_OFF returned\n");
}

static void print_sgis(unsigned cpu)
{
	puts("GUEST: vCPU ");
	putdec(cpu);
	puts(" got SGI 3: ");
	putdec(gic_seen[cpu][SGI_BY_LIST]);
	puts(", SGI 5: ");
	putdec(gic_seen[cpu][SGI_BY_IRM]);
	puts(", SGI 7: ");
	putdec(gic_seen[cpu][SGI_ABSENT]);
	puts(", stray ");
	putdec(gic_stray[cpu]);
	puts("\n");
}

static void check_sgis(void)
{
	int64_t on;

	enable_sgis();
	on = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, TASK_SGI);
	wait_eq(&partner_ready, 1, WAIT_MS);
	/* vCPU 2 (target list bit 2) and vCPUs 0.0.1.0-1 do not exist: nobody gets these. */
	gic_send_sgi(ICC_SGI1R_INTID(SGI_ABSENT) | ICC_SGI1R_TARGETS(1U << 2));
	gic_send_sgi(ICC_SGI1R_INTID(SGI_ABSENT) | ICC_SGI1R_AFF1(1) | ICC_SGI1R_TARGETS(3));
	gic_send_sgi(ICC_SGI1R_INTID(SGI_BY_LIST) | ICC_SGI1R_TARGETS(1U << 1));
	wait_eq(&gic_seen[0][SGI_BY_LIST], 1, WAIT_MS);
	gic_send_sgi(ICC_SGI1R_INTID(SGI_BY_IRM) | ICC_SGI1R_IRM);
	wait_eq(&partner_done, 1, WAIT_MS);
	delay_ms(SETTLE_MS);
	puts("GUEST: SGI partner CPU_ON ");
	putdec((uint64_t)-on);
	puts(" ready ");
	putdec(partner_ready);
	puts(" done ");
	putdec(partner_done);
	puts(" off ");
	putdec(vcpu1_affinity_once_off() == PSCI_AFFINITY_OFF);
	puts("\n");
	print_sgis(0);
	print_sgis(1);
}

/* The distributor and both redistributors' enables and sleep state. */
static void print_vgic_state(const char *when)
{
	puts("GUEST: vGIC ");
	puts(when);
	puts(": GICD_CTLR ");
	puthex(mmio_read32(GICD_BASE + GICD_CTLR));
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		puts(", vCPU ");
		putdec(cpu);
		puts(" ISENABLER0 ");
		puthex(mmio_read32(GICR_BASE(cpu) + GICR_ISENABLER0));
		puts(" WAKER ");
		puthex(mmio_read32(GICR_BASE(cpu) + GICR_WAKER));
	}
	puts("\n");
}

void prober(void)
{
	uint64_t boots;

	if (*BOOT_RECORD != BOOT_MAGIC) {
		BOOT_RECORD[0] = BOOT_MAGIC;
		BOOT_RECORD[1] = 0;
	}
	boots = ++BOOT_RECORD[1];
	puts("GUEST: prober boot ");
	putdec(boots);
	puts("\n");
	if (boots > 1) {
		print_vgic_state("after reset");
		puts("GUEST: prober restarted by SYSTEM_RESET; powering off\n");
		psci(PSCI_SYSTEM_OFF, 0, 0, 0);
		return;
	}
	probe_outside_ram();
	check_smp();
	gic_dist_init();
	if (gic_cpu_init()) {
		puts("GUEST: vCPU 0 GICR_WAKER.ChildrenAsleep stuck\n");
		return;
	}
	vtimer_test();
	check_sgis();
	print_vgic_state("before reset");
	puts("GUEST: prober resetting its VM\n");
	psci(PSCI_SYSTEM_RESET, 0, 0, 0);
}

/* role=resetter (make soak): up, two seconds, then PSCI SYSTEM_RESET: its VM restarts
 * again and again beside the others. */
void resetter(void)
{
	puts("GUEST: resetter: up\n");
	delay_ms(2000);
	psci(PSCI_SYSTEM_RESET, 0, 0, 0);
}

/* role=spin (tests/linux/test_livelock.py's baseline for the flood): as busy as the flood,
 * without a DMA or a fault. */
void spin(void)
{
	puts("GUEST: spin: started\n");
	for (;;)
		(void)counter();
}
