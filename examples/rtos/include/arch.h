/* Cortex-M3 (ARMv7-M) primitives the kernel is built on: interrupt masking, the switch
 * request, system control registers and the semihosting exit. */
#ifndef RTOS_ARCH_H
#define RTOS_ARCH_H

#include <stdint.h>

/* Exception priorities (upper bits count; QEMU's M3 keeps at least the top three). Faults
 * and SVC stay above the lock level so they are taken even inside a locked section; SysTick
 * and PendSV are masked by it. PendSV is the lowest so a switch never interrupts an ISR. */
#define ARCH_PRIO_FAULT 0x00u
#define ARCH_IRQ_LOCK_LEVEL 0x20u
#define ARCH_PRIO_SYSTICK 0x80u
#define ARCH_PRIO_PENDSV 0xe0u

#define ARCH_CPU_HZ 25000000u

#define SCB_ICSR (*(volatile uint32_t *)0xe000ed04u)
#define SCB_VTOR (*(volatile uint32_t *)0xe000ed08u)
#define SCB_CCR (*(volatile uint32_t *)0xe000ed14u)
#define SCB_SHPR1 (*(volatile uint32_t *)0xe000ed18u)
#define SCB_SHPR2 (*(volatile uint32_t *)0xe000ed1cu)
#define SCB_SHPR3 (*(volatile uint32_t *)0xe000ed20u)
#define SCB_SHCSR (*(volatile uint32_t *)0xe000ed24u)
#define SCB_CFSR (*(volatile uint32_t *)0xe000ed28u)
#define SCB_HFSR (*(volatile uint32_t *)0xe000ed2cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xe000ed34u)
#define SCB_BFAR (*(volatile uint32_t *)0xe000ed38u)
#define SYST_CSR (*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR (*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR (*(volatile uint32_t *)0xe000e018u)

#define ICSR_PENDSVSET (1u << 28)

/* Masks the kernel's interrupts (SysTick, PendSV); returns the previous mask for unlock. */
static inline unsigned int irq_lock(void)
{
	unsigned int key;
	__asm__ volatile("mrs %0, basepri\n\t"
			 "msr basepri_max, %1\n\t"
			 "isb"
			 : "=&r"(key)
			 : "r"(ARCH_IRQ_LOCK_LEVEL)
			 : "memory");
	return key;
}

static inline void irq_unlock(unsigned int key)
{
	__asm__ volatile("msr basepri, %0\n\t"
			 "isb" ::"r"(key)
			 : "memory");
}

/* Asks for PendSV; the switch happens as soon as the lock level allows it. */
static inline void arch_request_switch(void)
{
	SCB_ICSR = ICSR_PENDSVSET;
	__asm__ volatile("dsb" ::: "memory");
}

static inline void arch_wait_for_interrupt(void)
{
	__asm__ volatile("wfi");
}

/* Whether the caller runs in an unprivileged thread (user mode). One read: CONTROL is
 * nPRIV | SPSEL (3) only there. A privileged thread has nPRIV clear, and in handler mode
 * SPSEL reads as zero whatever the interrupted thread uses (ARMv7-M; no FPCA on the M3). */
static inline int arch_is_user_context(void)
{
	uint32_t control;
	__asm__ volatile("mrs %0, control" : "=r"(control));
	return control == 3u;
}

/* Whether the SVC handler is running: then a nonblocking system call runs (arch/arm/syscall.S). */
static inline int arch_in_svc_handler(void)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	return (ipsr & 0x1ffu) == 11u;
}

/* The ID of the nonblocking system call the SVC handler runs (arch/arm/syscall.S). */
uint32_t z_svc_running_id(void);

/* Leaves the SVC handler from inside a nonblocking system call that stopped its thread;
 * the switch already requested takes over. Interrupts must be unlocked. */
__attribute__((noreturn)) void z_svc_abandon(void);

/* Ends the emulation with `code` as QEMU's exit status (semihosting SYS_EXIT_EXTENDED). */
__attribute__((noreturn)) void arch_system_exit(int code);

#endif
