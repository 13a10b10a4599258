/*
 * Load-balancing algorithms; balance.h says what each promises.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include "fnv.h"
#include "upstream/balance.h"

int
lb_init(struct lb_pool *pool, enum lb_algo algo, struct ups_server *servers,
    uint32_t n, uint64_t seed)
{
	uint32_t i;
	int rc;

	pool->algo = algo;
	pool->servers = servers;
	pool->n = n;
	pool->turn = 0;
	pool->slow_start_ms = 0;
	pool->now = 0;
	pool->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	for (i = 0; i < n; i++)
		servers[i].current = 0;
	pool->hash_port = 0;
	memset(pool->maglev, 0, sizeof(pool->maglev));
	if (algo != LB_CONSISTENT_HASH)
		return 0;
	if ((rc = maglev_build(&pool->maglev[0], servers, n, 0)) != 0 ||
	    (rc = maglev_build(&pool->maglev[1], servers, n, 1)) != 0)
		return rc;
	return 0;
}

void
lb_fini(struct lb_pool *pool)
{
	maglev_free(&pool->maglev[0]);
	maglev_free(&pool->maglev[1]);
}

static int
lb_excluded(uint32_t i, const uint32_t *exclude, unsigned nex)
{
	unsigned k;

	for (k = 0; k < nex; k++)
		if (exclude[k] == i)
			return 1;
	return 0;
}

/* Eligible servers of one tier (primaries, or backups). */
static int
lb_eligible(const struct lb_pool *pool, uint32_t i, int backup,
    const uint32_t *exclude, unsigned nex)
{
	const struct ups_server *s = &pool->servers[i];

	if ((s->backup != 0) != backup || !keep_srv_takes_new(s->keep))
		return 0;
	if (s->max_conns != 0 && s->keep->active >= s->max_conns)
		return 0;
	return !lb_excluded(i, exclude, nex);
}

/* Server i's weight now (the operator's, slow start's ramp). */
static uint32_t
lb_weight(const struct lb_pool *pool, const struct ups_server *s)
{
	const struct keep_srv *k = s->keep;

	if (k->weight_set == 0 && (pool->slow_start_ms == 0 ||
	    k->up_since == 0))
		return s->weight;
	return keep_srv_weight(k, s->weight, pool->now, pool->slow_start_ms);
}

static int
lb_round_robin(struct lb_pool *pool, int backup, const uint32_t *exclude,
    unsigned nex)
{
	int64_t total = 0, w;
	int best = -1;
	uint32_t i;

	for (i = 0; i < pool->n; i++) {
		struct ups_server *s = &pool->servers[i];

		if (!lb_eligible(pool, i, backup, exclude, nex))
			continue;
		w = lb_weight(pool, s);
		s->current += w;
		total += w;
		if (best < 0 || s->current > pool->servers[best].current)
			best = (int)i;
	}
	if (best >= 0)
		pool->servers[best].current -= total;
	return best;
}

/* a has fewer connections per unit of weight than b. */
static int
lb_less_loaded(const struct lb_pool *pool, const struct ups_server *a,
    const struct ups_server *b)
{
	return a->keep->active * lb_weight(pool, b) <
	    b->keep->active * lb_weight(pool, a);
}

static int
lb_least_conn(struct lb_pool *pool, int backup, const uint32_t *exclude,
    unsigned nex)
{
	int best = -1;
	uint32_t k, i;

	for (k = 0; k < pool->n; k++) {
		i = (pool->turn + k) % pool->n;
		if (!lb_eligible(pool, i, backup, exclude, nex))
			continue;
		if (best < 0 || lb_less_loaded(pool, &pool->servers[i],
		    &pool->servers[best]))
			best = (int)i;
	}
	if (best >= 0)
		pool->turn = (uint32_t)best + 1;
	return best;
}

uint64_t
lb_client_hash(const struct sockaddr *client)
{
	const unsigned char *p;
	uint64_t h = FNV_OFFSET;
	size_t len;

	if (client == NULL)
		return h;
	switch (client->sa_family) {
	case AF_INET:
		p = (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)client)->sin_addr;
		len = 4;
		break;
	case AF_INET6:
		p = (const unsigned char *)&((const struct sockaddr_in6 *)
		    (const void *)client)->sin6_addr;
		len = 16;
		break;
	default:
		/* Unix clients are all alike: one bucket. */
		return h;
	}
	return fnv1a(h, p, len);
}

/*
 * The hash picks a point on the weighted line of the tier's servers,
 * whatever their state, so a client keeps its server across sessions.
 * When that server is excluded or full the client goes to the next
 * eligible one in order, deterministically.  (Moving only the clients of
 * a changed server when the list changes is consistent_hash's job.)
 */
