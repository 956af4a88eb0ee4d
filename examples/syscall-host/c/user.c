/* User-mode callers: compiled with K_SYSCALL_USER_ONLY, so every wrapper traps. */
#include <host/calls.h>
#include <host/missing.h>

int user_add(int a, int b) { return host_add(a, b); }
int64_t user_add64(int64_t a, uint64_t b) { return host_add64(a, b); }
uint64_t user_sum7(uint32_t a, int64_t b, uint32_t c, int64_t d, uint8_t e, uint64_t f,
		   uint16_t g)
{
	return host_sum7(a, b, c, d, e, f, g);
}
void user_set(struct host_obj *obj, uint32_t value) { host_set(obj, value); }
struct host_pair user_pair_make(uint32_t lo, uint32_t hi) { return host_pair_make(lo, hi); }
int user_missing(int x) { return host_missing(x); }
