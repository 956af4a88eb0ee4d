/* The scheduler: per-priority ready queues, wait queues, timeouts, the tick and time slicing.
 *
 * The running thread stays at the head of its ready queue, so a preempted thread resumes
 * before its equal-priority peers; yielding and slice expiry move it to the tail. */
#include <arch.h>
#include <kernel_internal.h>
#include <mpu.h>

struct z_kernel z_kernel;

static struct k_thread *thread_of(struct dnode *node)
{
	return CONTAINER_OF(node, struct k_thread, queue_node);
}

static void ready_insert(struct k_thread *thread, bool at_head)
{
	struct dlist *queue = &z_kernel.ready[thread->prio];
	if (at_head)
		dlist_prepend(queue, &thread->queue_node);
	else
		dlist_append(queue, &thread->queue_node);
	z_kernel.ready_bitmap |= 1u << thread->prio;
}

static void ready_remove(struct k_thread *thread)
{
	struct dlist *queue = &z_kernel.ready[thread->prio];
	dlist_remove(queue, &thread->queue_node);
	if (dlist_is_empty(queue))
		z_kernel.ready_bitmap &= ~(1u << thread->prio);
}

/* The idle thread is always ready, so the bitmap is never empty once the kernel runs. */
static struct k_thread *highest_ready(void)
{
	unsigned int prio = (unsigned int)__builtin_ctz(z_kernel.ready_bitmap);
	return thread_of(z_kernel.ready[prio].head);
}

static void wait_q_insert(struct k_wait_q *wait_q, struct k_thread *thread)
{
	for (struct dnode *node = wait_q->waiters.head; node != NULL; node = node->next) {
		if (thread_of(node)->prio > thread->prio) {
			dlist_insert_before(&wait_q->waiters, node, &thread->queue_node);
			thread->pended_on = wait_q;
			return;
		}
	}
	dlist_append(&wait_q->waiters, &thread->queue_node);
	thread->pended_on = wait_q;
}

static void timeout_arm(struct k_thread *thread, k_timeout_t ticks)
{
	thread->deadline = z_kernel.ticks + (uint32_t)ticks;
	thread->timeout_armed = true;
	for (struct dnode *node = z_kernel.timeouts.head; node != NULL; node = node->next) {
		struct k_thread *other = CONTAINER_OF(node, struct k_thread, timeout_node);
		if ((int32_t)(other->deadline - thread->deadline) > 0) {
			dlist_insert_before(&z_kernel.timeouts, node, &thread->timeout_node);
			return;
		}
	}
	dlist_append(&z_kernel.timeouts, &thread->timeout_node);
}

static void timeout_cancel(struct k_thread *thread)
{
	if (thread->timeout_armed) {
		dlist_remove(&z_kernel.timeouts, &thread->timeout_node);
		thread->timeout_armed = false;
	}
}

void z_ready(struct k_thread *thread)
{
	thread->state = K_THREAD_READY;
	ready_insert(thread, false);
}

void z_pend_current(struct k_wait_q *wait_q, k_timeout_t timeout)
{
	struct k_thread *current = z_kernel.current;
	ready_remove(current);
	if (wait_q != NULL) {
		wait_q_insert(wait_q, current);
		current->state = K_THREAD_PENDING;
	} else {
		current->state = K_THREAD_SLEEPING;
	}
	if (timeout != K_FOREVER)
		timeout_arm(current, timeout);
	current->swap_result = -EAGAIN;
}

int z_swap(unsigned int key)
{
	arch_request_switch();
	irq_unlock(0); /* PendSV is taken here; we continue once switched back in */
	irq_unlock(key);
	return z_kernel.current->swap_result;
}

int z_pend_and_swap(unsigned int key, struct k_wait_q *wait_q, k_timeout_t timeout)
{
	z_pend_current(wait_q, timeout);
	return z_swap(key);
}

void z_reschedule(unsigned int key)
{
	if (highest_ready() != z_kernel.current)
		z_swap(key);
	else
		irq_unlock(key);
}

