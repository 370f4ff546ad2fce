/*
 * role=msi: MSIs of a passed-through device through the VM's virtual ITS (issue 16), in
 * isolation mode, from a guest that also tries everything it should not (tests/guest/msi.dts,
 * tests/boot/test_msi.py). QEMU's edu at 00:02.0 has an MSI capability (one vector, 64-bit
 * address); writing its raise register (0x60) sends one MSI. The guest:
 * - brings up LPIs as an OS does (property and pending tables, GICR_CTLR.EnableLPIs) and the
 *   ITS (its command queue in RAM; MAPD, MAPC, MAPTI, INV, SYNC), points edu's MSI at the
 *   ITS's GITS_TRANSLATER and counts the LPIs its raises bring;
 * - points the MSI elsewhere (the hypervisor's memory, the watcher VM's canary, its own RAM)
 *   and sends forged EventIDs: no LPI, nothing written outside its RAM;
 * - queues commands for a DeviceID it does not own, EventIDs past its ITT, LPIs out of
 *   range, an unknown command, then a command queue over MMIO and CWRITER past the queue:
 *   each refused, the queue going on;
 * - raises once more through the ITS: still exactly one LPI each;
 * - resets its VM (PSCI SYSTEM_RESET) with all of it mapped and MSI on, and after the
 *   restart finds MSI off and its ITS empty before it does everything again.
 */
#include "gic.h"
#include "guest.h"

#define EDU_DEVFN (2 << 3)
#define EDU_RID 0x10              /* 00:02.0: its DeviceID (the guest's msi-map is 1:1) */
#define OTHER_RID 0x18            /* 00:03.0: an edu nobody gave this VM */
#define ECAM_BASE 0x4010000000ULL
#define ECAM_CFG(devfn, reg) (ECAM_BASE + ((uint64_t)(devfn) << 12) + (reg))
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST (1U << 4)
#define PCI_CAP_LIST 0x34
#define PCI_CAP_ID_MSI 0x05
#define MSI_FLAGS 2
#define MSI_FLAGS_ENABLE (1U << 0)
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA 12                /* 64-bit capable: data after the high address */
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

/* The ITS (QEMU virt's place, where every Portcullis VM has it) and its registers. */
#define GITS_BASE 0x08080000ULL
#define GITS_CTLR 0x0000
#define GITS_TYPER 0x0008
#define GITS_CBASER 0x0080
#define GITS_CWRITER 0x0088
#define GITS_CREADR 0x0090
#define GITS_TRANSLATER (GITS_BASE + 0x10040)
#define GITS_CBASER_VALID (1ULL << 63)
#define GITS_BASER(n) (0x0100 + 8 * (n))
#define GITS_BASER_TYPE(v) (((v) >> 56) & 7)   /* 0: none (a virtual ITS's are all none) */
#define GITS_BASER_VALID (1ULL << 63)
#define GITS_BASER_KEEP ((0x7ULL << 56) | (0x1fULL << 48) | (0x3ULL << 8))
#define GICD_TYPER 0x0004
#define GICD_TYPER_LPIS (1U << 17)
#define GICR_CTLR 0x0000
#define GICR_CTLR_ENABLE_LPIS 1U
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078

#define CMD_MAPD 0x08
#define CMD_MAPC 0x09
#define CMD_MAPTI 0x0a
#define CMD_INV 0x0c
#define CMD_SYNC 0x05
#define CMD_VALID (1ULL << 63)

#define LPI_BASE 8192
#define LPI (LPI_BASE + 32)
#define LPI_IDBITS 16
#define EVENT 1                    /* edu's vector sends EventID = its MSI data */
#define ITT_BITS 2                 /* events 0..3 */
#define PROP_TABLE (GUEST_RAM_BASE + 0x1300000)  /* 64 KiB aligned */
#define PEND_TABLE (GUEST_RAM_BASE + 0x1310000)
#define CMD_QUEUE (GUEST_RAM_BASE + 0x1320000)   /* one 4 KiB page: 128 commands */
#define ITT (GUEST_RAM_BASE + 0x1321000)
#define ITS_TABLES (GUEST_RAM_BASE + 0x1500000)  /* 64 KiB per GITS_BASER<n> that wants one */
#define OWN_TARGET (GUEST_RAM_BASE + 0x1330000)  /* an MSI aimed into its own RAM lands */
#define BAR_MMIO 0x10000000ULL                   /* its edu's BAR: MMIO, not RAM */
#define MSI_WAIT_MS 200
#define MSI_SAMPLES 100
/* In RAM no image covers, which a restart leaves as it was: the first boot marks it. */
#define RESET_MARK ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1400000))
#define RESET_MAGIC 0x6d73692d72737431ULL

