/* User mode as a legitimate thread sees it: system calls that work, permissions granted,
 * inherited, made public, released; dynamic objects; memory domains and their rules. */
#include <app_memory.h>
#include <mpu.h>
#include <printk.h>
#include <string.h>
#include <syscall_handler.h>

#include "runner.h"

#define USER_PRIO 6

K_APP_BMEM(user_part) static volatile uint32_t user_control;
K_APP_BMEM(user_part) static volatile uint32_t user_ticks;
K_APP_BMEM(user_part) static volatile uint32_t user_step;
K_APP_BMEM(user_part) static volatile int user_result[4];
K_APP_BMEM(user_part) static uint32_t received[5];
K_APP_BMEM(user_part) static void *volatile user_object;

K_SEM_DEFINE(user_sem, 0, 10);
K_SEM_DEFINE(user_reply, 0, 10);
K_SEM_DEFINE(public_sem, 0, 10);
K_MUTEX_DEFINE(user_mutex);
K_MSGQ_DEFINE(user_q, sizeof(uint32_t), 2);

static void report_control(void *arg)
{
	(void)arg;
	uint32_t control;
	__asm__ volatile("mrs %0, control" : "=r"(control));
	user_control = control;
	user_ticks = k_uptime_ticks();
}

static void user_thread_runs_unprivileged(void)
{
	user_control = 0;
	user_ticks = 0;
	START_USER_HELPER(0, report_control, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK(user_control & 1u, "CONTROL 0x%lx: nPRIV clear", user_control);
	CHECK(user_ticks > 0 && user_ticks <= k_uptime_ticks(), "k_uptime_ticks gave %lu",
	      user_ticks);
}

static void take_then_reply(void *arg)
{
	(void)arg;
	user_result[0] = k_sem_take(&user_sem, K_FOREVER);
	k_sem_give(&user_reply);
	user_result[1] = k_sem_take(&user_sem, K_NO_WAIT);
}

static void semaphores_from_user_mode(void)
{
	k_object_access_grant(&user_sem, &helpers[0]);
	k_object_access_grant(&user_reply, &helpers[0]);
	k_sem_reset(&user_sem);
	k_sem_reset(&user_reply);
	START_USER_HELPER(0, take_then_reply, NULL, USER_PRIO);
	k_sem_give(&user_sem); /* wakes the blocked user thread */
	CHECK_EQ(k_sem_take(&user_reply, 10), 0);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(user_result[1], -EBUSY);
}

/* k_sem_give is nonblocking: the SVC handler runs it, and the switch to the thread it wakes
 * happens as the handler returns, before the giver's next instruction. */
K_APP_BMEM(user_part) static char run_order[4];
K_APP_BMEM(user_part) static volatile uint32_t run_count;

static void run_note(char c)
{
	if (run_count < sizeof(run_order) - 1)
		run_order[run_count++] = c;
}

static void take_then_note(void *arg)
{
	(void)arg;
	k_sem_take(&user_sem, K_FOREVER);
	run_note('H');
}

static void give_then_note(void *arg)
{
	(void)arg;
	k_sem_give(&user_sem);
	run_note('L');
}

static void nonblocking_call_switches_as_it_returns(void)
{
	memset(run_order, 0, sizeof(run_order));
	run_count = 0;
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &helpers[0]);
	k_object_access_grant(&user_sem, &helpers[1]);
	START_USER_HELPER(0, take_then_note, NULL, USER_PRIO - 1); /* runs first, then waits */
	START_USER_HELPER(1, give_then_note, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(k_thread_join(&helpers[1], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(helpers[1].fault, K_FAULT_NONE);
	CHECK(strcmp(run_order, "HL") == 0, "order \"%s\", expected \"HL\"", run_order);
}

static void produce(void *arg)
{
	(void)arg;
	for (uint32_t i = 1; i <= 5; i++) {
		uint32_t value = i * 11; /* on the user stack */
		k_msgq_put(&user_q, &value, K_FOREVER);
	}
}

static void consume(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		k_msgq_get(&user_q, &received[i], K_FOREVER); /* into the partition */
}

static void message_queue_between_user_threads(void)
{
	k_msgq_purge(&user_q);
	k_object_access_grant(&user_q, &helpers[0]);
	k_object_access_grant(&user_q, &helpers[1]);
	START_USER_HELPER(0, produce, NULL, USER_PRIO);
	START_USER_HELPER(1, consume, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 20), 0);
	CHECK_EQ(k_thread_join(&helpers[1], 20), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(received[i], (i + 1) * 11);
}

static void lock_and_wait(void *arg)
{
	(void)arg;
	user_result[0] = k_mutex_lock(&user_mutex, K_FOREVER);
	user_step = 1;
	k_sleep(3);
	user_result[1] = k_mutex_unlock(&user_mutex);
}

static void mutex_from_user_mode(void)
{
	user_step = 0;
	k_object_access_grant(&user_mutex, &helpers[0]);
	START_USER_HELPER(0, lock_and_wait, NULL, USER_PRIO);
	CHECK_EQ(user_step, 1);
	CHECK(user_mutex.owner == &helpers[0], "the user thread does not own the mutex");
	CHECK_EQ(k_mutex_lock(&user_mutex, 10), 0); /* waits for the unlock */
	CHECK_EQ(k_mutex_unlock(&user_mutex), 0);
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(user_result[1], 0);
}

static void print_line(void *arg)
{
	(void)arg;
	printk("user mode says hello through k_str_out (%d)\n", 42);
	user_step = 1;
}

static void printk_from_user_mode(void)
{
	user_step = 0;
	START_USER_HELPER(0, print_line, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(user_step, 1);
}

K_APP_BMEM(user_part) static char name_buffer[K_THREAD_NAME_SIZE + 4];

static void rename_self(void *arg)
{
	(void)arg;
	user_result[0] = k_thread_name_set(k_current_get(), "a-name-longer-than-fifteen");
	user_result[1] = k_thread_name_copy(k_current_get(), name_buffer, sizeof(name_buffer));
	user_result[2] = k_thread_name_copy(k_current_get(), name_buffer, 0);
}

static void thread_names_are_copied(void)
{
	memset(name_buffer, 'x', sizeof(name_buffer));
	START_USER_HELPER(0, rename_self, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(user_result[1], 0);
	CHECK_EQ(user_result[2], -EINVAL);
	CHECK_STR(name_buffer, "a-name-longer-t");
	CHECK_STR(k_thread_name_get(&helpers[0]), "a-name-longer-t");
}

static void child_gives(void *arg)
{
	(void)arg;
	k_sem_give(&user_sem);
}

/* arg: the child's options. */
static void create_child(void *arg)
{
	user_result[0] = k_thread_create(&helpers[1], helper_stacks[1], sizeof(helper_stacks[1]),
					 child_gives, NULL, USER_PRIO + 1, (uint32_t)(uintptr_t)arg);
	user_result[1] = k_thread_join(&helpers[1], 20);
}

static void user_thread_creates_user_thread(void)
{
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &helpers[0]);
	k_object_access_grant(&helpers[1], &helpers[0]);
	k_object_access_grant(helper_stacks[1], &helpers[0]);
	START_USER_HELPER(0, create_child, (void *)(uintptr_t)(K_USER | K_INHERIT_PERMS),
			  USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 30), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(user_result[1], 0);
	CHECK_EQ(helpers[1].fault, K_FAULT_NONE);
	CHECK_EQ(k_sem_count_get(&user_sem), 1); /* the child used its inherited permission */
	CHECK(helpers[1].domain == &user_domain, "the child is not in its parent's domain");
}

static void permissions_are_not_inherited_by_default(void)
{
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &helpers[0]);
	k_object_access_grant(&helpers[1], &helpers[0]);
	k_object_access_grant(helper_stacks[1], &helpers[0]);
	START_USER_HELPER(0, create_child, (void *)(uintptr_t)K_USER, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 30), 0);
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(helpers[1].fault, K_FAULT_SYSCALL);
	CHECK_EQ(helpers[1].fault_reason, K_REFUSED_NO_PERMISSION);
	CHECK_EQ(k_sem_count_get(&user_sem), 0);
}

static void give_public(void *arg)
{
	(void)arg;
	k_sem_give(&public_sem);
}

static void public_objects_need_no_grant(void)
{
	k_object_access_all_grant(&public_sem);
	START_USER_HELPER(0, give_public, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK_EQ(k_sem_take(&public_sem, K_NO_WAIT), 0);
}

static bool permitted(const void *object, const struct k_thread *thread)
{
	struct k_object_state *state;
	return z_object_find(object, &state) != NULL && z_object_permitted(state, thread->perm_index);
}

static void wait_for_sem(void *arg)
{
	(void)arg;
	k_sem_take(&user_sem, K_FOREVER);
}

static void permissions_end_with_the_thread(void)
{
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &helpers[0]);
	START_USER_HELPER(0, wait_for_sem, NULL, USER_PRIO);
	CHECK(permitted(&user_sem, &helpers[0]), "no permission while the thread lives");
	CHECK(permitted(&helpers[0], &helpers[0]), "no permission on its own thread object");
	k_sem_give(&user_sem);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK(!permitted(&user_sem, &helpers[0]), "permission outlived the thread");
	CHECK(!permitted(&helpers[0], &helpers[0]), "permission on itself outlived the thread");
}

/* A thread object that runs once, in this case only: its permission index comes from the
 * object table, so a grant made before it ever ran still reaches it. */
static struct k_thread first_run_thread;
static K_THREAD_STACK_DEFINE(first_run_stack, 1024);

static void grant_before_the_first_start(void)
{
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &first_run_thread);
	k_mem_domain_add_thread(&user_domain, &first_run_thread);
	CHECK_EQ(k_thread_create(&first_run_thread, first_run_stack, sizeof(first_run_stack),
				 child_gives, NULL, USER_PRIO, K_USER),
		 0);
	CHECK_EQ(k_thread_join(&first_run_thread, 10), 0);
	CHECK_EQ(first_run_thread.fault, K_FAULT_NONE);
	CHECK_EQ(k_sem_count_get(&user_sem), 1);
}

static void release_then_use(void *arg)
{
	(void)arg;
	k_sem_give(&user_sem);
	k_object_release(&user_sem);
	k_sem_give(&user_sem);
	user_step = 1;
}

static void released_object_is_refused(void)
{
	user_step = 0;
	k_sem_reset(&user_sem);
	k_object_access_grant(&user_sem, &helpers[0]);
	START_USER_HELPER(0, release_then_use, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_SYSCALL);
	CHECK_EQ(helpers[0].fault_reason, K_REFUSED_NO_PERMISSION);
	CHECK_EQ(user_step, 0);
	CHECK_EQ(k_sem_count_get(&user_sem), 1);
}

static void allocate_semaphore(void *arg)
{
	(void)arg;
	struct k_sem *sem = k_object_alloc(K_OBJ_SEM);
	user_object = sem;
	if (sem == NULL)
		return;
	user_result[0] = k_sem_init(sem, 0, 5);
	k_sem_give(sem);
	k_sem_give(sem);
	user_result[1] = k_sem_take(sem, K_NO_WAIT);
	user_result[2] = (int)k_sem_count_get(sem);
	user_result[3] = k_object_alloc(K_OBJ_THREAD) == NULL; /* not an allocatable type */
}

static void give_sem_object(void *arg)
{
	k_sem_give(arg);
}

static void dynamic_objects(void)
{
	user_object = NULL;
	START_USER_HELPER(0, allocate_semaphore, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK(user_object != NULL, "k_object_alloc returned NULL");
	CHECK_EQ(user_result[0], 0);
	CHECK_EQ(user_result[1], 0);
	CHECK_EQ(user_result[2], 1);
	CHECK_EQ(user_result[3], 1);
	struct k_object_state *state;
	const struct k_object_entry *entry = z_object_find(user_object, &state);
	CHECK(entry != NULL && entry->type == K_OBJ_SEM, "the dynamic object is not found");
	CHECK(state->flags & K_OBJ_FLAG_ALLOCATED, "not flagged as allocated");
	CHECK(z_object_find((char *)user_object + 4, &state) == NULL, "inside an object found");
	/* Another thread has no permission on it. */
	START_USER_HELPER(1, give_sem_object, user_object, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[1], 10), 0);
	CHECK_EQ(helpers[1].fault_reason, K_REFUSED_NO_PERMISSION);
	k_object_free(user_object);
	CHECK(z_object_find(user_object, &state) == NULL, "a freed object is still found");
}

/* ---- Memory domains ---- */

K_APP_BMEM(spare_part) static volatile uint32_t spare_word;
K_APPMEM_PARTITION_DEFINE(spare_part);
static struct k_mem_domain spare_domain;

static void write_spare_twice(void *arg)
{
	(void)arg;
	spare_word = 1;
	user_step = 1;
	k_sleep(3); /* the partition leaves the domain meanwhile */
	spare_word = 2;
	user_step = 2;
}

static void removed_partition_is_gone_at_once(void)
{
	user_step = 0;
	struct k_mem_partition *parts[] = {&user_part, &spare_part};
	CHECK_EQ(k_mem_domain_init(&spare_domain, 2, parts), 0);
	if (helper_start_user(0, write_spare_twice, NULL, USER_PRIO, &spare_domain) == NULL)
		return;
	CHECK_EQ(user_step, 1);
	CHECK_EQ(spare_word, 1);
	CHECK_EQ(k_mem_domain_remove_partition(&spare_domain, &spare_part), 0);
	CHECK_EQ(k_mem_domain_remove_partition(&spare_domain, &spare_part), -ENOENT);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_MEMMANAGE);
	CHECK(helpers[0].fault_addr == (uint32_t)(uintptr_t)&spare_word, "fault at 0x%08lx",
	      helpers[0].fault_addr);
	CHECK_EQ(user_step, 1);
	CHECK_EQ(spare_word, 1);
}

