/*
 * Configuration generations (gen.h): made from a loaded file, each
 * listener wired to its protocol's handler, freed with their last
 * reference.  A generation derived for names that move shares its file's
 * configuration: struct gen_file counts the generations that use it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "relay/gen.h"
#include "relay/listener.h"
#include "upstream/upstream.h"

struct gen_file {
	struct conf	*conf;
	unsigned	 refs;
};

/* Generations a reload replaced, released after the batch. */
static struct gen *gen_retired;

static void
gen_file_unref(struct gen_file *f)
{
	if (f != NULL && --f->refs == 0) {
		conf_free(f->conf);
		free(f);
	}
}

/* A derived configuration: only what it does not share with its file. */
static void
gen_conf_free(struct conf *c, bool *own)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nupstreams; i++)
		if (own[i])
			free(c->upstreams[i].servers);
	if (c != NULL) {
		free(c->upstreams);
		free(c->listeners);
	}
	free(c);
	free(own);
}

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
	if (g->own != NULL)
		gen_conf_free(g->conf, g->own);
	gen_file_unref(g->file);
	free(g);
}

/* The run-time objects of g->conf: 0, or -ENOMEM (g is then freed). */
static int
gen_build(struct gen *g, const struct lstn_proto *const protos[])
{
	const struct conf *conf = g->conf;
	const struct conf_listener *cl;
	size_t i;

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
	return 0;
nomem:
	gen_free(g);
	return -ENOMEM;
}

int
gen_create(struct conf *conf, const struct lstn_proto *const protos[],
    struct gen **out)
{
	struct gen *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->file = calloc(1, sizeof(*g->file))) == NULL) {
		free(g);
		conf_free(conf);	/* ours even when we fail */
		return -ENOMEM;
	}
	g->conf = conf;
	g->file->conf = conf;
	g->file->refs = 1;
	if ((rc = gen_build(g, protos)) != 0)
		return rc;
	*out = g;
	return 0;
}

/*
 * The copy of from's configuration for gen_derive(): its own upstreams
 * and listeners arrays, the listeners pointing into them, and each
 * upstream's servers replaced, or copied when from owned them.
 */
static int
gen_derive_conf(const struct gen *from, struct conf_server **servers,
    const size_t *nservers, struct conf **cp, bool **ownp)
{
	const struct conf *fc = from->conf;
	struct conf *c;
	bool *own;
	size_t i, n;

	*cp = c = calloc(1, sizeof(*c));
	*ownp = own = calloc(fc->nupstreams + 1, sizeof(*own));
	if (c == NULL || own == NULL)
		return -ENOMEM;
	*c = *fc;
	c->upstreams = calloc(fc->nupstreams + 1, sizeof(*c->upstreams));
	c->listeners = calloc(fc->nlisteners + 1, sizeof(*c->listeners));
	if (c->upstreams == NULL || c->listeners == NULL)
		return -ENOMEM;
	memcpy(c->upstreams, fc->upstreams, fc->nupstreams *
	    sizeof(*c->upstreams));
	memcpy(c->listeners, fc->listeners, fc->nlisteners *
	    sizeof(*c->listeners));
	for (i = 0; i < fc->nlisteners; i++)
		c->listeners[i].upstream = c->upstreams +
		    (fc->listeners[i].upstream - fc->upstreams);
	for (i = 0; i < fc->nupstreams; i++) {
		if (servers[i] != NULL) {
			c->upstreams[i].servers = servers[i];
			c->upstreams[i].nservers = nservers[i];
			servers[i] = NULL;
			own[i] = true;
		} else if (from->own != NULL && from->own[i]) {
			n = fc->upstreams[i].nservers;
			c->upstreams[i].servers = calloc(n + 1,
			    sizeof(*c->upstreams[i].servers));
			if (c->upstreams[i].servers == NULL)
				return -ENOMEM;
			memcpy(c->upstreams[i].servers,
			    fc->upstreams[i].servers,
			    n * sizeof(*c->upstreams[i].servers));
			own[i] = true;
		}
	}
	return 0;
}

int
gen_derive(struct gen *from, const struct lstn_proto *const protos[],
    struct conf_server **servers, const size_t *nservers, struct gen **out)
{
	struct conf *c = NULL;
	struct gen *g = NULL;
	bool *own = NULL;
	size_t i;

	if (gen_derive_conf(from, servers, nservers, &c, &own) != 0 ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		for (i = 0; i < from->conf->nupstreams; i++) {
			free(servers[i]);
			servers[i] = NULL;
		}
		if (c != NULL && c->upstreams == NULL)
			c->nupstreams = 0;
		gen_conf_free(c, own);
		return -ENOMEM;
	}
	g->conf = c;
	g->own = own;
	g->file = from->file;
	g->file->refs++;
	if (gen_build(g, protos) != 0)
		return -ENOMEM;
	*out = g;
	return 0;
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
