/* The loops of loops.c with user mode compiled out of the wrappers: the baseline for the
 * check every kernel-mode call pays. */
#define K_SYSCALL_KERNEL_ONLY
#include "bench.h"

void loop_sem_give_kernel_only(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		k_sem_give(&bench_sem);
}

void loop_sem_give_take_kernel_only(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		k_sem_give(&bench_sem);
		k_sem_take(&bench_sem, K_NO_WAIT);
	}
}
