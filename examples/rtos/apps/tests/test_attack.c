/* The attack suite: a hostile user thread tries one thing it must not do. Every case ends
 * with the hostile thread stopped and its fault or refusal recorded, the code after the
 * attempt never reached, the kernel alive (this runner goes on) and a watchdog user thread
 * still counting, so the other threads were not harmed. */
#include <app_memory.h>
#include <syscall_abi.h>
#include <syscall_handler.h>

#include "runner.h"
#include "test_syscalls.h"

enum { HOSTILE, WATCHDOG, PARTNER };
#define ATTACK_PRIO 6

/* What user threads may touch: user_part. */
K_APP_BMEM(user_part) static volatile uint32_t watchdog_count;
K_APP_BMEM(user_part) static volatile uint32_t reached;
K_APP_BMEM(user_part) static volatile uint32_t scratch[4];
K_APP_BMEM(user_part) static uint32_t block[2]; /* the 7-word call's words past the registers */
K_APP_BMEM(user_part) static volatile uint32_t words7_result;
K_APP_BMEM(user_part) static volatile uint32_t registers_after[5]; /* r0-r3, r12 */
K_APP_DMEM(user_part) static uint16_t code_in_data[2] = {0x4770, 0x4770}; /* bx lr */

/* What they may not: kernel data, another domain's partition. */
static volatile uint32_t kernel_secret = 0x5ec2e7u;
K_APP_BMEM(other_part) static volatile uint32_t other_domain_data;
K_APPMEM_PARTITION_DEFINE(other_part);
static struct k_mem_domain other_domain;
extern char __app_user_part_end[];

K_SEM_DEFINE(attack_sem, 0, 10);
K_SEM_DEFINE(not_granted_sem, 0, 10);
K_MUTEX_DEFINE(attack_mutex);
static struct k_sem never_initialized;
K_MSGQ_DEFINE(attack_q, 8, 2);
K_SEM_DEFINE(go_sem, 0, 1);

static void watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		watchdog_count++;
		k_sleep(1);
	}
}

static bool watchdog_start(void)
{
	watchdog_count = 0;
	return helper_start_user(WATCHDOG, watchdog, NULL, ATTACK_PRIO, &user_domain) != NULL;
}

/* The watchdog still counts and kernel data is intact; then the watchdog ends. */
static void watchdog_check_and_stop(void)
{
	uint32_t before = watchdog_count;
	k_sleep(5);
	if (watchdog_count <= before)
		test_fail(0, "the watchdog stopped counting (%lu)", before);
	if (kernel_secret != 0x5ec2e7u)
		test_fail(0, "kernel data changed");
	k_thread_abort(&helpers[WATCHDOG]);
}

/* Runs `attack` in a hostile user thread next to the watchdog and checks the outcome. */
static void contain(k_thread_entry_t attack, void *arg, enum k_fault_kind kind,
		    enum k_syscall_refusal reason)
{
	reached = 0;
	if (!watchdog_start() ||
	    helper_start_user(HOSTILE, attack, arg, ATTACK_PRIO, &user_domain) == NULL)
		return;
	struct k_thread *hostile = &helpers[HOSTILE];
	if (k_thread_join(hostile, 100) != 0)
		test_fail(0, "the hostile thread is still running");
	else if (hostile->fault != kind)
		test_fail(0, "fault kind %d, expected %d", hostile->fault, kind);
	else if (kind == K_FAULT_SYSCALL && hostile->fault_reason != reason)
		test_fail(0, "refusal %d, expected %d", hostile->fault_reason, reason);
	else if (reached)
		test_fail(0, "the hostile thread went on after its attempt");
	watchdog_check_and_stop();
}

#define CHECK_FAULT_ADDR(addr)                                                               \
	CHECK(helpers[HOSTILE].fault_addr == (uint32_t)(uintptr_t)(addr),                    \
	      "fault address 0x%08lx, expected 0x%08lx", helpers[HOSTILE].fault_addr,        \
	      (unsigned long)(uintptr_t)(addr))

/* ---- Memory ---- */

static void write_kernel(void *arg)
{
	(void)arg;
	kernel_secret = 0;
	reached = 1;
}

