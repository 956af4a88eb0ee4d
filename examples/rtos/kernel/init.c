/* Kernel start: devices, the idle and main threads, the statically defined threads, then the
 * first context switch. When main returns, its value becomes QEMU's exit status. */
#include <arch.h>
#include <device.h>
#include <kernel_internal.h>

int main(void);

extern const struct z_static_thread __static_threads_start[];
extern const struct z_static_thread __static_threads_end[];

#define IDLE_STACK_SIZE 256
#define MAIN_STACK_SIZE 4096

K_KERNEL_STACK_DEFINE(z_idle_stack, IDLE_STACK_SIZE);
K_KERNEL_STACK_DEFINE(z_main_stack, MAIN_STACK_SIZE);
struct k_thread z_idle_thread;
struct k_thread z_main_thread;

static void idle(void *arg)
{
	(void)arg;
	for (;;)
		arch_wait_for_interrupt();
}

static void run_main(void *arg)
{
	(void)arg;
	arch_system_exit(main());
}

static void start_thread(struct k_thread *thread, k_thread_stack_t *stack, size_t stack_size,
			 k_thread_entry_t entry, void *arg, int prio, const char *name,
			 uint32_t options)
{
	z_thread_setup(thread, stack, stack_size, entry, arg, prio, name, options);
	z_ready(thread);
}

void z_kernel_start(void)
{
	irq_lock(); /* released by the first switch */
	z_object_table_init();
	z_object_static_init();
	z_devices_init();
	start_thread(&z_idle_thread, z_idle_stack, sizeof(z_idle_stack), idle, NULL, K_LOWEST_PRIO,
		     "idle", 0);
	start_thread(&z_main_thread, z_main_stack, sizeof(z_main_stack), run_main, NULL,
		     K_MAIN_PRIO, "main", 0);
	for (const struct z_static_thread *def = __static_threads_start;
	     def < __static_threads_end; def++)
		start_thread(def->thread, def->stack, def->stack_size, def->entry, def->arg,
			     def->prio, def->name, def->options);
	arch_kernel_enter();
}
