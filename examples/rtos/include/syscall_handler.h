/* What the kernel's system-call verifiers (z_vrfy_<name>) use: object and memory checks that
 * stop the calling thread when they fail. A verifier checks every argument, copies anything
 * user memory could still change, then calls z_impl_<name>. Kernel code only. */
#ifndef RTOS_SYSCALL_HANDLER_H
#define RTOS_SYSCALL_HANDLER_H

#include <kobject_table.h>

#include "kernel_internal.h"

/* What an object check requires of the object's initialisation. */
enum z_init_rule {
	Z_MUST_INIT,     /* initialised: in use */
	Z_MUST_NOT_INIT, /* not initialised: about to be set up (a thread to create) */
	Z_ANY_INIT,      /* either */
};

/* Stops the calling thread with a report: the system call, `reason`, and `what` (an object
 * or an address). Never returns. */
__attribute__((noreturn)) void z_syscall_refuse(enum k_syscall_refusal reason, const void *what);

/* The dynamic object at `p` and its state, or NULL (kernel/userspace.c). */
const struct k_object_entry *z_dynamic_object_find(const void *p, struct k_object_state **state);

/* The entry and run-time state of the kernel object at `p` (static or dynamic), or NULL. */
static inline const struct k_object_entry *z_object_find(const void *p,
							 struct k_object_state **state)
{
	const struct k_object_entry *entry = k_object_find(p);
	if (entry != NULL) {
		*state = k_object_state_of(entry);
		return entry;
	}
	return z_dynamic_object_find(p, state);
}

/* Whether thread index `index` has its bit in the object's permissions. */
static inline bool z_object_perm_bit(const struct k_object_state *state, unsigned int index)
{
#if K_OBJ_PERM_BYTES == 4
	/* One load of all 32 bits (ARMv7-M reads unaligned words) and one shift, by register:
	 * ARM takes the amount from its low byte, so 32 to 255 shift every bit out and need no
	 * bound check (C would call them undefined). */
	uint32_t bits;
	__builtin_memcpy(&bits, state->perms, sizeof(bits));
	_Static_assert(Z_NO_PERM_INDEX <= 255u, "perm_index fits the shift amount's byte");
	__asm__("lsr %0, %0, %1" : "+r"(bits) : "r"(index & 0xffu));
	return bits & 1u;
#else
	return index < K_OBJ_PERM_BYTES * 8u && (state->perms[index >> 3] >> (index & 7u)) & 1u;
#endif
}

static inline bool z_object_permitted(const struct k_object_state *state, unsigned int index)
{
	return z_object_perm_bit(state, index) || (state->flags & K_OBJ_FLAG_PUBLIC);
}

/* The checks of z_object_verify on an entry already found. */
__attribute__((always_inline)) static inline void
z_object_check(const void *p, const struct k_object_entry *entry, struct k_object_state *state,
	       enum k_obj_type type, enum z_init_rule rule)
{
	if (type != K_OBJ_ANY && entry->type != type)
		z_syscall_refuse(K_REFUSED_WRONG_TYPE, p);
	if (!z_object_permitted(state, z_kernel.current->perm_index))
		z_syscall_refuse(K_REFUSED_NO_PERMISSION, p);
	if (rule == Z_MUST_INIT && !(state->flags & K_OBJ_FLAG_INITIALIZED))
		z_syscall_refuse(K_REFUSED_UNINITIALIZED, p);
	if (rule == Z_MUST_NOT_INIT && (state->flags & K_OBJ_FLAG_INITIALIZED))
		z_syscall_refuse(K_REFUSED_BUSY, p);
}

/* z_object_verify for objects the static table does not hold. */
struct k_object_state *z_dynamic_object_verify(const void *p, enum k_obj_type type,
					       enum z_init_rule rule);

/* Checks that `p` is a kernel object of `type` (K_OBJ_ANY: any) the calling thread may use,
 * initialised as `rule` says; returns its state. Inline: every object argument of every
 * system call goes through here. */
__attribute__((always_inline)) static inline struct k_object_state *
z_object_verify(const void *p, enum k_obj_type type, enum z_init_rule rule)
{
	/* The generated lookup, its constants baked in, beats the table-driven one inline. */
	const struct k_object_entry *entry = k_object_find(p);
	if (__builtin_expect(entry == NULL, 0))
		return z_dynamic_object_verify(p, type, rule);
	struct k_object_state *state = k_object_state_of(entry);
	z_object_check(p, entry, state, type, rule);
	return state;
}

/* Whether `thread` may read (or, with `write`, write) all of [start, start + size): its own
 * stack above the guard, one partition of its domain, or for reads the flash. A size that
 * wraps the address space never fits. */
bool z_user_memory_ok(const struct k_thread *thread, uintptr_t start, size_t size, bool write);

/* Checks a user buffer for the calling thread. */
static inline void z_buffer_verify(const void *p, size_t size, bool write)
{
	if (!z_user_memory_ok(z_kernel.current, (uintptr_t)p, size, write))
		z_syscall_refuse(K_REFUSED_BAD_BUFFER, p);
}

/* Refuses an argument value outright. */
#define Z_VERIFY_ARG(cond, what)                                                             \
	do {                                                                                 \
		if (!(cond))                                                                 \
			z_syscall_refuse(K_REFUSED_BAD_ARGUMENT, (const void *)(uintptr_t)(what)); \
	} while (0)

#endif
