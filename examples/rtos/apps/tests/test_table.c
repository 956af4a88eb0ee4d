/* The kernel object table kobject-scan generated for this very image: every object it holds
 * is found by its address, with the right type and data; nothing else is. Its stack records,
 * type sizes, foreach and thread-index free map describe the image too. */
#include <device.h>
#include <kernel.h>
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
		const struct k_object_stack *s = k_object_stack_of(e);
		CHECK(s != NULL, "helper_stacks[%d] has no stack record", i);
		CHECK_EQ(s->base, (uintptr_t)helper_stacks[i]);
		CHECK_EQ(s->size, sizeof(helper_stacks[i]));
	}
	CHECK(k_object_find(&helper_stacks[0][64]) == NULL, "a stack's interior found");
	CHECK(k_object_stack_of(k_object_find(&table_sem)) == NULL, "a semaphore has a stack record");
	/* Records in address order, each the stack object at its base. */
	const struct k_object_table *t = &k_object_table;
	for (uint32_t i = 0; i < t->stack_count; i++) {
		const struct k_object_entry *e = k_object_find((const void *)t->stacks[i].base);
		CHECK(e != NULL && e->data == i, "stack record %lu", (unsigned long)i);
		CHECK(i == 0 || t->stacks[i - 1].base < t->stacks[i].base, "stack records out of order");
	}
}

static void types_have_their_sizes(void)
{
	CHECK_EQ(k_object_type_size(K_OBJ_SEM), sizeof(struct k_sem));
	CHECK_EQ(k_object_type_size(K_OBJ_MUTEX), sizeof(struct k_mutex));
	CHECK_EQ(k_object_type_size(K_OBJ_MSGQ), sizeof(struct k_msgq));
	CHECK_EQ(k_object_type_size(K_OBJ_THREAD), sizeof(struct k_thread));
	CHECK_EQ(k_object_type_size(K_OBJ_THREAD_STACK_ELEMENT), sizeof(k_thread_stack_t));
	CHECK_EQ(k_object_type_size(K_OBJ_DRIVER_UART), sizeof(struct device));
	CHECK_EQ(k_object_type_size(K_OBJ_TYPE_COUNT), 0);
}

struct census {
	uint32_t objects, threads;
};

static void count_object(const struct k_object_entry *e, struct k_object_state *s, void *ctx)
{
	struct census *c = ctx;
	c->objects += k_object_state_of(e) == s;
	c->threads += e->type == K_OBJ_THREAD;
}

static void foreach_visits_every_object(void)
{
	struct census c = {0, 0};
	k_object_foreach(count_object, &c);
	CHECK_EQ(c.objects, k_object_table.count);
	CHECK(c.threads >= HELPER_COUNT, "foreach saw %lu threads", (unsigned long)c.threads);
}

static int index_is_free(unsigned int index)
{
	return (k_object_table.thread_free[index / 8] >> (index % 8)) & 1;
}

static void free_map_leaves_static_thread_indices_taken(void)
{
	const struct k_object_table *t = &k_object_table;
	uint32_t free_at_boot = 0;
	for (unsigned int i = 0; i < t->perm_bytes * 8u; i++)
		free_at_boot += (t->thread_free_init[i / 8] >> (i % 8)) & 1;
	for (uint32_t i = 0; i < t->count; i++) {
		const struct k_object_entry *e = &t->entries[i];
		if (e->type == K_OBJ_THREAD)
			CHECK(!((t->thread_free_init[e->data / 8] >> (e->data % 8)) & 1),
			      "static thread index %u is free", e->data);
	}
	CHECK(free_at_boot > 0, "no thread index left for threads created at run time");
	/* Take one and give it back; the map is the kernel's, so leave it as found. */
	int index = k_object_thread_index_alloc();
	CHECK(index >= 0, "no free thread index");
	if (index < 0)
		return;
	CHECK(!index_is_free((unsigned int)index), "index %d still free after alloc", index);
	k_object_thread_index_free((unsigned int)index);
	CHECK(index_is_free((unsigned int)index), "index %d not free after release", index);
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
	   {"types_have_their_sizes", types_have_their_sizes},
	   {"foreach_visits_every_object", foreach_visits_every_object},
	   {"free_map_leaves_static_thread_indices_taken", free_map_leaves_static_thread_indices_taken},
	   {"devices_start_initialized", devices_start_initialized});
