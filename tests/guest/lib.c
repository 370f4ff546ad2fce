/* The test guest's little library: console, PSCI, time, bootargs, exception records. */
#include "guest.h"

#define UART_DR 0x09000000ULL
#define UART_FR 0x09000018ULL
#define UART_FR_TXFF (1U << 5)

static volatile uint64_t last_esr, last_far, exceptions;

/* Synchronous exception vector (head.S), which then resumes after the instruction. */
void record_exception(uint64_t esr, uint64_t far)
{
	last_esr = esr;
	last_far = far;
	exceptions++;
}

static void putc(char c)
{
	while (mmio_read32(UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(UART_DR, (uint32_t)c);
}

void puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc('\r');
		putc(*s);
	}
}

void puthex(uint64_t v)
{
	int i = 60;

	puts("0x");
	while (i > 0 && !((v >> i) & 0xf))
		i -= 4;
	for (; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 0xf]);
}

void putdec(uint64_t v)
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

/* Every other vector of head.S: nothing else is expected. */
void guest_unexpected(uint64_t esr)
{
	puts("GUEST: unexpected exception, ESR ");
	puthex(esr);
	puts("\n");
}

int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

uint64_t counter(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t ms_to_ticks(uint64_t ms)
{
	return read_sysreg(cntfrq_el0) / 1000 * ms;
}

uint64_t ticks_to_ms(uint64_t ticks)
{
	return ticks / (read_sysreg(cntfrq_el0) / 1000);
}

void delay_ms(uint64_t ms)
{
	uint64_t start = counter();

	while (counter() - start < ms_to_ticks(ms))
		;
}

int wait_eq(const volatile uint32_t *p, uint32_t want, uint64_t timeout_ms)
{
	uint64_t start = counter();

	while (*p != want)
		if (counter() - start > ms_to_ticks(timeout_ms))
			return 0;
	return 1;
}

int has_arg(const char *args, const char *want)
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
const char *bootargs(const uint8_t *dtb)
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

int probe(uint64_t ipa)
{
	uint64_t before = exceptions;
	int ok;

	(void)*(volatile uint64_t *)ipa;
	ok = exceptions == before + 1 && ESR_EC(last_esr) == EC_DABT_CUR &&
	     ESR_DFSC(last_esr) == DFSC_SYNC_EXTERNAL && last_far == ipa;
	*(volatile uint64_t *)ipa = 0xdeadbeefdeadbeefULL;
	ok = ok && exceptions == before + 2 && (last_esr & ESR_WNR) && last_far == ipa;
	return ok;
}
