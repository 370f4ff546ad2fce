/*
 * role=dma: QEMU's edu device (1234:11e8) passed through (tests/guest/dma.dts), found
 * through the hypervisor's emulated ECAM and driven by DMA in isolation mode, where the
 * device's addresses (IOVAs) are guest-physical addresses. It checks:
 * - the ECAM of bus 0 shows only its own functions: every other one (the host bridge, an
 *   edu nobody owns) reads as absent, vendor 0xffff;
 * - BAR0 sizing (all ones, then the original) as the emulated ECAM answers it, the command
 *   register, the edu's ID and liveness registers;
 * - a DMA round trip RAM -> device buffer -> RAM inside its RAM;
 * - DMA from the device buffer to guest-physical addresses outside its RAM: the device sees
 *   nothing (edu ignores errors), the hypervisor logs the SMMU faults, and nothing lands
 *   there (one target is the watcher VM's canary); a second round trip shows the device
 *   and its translation still work.
 * Each transfer takes 100 ms of virtual time (edu's timer), so there are few.
 */
#include "guest.h"

#define ECAM_BASE 0x4010000000ULL /* QEMU virt's ECAM; the hypervisor emulates it there */
#define ECAM_CFG(devfn, reg) (ECAM_BASE + ((uint64_t)(devfn) << 12) + (reg))
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY (1U << 1)
#define PCI_COMMAND_MASTER (1U << 2)
#define PCI_BAR0 0x10
#define PCI_BAR_MEM_ADDR 0xfffffff0U
#define EDU_VENDOR_DEVICE 0x11e81234U /* device << 16 | vendor */
#define UNOWNED_DEVFN (3 << 3)         /* 00:03.0: the test puts an edu nobody owns there */

/* Where the VM's edu is: 00:02.0 (dma.dts and most configs), or edu_use()'s choice. */
static unsigned edu_devfn = 2 << 3;

void edu_use(unsigned device) { edu_devfn = device << 3; }
unsigned edu_rid(void) { return edu_devfn; }

/* edu's BAR0 registers (QEMU docs/specs/edu.rst) */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START (1U << 0)
#define EDU_DMA_TIMEOUT_MS 1000  /* one transfer takes 100 ms of virtual time */

#define XFER_BYTES 512
#define XFER_WORDS (XFER_BYTES / 8)
/* A transfer the SMMU refuses is one event per 4-byte write in QEMU, and the hypervisor
 * logs only the first 32 events in full: 16 bytes keep every target in the log. */
#define FAULT_BYTES 16
#define SRC_BUF ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1200000))
#define DST_BUF ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1201000))
/* Outside its RAM: where the hypervisor and other VMs live physically on QEMU (the
 * watcher's canary is at 0x61100000 physically: dma.dts pins its RAM at 0x60000000), and
 * above all of QEMU's RAM. */
static const uint64_t outside[] = { 0x40000000ULL, 0x61100000ULL, 0x100000000ULL };

static uint32_t cfg_read32(unsigned devfn, unsigned reg)
{
	return mmio_read32(ECAM_CFG(devfn, reg));
}

static void cfg_write32(unsigned devfn, unsigned reg, uint32_t v)
{
	mmio_write32(ECAM_CFG(devfn, reg), v);
}

static uint16_t cfg_read16(unsigned devfn, unsigned reg)
{
	return *(volatile uint16_t *)ECAM_CFG(devfn, reg);
}

static void cfg_write16(unsigned devfn, unsigned reg, uint16_t v)
{
	*(volatile uint16_t *)ECAM_CFG(devfn, reg) = v;
}

/* "00:02.0" */
static void put_bdf(unsigned devfn)
{
	char s[] = "00:00.0";

	s[3] = "0123456789abcdef"[devfn >> 7];
	s[4] = "0123456789abcdef"[(devfn >> 3) & 0xf];
	s[6] = (char)('0' + (devfn & 7));
	puts(s);
}

/* Every function of bus 0 that answers, then what the two we know are not ours read. */
static int scan_bus0(void)
{
	int edu_found = 0;

	puts("GUEST: dma: bus 0:");
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		uint32_t id = cfg_read32(devfn, PCI_VENDOR_ID);

		if ((id & 0xffff) == 0xffff)
			continue;
		puts(" ");
		put_bdf(devfn);
		puts(" ");
		puthex(id);
		edu_found |= devfn == edu_devfn && id == EDU_VENDOR_DEVICE;
	}
	puts("; 00:00.0 reads ");
	puthex(cfg_read32(0, PCI_VENDOR_ID));
	puts(", 00:03.0 reads ");
	puthex(cfg_read32(UNOWNED_DEVFN, PCI_VENDOR_ID));
	puts("\n");
	return edu_found;
}

int edu_bar_assigned(void)
{
	return (cfg_read32(edu_devfn, PCI_BAR0) & PCI_BAR_MEM_ADDR) != 0;
}

