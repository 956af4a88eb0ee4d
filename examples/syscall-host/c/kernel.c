/* The "kernel" of the host test: implementations, verifiers, hooks and the host trap. */
#include <string.h>

#include <host/calls.h>
#include <syscalls/extra.h>

/* State the Rust tests inspect and set. */
unsigned int host_last_fault;
unsigned int host_traps;
unsigned int host_nonblocking_calls;
unsigned int host_impl_calls;
unsigned int host_readable_checks;
size_t host_readable_size;
int host_user_memory_ok = 1;
int host_in_user = 1;
int host_in_kernel;

int z_syscall_in_user_context(void)
{
	return host_in_user && !host_in_kernel;
}

int z_syscall_user_readable(const void *addr, size_t size)
{
	host_readable_checks++;
	host_readable_size = size;
	return addr != NULL && host_user_memory_ok;
}

void z_syscall_fault(unsigned int reason)
{
	host_last_fault = reason;
}

/* Never called: the trap below compares table entries with it, as a kernel's trap handler
 * would before taking its general path. */
uintptr_t z_syscall_defer(uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4,
			  uintptr_t a5, uintptr_t *ret_hi)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	*ret_hi = 0;
	host_last_fault = 0xdefe4u;
	return 0;
}

/* Plays the SVC handler: enter the kernel; run a call that never waits from the nonblocking
 * table, any other through the dispatcher; leave. */
uintptr_t syscall_host_trap(uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3,
			    uintptr_t a4, uintptr_t a5, uintptr_t id, uintptr_t *ret_hi)
{
	uintptr_t hi = 0xdeadbeefu; /* must be overwritten on every path */
	uintptr_t lo;
	k_syscall_handler_t now = id < K_SYSCALL_LIMIT ? k_syscall_nonblocking_table[id] : z_syscall_defer;

	host_traps++;
	host_in_kernel = 1;
	if (now != z_syscall_defer) {
		host_nonblocking_calls++;
		lo = now(a0, a1, a2, a3, a4, a5, &hi);
	} else {
		lo = z_syscall_dispatch(a0, a1, a2, a3, a4, a5, id, &hi);
	}
	host_in_kernel = 0;
	*ret_hi = hi;
	return lo;
}

int z_impl_host_add(int a, int b)
{
	host_impl_calls++;
	return a + b;
}

int z_vrfy_host_add(int a, int b)
{
	return z_impl_host_add(a, b);
}

int64_t z_impl_host_add64(int64_t a, uint64_t b)
{
	host_impl_calls++;
	return a + (int64_t)b;
}

int64_t z_vrfy_host_add64(int64_t a, uint64_t b)
{
	return z_impl_host_add64(a, b);
}

uint64_t z_impl_host_sum7(uint32_t a, int64_t b, uint32_t c, int64_t d, uint8_t e,
			  uint64_t f, uint16_t g)
{
	host_impl_calls++;
	return (uint64_t)a + (uint64_t)b + c + (uint64_t)d + e + f + g;
}

uint64_t z_vrfy_host_sum7(uint32_t a, int64_t b, uint32_t c, int64_t d, uint8_t e,
			  uint64_t f, uint16_t g)
{
	return z_impl_host_sum7(a, b, c, d, e, f, g);
}

void z_impl_host_set(struct host_obj *obj, uint32_t value)
{
	host_impl_calls++;
	obj->value = value;
}

void z_vrfy_host_set(struct host_obj *obj, uint32_t value)
{
	if (!z_syscall_user_readable(obj, sizeof(*obj))) {
		z_syscall_fault(K_SYSCALL_FAULT_BAD_USER_MEMORY);
		return;
	}
	z_impl_host_set(obj, value);
}

struct host_pair z_impl_host_pair_make(uint32_t lo, uint32_t hi)
{
	struct host_pair pair = { lo, hi };

	host_impl_calls++;
	return pair;
}

struct host_pair z_vrfy_host_pair_make(uint32_t lo, uint32_t hi)
{
	return z_impl_host_pair_make(lo, hi);
}

uint64_t z_impl_rs_mul(uint32_t a, uint64_t b)
{
	host_impl_calls++;
	return a * b;
}

uint64_t z_vrfy_rs_mul(uint32_t a, uint64_t b)
{
	return z_impl_rs_mul(a, b);
}

size_t z_impl_rs_fill(uint8_t *buf, size_t len, uint8_t byte)
{
	host_impl_calls++;
	memset(buf, byte, len);
	return len;
}

size_t z_vrfy_rs_fill(uint8_t *buf, size_t len, uint8_t byte)
{
	return z_impl_rs_fill(buf, len, byte);
}
