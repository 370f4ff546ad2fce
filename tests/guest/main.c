/*
 * Portcullis's bare-metal test guest. It checks from inside a VM what Linux would hide:
 * that every access outside its RAM comes back as an external abort (never reaching the
 * hypervisor or another VM), that PSCI CPU_ON/AFFINITY_INFO/CPU_OFF work on its own vCPUs,
 * and that PSCI SYSTEM_RESET restarts only its VM. Its role comes from the device tree's
 * bootargs: "role=prober" runs the checks then resets once; "role=watcher" writes a canary
 * into its RAM and reports every 200 ms that it still holds.
 * Runs at EL1 with the MMU off, so every access is to Device memory: aligned only.
 */
#include <stdint.h>

#define UART_DR ((volatile uint32_t *)0x09000000)
#define UART_FR ((volatile uint32_t *)0x09000018)
#define UART_FR_TXFF (1U << 5)

#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0xC4000003U
#define PSCI_AFFINITY_INFO 0xC4000004U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_DABT_CUR 0x25
#define DFSC_SYNC_EXTERNAL 0x10

/* Survives SYSTEM_RESET: the hypervisor reloads the images, not the rest of RAM. */
#define BOOT_RECORD ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1000000))
#define BOOT_MAGIC 0x746f6f42746f6f42ULL
#define CANARY ((volatile uint64_t *)(GUEST_RAM_BASE + 0x1100000))
#define CANARY_WORDS 1024

static volatile uint64_t last_esr, last_far, exceptions;
static volatile uint64_t secondary_ran;

void record_exception(uint64_t esr, uint64_t far)
{
	last_esr = esr;
	last_far = far;
	exceptions++;
}

static void putc(char c)
{
	while (*UART_FR & UART_FR_TXFF)
		;
	*UART_DR = (uint32_t)c;
}

static void puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc('\r');
		putc(*s);
	}
}

static void puthex(uint64_t v)
{
	puts("0x");
	for (int i = 60; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 0xf]);
}

static void putdec(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts(buf + i);
}

void guest_unexpected(uint64_t esr)
{
	puts("GUEST: unexpected exception, ESR ");
	puthex(esr);
	puts("\n");
}

static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

static uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static void delay_ms(uint64_t ms)
{
	uint64_t freq, start = counter();

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	while (counter() - start < freq / 1000 * ms)
		;
}

static int has_arg(const char *args, const char *want)
{
	for (const char *p = args; p && *p; p++) {
		const char *a = p, *b = want;

		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return 1;
	}
	return 0;
}

/* Find /chosen/bootargs by scanning the flattened tree's strings block for the property
 * (enough for the trees Portcullis generates, not a DT parser). */
static const char *bootargs(const uint8_t *dtb)
{
	uint32_t off_struct = __builtin_bswap32(*(const uint32_t *)(dtb + 8));
	uint32_t off_strings = __builtin_bswap32(*(const uint32_t *)(dtb + 12));
	uint32_t size_struct = __builtin_bswap32(*(const uint32_t *)(dtb + 36));
	const uint32_t *p = (const uint32_t *)(dtb + off_struct);
	const uint32_t *end = (const uint32_t *)(dtb + off_struct + size_struct);

	while (p < end) {
		uint32_t tok = __builtin_bswap32(*p++);

		if (tok == 1) { /* BEGIN_NODE: skip the name */
			const char *n = (const char *)p;
			uint32_t len = 0;

			while (n[len])
				len++;
			p += (len + 4) / 4;
		} else if (tok == 3) { /* PROP */
			uint32_t len = __builtin_bswap32(p[0]), nameoff = __builtin_bswap32(p[1]);

			if (has_arg((const char *)dtb + off_strings + nameoff, "bootargs"))
				return (const char *)(p + 2);
			p += 2 + (len + 3) / 4;
		} else if (tok == 9) {
			break;
		}
	}
	return "";
}

/* Read and write one word at ipa; returns 1 if both came back as external aborts. */
static int probe(uint64_t ipa)
{
	uint64_t before = exceptions;
	int ok;

	(void)*(volatile uint64_t *)ipa;
	ok = exceptions == before + 1 && ESR_EC(last_esr) == EC_DABT_CUR &&
	     (last_esr & 0x3f) == DFSC_SYNC_EXTERNAL && last_far == ipa;
	*(volatile uint64_t *)ipa = 0xdeadbeefdeadbeefULL;
	ok = ok && exceptions == before + 2 && (last_esr & (1 << 6)) && last_far == ipa;
	return ok;
}

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

void guest_secondary(uint64_t id)
{
	secondary_ran = id;
	psci(PSCI_CPU_OFF, 0, 0, 0);
	puts("GUEST: CPU_OFF returned\n");
}

static void check_smp(void)
{
	int64_t on = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, 0);
	int64_t again;

	for (int i = 0; i < 1000 && !secondary_ran; i++)
		delay_ms(1);
	again = psci(PSCI_CPU_ON, 1, GUEST_RAM_BASE, 0);
	delay_ms(20);
	puts("GUEST: CPU_ON ");
	putdec((uint64_t)-on);
	puts(" secondary ");
	putdec(secondary_ran);
	puts(" affinity-after-off ");
	putdec((uint64_t)psci(PSCI_AFFINITY_INFO, 1, 0, 0));
	puts(" second-on ");
	putdec((uint64_t)-again);
	puts(" bad-target ");
	putdec((uint64_t)-psci(PSCI_CPU_ON, 7, GUEST_RAM_BASE, 0));
	puts("\n");
}

static void prober(void)
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
		puts("GUEST: prober restarted by SYSTEM_RESET; powering off\n");
		psci(PSCI_SYSTEM_OFF, 0, 0, 0);
		return;
	}
	probe_outside_ram();
	check_smp();
	puts("GUEST: prober resetting its VM\n");
	psci(PSCI_SYSTEM_RESET, 0, 0, 0);
}

static void watcher(void)
{
	for (unsigned i = 0; i < CANARY_WORDS; i++)
		CANARY[i] = 0x5a5a0000ULL + i;
	for (uint64_t beat = 1;; beat++) {
		unsigned bad = 0;

		for (unsigned i = 0; i < CANARY_WORDS; i++)
			bad += CANARY[i] != 0x5a5a0000ULL + i;
		puts("GUEST: watcher heartbeat ");
		putdec(beat);
		puts(bad ? " canary CORRUPT\n" : " canary ok\n");
		delay_ms(200);
	}
}

void guest_main(const uint8_t *dtb)
{
	const char *args = bootargs(dtb);

	puts("GUEST: hello, bootargs '");
	puts(args);
	puts("'\n");
	if (has_arg(args, "role=prober"))
		prober();
	else if (has_arg(args, "role=watcher"))
		watcher();
}