static int
lb_source_hash(struct lb_pool *pool, const struct sockaddr *client,
    int backup, const uint32_t *exclude, unsigned nex)
{
	uint64_t total = 0, point;
	uint32_t i, k;

	for (i = 0; i < pool->n; i++)
		if ((pool->servers[i].backup != 0) == backup)
			total += pool->servers[i].weight;
	if (total == 0)
		return -1;
	/* The point ignores eligibility, so it is stable for the client. */
	point = lb_client_hash(client) % total;
	for (i = 0; i < pool->n; i++) {
		if ((pool->servers[i].backup != 0) != backup)
			continue;
		if (point < pool->servers[i].weight)
			break;
		point -= pool->servers[i].weight;
	}
	for (k = 0; k < pool->n; k++) {
		uint32_t j = (i + k) % pool->n;

		if (lb_eligible(pool, j, backup, exclude, nex))
			return (int)j;
	}
	return -1;
}

static uint64_t
lb_random(struct lb_pool *pool)
{
	uint64_t x = pool->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	pool->rng = x;
	return x;
}

static int
lb_random_two(struct lb_pool *pool, int backup, const uint32_t *exclude,
    unsigned nex)
{
	uint32_t eligible = 0, i, a, b, first = 0, second = 0;
	int pick_a = -1, pick_b = -1;

	for (i = 0; i < pool->n; i++)
		eligible += lb_eligible(pool, i, backup, exclude, nex);
	if (eligible == 0)
		return -1;
	a = (uint32_t)(lb_random(pool) % eligible);
	b = eligible > 1 ? (uint32_t)(lb_random(pool) % (eligible - 1)) : 0;
	if (eligible > 1 && b >= a)
		b++;		/* two distinct candidates */
	for (i = 0; i < pool->n; i++) {
		if (!lb_eligible(pool, i, backup, exclude, nex))
			continue;
		if (first++ == a)
			pick_a = (int)i;
		if (second++ == b)
			pick_b = (int)i;
	}
	if (eligible == 1)
		return pick_a;
	return lb_less_loaded(pool, &pool->servers[pick_b],
	    &pool->servers[pick_a]) ? pick_b : pick_a;
}

/*
 * The client's slot names its server; while that one is ineligible
 * (down, drained, full, or already tried for this client) the client's
 * next entries are tried (maglev.h: a stride of its own), so its clients
 * spread over the others by their shares and no other client moves.
 * Past LB_MAGLEV_WALK entries (most of the tier is out), the next
 * eligible server in order after the last entry seen: bounded, and
 * still the same on every instance.
 */
static int
lb_consistent_hash(struct lb_pool *pool, const struct sockaddr *client,
    int backup, const uint32_t *exclude, unsigned nex)
{
	const struct maglev *m = &pool->maglev[backup];
	struct maglev_walk w;
	uint32_t i = 0, k;

	if (m->size == 0)
		return -1;
	maglev_walk_start(&w, m, client, pool->hash_port);
	for (k = 0; k < LB_MAGLEV_WALK; k++) {
		i = m->slots[w.slot];
		if (lb_eligible(pool, i, backup, exclude, nex))
			return (int)i;
		maglev_walk_next(&w, m);
	}
	for (k = 1; k <= pool->n; k++) {
		uint32_t j = (i + k) % pool->n;

		if (lb_eligible(pool, j, backup, exclude, nex))
			return (int)j;
	}
	return -1;
}

static int
lb_pick_tier(struct lb_pool *pool, const struct sockaddr *client, int backup,
    const uint32_t *exclude, unsigned nex)
{
	switch (pool->algo) {
	case LB_LEAST_CONN:
		return lb_least_conn(pool, backup, exclude, nex);
	case LB_SOURCE_HASH:
		return lb_source_hash(pool, client, backup, exclude, nex);
	case LB_RANDOM_TWO:
		return lb_random_two(pool, backup, exclude, nex);
	case LB_CONSISTENT_HASH:
		return lb_consistent_hash(pool, client, backup, exclude, nex);
	default:
		return lb_round_robin(pool, backup, exclude, nex);
	}
}

int
lb_pick(struct lb_pool *pool, uint64_t now, const struct sockaddr *client,
    const uint32_t *exclude, unsigned nex)
{
	int i;

	pool->now = now;
	i = lb_pick_tier(pool, client, 0, exclude, nex);
	if (i < 0)
		i = lb_pick_tier(pool, client, 1, exclude, nex);
	return i;
}
