/*
 * consistent_hash (Maglev, upstream/maglev.h) measured: the table's size,
 * the servers' shares over 100,000 client keys against their weights, the
 * share of keys that move when one of N servers goes or comes (against
 * the ideal 1/N), walking past unavailable servers, retries on distinct
 * servers, backups, the hash key, and two processes that agree on every
 * key.  The figures are printed (stderr) as they are measured.  Known
 * answers come from an independent implementation of maglev.h's text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mio.h>

#include "../common.h"
#include "conf/conf.h"
#include "upstream/balance.h"

#define MAXS	128
#define NKEYS	100000

static struct keep_srv keeps[MAXS];
static struct conf_server confs[MAXS];
static struct ups_server srv[MAXS];
static const char *self_path;

/* Server `id` (its identity, whatever its place): 10.1.x.y:9000+id. */
static void
server_at(uint32_t place, uint32_t id, uint32_t weight, int backup)
{
	struct mio_addr *a = &confs[id].addr;

	memset(a, 0, sizeof(*a));
	a->u.in4.sin_family = AF_INET;
	a->u.in4.sin_addr.s_addr = htonl(0x0a010000u + id + 1);
	a->u.in4.sin_port = htons((uint16_t)(9000 + id));
	a->len = sizeof(a->u.in4);
	memset(&srv[place], 0, sizeof(srv[place]));
	srv[place].conf = &confs[id];
	srv[place].keep = &keeps[id];
	srv[place].weight = weight;
	srv[place].backup = backup;
}

/* Servers 0..n-1 in that order, equal weights; all up and idle. */
static void
servers_equal(uint32_t n)
{
	uint32_t i;

	memset(keeps, 0, sizeof(keeps));
	for (i = 0; i < n; i++)
		server_at(i, i, 1, 0);
}

static void
pool_make(struct lb_pool *pool, uint32_t n)
{
	ck_assert_int_eq(lb_init(pool, LB_CONSISTENT_HASH, srv, n, 1), 0);
}

/* Client key k: a distinct IPv4 address (and port) per key. */
static struct mio_addr
client(uint32_t k)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	a.u.in4.sin_family = AF_INET;
	a.u.in4.sin_addr.s_addr = htonl(0xac100000u + k);	/* 172.16/12 */
	a.u.in4.sin_port = htons((uint16_t)(1024 + k % 60000));
	a.len = sizeof(a.u.in4);
	return a;
}

/* The identity of the server key k goes to, or -1. */
static int
pick_id(struct lb_pool *pool, uint32_t k, const uint32_t *ex, unsigned nex)
{
	struct mio_addr c = client(k);
	int i = lb_pick(pool, 0, &c.u.sa, ex, nex);

	return i < 0 ? -1 : (int)(pool->servers[i].conf - confs);
}

static int
prime(uint32_t m)
{
	uint32_t d;

	for (d = 2; d * d <= m; d++)
		if (m % d == 0)
			return 0;
	return m > 1;
}

START_TEST(test_size_prime_and_large)
{
	static const uint32_t ns[] = { 1, 2, 3, 10, 655, 656, 1000, 4999,
	    65534 };
	struct lb_pool pool;
	uint32_t i, m, count[3] = { 0 };

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		m = maglev_size(ns[i]);
		ck_assert_msg(prime(m), "size %u for %u servers", m, ns[i]);
		ck_assert_uint_ge(m, 100 * ns[i]);
		ck_assert_uint_ge(m, 65537);
		/* The smallest such prime. */
		ck_assert(m == 65537 || m == 100 * ns[i] || !prime(m - 1));
	}
	ck_assert_uint_eq(maglev_size(3), 65537);
	ck_assert_uint_eq(maglev_size(1000), 100003);
	/* Every entry names a server of the tier. */
	servers_equal(3);
	pool_make(&pool, 3);
	ck_assert_uint_eq(pool.maglev[0].size, 65537);
	ck_assert_uint_eq(pool.maglev[1].size, 0);	/* no backups */
	for (i = 0; i < pool.maglev[0].size; i++) {
		ck_assert_uint_lt(pool.maglev[0].slots[i], 3);
		count[pool.maglev[0].slots[i]]++;
	}
	/* Equal weights: entries within one of M / 3. */
	for (i = 0; i < 3; i++)
		ck_assert(count[i] == 21845 || count[i] == 21846);
	lb_fini(&pool);
	lb_fini(&pool);			/* harmless twice */
}
END_TEST

