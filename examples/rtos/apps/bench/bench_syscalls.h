/* The bench image's own system call: it does nothing, so a call measures the round trip. */
#ifndef BENCH_BENCH_SYSCALLS_H
#define BENCH_BENCH_SYSCALLS_H

#include <syscall.h>

__syscall __nonblocking void bench_null(void);

#include <syscalls/bench_syscalls.h>

#endif
