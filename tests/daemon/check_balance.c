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
#include "conf/conf.h"
#include "upstream/balance.h"

/* Kept records for the servers of one test: up, ready, idle. */
static struct keep_srv test_keeps[16];
/* Their addresses, 127.0.0.1:8000 + i, which consistent_hash hashes. */
static struct conf_server test_confs[16];

static void
pool_init(struct lb_pool *pool, enum lb_algo algo, struct ups_server *s,
    uint32_t n, uint64_t seed)
{
	uint32_t i;

	ck_assert_uint_le(n, 16);
	memset(test_keeps, 0, sizeof(test_keeps));
	for (i = 0; i < n; i++) {
		memset(&test_confs[i], 0, sizeof(test_confs[i]));
		test_confs[i].addr.u.in4.sin_family = AF_INET;
		test_confs[i].addr.u.in4.sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
		test_confs[i].addr.u.in4.sin_port = htons((uint16_t)(8000 + i));
		test_confs[i].addr.len = sizeof(struct sockaddr_in);
		s[i].conf = &test_confs[i];
		s[i].keep = &test_keeps[i];
	}
	ck_assert_int_eq(lb_init(pool, algo, s, n, seed), 0);
}

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

	pool_init(&pool, LB_ROUND_ROBIN, s, 3, 1);
	/* The interleaved sequence of smooth weighted round robin. */
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(lb_pick(&pool, 0, NULL, NULL, 0), cycle[i]);
	for (i = 0; i < 693; i++) {
		int k = lb_pick(&pool, 0, NULL, NULL, 0);

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

	pool_init(&pool, LB_LEAST_CONN, s, 3, 1);
	/* Connections that stay open spread 1:2:1. */
	for (i = 0; i < 400; i++) {
		k = lb_pick(&pool, 0, NULL, NULL, 0);
		ck_assert_int_ge(k, 0);
		lb_acquire(&pool, (uint32_t)k);
	}
	ck_assert_uint_eq(s[0].keep->active, 100);
	ck_assert_uint_eq(s[1].keep->active, 200);
	ck_assert_uint_eq(s[2].keep->active, 100);
	/* Server 2 loses 50: it gets the next 50. */
	s[2].keep->active -= 50;
	for (i = 0; i < 50; i++) {
		k = lb_pick(&pool, 0, NULL, NULL, 0);
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

	pool_init(&pool, LB_LEAST_CONN, s, 4, 1);
	/* Short connections (released at once) still rotate. */
	for (i = 0; i < 400; i++)
		count[lb_pick(&pool, 0, NULL, NULL, 0)]++;
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

	pool_init(&pool, LB_SOURCE_HASH, s, 3, 1);
	for (i = 0; i < 4000; i++) {
		struct mio_addr c = client4(0x0a000000u + (uint32_t)i * 2654435761u);

		k = lb_pick(&pool, 0, &c.u.sa, NULL, 0);
		ck_assert_int_ge(k, 0);
		count[k]++;
		/* The same client, any port: the same server. */
		c.u.in4.sin_port ^= 0xffff;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), k);
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

		first = lb_pick(&pool, 0, &c.u.sa, NULL, 0);
		ex = (uint32_t)first;
		k = lb_pick(&pool, 0, &c.u.sa, &ex, 1);
		ck_assert_int_ne(k, first);
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, &ex, 1), k);
	}
}
END_TEST

START_TEST(test_random_two_prefers_less_loaded)
{
	struct ups_server s[4] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	int count[4] = { 0 }, i, k;

	pool_init(&pool, LB_RANDOM_TWO, s, 4, 12345);
	for (i = 0; i < 4000; i++) {
		k = lb_pick(&pool, 0, NULL, NULL, 0);
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
	for (i = 0; i < 4; i++) {
		s[i].weight = 1;
		s[i].current = 0;
		s[i].keep->active = 0;
	}
	s[0].keep->active = 1000;
	for (i = 0; i < 1000; i++)
		ck_assert_int_ne(lb_pick(&pool, 0, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_max_connections_and_exclusions)
{
	struct ups_server s[3] = { { .weight = 1, .max_conns = 2 },
	    { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	uint32_t ex[2] = { 1, 2 };
	int i;

	pool_init(&pool, LB_ROUND_ROBIN, s, 3, 1);
	s[0].keep->active = 2;
	for (i = 0; i < 10; i++)
		ck_assert_int_ne(lb_pick(&pool, 0, NULL, NULL, 0), 0);
	ck_assert_int_eq(lb_pick(&pool, 0, NULL, ex, 2), -1);
	s[0].keep->active = 1;
	ck_assert_int_eq(lb_pick(&pool, 0, NULL, ex, 2), 0);
}
END_TEST

START_TEST(test_backups_only_when_primaries_fail)
{
	struct ups_server s[3] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1, .backup = 1 } };
	enum lb_algo algos[] = { LB_ROUND_ROBIN, LB_LEAST_CONN,
	    LB_SOURCE_HASH, LB_RANDOM_TWO, LB_CONSISTENT_HASH };
	struct mio_addr c = client4(0x7f000002);
	struct lb_pool pool;
	uint32_t ex[3];
	unsigned a;
	int i, k;

	for (a = 0; a < 5; a++) {
		pool_init(&pool, algos[a], s, 3, 99);
		for (i = 0; i < 50; i++)
			ck_assert_int_ne(lb_pick(&pool, 0, &c.u.sa, NULL, 0), 2);
		/* Each try excludes the server that failed. */
		k = lb_pick(&pool, 0, &c.u.sa, NULL, 0);
		ex[0] = (uint32_t)k;
		k = lb_pick(&pool, 0, &c.u.sa, ex, 1);
		ck_assert_int_ne(k, (int)ex[0]);
		ck_assert_int_ne(k, 2);
		ex[1] = (uint32_t)k;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, ex, 2), 2);
		ex[2] = 2;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, ex, 3), -1);
		lb_fini(&pool);
	}
}
END_TEST

