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

#define LOOP_NAME(name) name
#include "loops.inc"

void loop_yield(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		k_yield();
}
