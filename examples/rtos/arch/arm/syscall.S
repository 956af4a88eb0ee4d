/* System-call entry and exit (ARMv7-M).
 *
 * A user thread traps with `svc #3`: arguments in r0-r5, the ID in r6 (syscall-gen's armv7m
 * ABI). The SVC handler never runs the call itself, because calls may block and a handler
 * cannot be switched away from. It builds an exception frame on the thread's privileged stack
 * and "returns" into z_syscall_thread_entry, privileged, in thread mode, on that stack; the
 * user's stack is not used again until the call is over. That entry calls the generated
 * dispatcher, which bounds-checks the ID, and asks to return with `svc #4`, on which the
 * handler copies the result into the user's frame, clears the caller-saved registers that do
 * not carry the result, and drops privilege again.
 *
 * r0-r6 still hold the caller's values when the handler starts: exception entry copies them
 * to the frame but does not change them, and no other handler can run between the svc and
 * this one (SVC has the highest configurable priority). So the only word read from the user
 * frame is the stacked return address, written by the hardware, to find the SVC number. */
	.syntax unified
	.thumb
	.text

	.equ SVC_SYSCALL, 3
	.equ SVC_SYSCALL_RETURN, 4
	/* struct k_thread and struct z_kernel offsets, checked in start.c. */
	.equ THREAD_MODE, 36
	.equ THREAD_PRIV_STACK_TOP, 40
	.equ THREAD_USER_SP, 44
	.equ THREAD_SYSCALL_ID, 48
	.equ KERNEL_CURRENT, 0
	.equ FRAME_PC, 24
	.equ FRAME_SIZE, 32
	.equ XPSR_THUMB, 0x01000000
	.equ EXC_RETURN_THREAD_PSP, 0xfffffffd

	.global z_svc
	.type z_svc, %function
	.thumb_func
z_svc:
	tst lr, #4
	beq svc_refused                /* from handler mode or the main stack: never valid */
	mrs r12, control
	tst r12, #1
	beq svc_privileged
	/* From a user thread. */
	mrs r12, psp
	ldr lr, [r12, #FRAME_PC]
	ldrb lr, [lr, #-2]             /* the svc instruction's immediate */
	cmp lr, #SVC_SYSCALL
	bne svc_refused_in_thread
	ldr lr, =z_kernel
	ldr lr, [lr, #KERNEL_CURRENT]
	str r12, [lr, #THREAD_USER_SP]
	str r6, [lr, #THREAD_SYSCALL_ID]
	ldr r12, [lr, #THREAD_PRIV_STACK_TOP]
	sub r12, r12, #FRAME_SIZE
	stmia r12, {r0-r3}             /* arguments 0-3; 4, 5 and the ID stay in r4-r6 */
	msr psp, r12
	ldr r0, =z_syscall_thread_entry
	mov r1, #XPSR_THUMB
	strd r0, r1, [r12, #FRAME_PC]
	mov r0, #0                     /* K_MODE_KERNEL until the call returns */
	str r0, [lr, #THREAD_MODE]
	mrs r0, control
	bic r0, r0, #1
	msr control, r0
	isb                            /* r0-r3 come back from the new frame */
	ldr lr, =EXC_RETURN_THREAD_PSP
	bx lr

svc_privileged:
	/* From a privileged thread: only the system-call return is valid, and only from the one
	 * place that issues it. */
	mrs r12, psp
	ldr r12, [r12, #FRAME_PC]
	adr.w lr, syscall_return_point
	cmp r12, lr
	bne svc_refused_in_thread
	ldr lr, =z_kernel
	ldr lr, [lr, #KERNEL_CURRENT]
	ldr r12, [lr, #THREAD_USER_SP]
	mov r2, #0
	mov r3, #0
	stmia r12, {r0-r3}             /* result in r0:r1, r2 and r3 cleared */
	str r2, [r12, #16]             /* r12 cleared */
	msr psp, r12
	mov r0, #1                     /* K_MODE_USER */
	str r0, [lr, #THREAD_MODE]
	mrs r0, control
	orr r0, r0, #1
	msr control, r0
	isb
	ldr lr, =EXC_RETURN_THREAD_PSP
	bx lr

svc_refused_in_thread:
	ldr lr, =EXC_RETURN_THREAD_PSP /* the check above overwrote it */
svc_refused:
	mov r0, lr                     /* EXC_RETURN: where the SVC came from, and where */
	b z_svc_refused                /* z_svc_refused returns to */
	.size z_svc, . - z_svc

/* The privileged half of a system call, in thread mode on the caller's privileged stack:
 * z_syscall_dispatch(a0..a5, id, &ret_hi) with r0-r3 from the frame and r4-r6 as trapped. */
	.global z_syscall_thread_entry
	.type z_syscall_thread_entry, %function
	.thumb_func
z_syscall_thread_entry:
	sub sp, sp, #32                /* 4 stack arguments, the high result word, padding */
	add r12, sp, #16
	strd r4, r5, [sp]
	strd r6, r12, [sp, #8]
	bl z_syscall_dispatch
	ldr r1, [sp, #16]
	add sp, sp, #32
	svc #SVC_SYSCALL_RETURN
syscall_return_point:
	b .                            /* never reached: the return SVC does not come back here */
	.size z_syscall_thread_entry, . - z_syscall_thread_entry
