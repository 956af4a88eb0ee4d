/* Formatted output: %s %d %i %u %x %X %p %c %%, with width, '0' padding and '-' (left
 * alignment). printk writes whole lines to the console UART atomically. */
#ifndef RTOS_PRINTK_H
#define RTOS_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink_t)(char c, void *ctx);

void format_va(format_sink_t sink, void *ctx, const char *fmt, va_list args);

__attribute__((format(printf, 1, 2))) void printk(const char *fmt, ...);
/* Like snprintf: always NUL-terminates (size > 0); returns the untruncated length. */
__attribute__((format(printf, 3, 4))) int snprintk(char *buf, size_t size, const char *fmt, ...);
int vsnprintk(char *buf, size_t size, const char *fmt, va_list args);

#endif