static void read_only_reader(void *arg)
{
	(void)arg;
	user_result[0] = (int)spare_word; /* allowed */
	user_step = 1;
	spare_word = 3;                   /* not allowed */
	user_step = 2;
}

static void read_only_partition(void)
{
	user_step = 0;
	spare_word = 7;
	static struct k_mem_partition read_only;
	read_only = spare_part;
	read_only.attr = K_MEM_PARTITION_RO;
	struct k_mem_partition *parts[] = {&user_part, &read_only};
	CHECK_EQ(k_mem_domain_init(&spare_domain, 2, parts), 0);
	if (helper_start_user(0, read_only_reader, NULL, USER_PRIO, &spare_domain) == NULL)
		return;
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(user_result[0], 7);
	CHECK_EQ(user_step, 1);
	CHECK_EQ(helpers[0].fault, K_FAULT_MEMMANAGE);
	CHECK_EQ(spare_word, 7);
}

/* Partitions are checked against the MPU's rules when added, never silently widened. */
static void partition_rules_are_checked(void)
{
	static struct k_mem_domain domain;
	CHECK_EQ(k_mem_domain_init(&domain, 0, NULL), 0);
	uintptr_t base = user_part.start;
	struct k_mem_partition misaligned = {base + 4, base + 36, base + 36, K_MEM_PARTITION_RW};
	struct k_mem_partition odd_size = {base, base + 48, base + 48, K_MEM_PARTITION_RW};
	struct k_mem_partition bad_access = {base, base + 32, base + 32, 0x7};
	CHECK_EQ(k_mem_domain_add_partition(&domain, &misaligned), -EINVAL);
	CHECK_EQ(k_mem_domain_add_partition(&domain, &odd_size), -EINVAL);
	CHECK_EQ(k_mem_domain_add_partition(&domain, &bad_access), -EINVAL);
	CHECK_EQ(domain.partition_count, 0);

	struct k_mem_partition pieces[6];
	for (int i = 0; i < 6; i++)
		pieces[i] = (struct k_mem_partition){0x20300000u + i * 0x100u, 0x20300000u + i * 0x100u + 0x100u,
						     0x20300000u + i * 0x100u + 0x100u, K_MEM_PARTITION_RW};
	struct k_mem_partition overlapping = {0x20300080u, 0x20300100u, 0x20300100u, K_MEM_PARTITION_RW};
	for (int i = 0; i < 5; i++)
		CHECK_EQ(k_mem_domain_add_partition(&domain, &pieces[i]), 0);
	CHECK_EQ(k_mem_domain_add_partition(&domain, &pieces[5]), -ENOMEM);
	CHECK_EQ(k_mem_domain_remove_partition(&domain, &pieces[4]), 0);
	CHECK_EQ(k_mem_domain_add_partition(&domain, &overlapping), -EINVAL);
	CHECK_EQ(domain.region_count, 4);
	/* Two MPU regions for one partition (linker-scripts' split form) count as two. */
	struct k_mem_partition split = {0x20310000u, 0x20310100u, 0x20310140u, K_MEM_PARTITION_RW};
	CHECK_EQ(k_mem_domain_add_partition(&domain, &split), -ENOMEM);
	CHECK_EQ(k_mem_domain_remove_partition(&domain, &pieces[3]), 0);
	CHECK_EQ(k_mem_domain_add_partition(&domain, &split), 0);
	CHECK_EQ(domain.region_count, 5);
}

