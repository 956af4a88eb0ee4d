/* The loops of loops.inc with user mode compiled out of the wrappers: the baseline for the
 * check every kernel-mode call pays. */
#define K_SYSCALL_KERNEL_ONLY
#include "bench.h"

#define LOOP_NAME(name) name##_kernel_only
#include "loops.inc"
