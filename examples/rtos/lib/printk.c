/* printk (console output through the uart0 device) and snprintk (into a buffer). */
#include <arch.h>
#include <printk.h>
#include <kernel.h>
#include <uart.h>

DEVICE_DECLARE(uart0);

struct line_buffer {
	char text[120];
	unsigned int len;
};

void z_impl_k_str_out(const char *text, size_t len)
{
	const struct device *console = DEVICE_GET(uart0);
	unsigned int key = irq_lock(); /* keeps lines of different threads apart */
	for (size_t i = 0; i < len; i++)
		uart_poll_out(console, (unsigned char)text[i]);
	irq_unlock(key);
}

/* A whole line at once, through a system call from user mode. */
static void flush_line(struct line_buffer *line)
{
	k_str_out(line->text, line->len);
	line->len = 0;
}

static void line_sink(char c, void *ctx)
{
	struct line_buffer *line = ctx;
	line->text[line->len++] = c;
	if (c == '\n' || line->len == sizeof(line->text))
		flush_line(line);
}

void printk(const char *fmt, ...)
{
	struct line_buffer line = {.len = 0};
	va_list args;
	va_start(args, fmt);
	format_va(line_sink, &line, fmt, args);
	va_end(args);
	if (line.len)
		flush_line(&line);
}

struct bounded_buffer {
	char *buf;
	size_t size;
	size_t len;
};

static void bounded_sink(char c, void *ctx)
{
	struct bounded_buffer *out = ctx;
	if (out->len + 1 < out->size)
		out->buf[out->len] = c;
	out->len++;
}

int vsnprintk(char *buf, size_t size, const char *fmt, va_list args)
{
	struct bounded_buffer out = {.buf = buf, .size = size, .len = 0};
	format_va(bounded_sink, &out, fmt, args);
	if (size > 0)
		buf[out.len < size ? out.len : size - 1] = '\0';
	return (int)out.len;
}

int snprintk(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	int len = vsnprintk(buf, size, fmt, args);
	va_end(args);
	return len;
}
