/* The kernel's public API: time, threads, thread stacks, semaphores, mutexes, message
 * queues, object permissions and memory domains.
 *
 * Every blocking call takes a k_timeout_t in ticks (K_NO_WAIT, K_FOREVER or a count) and
 * returns 0 or a negative error code. A `__syscall` declaration is a system call: user
 * threads reach it through a checked trap, kernel threads call it directly (syscall.h).
 *
 * Kernel objects are plain structs; define them as globals, statics, struct members or array
 * elements. The K_*_DEFINE macros initialise them statically; k_*_init does it at run time.
 */
#ifndef RTOS_KERNEL_H
#define RTOS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlist.h"
#include "kobject.h"
#include "syscall.h"

/* Error codes, returned negated. */
#define EPERM 1
#define ENOENT 2
#define ENOMEM 12
#define EFAULT 14
#define EAGAIN 11
#define EBUSY 16
#define EINVAL 22
#define EDEADLK 35
#define ENOMSG 42

/* ---- Time ---------------------------------------------------------------------------- */

#define K_TICKS_PER_SEC 1000

/* A relative timeout in ticks. */
typedef int32_t k_timeout_t;

#define K_NO_WAIT ((k_timeout_t)0)
#define K_FOREVER ((k_timeout_t)-1)
#define K_TICKS(t) ((k_timeout_t)(t))
#define K_MSEC(ms) ((k_timeout_t)((ms) * K_TICKS_PER_SEC / 1000))

/* Ticks since boot. */
__syscall __nonblocking uint32_t k_uptime_ticks(void);

/* ---- Threads ------------------------------------------------------------------------- */

/* Priorities: 0 is the highest; K_LOWEST_PRIO belongs to the idle thread. */
#define K_NUM_PRIO 32
#define K_LOWEST_PRIO (K_NUM_PRIO - 1)
#define K_MAIN_PRIO 10
/* Threads of equal priority take turns after this many ticks. */
#define K_TIMESLICE_TICKS 5

enum k_thread_state {
	K_THREAD_UNUSED, /* never started: an all-zero struct k_thread */
	K_THREAD_READY,  /* running or runnable */
	K_THREAD_PENDING, /* waiting on an object, maybe with a timeout */
	K_THREAD_SLEEPING,
	K_THREAD_DEAD,
};

/* The privilege a thread runs with right now: a user thread is K_MODE_KERNEL while its system
 * calls run. */
enum k_thread_mode {
	K_MODE_KERNEL, /* privileged */
	K_MODE_USER,   /* unprivileged, confined by the MPU to its stack and memory domain */
};

/* k_thread_create options. */
#define K_USER (1u << 0)          /* run unprivileged (user mode) */
#define K_INHERIT_PERMS (1u << 1) /* start with the creator's object permissions */

/* Why a thread was stopped by a fault; K_FAULT_NONE for threads that ended normally. */
enum k_fault_kind {
	K_FAULT_NONE,
	K_FAULT_HARD,
	K_FAULT_MEMMANAGE,
	K_FAULT_BUS,
	K_FAULT_USAGE,
	K_FAULT_STACK_OVERFLOW, /* the stack's bottom word was overwritten */
	K_FAULT_SYSCALL,        /* a system call's check failed (the reason in fault_reason) */
};

/* Why a system call was refused; the calling thread is then stopped (see kernel/userspace.c). */
enum k_syscall_refusal {
	K_REFUSED_NONE,
	K_REFUSED_BAD_ID,          /* no such system call */
	K_REFUSED_NOT_CONFIGURED,  /* implementation not linked */
	K_REFUSED_BAD_SVC,         /* an SVC number other than the system call's */
	K_REFUSED_NOT_OBJECT,      /* the pointer is no kernel object */
	K_REFUSED_WRONG_TYPE,      /* a kernel object of another type */
	K_REFUSED_NO_PERMISSION,   /* the thread was not granted the object */
	K_REFUSED_UNINITIALIZED,   /* the object was never initialised */
	K_REFUSED_BUSY,            /* the object is in use (a live thread, a used stack) */
	K_REFUSED_BAD_BUFFER,      /* memory the thread may not access, or a size that wraps */
	K_REFUSED_BAD_ARGUMENT,    /* a value no user thread may pass */
};

typedef void (*k_thread_entry_t)(void *arg);

