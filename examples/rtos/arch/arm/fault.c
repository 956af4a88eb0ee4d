/* Fault handling: a readable report, then only the faulting thread is stopped. A fault in an
 * exception handler or the idle thread leaves no sane state to continue from and ends the
 * run instead. Stack overflows found by the sentinel check are reported the same way. */
#include <stdint.h>

#include <arch.h>
#include <kernel_internal.h>
#include <printk.h>

/* QEMU's exit status when the kernel itself faults. */
#define EXIT_KERNEL_FAULT 255

#define CFSR_MMARVALID (1u << 7)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_STKERR (1u << 12)
#define HFSR_FORCED (1u << 30)
#define EXC_RETURN_THREAD_PSP 0xdu

enum frame_word { FRAME_R0, FRAME_R1, FRAME_R2, FRAME_R3, FRAME_R12, FRAME_LR, FRAME_PC, FRAME_XPSR };

#define XPSR_EXCEPTION 0x1ffu /* the exception number the frame's code ran in */
#define EXCEPTION_SVC 11u

extern struct k_thread z_idle_thread;

static const struct {
	uint32_t bit;
	const char *text;
} cfsr_reasons[] = {
	{1u << 0, "instruction access violation"},
	{1u << 1, "data access violation"},
	{1u << 3, "MemManage fault on exception return"},
	{1u << 4, "MemManage fault on exception entry"},
	{1u << 8, "instruction bus error"},
	{1u << 9, "precise data bus error"},
	{1u << 10, "imprecise data bus error"},
	{1u << 11, "bus fault on exception return"},
	{1u << 12, "bus fault on exception entry"},
	{1u << 16, "undefined instruction"},
	{1u << 17, "invalid state (Thumb bit clear)"},
	{1u << 18, "invalid exception return"},
	{1u << 19, "no coprocessor"},
	{1u << 24, "unaligned access"},
	{1u << 25, "divide by zero"},
};

static const char *const fault_names[] = {
	[K_FAULT_HARD] = "HardFault",
	[K_FAULT_MEMMANAGE] = "MemManage fault",
	[K_FAULT_BUS] = "BusFault",
	[K_FAULT_USAGE] = "UsageFault",
	[K_FAULT_STACK_OVERFLOW] = "stack overflow",
};

static enum k_fault_kind fault_kind(void)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	switch (ipsr & 0x1ffu) {
	case 4:
		return K_FAULT_MEMMANAGE;
	case 5:
		return K_FAULT_BUS;
	case 6:
		return K_FAULT_USAGE;
	default:
		return K_FAULT_HARD;
	}
}

static void report(enum k_fault_kind kind, struct k_thread *thread, bool in_thread,
		   bool in_syscall, uint32_t syscall_id, const uint32_t *frame, uint32_t cfsr,
		   uint32_t hfsr, uint32_t addr)
{
	uint32_t pc = frame != NULL ? frame[FRAME_PC] : 0;
	if (thread == NULL)
		printk("*** %s during boot\n", fault_names[kind]);
	else
		printk("*** %s in %s '%s'\n", fault_names[kind],
		       in_thread ? "thread" : "kernel context of", k_thread_name_get(thread));
	if (in_syscall)
		printk("    in system call %s\n", z_syscall_name(syscall_id));
	printk("    CFSR 0x%08lx  PC 0x%08lx  LR 0x%08lx\n", cfsr, pc,
	       frame != NULL ? frame[FRAME_LR] : 0);
	for (unsigned int i = 0; i < sizeof(cfsr_reasons) / sizeof(cfsr_reasons[0]); i++)
		if (cfsr & cfsr_reasons[i].bit)
			printk("    reason: %s\n", cfsr_reasons[i].text);
	if (cfsr & CFSR_MMARVALID)
		printk("    MMFAR 0x%08lx (faulting address)\n", addr);
	if (cfsr & CFSR_BFARVALID)
		printk("    BFAR 0x%08lx (faulting address)\n", addr);
	if (kind == K_FAULT_HARD)
		printk("    HFSR 0x%08lx%s\n", hfsr, hfsr & HFSR_FORCED ? " (escalated)" : "");
}

