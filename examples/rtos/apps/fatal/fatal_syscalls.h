/* System calls with kernel-side bugs, for the fatal image: each must stop the system. */
#ifndef FATAL_SYSCALLS_H
#define FATAL_SYSCALLS_H

#include <stdint.h>
#include <syscall.h>

/* A driver bug on each path: reads `addr` without checking it. */
__syscall __nonblocking uint32_t fatal_read_now(uintptr_t addr);
__syscall uint32_t fatal_read(uintptr_t addr);
/* Uses `depth` frames of its privileged stack. */
__syscall uint32_t fatal_recurse(uint32_t depth);

#include <syscalls/fatal_syscalls.h>

#endif
