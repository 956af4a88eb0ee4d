/* Thread life cycle: creation checks, join, abort, statically defined threads, priorities. */
#include "runner.h"

static void sleep_then_exit(void *arg)
{
	k_sleep((k_timeout_t)(uintptr_t)arg);
	log_event('x');
}

static void join_waits_for_exit(void)
{
	START_HELPER(0, sleep_then_exit, (void *)5, 12);
	CHECK_EQ(k_thread_join(&helpers[0], K_FOREVER), 0);
	CHECK_STR(log_text(), "x");
	CHECK_EQ(helpers[0].state, K_THREAD_DEAD);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(k_thread_join(&helpers[0], K_NO_WAIT), 0); /* already dead */
}

static void join_times_out(void)
{
	START_HELPER(0, sleep_then_exit, (void *)20, 12);
	k_sleep(1);
	uint32_t start = k_uptime_ticks();
	CHECK_EQ(k_thread_join(&helpers[0], 5), -EAGAIN);
	CHECK_EQ(k_uptime_ticks() - start, 5);
	CHECK_EQ(k_thread_join(&helpers[0], K_NO_WAIT), -EBUSY);
	CHECK_EQ(k_thread_join(&helpers[0], K_FOREVER), 0);
}

static void join_rejects_self_and_unused(void)
{
	static struct k_thread never_started;
	CHECK_EQ(k_thread_join(k_current_get(), K_FOREVER), -EDEADLK);
	CHECK_EQ(k_thread_join(&never_started, K_FOREVER), -EINVAL);
}

static void create_rejects_bad_arguments(void)
{
	static K_THREAD_STACK_DEFINE(small_stack, 256);
	static struct k_thread thread;
	CHECK_EQ(k_thread_create(&thread, small_stack, sizeof(small_stack), sleep_then_exit, NULL,
				 K_LOWEST_PRIO, 0),
		 -EINVAL);
	CHECK_EQ(k_thread_create(&thread, small_stack, sizeof(small_stack), sleep_then_exit, NULL,
				 -1, 0),
		 -EINVAL);
	CHECK_EQ(k_thread_create(&thread, small_stack, 16, sleep_then_exit, NULL, 12, 0), -EINVAL);
	CHECK_EQ(k_thread_create(&thread, small_stack, sizeof(small_stack), sleep_then_exit,
				 (void *)3, 12, 0),
		 0);
	CHECK_EQ(k_thread_create(&thread, small_stack, sizeof(small_stack), sleep_then_exit, NULL,
				 12, 0),
		 -EBUSY); /* still alive */
	CHECK_EQ(k_thread_join(&thread, K_FOREVER), 0);
}

static struct k_sem never_given;

static void block_forever(void *arg)
{
	(void)arg;
	k_sem_take(&never_given, K_FOREVER);
	log_event('!');
}

static void abort_blocked_thread(void)
{
	k_sem_init(&never_given, 0, 1);
	START_HELPER(0, block_forever, NULL, 5);
	k_thread_abort(&helpers[0]);
	CHECK_EQ(helpers[0].state, K_THREAD_DEAD);
	CHECK_EQ(k_thread_join(&helpers[0], K_NO_WAIT), 0);
	k_sem_give(&never_given); /* no waiter left: counts up */
	CHECK_EQ(k_sem_count_get(&never_given), 1);
	CHECK_STR(log_text(), "");
}

/* A thread started at boot by K_THREAD_DEFINE, answering requests through two semaphores. */
static K_SEM_DEFINE(echo_request, 0, 1);
static K_SEM_DEFINE(echo_reply, 0, 1);
static volatile uint32_t echo_count;

static void echo(void *arg)
{
	(void)arg;
	for (;;) {
		k_sem_take(&echo_request, K_FOREVER);
		echo_count++;
		k_sem_give(&echo_reply);
	}
}

K_THREAD_DEFINE(echo_thread, 512, echo, NULL, 4, 0);

static void static_thread_runs(void)
{
	CHECK_STR(k_thread_name_get(&echo_thread), "echo_thread");
	CHECK_EQ(echo_thread.state, K_THREAD_PENDING);
	uint32_t before = echo_count;
	k_sem_give(&echo_request);
	CHECK_EQ(echo_count, before + 1); /* priority 4 preempted us */
	CHECK_EQ(k_sem_take(&echo_reply, K_NO_WAIT), 0);
}

static void log_arg(void *arg)
{
	log_event((char)(uintptr_t)arg);
}

static void priority_set_reorders(void)
{
	START_HELPER(0, log_arg, (void *)'a', 12);
	START_HELPER(1, log_arg, (void *)'b', 13);
	START_HELPER(2, log_arg, (void *)'c', 14);
	CHECK_EQ(k_thread_priority_set(&helpers[1], 11), 0);
	CHECK_EQ(k_thread_priority_get(&helpers[1]), 11);
	CHECK_EQ(k_thread_priority_set(&helpers[2], 5), 0); /* now above us: runs at once */
	CHECK_STR(log_text(), "c");
	k_sleep(2);
	CHECK_STR(log_text(), "cba");
	CHECK_EQ(k_thread_priority_set(&helpers[0], K_LOWEST_PRIO), -EINVAL);
}

TEST_SUITE(thread_tests, "thread",
	   {"join_waits_for_exit", join_waits_for_exit},
	   {"join_times_out", join_times_out},
	   {"join_rejects_self_and_unused", join_rejects_self_and_unused},
	   {"create_rejects_bad_arguments", create_rejects_bad_arguments},
	   {"abort_blocked_thread", abort_blocked_thread},
	   {"static_thread_runs", static_thread_runs},
	   {"priority_set_reorders", priority_set_reorders});
