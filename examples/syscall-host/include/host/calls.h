/* System calls of the host end-to-end test. */
#ifndef HOST_CALLS_H
#define HOST_CALLS_H

#include <stdint.h>

#define __syscall static inline
#define __nonblocking
#define __kobject(...)

__kobject(object) struct host_obj {
	uint32_t value;
};

struct host_pair {
	uint32_t lo;
	uint32_t hi;
};

/* Plain dispatch; never waits, so the trap runs it from the nonblocking table. */
__syscall __nonblocking int host_add(int a, int b);

/* 64-bit arguments and return: two words each on a 32-bit target. */
__syscall int64_t host_add64(int64_t a, uint64_t b);

/* Seven parameters: more words than the six registers. */
__syscall uint64_t host_sum7(uint32_t a, int64_t b, uint32_t c, int64_t d,
			     uint8_t e, uint64_t f, uint16_t g);

/* No result; a pointer argument. */
__syscall void host_set(struct host_obj *obj, uint32_t value);

/* A small struct returned by value. */
__syscall struct host_pair host_pair_make(uint32_t lo, uint32_t hi);

#include <syscalls/host/calls.h>

#endif
