/*
 * A binary min-heap of intrusive timers (see timer.h for the why).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "timer.h"

uint64_t
timer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
timer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
timer_heap_init(struct timer_heap *h)
{
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
	h->held = 0;
}

void
timer_heap_fini(struct timer_heap *h)
{
	uint32_t i;

	for (i = 0; i < h->n; i++)
		h->v[i]->slot = TIMER_IDLE;
	free(h->v);
	timer_heap_init(h);
}

void
timer_init(struct timer *t, timer_fn *fn)
{
	t->deadline = 0;
	t->slot = TIMER_IDLE;
	t->fn = fn;
}

static void
timer_place(struct timer_heap *h, struct timer *t, uint32_t i)
{
	h->v[i] = t;
	t->slot = i;
}

static void
timer_sift_up(struct timer_heap *h, uint32_t i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (h->v[parent]->deadline <= t->deadline)
			break;
		timer_place(h, h->v[parent], i);
		i = parent;
	}
	timer_place(h, t, i);
}

static void
timer_sift_down(struct timer_heap *h, uint32_t i)
{
	struct timer *t = h->v[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n &&
		    h->v[child + 1]->deadline < h->v[child]->deadline)
			child++;
		if (t->deadline <= h->v[child]->deadline)
			break;
		timer_place(h, h->v[child], i);
		i = child;
	}
	timer_place(h, t, i);
}

/* Makes room in h for `want` timers, doubling: 0 or -ENOMEM. */
static int
timer_grow(struct timer_heap *h, uint32_t want)
{
	uint32_t cap = h->cap ? h->cap : 64;
	struct timer **v;

	if (want <= h->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	if ((v = realloc(h->v, cap * sizeof(*v))) == NULL)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

int
timer_hold(struct timer_heap *h)
{
	int rc = timer_grow(h, h->held + 1);

	if (rc == 0)
		h->held++;
	return rc;
}

void
timer_unhold(struct timer_heap *h, struct timer *t)
{
	timer_cancel(h, t);
	h->held--;
}

int
timer_set(struct timer_heap *h, struct timer *t, uint64_t deadline)
{
	uint64_t old = t->deadline;

	if (timer_armed(t)) {
		t->deadline = deadline;
		if (deadline < old)
			timer_sift_up(h, t->slot);
		else
			timer_sift_down(h, t->slot);
		return 0;
	}
	if (h->n == h->cap && timer_grow(h, h->n + 1) != 0)
		return -ENOMEM;
	t->deadline = deadline;
	h->v[h->n] = t;
	timer_sift_up(h, h->n++);
	return 0;
}

void
timer_cancel(struct timer_heap *h, struct timer *t)
{
	uint32_t i = t->slot;
	struct timer *last;

	if (i == TIMER_IDLE)
		return;
	t->slot = TIMER_IDLE;
	last = h->v[--h->n];
	if (last == t)
		return;
	/* The last entry fills the hole and moves whichever way it must. */
	timer_place(h, last, i);
	if (i > 0 && h->v[(i - 1) / 2]->deadline > last->deadline)
		timer_sift_up(h, i);
	else
		timer_sift_down(h, i);
}

int
timer_timeout_ms(const struct timer_heap *h, uint64_t now_ms)
{
	uint64_t due;

	if (h->n == 0)
		return -1;
	due = h->v[0]->deadline;
	if (due <= now_ms)
		return 0;
	return due - now_ms > INT_MAX ? INT_MAX : (int)(due - now_ms);
}

unsigned
timer_run(struct timer_heap *h, uint64_t now_ms)
{
	unsigned ran = 0;

	while (h->n > 0 && h->v[0]->deadline <= now_ms) {
		struct timer *t = h->v[0];

		timer_cancel(h, t);
		ran++;
		t->fn(t, now_ms);
	}
	return ran;
}
