/* User mode: kernel-object lookup (the generated table, then the dynamic pool), permissions,
 * initialisation state, user-memory checks, refused system calls, and the verifiers of the
 * object and console system calls. */
#include <arch.h>
#include <kernel_internal.h>
#include <printk.h>
#include <string.h>
#include <syscall_handler.h>

extern const void *const __static_objects_start[];
extern const void *const __static_objects_end[];
extern char __flash_start[], __flash_end[];

/* ---- Dynamic objects: a pool of equal slots, so a lookup is a range check and a shift ---- */

#define DYN_OBJECTS 16
#define DYN_SLOT_SIZE 32u
union dyn_body {
	struct k_sem sem;
	struct k_mutex mutex;
};
_Static_assert(sizeof(union dyn_body) <= DYN_SLOT_SIZE, "a dynamic object outgrew its slot");

static uint8_t dyn_pool[DYN_OBJECTS][DYN_SLOT_SIZE] __attribute__((aligned(8)));
static struct k_object_entry dyn_entries[DYN_OBJECTS]; /* type K_OBJ_ANY: slot free */
static struct k_object_state dyn_states[DYN_OBJECTS];

static int dyn_slot(const void *p)
{
	uintptr_t offset = (uintptr_t)p - (uintptr_t)dyn_pool;
	if (offset >= sizeof(dyn_pool) || offset % DYN_SLOT_SIZE != 0)
		return -1;
	return (int)(offset / DYN_SLOT_SIZE);
}

const struct k_object_entry *z_dynamic_object_find(const void *p, struct k_object_state **state)
{
	int slot = dyn_slot(p);
	if (slot < 0 || dyn_entries[slot].type == K_OBJ_ANY)
		return NULL;
	*state = &dyn_states[slot];
	return &dyn_entries[slot];
}

struct k_object_state *z_dynamic_object_verify(const void *p, enum k_obj_type type,
					       enum z_init_rule rule)
{
	struct k_object_state *state;
	const struct k_object_entry *entry = z_dynamic_object_find(p, &state);
	if (entry == NULL)
		z_syscall_refuse(K_REFUSED_NOT_OBJECT, p);
	z_object_check(p, entry, state, type, rule);
	return state;
}

/* ---- Permissions and initialisation ------------------------------------------------- */

static void perm_set(struct k_object_state *state, unsigned int index, bool on)
{
	if (index >= K_OBJ_PERM_BYTES * 8u)
		return;
	uint8_t bit = (uint8_t)(1u << (index & 7u));
	if (on)
		state->perms[index >> 3] |= bit;
	else
		state->perms[index >> 3] &= (uint8_t)~bit;
}

typedef void (*object_fn)(const struct k_object_entry *entry, struct k_object_state *state,
			  void *ctx);

/* k_object_foreach over the static table, then the live dynamic objects. */
static void for_each_object(object_fn fn, void *ctx)
{
	k_object_foreach(fn, ctx);
	for (unsigned int i = 0; i < DYN_OBJECTS; i++)
		if (dyn_entries[i].type != K_OBJ_ANY)
			fn(&dyn_entries[i], &dyn_states[i], ctx);
}

static void set_flag(const void *object, uint8_t flag, bool on)
{
	struct k_object_state *state;
	if (z_object_find(object, &state) == NULL)
		return;
	if (on)
		state->flags |= flag;
	else
		state->flags &= (uint8_t)~flag;
}

void z_object_init(const void *object)
{
	set_flag(object, K_OBJ_FLAG_INITIALIZED, true);
}

void z_object_uninit(const void *object)
{
	set_flag(object, K_OBJ_FLAG_INITIALIZED, false);
}

void z_object_static_init(void)
{
	for (const void *const *p = __static_objects_start; p < __static_objects_end; p++)
		z_object_init(*p);
}

void z_object_grant(const void *object, const struct k_thread *thread, bool on)
{
	struct k_object_state *state;
	/* From the table, not thread->perm_index: the thread may not have been created yet. */
	if (z_object_find(object, &state) != NULL)
		perm_set(state, z_thread_perm_index(thread), on);
}

static void release_one(const struct k_object_entry *entry, struct k_object_state *state,
			void *ctx)
{
	(void)entry;
	perm_set(state, *(const unsigned int *)ctx, false);
}

void z_thread_perms_release(const struct k_thread *thread)
{
	unsigned int index = thread->perm_index;
	for_each_object(release_one, &index);
}

struct inherit {
	unsigned int from, to;
};

static void inherit_one(const struct k_object_entry *entry, struct k_object_state *state,
			void *ctx)
{
	(void)entry;
	const struct inherit *in = ctx;
	if (z_object_permitted(state, in->from) && !(state->flags & K_OBJ_FLAG_PUBLIC))
		perm_set(state, in->to, true);
}

