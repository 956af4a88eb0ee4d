/* Message queues: FIFO order, full and empty queues, timeouts, waking waiters, purge. */
#include "runner.h"

struct reading {
	uint32_t sequence;
	int32_t value;
};

K_MSGQ_DEFINE(readings, sizeof(struct reading), 3);

static void drain(void)
{
	k_msgq_purge(&readings);
}

static void fifo_order_and_wraparound(void)
{
	drain();
	struct reading in, out;
	for (uint32_t round = 0; round < 3; round++) { /* 9 messages through 3 slots */
		for (uint32_t i = 0; i < 3; i++) {
			in = (struct reading){round * 3 + i, -(int32_t)i};
			CHECK_EQ(k_msgq_put(&readings, &in, K_NO_WAIT), 0);
		}
		CHECK_EQ(k_msgq_num_used_get(&readings), 3);
		for (uint32_t i = 0; i < 3; i++) {
			CHECK_EQ(k_msgq_get(&readings, &out, K_NO_WAIT), 0);
			CHECK_EQ(out.sequence, round * 3 + i);
			CHECK_EQ(out.value, -(int32_t)i);
		}
	}
	CHECK_EQ(k_msgq_num_used_get(&readings), 0);
}

static void full_and_empty_without_waiting(void)
{
	drain();
	struct reading r = {1, 1};
	CHECK_EQ(k_msgq_get(&readings, &r, K_NO_WAIT), -ENOMSG);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(k_msgq_put(&readings, &r, K_NO_WAIT), 0);
	CHECK_EQ(k_msgq_put(&readings, &r, K_NO_WAIT), -ENOMSG);
	CHECK_EQ(k_msgq_num_used_get(&readings), 3);
	drain();
}

static void put_and_get_time_out(void)
{
	drain();
	struct reading r = {0, 0};
	k_sleep(1);
	uint32_t start = k_uptime_ticks();
	CHECK_EQ(k_msgq_get(&readings, &r, 7), -EAGAIN);
	CHECK_EQ(k_uptime_ticks() - start, 7);
	for (int i = 0; i < 3; i++)
		k_msgq_put(&readings, &r, K_NO_WAIT);
	CHECK_EQ(k_msgq_put(&readings, &r, 12), -EAGAIN);
	CHECK_EQ(k_uptime_ticks() - start, 19);
	drain();
}

static void put_sequence(void *arg)
{
	struct reading r = {(uint32_t)(uintptr_t)arg, 0};
	log_event(k_msgq_put(&readings, &r, K_FOREVER) == 0 ? 'p' : 'n');
}

static void get_admits_waiting_writer(void)
{
	drain();
	struct reading r;
	for (uint32_t i = 0; i < 3; i++) {
		r = (struct reading){i, 0};
		k_msgq_put(&readings, &r, K_NO_WAIT);
	}
	START_HELPER(0, put_sequence, (void *)3, 5); /* blocks: the queue is full */
	CHECK_STR(log_text(), "");
	CHECK_EQ(k_msgq_get(&readings, &r, K_NO_WAIT), 0);
	CHECK_STR(log_text(), "p"); /* its message took the freed slot */
	CHECK_EQ(k_msgq_num_used_get(&readings), 3);
	for (uint32_t i = 1; i <= 3; i++) {
		CHECK_EQ(k_msgq_get(&readings, &r, K_NO_WAIT), 0);
		CHECK_EQ(r.sequence, i);
	}
}

static struct reading received;

static void get_and_log(void *arg)
{
	(void)arg;
	log_event(k_msgq_get(&readings, &received, K_FOREVER) == 0 ? 'g' : '!');
}

static void put_hands_message_to_waiting_reader(void)
{
	drain();
	START_HELPER(0, get_and_log, NULL, 5);
	struct reading r = {77, -5};
	CHECK_EQ(k_msgq_put(&readings, &r, K_NO_WAIT), 0);
	CHECK_STR(log_text(), "g");
	CHECK_EQ(received.sequence, 77);
	CHECK_EQ(received.value, -5);
	CHECK_EQ(k_msgq_num_used_get(&readings), 0);
}

static void purge_drops_messages_and_fails_writers(void)
{
	drain();
	struct reading r = {0, 0};
	for (int i = 0; i < 3; i++)
		k_msgq_put(&readings, &r, K_NO_WAIT);
	START_HELPER(0, put_sequence, (void *)9, 5);
	START_HELPER(1, put_sequence, (void *)9, 6);
	k_msgq_purge(&readings);
	CHECK_STR(log_text(), "nn");
	CHECK_EQ(k_msgq_num_used_get(&readings), 0);
	CHECK_EQ(k_msgq_get(&readings, &r, K_NO_WAIT), -ENOMSG);
}

static void init_rejects_bad_geometry(void)
{
	static struct k_msgq queue;
	static char buffer[16];
	CHECK_EQ(k_msgq_init(&queue, buffer, 0, 4), -EINVAL);
	CHECK_EQ(k_msgq_init(&queue, buffer, 4, 0), -EINVAL);
	CHECK_EQ(k_msgq_init(&queue, NULL, 4, 4), -EINVAL);
	CHECK_EQ(k_msgq_init(&queue, buffer, 4, 4), 0);
	uint32_t word = 0x12345678u;
	CHECK_EQ(k_msgq_put(&queue, &word, K_NO_WAIT), 0);
	word = 0;
	CHECK_EQ(k_msgq_get(&queue, &word, K_NO_WAIT), 0);
	CHECK_EQ(word, 0x12345678u);
}

TEST_SUITE(msgq_tests, "msgq",
	   {"fifo_order_and_wraparound", fifo_order_and_wraparound},
	   {"full_and_empty_without_waiting", full_and_empty_without_waiting},
	   {"put_and_get_time_out", put_and_get_time_out},
	   {"get_admits_waiting_writer", get_admits_waiting_writer},
	   {"put_hands_message_to_waiting_reader", put_hands_message_to_waiting_reader},
	   {"purge_drops_messages_and_fails_writers", purge_drops_messages_and_fails_writers},
	   {"init_rejects_bad_geometry", init_rejects_bad_geometry});
