/*
 * Upstreams at run time: one record per server, and the balancer.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "upstream/health.h"
#include "upstream/upstream.h"

static enum lb_algo
upstream_algo(int balance)
{
	switch (balance) {
	case CONF_BALANCE_LEAST_CONN:
		return LB_LEAST_CONN;
	case CONF_BALANCE_SOURCE_HASH:
		return LB_SOURCE_HASH;
	case CONF_BALANCE_RANDOM_TWO:
		return LB_RANDOM_TWO;
	case CONF_BALANCE_CONSISTENT_HASH:
		return LB_CONSISTENT_HASH;
	default:
		return LB_ROUND_ROBIN;
	}
}

int
upstream_init(struct upstream *u, const struct conf_upstream *cu)
{
	size_t j;

	u->conf = cu;
	if ((u->servers = calloc(cu->nservers + 1, sizeof(*u->servers))) ==
	    NULL)
		return -ENOMEM;
	u->nservers = (uint32_t)cu->nservers;
	for (j = 0; j < cu->nservers; j++) {
		struct ups_server *s = &u->servers[j];

		s->conf = &cu->servers[j];
		s->weight = (uint32_t)cu->servers[j].weight;
		s->max_conns = (uint32_t)cu->servers[j].max_connections;
		s->backup = cu->servers[j].backup;
		if ((s->keep = keep_srv_get(cu->name, &s->conf->addr)) == NULL)
			return -ENOMEM;
	}
	/* consistent_hash's table is built here, per generation. */
	if (lb_init(&u->pool, upstream_algo(cu->balance), u->servers,
	    u->nservers, (uint64_t)random() << 1 | 1) != 0)
		return -ENOMEM;
	u->pool.slow_start_ms = cu->slow_start_ms;
	u->pool.hash_port = cu->hash.key == CONF_HASH_CLIENT_IP_PORT;
	return 0;
}

void
upstream_fini(struct upstream *u)
{
	uint32_t j;

	if (u->servers != NULL)
		for (j = 0; j < u->nservers; j++)
			keep_srv_put(u->servers[j].keep);
	lb_fini(&u->pool);
	free(u->servers);
	u->servers = NULL;
	u->nservers = 0;
}

void
upstream_failed(struct upstream *u, int i)
{
	u->servers[i].keep->connect_failures++;
	hc_failure(u->servers[i].keep, &u->conf->passive);
}

void
upstream_reset_early(struct upstream *u, int i)
{
	hc_failure(u->servers[i].keep, &u->conf->passive);
}
