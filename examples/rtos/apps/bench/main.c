/* The kernel benchmark (`cargo xtask bench kernel`): instructions per operation from a user
 * thread and from a kernel thread, in one image, under QEMU with -icount shift=0.
 *
 * An instruction takes 1 ns of virtual time there and SysTick counts at 25 MHz, so one count
 * is 40 instructions. Each operation runs N and 2N times in a fresh thread; the difference
 * divided by N is its cost, so thread start, exit and the measurement itself cancel out.
 * Results go out as `BENCH <operation> <user> <kernel> <kernel, user mode compiled out>`, in
 * hundredths of an instruction (-1: not measured). */
#include <app_memory.h>
#include <arch.h>
#include <kernel_internal.h>
#include <printk.h>

#include "bench.h"

#define N 2000u
#define WORKER_PRIO 5
#define INSTRUCTIONS_PER_COUNT 40u
#define COUNTS_PER_TICK (ARCH_CPU_HZ / K_TICKS_PER_SEC)
#define ICSR_PENDSTSET (1u << 26)

K_SEM_DEFINE(bench_sem, 1, 0xffffffffu);

static struct k_thread workers[2];
static K_THREAD_STACK_ARRAY_DEFINE(worker_stacks, 2, 1024);

/* What a worker runs; user workers read it from their partition. */
K_APP_BMEM(bench_part) static struct job {
	void (*loop)(uint32_t n);
	uint32_t n;
} job;
K_APPMEM_PARTITION_DEFINE(bench_part);
static struct k_mem_domain bench_domain;
static bool faulted;

/* Instructions since boot. */
static uint64_t instructions_now(void)
{
	unsigned int key = irq_lock();
	uint32_t count = SYST_CVR;
	uint32_t ticks = z_kernel.ticks;
	if (SCB_ICSR & ICSR_PENDSTSET) { /* wrapped, tick not yet counted */
		count = SYST_CVR;
		ticks++;
	}
	irq_unlock(key);
	uint64_t counts = (uint64_t)ticks * COUNTS_PER_TICK + (COUNTS_PER_TICK - 1u - count);
	return counts * INSTRUCTIONS_PER_COUNT;
}

static void run_job(void *arg)
{
	(void)arg;
	job.loop(job.n);
}

/* Runs `loop(n)` in `threads` workers of one priority (they take turns when they yield). */
static uint64_t timed(void (*loop)(uint32_t), uint32_t n, int threads, uint32_t options)
{
	job = (struct job){loop, n};
	k_thread_priority_set(k_current_get(), WORKER_PRIO - 1); /* all start before any runs */
	uint64_t start = instructions_now();
	for (int i = 0; i < threads; i++) {
		/* Permissions end with a thread: grant them to each run's threads again. */
		k_object_access_grant(&bench_sem, &workers[i]);
		k_thread_create(&workers[i], worker_stacks[i], sizeof(worker_stacks[i]), run_job,
				NULL, WORKER_PRIO, options);
	}
	k_thread_priority_set(k_current_get(), K_MAIN_PRIO);
	for (int i = 0; i < threads; i++)
		k_thread_join(&workers[i], K_FOREVER);
	uint64_t elapsed = instructions_now() - start;
	for (int i = 0; i < threads; i++)
		faulted = faulted || workers[i].fault != K_FAULT_NONE;
	return elapsed;
}

/* Hundredths of an instruction per operation; `per_loop` operations per loop iteration. */
static long cost(void (*loop)(uint32_t), int threads, uint32_t options, uint32_t per_loop)
{
	if (loop == NULL)
		return -1;
	uint64_t once = timed(loop, N, threads, options);
	uint64_t twice = timed(loop, 2 * N, threads, options);
	return (long)((twice - once) * 100u / ((uint64_t)N * per_loop));
}

static void bench(const char *name, void (*loop)(uint32_t), void (*kernel_only)(uint32_t),
		  int threads, uint32_t per_loop)
{
	long user = cost(loop, threads, K_USER, per_loop);
	long kernel = cost(loop, threads, 0, per_loop);
	long baseline = cost(kernel_only, threads, 0, per_loop);
	printk("BENCH %s %ld %ld %ld\n", name, user, kernel, baseline);
}

int main(void)
{
	struct k_mem_partition *parts[] = {&bench_part};
	if (k_mem_domain_init(&bench_domain, 1, parts) != 0)
		return 1;
	for (int i = 0; i < 2; i++)
		k_mem_domain_add_thread(&bench_domain, &workers[i]);
	bench("null_syscall", loop_null, NULL, 1, 1);
	bench("sem_give", loop_sem_give, loop_sem_give_kernel_only, 1, 1);
	bench("sem_give_take", loop_sem_give_take, loop_sem_give_take_kernel_only, 1, 1);
	/* Two threads yielding to each other: one switch per k_yield. */
	bench("yield_switch", loop_yield, NULL, 2, 2);
	return faulted ? 2 : 0;
}
