/*
 * role=rtc: QEMU virt's PL031 RTC passed through (tests/guest/passthrough.dts): its page
 * at IPA RTC_BASE and its SPI, INTID 34, forwarded with the HW bit. Checks that the device
 * answers there (and not at its physical address, inside the emulated window), and that
 * the interrupt follows the guest's distributor: held back while routed to no vCPU,
 * delivered once routed to vCPU 0, delivered again after the guest's EOI when the guest
 * left the device's level-sensitive line high (the EOI deactivated the physical SPI), and
 * not again once the guest cleared it.
 */
#include "gic.h"
#include "guest.h"

#define RTC_BASE 0x0c000000ULL /* the config's mmio-ipa */
#define RTC_PA 0x09010000ULL
#define RTC_INTID 34
#define RTCDR 0x00  /* seconds */
#define RTCMR 0x04  /* match */
#define RTCIMSC 0x10
#define RTCRIS 0x14
#define RTCICR 0x1c
#define RTC_INT (1U << 0)
#define RTC_PERIPHID0 0xfe0 /* PeriphID0-3, then PCellID0-3: one byte per word */
#define RTC_PCELLID0 0xff0

#define RTC_MATCH_TIMEOUT_MS 2500
#define SETTLE_MS 20

static volatile uint32_t rtc_at_irq;

static uint32_t rtc_read(unsigned reg) { return mmio_read32(RTC_BASE + reg); }
static void rtc_write(unsigned reg, uint32_t v) { mmio_write32(RTC_BASE + reg, v); }

/* The first time, leave the interrupt raised: only if the EOI deactivated the physical
 * SPI can it come again. The second time, clear it at the device. */
static void rtc_irq(unsigned intid, unsigned cpu)
{
	if (gic_seen[cpu][intid] == 1) {
		rtc_at_irq = rtc_read(RTCDR);
		return;
	}
	rtc_write(RTCICR, RTC_INT);
}

static uint32_t id_word(unsigned reg)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		v |= (rtc_read(reg + 4 * i) & 0xff) << (8 * i);
	return v;
}

static void check_identity(void)
{
	puts("GUEST: RTC at IPA ");
	puthex(RTC_BASE);
	puts(": PeriphID ");
	puthex(id_word(RTC_PERIPHID0));
	puts(" PCellID ");
	puthex(id_word(RTC_PCELLID0));
	puts("; at its physical address ");
	puthex(RTC_PA);
	puts(probe(RTC_PA) ? ": aborted\n" : ": NOT aborted\n");
}

void rtc(void)
{
	uint32_t t0, held_back, delivered, enabled;
	uint64_t start, raised_ms;
	int raised;

	check_identity();
	gic_dist_init();
	if (gic_cpu_init()) {
		puts("GUEST: RTC GICR_WAKER.ChildrenAsleep stuck\n");
		return;
	}
	gic_set_handler(RTC_INTID, rtc_irq);
	rtc_write(RTCIMSC, 0);
	rtc_write(RTCICR, RTC_INT);
	/* Enabled, but routed to affinity 0.0.0.1, which this 1-vCPU VM does not have. */
	gic_enable_spi(RTC_INTID, 1);
	enabled = gic_spi_enabled(RTC_INTID);
	t0 = rtc_read(RTCDR);
	rtc_write(RTCMR, t0 + 1);
	rtc_write(RTCIMSC, RTC_INT);
	start = counter();
	while (!(raised = rtc_read(RTCRIS) & RTC_INT) &&
	       counter() - start < ms_to_ticks(RTC_MATCH_TIMEOUT_MS))
		;
	raised_ms = ticks_to_ms(counter() - start);
	delay_ms(SETTLE_MS);
	held_back = gic_seen[0][RTC_INTID];
	gic_route_spi(RTC_INTID, 0);
	wait_eq(&gic_seen[0][RTC_INTID], 2, 1000);
	delay_ms(SETTLE_MS);
	delivered = gic_seen[0][RTC_INTID];
	puts("GUEST: RTC reads ");
	putdec(t0);
	puts(", match ");
	putdec(rtc_read(RTCMR));
	puts(raised ? " raised after " : " NOT raised after ");
	putdec(raised_ms);
	puts(" ms; SPI 34 enabled ");
	putdec(enabled);
	puts(", routed to no vCPU: ");
	putdec(held_back);
	puts(" interrupts\n");
	puts("GUEST: RTC routed to vCPU 0: ");
	putdec(delivered);
	puts(" interrupts of INTID 34, stray ");
	putdec(gic_stray[0]);
	puts(", RTCDR at the first ");
	putdec(rtc_at_irq);
	puts(", RTCRIS after clearing ");
	putdec(rtc_read(RTCRIS));
	puts("\n");
	rtc_write(RTCIMSC, 0);
}