/* Known answers of an independent implementation of maglev.h's text. */
START_TEST(test_known_answers)
{
	struct mio_addr a;
	struct lb_pool pool;
	static const uint16_t first16[16] = { 1, 0, 1, 2, 0, 2, 0, 0, 0, 0,
	    2, 1, 2, 0, 0, 0 };
	static const struct { const char *ip; uint32_t slot; int server; }
	    clients[] = {
		{ "198.51.100.7", 45826, 0 }, { "203.0.113.200", 23907, 2 },
		{ "192.0.2.1", 15169, 1 }, { "2001:db8::1", 6775, 0 },
	};
	uint32_t i, count[3] = { 0 }, ex[2];

	ck_assert_int_eq(mio_addr_parse(&a, "192.0.2.1:53"), 0);
	ck_assert_uint_eq(maglev_hash(&a.u.sa, 0), 0xa555d7bca76cb046ull);
	ck_assert_uint_eq(maglev_hash(&a.u.sa, 1), 0x77b60bb5b904f8fdull);
	ck_assert_int_eq(mio_addr_parse(&a, "[2001:db8::1]:443"), 0);
	ck_assert_uint_eq(maglev_hash(&a.u.sa, 1), 0x2dbd765e5e0b3f95ull);
	/* An IPv4-mapped IPv6 client is its IPv4 address. */
	ck_assert_int_eq(mio_addr_parse(&a, "[::ffff:192.0.2.1]:9"), 0);
	ck_assert_uint_eq(maglev_hash(&a.u.sa, 0), 0xa555d7bca76cb046ull);

	memset(keeps, 0, sizeof(keeps));
	ck_assert_int_eq(mio_addr_parse(&confs[0].addr, "127.0.0.1:8081"), 0);
	ck_assert_int_eq(mio_addr_parse(&confs[1].addr, "127.0.0.1:8082"), 0);
	ck_assert_int_eq(mio_addr_parse(&confs[2].addr, "10.0.0.1:53"), 0);
	for (i = 0; i < 3; i++) {
		memset(&srv[i], 0, sizeof(srv[i]));
		srv[i].conf = &confs[i];
		srv[i].keep = &keeps[i];
	}
	srv[0].weight = 3;
	srv[1].weight = 1;
	srv[2].weight = 2;
	pool_make(&pool, 3);
	ck_assert_uint_eq(pool.maglev[0].size, 65537);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(pool.maglev[0].slots[i], first16[i]);
	for (i = 0; i < pool.maglev[0].size; i++)
		count[pool.maglev[0].slots[i]]++;
	ck_assert_uint_eq(count[0], 32768);
	ck_assert_uint_eq(count[1], 10923);
	ck_assert_uint_eq(count[2], 21846);
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), strchr(clients[i].ip, ':') ?
		    "[%s]:0" : "%s:0", clients[i].ip);
		ck_assert_int_eq(mio_addr_parse(&a, text), 0);
		ck_assert_uint_eq(maglev_hash(&a.u.sa, 0) % 65537,
		    clients[i].slot);
		ck_assert_int_eq(lb_pick(&pool, 0, &a.u.sa, NULL, 0),
		    clients[i].server);
	}
	/*
	 * The walks: 192.0.2.1 strides 34070 over servers 1, 2, 0, ...;
	 * 198.51.100.7 strides 43689 over 0, 0, 0, 1, 2, ...
	 */
	ck_assert_int_eq(mio_addr_parse(&a, "192.0.2.1:0"), 0);
	ex[0] = 1;
	ck_assert_int_eq(lb_pick(&pool, 0, &a.u.sa, ex, 1), 2);
	ex[1] = 2;
	ck_assert_int_eq(lb_pick(&pool, 0, &a.u.sa, ex, 2), 0);
	ck_assert_int_eq(mio_addr_parse(&a, "198.51.100.7:0"), 0);
	keeps[0].health = SRV_DOWN;
	ck_assert_int_eq(lb_pick(&pool, 0, &a.u.sa, NULL, 0), 1);
	ex[0] = 1;
	ck_assert_int_eq(lb_pick(&pool, 0, &a.u.sa, ex, 1), 2);
	lb_fini(&pool);
}
END_TEST

