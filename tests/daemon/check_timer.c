/*
 * The daemon's timer heap: order, moves, cancels, callbacks that change
 * the heap, and a randomised comparison with a plain array.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "../common.h"
#include "timer.h"

#define N 2000

static uint64_t fired[N + 8];
static unsigned nfired;

static void
record(struct timer *t, uint64_t now)
{
	(void)now;
	fired[nfired++] = t->deadline;
}

START_TEST(test_fires_in_order)
{
	static struct timer t[N];
	struct timer_heap h;
	unsigned i;

	timer_heap_init(&h);
	nfired = 0;
	srand(7);
	for (i = 0; i < N; i++) {
		timer_init(&t[i], record);
		ck_assert_int_eq(timer_set(&h, &t[i], 1000 + rand() % 5000), 0);
	}
	ck_assert_int_eq(timer_timeout_ms(&h, 0) >= 1000, 1);
	ck_assert_uint_eq(timer_run(&h, 999), 0);
	ck_assert_uint_eq(timer_run(&h, 10000), N);
	for (i = 1; i < N; i++)
		ck_assert_uint_le(fired[i - 1], fired[i]);
	for (i = 0; i < N; i++)
		ck_assert(!timer_armed(&t[i]));
	ck_assert_int_eq(timer_timeout_ms(&h, 0), -1);
	timer_heap_fini(&h);
}
END_TEST

START_TEST(test_move_and_cancel_match_reference)
{
	static struct timer t[N];
	static int armed[N];
	struct timer_heap h;
	unsigned i, round;
	uint64_t now = 0;

	timer_heap_init(&h);
	srand(11);
	for (i = 0; i < N; i++) {
		timer_init(&t[i], record);
		armed[i] = 0;
	}
	for (round = 0; round < 50000; round++) {
		i = (unsigned)rand() % N;
		switch (rand() % 3) {
		case 0:
		case 1:
			ck_assert_int_eq(timer_set(&h, &t[i],
			    now + 1 + (uint64_t)(rand() % 100000)), 0);
			armed[i] = 1;
			break;
		default:
			timer_cancel(&h, &t[i]);
			armed[i] = 0;
			break;
		}
		if (round % 5000 == 0) {
			uint64_t min = UINT64_MAX;

			for (i = 0; i < N; i++) {
				ck_assert_int_eq(timer_armed(&t[i]), armed[i]);
				if (armed[i] && t[i].deadline < min)
					min = t[i].deadline;
			}
			if (min != UINT64_MAX)
				ck_assert_int_eq(timer_timeout_ms(&h, now),
				    (int)(min - now));
		}
	}
	/* Everything left fires once, in order. */
	nfired = 0;
	timer_run(&h, UINT64_MAX - 1);
	for (i = 1; i < nfired; i++)
		ck_assert_uint_le(fired[i - 1], fired[i]);
	for (i = 0; i < N; i++)
		ck_assert(!timer_armed(&t[i]));
	timer_heap_fini(&h);
}
END_TEST

static struct timer_heap cb_heap;
static struct timer cb_timers[3];

/* Re-arms itself once, and cancels its sibling. */
static void
rearm_and_cancel(struct timer *t, uint64_t now)
{
	fired[nfired++] = now;
	if (nfired == 1)
		ck_assert_int_eq(timer_set(&cb_heap, t, t->deadline + 10), 0);
	timer_cancel(&cb_heap, &cb_timers[2]);
}

START_TEST(test_callback_changes_heap)
{
	timer_heap_init(&cb_heap);
	nfired = 0;
	timer_init(&cb_timers[0], rearm_and_cancel);
	timer_init(&cb_timers[1], record);
	timer_init(&cb_timers[2], record);
	ck_assert_int_eq(timer_set(&cb_heap, &cb_timers[0], 100), 0);
	ck_assert_int_eq(timer_set(&cb_heap, &cb_timers[1], 500), 0);
	ck_assert_int_eq(timer_set(&cb_heap, &cb_timers[2], 105), 0);
	ck_assert_uint_eq(timer_run(&cb_heap, 200), 2);	/* 100, then 110 */
	ck_assert(!timer_armed(&cb_timers[2]));
	ck_assert(timer_armed(&cb_timers[1]));
	ck_assert_int_eq(timer_timeout_ms(&cb_heap, 200), 300);
	ck_assert_int_eq(timer_timeout_ms(&cb_heap, 600), 0);
	timer_heap_fini(&cb_heap);
	ck_assert(!timer_armed(&cb_timers[1]));
}
END_TEST

/*
 * Held slots: with a slot held for every timer, arming never grows the
 * array (so it can never fail for want of memory), whatever the order of
 * sets, moves, cancels and runs; holding grows it ahead, and giving a
 * slot back disarms the timer.
 */
START_TEST(test_held_timers_never_allocate)
{
	static struct timer t[300];
	struct timer_heap h;
	struct timer **v;
	uint32_t cap;
	unsigned i, k;

	timer_heap_init(&h);
	nfired = 0;
	for (i = 0; i < 300; i++) {
		timer_init(&t[i], record);
		ck_assert_int_eq(timer_hold(&h), 0);
	}
	ck_assert_uint_eq(h.held, 300);
	ck_assert_uint_ge(h.cap, 300);
	v = h.v;
	cap = h.cap;
	srandom(7);
	for (k = 0; k < 20000; k++) {
		i = (unsigned)random() % 300;
		switch (random() % 4) {
		case 0:
		case 1:
			ck_assert_int_eq(timer_set(&h, &t[i],
			    1000 + (uint64_t)(random() % 5000)), 0);
			break;
		case 2:
			timer_cancel(&h, &t[i]);
			break;
		default:
			nfired = 0;
			(void)timer_run(&h, 1000 + (uint64_t)(random() % 500));
			break;
		}
		ck_assert_ptr_eq(h.v, v);
		ck_assert_uint_eq(h.cap, cap);
	}
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(timer_set(&h, &t[i], 9000 + i), 0);
	ck_assert_ptr_eq(h.v, v);
	ck_assert_uint_eq(h.n, 300);
	timer_unhold(&h, &t[17]);
	ck_assert(!timer_armed(&t[17]));
	ck_assert_uint_eq(h.held, 299);
	ck_assert_uint_eq(h.n, 299);
	ck_assert_int_eq(timer_timeout_ms(&h, 0), 9000);
	timer_heap_fini(&h);
}
END_TEST

START_TEST(test_clock_moves_forward)
{
	uint64_t a = timer_now_ms(), b = timer_now_ms();

	ck_assert_uint_le(a, b);
	ck_assert_uint_gt(a, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("heap");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fires_in_order);
	tcase_add_test(tc, test_move_and_cancel_match_reference);
	tcase_add_test(tc, test_callback_changes_heap);
	tcase_add_test(tc, test_held_timers_never_allocate);
	tcase_add_test(tc, test_clock_moves_forward);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