static void writes_kernel_data(void)
{
	contain(write_kernel, NULL, K_FAULT_MEMMANAGE, 0);
	CHECK_FAULT_ADDR(&kernel_secret);
}

static void read_kernel(void *arg)
{
	(void)arg;
	scratch[0] = kernel_secret;
	reached = 1;
}

static void reads_kernel_data(void)
{
	contain(read_kernel, NULL, K_FAULT_MEMMANAGE, 0);
	CHECK_FAULT_ADDR(&kernel_secret);
	CHECK(scratch[0] != 0x5ec2e7u, "the secret leaked");
}

static void write_other_stack(void *arg)
{
	volatile uint32_t *target = arg;
	*target = 0xbad;
	reached = 1;
}

static void writes_another_threads_stack(void)
{
	volatile uint32_t *target = (volatile uint32_t *)(helper_stacks[WATCHDOG] + 1024);
	contain(write_other_stack, (void *)target, K_FAULT_MEMMANAGE, 0);
	CHECK_FAULT_ADDR(target);
}

static void write_other_domain(void *arg)
{
	(void)arg;
	other_domain_data = 1;
	reached = 1;
}

static void writes_another_domains_partition(void)
{
	struct k_mem_partition *parts[] = {&other_part};
	CHECK_EQ(k_mem_domain_init(&other_domain, 1, parts), 0);
	contain(write_other_domain, NULL, K_FAULT_MEMMANAGE, 0);
	CHECK_FAULT_ADDR(&other_domain_data);
	CHECK_EQ(other_domain_data, 0);
}

static void execute_data(void *arg)
{
	(void)arg;
	void (*fn)(void) = (void (*)(void))((uintptr_t)code_in_data | 1u);
	fn();
	reached = 1;
}

#define CFSR_IACCVIOL 1u

static void executes_from_data(void)
{
	contain(execute_data, NULL, K_FAULT_MEMMANAGE, 0);
	CHECK(helpers[HOSTILE].fault_cfsr & CFSR_IACCVIOL, "CFSR 0x%08lx: no instruction access "
	      "violation", helpers[HOSTILE].fault_cfsr);
	CHECK(helpers[HOSTILE].fault_pc == (uint32_t)(uintptr_t)code_in_data,
	      "faulting PC 0x%08lx", helpers[HOSTILE].fault_pc);
}

static void write_register(void *arg)
{
	*(volatile uint32_t *)arg = 0;
	reached = 1;
}

static void writes_mpu_registers(void)
{
	contain(write_register, (void *)0xe000ed94u /* MPU_CTRL */, K_FAULT_BUS, 0);
	CHECK_FAULT_ADDR(0xe000ed94u);
}

static void writes_scb_registers(void)
{
	contain(write_register, (void *)&SCB_VTOR, K_FAULT_BUS, 0);
	CHECK_FAULT_ADDR(&SCB_VTOR);
}

/* CONTROL, PRIMASK and BASEPRI writes are ignored in user mode: the thread stays confined. */
static void raise_privilege(void *arg)
{
	(void)arg;
	uint32_t control = 0;
	__asm__ volatile("msr control, %1\n\t"
			 "isb\n\t"
			 "cpsid i\n\t"
			 "msr basepri, %1\n\t"
			 "mrs %0, control"
			 : "=r"(control)
			 : "r"(0)
			 : "memory");
	if ((control & 1u) == 0)
		reached = 1; /* privileged now: the attack worked */
	kernel_secret = 0;
	reached = 1;
}

static void raises_its_own_privilege(void)
{
	contain(raise_privilege, NULL, K_FAULT_MEMMANAGE, 0);
	CHECK_FAULT_ADDR(&kernel_secret);
}

static void svc_other(void *arg)
{
	(void)arg;
	__asm__ volatile("svc #0" ::: "memory");
	reached = 1;
}

static void svc_return(void *arg)
{
	(void)arg;
	__asm__ volatile("svc #4" ::: "memory"); /* the kernel's own return request */
	reached = 1;
}

static void issues_other_svcs(void)
{
	contain(svc_other, NULL, K_FAULT_SYSCALL, K_REFUSED_BAD_SVC);
	CHECK_EQ(helpers[HOSTILE].fault_syscall, 0);
}

