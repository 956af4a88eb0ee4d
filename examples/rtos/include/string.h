/* The few string functions the kernel needs (the compiler may also emit memcpy/memset). */
#ifndef RTOS_STRING_H
#define RTOS_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
