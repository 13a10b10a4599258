/*
 * Load balancing: each algorithm's distribution and weights, limits,
 * exclusions and backups.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include <mio.h>

#include "../common.h"
#include "upstream/balance.h"

static struct mio_addr
client4(uint32_t host)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	a.u.in4.sin_family = AF_INET;
	a.u.in4.sin_addr.s_addr = htonl(host);
	a.u.in4.sin_port = htons((uint16_t)(host * 7));
	a.len = sizeof(a.u.in4);
	return a;
}

START_TEST(test_round_robin_weights_smooth)
{
	struct ups_server s[3] = { { .weight = 5 }, { .weight = 1 },
	    { .weight = 1 } };
	struct lb_pool pool;
	static const int cycle[7] = { 0, 0, 1, 0, 2, 0, 0 };
	int count[3] = { 0 }, i, prev = -1, run = 0, maxrun = 0;

	lb_init(&pool, LB_ROUND_ROBIN, s, 3, 1);
	/* The interleaved sequence of smooth weighted round robin. */
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(lb_pick(&pool, NULL, NULL, 0), cycle[i]);
	for (i = 0; i < 693; i++) {
		int k = lb_pick(&pool, NULL, NULL, 0);

		ck_assert_int_ge(k, 0);
		count[k]++;
		run = k == prev ? run + 1 : 1;
		if (run > maxrun)
			maxrun = run;
		prev = k;
	}
	/* Exactly the weights over whole cycles. */
	ck_assert_int_eq(count[0], 500 - 5);
	ck_assert_int_eq(count[1], 100 - 1);
	ck_assert_int_eq(count[2], 100 - 1);
	/* Smooth: never the whole weight of one server in a row. */
	ck_assert_int_lt(maxrun, 5);
}
END_TEST

START_TEST(test_least_conn_weighted)
{
	struct ups_server s[3] = { { .weight = 1 }, { .weight = 2 },
	    { .weight = 1 } };
	struct lb_pool pool;
	int i, k;

	lb_init(&pool, LB_LEAST_CONN, s, 3, 1);
	/* Connections that stay open spread 1:2:1. */
	for (i = 0; i < 400; i++) {
		k = lb_pick(&pool, NULL, NULL, 0);
		ck_assert_int_ge(k, 0);
		lb_acquire(&pool, (uint32_t)k);
	}
	ck_assert_uint_eq(s[0].active, 100);
	ck_assert_uint_eq(s[1].active, 200);
	ck_assert_uint_eq(s[2].active, 100);
	/* Server 2 loses 50: it gets the next 50. */
	s[2].active -= 50;
	for (i = 0; i < 50; i++) {
		k = lb_pick(&pool, NULL, NULL, 0);
		ck_assert_int_eq(k, 2);
		lb_acquire(&pool, (uint32_t)k);
	}
}
END_TEST

START_TEST(test_least_conn_ties_rotate)
{
	struct ups_server s[4] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	int count[4] = { 0 }, i;

	lb_init(&pool, LB_LEAST_CONN, s, 4, 1);
	/* Short connections (released at once) still rotate. */
	for (i = 0; i < 400; i++)
		count[lb_pick(&pool, NULL, NULL, 0)]++;
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(count[i], 100);
}
END_TEST

START_TEST(test_source_hash_sticky_and_weighted)
{
	struct ups_server s[3] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 2 } };
	struct lb_pool pool;
	int count[3] = { 0 }, i, k, first;
	uint32_t ex;

	lb_init(&pool, LB_SOURCE_HASH, s, 3, 1);
	for (i = 0; i < 4000; i++) {
		struct mio_addr c = client4(0x0a000000u + (uint32_t)i * 2654435761u);

		k = lb_pick(&pool, &c.u.sa, NULL, 0);
		ck_assert_int_ge(k, 0);
		count[k]++;
		/* The same client, any port: the same server. */
		c.u.in4.sin_port ^= 0xffff;
		ck_assert_int_eq(lb_pick(&pool, &c.u.sa, NULL, 0), k);
	}
	/* About 1:1:2 of the clients. */
	ck_assert_int_gt(count[0], 700);
	ck_assert_int_lt(count[0], 1300);
	ck_assert_int_gt(count[1], 700);
	ck_assert_int_lt(count[1], 1300);
	ck_assert_int_gt(count[2], 1600);
	ck_assert_int_lt(count[2], 2400);
	/* Its server excluded, a client moves deterministically. */
	{
		struct mio_addr c = client4(0x7f000001);

		first = lb_pick(&pool, &c.u.sa, NULL, 0);
		ex = (uint32_t)first;
		k = lb_pick(&pool, &c.u.sa, &ex, 1);
		ck_assert_int_ne(k, first);
		ck_assert_int_eq(lb_pick(&pool, &c.u.sa, &ex, 1), k);
	}
}
END_TEST

