/* Recursive mutexes with priority inheritance.
 *
 * A thread's effective priority is the highest of its base priority and the priorities of
 * the first waiters of every mutex it holds, recomputed whenever one of those changes. Only
 * the direct owner is raised: inheritance does not follow chains of owners. A thread that
 * ends (exit, abort, fault) passes on the mutexes it still holds, so none stays locked by a
 * dead owner. */
#include <arch.h>
#include <kernel_internal.h>
#include <syscall_handler.h>

void z_mutex_update_prio(struct k_thread *thread)
{
	int prio = thread->base_prio;
	for (struct k_mutex *held = thread->held_mutexes; held != NULL; held = held->next_held) {
		struct k_thread *waiter = z_wait_q_first(&held->wait_q);
		if (waiter != NULL && waiter->prio < prio)
			prio = waiter->prio;
	}
	z_set_prio(thread, prio);
}

static void take_ownership(struct k_mutex *mutex, struct k_thread *thread)
{
	mutex->owner = thread;
	mutex->lock_count = 1;
	mutex->next_held = thread->held_mutexes;
	thread->held_mutexes = mutex;
}

static void release_ownership(struct k_mutex *mutex)
{
	struct k_mutex **link = &mutex->owner->held_mutexes;
	while (*link != mutex)
		link = &(*link)->next_held;
	*link = mutex->next_held;
	mutex->next_held = NULL;
	mutex->owner = NULL;
	mutex->lock_count = 0;
}

int z_impl_k_mutex_init(struct k_mutex *mutex)
{
	*mutex = (struct k_mutex){.owner = NULL};
	z_object_init(mutex);
	return 0;
}

int z_impl_k_mutex_lock(struct k_mutex *mutex, k_timeout_t timeout)
{
	unsigned int key = irq_lock();
	struct k_thread *current = z_kernel.current;
	if (mutex->owner == NULL) {
		take_ownership(mutex, current);
		irq_unlock(key);
		return 0;
	}
	if (mutex->owner == current) {
		mutex->lock_count++;
		irq_unlock(key);
		return 0;
	}
	if (timeout == K_NO_WAIT) {
		irq_unlock(key);
		return -EBUSY;
	}

	z_pend_current(&mutex->wait_q, timeout);
	z_mutex_update_prio(mutex->owner);
	int result = z_swap(key);
	if (result == 0)
		return 0; /* the previous owner handed the mutex over */

	/* Timed out: the owner no longer inherits this thread's priority. */
	key = irq_lock();
	if (mutex->owner != NULL)
		z_mutex_update_prio(mutex->owner);
	z_reschedule(key);
	return result;
}

/* Passes the mutex to its highest-priority waiter, or leaves it unlocked. */
static void hand_over(struct k_mutex *mutex)
{
	release_ownership(mutex);
	struct k_thread *waiter = z_wait_q_first(&mutex->wait_q);
	if (waiter != NULL) {
		z_wake(waiter, 0);
		take_ownership(mutex, waiter);
		z_mutex_update_prio(waiter);
	}
}

void z_mutex_release_all(struct k_thread *thread)
{
	while (thread->held_mutexes != NULL)
		hand_over(thread->held_mutexes);
	z_set_prio(thread, thread->base_prio);
}

int z_impl_k_mutex_unlock(struct k_mutex *mutex)
{
	unsigned int key = irq_lock();
	struct k_thread *current = z_kernel.current;
	if (mutex->owner == NULL) {
		irq_unlock(key);
		return -EINVAL;
	}
	if (mutex->owner != current) {
		irq_unlock(key);
		return -EPERM;
	}
	if (--mutex->lock_count > 0) {
		irq_unlock(key);
		return 0;
	}

	hand_over(mutex);
	z_mutex_update_prio(current);
	z_reschedule(key);
	return 0;
}

/* ---- Verifiers ---- */

int z_vrfy_k_mutex_init(struct k_mutex *mutex)
{
	/* Not while a thread holds it or waits: that would corrupt the owner's list. */
	z_object_verify(mutex, K_OBJ_MUTEX, Z_ANY_INIT);
	Z_VERIFY_ARG(mutex->owner == NULL, mutex);
	return z_impl_k_mutex_init(mutex);
}

int z_vrfy_k_mutex_lock(struct k_mutex *mutex, k_timeout_t timeout)
{
	z_object_verify(mutex, K_OBJ_MUTEX, Z_MUST_INIT);
	return z_impl_k_mutex_lock(mutex, timeout);
}

int z_vrfy_k_mutex_unlock(struct k_mutex *mutex)
{
	z_object_verify(mutex, K_OBJ_MUTEX, Z_MUST_INIT);
	return z_impl_k_mutex_unlock(mutex);
}