void z_fault(const uint32_t *frame, uint32_t exc_return);

void z_fault(const uint32_t *frame, uint32_t exc_return)
{
	enum k_fault_kind kind = fault_kind();
	uint32_t cfsr = SCB_CFSR;
	uint32_t hfsr = SCB_HFSR;
	bool frame_valid = !(cfsr & (CFSR_MSTKERR | CFSR_STKERR));
	uint32_t pc = frame_valid ? frame[FRAME_PC] : 0;
	uint32_t addr = 0;
	struct k_thread *thread = z_kernel.current;
	/* A fault in a system call is the kernel's own: its checks let something through. The
	 * call ran in thread mode on the privileged stack, or in the SVC handler (nonblocking). */
	bool in_svc = frame_valid && (frame[FRAME_XPSR] & XPSR_EXCEPTION) == EXCEPTION_SVC;
	bool in_syscall = thread != NULL && ((thread->priv_stack_top != NULL &&
					       thread->mode == K_MODE_KERNEL) || in_svc);
	bool in_thread = (exc_return & 0xfu) == EXC_RETURN_THREAD_PSP && thread != NULL &&
			 thread != &z_idle_thread && !in_syscall;
	bool quiet = in_thread && z_fault_reports_quiet;

	if (cfsr & CFSR_MMARVALID)
		addr = SCB_MMFAR;
	else if (cfsr & CFSR_BFARVALID)
		addr = SCB_BFAR;
	SCB_CFSR = cfsr; /* write-one-to-clear, so the next report starts clean */
	SCB_HFSR = hfsr;
	if (!quiet)
		report(kind, thread, in_thread, in_syscall,
		       in_svc ? z_svc_running_id() : thread != NULL ? thread->syscall_id : 0,
		       frame_valid ? frame : NULL, cfsr, hfsr, addr);

	if (in_syscall && !in_svc && (cfsr & CFSR_MMARVALID) &&
	    addr - ((uintptr_t)thread->priv_stack_top - K_PRIV_STACK_SIZE) < K_STACK_GUARD)
		printk("    privileged stack overflow: the guard under it was hit\n");
	if (!in_thread) {
		printk("*** stopping the system\n");
		arch_system_exit(EXIT_KERNEL_FAULT);
	}

	irq_lock();
	z_fault_count++;
	thread->fault = (uint8_t)kind;
	thread->fault_cfsr = cfsr;
	thread->fault_pc = pc;
	thread->fault_addr = addr;
	z_thread_stop(thread);
	arch_request_switch(); /* PendSV tail-chains: the thread never resumes */
	if (!quiet)
		printk("*** thread '%s' stopped, the others go on\n", k_thread_name_get(thread));
	irq_unlock(0); /* the thread may have faulted inside a locked section */
}


void z_fault_priv_stack_overflow(struct k_thread *thread)
{
	printk("*** privileged stack overflow in a system call of thread '%s' (%s)\n"
	       "*** stopping the system\n",
	       k_thread_name_get(thread), z_syscall_name(thread->syscall_id));
	arch_system_exit(EXIT_KERNEL_FAULT);
}

void z_fault_stack_overflow(struct k_thread *thread)
{
	printk("*** %s in thread '%s': the sentinel at %p was overwritten\n",
	       fault_names[K_FAULT_STACK_OVERFLOW], k_thread_name_get(thread),
	       (void *)thread->stack);
	if (thread == &z_idle_thread) {
		printk("*** stopping the system\n");
		arch_system_exit(EXIT_KERNEL_FAULT);
	}
	thread->fault = K_FAULT_STACK_OVERFLOW;
	thread->fault_addr = (uint32_t)(uintptr_t)thread->stack;
	z_thread_stop(thread);
	printk("*** thread '%s' stopped, the others go on\n", k_thread_name_get(thread));
}