START_TEST(test_random_two_prefers_less_loaded)
{
	struct ups_server s[4] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	int count[4] = { 0 }, i, k;

	lb_init(&pool, LB_RANDOM_TWO, s, 4, 12345);
	for (i = 0; i < 4000; i++) {
		k = lb_pick(&pool, NULL, NULL, 0);
		ck_assert_int_ge(k, 0);
		count[k]++;
		lb_acquire(&pool, (uint32_t)k);
	}
	/* Long-lived load ends up nearly even: within a few of 1000. */
	for (i = 0; i < 4; i++) {
		ck_assert_int_gt(count[i], 990);
		ck_assert_int_lt(count[i], 1010);
	}
	/* A heavily loaded server is never picked over an idle pair. */
	memset(s, 0, sizeof(s));
	for (i = 0; i < 4; i++)
		s[i].weight = 1;
	s[0].active = 1000;
	for (i = 0; i < 1000; i++)
		ck_assert_int_ne(lb_pick(&pool, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_max_connections_and_exclusions)
{
	struct ups_server s[3] = { { .weight = 1, .max_conns = 2 },
	    { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	uint32_t ex[2] = { 1, 2 };
	int i;

	lb_init(&pool, LB_ROUND_ROBIN, s, 3, 1);
	s[0].active = 2;
	for (i = 0; i < 10; i++)
		ck_assert_int_ne(lb_pick(&pool, NULL, NULL, 0), 0);
	ck_assert_int_eq(lb_pick(&pool, NULL, ex, 2), -1);
	s[0].active = 1;
	ck_assert_int_eq(lb_pick(&pool, NULL, ex, 2), 0);
}
END_TEST

START_TEST(test_backups_only_when_primaries_fail)
{
	struct ups_server s[3] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1, .backup = 1 } };
	enum lb_algo algos[] = { LB_ROUND_ROBIN, LB_LEAST_CONN,
	    LB_SOURCE_HASH, LB_RANDOM_TWO };
	struct mio_addr c = client4(0x7f000002);
	struct lb_pool pool;
	uint32_t ex[3];
	unsigned a;
	int i, k;

	for (a = 0; a < 4; a++) {
		lb_init(&pool, algos[a], s, 3, 99);
		for (i = 0; i < 50; i++)
			ck_assert_int_ne(lb_pick(&pool, &c.u.sa, NULL, 0), 2);
		/* Each try excludes the server that failed. */
		k = lb_pick(&pool, &c.u.sa, NULL, 0);
		ex[0] = (uint32_t)k;
		k = lb_pick(&pool, &c.u.sa, ex, 1);
		ck_assert_int_ne(k, (int)ex[0]);
		ck_assert_int_ne(k, 2);
		ex[1] = (uint32_t)k;
		ck_assert_int_eq(lb_pick(&pool, &c.u.sa, ex, 2), 2);
		ex[2] = 2;
		ck_assert_int_eq(lb_pick(&pool, &c.u.sa, ex, 3), -1);
	}
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("balance");
	TCase *tc = tcase_create("algorithms");

	tcase_add_test(tc, test_round_robin_weights_smooth);
	tcase_add_test(tc, test_least_conn_weighted);
	tcase_add_test(tc, test_least_conn_ties_rotate);
	tcase_add_test(tc, test_source_hash_sticky_and_weighted);
	tcase_add_test(tc, test_random_two_prefers_less_loaded);
	tcase_add_test(tc, test_max_connections_and_exclusions);
	tcase_add_test(tc, test_backups_only_when_primaries_fail);
	suite_add_tcase(su, tc);
	return tap_main(su);
}