/* Bytes of a thread name, its NUL included; longer names are cut. */
#define K_THREAD_NAME_SIZE 16

struct k_mutex;

/* A queue of threads waiting on an object, highest priority first, FIFO among equals. */
struct k_wait_q {
	struct dlist waiters;
};

/* One element of a thread stack; stacks are arrays of it (see K_THREAD_STACK_DEFINE). */
__kobject(stack) struct k_thread_stack_element {
	char byte;
};
typedef struct k_thread_stack_element k_thread_stack_t;

__kobject(thread) struct k_thread {
	/* The context switch (arch/arm/switch.S) saves and restores the first ten words at fixed
	 * offsets: the process stack pointer, r4-r11 and the mode. Keep them first. */
	uint32_t saved_psp;
	uint32_t saved_r4_r11[8];
	uint32_t mode; /* enum k_thread_mode; selects CONTROL.nPRIV on every switch in */
	/* Top of the thread's privileged stack, on which its system calls run; NULL for kernel
	 * threads. */
	void *priv_stack_top;
	/* The user stack pointer saved on system-call entry, restored on return. */
	uint32_t user_sp;
	/* The ID of the system call in progress (arch/arm/syscall.S), for fault reports. */
	uint32_t syscall_id;
	/* The MPU guard under the privileged stack, in place while a system call runs there
	 * instead of guard_region (arch/arm/mpu.c, syscall.S). */
	uint32_t priv_guard_region[2];

	uint8_t options;     /* K_USER, K_INHERIT_PERMS */
	uint8_t perm_index;  /* bit in every object's permission mask; from the object table */
	struct k_mem_domain *domain; /* memory a user thread may use beside its stack */
	/* MPU regions of the stack and its guard, computed once at creation (arch/arm/mpu.c). */
	uint32_t stack_region[2], guard_region[2];

	struct dnode queue_node; /* in the ready queue or a wait queue */
	struct dnode timeout_node;
	uint32_t deadline; /* tick at which the timeout fires */
	bool timeout_armed;
	uint8_t state; /* enum k_thread_state */
	int8_t prio;   /* effective priority, raised by mutex priority inheritance */
	int8_t base_prio;
	struct k_wait_q *pended_on;
	int swap_result;  /* what the blocking call returns once the thread runs again */
	void *swap_data;  /* message buffer while waiting on a message queue */
	struct k_mutex *held_mutexes;
	struct k_wait_q joiners;

	char name[K_THREAD_NAME_SIZE]; /* a copy: the kernel keeps no pointer to user memory */
	k_thread_stack_t *stack;
	size_t stack_size;

	/* Set when a fault stopped the thread. */
	uint8_t fault; /* enum k_fault_kind */
	uint32_t fault_cfsr;
	uint32_t fault_pc;
	uint32_t fault_addr; /* MMFAR or BFAR when valid, else 0 */
	/* For K_FAULT_SYSCALL: enum k_syscall_refusal and the system call refused. */
	uint8_t fault_reason;
	uint32_t fault_syscall;
};

/* The lowest word of every thread stack holds this value; a thread found to have overwritten
 * it when it is switched out is stopped with K_FAULT_STACK_OVERFLOW. A sentinel catches
 * overflows late and not all of them: stacks that form an MPU region also get a guard
 * region over their lowest K_STACK_GUARD bytes (arch/arm/mpu.c). */
#define K_STACK_SENTINEL 0xf0e1d2c3u

/* Stack size and base alignment rule, in one place: the ARMv7-M MPU rule that linker-scripts
 * applies and checks (its README, "User stacks"). A stack object is a power of two of at least
 * 64 bytes, aligned to its size, so one MPU region covers it exactly; its lowest
 * K_STACK_GUARD bytes are the guard. Each stack has its own input section so that the linker
 * can sort stacks by alignment and pack them without padding. */
#define K_STACK_GUARD 32u
#define Z_SMEAR1(x) ((x) | ((x) >> 1))
#define Z_SMEAR2(x) (Z_SMEAR1(x) | (Z_SMEAR1(x) >> 2))
#define Z_SMEAR4(x) (Z_SMEAR2(x) | (Z_SMEAR2(x) >> 4))
#define Z_SMEAR8(x) (Z_SMEAR4(x) | (Z_SMEAR4(x) >> 8))
#define Z_SMEAR16(x) (Z_SMEAR8(x) | (Z_SMEAR8(x) >> 16))
#define Z_POW2_CEIL(x) (Z_SMEAR16((x) - 1u) + 1u)
#define Z_STACK_SIZE(size) Z_POW2_CEIL((size) + K_STACK_GUARD)
#define Z_STACK_ALIGN(size) Z_STACK_SIZE(size)

