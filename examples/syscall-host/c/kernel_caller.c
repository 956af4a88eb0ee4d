/* Kernel-mode caller: compiled with K_SYSCALL_KERNEL_ONLY, wrappers call z_impl_ directly. */
#include <host/calls.h>

int kernel_add(int a, int b) { return host_add(a, b); }
