/* Semaphores: counting, limits, timeouts, wake-up order. */
#include "runner.h"

K_SEM_DEFINE(global_sem, 2, 4); /* a global defined statically */

static void static_definition(void)
{
	CHECK_EQ(k_sem_count_get(&global_sem), 2);
	CHECK_EQ(k_sem_take(&global_sem, K_NO_WAIT), 0);
	CHECK_EQ(k_sem_take(&global_sem, K_NO_WAIT), 0);
	CHECK_EQ(k_sem_take(&global_sem, K_NO_WAIT), -EBUSY);
	k_sem_give(&global_sem);
	k_sem_give(&global_sem);
}

static void count_saturates_at_limit(void)
{
	static struct k_sem sem; /* a static, initialised at run time */
	CHECK_EQ(k_sem_init(&sem, 0, 3), 0);
	for (int i = 0; i < 5; i++)
		k_sem_give(&sem);
	CHECK_EQ(k_sem_count_get(&sem), 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(k_sem_take(&sem, K_NO_WAIT), 0);
	CHECK_EQ(k_sem_take(&sem, K_NO_WAIT), -EBUSY);
}

static void init_rejects_bad_counts(void)
{
	static struct k_sem sem;
	CHECK_EQ(k_sem_init(&sem, 0, 0), -EINVAL);
	CHECK_EQ(k_sem_init(&sem, 3, 2), -EINVAL);
	CHECK_EQ(k_sem_init(&sem, 2, 2), 0);
}

static void take_times_out_exactly(void)
{
	static struct k_sem sem;
	k_sem_init(&sem, 0, 1);
	k_sleep(1);
	uint32_t start = k_uptime_ticks();
	CHECK_EQ(k_sem_take(&sem, 20), -EAGAIN);
	CHECK_EQ(k_uptime_ticks() - start, 20);
}

static struct k_sem wake_sem;

static void take_and_log(void *arg)
{
	int result = k_sem_take(&wake_sem, K_FOREVER);
	log_event(result == 0 ? (char)(uintptr_t)arg : '!');
}

static void give_preempts_for_higher_waiter(void)
{
	k_sem_init(&wake_sem, 0, 10);
	START_HELPER(0, take_and_log, (void *)'h', 5); /* runs and blocks at once */
	CHECK_STR(log_text(), "");
	log_event('g');
	k_sem_give(&wake_sem);
	log_event('r');
	CHECK_STR(log_text(), "ghr");
}

static void waiters_wake_by_priority(void)
{
	k_sem_init(&wake_sem, 0, 10);
	/* They block in the order c, a, b; a FIFO would wake them in that order. */
	START_HELPER(0, take_and_log, (void *)'c', 14);
	k_sleep(1);
	START_HELPER(1, take_and_log, (void *)'a', 12);
	k_sleep(1);
	START_HELPER(2, take_and_log, (void *)'b', 13);
	k_sleep(1);
	static const char *const expected[] = {"a", "ab", "abc"};
	for (int i = 0; i < 3; i++) {
		k_sem_give(&wake_sem);
		k_sleep(2);
		CHECK_STR(log_text(), expected[i]);
	}
}

static void equal_priority_waiters_fifo(void)
{
	k_sem_init(&wake_sem, 0, 10);
	START_HELPER(0, take_and_log, (void *)'1', 12);
	START_HELPER(1, take_and_log, (void *)'2', 12);
	START_HELPER(2, take_and_log, (void *)'3', 12);
	k_sleep(2);
	k_sem_give(&wake_sem);
	k_sleep(2);
	CHECK_STR(log_text(), "1");
	k_sem_give(&wake_sem);
	k_sem_give(&wake_sem);
	k_sleep(2);
	CHECK_STR(log_text(), "123");
}

static void reset_fails_waiters(void)
{
	k_sem_init(&wake_sem, 0, 10);
	START_HELPER(0, take_and_log, (void *)'x', 5);
	k_sem_reset(&wake_sem);
	CHECK_STR(log_text(), "!");
	CHECK_EQ(k_sem_count_get(&wake_sem), 0);
}

TEST_SUITE(sem_tests, "sem",
	   {"static_definition", static_definition},
	   {"count_saturates_at_limit", count_saturates_at_limit},
	   {"init_rejects_bad_counts", init_rejects_bad_counts},
	   {"take_times_out_exactly", take_times_out_exactly},
	   {"give_preempts_for_higher_waiter", give_preempts_for_higher_waiter},
	   {"waiters_wake_by_priority", waiters_wake_by_priority},
	   {"equal_priority_waiters_fifo", equal_priority_waiters_fifo},
	   {"reset_fails_waiters", reset_fails_waiters});
