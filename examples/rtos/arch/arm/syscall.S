/* System-call entry and exit (ARMv7-M).
 *
 * A user thread traps with `svc #3`: arguments in r0-r5, the ID in r6 (syscall-gen's armv7m
 * ABI). r0-r6 still hold the caller's values when the handler starts: exception entry copies
 * them to the frame but does not change them, and no other handler can run between the svc
 * and this one (SVC has the highest configurable priority). The one word read from the user
 * frame is the stacked return address, written by the hardware, to find the SVC number.
 *
 * Two ways to run the call:
 *  - A call declared `__nonblocking` (its entry in k_syscall_nonblocking_table is its stub)
 *    runs right here, in the handler on the main stack: no thread can run until it is done,
 *    and a switch it asks for (PendSV) happens after the handler returns. The result goes
 *    straight into the user's frame.
 *  - Any other call may block, and a handler cannot be switched away from. Its table entry,
 *    z_syscall_defer, undoes the above and moves the thread onto its privileged stack, where
 *    an exception frame "returns", privileged and in thread mode, into the call's stub with
 *    the stub's stack arguments (a4, a5, &ret_hi) above the frame and syscall_return as its
 *    return address. syscall_return traps with `svc #4`, on which the handler copies the
 *    result into the user's frame. While the call runs there, MPU region 7 guards the
 *    bottom of the privileged stack instead of the user stack's.
 * Both clear the caller-saved registers that do not carry the result (r2, r3, r12).
 *
 * Privileged threads never trap into the kernel (their wrappers call the implementation), so
 * an SVC from a privileged thread is a return request or a kernel bug. */
	.syntax unified
	.thumb
	.text

#include <syscall_list.h>

	.equ SVC_SYSCALL, 3
	.equ SVC_RETURN, 4
	/* struct k_thread and struct z_kernel offsets, checked in start.c. */
	.equ THREAD_MODE, 36
	.equ THREAD_PRIV_STACK_TOP, 40
	.equ THREAD_USER_SP, 44           /* followed by THREAD_SYSCALL_ID */
	.equ THREAD_PRIV_GUARD, 52        /* MPU region 7 (RBAR, RASR) while in a system call */
	.equ THREAD_GUARD, 76             /* and otherwise */
	.equ MPU_RBAR, 0xe000ed9c         /* followed by MPU_RASR */
	.equ KERNEL_CURRENT, 0
	.equ FRAME_R1, 4
	.equ FRAME_PC, 24
	/* On the privileged stack, from its top: ret_hi, &ret_hi, a5, a4, then the frame. */
	.equ CALL_AREA, 48
	/* On the main stack while a nonblocking call runs, from its top: EXC_RETURN, the ID
	 * (read by z_svc_running_id), then the stub's arguments a4, a5, &ret_hi and a pad. */
	.equ RUNNING_ID, -8
	.equ NOW_AREA, 24
	.equ XPSR_THUMB, 0x01000000
	.equ CONTROL_SPSEL, 2             /* thread mode uses the process stack */
	.equ CONTROL_NPRIV, 1
	.equ SCB_VTOR, 0xe000ed08

	.global z_svc
	.type z_svc, %function
	.thumb_func
