/*
 * Configuration generations: the runtime objects made from one loaded
 * file, reference-counted so that sessions keep theirs across reloads
 * (proxy.h explains the scheme).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "proxy.h"

static enum lb_algo
gen_algo(int balance)
{
	switch (balance) {
	case CONF_BALANCE_LEAST_CONN:
		return LB_LEAST_CONN;
	case CONF_BALANCE_SOURCE_HASH:
		return LB_SOURCE_HASH;
	case CONF_BALANCE_RANDOM_TWO:
		return LB_RANDOM_TWO;
	default:
		return LB_ROUND_ROBIN;
	}
}

static void
gen_free(struct gen *g)
{
	size_t i, j;

	/*
	 * A socket this generation handed over in a reload holds the next
	 * generation alive: UDP sessions of this one reply through it.
	 */
	if (g->listeners != NULL)
		for (i = 0; i < g->conf->nlisteners; i++)
			for (j = 0; j < g->listeners[i].nsocks; j++)
				if (g->listeners[i].socks[j].successor != NULL)
					gen_unref(g->listeners[i].socks[j].
					    successor->l->gen);

	/* The retry timers made so far, in the order gen_create made them. */
	for (i = 0; g->timers_held > 0 && i < g->conf->nlisteners; i++)
		for (j = 0; g->timers_held > 0 &&
		    j < g->listeners[i].nsocks; j++, g->timers_held--)
			timer_unhold(&proxy.timers,
			    &g->listeners[i].socks[j].retry);

	if (g->upstreams != NULL)
		for (i = 0; i < g->conf->nupstreams; i++) {
			free(g->upstreams[i].servers);
			free(g->upstreams[i].connect_failures);
		}
	if (g->listeners != NULL)
		for (i = 0; i < g->conf->nlisteners; i++)
			free(g->listeners[i].socks);
	free(g->upstreams);
	free(g->listeners);
	conf_free(g->conf);
	free(g);
}

int
gen_create(struct conf *conf, struct gen **out)
{
	struct gen *g;
	size_t i, j;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		conf_free(conf);	/* ours even when we fail */
		return -ENOMEM;
	}
	g->conf = conf;
	g->refs = 1;
	g->upstreams = calloc(conf->nupstreams + 1, sizeof(*g->upstreams));
	g->listeners = calloc(conf->nlisteners + 1, sizeof(*g->listeners));
	if (g->upstreams == NULL || g->listeners == NULL)
		goto nomem;
	for (i = 0; i < conf->nupstreams; i++) {
		const struct conf_upstream *cu = &conf->upstreams[i];
		struct ups *u = &g->upstreams[i];

		u->conf = cu;
		u->servers = calloc(cu->nservers + 1, sizeof(*u->servers));
		u->connect_failures = calloc(cu->nservers + 1,
		    sizeof(*u->connect_failures));
		if (u->servers == NULL || u->connect_failures == NULL)
			goto nomem;
		for (j = 0; j < cu->nservers; j++) {
			u->servers[j].weight = (uint32_t)cu->servers[j].weight;
			u->servers[j].max_conns =
			    (uint32_t)cu->servers[j].max_connections;
			u->servers[j].backup = cu->servers[j].backup;
		}
		lb_init(&u->pool, gen_algo(cu->balance), u->servers,
		    (uint32_t)cu->nservers, (uint64_t)random() << 1 | 1);
	}
	for (i = 0; i < conf->nlisteners; i++) {
		const struct conf_listener *cl = &conf->listeners[i];
		struct lstn *l = &g->listeners[i];

		l->conf = cl;
		l->gen = g;
		l->ups = &g->upstreams[cl->upstream - conf->upstreams];
		/* nsocks only with the array: gen_free() walks it. */
		l->socks = calloc(cl->bind.n + 1, sizeof(*l->socks));
		if (l->socks == NULL)
			goto nomem;
		l->nsocks = cl->bind.n;
		for (j = 0; j < l->nsocks; j++) {
			l->socks[j].l = l;
			l->socks[j].bind = &cl->bind.v[j];
			l->socks[j].fd = -1;
			timer_init(&l->socks[j].retry, NULL);
			/* A paused listener must always be able to resume. */
			if (timer_hold(&proxy.timers) != 0)
				goto nomem;
			g->timers_held++;
		}
	}
	*out = g;
	return 0;
nomem:
	gen_free(g);
	return -ENOMEM;
}

void
gen_ref(struct gen *g)
{
	g->refs++;
}

void
gen_unref(struct gen *g)
{
	if (--g->refs == 0)
		gen_free(g);
}

void
gen_retire(struct gen *g)
{
	g->retired_next = proxy.retired;
	proxy.retired = g;
}

void
gen_release_retired(void)
{
	while (proxy.retired != NULL) {
		struct gen *g = proxy.retired;

		proxy.retired = g->retired_next;
		gen_unref(g);
	}
}