static void forges_the_syscall_return_svc(void)
{
	contain(svc_return, NULL, K_FAULT_SYSCALL, K_REFUSED_BAD_SVC);
	CHECK_EQ(helpers[HOSTILE].fault_syscall, 4);
}

static void overflow_user_stack(void *arg)
{
	volatile char big[(size_t)arg + 128];
	for (size_t i = sizeof(big); i-- > 0;)
		big[i] = (char)i;
	reached = 1;
}

static void user_stack_overflow_is_caught(void)
{
	contain(overflow_user_stack, (void *)sizeof(helper_stacks[HOSTILE]), K_FAULT_MEMMANAGE, 0);
	uintptr_t guard = (uintptr_t)helper_stacks[HOSTILE];
	CHECK(helpers[HOSTILE].fault_addr >= guard && helpers[HOSTILE].fault_addr < guard + K_STACK_GUARD,
	      "fault address 0x%08lx is not in the guard", helpers[HOSTILE].fault_addr);
}

/* ---- System calls ---- */

static void give_sem(void *arg)
{
	k_sem_give(arg);
	reached = 1;
}

static void forged_object_pointer(void)
{
	contain(give_sem, (void *)scratch, K_FAULT_SYSCALL, K_REFUSED_NOT_OBJECT);
	CHECK_EQ(helpers[HOSTILE].fault_syscall, K_SYSCALL_K_SEM_GIVE);
	CHECK_FAULT_ADDR(scratch);
}

static void object_of_the_wrong_type(void)
{
	k_object_access_grant(&attack_mutex, &helpers[HOSTILE]);
	contain(give_sem, &attack_mutex, K_FAULT_SYSCALL, K_REFUSED_WRONG_TYPE);
}

static void uninitialized_object(void)
{
	k_object_access_grant(&never_initialized, &helpers[HOSTILE]);
	contain(give_sem, &never_initialized, K_FAULT_SYSCALL, K_REFUSED_UNINITIALIZED);
}

static void object_without_permission(void)
{
	contain(give_sem, &not_granted_sem, K_FAULT_SYSCALL, K_REFUSED_NO_PERMISSION);
	CHECK_EQ(k_sem_count_get(&not_granted_sem), 0);
}

static void give_until_revoked(void *arg)
{
	(void)arg;
	k_sem_give(&attack_sem); /* allowed */
	scratch[1] = 1;
	k_sem_take(&go_sem, K_FOREVER);
	k_sem_give(&attack_sem); /* revoked meanwhile */
	reached = 1;
}

static void object_after_revocation(void)
{
	k_sem_reset(&attack_sem);
	scratch[1] = 0;
	k_object_access_grant(&attack_sem, &helpers[HOSTILE]);
	k_object_access_grant(&go_sem, &helpers[HOSTILE]);
	reached = 0;
	if (!watchdog_start())
		return;
	START_USER_HELPER(HOSTILE, give_until_revoked, NULL, ATTACK_PRIO);
	k_sleep(3);
	CHECK_EQ(scratch[1], 1);
	CHECK_EQ(k_sem_count_get(&attack_sem), 1);
	k_object_access_revoke(&attack_sem, &helpers[HOSTILE]);
	k_sem_give(&go_sem);
	CHECK_EQ(k_thread_join(&helpers[HOSTILE], 100), 0);
	CHECK_EQ(helpers[HOSTILE].fault, K_FAULT_SYSCALL);
	CHECK_EQ(helpers[HOSTILE].fault_reason, K_REFUSED_NO_PERMISSION);
	CHECK_EQ(reached, 0);
	CHECK_EQ(k_sem_count_get(&attack_sem), 1);
	watchdog_check_and_stop();
}

static void get_into(void *arg)
{
	k_msgq_get(&attack_q, arg, K_NO_WAIT);
	reached = 1;
}

static void put_from(void *arg)
{
	k_msgq_put(&attack_q, arg, K_NO_WAIT);
	reached = 1;
}

