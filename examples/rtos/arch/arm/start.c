/* Vector table, reset handler and the hand-over to the scheduler. */
#include <stddef.h>
#include <stdint.h>

#include <arch.h>
#include <kernel_internal.h>
#include <mpu.h>

/* Linker script symbols (link.ld and the fragments linker-scripts generates). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __kobject_table_data_load[], __kobject_table_data_start[], __kobject_table_data_end[];
extern uint32_t __app_smem_load[], __app_smem_start[], __app_smem_end[];

/* switch.S saves and restores threads at these offsets. */
_Static_assert(offsetof(struct k_thread, saved_psp) == 0, "switch.S: THREAD_SAVED_PSP");
_Static_assert(offsetof(struct k_thread, saved_r4_r11) == 4, "switch.S: r4-r11 after PSP");
_Static_assert(offsetof(struct k_thread, mode) == 36, "switch.S: THREAD_MODE");
_Static_assert(offsetof(struct k_thread, priv_stack_top) == 40, "syscall.S: THREAD_PRIV_STACK_TOP");
_Static_assert(offsetof(struct k_thread, user_sp) == 44, "syscall.S: THREAD_USER_SP");
_Static_assert(offsetof(struct k_thread, syscall_id) == 48, "syscall.S: THREAD_SYSCALL_ID");
_Static_assert(offsetof(struct k_thread, priv_guard_region) == 52, "syscall.S: THREAD_PRIV_GUARD");
_Static_assert(offsetof(struct k_thread, guard_region) == 76, "syscall.S: THREAD_GUARD");
_Static_assert(offsetof(struct z_kernel, current) == 0, "switch.S: KERNEL_CURRENT");
_Static_assert(ARCH_IRQ_LOCK_LEVEL == 0x20, "switch.S: IRQ_LOCK_LEVEL");

void z_pendsv(void);
void z_svc(void);
void z_fault_entry(void);
void z_reset(void);

#define INTERRUPT_STACK_SIZE 2048

/* The main stack: reset code first, then every exception handler. */
static uint64_t interrupt_stack[INTERRUPT_STACK_SIZE / 8]
	__attribute__((section(".noinit.interrupt_stack")));

static void unexpected_exception(void)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	/* No console output here: the exception may come from the console itself. */
	arch_system_exit(0x80 | (int)(ipsr & 0x7f));
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
	(void (*)(void))(interrupt_stack + INTERRUPT_STACK_SIZE / 8),
	z_reset,
	unexpected_exception, /* NMI */
	z_fault_entry,        /* HardFault */
	z_fault_entry,        /* MemManage */
	z_fault_entry,        /* BusFault */
	z_fault_entry,        /* UsageFault */
	0,
	0,
	0,
	0,
	z_svc,                /* SVCall: system calls (syscall.S) */
	unexpected_exception, /* DebugMonitor */
	0,
	z_pendsv,
	z_tick, /* SysTick */
};

#define SHCSR_FAULTS_ENABLE ((1u << 16) | (1u << 17) | (1u << 18)) /* MemManage, Bus, Usage */
#define CCR_DIV_0_TRP (1u << 4)
#define CCR_STKALIGN (1u << 9)

static void copy_words(uint32_t *dst, const uint32_t *src, const uint32_t *end)
{
	while (dst < end)
		*dst++ = *src++;
}

void z_reset(void)
{
	copy_words(__data_start, __data_load, __data_end);
	copy_words(__kobject_table_data_start, __kobject_table_data_load, __kobject_table_data_end);
	copy_words(__app_smem_start, __app_smem_load, __app_smem_end);
	for (uint32_t *p = __bss_start; p < __bss_end; p++)
		*p = 0;

	SCB_VTOR = (uint32_t)(uintptr_t)vectors;
	SCB_CCR |= CCR_DIV_0_TRP | CCR_STKALIGN;
	SCB_SHPR1 = ARCH_PRIO_FAULT * 0x010101u;
	SCB_SHPR2 = ARCH_PRIO_FAULT << 24; /* SVCall */
	SCB_SHPR3 = (ARCH_PRIO_SYSTICK << 24) | (ARCH_PRIO_PENDSV << 16);
	SCB_SHCSR |= SHCSR_FAULTS_ENABLE;
	arch_mpu_init();
	z_kernel_start();
}

void arch_kernel_enter(void)
{
	SYST_RVR = ARCH_CPU_HZ / K_TICKS_PER_SEC - 1;
	SYST_CVR = 0;
	SYST_CSR = 0x7; /* processor clock, interrupt, enable */
	z_swap(0);
	__builtin_unreachable();
}

void arch_system_exit(int code)
{
	const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
	register uint32_t op __asm__("r0") = 0x20u;           /* SYS_EXIT_EXTENDED */
	register const uint32_t *arg __asm__("r1") = block;
	__asm__ volatile("bkpt 0xab" ::"r"(op), "r"(arg) : "memory");
	for (;;)
		;
}
