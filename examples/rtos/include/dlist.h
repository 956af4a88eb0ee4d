/* Intrusive doubly linked list with NULL ends, so an all-zero list is empty and kernel
 * objects need no run-time initialisation when defined statically or zero-filled. */
#ifndef RTOS_DLIST_H
#define RTOS_DLIST_H

#include <stdbool.h>
#include <stddef.h>

struct dnode {
	struct dnode *next;
	struct dnode *prev;
};

struct dlist {
	struct dnode *head;
	struct dnode *tail;
};

#define CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static inline bool dlist_is_empty(const struct dlist *list)
{
	return list->head == NULL;
}

static inline void dlist_insert_before(struct dlist *list, struct dnode *pos, struct dnode *node)
{
	node->next = pos;
	node->prev = pos->prev;
	if (pos->prev != NULL)
		pos->prev->next = node;
	else
		list->head = node;
	pos->prev = node;
}

static inline void dlist_append(struct dlist *list, struct dnode *node)
{
	node->next = NULL;
	node->prev = list->tail;
	if (list->tail != NULL)
		list->tail->next = node;
	else
		list->head = node;
	list->tail = node;
}

static inline void dlist_prepend(struct dlist *list, struct dnode *node)
{
	if (list->head == NULL)
		dlist_append(list, node);
	else
		dlist_insert_before(list, list->head, node);
}

static inline void dlist_remove(struct dlist *list, struct dnode *node)
{
	if (node->prev != NULL)
		node->prev->next = node->next;
	else
		list->head = node->next;
	if (node->next != NULL)
		node->next->prev = node->prev;
	else
		list->tail = node->prev;
	node->next = NULL;
	node->prev = NULL;
}

#endif
