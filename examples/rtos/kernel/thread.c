/* Thread life cycle: creation, names and priorities, join, abort and exit. */
#include <arch.h>
#include <kernel_internal.h>
#include <string.h>

/* The frame the hardware pops on exception return; a new thread "returns" into it. */
struct exception_frame {
	uint32_t r0, r1, r2, r3, r12, lr, pc, xpsr;
};

#define XPSR_THUMB (1u << 24)

static void thread_entry(k_thread_entry_t entry, void *arg)
{
	entry(arg);
	k_thread_exit();
}

void z_thread_setup(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
		    k_thread_entry_t entry, void *arg, int prio, const char *name)
{
	memset(thread, 0, sizeof(*thread));
	uintptr_t top = ((uintptr_t)stack + stack_size) & ~(uintptr_t)7u;
	struct exception_frame *frame = (struct exception_frame *)top - 1;
	memset(frame, 0, sizeof(*frame));
	frame->r0 = (uint32_t)(uintptr_t)entry;
	frame->r1 = (uint32_t)(uintptr_t)arg;
	frame->pc = (uint32_t)(uintptr_t)thread_entry & ~1u;
	frame->xpsr = XPSR_THUMB;

	memcpy(stack, &(uint32_t){K_STACK_SENTINEL}, sizeof(uint32_t)); /* may be unaligned */

	thread->saved_psp = (uint32_t)(uintptr_t)frame;
	thread->mode = K_MODE_KERNEL;
	thread->prio = (int8_t)prio;
	thread->base_prio = (int8_t)prio;
	thread->name = name;
	thread->stack = stack;
	thread->stack_size = stack_size;
}

bool z_stack_overflowed(const struct k_thread *thread)
{
	uint32_t sentinel;
	memcpy(&sentinel, thread->stack, sizeof(sentinel));
	return sentinel != K_STACK_SENTINEL;
}

int k_thread_create(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
		    k_thread_entry_t entry, void *arg, int prio)
{
	if (prio < 0 || prio >= K_LOWEST_PRIO || stack == NULL || stack_size < K_THREAD_STACK_MIN ||
	    entry == NULL)
		return -EINVAL;
	unsigned int key = irq_lock();
	if (thread->state != K_THREAD_UNUSED && thread->state != K_THREAD_DEAD) {
		irq_unlock(key);
		return -EBUSY;
	}
	z_thread_setup(thread, stack, stack_size, entry, arg, prio, thread->name);
	z_ready(thread);
	z_reschedule(key);
	return 0;
}

void k_thread_name_set(struct k_thread *thread, const char *name)
{
	thread->name = name;
}

const char *k_thread_name_get(const struct k_thread *thread)
{
	return thread->name != NULL ? thread->name : "<unnamed>";
}

struct k_thread *k_current_get(void)
{
	return z_kernel.current;
}

int k_thread_priority_get(struct k_thread *thread)
{
	return thread->prio;
}

int k_thread_priority_set(struct k_thread *thread, int prio)
{
	if (prio < 0 || prio >= K_LOWEST_PRIO)
		return -EINVAL;
	unsigned int key = irq_lock();
	thread->base_prio = (int8_t)prio;
	z_mutex_update_prio(thread);
	z_reschedule(key);
	return 0;
}

int k_thread_join(struct k_thread *thread, k_timeout_t timeout)
{
	unsigned int key = irq_lock();
	int result;
	if (thread->state == K_THREAD_DEAD)
		result = 0;
	else if (thread->state == K_THREAD_UNUSED)
		result = -EINVAL;
	else if (thread == z_kernel.current)
		result = -EDEADLK;
	else if (timeout == K_NO_WAIT)
		result = -EBUSY;
	else
		return z_pend_and_swap(key, &thread->joiners, timeout);
	irq_unlock(key);
	return result;
}

void k_thread_abort(struct k_thread *thread)
{
	unsigned int key = irq_lock();
	if (thread->state == K_THREAD_UNUSED || thread->state == K_THREAD_DEAD) {
		irq_unlock(key);
		return;
	}
	z_thread_stop(thread);
	z_reschedule(key); /* never returns when the caller aborted itself */
}

void k_thread_exit(void)
{
	irq_lock();
	z_thread_stop(z_kernel.current);
	z_swap(0);
	__builtin_unreachable();
}