/* Encodings of ranges as one MPU region, against the ARMv7-M rules. */
static void mpu_region_encoding(void)
{
	uint32_t region[2];
	CHECK_EQ(arch_mpu_region(0x20000000u, 0x20000020u, K_MEM_PARTITION_RW, 2, region), 0);
	CHECK(region[0] == (0x20000000u | 0x10u | 2u), "RBAR 0x%08lx", region[0]);
	CHECK(((region[1] >> 1) & 0x1fu) == 4u, "RASR size field %lu", (region[1] >> 1) & 0x1fu);
	/* 0x140 bytes in a 0x200 region: five of eight subregions on. */
	CHECK_EQ(arch_mpu_region(0x20000200u, 0x20000340u, K_MEM_PARTITION_RW, 3, region), 0);
	CHECK(((region[1] >> 8) & 0xffu) == 0xe0u, "SRD 0x%02lx", (region[1] >> 8) & 0xffu);
	CHECK_EQ(arch_mpu_region(0x20000000u, 0x20000010u, K_MEM_PARTITION_RW, 2, region), -EINVAL);
	CHECK_EQ(arch_mpu_region(0x20000010u, 0x20000030u, K_MEM_PARTITION_RW, 2, region), -EINVAL);
	CHECK_EQ(arch_mpu_region(0x20000000u, 0x20000000u, K_MEM_PARTITION_RW, 2, region), -EINVAL);
	CHECK_EQ(arch_mpu_region(0xffffffe0u, 0u, K_MEM_PARTITION_RW, 2, region), -EINVAL);
}