z_svc:
	tst lr, #4
	beq svc_refused                   /* from handler mode or the main stack: never valid */
	mrs r12, psp
	ldr r12, [r12, #FRAME_PC]         /* the caller's return address */
	ldrb r12, [r12, #-2]              /* the svc instruction's immediate */
	cmp r12, #SVC_SYSCALL
	bne svc_other
	cmp r6, #K_SYSCALL_LIMIT          /* unsigned: "negative" IDs too */
	bhs syscall_in_thread             /* which sends it to the bad-ID handler */

	/* Run the call now; z_syscall_defer comes back out for one that may block. */
	strd r6, lr, [sp, #-8]!           /* the ID for reports, EXC_RETURN */
	mrs r12, psp
	add r12, r12, #FRAME_R1           /* &ret_hi: the high word lands in the user's r1 */
	push {r4, r5, r12, lr}            /* a4, a5, &ret_hi; lr pads to 8 bytes */
	ldr r12, =k_syscall_nonblocking_table
	ldr r12, [r12, r6, lsl #2]
	blx r12
	mrs r12, psp
	str r0, [r12]                     /* the low word into the user's r0 */
	movs r2, #0
	strd r2, r2, [r12, #8]            /* r2, r3 cleared */
	str r2, [r12, #16]                /* r12 cleared */
	add sp, sp, #(NOW_AREA - 4)
	pop {pc}                          /* EXC_RETURN */

/* The nonblocking table's entry for every call that may block: called by z_svc above with
 * the stub's arguments still in r0-r5 and r6. */
	.global z_syscall_defer
	.type z_syscall_defer, %function
	.thumb_func
z_syscall_defer:
	ldr lr, [sp, #(NOW_AREA - 4)]     /* EXC_RETURN */
	add sp, sp, #NOW_AREA
	/* fall through */

	/* Onto the privileged stack before the call runs in thread mode. */
syscall_in_thread:
	mrs r12, control
	lsls r12, r12, #31                /* nPRIV into N */
	bpl svc_refused                   /* a privileged thread's system call: a kernel bug */
	ldr lr, =z_kernel
	ldr lr, [lr, #KERNEL_CURRENT]
	mrs r12, psp
	strd r12, r6, [lr, #THREAD_USER_SP] /* user_sp, syscall_id */
	ldr r12, [lr, #THREAD_PRIV_STACK_TOP]
	sub r12, r12, #CALL_AREA
	msr psp, r12
	stmia r12, {r0-r3}                /* a0-a3 come back in r0-r3 */
	add r3, r12, #44                  /* &ret_hi */
	strd r5, r3, [r12, #36]           /* a5, &ret_hi */
	cmp r6, #K_SYSCALL_LIMIT
	it hs
	movhs r6, #K_SYSCALL_BAD
	ldr r0, =k_syscall_table
	ldr r1, [r0, r6, lsl #2]
	bic r1, r1, #1                    /* a frame holds the PC without the Thumb bit */
	ldr r0, =syscall_return
	mov r2, #XPSR_THUMB
	strd r0, r1, [r12, #20]           /* lr, pc */
	strd r2, r4, [r12, #28]           /* xpsr, a4 */
	ldrd r0, r1, [lr, #THREAD_PRIV_GUARD]
	ldr r2, =MPU_RBAR
	stmia r2, {r0, r1}                /* the guard moves under the privileged stack */
	movs r0, #0                       /* K_MODE_KERNEL until the call returns */
	str r0, [lr, #THREAD_MODE]
	movs r0, #CONTROL_SPSEL
	msr control, r0
	mvn lr, #2                        /* EXC_RETURN 0xfffffffd: thread mode, process stack */
	bx lr

	/* Any SVC but the system call: from a privileged thread the return request of
	 * syscall_return (r0:r1 the result), from a user thread a refusal. */
svc_other:
	mrs lr, control
	tst lr, #CONTROL_NPRIV
	mvn lr, #2                        /* EXC_RETURN again: thread mode, process stack */
	bne svc_refused_user
	cmp r12, #SVC_RETURN
	bne svc_refused

syscall_exit:
	ldr lr, =z_kernel
	ldr lr, [lr, #KERNEL_CURRENT]
	ldr r12, [lr, #THREAD_USER_SP]
	movs r2, #0
	movs r3, #0
	stmia r12, {r0-r3}                /* result in r0:r1, r2 and r3 cleared */
	str r2, [r12, #16]                /* r12 cleared */
	msr psp, r12
	ldrd r0, r1, [lr, #THREAD_GUARD]
	ldr r2, =MPU_RBAR
	stmia r2, {r0, r1}                /* the guard back under the user stack */
	movs r0, #1                       /* K_MODE_USER */
	str r0, [lr, #THREAD_MODE]
	movs r0, #(CONTROL_SPSEL | CONTROL_NPRIV)
	msr control, r0
	mvn lr, #2
	bx lr

svc_refused_user:
	mrs r0, psp                       /* the user frame, for the report */
	b z_svc_refused_user              /* returns through lr: the exception return */

svc_refused:
	mov r0, lr
	b z_svc_refused

/* Where a marshalling stub returns to, privileged, on the privileged stack. */
	.type syscall_return, %function
	.thumb_func
syscall_return:
	ldr r1, [sp, #12]                 /* ret_hi */
	svc #SVC_RETURN
	.size syscall_return, . - syscall_return
	.size z_svc, . - z_svc

/* The ID of the nonblocking call the SVC handler runs. The main stack is empty when a thread
 * traps, so the handler's frame sits at its top: the reset value of MSP, vector 0. */
	.global z_svc_running_id
	.type z_svc_running_id, %function
	.thumb_func
z_svc_running_id:
	ldr r0, =SCB_VTOR
	ldr r0, [r0]
	ldr r0, [r0]
	ldr r0, [r0, #RUNNING_ID]
	bx lr
	.size z_svc_running_id, . - z_svc_running_id

/* Leaves a nonblocking call that stopped its thread: drops the handler's frames and returns
 * from the exception; the PendSV the caller requested switches away before the thread could
 * run again. Interrupts must be unlocked. */
	.global z_svc_abandon
	.type z_svc_abandon, %function
	.thumb_func
z_svc_abandon:
	ldr r0, =SCB_VTOR
	ldr r0, [r0]
	ldr r0, [r0]
	msr msp, r0
	mvn lr, #2
	bx lr
	.size z_svc_abandon, . - z_svc_abandon
