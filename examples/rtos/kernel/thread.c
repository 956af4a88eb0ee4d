/* Thread life cycle: creation (kernel and user threads), names and priorities, join, abort
 * and exit. */
#include <arch.h>
#include <kernel_internal.h>
#include <mpu.h>
#include <printk.h>
#include <string.h>
#include <syscall_handler.h>

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

/* Whether a thread on this stack with these options can be set up (see k_thread_create). */
static int thread_check(const struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
			uint32_t options)
{
	if (!(options & K_USER))
		return 0;
	struct k_thread probe = {.stack = stack, .stack_size = stack_size};
	arch_mpu_thread_setup(&probe);
	if (!arch_mpu_stack_ok(&probe) || z_thread_perm_index(thread) == Z_NO_PERM_INDEX)
		return -EINVAL;
	return 0;
}

void z_thread_setup(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
		    k_thread_entry_t entry, void *arg, int prio, const char *name, uint32_t options)
{
	/* Set before creation, kept: a domain and a name given to the thread before it runs. */
	struct k_mem_domain *domain = thread->domain;
	char kept_name[K_THREAD_NAME_SIZE];
	memcpy(kept_name, thread->name, sizeof(kept_name));
	memset(thread, 0, sizeof(*thread));
	memcpy(thread->name, kept_name, sizeof(kept_name));
	if (name != NULL)
		z_impl_k_thread_name_set(thread, name);
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
	thread->stack = stack;
	thread->stack_size = stack_size;
	thread->options = (uint8_t)options;
	thread->perm_index = (uint8_t)z_thread_perm_index(thread);
	arch_mpu_thread_setup(thread);

	struct k_thread *parent = z_kernel.current;
	if (domain == NULL)
		domain = parent != NULL && parent->domain != NULL ? parent->domain
								   : &k_mem_domain_default;
	thread->domain = domain;
	if (options & K_USER)
		z_thread_priv_stack_setup(thread);
	if ((options & K_INHERIT_PERMS) && parent != NULL)
		z_thread_perms_inherit(parent, thread);
	z_object_grant(thread, thread, true);
	z_object_init(thread);
	z_object_init(stack); /* in use: no second thread may take it */
}

bool z_stack_overflowed(const struct k_thread *thread)
{
	uint32_t sentinel;
	memcpy(&sentinel, thread->stack, sizeof(sentinel));
	return sentinel != K_STACK_SENTINEL;
}

void z_thread_priv_stack_setup(struct k_thread *thread)
{
	thread->mode = K_MODE_USER;
	thread->priv_stack_top = z_priv_stack_top(thread->perm_index);
	*z_priv_stack_sentinel(thread) = K_STACK_SENTINEL;
	arch_mpu_priv_stack_setup(thread);
}

int z_impl_k_thread_create(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
			   k_thread_entry_t entry, void *arg, int prio, uint32_t options)
{
	if (prio < 0 || prio >= K_LOWEST_PRIO || stack == NULL || stack_size < K_THREAD_STACK_MIN ||
	    entry == NULL || (options & ~(K_USER | K_INHERIT_PERMS)) != 0 ||
	    thread_check(thread, stack, stack_size, options) != 0)
		return -EINVAL;
	unsigned int key = irq_lock();
	if (thread->state != K_THREAD_UNUSED && thread->state != K_THREAD_DEAD) {
		irq_unlock(key);
		return -EBUSY;
	}
	z_thread_setup(thread, stack, stack_size, entry, arg, prio, NULL, options);
	z_ready(thread);
	z_reschedule(key);
	return 0;
}

/* A user thread creates only user threads, no more urgent than itself, on a thread object and
 * a whole stack object it may use and nobody else uses. */
int z_vrfy_k_thread_create(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
			   k_thread_entry_t entry, void *arg, int prio, uint32_t options)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_MUST_NOT_INIT);
	z_object_verify(stack, K_OBJ_THREAD_STACK_ELEMENT, Z_MUST_NOT_INIT);
	struct k_object_state *state;
	const struct k_object_stack *record = k_object_stack_of(z_object_find(stack, &state));
	Z_VERIFY_ARG(record != NULL && stack_size <= record->size, stack_size);
	Z_VERIFY_ARG(options & K_USER, options);
	Z_VERIFY_ARG(prio >= z_kernel.current->prio, prio);
	return z_impl_k_thread_create(thread, stack, stack_size, entry, arg, prio, options);
}

int z_impl_k_thread_name_set(struct k_thread *thread, const char *name)
{
	size_t len = 0;
	while (len < K_THREAD_NAME_SIZE - 1 && name[len] != '\0')
		len++;
	unsigned int key = irq_lock(); /* no report sees half a name */
	memcpy(thread->name, name, len);
	thread->name[len] = '\0';
	irq_unlock(key);
	return 0;
}