static const uint64_t elsewhere[] = { 0x40000000ULL, 0x61100000ULL };

static unsigned queued;

static uint16_t cfg_read16(unsigned reg) { return *(volatile uint16_t *)ECAM_CFG(EDU_DEVFN, reg); }
static uint8_t cfg_read8(unsigned reg) { return *(volatile uint8_t *)ECAM_CFG(EDU_DEVFN, reg); }
static void cfg_write16(unsigned reg, uint16_t v) { *(volatile uint16_t *)ECAM_CFG(EDU_DEVFN, reg) = v; }
static void cfg_write32(unsigned reg, uint32_t v) { mmio_write32(ECAM_CFG(EDU_DEVFN, reg), v); }

static unsigned msi_cap(void)
{
	unsigned at;

	if (!(cfg_read16(PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	for (at = cfg_read8(PCI_CAP_LIST) & 0xfc; at >= 0x40; at = cfg_read8(at + 1) & 0xfc)
		if (cfg_read8(at) == PCI_CAP_ID_MSI)
			return at;
	return 0;
}

/* ---- the ITS ---- */

static void send(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	volatile uint64_t *slot = (volatile uint64_t *)(CMD_QUEUE + queued);

	slot[0] = w0;
	slot[1] = w1;
	slot[2] = w2;
	slot[3] = w3;
	queued = (queued + 32) % 4096;
	mmio_write64(GITS_BASE + GITS_CWRITER, queued);
}

static uint64_t dev(uint8_t cmd, uint32_t devid) { return cmd | (uint64_t)devid << 32; }

static void mapti(uint32_t devid, uint32_t event, uint32_t lpi)
{
	send(dev(CMD_MAPTI, devid), event | (uint64_t)lpi << 32, 0, 0);
}

/* Does the ITS say it has read every command? */
static int queue_drained(void)
{
	return (unsigned)(*(volatile uint64_t *)(GITS_BASE + GITS_CREADR)) == queued;
}

/* A physical ITS (make bench runs this guest straight on QEMU too) wants its device and
 * collection tables in memory: one zeroed page each, of the size the ITS says (64 KiB at
 * most), covers this guest's few IDs. */
static void its_tables(void)
{
	for (unsigned n = 0; n < 8; n++) {
		uint64_t baser = *(volatile uint64_t *)(GITS_BASE + GITS_BASER(n));
		volatile uint64_t *page = (volatile uint64_t *)(ITS_TABLES + n * 0x10000);

		if (!GITS_BASER_TYPE(baser))
			continue;
		for (unsigned i = 0; i < 0x10000 / 8; i++)
			page[i] = 0;
		/* type, entry size and page size kept; one page, flat */
		mmio_write64(GITS_BASE + GITS_BASER(n),
			     GITS_BASER_VALID | (baser & GITS_BASER_KEEP) | (uint64_t)page);
	}
}

static void its_setup(void)
{
	volatile uint8_t *prop = (volatile uint8_t *)PROP_TABLE;
	uint64_t rd = GICR_BASE(0);

	for (unsigned i = 0; i < 64; i++)
		prop[i] = GIC_PRIO_DEFAULT | 1; /* LPIs 8192..8255: enabled */
	mmio_write64(rd + GICR_PROPBASER, PROP_TABLE | (LPI_IDBITS - 1));
	mmio_write64(rd + GICR_PENDBASER, PEND_TABLE);
	mmio_write32(rd + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	its_tables();
	mmio_write64(GITS_BASE + GITS_CBASER, GITS_CBASER_VALID | CMD_QUEUE);
	mmio_write64(GITS_BASE + GITS_CWRITER, 0);
	queued = 0;
	mmio_write32(GITS_BASE + GITS_CTLR, 1);
	send(dev(CMD_MAPD, EDU_RID), ITT_BITS - 1, CMD_VALID | ITT, 0);
	send(CMD_MAPC, 0, CMD_VALID | 0 /* vCPU 0 */ | 0 /* ICID 0 */, 0);
	mapti(EDU_RID, EVENT, LPI);
	send(dev(CMD_INV, EDU_RID), EVENT, 0, 0);
	send(CMD_SYNC, 0, 0, 0);
	puts("GUEST: msi: GICD_TYPER.LPIS ");
	putdec(!!(mmio_read32(GICD_BASE + GICD_TYPER) & GICD_TYPER_LPIS));
	puts(", GITS_TYPER ");
	puthex(*(volatile uint64_t *)(GITS_BASE + GITS_TYPER));
	puts(queue_drained() ? ", commands read\n" : ", commands NOT read\n");
}

/* ---- edu's MSI ---- */

static void aim(unsigned cap, uint64_t addr, uint16_t data)
{
	cfg_write32(cap + MSI_ADDR_LO, (uint32_t)addr);
	cfg_write32(cap + MSI_ADDR_HI, (uint32_t)(addr >> 32));
	cfg_write16(cap + MSI_DATA, data);
}

/* Raise edu's interrupt n times (one MSI each); the LPIs taken within MSI_WAIT_MS. */
static uint32_t raise(uint64_t bar, unsigned n)
{
	uint32_t before = gic_lpis[0];

	for (unsigned i = 0; i < n; i++) {
		mmio_write32(bar + EDU_IRQ_RAISE, 1);
		mmio_write32(bar + EDU_IRQ_ACK, mmio_read32(bar + EDU_IRQ_STATUS));
		delay_ms(MSI_WAIT_MS / 4);
	}
	delay_ms(MSI_WAIT_MS);
	return gic_lpis[0] - before;
}

/* From edu's raise (a store to its BAR, which the guest reaches without a trap) to the
 * guest's handler, the guest spinning meanwhile: the MSI through the SMMU and the ITS, the
 * physical LPI at EL2, the injection and the list register. Averaged over MSI_SAMPLES. */
static void latency(uint64_t bar)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < MSI_SAMPLES; i++) {
		uint32_t before = gic_lpis[0];
		uint64_t t0 = counter(), deadline = t0 + ms_to_ticks(MSI_WAIT_MS);

		mmio_write32(bar + EDU_IRQ_RAISE, 1);
		while (gic_lpis[0] == before && counter() < deadline)
			;
		total += gic_lpi_at[0] - t0;
		mmio_write32(bar + EDU_IRQ_ACK, mmio_read32(bar + EDU_IRQ_STATUS));
	}
	puts("GUEST: msi: MSI latency ns ");
	putdec(total * 1000000000ULL / read_sysreg(cntfrq_el0) / MSI_SAMPLES);
	puts("\n");
}

static void report(const char *what, uint64_t value, uint32_t lpis)
{
	puts("GUEST: msi: ");
	puts(what);
	puthex(value);
	puts(": ");
	putdec(lpis);
	puts(" LPI(s)\n");
}

static void msis_elsewhere(uint64_t bar, unsigned cap)
{
	volatile uint32_t *own = (volatile uint32_t *)OWN_TARGET;

	for (unsigned i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		aim(cap, elsewhere[i], EVENT);
		report("MSI to ", elsewhere[i], raise(bar, 1));
	}
	*own = 0;
	aim(cap, OWN_TARGET, 0x77);
	report("MSI to its own RAM ", OWN_TARGET, raise(bar, 1));
	puts("GUEST: msi: its own RAM then holds ");
	puthex(*own);
	puts("\n");
	for (uint16_t event = 0; event < 8; event += 3) { /* 0, 3 unmapped; 6 past the ITT */
		aim(cap, GITS_TRANSLATER, event);
		report("forged EventID ", event, raise(bar, 1));
	}
}

static void hostile_commands(void)
{
	uint32_t before = gic_lpis[0];

	send(dev(CMD_MAPD, OTHER_RID), 0, CMD_VALID | ITT, 0); /* not its device */
	mapti(OTHER_RID, 0, LPI + 1);
	mapti(EDU_RID, 1U << ITT_BITS, LPI + 1);                /* past its ITT */
	mapti(EDU_RID, 2, 100);                                 /* not an LPI */
	mapti(EDU_RID, 2, 1U << 20);                            /* past IDbits */
	send(0x2a, 0, 0, 0);                                    /* GICv4's VMAPP */
	send(dev(0x03, OTHER_RID), 0, 0, 0);                    /* INT for a device not its */
	puts(queue_drained() ? "GUEST: msi: 7 hostile commands read, the queue went on\n"
			     : "GUEST: msi: the queue STOPPED at a hostile command\n");
	/* The queue over its BAR (MMIO), then CWRITER past a good queue. */
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	mmio_write64(GITS_BASE + GITS_CBASER, GITS_CBASER_VALID | BAR_MMIO);
	mmio_write32(GITS_BASE + GITS_CTLR, 1);
	mmio_write64(GITS_BASE + GITS_CWRITER, 32);
	puts("GUEST: msi: queue over MMIO: CREADR ");
	puthex(*(volatile uint64_t *)(GITS_BASE + GITS_CREADR));
	mmio_write32(GITS_BASE + GITS_CTLR, 0);
	mmio_write64(GITS_BASE + GITS_CBASER, GITS_CBASER_VALID | CMD_QUEUE);
	mmio_write32(GITS_BASE + GITS_CTLR, 1);
	queued = 0;
	mmio_write64(GITS_BASE + GITS_CWRITER, 0x10000);
	puts("; CWRITER past the queue: CWRITER ");
	puthex(*(volatile uint64_t *)(GITS_BASE + GITS_CWRITER));
	/* A CPU's write to the translater is no device's MSI. */
	mmio_write32(GITS_TRANSLATER, EVENT);
	delay_ms(MSI_WAIT_MS);
	puts("; CPU write to GITS_TRANSLATER: ");
	putdec(gic_lpis[0] - before);
	puts(" LPI(s)\n");
}

/* After the restart, before anything is set up again: what the reset left. */
static void after_reset(uint64_t bar, unsigned cap)
{
	puts("GUEST: msi: after reset: MSI enable reads ");
	putdec(cfg_read16(cap + MSI_FLAGS) & MSI_FLAGS_ENABLE);
	puts(", ITS enabled ");
	putdec(mmio_read32(GITS_BASE + GITS_CTLR) & 1);
	puts(", EnableLPIs ");
	putdec(mmio_read32(GICR_BASE(0) + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS);
	/* Turned on as it was, with nothing mapped: the old mapping must be gone. */
	mmio_write64(GICR_BASE(0) + GICR_PROPBASER, PROP_TABLE | (LPI_IDBITS - 1));
	mmio_write32(GICR_BASE(0) + GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	cfg_write16(cap + MSI_FLAGS, cfg_read16(cap + MSI_FLAGS) | MSI_FLAGS_ENABLE);
	puts("; a raise then brings ");
	putdec(raise(bar, 1));
	puts(" LPI(s)\n");
	cfg_write16(cap + MSI_FLAGS, cfg_read16(cap + MSI_FLAGS) & ~MSI_FLAGS_ENABLE);
	mmio_write32(GICR_BASE(0) + GICR_CTLR, 0);
}

/* role=msibench (make bench): the MSI latency alone, the same under Portcullis
 * (tests/guest/msi-bench.dts) and straight on QEMU, where the guest gives edu its BAR
 * itself (no firmware did). */
void msi_bench(void)
{
	uint64_t bar;
	unsigned cap;

	gic_dist_init();
	gic_cpu_init();
	if (!edu_bar_assigned())
		edu_assign_bar(EDU_BAR_DEFAULT);
	bar = edu_setup();
	cap = msi_cap();
	its_setup();
	aim(cap, GITS_TRANSLATER, EVENT);
	cfg_write16(cap + MSI_FLAGS, cfg_read16(cap + MSI_FLAGS) | MSI_FLAGS_ENABLE);
	latency(bar);
	puts("GUEST: msi: bench done\n");
}

void msi(void)
{
	int second = *RESET_MARK == RESET_MAGIC;
	uint64_t bar;
	unsigned cap;

	gic_dist_init();
	gic_cpu_init();
	bar = edu_setup();
	cap = msi_cap();
	if (!cap) {
		puts("GUEST: msi: edu has no MSI capability\n");
		return;
	}
	if (second)
		after_reset(bar, cap);
	its_setup();
	aim(cap, GITS_TRANSLATER, EVENT);
	cfg_write16(cap + MSI_FLAGS, cfg_read16(cap + MSI_FLAGS) | MSI_FLAGS_ENABLE);
	puts("GUEST: msi: MSI enable reads ");
	putdec(cfg_read16(cap + MSI_FLAGS) & MSI_FLAGS_ENABLE);
	puts("\n");
	report("3 raises through the ITS, LPI ", LPI, raise(bar, 3));
	latency(bar);
	msis_elsewhere(bar, cap);
	hostile_commands();
	aim(cap, GITS_TRANSLATER, EVENT);
	report("3 raises through the ITS again, LPI ", LPI, raise(bar, 3));
	if (second) {
		*RESET_MARK = 0;
		puts("GUEST: msi: done after reset\n");
		return;
	}
	puts("GUEST: msi: done, resetting\n");
	*RESET_MARK = RESET_MAGIC;
	psci(PSCI_SYSTEM_RESET, 0, 0, 0);
}
