/* Mutexes: ownership, recursion, timeouts and priority inheritance. */
#include "runner.h"

static K_MUTEX_DEFINE(lock_a);
static K_MUTEX_DEFINE(lock_b);
static K_SEM_DEFINE(go, 0, 1);

static void recursive_locking(void)
{
	CHECK_EQ(k_mutex_lock(&lock_a, K_NO_WAIT), 0);
	CHECK_EQ(k_mutex_lock(&lock_a, K_NO_WAIT), 0);
	CHECK_EQ(k_mutex_unlock(&lock_a), 0);
	CHECK(lock_a.owner == k_current_get(), "mutex released after one of two unlocks");
	CHECK_EQ(k_mutex_unlock(&lock_a), 0);
	CHECK(lock_a.owner == NULL, "mutex still owned after the last unlock");
	CHECK_EQ(k_mutex_unlock(&lock_a), -EINVAL);
}

static void hold_until_go(void *arg)
{
	struct k_mutex *mutex = arg;
	k_mutex_lock(mutex, K_FOREVER);
	log_event('L');
	k_sem_take(&go, K_FOREVER);
	log_event('U');
	k_mutex_unlock(mutex);
	log_event('u');
}

static void other_owner_is_respected(void)
{
	k_sem_init(&go, 0, 1);
	START_HELPER(0, hold_until_go, &lock_a, 5);
	CHECK_STR(log_text(), "L");
	CHECK_EQ(k_mutex_unlock(&lock_a), -EPERM);
	CHECK_EQ(k_mutex_lock(&lock_a, K_NO_WAIT), -EBUSY);
	k_sleep(1);
	uint32_t start = k_uptime_ticks();
	CHECK_EQ(k_mutex_lock(&lock_a, 15), -EAGAIN);
	CHECK_EQ(k_uptime_ticks() - start, 15);
	k_sem_give(&go);
	CHECK_EQ(k_mutex_lock(&lock_a, K_NO_WAIT), 0);
	CHECK_EQ(k_mutex_unlock(&lock_a), 0);
}

static void lock_and_log(void *arg)
{
	struct k_mutex *mutex = arg;
	if (k_mutex_lock(mutex, K_FOREVER) == 0) {
		log_event('H');
		k_mutex_unlock(mutex);
	}
}

static void inheritance_raises_and_restores(void)
{
	k_sem_init(&go, 0, 1);
	struct k_thread *low = helper_start(0, hold_until_go, &lock_a, 15);
	if (low == NULL)
		return;
	k_sleep(1); /* low takes the mutex and waits for go */
	CHECK_STR(log_text(), "L");
	START_HELPER(1, lock_and_log, &lock_a, 5); /* blocks on the mutex at once */
	CHECK_EQ(k_thread_priority_get(low), 5);
	k_sem_give(&go); /* low now outranks us: it unlocks and the waiter runs */
	CHECK_STR(log_text(), "LUH");
	CHECK_EQ(k_thread_priority_get(low), 15);
}

static void lock_with_timeout(void *arg)
{
	struct k_mutex *mutex = arg;
	log_event(k_mutex_lock(mutex, 10) == -EAGAIN ? 'T' : '!');
}

static void inheritance_ends_with_waiter_timeout(void)
{
	k_sem_init(&go, 0, 1);
	struct k_thread *low = helper_start(0, hold_until_go, &lock_a, 15);
	if (low == NULL)
		return;
	k_sleep(1);
	START_HELPER(1, lock_with_timeout, &lock_a, 5);
	CHECK_EQ(k_thread_priority_get(low), 5);
	k_thread_join(&helpers[1], K_FOREVER);
	CHECK_STR(log_text(), "LT");
	CHECK_EQ(k_thread_priority_get(low), 15);
	k_sem_give(&go);
}

static void hold_two_until_go(void *arg)
{
	(void)arg;
	k_mutex_lock(&lock_a, K_FOREVER);
	k_mutex_lock(&lock_b, K_FOREVER);
	k_sem_take(&go, K_FOREVER);
	k_mutex_unlock(&lock_b);
	log_event((char)('0' + k_thread_priority_get(k_current_get())));
	k_mutex_unlock(&lock_a);
	log_event((char)('a' + k_thread_priority_get(k_current_get())));
}

static void inheritance_with_two_mutexes(void)
{
	k_sem_init(&go, 0, 1);
	struct k_thread *low = helper_start(0, hold_two_until_go, NULL, 15);
	if (low == NULL)
		return;
	k_sleep(1);
	START_HELPER(1, lock_and_log, &lock_a, 8);
	CHECK_EQ(k_thread_priority_get(low), 8);
	START_HELPER(2, lock_and_log, &lock_b, 5);
	CHECK_EQ(k_thread_priority_get(low), 5);
	k_sem_give(&go);
	/* low drops lock_b: helper2 (5) runs; low keeps priority 8 for lock_a's waiter ('8'),
	 * drops lock_a: helper1 runs, and low finishes at its own priority 15 ('p'). */
	k_sleep(2);
	CHECK_STR(log_text(), "H8Hp");
}

static void unlock_hands_over_to_highest_waiter(void)
{
	CHECK_EQ(k_mutex_lock(&lock_a, K_NO_WAIT), 0);
	START_HELPER(0, lock_and_log, &lock_a, 14);
	k_sleep(1); /* helper0 blocks first ... */
	START_HELPER(1, lock_and_log, &lock_a, 12);
	k_sleep(1); /* ... then helper1, of higher priority */
	CHECK_EQ(k_mutex_unlock(&lock_a), 0);
	CHECK(lock_a.owner == &helpers[1], "mutex went to %s, not helper1",
	      lock_a.owner ? k_thread_name_get(lock_a.owner) : "nobody");
}

static void aborted_owner_passes_mutex_on(void)
{
	k_sem_init(&go, 0, 1);
	struct k_thread *low = helper_start(0, hold_until_go, &lock_a, 15);
	if (low == NULL)
		return;
	k_sleep(1);
	START_HELPER(1, lock_and_log, &lock_a, 5);
	CHECK_STR(log_text(), "L");
	k_thread_abort(low); /* the waiter gets the mutex and runs at once */
	CHECK_STR(log_text(), "LH");
	CHECK(lock_a.owner == NULL, "mutex still owned by %s", k_thread_name_get(lock_a.owner));
	CHECK(low->held_mutexes == NULL, "the dead owner still lists held mutexes");
}

TEST_SUITE(mutex_tests, "mutex",
	   {"recursive_locking", recursive_locking},
	   {"other_owner_is_respected", other_owner_is_respected},
	   {"inheritance_raises_and_restores", inheritance_raises_and_restores},
	   {"inheritance_ends_with_waiter_timeout", inheritance_ends_with_waiter_timeout},
	   {"inheritance_with_two_mutexes", inheritance_with_two_mutexes},
	   {"unlock_hands_over_to_highest_waiter", unlock_hands_over_to_highest_waiter},
	   {"aborted_owner_passes_mutex_on", aborted_owner_passes_mutex_on});