/* Down, ejected, drained and maint servers take no new sessions. */
START_TEST(test_states_skip_servers_and_backups_take_over)
{
	struct ups_server s[3] = { { .weight = 1 }, { .weight = 1 },
	    { .weight = 1, .backup = 1 } };
	enum lb_algo algos[] = { LB_ROUND_ROBIN, LB_LEAST_CONN,
	    LB_SOURCE_HASH, LB_RANDOM_TWO, LB_CONSISTENT_HASH };
	struct mio_addr c;
	struct lb_pool pool;
	unsigned a;
	int i;

	for (a = 0; a < 5; a++) {
		pool_init(&pool, algos[a], s, 3, 7);
		s[0].keep->admin = SRV_DRAIN;
		for (i = 0; i < 50; i++) {
			c = client4(0x7f000000u + (uint32_t)i);
			ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0),
			    1);
		}
		/* Every primary out: the backup, for every client. */
		s[1].keep->health = SRV_DOWN;
		for (i = 0; i < 50; i++) {
			c = client4(0x7f000000u + (uint32_t)i);
			ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0),
			    2);
		}
		/* Nothing left: -1 at once. */
		s[2].keep->admin = SRV_MAINT;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), -1);
		/* A primary back: the backup idles again. */
		s[1].keep->health = SRV_UP;
		s[2].keep->admin = SRV_READY;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), 1);
		s[1].keep->health = SRV_EJECTED;
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), 2);
		lb_fini(&pool);
	}
}
END_TEST

/* Picks of server 0 in 1000 round-robin picks at `now`. */
static int
picks_of_first(struct lb_pool *pool, uint64_t now)
{
	/* 1000 picks are not whole cycles: within one of the share. */
	int i, n = 0;

	for (i = 0; i < 1000; i++)
		n += lb_pick(pool, now, NULL, NULL, 0) == 0;
	return n;
}

START_TEST(test_slow_start_ramps_weight)
{
	struct ups_server s[2] = { { .weight = 10 }, { .weight = 10 } };
	struct lb_pool pool;
	int n;

	pool_init(&pool, LB_ROUND_ROBIN, s, 2, 1);
	pool.slow_start_ms = 10000;
	s[0].keep->up_since = 100000;	/* just came up */
	/* A tenth of its weight: 1 against 10. */
	n = picks_of_first(&pool, 100000);
	ck_assert(n >= 1000 / 11 && n <= 1000 / 11 + 1);
	/* Half way: 1 + 9 / 2 = 5 against 10. */
	n = picks_of_first(&pool, 105000);
	ck_assert(n >= 1000 * 5 / 15 && n <= 1000 * 5 / 15 + 1);
	/* Over: its whole weight. */
	ck_assert_int_eq(picks_of_first(&pool, 110000), 500);
	ck_assert_uint_eq(keep_srv_weight(s[0].keep, 10, 100000, 10000), 1);
	ck_assert_uint_eq(keep_srv_weight(s[0].keep, 1, 100000, 10000), 1);
}
END_TEST

START_TEST(test_operator_weight_until_the_file_changes)
{
	struct ups_server s[2] = { { .weight = 1 }, { .weight = 1 } };
	struct lb_pool pool;
	int n;

	pool_init(&pool, LB_ROUND_ROBIN, s, 2, 1);
	s[0].keep->weight_set = 3;
	s[0].keep->weight_base = 1;
	ck_assert_int_eq(picks_of_first(&pool, 0), 750);
	/* A reload gave the server another weight: the file's wins. */
	s[0].weight = 2;
	ck_assert_uint_eq(keep_srv_weight(s[0].keep, 2, 0, 0), 2);
	n = picks_of_first(&pool, 0);
	ck_assert(n == 666 || n == 667);
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
	tcase_add_test(tc, test_states_skip_servers_and_backups_take_over);
	tcase_add_test(tc, test_slow_start_ramps_weight);
	tcase_add_test(tc, test_operator_weight_until_the_file_changes);
	suite_add_tcase(su, tc);
	return tap_main(su);
}
