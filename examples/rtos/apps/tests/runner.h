/* The in-image test runner: named cases grouped in suites, checks that end a case with a
 * message, and a pool of helper threads the cases start and the runner cleans up. */
#ifndef TESTS_RUNNER_H
#define TESTS_RUNNER_H

#include <arch.h>
#include <kernel.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*run)(void);
};

struct test_suite {
	const char *name;
	const struct test_case *cases;
	size_t count;
};

/* Defines `const struct test_suite suite` named `name` (the case names' prefix). */
#define TEST_SUITE(suite, name, ...)                                                         \
	static const struct test_case suite##_cases[] = {__VA_ARGS__};                      \
	const struct test_suite suite = {name, suite##_cases,                               \
					 sizeof(suite##_cases) / sizeof(suite##_cases[0])}

/* Records the failure of the running case (the first message wins); line 0 for none. */
__attribute__((format(printf, 2, 3))) void test_fail(int line, const char *fmt, ...);

#define CHECK(cond, ...)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			test_fail(__LINE__, __VA_ARGS__);                                    \
			return;                                                              \
		}                                                                            \
	} while (0)

#define CHECK_EQ(actual, expected)                                                           \
	do {                                                                                 \
		int actual_ = (int)(actual), expected_ = (int)(expected);                \
		CHECK(actual_ == expected_, "%s is %d, expected %d", #actual, actual_,       \
		      expected_);                                                            \
	} while (0)

#define CHECK_STR(actual, expected)                                                          \
	do {                                                                                 \
		const char *actual_ = (actual), *expected_ = (expected);                     \
		CHECK(strcmp(actual_, expected_) == 0, "%s is \"%s\", expected \"%s\"",      \
		      #actual, actual_, expected_);                                          \
	} while (0)

/* Helper threads: array elements of one struct k_thread array, stacks from one stack array.
 * The runner joins (or, after a failure, aborts) every helper after each case. */
#define HELPER_COUNT 4
#define HELPER_STACK_SIZE 1024
extern struct k_thread helpers[HELPER_COUNT];
extern k_thread_stack_t helper_stacks[HELPER_COUNT][Z_STACK_SIZE(HELPER_STACK_SIZE)];

/* Starts helpers[index]; returns NULL (the case has failed) when creation fails. */
struct k_thread *helper_start(int index, k_thread_entry_t entry, void *arg, int prio);

#define START_HELPER(index, entry, arg, prio)                                                \
	do {                                                                                 \
		if (helper_start(index, entry, arg, prio) == NULL)                           \
			return;                                                              \
	} while (0)

/* User mode: the partition user-mode cases share with the runner (K_APP_DMEM/BMEM(user_part)
 * places their variables in it) and the domain holding it. */
extern struct k_mem_partition user_part;
extern struct k_mem_domain user_domain;

/* Starts helpers[index] in user mode in `domain`; NULL (the case has failed) on error. */
struct k_thread *helper_start_user(int index, k_thread_entry_t entry, void *arg, int prio,
				   struct k_mem_domain *domain);

#define START_USER_HELPER(index, entry, arg, prio)                                           \
	do {                                                                                 \
		if (helper_start_user(index, entry, arg, prio, &user_domain) == NULL)         \
			return;                                                              \
	} while (0)

/* An event log for checking the order in which threads ran. */
void log_event(char event);
const char *log_text(void);

/* Busy-waits (without blocking) until the tick count reaches `tick`. */
void spin_until(uint32_t tick);

#endif