static void enter_user_mode(void *arg)
{
	(void)arg;
	k_thread_user_mode_enter(report_control, NULL);
}

static void kernel_thread_enters_user_mode(void)
{
	user_control = 0;
	k_mem_domain_add_thread(&user_domain, &helpers[0]);
	START_HELPER(0, enter_user_mode, NULL, USER_PRIO);
	CHECK_EQ(k_thread_join(&helpers[0], 10), 0);
	CHECK_EQ(helpers[0].fault, K_FAULT_NONE);
	CHECK(user_control & 1u, "CONTROL 0x%lx: still privileged", user_control);
}

TEST_SUITE(user_tests, "user",
	   {"user_thread_runs_unprivileged", user_thread_runs_unprivileged},
	   {"semaphores_from_user_mode", semaphores_from_user_mode},
	   {"nonblocking_call_switches_as_it_returns", nonblocking_call_switches_as_it_returns},
	   {"message_queue_between_user_threads", message_queue_between_user_threads},
	   {"mutex_from_user_mode", mutex_from_user_mode},
	   {"printk_from_user_mode", printk_from_user_mode},
	   {"thread_names_are_copied", thread_names_are_copied},
	   {"user_thread_creates_user_thread", user_thread_creates_user_thread},
	   {"permissions_are_not_inherited_by_default", permissions_are_not_inherited_by_default},
	   {"public_objects_need_no_grant", public_objects_need_no_grant},
	   {"permissions_end_with_the_thread", permissions_end_with_the_thread},
	   {"grant_before_the_first_start", grant_before_the_first_start},
	   {"released_object_is_refused", released_object_is_refused},
	   {"dynamic_objects", dynamic_objects},
	   {"removed_partition_is_gone_at_once", removed_partition_is_gone_at_once},
	   {"read_only_partition", read_only_partition},
	   {"partition_rules_are_checked", partition_rules_are_checked},
	   {"mpu_region_encoding", mpu_region_encoding},
	   {"kernel_thread_enters_user_mode", kernel_thread_enters_user_mode});