void z_wake(struct k_thread *thread, int result)
{
	if (thread->pended_on != NULL) {
		dlist_remove(&thread->pended_on->waiters, &thread->queue_node);
		thread->pended_on = NULL;
	}
	timeout_cancel(thread);
	thread->swap_result = result;
	z_ready(thread);
}

void z_set_prio(struct k_thread *thread, int prio)
{
	if (thread->prio == prio)
		return;
	if (thread->state == K_THREAD_READY) {
		ready_remove(thread);
		thread->prio = (int8_t)prio;
		ready_insert(thread, thread == z_kernel.current);
	} else if (thread->pended_on != NULL) {
		struct k_wait_q *wait_q = thread->pended_on;
		dlist_remove(&wait_q->waiters, &thread->queue_node);
		thread->prio = (int8_t)prio;
		wait_q_insert(wait_q, thread);
	} else {
		thread->prio = (int8_t)prio;
	}
}

void z_thread_stop(struct k_thread *thread)
{
	if (thread->state == K_THREAD_READY)
		ready_remove(thread);
	else if (thread->pended_on != NULL) {
		dlist_remove(&thread->pended_on->waiters, &thread->queue_node);
		thread->pended_on = NULL;
	}
	timeout_cancel(thread);
	thread->state = K_THREAD_DEAD;
	z_mutex_release_all(thread);
	z_thread_perms_release(thread);
	z_object_uninit(thread);
	z_object_uninit(thread->stack);
	for (struct k_thread *joiner; (joiner = z_wait_q_first(&thread->joiners)) != NULL;)
		z_wake(joiner, 0);
}

void z_tick(void)
{
	unsigned int key = irq_lock();
	z_kernel.ticks++;

	while (z_kernel.timeouts.head != NULL) {
		struct k_thread *thread =
			CONTAINER_OF(z_kernel.timeouts.head, struct k_thread, timeout_node);
		if ((int32_t)(z_kernel.ticks - thread->deadline) < 0)
			break;
		z_wake(thread, -EAGAIN);
	}

	struct k_thread *current = z_kernel.current; /* NULL if the tick precedes the first switch */
	if (current != NULL && current->state == K_THREAD_READY && --z_kernel.slice_left <= 0) {
		z_kernel.slice_left = K_TIMESLICE_TICKS;
		if (current->queue_node.next != NULL) { /* an equal-priority peer is ready */
			ready_remove(current);
			ready_insert(current, false);
		}
	}

	if (highest_ready() != current)
		arch_request_switch();
	irq_unlock(key);
}

struct k_thread *z_switch_next(void)
{
	struct k_thread *previous = z_kernel.current;
	if (previous != NULL && previous->state != K_THREAD_DEAD && z_stack_overflowed(previous))
		z_fault_stack_overflow(previous);
	if (previous != NULL && z_priv_stack_overflowed(previous))
		z_fault_priv_stack_overflow(previous);

	struct k_thread *next = highest_ready();
	if (next != z_kernel.current) {
		z_kernel.current = next;
		z_kernel.slice_left = K_TIMESLICE_TICKS;
		arch_mpu_switch(next);
	}
	return next;
}

void z_impl_k_yield(void)
{
	unsigned int key = irq_lock();
	struct k_thread *current = z_kernel.current;
	ready_remove(current);
	ready_insert(current, false);
	z_reschedule(key);
}

void z_vrfy_k_yield(void)
{
	z_impl_k_yield();
}

int z_impl_k_sleep(k_timeout_t ticks)
{
	if (ticks == K_NO_WAIT) {
		z_impl_k_yield();
		return 0;
	}
	unsigned int key = irq_lock();
	z_pend_and_swap(key, NULL, ticks);
	return 0;
}

int z_vrfy_k_sleep(k_timeout_t ticks)
{
	return z_impl_k_sleep(ticks);
}

uint32_t z_impl_k_uptime_ticks(void)
{
	return z_kernel.ticks;
}

uint32_t z_vrfy_k_uptime_ticks(void)
{
	return z_impl_k_uptime_ticks();
}