/* Shares of NKEYS keys against the weights: within `tol` of each. */
static void
check_shares(const uint32_t *w, uint32_t n, double tol)
{
	struct lb_pool pool;
	uint32_t i, k, total = 0, count[MAXS] = { 0 };
	double want, got, worst = 0;

	memset(keeps, 0, sizeof(keeps));
	for (i = 0; i < n; i++) {
		server_at(i, i, w[i], 0);
		total += w[i];
	}
	pool_make(&pool, n);
	/* The table itself: entries within 2% of M * w / W each. */
	for (k = 0; k < pool.maglev[0].size; k++)
		count[pool.maglev[0].slots[k]]++;
	for (i = 0; i < n; i++) {
		want = (double)pool.maglev[0].size * w[i] / total;
		got = count[i];
		if (fabs(got / want - 1) > worst)
			worst = fabs(got / want - 1);
		ck_assert_msg(fabs(got / want - 1) <= 0.02, "server %u: %u "
		    "entries for %.1f", i, count[i], want);
		count[i] = 0;
	}
	fprintf(stderr, "# maglev table: %u servers: worst %.2f%% off "
	    "M * w / W entries (M = %u)\n", n, 100 * worst,
	    pool.maglev[0].size);
	worst = 0;
	for (k = 0; k < NKEYS; k++) {
		int id = pick_id(&pool, k, NULL, 0);

		ck_assert_int_ge(id, 0);
		count[id]++;
	}
	for (i = 0; i < n; i++) {
		want = (double)w[i] / total;
		got = (double)count[i] / NKEYS;
		if (n <= 10)
			fprintf(stderr, "# maglev share: server %u weight %u: "
			    "%.4f of %u keys (weight's share %.4f, %+.2f%%)\n",
			    i, w[i], got, NKEYS, want, 100 * (got - want) /
			    want);
		if (got / want - 1 > worst || 1 - got / want > worst)
			worst = got > want ? got / want - 1 : 1 - got / want;
		ck_assert_msg(got >= want * (1 - tol) && got <= want *
		    (1 + tol), "server %u: share %.4f, weight's %.4f", i, got,
		    want);
	}
	fprintf(stderr, "# maglev share: %u servers: worst %.2f%% off its "
	    "weight's share over %u keys\n", n, 100 * worst, NKEYS);
	lb_fini(&pool);
}

