/* Caller of unknown mode: wrappers ask z_syscall_in_user_context() at run time. */
#include <host/calls.h>

int mixed_add(int a, int b) { return host_add(a, b); }