/* A stack any thread may use, including a future user thread: placed with the user stacks. */
#define K_THREAD_STACK_DEFINE(name, size)                                                    \
	struct k_thread_stack_element name[Z_STACK_SIZE(size)]                              \
		__attribute__((aligned(Z_STACK_ALIGN(size)), section(".user_stacks." #name)))

#define K_THREAD_STACK_ARRAY_DEFINE(name, count, size)                                       \
	struct k_thread_stack_element name[count][Z_STACK_SIZE(size)]                       \
		__attribute__((aligned(Z_STACK_ALIGN(size)), section(".user_stacks." #name)))

/* A stack only kernel threads use: kernel memory, not zeroed at boot. */
#define K_KERNEL_STACK_DEFINE(name, size)                                                    \
	struct k_thread_stack_element name[(((size) + 7u) & ~7u)]                              \
		__attribute__((aligned(8), section(".noinit.kernel_stacks")))

#define K_THREAD_STACK_SIZEOF(stack) sizeof(stack)
/* The smallest stack k_thread_create accepts: the initial frame plus some calls. */
#define K_THREAD_STACK_MIN 128u

/* A thread started at boot, before main: defines `name` (the struct k_thread) and its stack.
 * Not usable with `static`. */
struct z_static_thread {
	struct k_thread *thread;
	k_thread_stack_t *stack;
	size_t stack_size;
	k_thread_entry_t entry;
	void *arg;
	int prio;
	uint32_t options;
	const char *name;
};

#define K_THREAD_DEFINE(name, stack_size, entry, arg, prio, options)                                \
	_Static_assert((prio) >= 0 && (prio) < K_LOWEST_PRIO, "thread " #name ": priority"); \
	_Static_assert((stack_size) >= K_THREAD_STACK_MIN, "thread " #name ": stack size");  \
	K_THREAD_STACK_DEFINE(z_stack_##name, stack_size);                                   \
	struct k_thread name;                                                                \
	static const struct z_static_thread z_static_##name                                  \
		__attribute__((section(".static_threads"), used)) = {                        \
			&name, z_stack_##name, sizeof(z_stack_##name), entry, arg, prio, options, #name, \
	}

/* Starts `entry(arg)` on `stack` at `prio` (0 .. K_LOWEST_PRIO - 1). `thread` must be unused
 * or dead. Returns 0, -EINVAL (bad priority or stack) or -EBUSY (thread still alive). */
__syscall int k_thread_create(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
			      k_thread_entry_t entry, void *arg, int prio, uint32_t options);
/* Names the thread with a copy of `name`, cut to K_THREAD_NAME_SIZE - 1 characters. A name
 * set before k_thread_create is kept, so even the thread's first moments have it. Returns 0. */
__syscall int k_thread_name_set(struct k_thread *thread, const char *name);
/* Copies the thread's name into `buf` (NUL-terminated, cut to `size`): 0, or -EINVAL when
 * `size` is 0. */
__syscall int k_thread_name_copy(struct k_thread *thread, char *buf, size_t size);
/* Kernel threads only: the name for reports, never NULL. */
const char *k_thread_name_get(const struct k_thread *thread);

/* The name of kernel object type `type` (enum k_obj_type in the generated kobject_table.h). */
const char *k_object_type_name(unsigned int type);
__syscall __nonblocking struct k_thread *k_current_get(void);
__syscall __nonblocking int k_thread_priority_get(struct k_thread *thread);
__syscall __nonblocking int k_thread_priority_set(struct k_thread *thread, int prio);
/* Waits until `thread` has ended: 0, -EAGAIN on timeout, -EBUSY with K_NO_WAIT,
 * -EDEADLK for the calling thread itself, -EINVAL for a thread never started. */
__syscall int k_thread_join(struct k_thread *thread, k_timeout_t timeout);
/* Stops a thread wherever it is. Mutexes it holds pass to their next waiters. */
__syscall void k_thread_abort(struct k_thread *thread);
/* Ends the calling thread; never returns. */
__syscall void k_thread_exit(void);
/* Lets the other ready threads of the same priority run first. */
__syscall __nonblocking void k_yield(void);
/* Sleeps `ticks` ticks from the last tick; K_NO_WAIT yields. Returns 0. */
__syscall int k_sleep(k_timeout_t ticks);

/* ---- Semaphores ---------------------------------------------------------------------- */

__kobject(object) struct k_sem {
	struct k_wait_q wait_q;
	uint32_t count;
	uint32_t limit;
};

#define K_SEM_DEFINE(name, initial, max)                                                     \
	struct k_sem name = {.count = (initial), .limit = (max)};                          \
	Z_OBJECT_INITIALIZED(name);                                                         \
	_Static_assert((max) > 0 && (initial) <= (max), "semaphore " #name ": bad counts")

/* Returns -EINVAL unless 0 < limit and initial <= limit. */
__syscall __nonblocking int k_sem_init(struct k_sem *sem, uint32_t initial, uint32_t limit);
/* Wakes the highest-priority waiter, or counts up to the limit. */
__syscall __nonblocking void k_sem_give(struct k_sem *sem);
/* 0, -EBUSY (K_NO_WAIT and zero count) or -EAGAIN (timeout, reset). */
__syscall int k_sem_take(struct k_sem *sem, k_timeout_t timeout);
/* Zeroes the count; waiters return -EAGAIN. */
__syscall __nonblocking void k_sem_reset(struct k_sem *sem);
__syscall __nonblocking uint32_t k_sem_count_get(struct k_sem *sem);

/* ---- Mutexes ------------------------------------------------------------------------- */

/* A recursive mutex with priority inheritance: while a thread waits, the owner runs at least
 * at the waiter's priority. When the owner ends (exit, abort or fault) the mutex passes to
 * the next waiter. An all-zero struct is an unlocked mutex. */
__kobject(object) struct k_mutex {
	struct k_wait_q wait_q;
	struct k_thread *owner;
	uint32_t lock_count;
	struct k_mutex *next_held; /* the owner's list of held mutexes */
};

#define K_MUTEX_DEFINE(name)                                                                 \
	struct k_mutex name = {.owner = NULL};                                              \
	Z_OBJECT_INITIALIZED(name)

__syscall __nonblocking int k_mutex_init(struct k_mutex *mutex);
/* 0, -EBUSY (K_NO_WAIT and locked by another thread) or -EAGAIN (timeout). */
__syscall int k_mutex_lock(struct k_mutex *mutex, k_timeout_t timeout);
/* 0, -EINVAL (not locked) or -EPERM (locked by another thread). */
__syscall __nonblocking int k_mutex_unlock(struct k_mutex *mutex);

/* ---- Message queues ------------------------------------------------------------------ */

/* A FIFO of fixed-size messages copied in and out of a ring buffer. */
__kobject(object) struct k_msgq {
	struct k_wait_q wait_q; /* readers while empty, writers while full */
	char *buffer;
	uint32_t msg_size;
	uint32_t max_msgs;
	uint32_t used;
	uint32_t read_index;
	uint32_t write_index;
};

/* The ring buffer is an unnamed static array (a file-scope compound literal). */
#define K_MSGQ_DEFINE(name, msg_size_, max_msgs_)                                            \
	struct k_msgq name = {                                                              \
		.buffer = (char[(msg_size_) * (max_msgs_)]){0},                             \
		.msg_size = (msg_size_),                                                    \
		.max_msgs = (max_msgs_),                                                    \
	};                                                                                  \
	Z_OBJECT_INITIALIZED(name)

/* Returns -EINVAL for a zero message size or count. Kernel threads only: the queue keeps the
 * buffer, which must stay kernel memory. */
int k_msgq_init(struct k_msgq *msgq, void *buffer, uint32_t msg_size, uint32_t max_msgs);
/* 0, -ENOMSG (full with K_NO_WAIT, or purged while waiting) or -EAGAIN (timeout). */
__syscall int k_msgq_put(struct k_msgq *msgq, const void *msg, k_timeout_t timeout);
/* 0, -ENOMSG (empty with K_NO_WAIT) or -EAGAIN (timeout). */
__syscall int k_msgq_get(struct k_msgq *msgq, void *msg, k_timeout_t timeout);
/* Drops every message; writers waiting on a full queue return -ENOMSG. */
__syscall __nonblocking void k_msgq_purge(struct k_msgq *msgq);
__syscall __nonblocking uint32_t k_msgq_num_used_get(struct k_msgq *msgq);

/* ---- Kernel objects and user mode ---------------------------------------------------- */

/* Marks a statically defined object initialised at boot (its K_*_DEFINE initialises it). */
#define Z_OBJECT_INITIALIZED(name)                                                           \
	static const void *const z_initialized_##name                                       \
		__attribute__((section(".static_objects"), used)) = &(name)

/* Lets `thread` use `object` in system calls. A user thread may grant only objects it may use
 * itself, and only to threads it may use. */
__syscall void k_object_access_grant(const void *object, struct k_thread *thread);
/* Drops the calling thread's permission on `object`. */
__syscall void k_object_release(const void *object);
/* Kernel threads only: takes `thread`'s permission away. */
void k_object_access_revoke(const void *object, struct k_thread *thread);
/* Kernel threads only: every thread may use `object`. */
void k_object_access_all_grant(const void *object);

/* A kernel object of type `type` (enum k_obj_type) from the kernel's pool of dynamic objects,
 * zeroed and not yet initialised, usable by the caller only; NULL when the pool is empty or
 * the type cannot be allocated (semaphores, mutexes and message queues can). */
__syscall void *k_object_alloc(int type);
/* Kernel threads only: returns a dynamic object to the pool. Nothing may still wait on it. */
void k_object_free(void *object);

/* Kernel threads only: whether fault and refusal reports are printed (a fuzzer silences them;
 * k_fault_count still counts them). */
void k_fault_reports_quiet(bool quiet);
uint32_t k_fault_count(void);

/* Writes `len` bytes to the console: printk's path from user mode. */
__syscall void k_str_out(const char *text, size_t len);

/* Starts the calling kernel thread over in user mode at `entry(arg)`, on its own stack, for
 * good. The thread needs an MPU stack (K_THREAD_STACK_DEFINE). */
__attribute__((noreturn)) void k_thread_user_mode_enter(k_thread_entry_t entry, void *arg);

/* ---- Memory domains (kernel threads only) -------------------------------------------- */

/* Access to a partition for user threads; kernel threads may always read and write. */
#define K_MEM_PARTITION_RW 0x3u /* read and write */
#define K_MEM_PARTITION_RO 0x2u /* read only */

/* A range of memory a domain can grant: an application partition (K_APPMEM_PARTITION_DEFINE
 * in app_memory.h) or any range that forms one or two ARMv7-M MPU regions. */
struct k_mem_partition {
	uintptr_t start;
	uintptr_t split; /* start of the second MPU region; `end` when one region covers it */
	uintptr_t end;
	uint32_t attr;   /* K_MEM_PARTITION_RW or K_MEM_PARTITION_RO */
};

/* MPU regions a domain's partitions may use (of 8: flash, stack and guard are the kernel's). */
#define K_MEM_DOMAIN_REGIONS 5
#define K_MEM_DOMAIN_MAX_PARTITIONS K_MEM_DOMAIN_REGIONS

/* The memory a group of user threads shares beside their own stacks. */
struct k_mem_domain {
	struct k_mem_partition *partitions[K_MEM_DOMAIN_MAX_PARTITIONS];
	uint8_t partition_count;
	uint8_t region_count;
	/* The partitions' MPU regions (RBAR, RASR pairs), ready for the context switch. */
	uint32_t regions[K_MEM_DOMAIN_REGIONS][2];
};

/* The domain of threads nobody put in another one: no partitions. */
extern struct k_mem_domain k_mem_domain_default;

/* 0, or -EINVAL (a partition the MPU cannot express, or overlapping another) or -ENOMEM (more
 * MPU regions than K_MEM_DOMAIN_REGIONS). */
int k_mem_domain_init(struct k_mem_domain *domain, size_t count, struct k_mem_partition *parts[]);
int k_mem_domain_add_partition(struct k_mem_domain *domain, struct k_mem_partition *part);
/* 0 or -ENOENT (not in the domain). */
int k_mem_domain_remove_partition(struct k_mem_domain *domain, struct k_mem_partition *part);
/* Moves `thread` into `domain`; threads it creates later start there too. */
void k_mem_domain_add_thread(struct k_mem_domain *domain, struct k_thread *thread);

#include <syscalls/kernel.h>

#endif
