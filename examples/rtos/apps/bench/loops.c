/* Measured loops, through the system-call wrappers. */
#include "bench.h"
#include "bench_syscalls.h"

void z_impl_bench_null(void)
{
}

void z_vrfy_bench_null(void)
{
}

void loop_null(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		bench_null();
}

void loop_sem_give(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		k_sem_give(&bench_sem);
}

void loop_sem_give_take(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		k_sem_give(&bench_sem);
		k_sem_take(&bench_sem, K_NO_WAIT);
	}
}

void loop_yield(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		k_yield();
}
