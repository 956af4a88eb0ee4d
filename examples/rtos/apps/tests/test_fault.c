/* Faults in a thread are reported, recorded in the thread and contained: the thread is
 * stopped, its joiners wake and every other thread keeps running. */
#include "runner.h"

#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_DIVBYZERO (1u << 25)

/* Nothing is mapped here on mps2-an385: a load raises a precise BusFault. */
#define UNMAPPED_ADDRESS 0x70000000u

static void execute_undefined(void *arg)
{
	(void)arg;
	log_event('u');
	__asm__ volatile("udf #0");
	log_event('!');
}

static void read_unmapped(void *arg)
{
	(void)arg;
	log_event('b');
	(void)*(volatile uint32_t *)UNMAPPED_ADDRESS;
	log_event('!');
}

static void divide_by_zero(void *arg)
{
	volatile int divisor = (int)(uintptr_t)arg;
	log_event('d');
	volatile int quotient = 100 / divisor;
	(void)quotient;
	log_event('!');
}

static volatile uint32_t heartbeat;
static volatile bool heartbeat_stop;

static void beat(void *arg)
{
	(void)arg;
	while (!heartbeat_stop) {
		heartbeat++;
		k_sleep(1);
	}
}

/* Runs `entry` in a helper next to a heartbeat thread and checks the fault was contained. */
static void check_contained(k_thread_entry_t entry, enum k_fault_kind kind, uint32_t cfsr_bits,
			    const char *events)
{
	heartbeat_stop = false;
	START_HELPER(0, beat, NULL, 12);
	k_sleep(2);
	uint32_t beats_before = heartbeat;
	CHECK(beats_before > 0, "heartbeat thread never ran");

	START_HELPER(1, entry, NULL, 5);
	struct k_thread *victim = &helpers[1];
	CHECK_EQ(k_thread_join(victim, 10), 0);
	CHECK_STR(log_text(), events);
	CHECK_EQ(victim->state, K_THREAD_DEAD);
	CHECK_EQ(victim->fault, kind);
	CHECK((victim->fault_cfsr & cfsr_bits) == cfsr_bits, "CFSR 0x%08x lacks 0x%08x",
	      (unsigned int)victim->fault_cfsr, (unsigned int)cfsr_bits);
	uintptr_t entry_address = (uintptr_t)entry & ~(uintptr_t)1;
	CHECK(victim->fault_pc >= entry_address && victim->fault_pc < entry_address + 64,
	      "fault PC 0x%08x is not in the faulting function at 0x%08x",
	      (unsigned int)victim->fault_pc, (unsigned int)entry_address);

	k_sleep(5);
	CHECK(heartbeat > beats_before + 3, "heartbeat stalled after the fault (%u -> %u)",
	      (unsigned int)beats_before, (unsigned int)heartbeat);
	heartbeat_stop = true;
}

static void undefined_instruction(void)
{
	check_contained(execute_undefined, K_FAULT_USAGE, CFSR_UNDEFINSTR, "u");
}

static void bus_error(void)
{
	check_contained(read_unmapped, K_FAULT_BUS, CFSR_PRECISERR | CFSR_BFARVALID, "b");
	CHECK_EQ(helpers[1].fault_addr, UNMAPPED_ADDRESS);
}

static void division_by_zero(void)
{
	check_contained(divide_by_zero, K_FAULT_USAGE, CFSR_DIVBYZERO, "d");
}

static K_MUTEX_DEFINE(shared_lock);

static void fault_while_locked(void *arg)
{
	(void)arg;
	k_mutex_lock(&shared_lock, K_FOREVER);
	log_event('l');
	__asm__ volatile("udf #1");
}

static void faulting_owner_releases_mutex(void)
{
	START_HELPER(0, fault_while_locked, NULL, 5);
	CHECK_STR(log_text(), "l");
	CHECK_EQ(helpers[0].fault, K_FAULT_USAGE);
	CHECK_EQ(k_mutex_lock(&shared_lock, K_NO_WAIT), 0);
	CHECK_EQ(k_mutex_unlock(&shared_lock), 0);
}

/* Two stacks: the thread runs on the upper one and overflows into the lower one, which no
 * thread uses, so the overflow harms nothing else. */
#define OVERFLOW_STACK_SIZE 1024
static K_THREAD_STACK_ARRAY_DEFINE(overflow_stacks, 2, OVERFLOW_STACK_SIZE);
static struct k_thread overflow_thread;

/* Fills more than its stack: `arg` is the stack's size. */
static void overflow_stack(void *arg)
{
	volatile char big[(size_t)arg + 128];
	for (size_t i = sizeof(big); i-- > 0;) /* downwards, as a stack grows */
		big[i] = (char)i;
	log_event('o');
	k_sleep(1); /* switched out: the sentinel check stops the thread */
	log_event('!');
}

/* An MPU-aligned stack has a guard region: the first write below the stack faults. */
static void stack_overflow_hits_guard(void)
{
	k_thread_name_set(&overflow_thread, "overflow");
	CHECK_EQ(k_thread_create(&overflow_thread, overflow_stacks[1],
				 K_THREAD_STACK_SIZEOF(overflow_stacks[1]), overflow_stack,
				 (void *)K_THREAD_STACK_SIZEOF(overflow_stacks[1]), 5, 0),
		 0);
	CHECK_EQ(k_thread_join(&overflow_thread, 10), 0);
	CHECK_STR(log_text(), "");
	CHECK_EQ(overflow_thread.fault, K_FAULT_MEMMANAGE);
	uintptr_t base = (uintptr_t)overflow_stacks[1];
	CHECK(overflow_thread.fault_addr >= base && overflow_thread.fault_addr < base + K_STACK_GUARD,
	      "fault address 0x%08lx is not in the guard at 0x%08lx", overflow_thread.fault_addr,
	      (unsigned long)base);
}

/* A stack that forms no MPU region has no guard; its sentinel watches it. The thread runs
 * on the upper part of a kernel stack, 1016 bytes (no region size), and overflows into the
 * lower part. */
static K_KERNEL_STACK_DEFINE(sentinel_stack, 2 * OVERFLOW_STACK_SIZE);
#define SENTINEL_STACK_SIZE (OVERFLOW_STACK_SIZE - 8)

static void stack_overflow_hits_sentinel(void)
{
	k_thread_name_set(&overflow_thread, "overflow");
	k_thread_stack_t *upper = sentinel_stack + 2 * OVERFLOW_STACK_SIZE - SENTINEL_STACK_SIZE;
	CHECK_EQ(k_thread_create(&overflow_thread, upper, SENTINEL_STACK_SIZE, overflow_stack,
				 (void *)SENTINEL_STACK_SIZE, 5, 0),
		 0);
	CHECK_EQ(k_thread_join(&overflow_thread, 10), 0);
	CHECK_STR(log_text(), "o");
	CHECK_EQ(overflow_thread.fault, K_FAULT_STACK_OVERFLOW);
	CHECK(overflow_thread.fault_addr == (uint32_t)(uintptr_t)upper,
	      "fault address 0x%08lx is not the stack bottom", overflow_thread.fault_addr);
}

TEST_SUITE(fault_tests, "fault",
	   {"undefined_instruction", undefined_instruction},
	   {"bus_error", bus_error},
	   {"division_by_zero", division_by_zero},
	   {"faulting_owner_releases_mutex", faulting_owner_releases_mutex},
	   {"stack_overflow_hits_guard", stack_overflow_hits_guard},
	   {"stack_overflow_hits_sentinel", stack_overflow_hits_sentinel});