void z_thread_perms_inherit(const struct k_thread *parent, const struct k_thread *child)
{
	struct inherit in = {parent->perm_index, child->perm_index};
	for_each_object(inherit_one, &in);
	z_object_grant(parent, child, false); /* never the parent itself */
}

unsigned int z_thread_perm_index(const struct k_thread *thread)
{
	const struct k_object_entry *entry = k_object_find(thread);
	return entry != NULL && entry->type == K_OBJ_THREAD ? entry->data : Z_NO_PERM_INDEX;
}

/* ---- Privileged stacks: one per permission index, used only by that thread's calls ---- */

#define PRIV_STACKS (K_OBJ_PERM_BYTES * 8u)
/* Aligned for the MPU guard over each one's lowest K_STACK_GUARD bytes. */
static uint64_t priv_stacks[PRIV_STACKS][K_PRIV_STACK_SIZE / 8]
	__attribute__((section(".noinit.priv_stacks"), aligned(K_STACK_GUARD)));

void *z_priv_stack_top(unsigned int perm_index)
{
	return perm_index < PRIV_STACKS ? priv_stacks[perm_index + 1] : NULL;
}

/* ---- User memory -------------------------------------------------------------------- */

static bool within(uintptr_t start, uintptr_t end, uintptr_t lo, uintptr_t hi)
{
	return start >= lo && end <= hi;
}

bool z_user_memory_ok(const struct k_thread *thread, uintptr_t start, size_t size, bool write)
{
	uintptr_t end = start + size;
	if (end < start || (end == start && size != 0))
		return false; /* wraps the address space */
	if (size == 0)
		return true;
	uintptr_t stack = (uintptr_t)thread->stack;
	if (within(start, end, stack + K_STACK_GUARD, stack + thread->stack_size))
		return true;
	const struct k_mem_domain *domain = thread->domain;
	for (unsigned int i = 0; domain != NULL && i < domain->partition_count; i++) {
		const struct k_mem_partition *part = domain->partitions[i];
		if ((!write || part->attr == K_MEM_PARTITION_RW) &&
		    within(start, end, part->start, part->end))
			return true;
	}
	return !write && within(start, end, (uintptr_t)__flash_start, (uintptr_t)__flash_end);
}

int z_syscall_user_readable(const void *addr, size_t size)
{
	return z_user_memory_ok(z_kernel.current, (uintptr_t)addr, size, false);
}

/* ---- Refusals ----------------------------------------------------------------------- */

static const char *const refusal_text[] = {
	[K_REFUSED_NONE] = "",
	[K_REFUSED_BAD_ID] = "no such system call",
	[K_REFUSED_NOT_CONFIGURED] = "system call not configured",
	[K_REFUSED_BAD_SVC] = "SVC number other than the system call's",
	[K_REFUSED_NOT_OBJECT] = "not a kernel object",
	[K_REFUSED_WRONG_TYPE] = "kernel object of the wrong type",
	[K_REFUSED_NO_PERMISSION] = "no permission on the object",
	[K_REFUSED_UNINITIALIZED] = "object not initialised",
	[K_REFUSED_BUSY] = "object in use",
	[K_REFUSED_BAD_BUFFER] = "memory the thread may not access",
	[K_REFUSED_BAD_ARGUMENT] = "argument out of range",
};

bool z_fault_reports_quiet;
uint32_t z_fault_count;

void k_fault_reports_quiet(bool quiet)
{
	z_fault_reports_quiet = quiet;
}

uint32_t k_fault_count(void)
{
	return z_fault_count;
}

const char *z_syscall_name(uint32_t id)
{
	if (id < K_SYSCALL_LIMIT && k_syscall_names[id] != NULL)
		return k_syscall_names[id];
	return "<invalid ID>";
}

/* Records and reports a refusal; the caller stops the thread. */
static void refusal_record(struct k_thread *thread, enum k_syscall_refusal reason, uint32_t id,
			   const void *what)
{
	thread->fault = K_FAULT_SYSCALL;
	thread->fault_reason = (uint8_t)reason;
	thread->fault_syscall = id;
	thread->fault_addr = (uint32_t)(uintptr_t)what;
	z_fault_count++;
	if (z_fault_reports_quiet)
		return;
	if (reason == K_REFUSED_BAD_SVC)
		printk("*** SVC #%lu refused in thread '%s': %s\n", id, k_thread_name_get(thread),
		       refusal_text[reason]);
	else
		printk("*** system call %s (ID %lu) refused in thread '%s': %s (%p)\n",
		       z_syscall_name(id), id, k_thread_name_get(thread), refusal_text[reason], what);
	printk("*** thread '%s' stopped, the others go on\n", k_thread_name_get(thread));
}

