/* The printf-like formatter behind printk and snprintk. */
#include <stdbool.h>
#include <stdint.h>

#include <printk.h>

struct spec {
	unsigned int width;
	bool zero_pad;
	bool left_align;
};

static void emit_padded(format_sink_t sink, void *ctx, const struct spec *spec, const char *text,
			unsigned int len, bool negative)
{
	unsigned int total = len + (negative ? 1u : 0u);
	unsigned int pad = spec->width > total ? spec->width - total : 0;

	if (!spec->left_align && !spec->zero_pad)
		for (; pad; pad--)
			sink(' ', ctx);
	if (negative)
		sink('-', ctx);
	if (!spec->left_align && spec->zero_pad)
		for (; pad; pad--)
			sink('0', ctx);
	for (unsigned int i = 0; i < len; i++)
		sink(text[i], ctx);
	for (; pad; pad--)
		sink(' ', ctx);
}

static void emit_number(format_sink_t sink, void *ctx, const struct spec *spec, uint32_t value,
			unsigned int base, bool upper, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char text[10]; /* 2^32 - 1 in decimal, or 8 hex digits */
	unsigned int pos = sizeof(text);

	do {
		text[--pos] = digits[value % base];
		value /= base;
	} while (value);
	emit_padded(sink, ctx, spec, text + pos, sizeof(text) - pos, negative);
}

static uint32_t next_unsigned(va_list *args, bool is_long)
{
	return is_long ? va_arg(*args, unsigned long) : va_arg(*args, unsigned int);
}

void format_va(format_sink_t sink, void *ctx, const char *fmt, va_list args)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			sink(*fmt, ctx);
			continue;
		}
		struct spec spec = {0};
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				spec.zero_pad = true;
			else if (*fmt == '-')
				spec.left_align = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			spec.width = spec.width * 10 + (unsigned int)(*fmt++ - '0');
		bool is_long = *fmt == 'l'; /* long and int are both 32 bits here */
		if (is_long)
			fmt++;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int32_t v = is_long ? va_arg(args, long) : va_arg(args, int);
			uint32_t magnitude = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
			emit_number(sink, ctx, &spec, magnitude, 10, false, v < 0);
			break;
		}
		case 'u':
			emit_number(sink, ctx, &spec, next_unsigned(&args, is_long), 10, false, false);
			break;
		case 'x':
		case 'X':
			emit_number(sink, ctx, &spec, next_unsigned(&args, is_long), 16, *fmt == 'X',
				    false);
			break;
		case 'p': {
			struct spec ptr_spec = {.width = 8, .zero_pad = true};
			sink('0', ctx);
			sink('x', ctx);
			emit_number(sink, ctx, &ptr_spec, (uint32_t)(uintptr_t)va_arg(args, void *), 16,
				    false, false);
			break;
		}
		case 'c': {
			char c = (char)va_arg(args, int);
			spec.zero_pad = false;
			emit_padded(sink, ctx, &spec, &c, 1, false);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			unsigned int len = 0;
			if (s == NULL)
				s = "(null)";
			while (s[len])
				len++;
			spec.zero_pad = false;
			emit_padded(sink, ctx, &spec, s, len, false);
			break;
		}
		case '%':
			sink('%', ctx);
			break;
		case '\0': /* a lone '%' at the end */
			sink('%', ctx);
			return;
		default: /* unknown conversion: show it as written */
			sink('%', ctx);
			sink(*fmt, ctx);
			break;
		}
	}
}
