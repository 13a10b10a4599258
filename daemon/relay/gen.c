/*
 * Configuration generations (gen.h): made from a loaded file, each
 * listener wired to its protocol's handler, freed with their last
 * reference.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "relay/gen.h"
#include "relay/gen.h"
#include "relay/listener.h"
#include "upstream/upstream.h"

/* Generations a reload replaced, released after the batch. */
static struct gen *gen_retired;

static void
gen_free(struct gen *g)
{
	size_t i;

	if (g->listeners != NULL)
		for (i = 0; i < g->conf->nlisteners; i++)
			lstn_fini(&g->listeners[i]);
	if (g->upstreams != NULL)
		for (i = 0; i < g->conf->nupstreams; i++)
			upstream_fini(&g->upstreams[i]);
	free(g->upstreams);
	free(g->listeners);
	conf_free(g->conf);
	free(g);
}

int
gen_create(struct conf *conf, const struct lstn_proto *const protos[],
    struct gen **out)
{
	const struct conf_listener *cl;
	struct gen *g;
	size_t i;

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
	for (i = 0; i < conf->nupstreams; i++)
		if (upstream_init(&g->upstreams[i], &conf->upstreams[i]) != 0)
			goto nomem;
	for (i = 0; i < conf->nlisteners; i++) {
		cl = &conf->listeners[i];
		if (lstn_init(&g->listeners[i], cl, protos[cl->protocol], g,
		    &g->upstreams[cl->upstream - conf->upstreams]) != 0)
			goto nomem;
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
	g->retired_next = gen_retired;
	gen_retired = g;
}

void
gen_release_retired(void)
{
	while (gen_retired != NULL) {
		struct gen *g = gen_retired;

		gen_retired = g->retired_next;
		gen_unref(g);
	}
}