void edu_assign_bar(uint32_t addr)
{
	cfg_write32(edu_devfn, PCI_BAR0, addr);
}

/* BAR0 sizing through the emulated ECAM, then memory decoding and bus mastering on. */
uint64_t edu_setup(void)
{
	uint32_t bar = cfg_read32(edu_devfn, PCI_BAR0), mask, restored;
	uint16_t cmd;

	cfg_write32(edu_devfn, PCI_BAR0, 0xffffffffU);
	mask = cfg_read32(edu_devfn, PCI_BAR0);
	cfg_write32(edu_devfn, PCI_BAR0, bar);
	restored = cfg_read32(edu_devfn, PCI_BAR0);
	cfg_write16(edu_devfn, PCI_COMMAND,
		    cfg_read16(edu_devfn, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cmd = cfg_read16(edu_devfn, PCI_COMMAND);
	puts("GUEST: dma: BAR0 ");
	puthex(bar);
	puts(" sizing ");
	puthex(mask);
	puts(" restored ");
	puthex(restored);
	puts(", command memory ");
	putdec(!!(cmd & PCI_COMMAND_MEMORY));
	puts(" master ");
	putdec(!!(cmd & PCI_COMMAND_MASTER));
	puts("\n");
	return bar & PCI_BAR_MEM_ADDR;
}

static void check_registers(uint64_t bar)
{
	uint32_t id = mmio_read32(bar + EDU_ID), live;

	mmio_write32(bar + EDU_LIVENESS, 0x12345678U);
	live = mmio_read32(bar + EDU_LIVENESS);
	puts("GUEST: dma: edu ID ");
	puthex(id);
	puts(", liveness 0x12345678 -> ");
	puthex(live);
	puts("\n");
}

int edu_dma(uint64_t bar, uint64_t src, uint64_t dst, uint32_t count, uint32_t dir)
{
	uint64_t start = counter();

	mmio_write64(bar + EDU_DMA_SRC, src);
	mmio_write64(bar + EDU_DMA_DST, dst);
	mmio_write64(bar + EDU_DMA_COUNT, count);
	mmio_write64(bar + EDU_DMA_CMD, EDU_DMA_START | dir);
	while (mmio_read32(bar + EDU_DMA_CMD) & EDU_DMA_START)
		if (counter() - start > ms_to_ticks(EDU_DMA_TIMEOUT_MS))
			return 0;
	return 1;
}

static uint64_t pattern(unsigned round, unsigned i)
{
	return 0x0123456789abcdefULL * (i + 1) ^ ((uint64_t)round << 56) ^ 0x5a;
}

/* RAM -> device buffer -> RAM at guest-physical addresses inside its RAM. */
static void roundtrip(uint64_t bar, unsigned round)
{
	unsigned bad = XFER_WORDS;
	int done;

	for (unsigned i = 0; i < XFER_WORDS; i++) {
		SRC_BUF[i] = pattern(round, i);
		DST_BUF[i] = 0;
	}
	done = edu_dma(bar, (uint64_t)SRC_BUF, EDU_DMA_BUF, XFER_BYTES, 0) &&
	       edu_dma(bar, EDU_DMA_BUF, (uint64_t)DST_BUF, XFER_BYTES, EDU_DMA_TO_RAM);
	for (unsigned i = 0; i < XFER_WORDS && bad == XFER_WORDS; i++)
		if (DST_BUF[i] != pattern(round, i))
			bad = i;
	if (!done) {
		puts("GUEST: dma: DMA roundtrip TIMED OUT\n");
	} else if (bad < XFER_WORDS) {
		puts("GUEST: dma: DMA roundtrip MISMATCH at byte ");
		putdec(bad * 8);
		puts(": ");
		puthex(DST_BUF[bad]);
		puts(" instead of ");
		puthex(pattern(round, bad));
		puts("\n");
	} else {
		puts("GUEST: dma: DMA roundtrip ok ");
		putdec(XFER_BYTES);
		puts(" bytes\n");
	}
}

/* Device buffer -> RAM at guest-physical addresses this VM has no RAM at. */
static void dma_outside_ram(uint64_t bar)
{
	for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		int done = edu_dma(bar, EDU_DMA_BUF, outside[i], FAULT_BYTES, EDU_DMA_TO_RAM);

		puts("GUEST: dma: DMA of ");
		putdec(FAULT_BYTES);
		puts(" bytes to ");
		puthex(outside[i]);
		puts(done ? " outside RAM: device done\n" : " outside RAM: device TIMED OUT\n");
	}
}

void dma(void)
{
	uint64_t bar;

	if (!scan_bus0()) {
		puts("GUEST: dma: edu not found at 00:02.0\n");
		return;
	}
	bar = edu_setup();
	check_registers(bar);
	roundtrip(bar, 1);
	dma_outside_ram(bar);
	roundtrip(bar, 2);
	puts("GUEST: dma: done\n");
}
