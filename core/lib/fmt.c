/* Minimal printf-style formatter (see fmt.h). */
#include "fmt.h"

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output has so far */
};

struct spec {
	bool left;
	char pad;
	int width;
	int precision; /* -1: none */
	int length;    /* -2 hh, -1 h, 0 int, 1 long, 2 long long / size_t */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	size_t fill = (sp->width > 0 && (size_t)sp->width > n) ? (size_t)sp->width - n : 0;

	if (!sp->left) {
		/* Zero padding goes after a sign. */
		if (sp->pad == '0' && n && s[0] == '-') {
			put(o, *s++);
			n--;
		}
		while (fill--)
			put(o, sp->pad);
	}
	while (n--)
		put(o, *s++);
	if (sp->left)
		while (fill--)
			put(o, ' ');
}

static size_t utoa(char *tmp, u64 v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, i;

	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

static u64 arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case -2: return (u8)va_arg(*ap, unsigned int);
	case -1: return (u16)va_arg(*ap, unsigned int);
	case 0: return va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	default: return va_arg(*ap, unsigned long long);
	}
}

static s64 arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	default: return va_arg(*ap, long long);
	}
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .pad = ' ', .precision = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->pad = '0';
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (*f - '0');
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->precision = sp->precision * 10 + (*f - '0');
	}
	for (;; f++) {
		if (*f == 'h')
			sp->length--;
		else if (*f == 'l')
			sp->length++;
		else if (*f == 'z')
			sp->length = 2;
		else
			break;
	}
	if (sp->left)
		sp->pad = ' ';
	return f;
}

static void convert(struct out *o, const struct spec *sp, char conv, va_list *ap)
{
	char tmp[24];
	size_t n;

	switch (conv) {
	case 'd':
	case 'i': {
		s64 v = arg_signed(sp, ap);
		u64 mag = v < 0 ? (u64)0 - (u64)v : (u64)v;

		n = 0;
		if (v < 0)
			tmp[n++] = '-';
		n += utoa(tmp + n, mag, 10, false);
		put_padded(o, sp, tmp, n);
		break;
	}
	case 'u':
		put_padded(o, sp, tmp, utoa(tmp, arg_unsigned(sp, ap), 10, false));
		break;
	case 'x':
	case 'X':
		put_padded(o, sp, tmp, utoa(tmp, arg_unsigned(sp, ap), 16, conv == 'X'));
		break;
	case 'p': {
		u64 v = (u64)(uintptr_t)va_arg(*ap, void *);

		tmp[0] = '0';
		tmp[1] = 'x';
		put_padded(o, sp, tmp, 2 + utoa(tmp + 2, v, 16, false));
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
		size_t len = 0;

		if (!s)
			s = "(null)";
		while (s[len] && (sp->precision < 0 || len < (size_t)sp->precision))
			len++;
		put_padded(o, sp, s, len);
		break;
	}
	case 'c':
		tmp[0] = (char)va_arg(*ap, int);
		put_padded(o, sp, tmp, 1);
		break;
	default: /* '%' and unknown conversions are printed as they stand */
		put(o, '%');
		if (conv != '%' && conv)
			put(o, conv);
		break;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);
		convert(&o, &sp, *fmt, &args);
		if (*fmt)
			fmt++;
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
