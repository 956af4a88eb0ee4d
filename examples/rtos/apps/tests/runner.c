/* Runs every suite in the runner thread (main, priority K_MAIN_PRIO) and reports in the
 * protocol `cargo xtask test` reads: one `PASS <name>` or `FAIL <name>: <message>` line per
 * case, then `SUMMARY <p> passed, <f> failed`. main's return value, the failure count,
 * becomes QEMU's exit status. */
#include <app_memory.h>
#include <arch.h>
#include <printk.h>
#include <string.h>

#include "runner.h"

extern const struct test_suite sched_tests, thread_tests, sem_tests, mutex_tests, msgq_tests,
	object_tests, fault_tests, format_tests, table_tests, partition_tests, user_tests,
	attack_tests, fuzz_tests;

static const struct test_suite *const suites[] = {
	&format_tests, &sched_tests,  &thread_tests, &sem_tests,       &mutex_tests,
	&msgq_tests,   &object_tests, &fault_tests,  &table_tests,     &partition_tests,
	&user_tests,   &attack_tests, &fuzz_tests,
};

K_APPMEM_PARTITION_DEFINE(user_part);
struct k_mem_domain user_domain;

/* Ticks a finished case's helpers get to end before they count as left running. */
#define HELPER_GRACE_TICKS 100

struct k_thread helpers[HELPER_COUNT];
K_THREAD_STACK_ARRAY_DEFINE(helper_stacks, HELPER_COUNT, HELPER_STACK_SIZE);

static bool case_failed;
static char failure[160];
static char event_log[64];
static unsigned int event_count;

void test_fail(int line, const char *fmt, ...)
{
	if (case_failed)
		return;
	case_failed = true;
	int len = line > 0 ? snprintk(failure, sizeof(failure), "line %d: ", line) : 0;
	va_list args;
	va_start(args, fmt);
	vsnprintk(failure + len, sizeof(failure) - (size_t)len, fmt, args);
	va_end(args);
}

void log_event(char event)
{
	unsigned int key = irq_lock();
	if (event_count + 1 < sizeof(event_log))
		event_log[event_count++] = event;
	event_log[event_count] = '\0';
	irq_unlock(key);
}

const char *log_text(void)
{
	return event_log;
}

void spin_until(uint32_t tick)
{
	while ((int32_t)(k_uptime_ticks() - tick) < 0)
		;
}

struct k_thread *helper_start(int index, k_thread_entry_t entry, void *arg, int prio)
{
	static const char *const names[HELPER_COUNT] = {"helper0", "helper1", "helper2",
							 "helper3"};
	struct k_thread *thread = &helpers[index];
	k_thread_name_set(thread, names[index]);
	int err = k_thread_create(thread, helper_stacks[index], sizeof(helper_stacks[index]), entry,
				  arg, prio, 0);
	if (err != 0) {
		test_fail(0, "helper %d: k_thread_create failed (%d)", index, err);
		return NULL;
	}
	return thread;
}

struct k_thread *helper_start_user(int index, k_thread_entry_t entry, void *arg, int prio,
				   struct k_mem_domain *domain)
{
	static const char *const names[HELPER_COUNT] = {"user0", "user1", "user2", "user3"};
	struct k_thread *thread = &helpers[index];
	k_thread_name_set(thread, names[index]);
	k_mem_domain_add_thread(domain, thread);
	int err = k_thread_create(thread, helper_stacks[index], sizeof(helper_stacks[index]), entry,
				  arg, prio, K_USER);
	if (err != 0) {
		test_fail(0, "user helper %d: k_thread_create failed (%d)", index, err);
		return NULL;
	}
	return thread;
}

/* Ends the helpers a case left behind; a helper still running after the grace period fails
 * the case. */
static void reap_helpers(void)
{
	for (int i = 0; i < HELPER_COUNT; i++) {
		if (helpers[i].state == K_THREAD_UNUSED || helpers[i].state == K_THREAD_DEAD)
			continue;
		if (k_thread_join(&helpers[i], HELPER_GRACE_TICKS) != 0) {
			k_thread_abort(&helpers[i]);
			test_fail(0, "helper %d still running after the case", i);
		}
	}
}

int main(void)
{
	unsigned int passed = 0, failed = 0;
	struct k_mem_partition *parts[] = {&user_part};
	int err = k_mem_domain_init(&user_domain, 1, parts);
	if (err != 0) {
		printk("user_domain: k_mem_domain_init failed (%d)\n", err);
		return 100;
	}
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct test_suite *suite = suites[s];
		for (size_t c = 0; c < suite->count; c++) {
			case_failed = false;
			event_count = 0;
			event_log[0] = '\0';
			suite->cases[c].run();
			reap_helpers();
			k_thread_priority_set(k_current_get(), K_MAIN_PRIO);
			if (case_failed) {
				failed++;
				printk("FAIL %s.%s: %s\n", suite->name, suite->cases[c].name, failure);
			} else {
				passed++;
				printk("PASS %s.%s\n", suite->name, suite->cases[c].name);
			}
		}
	}
	printk("SUMMARY %u passed, %u failed\n", passed, failed);
	return (int)failed;
}