START_TEST(test_distribution_follows_weights)
{
	static const uint32_t w[] = { 1, 2, 3, 4, 10 };
	static const uint32_t eq[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	uint32_t many[100], i;

	/* A weight-1 server expects 5,000 keys: 5% is 3.5 sigma. */
	check_shares(w, 5, 0.05);
	check_shares(eq, 8, 0.05);
	for (i = 0; i < 100; i++)
		many[i] = 1 + i % 3;
	/* 500 to 1,500 keys each: 15% is 3.5 to 6 sigma. */
	check_shares(many, 100, 0.15);
}
END_TEST

/*
 * The share of NKEYS keys whose server changes from the pool over
 * servers `before` to the pool over `after` (identities: server_at()).
 */
static double
moved_share(const uint32_t *before, uint32_t nb, const uint32_t *after,
    uint32_t na, uint32_t *to_new)
{
	static int first[NKEYS];
	struct lb_pool pool;
	uint32_t i, k, moved = 0;

	memset(keeps, 0, sizeof(keeps));
	for (i = 0; i < nb; i++)
		server_at(i, before[i], 1, 0);
	pool_make(&pool, nb);
	for (k = 0; k < NKEYS; k++)
		first[k] = pick_id(&pool, k, NULL, 0);
	lb_fini(&pool);
	for (i = 0; i < na; i++)
		server_at(i, after[i], 1, 0);
	pool_make(&pool, na);
	*to_new = 0;
	for (k = 0; k < NKEYS; k++) {
		int id = pick_id(&pool, k, NULL, 0);

		if (id != first[k]) {
			moved++;
			*to_new += (uint32_t)id == after[na - 1];
		}
	}
	lb_fini(&pool);
	return (double)moved / NKEYS;
}

START_TEST(test_disruption_remove_and_add)
{
	static const uint32_t ns[] = { 5, 10, 20 };
	uint32_t ids[32], less[32], t, i, j, n, to_new, gone;
	double share, ideal;

	for (t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		n = ns[t];
		for (i = 0; i < n + 1; i++)
			ids[i] = i;
		/* Remove server 2 of n. */
		for (i = 0, j = 0; i < n; i++)
			if (i != 2)
				less[j++] = i;
		share = moved_share(ids, n, less, n - 1, &to_new);
		ideal = 1.0 / n;
		fprintf(stderr, "# maglev moved: remove 1 of %u: %.4f of %u "
		    "keys (ideal 1/N = %.4f, x%.3f)\n", n, share, NKEYS,
		    ideal, share / ideal);
		/* Its own keys must move: at least about 1/N... */
		ck_assert(share >= ideal * 0.95);
		/* ...and little more. */
		ck_assert_msg(share <= ideal * 1.25, "moved %.4f for 1/%u",
		    share, n);
		/* Add server n to n. */
		share = moved_share(ids, n, ids, n + 1, &to_new);
		ideal = 1.0 / (n + 1);
		gone = to_new;
		fprintf(stderr, "# maglev moved: add 1 to %u: %.4f of %u keys "
		    "(ideal 1/(N+1) = %.4f, x%.3f), %.4f to the new one\n", n,
		    share, NKEYS, ideal, share / ideal, (double)gone / NKEYS);
		ck_assert(share >= ideal * 0.95);
		ck_assert_msg(share <= ideal * 1.25, "moved %.4f for 1/%u",
		    share, n + 1);
		/* Most of the moved keys go to the new server. */
		ck_assert_uint_ge(gone, (uint32_t)(share * NKEYS * 0.8));
	}
}
END_TEST

/*
 * Server 2 of 5 made unavailable by `make`: its keys go to the others,
 * spread over all four, and no other key moves.
 */
static void
check_walk(void (*make)(struct lb_pool *), const char *what)
{
	static int first[NKEYS];
	struct lb_pool pool;
	uint32_t k, i, moved = 0, to[5] = { 0 };

	servers_equal(5);
	pool_make(&pool, 5);
	for (k = 0; k < NKEYS; k++)
		first[k] = pick_id(&pool, k, NULL, 0);
	make(&pool);
	for (k = 0; k < NKEYS; k++) {
		int id = pick_id(&pool, k, NULL, 0);

		ck_assert_int_ne(id, 2);
		if (first[k] != 2) {
			ck_assert_int_eq(id, first[k]);
		} else {
			moved++;
			to[id]++;
		}
	}
	fprintf(stderr, "# maglev walk (%s): %u keys of server 2 went to "
	    "0..4: %u %u %u %u %u\n", what, moved, to[0], to[1], to[2], to[3],
	    to[4]);
	ck_assert(moved > NKEYS / 5 * 0.95 && moved < NKEYS / 5 * 1.05);
	for (i = 0; i < 5; i++)
		if (i != 2)
			ck_assert_uint_ge(to[i], moved / 4 * 0.9);
	lb_fini(&pool);
}

static void
mk_down(struct lb_pool *pool)
{
	pool->servers[2].keep->health = SRV_DOWN;
}

static void
mk_ejected(struct lb_pool *pool)
{
	pool->servers[2].keep->health = SRV_EJECTED;
}

static void
mk_drain(struct lb_pool *pool)
{
	pool->servers[2].keep->admin = SRV_DRAIN;
}

static void
mk_maint(struct lb_pool *pool)
{
	pool->servers[2].keep->admin = SRV_MAINT;
}

static void
mk_full(struct lb_pool *pool)
{
	pool->servers[2].max_conns = 3;
	pool->servers[2].keep->active = 3;
}

START_TEST(test_walk_past_unavailable)
{
	check_walk(mk_down, "down");
	check_walk(mk_ejected, "ejected");
	check_walk(mk_drain, "drain");
	check_walk(mk_maint, "maint");
	check_walk(mk_full, "full");
}
END_TEST

/* Retries: each next try is a server not tried yet, until none is left. */
START_TEST(test_retries_move_to_distinct_servers)
{
	struct lb_pool pool;
	struct mio_addr c;
	uint32_t ex[5], k, j, nex;
	int i, again;

	servers_equal(5);
	pool_make(&pool, 5);
	for (k = 0; k < 2000; k++) {
		c = client(k);
		for (nex = 0; nex < 5; nex++) {
			i = lb_pick(&pool, 0, &c.u.sa, ex, nex);
			ck_assert_int_ge(i, 0);
			for (j = 0; j < nex; j++)
				ck_assert_uint_ne(ex[j], (uint32_t)i);
			/* The same for the same client and tries. */
			again = lb_pick(&pool, 0, &c.u.sa, ex, nex);
			ck_assert_int_eq(again, i);
			ex[nex] = (uint32_t)i;
		}
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, ex, 5), -1);
	}
	lb_fini(&pool);
}
END_TEST

