/* Scheduler internals shared by the kernel objects, the boot code and the arch layer.
 * Callers hold irq_lock() unless a function says otherwise. */
#ifndef RTOS_KERNEL_INTERNAL_H
#define RTOS_KERNEL_INTERNAL_H

#include "kernel.h"

struct z_kernel {
	/* The running thread; NULL until the first switch. First member: the context switch
	 * loads it at offset 0. */
	struct k_thread *current;
	uint32_t ticks;
	uint32_t ready_bitmap; /* bit p set when ready[p] is not empty */
	int slice_left;
	struct dlist ready[K_NUM_PRIO];
	struct dlist timeouts; /* armed timeouts, earliest deadline first */
};

extern struct z_kernel z_kernel;

/* Prepares a thread record and its initial stack frame without making it ready. */
void z_thread_setup(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
		    k_thread_entry_t entry, void *arg, int prio, const char *name, uint32_t options);
/* Whether the thread has overwritten the sentinel at the bottom of its stack. */
bool z_stack_overflowed(const struct k_thread *thread);
/* Makes `thread` a user thread: its privileged stack, with a sentinel at the bottom. */
void z_thread_priv_stack_setup(struct k_thread *thread);
/* The name of system call `id` for reports; "<invalid ID>" out of range. */
const char *z_syscall_name(uint32_t id);
/* The ID of the system call the current thread is in: run by the SVC handler or in thread
 * mode on its privileged stack. */
uint32_t z_syscall_running_id(void);
void z_ready(struct k_thread *thread);

/* Copies each kernel object's boot flags from the object table into its run-time state. */
void z_object_table_init(void);
/* Moves the current thread onto `wait_q` (or to sleep when NULL) with a timeout. */
void z_pend_current(struct k_wait_q *wait_q, k_timeout_t timeout);
/* Switches away and releases the lock `key`; returns the thread's swap_result once it runs
 * again. */
int z_swap(unsigned int key);
/* z_pend_current then z_swap. */
int z_pend_and_swap(unsigned int key, struct k_wait_q *wait_q, k_timeout_t timeout);
/* Switches if a thread other than the current one should run, then releases `key`. */
void z_reschedule(unsigned int key);
/* The first waiter, or NULL. Inline: every give and unlock asks it first. */
static inline struct k_thread *z_wait_q_first(struct k_wait_q *wait_q)
{
	struct dnode *head = wait_q->waiters.head;
	return head != NULL ? CONTAINER_OF(head, struct k_thread, queue_node) : NULL;
}
/* Takes a thread off its wait queue and timeout and makes it ready; its blocking call
 * returns `result`. */
void z_wake(struct k_thread *thread, int result);
/* Changes the effective priority, keeping ready and wait queues ordered. */
void z_set_prio(struct k_thread *thread, int prio);
/* Recomputes the effective priority from the base priority and held mutexes' waiters. */
void z_mutex_update_prio(struct k_thread *thread);
/* Passes every mutex `thread` holds to its next waiter (or unlocks it). */
void z_mutex_release_all(struct k_thread *thread);
/* Removes a thread from scheduling for good, releases its mutexes and wakes its joiners. */
void z_thread_stop(struct k_thread *thread);

/* ---- User mode (kernel/userspace.c) ---- */

/* Bytes of each user thread's privileged stack, on which its system calls run. */
#define K_PRIV_STACK_SIZE 1024u
/* perm_index of a thread the object table does not know (it cannot run in user mode). */
#define Z_NO_PERM_INDEX 0xffu

/* The privileged stack's bottom word: the kernel's own calls must never reach it. */
static inline uint32_t *z_priv_stack_sentinel(const struct k_thread *thread)
{
	return (uint32_t *)((uintptr_t)thread->priv_stack_top - K_PRIV_STACK_SIZE);
}

/* Whether a system call of the thread overwrote that sentinel: a kernel bug. */
static inline bool z_priv_stack_overflowed(const struct k_thread *thread)
{
	return thread->priv_stack_top != NULL && *z_priv_stack_sentinel(thread) != K_STACK_SENTINEL;
}

/* Fault and refusal reports are not printed while set (k_fault_reports_quiet); counted in
 * z_fault_count either way. */
extern bool z_fault_reports_quiet;
extern uint32_t z_fault_count;

/* Marks an object initialised or not (no effect on non-objects). */
void z_object_init(const void *object);
void z_object_uninit(const void *object);
/* Marks the objects K_*_DEFINE initialised statically. */
void z_object_static_init(void);
/* Sets or clears `thread`'s permission on `object`. */
void z_object_grant(const void *object, const struct k_thread *thread, bool on);
/* Clears the thread's permission on every object (its index may be reused). */
void z_thread_perms_release(const struct k_thread *thread);
/* Gives `child` every permission `parent` has, except on `parent` itself. */
void z_thread_perms_inherit(const struct k_thread *parent, const struct k_thread *child);
/* The thread's index in the permission masks, or Z_NO_PERM_INDEX. */
unsigned int z_thread_perm_index(const struct k_thread *thread);
/* The top of the privileged stack of permission index `perm_index`. */
void *z_priv_stack_top(unsigned int perm_index);

/* Reports a thread's stack overflow and stops it (the idle thread's ends the run). */
void z_fault_stack_overflow(struct k_thread *thread);
/* Reports a privileged-stack overflow, a kernel bug, and stops the system. */
__attribute__((noreturn)) void z_fault_priv_stack_overflow(struct k_thread *thread);

/* Called by the arch layer. */
void z_tick(void);                       /* SysTick handler */
struct k_thread *z_switch_next(void);    /* PendSV: picks and installs the next thread */
__attribute__((noreturn)) void z_kernel_start(void);
/* Starts the tick and switches from the boot code to the first thread, never to return. */
__attribute__((noreturn)) void arch_kernel_enter(void);

#endif
