/* Message queues: fixed-size messages in a ring buffer. A waiting reader receives straight
 * from the writer; a waiting writer's message enters the ring as soon as a slot frees. */
#include <arch.h>
#include <kernel_internal.h>
#include <syscall_handler.h>
#include <string.h>

int k_msgq_init(struct k_msgq *msgq, void *buffer, uint32_t msg_size, uint32_t max_msgs)
{
	if (buffer == NULL || msg_size == 0 || max_msgs == 0)
		return -EINVAL;
	*msgq = (struct k_msgq){
		.buffer = buffer,
		.msg_size = msg_size,
		.max_msgs = max_msgs,
	};
	z_object_init(msgq);
	return 0;
}

static void ring_write(struct k_msgq *msgq, const void *msg)
{
	memcpy(msgq->buffer + msgq->write_index * msgq->msg_size, msg, msgq->msg_size);
	msgq->write_index = (msgq->write_index + 1) % msgq->max_msgs;
	msgq->used++;
}

static void ring_read(struct k_msgq *msgq, void *msg)
{
	memcpy(msg, msgq->buffer + msgq->read_index * msgq->msg_size, msgq->msg_size);
	msgq->read_index = (msgq->read_index + 1) % msgq->max_msgs;
	msgq->used--;
}

int z_impl_k_msgq_put(struct k_msgq *msgq, const void *msg, k_timeout_t timeout)
{
	unsigned int key = irq_lock();
	struct k_thread *reader = msgq->used == 0 ? z_wait_q_first(&msgq->wait_q) : NULL;
	if (reader != NULL) {
		memcpy(reader->swap_data, msg, msgq->msg_size);
		z_wake(reader, 0);
		z_reschedule(key);
		return 0;
	}
	if (msgq->used < msgq->max_msgs) {
		ring_write(msgq, msg);
		irq_unlock(key);
		return 0;
	}
	if (timeout == K_NO_WAIT) {
		irq_unlock(key);
		return -ENOMSG;
	}
	z_kernel.current->swap_data = (void *)msg;
	return z_pend_and_swap(key, &msgq->wait_q, timeout);
}

int z_impl_k_msgq_get(struct k_msgq *msgq, void *msg, k_timeout_t timeout)
{
	unsigned int key = irq_lock();
	if (msgq->used > 0) {
		ring_read(msgq, msg);
		struct k_thread *writer = z_wait_q_first(&msgq->wait_q);
		if (writer != NULL) {
			ring_write(msgq, writer->swap_data);
			z_wake(writer, 0);
			z_reschedule(key);
			return 0;
		}
		irq_unlock(key);
		return 0;
	}
	if (timeout == K_NO_WAIT) {
		irq_unlock(key);
		return -ENOMSG;
	}
	z_kernel.current->swap_data = msg;
	return z_pend_and_swap(key, &msgq->wait_q, timeout);
}

void z_impl_k_msgq_purge(struct k_msgq *msgq)
{
	unsigned int key = irq_lock();
	if (msgq->used > 0) /* only then are the waiters writers */
		for (struct k_thread *writer; (writer = z_wait_q_first(&msgq->wait_q)) != NULL;)
			z_wake(writer, -ENOMSG);
	msgq->used = 0;
	msgq->read_index = msgq->write_index;
	z_reschedule(key);
}

uint32_t z_impl_k_msgq_num_used_get(struct k_msgq *msgq)
{
	return msgq->used;
}

/* ---- Verifiers ----
 * Messages are opaque bytes the kernel only copies, so the user buffers are checked, not
 * copied first: nothing the kernel decides depends on their content. */

int z_vrfy_k_msgq_put(struct k_msgq *msgq, const void *msg, k_timeout_t timeout)
{
	z_object_verify(msgq, K_OBJ_MSGQ, Z_MUST_INIT);
	z_buffer_verify(msg, msgq->msg_size, false);
	return z_impl_k_msgq_put(msgq, msg, timeout);
}

int z_vrfy_k_msgq_get(struct k_msgq *msgq, void *msg, k_timeout_t timeout)
{
	z_object_verify(msgq, K_OBJ_MSGQ, Z_MUST_INIT);
	z_buffer_verify(msg, msgq->msg_size, true);
	return z_impl_k_msgq_get(msgq, msg, timeout);
}

void z_vrfy_k_msgq_purge(struct k_msgq *msgq)
{
	z_object_verify(msgq, K_OBJ_MSGQ, Z_MUST_INIT);
	z_impl_k_msgq_purge(msgq);
}

uint32_t z_vrfy_k_msgq_num_used_get(struct k_msgq *msgq)
{
	z_object_verify(msgq, K_OBJ_MSGQ, Z_MUST_INIT);
	return z_impl_k_msgq_num_used_get(msgq);
}
