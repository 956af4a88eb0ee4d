/* A system call whose implementation is configured out: its stub is never compiled. */
#ifndef HOST_MISSING_H
#define HOST_MISSING_H

#define __syscall static inline

__syscall int host_missing(int x);

#include <syscalls/host/missing.h>

#endif