/* The name is copied byte by byte into kernel memory, each byte checked before it is read,
 * so a name running into memory the caller may not read is refused, never faulted on. */
int z_vrfy_k_thread_name_set(struct k_thread *thread, const char *name)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_ANY_INIT);
	char copy[K_THREAD_NAME_SIZE];
	size_t len = 0;
	for (; len < sizeof(copy) - 1; len++) {
		z_buffer_verify(name + len, 1, false);
		copy[len] = name[len];
		if (copy[len] == '\0')
			break;
	}
	copy[len] = '\0';
	return z_impl_k_thread_name_set(thread, copy);
}

int z_impl_k_thread_name_copy(struct k_thread *thread, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	size_t len = strlen(k_thread_name_get(thread));
	if (len > size - 1)
		len = size - 1;
	memcpy(buf, k_thread_name_get(thread), len);
	buf[len] = '\0';
	return 0;
}

int z_vrfy_k_thread_name_copy(struct k_thread *thread, char *buf, size_t size)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_ANY_INIT);
	z_buffer_verify(buf, size, true);
	return z_impl_k_thread_name_copy(thread, buf, size);
}

const char *k_thread_name_get(const struct k_thread *thread)
{
	return thread->name[0] != '\0' ? thread->name : "<unnamed>";
}

struct k_thread *z_impl_k_current_get(void)
{
	return z_kernel.current;
}

struct k_thread *z_vrfy_k_current_get(void)
{
	return z_impl_k_current_get();
}

int z_impl_k_thread_priority_get(struct k_thread *thread)
{
	return thread->prio;
}

int z_vrfy_k_thread_priority_get(struct k_thread *thread)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_MUST_INIT);
	return z_impl_k_thread_priority_get(thread);
}

int z_impl_k_thread_priority_set(struct k_thread *thread, int prio)
{
	if (prio < 0 || prio >= K_LOWEST_PRIO)
		return -EINVAL;
	unsigned int key = irq_lock();
	thread->base_prio = (int8_t)prio;
	z_mutex_update_prio(thread);
	z_reschedule(key);
	return 0;
}

/* A user thread may not raise a thread above its own priority. */
int z_vrfy_k_thread_priority_set(struct k_thread *thread, int prio)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_MUST_INIT);
	Z_VERIFY_ARG(prio >= z_kernel.current->prio, prio);
	return z_impl_k_thread_priority_set(thread, prio);
}

int z_impl_k_thread_join(struct k_thread *thread, k_timeout_t timeout)
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

int z_vrfy_k_thread_join(struct k_thread *thread, k_timeout_t timeout)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_ANY_INIT);
	return z_impl_k_thread_join(thread, timeout);
}

void z_impl_k_thread_abort(struct k_thread *thread)
{
	unsigned int key = irq_lock();
	if (thread->state == K_THREAD_UNUSED || thread->state == K_THREAD_DEAD) {
		irq_unlock(key);
		return;
	}
	z_thread_stop(thread);
	z_reschedule(key); /* never returns when the caller aborted itself */
}

void z_vrfy_k_thread_abort(struct k_thread *thread)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_ANY_INIT);
	z_impl_k_thread_abort(thread);
}

void z_impl_k_thread_exit(void)
{
	irq_lock();
	z_thread_stop(z_kernel.current);
	z_swap(0);
	__builtin_unreachable();
}

void z_vrfy_k_thread_exit(void)
{
	z_impl_k_thread_exit();
}

void k_thread_user_mode_enter(k_thread_entry_t entry, void *arg)
{
	struct k_thread *current = z_kernel.current;
	if (!arch_mpu_stack_ok(current) || current->perm_index == Z_NO_PERM_INDEX) {
		printk("*** thread '%s' cannot enter user mode: no MPU stack or object-table entry\n",
		       k_thread_name_get(current));
		k_thread_exit();
	}
	irq_lock();
	current->options |= K_USER;
	z_thread_priv_stack_setup(current);
	arch_mpu_switch(current);
	irq_unlock(0);
	/* The old kernel frames on this stack are dead: start over at its top, unprivileged. */
	uintptr_t top = ((uintptr_t)current->stack + current->stack_size) & ~(uintptr_t)7u;
	register uint32_t r0 __asm__("r0") = (uint32_t)(uintptr_t)entry;
	register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)arg;
	__asm__ volatile("mov sp, %2\n\t"
			 "mrs r3, control\n\t"
			 "orr r3, r3, #1\n\t"
			 "msr control, r3\n\t"
			 "isb\n\t"
			 "bx %3"
			 :
			 : "r"(r0), "r"(r1), "r"(top), "r"((uintptr_t)thread_entry)
			 : "r3", "memory");
	__builtin_unreachable();
}
