/*
 * The daemon's timers: a binary min-heap of deadlines whose earliest
 * entry becomes mio_poll_wait()'s timeout, as mio leaves timers to its
 * users.  Timers are intrusive (embedded in the session or listener that
 * owns them) and know their heap slot, so adding, moving and cancelling
 * are O(log n) with no search, and nothing allocates except when the heap
 * array grows.  An owner that must not lose its timer to a failed
 * allocation (a session whose idle timeout would never come, a paused
 * listener that would never resume) holds a slot when it is made
 * (timer_hold(), which can fail then, where failing is clean) and gives
 * it back when it goes (timer_unhold()): the array always has room for
 * every held timer, so arming one never allocates and never fails.
 *
 * Timeouts that move on every byte (idle) should not be re-keyed per
 * read: keep a last-activity time in the owner and, when the timer fires
 * early, push it to last_activity + idle.  The heap is then touched once
 * per idle period, not once per event.
 */
#ifndef MIOPROXY_TIMER_H
#define MIOPROXY_TIMER_H

#include <stdint.h>

struct timer;
typedef void timer_fn(struct timer *t, uint64_t now_ms);

struct timer {
	uint64_t	 deadline;	/* CLOCK_MONOTONIC milliseconds */
	uint32_t	 slot;		/* heap index; TIMER_IDLE when not armed */
	timer_fn	*fn;
};

#define TIMER_IDLE UINT32_MAX

struct timer_heap {
	struct timer	**v;
	uint32_t	  n;		/* armed */
	uint32_t	  cap;		/* room in v */
	uint32_t	  held;		/* slots promised by timer_hold() */
};

/* The monotonic clock in milliseconds. */
uint64_t timer_now_ms(void);
/* The same clock in microseconds, for measuring (connect times). */
uint64_t timer_now_us(void);

void	timer_heap_init(struct timer_heap *h);
void	timer_heap_fini(struct timer_heap *h);

/* Prepares a timer that is not armed; fn runs when it expires. */
void	timer_init(struct timer *t, timer_fn *fn);
/*
 * Arms t for `deadline`, or moves it there if armed: 0, or -ENOMEM (only
 * when more timers are armed than slots are held).
 */
int	timer_set(struct timer_heap *h, struct timer *t, uint64_t deadline);
/* Disarms t; harmless if not armed. */
void	timer_cancel(struct timer_heap *h, struct timer *t);
/* Promises one more timer room in the heap: 0 or -ENOMEM. */
int	timer_hold(struct timer_heap *h);
/* Disarms t and gives back the slot its owner held. */
void	timer_unhold(struct timer_heap *h, struct timer *t);

static inline int
timer_armed(const struct timer *t)
{
	return t->slot != TIMER_IDLE;
}

/*
 * Milliseconds until the earliest deadline, rounded up, for
 * mio_poll_wait(): -1 when nothing is armed, 0 when one is due.
 */
int	timer_timeout_ms(const struct timer_heap *h, uint64_t now_ms);
/*
 * Disarms and runs every timer due at now_ms, earliest first; a callback
 * may set, cancel or free timers, its own included.  Returns how many ran.
 */
unsigned timer_run(struct timer_heap *h, uint64_t now_ms);

#endif /* MIOPROXY_TIMER_H */