static void buffer_in_kernel_memory(void)
{
	k_object_access_grant(&attack_q, &helpers[HOSTILE]);
	contain(get_into, (void *)&kernel_secret, K_FAULT_SYSCALL, K_REFUSED_BAD_BUFFER);
	CHECK_FAULT_ADDR(&kernel_secret);
}

static void buffer_straddling_partition_end(void)
{
	k_object_access_grant(&attack_q, &helpers[HOSTILE]);
	contain(put_from, (void *)((uintptr_t)__app_user_part_end - 4), K_FAULT_SYSCALL,
		K_REFUSED_BAD_BUFFER);
	CHECK_EQ(k_msgq_num_used_get(&attack_q), 0);
}

static void name_from(void *arg)
{
	k_thread_name_set(k_current_get(), arg);
	reached = 1;
}

/* The name runs from the partition's last byte into memory the thread may not read. */
static void string_running_out_of_user_memory(void)
{
	char *last = (char *)((uintptr_t)__app_user_part_end - 1);
	*last = 'x';
	contain(name_from, last, K_FAULT_SYSCALL, K_REFUSED_BAD_BUFFER);
	CHECK_FAULT_ADDR(last + 1);
}

static void out_wrapping(void *arg)
{
	(void)arg;
	const char *text = (const char *)scratch;
	k_str_out(text, (size_t)0 - (uintptr_t)text + 16u); /* text + size wraps to 16 */
	reached = 1;
}

static void size_wrapping_the_address_space(void)
{
	contain(out_wrapping, NULL, K_FAULT_SYSCALL, K_REFUSED_BAD_BUFFER);
}

static void trap_id(void *arg)
{
	uintptr_t hi;
	k_syscall_trap6(0, 0, 0, 0, 0, 0, (uintptr_t)arg, &hi);
	reached = 1;
}

static void negative_syscall_id(void)
{
	contain(trap_id, (void *)(uintptr_t)-1, K_FAULT_SYSCALL, K_REFUSED_BAD_ID);
	CHECK(helpers[HOSTILE].fault_syscall == UINT32_MAX, "syscall 0x%08lx",
	      helpers[HOSTILE].fault_syscall);
}

static void syscall_id_at_the_limit(void)
{
	contain(trap_id, (void *)(uintptr_t)K_SYSCALL_LIMIT, K_FAULT_SYSCALL, K_REFUSED_BAD_ID);
}

static void the_bad_syscall_id(void)
{
	contain(trap_id, (void *)(uintptr_t)K_SYSCALL_BAD, K_FAULT_SYSCALL, K_REFUSED_BAD_ID);
}

/* ---- Arguments past the registers, rewritten during the call ---- */

uint32_t z_impl_test_words7(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e,
			    uint32_t f, uint32_t g)
{
	return a + b + c + d + e + f + g;
}

uint32_t z_vrfy_test_words7(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e,
			    uint32_t f, uint32_t g)
{
	Z_VERIFY_ARG(g < 100, g);
	k_sleep(2); /* a double fetch would now see the rewritten block */
	return z_impl_test_words7(a, b, c, d, e, f, g);
}

static void call_words7(void *arg)
{
	(void)arg;
	block[0] = 6;
	block[1] = 50;
	uintptr_t hi;
	/* By hand, to pass a block in shared memory instead of the wrapper's stack copy. */
	words7_result = (uint32_t)k_syscall_trap6(1, 2, 3, 4, 5, (uintptr_t)block,
						 K_SYSCALL_TEST_WORDS7, &hi);
}

static void rewrite_block(void *arg)
{
	(void)arg;
	k_sleep(1); /* the call is sleeping in its verifier by now */
	block[1] = 1000;
	block[0] = 1000;
}

static void words_rewritten_during_the_call(void)
{
	words7_result = 0;
	START_USER_HELPER(HOSTILE, call_words7, NULL, ATTACK_PRIO);
	START_USER_HELPER(PARTNER, rewrite_block, NULL, ATTACK_PRIO);
	CHECK_EQ(k_thread_join(&helpers[HOSTILE], 100), 0);
	CHECK_EQ(k_thread_join(&helpers[PARTNER], 100), 0);
	CHECK_EQ(block[1], 1000); /* the rewrite happened */
	CHECK_EQ(words7_result, 1 + 2 + 3 + 4 + 5 + 6 + 50); /* the kernel used its copy */
	CHECK_EQ(helpers[HOSTILE].fault, K_FAULT_NONE);
}

