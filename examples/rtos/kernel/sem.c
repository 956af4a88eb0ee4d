/* Counting semaphores. */
#include <arch.h>
#include <kernel_internal.h>
#include <syscall_handler.h>

int z_impl_k_sem_init(struct k_sem *sem, uint32_t initial, uint32_t limit)
{
	if (limit == 0 || initial > limit)
		return -EINVAL;
	sem->wait_q.waiters = (struct dlist){NULL, NULL};
	sem->count = initial;
	sem->limit = limit;
	z_object_init(sem);
	return 0;
}

void z_impl_k_sem_give(struct k_sem *sem)
{
	unsigned int key = irq_lock();
	struct k_thread *waiter = z_wait_q_first(&sem->wait_q);
	if (waiter != NULL) {
		z_wake(waiter, 0);
		z_reschedule(key);
		return;
	}
	if (sem->count < sem->limit)
		sem->count++;
	irq_unlock(key);
}

int z_impl_k_sem_take(struct k_sem *sem, k_timeout_t timeout)
{
	unsigned int key = irq_lock();
	if (sem->count > 0) {
		sem->count--;
		irq_unlock(key);
		return 0;
	}
	if (timeout == K_NO_WAIT) {
		irq_unlock(key);
		return -EBUSY;
	}
	return z_pend_and_swap(key, &sem->wait_q, timeout);
}

void z_impl_k_sem_reset(struct k_sem *sem)
{
	unsigned int key = irq_lock();
	sem->count = 0;
	for (struct k_thread *waiter; (waiter = z_wait_q_first(&sem->wait_q)) != NULL;)
		z_wake(waiter, -EAGAIN);
	z_reschedule(key);
}

uint32_t z_impl_k_sem_count_get(struct k_sem *sem)
{
	return sem->count;
}

/* ---- Verifiers ---- */

int z_vrfy_k_sem_init(struct k_sem *sem, uint32_t initial, uint32_t limit)
{
	z_object_verify(sem, K_OBJ_SEM, Z_ANY_INIT);
	return z_impl_k_sem_init(sem, initial, limit);
}

void z_vrfy_k_sem_give(struct k_sem *sem)
{
	z_object_verify(sem, K_OBJ_SEM, Z_MUST_INIT);
	z_impl_k_sem_give(sem);
}

int z_vrfy_k_sem_take(struct k_sem *sem, k_timeout_t timeout)
{
	z_object_verify(sem, K_OBJ_SEM, Z_MUST_INIT);
	return z_impl_k_sem_take(sem, timeout);
}

void z_vrfy_k_sem_reset(struct k_sem *sem)
{
	z_object_verify(sem, K_OBJ_SEM, Z_MUST_INIT);
	z_impl_k_sem_reset(sem);
}

uint32_t z_vrfy_k_sem_count_get(struct k_sem *sem)
{
	z_object_verify(sem, K_OBJ_SEM, Z_MUST_INIT);
	return z_impl_k_sem_count_get(sem);
}
