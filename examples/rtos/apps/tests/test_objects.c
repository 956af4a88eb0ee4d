/* Kernel objects as members of a struct and as array elements; the device table. */
#include <uart.h>

#include "runner.h"

DEVICE_DECLARE(uart0);

/* A producer/consumer pipeline whose objects are all members of one static struct. */
#define PIPELINE_ITEMS 4
struct pipeline {
	struct k_mutex lock;
	struct k_sem items;
	struct k_msgq queue;
	uint32_t slots[2];
	uint32_t total;
	struct k_thread spare_thread; /* a thread object as a member, too */
};
static struct pipeline pipeline;

static void produce(void *arg)
{
	struct pipeline *p = arg;
	for (uint32_t value = 1; value <= PIPELINE_ITEMS; value++) {
		k_msgq_put(&p->queue, &value, K_FOREVER);
		k_sem_give(&p->items);
	}
}

static void consume(void *arg)
{
	struct pipeline *p = arg;
	for (int i = 0; i < PIPELINE_ITEMS; i++) {
		uint32_t value;
		k_sem_take(&p->items, K_FOREVER);
		k_msgq_get(&p->queue, &value, K_FOREVER);
		k_mutex_lock(&p->lock, K_FOREVER);
		p->total = p->total * 10 + value;
		k_mutex_unlock(&p->lock);
	}
}

static void objects_as_struct_members(void)
{
	CHECK_EQ(k_mutex_init(&pipeline.lock), 0);
	CHECK_EQ(k_sem_init(&pipeline.items, 0, PIPELINE_ITEMS), 0);
	CHECK_EQ(k_msgq_init(&pipeline.queue, pipeline.slots, sizeof(uint32_t), 2), 0);
	pipeline.total = 0;
	START_HELPER(0, consume, &pipeline, 11);
	START_HELPER(1, produce, &pipeline, 12);
	CHECK_EQ(k_thread_join(&helpers[0], 50), 0);
	CHECK_EQ(pipeline.total, 1234); /* every item, in order */
	CHECK_EQ(pipeline.spare_thread.state, K_THREAD_UNUSED);
}

/* A relay through an array of semaphores: helper i waits on relay[i] and passes to i + 1. */
static struct k_sem relay[HELPER_COUNT];

static void relay_stage(void *arg)
{
	unsigned int stage = (unsigned int)(uintptr_t)arg;
	k_sem_take(&relay[stage], K_FOREVER);
	log_event((char)('0' + stage));
	if (stage + 1 < HELPER_COUNT)
		k_sem_give(&relay[stage + 1]);
}

static void objects_as_array_elements(void)
{
	for (int i = 0; i < HELPER_COUNT; i++)
		CHECK_EQ(k_sem_init(&relay[i], 0, 1), 0);
	/* Later stages get higher priorities, so only the relay can explain the order. */
	for (int i = 0; i < HELPER_COUNT; i++)
		START_HELPER(i, relay_stage, (void *)(uintptr_t)i, 8 - i);
	CHECK_STR(log_text(), "");
	k_sem_give(&relay[0]);
	CHECK_STR(log_text(), "0123");
}

/* The console: a device in the boot-time device table, initialised before main. */
extern struct device __devices_start[], __devices_end[];

static void device_table_holds_console(void)
{
	const struct device *console = NULL;
	for (const struct device *dev = __devices_start; dev < __devices_end; dev++)
		if (strcmp(dev->name, "uart0") == 0)
			console = dev;
	CHECK(console != NULL, "uart0 is not in the device table (%d devices)",
	      (int)(__devices_end - __devices_start));
	CHECK(console == DEVICE_GET(uart0), "the table entry is not device_uart0");
	const struct uart_driver_api *api = console->api;
	CHECK(api != NULL && api->poll_out != NULL, "uart0 has no poll_out");
	const volatile uint32_t *ctrl = (const volatile uint32_t *)0x40004008u; /* UART0 CTRL */
	CHECK(*ctrl & 1u, "uart0's init did not enable the transmitter (CTRL 0x%x)",
	      (unsigned int)*ctrl);
}

TEST_SUITE(object_tests, "object",
	   {"objects_as_struct_members", objects_as_struct_members},
	   {"objects_as_array_elements", objects_as_array_elements},
	   {"device_table_holds_console", device_table_holds_console});