/* 99 of 100 servers down: past the walk's bound, the scan finds the one. */
START_TEST(test_walk_bound_falls_back_to_scan)
{
	struct lb_pool pool;
	uint32_t i, k;

	servers_equal(100);
	pool_make(&pool, 100);
	for (i = 0; i < 100; i++)
		if (i != 37)
			keeps[i].health = SRV_DOWN;
	for (k = 0; k < 20000; k++)
		ck_assert_int_eq(pick_id(&pool, k, NULL, 0), 37);
	keeps[37].health = SRV_DOWN;
	for (k = 0; k < 1000; k++)
		ck_assert_int_eq(pick_id(&pool, k, NULL, 0), -1);
	lb_fini(&pool);
}
END_TEST

/* Backups: only when no primary is eligible; then consistent too. */
START_TEST(test_backups_when_no_primary)
{
	static int first[NKEYS];
	struct lb_pool pool;
	uint32_t k, used[5] = { 0 };
	int id;

	memset(keeps, 0, sizeof(keeps));
	server_at(0, 0, 1, 0);
	server_at(1, 1, 1, 1);
	server_at(2, 2, 1, 0);
	server_at(3, 3, 1, 1);
	server_at(4, 4, 1, 1);
	pool_make(&pool, 5);
	ck_assert_uint_eq(pool.maglev[0].size, 65537);
	ck_assert_uint_eq(pool.maglev[1].size, 65537);
	for (k = 0; k < 20000; k++) {
		id = pick_id(&pool, k, NULL, 0);
		ck_assert(id == 0 || id == 2);
	}
	keeps[0].health = SRV_DOWN;
	for (k = 0; k < 20000; k++)
		ck_assert_int_eq(pick_id(&pool, k, NULL, 0), 2);
	keeps[2].admin = SRV_MAINT;
	for (k = 0; k < 20000; k++) {
		first[k] = id = pick_id(&pool, k, NULL, 0);
		ck_assert(id == 1 || id == 3 || id == 4);
		used[id]++;
	}
	ck_assert(used[1] > 5000 && used[3] > 5000 && used[4] > 5000);
	/* A backup out: only its clients move. */
	keeps[3].health = SRV_EJECTED;
	for (k = 0; k < 20000; k++) {
		id = pick_id(&pool, k, NULL, 0);
		if (first[k] != 3)
			ck_assert_int_eq(id, first[k]);
		else
			ck_assert(id == 1 || id == 4);
	}
	/* A primary back: everyone on primaries again. */
	keeps[0].health = SRV_UP;
	for (k = 0; k < 20000; k++)
		ck_assert_int_eq(pick_id(&pool, k, NULL, 0), 0);
	lb_fini(&pool);
}
END_TEST

