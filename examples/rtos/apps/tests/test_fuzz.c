/* The system-call fuzzer: user threads issue at least FUZZ_CALLS system calls with random IDs
 * and argument words from a fixed seed. A refused call stops the fuzzing thread, so the runner
 * starts a new one that carries on where it stopped (the generator state lives in the
 * fuzzers' partition); one that blocks is aborted after a while. Meanwhile two legitimate user
 * threads hand a semaphore back and forth; they must finish their work, and the kernel must
 * neither crash nor hang. */
#include <app_memory.h>
#include <printk.h>
#include <syscall_abi.h>
#include <syscall_handler.h>

#include "runner.h"

#define FUZZ_CALLS 100000u
#define FUZZ_PRIO 8
#define LEGIT_PRIO 7
#define LEGIT_ROUNDS 200u
/* A fuzzing thread that neither finishes nor dies in this many ticks is aborted. */
#define FUZZ_PATIENCE_TICKS 20

K_APP_BMEM(fuzz_part) static uint32_t fuzz_state;
K_APP_BMEM(fuzz_part) static volatile uint32_t fuzz_calls;
K_APP_BMEM(fuzz_part) static uint32_t fuzz_scratch[8];
K_APPMEM_PARTITION_DEFINE(fuzz_part);
static struct k_mem_domain fuzz_domain;

K_APP_BMEM(user_part) static volatile uint32_t legit_rounds[2];
K_SEM_DEFINE(ping, 0, 1);
K_SEM_DEFINE(pong, 0, 1);
/* Objects the fuzzer may use, so that some calls get past the object checks. */
K_SEM_DEFINE(fuzz_sem, 1, 3);
K_MUTEX_DEFINE(fuzz_mutex);

static uint32_t next_random(void)
{
	/* xorshift32: small, full period, fixed seed. */
	uint32_t x = fuzz_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fuzz_state = x;
	return x;
}

/* An argument word: mostly values a kernel finds interesting, some plain noise. */
static uintptr_t random_word(void)
{
	static const uintptr_t interesting[] = {
		0, 1, 2, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffffff0u, 100, 5,
		(uintptr_t)&fuzz_sem, (uintptr_t)&fuzz_mutex, (uintptr_t)&ping,
		(uintptr_t)&helpers[0], (uintptr_t)&helpers[3], (uintptr_t)helper_stacks[0],
		(uintptr_t)helper_stacks[2], (uintptr_t)fuzz_scratch, 0x20000000u, 0xe000ed94u,
	};
	uint32_t r = next_random();
	switch (r & 3u) {
	case 0:
		return next_random();
	case 1:
		return (r >> 8) & 0xffu;
	default:
		return interesting[(r >> 8) % (sizeof(interesting) / sizeof(interesting[0]))];
	}
}

static void fuzz(void *arg)
{
	(void)arg;
	while (fuzz_calls < FUZZ_CALLS) {
		uint32_t r = next_random();
		/* Mostly real IDs; also past the limit, the bad ID and "negative" ones. */
		uintptr_t id = (r & 7u) != 0 ? (r >> 8) % K_SYSCALL_LIMIT : (uintptr_t)random_word();
		if (id == K_SYSCALL_K_STR_OUT)
			continue; /* would print its random bytes to the console */
		uintptr_t a[6];
		for (int i = 0; i < 6; i++)
			a[i] = random_word();
		fuzz_calls++;
		uintptr_t hi;
		k_syscall_trap6(a[0], a[1], a[2], a[3], a[4], a[5], id, &hi);
	}
}

static void ping_pong(void *arg)
{
	unsigned int side = (unsigned int)(uintptr_t)arg;
	struct k_sem *mine = side == 0 ? &ping : &pong, *theirs = side == 0 ? &pong : &ping;
	for (uint32_t i = 0; i < LEGIT_ROUNDS; i++) {
		if (side == 0)
			k_sem_give(theirs);
		if (k_sem_take(mine, K_FOREVER) != 0)
			return;
		if (side == 1)
			k_sem_give(theirs);
		legit_rounds[side]++;
		k_sleep(1);
	}
}

static void syscall_fuzzer(void)
{
	struct k_mem_partition *parts[] = {&fuzz_part};
	CHECK_EQ(k_mem_domain_init(&fuzz_domain, 1, parts), 0);
	fuzz_state = 0x2545f491u;
	fuzz_calls = 0;
	legit_rounds[0] = legit_rounds[1] = 0;
	k_sem_reset(&ping);
	k_sem_reset(&pong);
	for (int side = 0; side < 2; side++) {
		k_object_access_grant(&ping, &helpers[2 + side]);
		k_object_access_grant(&pong, &helpers[2 + side]);
		if (helper_start_user(2 + side, ping_pong, (void *)(uintptr_t)side, LEGIT_PRIO,
				      &user_domain) == NULL)
			return;
	}

	k_fault_reports_quiet(true);
	uint32_t faults_before = k_fault_count();
	unsigned int threads = 0, aborted = 0;
	while (fuzz_calls < FUZZ_CALLS) {
		k_object_access_grant(&fuzz_sem, &helpers[0]);
		k_object_access_grant(&fuzz_mutex, &helpers[0]);
		if (helper_start_user(0, fuzz, NULL, FUZZ_PRIO, &fuzz_domain) == NULL)
			break;
		threads++;
		if (k_thread_join(&helpers[0], FUZZ_PATIENCE_TICKS) != 0) {
			k_thread_abort(&helpers[0]);
			aborted++;
		}
	}
	k_fault_reports_quiet(false);
	uint32_t refused = k_fault_count() - faults_before;
	printk("fuzzer: %lu system calls from %u threads: %lu refused or faulted, %u aborted "
	       "while blocked\n",
	       fuzz_calls, threads, refused, aborted);

	CHECK(fuzz_calls >= FUZZ_CALLS, "only %lu calls", fuzz_calls);
	CHECK_EQ(k_thread_join(&helpers[2], 1000), 0);
	CHECK_EQ(k_thread_join(&helpers[3], 1000), 0);
	CHECK_EQ(helpers[2].fault, K_FAULT_NONE);
	CHECK_EQ(helpers[3].fault, K_FAULT_NONE);
	CHECK_EQ(legit_rounds[0], LEGIT_ROUNDS);
	CHECK_EQ(legit_rounds[1], LEGIT_ROUNDS);
}

TEST_SUITE(fuzz_tests, "fuzz", {"syscall_fuzzer", syscall_fuzzer});
