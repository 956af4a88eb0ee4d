/* Scheduling: priority order, preemption, yielding, time slicing and sleeping. The runner
 * thread runs at K_MAIN_PRIO (10); helpers above it preempt it, helpers below wait for it. */
#include "runner.h"

/* Helper entry that logs the character passed as its argument. */
static void log_arg(void *arg)
{
	log_event((char)(uintptr_t)arg);
}

#define EV(c) ((void *)(uintptr_t)(c))

static void priority_order(void)
{
	START_HELPER(0, log_arg, EV('c'), 13);
	START_HELPER(1, log_arg, EV('a'), 11);
	START_HELPER(2, log_arg, EV('b'), 12);
	CHECK_STR(log_text(), ""); /* all below the runner: none ran yet */
	k_sleep(2);
	CHECK_STR(log_text(), "abc");
}

static void preempt_on_create(void)
{
	START_HELPER(0, log_arg, EV('h'), 5);
	log_event('m');
	CHECK_STR(log_text(), "hm");
}

static void yield_to_equal_priority(void)
{
	START_HELPER(0, log_arg, EV('a'), K_MAIN_PRIO);
	START_HELPER(1, log_arg, EV('b'), K_MAIN_PRIO);
	CHECK_STR(log_text(), "");
	k_yield();
	CHECK_STR(log_text(), "ab");
}

static void sleep_zero_yields(void)
{
	START_HELPER(0, log_arg, EV('a'), K_MAIN_PRIO);
	k_sleep(K_NO_WAIT);
	CHECK_STR(log_text(), "a");
}

/* Round robin: two spinning helpers of equal priority must alternate every slice. */
#define RR_SWITCHES 8
static struct {
	volatile int last_runner;
	volatile unsigned int switches;
	uint32_t switch_ticks[RR_SWITCHES];
	uint32_t end_tick;
} rr;

static void rr_spinner(void *arg)
{
	int me = (int)(uintptr_t)arg;
	while ((int32_t)(k_uptime_ticks() - rr.end_tick) < 0) {
		if (rr.last_runner != me) {
			unsigned int key = irq_lock();
			if (rr.switches < RR_SWITCHES)
				rr.switch_ticks[rr.switches] = k_uptime_ticks();
			rr.switches++;
			rr.last_runner = me;
			irq_unlock(key);
		}
	}
}

static void round_robin_time_slices(void)
{
	rr.last_runner = -1;
	rr.switches = 0;
	rr.end_tick = k_uptime_ticks() + 2 + RR_SWITCHES * K_TIMESLICE_TICKS;
	START_HELPER(0, rr_spinner, (void *)0, 12);
	START_HELPER(1, rr_spinner, (void *)1, 12);
	k_thread_join(&helpers[0], K_FOREVER);
	k_thread_join(&helpers[1], K_FOREVER);
	CHECK(rr.switches >= RR_SWITCHES, "only %u switches between the spinners", rr.switches);
	/* A switch is seen at most one tick late (a late timer interrupt without -icount), so
	 * each slice is checked to a tick and their sum exactly. */
	for (unsigned int i = 1; i < RR_SWITCHES; i++) {
		uint32_t slice = rr.switch_ticks[i] - rr.switch_ticks[i - 1];
		CHECK(slice + 1 >= K_TIMESLICE_TICKS && slice <= K_TIMESLICE_TICKS + 1,
		      "slice %u lasted %u ticks", i, (unsigned int)slice);
	}
	CHECK_EQ(rr.switch_ticks[RR_SWITCHES - 1] - rr.switch_ticks[0],
		 (RR_SWITCHES - 1) * K_TIMESLICE_TICKS);
}

static void spin_ticks(void *arg)
{
	log_event('s');
	spin_until(k_uptime_ticks() + (uint32_t)(uintptr_t)arg);
	log_event('e');
}

static void no_slicing_across_priorities(void)
{
	START_HELPER(0, spin_ticks, (void *)(3 * K_TIMESLICE_TICKS), 12);
	START_HELPER(1, log_arg, EV('x'), 13);
	k_thread_join(&helpers[1], K_FOREVER);
	CHECK_STR(log_text(), "sex");
}

static void preempted_thread_resumes_first(void)
{
	/* helper0 is preempted by helper2 while helper1 (same priority as helper0) waits. */
	START_HELPER(0, spin_ticks, (void *)2, 12);
	START_HELPER(1, log_arg, EV('b'), 12);
	k_sleep(1); /* helper0 starts spinning */
	START_HELPER(2, log_arg, EV('h'), 11);
	k_thread_join(&helpers[1], K_FOREVER);
	CHECK_STR(log_text(), "sheb");
}

static void sleep_exact_ticks(void)
{
	k_sleep(1); /* start right after a tick */
	uint32_t start = k_uptime_ticks();
	k_sleep(10);
	CHECK_EQ(k_uptime_ticks() - start, 10);
	k_sleep(K_MSEC(3));
	CHECK_EQ(k_uptime_ticks() - start, 13);
}

static void sleeper(void *arg)
{
	uint32_t ticks = (uint32_t)(uintptr_t)arg;
	k_sleep((k_timeout_t)ticks);
	log_event((char)('0' + ticks / 10));
}

static void sleepers_wake_in_deadline_order(void)
{
	START_HELPER(0, sleeper, (void *)30, 5);
	START_HELPER(1, sleeper, (void *)10, 6);
	START_HELPER(2, sleeper, (void *)20, 7);
	k_thread_join(&helpers[0], K_FOREVER);
	CHECK_STR(log_text(), "123");
}

TEST_SUITE(sched_tests, "sched",
	   {"priority_order", priority_order},
	   {"preempt_on_create", preempt_on_create},
	   {"yield_to_equal_priority", yield_to_equal_priority},
	   {"sleep_zero_yields", sleep_zero_yields},
	   {"round_robin_time_slices", round_robin_time_slices},
	   {"no_slicing_across_priorities", no_slicing_across_priorities},
	   {"preempted_thread_resumes_first", preempted_thread_resumes_first},
	   {"sleep_exact_ticks", sleep_exact_ticks},
	   {"sleepers_wake_in_deadline_order", sleepers_wake_in_deadline_order});
