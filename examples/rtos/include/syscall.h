/* System-call declarations. A kernel API declared `__syscall` gets a generated wrapper
 * (syscall-gen, included at the end of its header): from user mode it traps into the kernel,
 * which checks every argument (z_vrfy_<name>) before calling z_impl_<name>; from kernel mode
 * it calls z_impl_<name> directly, after the two-instruction-pair check below. */
#ifndef RTOS_SYSCALL_H
#define RTOS_SYSCALL_H

#include "arch.h"

#define __syscall static inline
/* Written right after `__syscall`: the call never waits (it may wake others or yield), so the
 * SVC handler runs it at once instead of sending the thread to its privileged stack. */
#define __nonblocking

/* The check every wrapper makes: inline, so a kernel thread pays a few instructions, not a
 * call. syscall-gen's header leaves its own declaration out when this macro exists. */
#define z_syscall_in_user_context() arch_is_user_context()

#endif
