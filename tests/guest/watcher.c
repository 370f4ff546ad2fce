/*
 * role=watcher: a bystander. It checks that what another VM was given is out of its reach
 * (the RTC page at its physical address, inside the emulated window where no device of
 * this VM is, and at the IPA the rtc VM sees it; the RTC's SPI, which its distributor
 * does not let it enable or make pending), then writes a canary into its RAM and reports
 * every 200 ms that it still holds and how many interrupts reached it: none may, as it
 * enabled only its SGIs, which nobody else can send it, and no LPIs.
 */
#include "gic.h"
#include "guest.h"

#define RTC_PA 0x09010000ULL
#define RTC_OTHER_VM_IPA 0x0c000000ULL /* where passthrough.dts shows it to the rtc VM */
#define RTC_INTID 34
#define CANARY ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1100000))
#define CANARY_WORDS 1024

static void interrupts_out_of_reach(void)
{
	int at_pa = probe(RTC_PA), at_ipa = probe(RTC_OTHER_VM_IPA);

	gic_dist_init();
	gic_cpu_init();
	for (unsigned sgi = 0; sgi < 16; sgi++)
		gic_enable_private(sgi); /* no handler: anything taken counts as stray */
	gic_enable_spi(RTC_INTID, 0);
	mmio_write32(GICD_BASE + GICD_ISPENDR(RTC_INTID / 32), 1U << (RTC_INTID % 32));
	puts("GUEST: watcher: RTC page at ");
	puthex(RTC_PA);
	puts(at_pa ? " aborted, at " : " NOT aborted, at ");
	puthex(RTC_OTHER_VM_IPA);
	puts(at_ipa ? " aborted; SPI 34 enabled " : " NOT aborted; SPI 34 enabled ");
	putdec(gic_spi_enabled(RTC_INTID));
	puts(" pending ");
	putdec(gic_spi_pending(RTC_INTID));
	puts("\n");
}

void watcher(void)
{
	interrupts_out_of_reach();
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		CANARY[i] = 0x5a5a0000ULL + i;
	for (uint64_t beat = 1;; beat++) {
		unsigned bad = 0;

		for (unsigned i = 0; i < CANARY_WORDS; i++)
			bad += CANARY[i] != 0x5a5a0000ULL + i;
		puts("GUEST: watcher heartbeat ");
		putdec(beat);
		puts(bad ? " canary CORRUPT" : " canary ok");
		puts(", interrupts ");
		putdec(gic_stray[0] + gic_lpis[0]);
		puts("\n");
		delay_ms(200);
	}
}
