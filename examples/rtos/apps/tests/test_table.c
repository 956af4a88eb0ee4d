/* The kernel object table kobject-scan generated for this very image: every object it holds
 * is found by its address, with the right type and data; nothing else is. */
#include <device.h>
#include <kobject_table.h>

#include "runner.h"

DEVICE_DECLARE(uart0);
extern k_thread_stack_t helper_stacks[HELPER_COUNT][Z_STACK_SIZE(HELPER_STACK_SIZE)];

/* Objects in every placement, and plain data around them. */
static struct k_sem table_sem;
static struct k_mutex table_mutexes[3];
static struct {
	uint32_t before;
	struct k_msgq queue;
	uint32_t after;
} holder;
static uint32_t plain_word;

static void every_entry_is_found(void)
{
	const struct k_object_table *t = &k_object_table;
	CHECK(t->magic == K_OBJ_TABLE_MAGIC, "table magic %08lx: the image was not patched",
	      (unsigned long)t->magic);
	CHECK(t->count > 20, "only %lu objects in the table", (unsigned long)t->count);
	for (uint32_t i = 0; i < t->count; i++) {
		const struct k_object_entry *e = &t->entries[i];
		CHECK(k_object_find((const void *)e->key) == e, "entry %lu (%08lx) not found",
		      (unsigned long)i, (unsigned long)e->key);
		CHECK(e->type != K_OBJ_ANY && e->type < K_OBJ_TYPE_COUNT, "entry %lu has type %u",
		      (unsigned long)i, e->type);
	}
}

static void near_misses_are_rejected(void)
{
	const struct k_object_table *t = &k_object_table;
	for (uint32_t i = 0; i < t->count; i++) {
		uintptr_t key = t->entries[i].key;
		CHECK(k_object_find((const void *)(key + 1)) == NULL, "%08lx + 1 found",
		      (unsigned long)key);
		CHECK(k_object_find((const void *)(key - 1)) == NULL, "%08lx - 1 found",
		      (unsigned long)key);
	}
	CHECK(k_object_find(NULL) == NULL, "NULL found");
	CHECK(k_object_find(&plain_word) == NULL, "a plain global found");
	CHECK(k_object_find(&holder.before) == NULL, "a struct's plain member found");
	CHECK(k_object_find(&holder.after) == NULL, "a struct's plain member found");
	CHECK(k_object_find(&k_object_table) == NULL, "the table itself found");
	CHECK(k_object_find((const void *)(uintptr_t)every_entry_is_found) == NULL, "code found");
}

static void objects_have_their_types(void)
{
	const struct k_object_entry *e = k_object_find(&table_sem);
	CHECK(e != NULL && e->type == K_OBJ_SEM, "table_sem");
	e = k_object_find(&table_mutexes[2]);
	CHECK(e != NULL && e->type == K_OBJ_MUTEX, "table_mutexes[2]");
	e = k_object_find(&holder.queue);
	CHECK(e != NULL && e->type == K_OBJ_MSGQ, "holder.queue");
	CHECK_STR(k_object_type_name(K_OBJ_MSGQ), "k_msgq");
	CHECK_STR(k_object_type_name(K_OBJ_TYPE_COUNT), "unknown");
}

static void threads_have_distinct_indices(void)
{
	uint32_t seen = 0;
	for (int i = 0; i < HELPER_COUNT; i++) {
		const struct k_object_entry *e = k_object_find(&helpers[i]);
		CHECK(e != NULL && e->type == K_OBJ_THREAD, "helpers[%d] is not a thread object", i);
		CHECK(e->data < 8 * K_OBJ_PERM_BYTES, "helpers[%d] has thread index %lu", i,
		      (unsigned long)e->data);
		CHECK(!(seen & (1u << e->data)), "thread index %lu given twice",
		      (unsigned long)e->data);
		seen |= 1u << e->data;
	}
}

static void stacks_record_their_size(void)
{
	for (int i = 0; i < HELPER_COUNT; i++) {
		const struct k_object_entry *e = k_object_find(helper_stacks[i]);
		CHECK(e != NULL && e->type == K_OBJ_THREAD_STACK_ELEMENT, "helper_stacks[%d]", i);
		CHECK_EQ(e->data, sizeof(helper_stacks[i]));
	}
	CHECK(k_object_find(&helper_stacks[0][64]) == NULL, "a stack's interior found");
}

static void devices_start_initialized(void)
{
	const struct k_object_entry *e = k_object_find(DEVICE_GET(uart0));
	CHECK(e != NULL && e->type == K_OBJ_DRIVER_UART, "uart0 is not a UART device object");
	CHECK_EQ(k_object_state_of(e)->flags, K_OBJ_FLAG_INITIALIZED | K_OBJ_FLAG_DRIVER);
	e = k_object_find(&table_sem);
	CHECK_EQ(k_object_state_of(e)->flags, 0);
}

TEST_SUITE(table_tests, "table",
	   {"every_entry_is_found", every_entry_is_found},
	   {"near_misses_are_rejected", near_misses_are_rejected},
	   {"objects_have_their_types", objects_have_their_types},
	   {"threads_have_distinct_indices", threads_have_distinct_indices},
	   {"stacks_record_their_size", stacks_record_their_size},
	   {"devices_start_initialized", devices_start_initialized});
