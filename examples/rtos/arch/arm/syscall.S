/* System-call entry and exit (ARMv7-M).
 *
 * A user thread traps with `svc #3`: arguments in r0-r5, the ID in r6 (syscall-gen's armv7m
 * ABI). The handler does not run the call itself, because calls may block and a handler
 * cannot be switched away from. It moves the thread onto its privileged stack first, then
 * builds there an exception frame that "returns", privileged and in thread mode, straight
 * into the call's marshalling stub from the generated table, with the stub's stack
 * arguments (a4, a5, &ret_hi) above the frame and syscall_return as its return address.
 * syscall_return traps with `svc #4`, on which the handler copies the result into the user's
 * frame, clears the caller-saved registers that do not carry it, and drops privilege again.
 *
 * r0-r6 still hold the caller's values when the handler starts: exception entry copies them
 * to the frame but does not change them, and no other handler can run between the svc and
 * this one (SVC has the highest configurable priority). So the only word read from the user
 * frame is the stacked return address, written by the hardware, to find the SVC number.
 *
 * Privileged threads never trap into the kernel (their wrappers call the implementation), so
 * an SVC from a privileged thread can only be a return request. */
	.syntax unified
	.thumb
	.text

#include <syscall_list.h>

	.equ SVC_SYSCALL, 3
	/* struct k_thread and struct z_kernel offsets, checked in start.c. */
	.equ THREAD_MODE, 36
	.equ THREAD_PRIV_STACK_TOP, 40
	.equ THREAD_USER_SP, 44           /* followed by THREAD_SYSCALL_ID */
	.equ KERNEL_CURRENT, 0
	.equ FRAME_PC, 24
	/* On the privileged stack, from its top: ret_hi, &ret_hi, a5, a4, then the frame. */
	.equ CALL_AREA, 48
	.equ XPSR_THUMB, 0x01000000
	.equ CONTROL_SPSEL, 2             /* thread mode uses the process stack */
	.equ CONTROL_NPRIV, 1

	.global z_svc
	.type z_svc, %function
	.thumb_func
z_svc:
	tst lr, #4
	beq svc_refused                   /* from handler mode or the main stack: never valid */
	mrs r12, control
	lsls r12, r12, #31                /* nPRIV into N */
	bpl syscall_exit

	/* A user thread's call. Onto the privileged stack before anything else. */
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
	ldr r3, [lr, #THREAD_USER_SP]
	ldr r3, [r3, #FRAME_PC]           /* the user's return address */
	ldrb r3, [r3, #-2]                /* the svc instruction's immediate */
	cmp r3, #SVC_SYSCALL
	bne svc_refused_user
	cmp r6, #K_SYSCALL_LIMIT          /* unsigned: "negative" IDs too */
	it hs
	movhs r6, #K_SYSCALL_BAD
	ldr r0, =k_syscall_table
	ldr r1, [r0, r6, lsl #2]
	bic r1, r1, #1                    /* a frame holds the PC without the Thumb bit */
	ldr r0, =syscall_return
	mov r2, #XPSR_THUMB
	strd r0, r1, [r12, #20]           /* lr, pc */
	strd r2, r4, [r12, #28]           /* xpsr, a4 */
	movs r0, #0                       /* K_MODE_KERNEL until the call returns */
	str r0, [lr, #THREAD_MODE]
	movs r0, #CONTROL_SPSEL
	msr control, r0
	mvn lr, #2                        /* EXC_RETURN 0xfffffffd: thread mode, process stack */
	bx lr

	/* The return request from syscall_return: r0:r1 is the result. */
syscall_exit:
	ldr lr, =z_kernel
	ldr lr, [lr, #KERNEL_CURRENT]
	ldr r12, [lr, #THREAD_USER_SP]
	movs r2, #0
	movs r3, #0
	stmia r12, {r0-r3}                /* result in r0:r1, r2 and r3 cleared */
	str r2, [r12, #16]                /* r12 cleared */
	msr psp, r12
	movs r0, #1                       /* K_MODE_USER */
	str r0, [lr, #THREAD_MODE]
	movs r0, #(CONTROL_SPSEL | CONTROL_NPRIV)
	msr control, r0
	mvn lr, #2
	bx lr

svc_refused_user:
	ldr r0, [lr, #THREAD_USER_SP]     /* the user frame, for the report */
	mvn lr, #2
	b z_svc_refused_user              /* returns through lr: the exception return */

svc_refused:
	mov r0, lr
	b z_svc_refused

/* Where a marshalling stub returns to, privileged, on the privileged stack. */
	.type syscall_return, %function
	.thumb_func
syscall_return:
	ldr r1, [sp, #12]                 /* ret_hi */
	svc #4
	.size syscall_return, . - syscall_return
	.size z_svc, . - z_svc
