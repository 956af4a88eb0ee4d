/* Faults the kernel must not survive. Each scenario makes one system call of a user thread go
 * wrong inside the kernel; the kernel must stop the system (exit status 255) with a report
 * naming the call, never return to the thread. `cargo xtask test` boots this image once per
 * scenario, named on QEMU's semihosting command line. */
#include <kernel.h>
#include <printk.h>
#include <string.h>

#include "fatal_syscalls.h"

#define UNMAPPED_ADDRESS 0x70000000u
#define SEMIHOSTING_GET_CMDLINE 0x15u

uint32_t z_impl_fatal_read_now(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

uint32_t z_vrfy_fatal_read_now(uintptr_t addr)
{
	return z_impl_fatal_read_now(addr); /* the bug: no z_buffer_verify */
}

uint32_t z_impl_fatal_read(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

uint32_t z_vrfy_fatal_read(uintptr_t addr)
{
	return z_impl_fatal_read(addr);
}

__attribute__((noinline)) uint32_t z_impl_fatal_recurse(uint32_t depth)
{
	volatile uint8_t frame[64];
	for (unsigned int i = 0; i < sizeof(frame); i++) /* a frame in use: every byte written */
		frame[i] = (uint8_t)depth;
	if (depth == 0)
		return frame[0];
	return z_impl_fatal_recurse(depth - 1) + frame[0]; /* not a tail call: frames pile up */
}

uint32_t z_vrfy_fatal_recurse(uint32_t depth)
{
	return z_impl_fatal_recurse(depth);
}

static void read_in_handler(void *arg)
{
	(void)arg;
	printk("fatal: returned %lu\n", fatal_read_now(UNMAPPED_ADDRESS));
}

static void read_in_thread_mode(void *arg)
{
	(void)arg;
	printk("fatal: returned %lu\n", fatal_read(UNMAPPED_ADDRESS));
}

static void overflow_privileged_stack(void *arg)
{
	(void)arg;
	printk("fatal: returned %lu\n", fatal_recurse(1000));
}

static const struct {
	const char *name;
	k_thread_entry_t entry;
} scenarios[] = {
	{"fault_in_nonblocking_call", read_in_handler},
	{"fault_in_blocking_call", read_in_thread_mode},
	{"privileged_stack_overflow", overflow_privileged_stack},
};

/* The last word of the semihosting command line. */
static const char *scenario_name(char *buf, size_t size)
{
	struct {
		char *buf;
		size_t size;
	} block = {buf, size};
	register uint32_t op __asm__("r0") = SEMIHOSTING_GET_CMDLINE;
	register void *arg __asm__("r1") = &block;
	__asm__ volatile("bkpt 0xab" : "+r"(op) : "r"(arg) : "memory");
	if (op != 0)
		return "";
	const char *word = buf;
	for (size_t i = 0; i < block.size && buf[i] != '\0'; i++)
		if (buf[i] == ' ')
			word = &buf[i + 1];
	return word;
}

static struct k_thread victim;
K_THREAD_STACK_DEFINE(victim_stack, 1024);

int main(void)
{
	static char cmdline[128];
	const char *name = scenario_name(cmdline, sizeof(cmdline));
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(name, scenarios[i].name) != 0)
			continue;
		printk("fatal: scenario %s\n", name);
		k_thread_name_set(&victim, "victim");
		k_thread_create(&victim, victim_stack, K_THREAD_STACK_SIZEOF(victim_stack),
				scenarios[i].entry, NULL, 5, K_USER);
		k_thread_join(&victim, K_FOREVER);
		printk("fatal: the system survived a kernel fault\n");
		return 1;
	}
	printk("fatal: unknown scenario '%s'\n", name);
	return 2;
}