uint32_t z_syscall_running_id(void)
{
	return arch_in_svc_handler() ? z_svc_running_id() : z_kernel.current->syscall_id;
}

void z_syscall_refuse(enum k_syscall_refusal reason, const void *what)
{
	struct k_thread *current = z_kernel.current;
	irq_lock();
	refusal_record(current, reason, z_syscall_running_id(), what);
	z_thread_stop(current);
	if (arch_in_svc_handler()) {
		/* A nonblocking call, run by the SVC handler: the switch follows its return. */
		arch_request_switch();
		irq_unlock(0);
		z_svc_abandon();
	}
	z_swap(0);
	__builtin_unreachable();
}

void z_syscall_fault(unsigned int reason)
{
	switch (reason) {
	case K_SYSCALL_FAULT_BAD_ID:
		z_syscall_refuse(K_REFUSED_BAD_ID, (const void *)(uintptr_t)z_syscall_running_id());
	case K_SYSCALL_FAULT_NOT_CONFIGURED:
		z_syscall_refuse(K_REFUSED_NOT_CONFIGURED, NULL);
	default:
		z_syscall_refuse(K_REFUSED_BAD_BUFFER, NULL);
	}
}

/* An SVC from handler mode, boot code or a privileged thread other than syscall.S's return
 * request: a kernel bug. */
void z_svc_refused(uint32_t exc_return);
/* A user thread's SVC other than the system call; `frame` is its exception frame. */
void z_svc_refused_user(const uint32_t *frame);

void z_svc_refused(uint32_t exc_return)
{
	printk("*** SVC from kernel code (EXC_RETURN 0x%08lx)\n"
	       "*** stopping the system\n",
	       exc_return);
	arch_system_exit(255);
}

#define FRAME_PC 6

void z_svc_refused_user(const uint32_t *frame)
{
	struct k_thread *thread = z_kernel.current;
	const uint8_t *after = (const uint8_t *)(uintptr_t)frame[FRAME_PC];
	irq_lock();
	refusal_record(thread, K_REFUSED_BAD_SVC, after[-2], (const void *)(after - 2));
	z_thread_stop(thread);
	arch_request_switch(); /* taken as soon as this handler returns */
	irq_unlock(0);
}

/* ---- System calls of this file ------------------------------------------------------ */

void z_impl_k_object_access_grant(const void *object, struct k_thread *thread)
{
	z_object_grant(object, thread, true);
}

void z_vrfy_k_object_access_grant(const void *object, struct k_thread *thread)
{
	z_object_verify(thread, K_OBJ_THREAD, Z_ANY_INIT);
	z_object_verify(object, K_OBJ_ANY, Z_ANY_INIT);
	z_impl_k_object_access_grant(object, thread);
}

void z_impl_k_object_release(const void *object)
{
	z_object_grant(object, z_kernel.current, false);
}

void z_vrfy_k_object_release(const void *object)
{
	z_object_verify(object, K_OBJ_ANY, Z_ANY_INIT);
	z_impl_k_object_release(object);
}

void k_object_access_revoke(const void *object, struct k_thread *thread)
{
	z_object_grant(object, thread, false);
}

void k_object_access_all_grant(const void *object)
{
	set_flag(object, K_OBJ_FLAG_PUBLIC, true);
}

void *z_impl_k_object_alloc(int type)
{
	if (type != K_OBJ_SEM && type != K_OBJ_MUTEX)
		return NULL;
	unsigned int key = irq_lock();
	for (unsigned int i = 0; i < DYN_OBJECTS; i++) {
		if (dyn_entries[i].type != K_OBJ_ANY)
			continue;
		memset(dyn_pool[i], 0, DYN_SLOT_SIZE);
		dyn_entries[i] = (struct k_object_entry){
			.key = (uintptr_t)dyn_pool[i],
			.type = (uint8_t)type,
			.flags = K_OBJ_FLAG_ALLOCATED,
		};
		memset(&dyn_states[i], 0, sizeof(dyn_states[i]));
		dyn_states[i].flags = K_OBJ_FLAG_ALLOCATED;
		perm_set(&dyn_states[i], z_kernel.current->perm_index, true);
		irq_unlock(key);
		return dyn_pool[i];
	}
	irq_unlock(key);
	return NULL;
}

void *z_vrfy_k_object_alloc(int type)
{
	return z_impl_k_object_alloc(type);
}

void k_object_free(void *object)
{
	unsigned int key = irq_lock();
	int slot = dyn_slot(object);
	if (slot >= 0)
		dyn_entries[slot].type = K_OBJ_ANY;
	irq_unlock(key);
}

void z_vrfy_k_str_out(const char *text, size_t len)
{
	z_buffer_verify(text, len, false);
	z_impl_k_str_out(text, len);
}
