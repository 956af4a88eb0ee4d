/* Context switch (PendSV) and the common entry of the fault handlers. */
	.syntax unified
	.thumb
	.text

/* Offsets in struct k_thread (include/kernel.h, checked in start.c) and struct z_kernel. */
	.equ THREAD_SAVED_PSP, 0  /* followed by r4-r11 */
	.equ THREAD_MODE, 36
	.equ KERNEL_CURRENT, 0
	.equ IRQ_LOCK_LEVEL, 0x20
	.equ CONTROL_SPSEL, 2
	.equ EXC_RETURN_THREAD_PSP, 0xfffffffd
	.equ SCB_VTOR, 0xe000ed08

/* Saves the outgoing thread's PSP and r4-r11 in its struct k_thread, lets the scheduler pick
 * the next one and returns into it on its own stack, in its own privilege mode. The registers
 * go into the thread struct, not onto its stack, so a thread stopped by a fault with a broken
 * stack pointer can still be switched away from. */
	.global z_pendsv
	.type z_pendsv, %function
	.thumb_func
z_pendsv:
	movs r0, #IRQ_LOCK_LEVEL
	msr basepri, r0
	ldr r2, =z_kernel
	ldr r1, [r2, #KERNEL_CURRENT]
	cbz r1, 2f                     /* the first switch leaves the boot code: nothing to save */
	mrs r0, psp
	stmia r1, {r0, r4-r11}
1:	bl z_switch_next               /* r0 = next thread, now z_kernel.current */
	ldmia r0, {r1, r4-r11}
	msr psp, r1
	ldr r1, [r0, #THREAD_MODE]     /* K_MODE_USER (1) becomes CONTROL.nPRIV */
	orrs r1, r1, #CONTROL_SPSEL
	msr control, r1
	isb
	movs r0, #0
	msr basepri, r0
	ldr lr, =EXC_RETURN_THREAD_PSP
	bx lr
2:	/* The boot code never runs again: empty the main stack, so that every exception taken
	 * from a thread starts at its top (syscall.S keeps the running system call's ID there). */
	ldr r0, =SCB_VTOR
	ldr r0, [r0]
	ldr r0, [r0]                   /* vector 0: the top of the main stack */
	msr msp, r0
	b 1b
	.size z_pendsv, . - z_pendsv

/* Calls z_fault(frame, exc_return) with the stacked frame of the faulting context. */
	.global z_fault_entry
	.type z_fault_entry, %function
	.thumb_func
z_fault_entry:
	tst lr, #4
	ite eq
	mrseq r0, msp
	mrsne r0, psp
	mov r1, lr
	b z_fault
	.size z_fault_entry, . - z_fault_entry
