/* The operations the kernel benchmark measures, each run `n` times. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <kernel.h>

extern struct k_sem bench_sem;

/* Through the system-call wrappers: they trap in user mode and check the mode otherwise. */
void loop_null(uint32_t n);
void loop_sem_give(uint32_t n);
void loop_sem_give_take(uint32_t n);
void loop_yield(uint32_t n);

/* The same calls compiled with K_SYSCALL_KERNEL_ONLY, as if user mode did not exist. */
void loop_sem_give_kernel_only(uint32_t n);
void loop_sem_give_take_kernel_only(uint32_t n);

#endif