/* client_ip ignores the port; client_ip_port spreads one host's ports. */
START_TEST(test_hash_key)
{
	struct lb_pool pool;
	struct mio_addr c = client(7), c6;
	uint32_t p, used[4] = { 0 };
	int i, first;

	servers_equal(4);
	pool_make(&pool, 4);
	first = lb_pick(&pool, 0, &c.u.sa, NULL, 0);
	for (p = 1; p < 2000; p++) {
		c.u.in4.sin_port = htons((uint16_t)p);
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), first);
	}
	/* The same client over IPv6 as ::ffff:172.16.0.7: the same server. */
	ck_assert_int_eq(mio_addr_parse(&c6, "[::ffff:172.16.0.7]:5"), 0);
	ck_assert_int_eq(lb_pick(&pool, 0, &c6.u.sa, NULL, 0), first);
	pool.hash_port = 1;
	for (p = 1; p < 2000; p++) {
		c.u.in4.sin_port = htons((uint16_t)p);
		i = lb_pick(&pool, 0, &c.u.sa, NULL, 0);
		used[i]++;
		/* Each port stays where it went. */
		ck_assert_int_eq(lb_pick(&pool, 0, &c.u.sa, NULL, 0), i);
	}
	for (i = 0; i < 4; i++)
		ck_assert_uint_gt(used[i], 2000 / 4 * 0.8);
	/* No address at all (a unix listener's clients): one bucket. */
	ck_assert_int_eq(lb_pick(&pool, 0, NULL, NULL, 0),
	    lb_pick(&pool, 0, NULL, NULL, 0));
	lb_fini(&pool);
}
END_TEST

/*
 * The pool of the "same server list" in an order of its own: the
 * identities 0..n-1, weights 1 + id % 3, in a shuffle of `seed`.
 */
static void
servers_shuffled(uint32_t n, uint32_t seed)
{
	uint32_t order[MAXS], i, j, t;

	memset(keeps, 0, sizeof(keeps));
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; seed != 0 && i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		server_at(i, order[i], 1 + order[i] % 3, 0);
}

/* The child's side: every key's server identity, as bytes, on stdout. */
static int
dump_picks(uint32_t seed)
{
	static uint8_t ids[NKEYS];
	struct lb_pool pool;
	uint32_t k;
	size_t off = 0;
	ssize_t w;

	servers_shuffled(12, seed);
	if (lb_init(&pool, LB_CONSISTENT_HASH, srv, 12, 99) != 0)
		return 1;
	for (k = 0; k < NKEYS; k++)
		ids[k] = (uint8_t)pick_id(&pool, k, NULL, 0);
	lb_fini(&pool);
	while (off < sizeof(ids)) {
		if ((w = write(1, ids + off, sizeof(ids) - off)) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		off += (size_t)w;
	}
	return 0;
}

START_TEST(test_two_processes_agree)
{
	static uint8_t theirs[NKEYS];
	struct lb_pool pool;
	uint32_t k, n = 0;
	int fd[2], status, id;
	pid_t pid;
	ssize_t r;

	ck_assert_ptr_nonnull(self_path);
	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		/* A new program image: nothing shared but the text. */
		execl(self_path, self_path, "--dump-picks", "20261206",
		    (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (n < sizeof(theirs) && (r = read(fd[0], theirs + n,
	    sizeof(theirs) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(r, 0);
		n += (uint32_t)r;
	}
	close(fd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(n, NKEYS);
	/* Here: the same servers in the file's order. */
	servers_shuffled(12, 0);
	pool_make(&pool, 12);
	for (k = 0; k < NKEYS; k++) {
		id = pick_id(&pool, k, NULL, 0);
		ck_assert_msg(id == theirs[k], "key %u: %d here, %d there",
		    k, id, theirs[k]);
	}
	fprintf(stderr, "# maglev: two processes (lists in different "
	    "orders) agree on all %u keys\n", NKEYS);
	lb_fini(&pool);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	/* The other process of test_two_processes_agree: nothing else. */
	if (argc == 3 && strcmp(argv[1], "--dump-picks") == 0)
		return dump_picks((uint32_t)strtoul(argv[2], NULL, 10));
	self_path = argv[0];
	s = suite_create("maglev");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_size_prime_and_large);
	tcase_add_test(tc, test_known_answers);
	tcase_add_test(tc, test_distribution_follows_weights);
	tcase_add_test(tc, test_disruption_remove_and_add);
	tcase_add_test(tc, test_walk_past_unavailable);
	tcase_add_test(tc, test_retries_move_to_distinct_servers);
	tcase_add_test(tc, test_walk_bound_falls_back_to_scan);
	tcase_add_test(tc, test_backups_when_no_primary);
	tcase_add_test(tc, test_hash_key);
	tcase_add_test(tc, test_two_processes_agree);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
