/*
 * The counting of health states (daemon/upstream/health_state.c): rise
 * and fall runs, passive failures within a window, ejections and their
 * end, on a kept server record and nothing else.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "../common.h"
#include "upstream/health_state.h"

static struct conf_health hc = { .enabled = true, .rise = 2, .fall = 3,
    .interval_ms = 1000, .timeout_ms = 500 };
static struct conf_passive pv = { .enabled = true, .max_fails = 3,
    .window_ms = 10000, .eject_for_ms = 30000 };

static struct keep_srv *
srv(void)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	a.u.in4.sin_family = AF_INET;
	a.u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.u.in4.sin_port = htons(8081);
	a.len = sizeof(a.u.in4);
	return keep_srv_get("web", &a);
}

START_TEST(test_fall_then_rise)
{
	struct keep_srv *k = srv();

	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 100), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 200), HC_SAME);
	/* A pass breaks the run of failures. */
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 300), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 400), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 500), HC_SAME);
	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 600), HC_WENT_DOWN);
	ck_assert_int_eq(k->health, SRV_DOWN);
	ck_assert(!keep_srv_takes_new(k));
	/* Once down, more failures change nothing (one log line). */
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 700), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 800), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 900), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 1000), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 1100), HC_WENT_UP);
	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert(keep_srv_takes_new(k));
	/* Slow start's clock begins as it comes back. */
	ck_assert_uint_eq(k->up_since, 1100);
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 1200), HC_SAME);
	ck_assert_uint_eq(k->checks[0], 5);
	ck_assert_uint_eq(k->checks[1], 7);
	keep_srv_put(k);
}
END_TEST

START_TEST(test_rise_one_fall_one)
{
	struct conf_health h = hc;
	struct keep_srv *k = srv();

	h.rise = 1;
	h.fall = 1;
	ck_assert_int_eq(hc_state_check(k, &h, 0, 10), HC_WENT_DOWN);
	ck_assert_int_eq(hc_state_check(k, &h, 1, 20), HC_WENT_UP);
	ck_assert_int_eq(hc_state_check(k, &h, 0, 30), HC_WENT_DOWN);
	keep_srv_put(k);
}
END_TEST

START_TEST(test_passive_window)
{
	struct keep_srv *k = srv();

	ck_assert_int_eq(hc_state_failure(k, &pv, 1000), HC_SAME);
	ck_assert_int_eq(hc_state_failure(k, &pv, 2000), HC_SAME);
	/* The window (10 s from the first failure) is over: count anew. */
	ck_assert_int_eq(hc_state_failure(k, &pv, 11000), HC_SAME);
	ck_assert_int_eq(hc_state_failure(k, &pv, 12000), HC_SAME);
	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert_int_eq(hc_state_failure(k, &pv, 13000), HC_EJECTED);
	ck_assert_int_eq(k->health, SRV_EJECTED);
	ck_assert(!keep_srv_takes_new(k));
	ck_assert_uint_eq(k->ejected_until, 43000);
	/* Ejected: failures are not counted, checks do not end it. */
	ck_assert_int_eq(hc_state_failure(k, &pv, 14000), HC_SAME);
	ck_assert_int_eq(hc_state_check(k, &hc, 1, 15000), HC_SAME);
	ck_assert_int_eq(hc_state_eject_over(k, 42999), HC_SAME);
	ck_assert_int_eq(k->health, SRV_EJECTED);
	ck_assert_int_eq(hc_state_eject_over(k, 43000), HC_RESTORED);
	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert_uint_eq(k->up_since, 43000);
	ck_assert_int_eq(hc_state_eject_over(k, 44000), HC_SAME);
	keep_srv_put(k);
}
END_TEST

START_TEST(test_passive_off_and_down)
{
	struct conf_passive off = pv;
	struct keep_srv *k = srv();
	int i;

	off.enabled = false;
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(hc_state_failure(k, &off, 100), HC_SAME);
	/* An ejected server that fails its checks goes down. */
	for (i = 0; i < 3; i++)
		(void)hc_state_failure(k, &pv, 100);
	ck_assert_int_eq(k->health, SRV_EJECTED);
	(void)hc_state_check(k, &hc, 0, 200);
	(void)hc_state_check(k, &hc, 0, 300);
	ck_assert_int_eq(hc_state_check(k, &hc, 0, 400), HC_WENT_DOWN);
	ck_assert_int_eq(hc_state_eject_over(k, 1000000), HC_SAME);
	ck_assert_int_eq(k->health, SRV_DOWN);
	/* Down: it takes no sessions, so it fails none. */
	ck_assert_int_eq(hc_state_failure(k, &pv, 500), HC_SAME);
	ck_assert_uint_eq(k->pf_fails, 0);
	/* Its check removed: up again. */
	ck_assert_int_eq(hc_state_unchecked(k, 600), HC_WENT_UP);
	ck_assert_int_eq(k->health, SRV_UP);
	ck_assert_int_eq(hc_state_unchecked(k, 700), HC_SAME);
	keep_srv_put(k);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("health_state");
	TCase *tc = tcase_create("health_state");

	tcase_add_test(tc, test_fall_then_rise);
	tcase_add_test(tc, test_rise_one_fall_one);
	tcase_add_test(tc, test_passive_window);
	tcase_add_test(tc, test_passive_off_and_down);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