/* ---- Registers after a system call ---- */

/* Traps with system call `arg`, r0 = 0 (its argument, if any) and junk in r1-r3 and r12,
 * and keeps the registers as the call left them. */
static void read_registers(void *arg)
{
	volatile uint32_t *out = registers_after;
	__asm__ volatile("movs r0, #0\n\t"
			 "movw r1, #0x1111\n\t"
			 "movw r2, #0x2222\n\t"
			 "movw r3, #0x3333\n\t"
			 "movw r12, #0xcccc\n\t"
			 "mov r6, %1\n\t"
			 "svc #3\n\t"
			 "stmia %0, {r0-r3}\n\t"
			 "str r12, [%0, #16]"
			 :
			 : "r"(out), "r"((uint32_t)(uintptr_t)arg)
			 : "r0", "r1", "r2", "r3", "r6", "r12", "memory");
}

static void registers_after_call(uint32_t id)
{
	for (int i = 0; i < 5; i++)
		registers_after[i] = 0xffffffffu;
	START_USER_HELPER(HOSTILE, read_registers, (void *)(uintptr_t)id, ATTACK_PRIO);
	CHECK_EQ(k_thread_join(&helpers[HOSTILE], 100), 0);
	CHECK_EQ(helpers[HOSTILE].fault, K_FAULT_NONE);
	for (int i = 1; i < 5; i++)
		CHECK(registers_after[i] == 0, "register %s is 0x%lx after system call %s",
		      (const char *[]){"r0", "r1", "r2", "r3", "r12"}[i], registers_after[i],
		      z_syscall_name(id));
}

/* Both ways a call runs: in the SVC handler (nonblocking) and in thread mode. */
static void caller_saved_registers_are_cleared(void)
{
	registers_after_call(K_SYSCALL_K_UPTIME_TICKS); /* nonblocking: in the SVC handler */
	CHECK(registers_after[0] <= k_uptime_ticks() && registers_after[0] > 0,
	      "k_uptime_ticks returned %lu", registers_after[0]);
	registers_after_call(K_SYSCALL_K_SLEEP); /* k_sleep(K_NO_WAIT): in thread mode */
	CHECK_EQ(registers_after[0], 0);
}

TEST_SUITE(attack_tests, "attack",
	   {"writes_kernel_data", writes_kernel_data},
	   {"reads_kernel_data", reads_kernel_data},
	   {"writes_another_threads_stack", writes_another_threads_stack},
	   {"writes_another_domains_partition", writes_another_domains_partition},
	   {"executes_from_data", executes_from_data},
	   {"writes_mpu_registers", writes_mpu_registers},
	   {"writes_scb_registers", writes_scb_registers},
	   {"raises_its_own_privilege", raises_its_own_privilege},
	   {"issues_other_svcs", issues_other_svcs},
	   {"forges_the_syscall_return_svc", forges_the_syscall_return_svc},
	   {"user_stack_overflow_is_caught", user_stack_overflow_is_caught},
	   {"forged_object_pointer", forged_object_pointer},
	   {"object_of_the_wrong_type", object_of_the_wrong_type},
	   {"uninitialized_object", uninitialized_object},
	   {"object_without_permission", object_without_permission},
	   {"object_after_revocation", object_after_revocation},
	   {"buffer_in_kernel_memory", buffer_in_kernel_memory},
	   {"buffer_straddling_partition_end", buffer_straddling_partition_end},
	   {"size_wrapping_the_address_space", size_wrapping_the_address_space},
	   {"string_running_out_of_user_memory", string_running_out_of_user_memory},
	   {"negative_syscall_id", negative_syscall_id},
	   {"syscall_id_at_the_limit", syscall_id_at_the_limit},
	   {"the_bad_syscall_id", the_bad_syscall_id},
	   {"words_rewritten_during_the_call", words_rewritten_during_the_call},
	   {"caller_saved_registers_are_cleared", caller_saved_registers_are_cleared});
