/*
 * Work left over for the next turn of the loop: a socket that stopped
 * reading before it heard -EAGAIN, so that one busy socket cannot starve
 * the others, goes on after the next wait (which then does not block).
 * On poll(2) no event would come for it, since only -EAGAIN re-arms.
 *
 * Two lists: this turn's, and the last turn's, which is served now, so
 * that every deferred socket waits for one wait of the loop, in which
 * the others are heard.  The owner embeds a defer_node and finds itself
 * from it; it removes the node before its memory goes.
 */
#ifndef MIOPROXY_DEFER_H
#define MIOPROXY_DEFER_H

#include <stddef.h>

struct defer_node {
	struct defer_node *next;
	int		   queued;
};

struct defer_list {
	struct defer_node *now;		/* deferred in this turn */
	struct defer_node *last;	/* in the last one: served now */
};

static inline void
defer_push(struct defer_list *dl, struct defer_node *n)
{
	if (n->queued)
		return;
	n->queued = 1;
	n->next = dl->now;
	dl->now = n;
}

static inline int
defer_any(const struct defer_list *dl)
{
	return dl->now != NULL || dl->last != NULL;
}

/*
 * The last turn's nodes, that list emptied, and this turn's become the
 * last.  The caller walks the result by next, reading each node's next
 * before it serves it (serving may defer it again).
 */
static inline struct defer_node *
defer_take(struct defer_list *dl)
{
	struct defer_node *list = dl->last, *n;

	dl->last = dl->now;
	dl->now = NULL;
	for (n = list; n != NULL; n = n->next)
		n->queued = 0;
	return list;
}

static inline void
defer_unlink(struct defer_node **pp, const struct defer_node *n)
{
	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

/* n leaves whichever list holds it (a short walk: few are deferred). */
static inline void
defer_remove(struct defer_list *dl, struct defer_node *n)
{
	if (!n->queued)
		return;
	defer_unlink(&dl->now, n);
	defer_unlink(&dl->last, n);
	n->queued = 0;
}

#endif
