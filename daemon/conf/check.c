/*
 * The checks that need the whole file, once the walker has read it:
 * duplicate listener names, references from listeners to upstreams and
 * ACLs, what a UDP listener may bind and forward to (and which PROXY
 * protocol version it may take and send), duplicate binds,
 * and each listener's effective values (the precedence rules of conf.h).
 *
 * Its place: conf/, run by load.c after the walk (load -> check); it
 * reads the model and the document's nodes (doc.h) for the places of
 * its errors, and knows no schema.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf/check.h"

/* The position of a listener's `key` value, or of the listener. */
static struct conf_pos
check_lpos(struct conf_ctx *ctx, size_t i, const char *key, bool keynode)
{
	yaml_node_t *kn = NULL, *vn;

	vn = conf_lookup(ctx, ctx->lnodes[i], key, &kn);
	if (vn == NULL)
		return conf_node_pos(ctx->lnodes[i]);
	return conf_node_pos(keynode ? kn : vn);
}

/*
 * The checks across listeners sort what they compare (n log n, not n
 * squared: a file may hold many listeners), ties kept in file order, so
 * that each group of equals starts with the first one in the file.
 */
struct check_name {
	const char	*name;
	size_t		 listener;	/* its index: the file order */
};

static int
check_name_cmp(const void *pa, const void *pb)
{
	const struct check_name *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c != 0 ? c : (a->listener > b->listener) -
	    (a->listener < b->listener);
}

static int
check_names(struct conf_ctx *ctx, struct conf *conf)
{
	struct conf_pos first;
	struct check_name *v;
	size_t n = 0, i, g;

	if ((v = calloc(conf->nlisteners + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].name != NULL)
			v[n++] = (struct check_name){ conf->listeners[i].name,
			    i };
	qsort(v, n, sizeof(*v), check_name_cmp);
	for (g = 0, i = 1; i < n; i++) {
		if (strcmp(v[g].name, v[i].name) != 0) {
			g = i;
			continue;
		}
		first = check_lpos(ctx, v[g].listener, "name", false);
		conf_err_pos(ctx, check_lpos(ctx, v[i].listener, "name",
		    false), "listeners[%zu].name: duplicate listener name "
		    "\"%s\" (first at %lu:%lu)", v[i].listener, v[i].name,
		    first.line, first.column);
	}
	free(v);
	return 0;
}

/*
 * Upstreams or ACLs sorted by name, so that each listener's reference is
 * a binary search: a file may hold thousands of listeners and thousands
 * of upstreams, and a scan for each listener took seconds.  Names are
 * unique (the walker refused repeats), so there is one match or none.
 */
struct check_index {
	void		**v;	/* entries, each starting with its name */
	size_t		 n;
};

static int
check_index_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)*(void *const *)pa;
	const char *b = *(char *const *)*(void *const *)pb;

	return strcmp(a, b);
}

/* Indexes the `n` entries of `size` bytes at `base` by name. */
static int
check_index(struct check_index *ix, void *base, size_t n, size_t size)
{
	size_t i;

	ix->n = 0;
	if ((ix->v = calloc(n + 1, sizeof(*ix->v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		ix->v[ix->n++] = (char *)base + i * size;
	qsort(ix->v, ix->n, sizeof(*ix->v), check_index_cmp);
	return 0;
}

/* The entry named `name`, or NULL. */
static void *
check_find(const struct check_index *ix, const char *name)
{
	const void *key = &name;
	void **found;

	found = bsearch(&key, ix->v, ix->n, sizeof(*ix->v), check_index_cmp);
	return found != NULL ? *found : NULL;
}

static void
check_refs(struct conf_ctx *ctx, struct conf *conf, size_t i,
    const struct check_index *ups, const struct check_index *acls)
{
	struct conf_listener *l = &conf->listeners[i];
	size_t j;

	if (l->upstream_name != NULL) {
		l->upstream = check_find(ups, l->upstream_name);
		if (l->upstream == NULL)
			conf_err_pos(ctx, check_lpos(ctx, i, "upstream",
			    false), "listeners[%zu].upstream: no upstream "
			    "named \"%s\"", i, l->upstream_name);
	}
	if (l->acl_name != NULL) {
		l->acl = check_find(acls, l->acl_name);
		if (l->acl == NULL)
			conf_err_pos(ctx, check_lpos(ctx, i, "acl", false),
			    "listeners[%zu].acl: no acl named \"%s\"", i,
			    l->acl_name);
	}
	/* UDP is forwarded over IP only: no Unix datagram sockets. */
	if (l->protocol == CONF_PROTO_UDP) {
		for (j = 0; j < l->bind.n; j++)
			if (l->bind.v[j].addr.u.sa.sa_family == AF_UNIX)
				conf_err_pos(ctx, l->bind.v[j].pos,
				    "listeners[%zu].bind: a udp listener "
				    "needs an IP address, not unix:", i);
		for (j = 0; l->upstream != NULL &&
		    j < l->upstream->nservers; j++)
			if (l->upstream->servers[j].addr.u.sa.sa_family ==
			    AF_UNIX)
				conf_err_pos(ctx, l->upstream->servers[j].pos,
				    "upstream \"%s\": udp listener \"%s\" "
				    "needs IP servers, not unix:",
				    l->upstream->name, l->name != NULL ?
				    l->name : "?");
	}
	if (l->protocol != CONF_PROTO_UDP &&
	    conf_lookup(ctx, ctx->lnodes[i], "udp", NULL) != NULL)
		conf_err_pos(ctx, check_lpos(ctx, i, "udp", true),
		    "listeners[%zu].udp: only udp listeners take udp "
		    "settings", i);
}

/*
 * PROXY protocol (issue 14): a listener that accepts a header names the
 * peers it trusts to send one (none would refuse every client, which is
 * never what a file means); UDP carries v2 only, as v1 is a text line
 * that only a stream can hold, both ways.
 */
/* The position of a listener's proxy_protocol.`key` value, or nearest. */
static struct conf_pos
check_pppos(struct conf_ctx *ctx, size_t i, const char *key)
{
	yaml_node_t *pp, *vn = NULL;

	pp = conf_lookup(ctx, ctx->lnodes[i], "proxy_protocol", NULL);
	if (pp != NULL && pp->type == YAML_MAPPING_NODE)
		vn = conf_lookup(ctx, pp, key, NULL);
	if (vn != NULL)
		return conf_node_pos(vn);
	return check_lpos(ctx, i, "proxy_protocol", true);
}

static void
check_pp(struct conf_ctx *ctx, struct conf *conf, size_t i)
{
	const struct conf_listener *l = &conf->listeners[i];
	const struct conf_upstream *u = l->upstream;

	if (l->pp.accept != CONF_PP_OFF && l->pp.trusted.n == 0)
		conf_err_pos(ctx, check_lpos(ctx, i, "proxy_protocol", true),
		    "listeners[%zu].proxy_protocol.trusted: required when "
		    "accept is not off (the peers that may send a header)", i);
	if (l->protocol != CONF_PROTO_UDP)
		return;
	if (l->pp.accept == CONF_PP_V1 || l->pp.accept == CONF_PP_ANY)
		conf_err_pos(ctx, check_pppos(ctx, i, "accept"),
		    "listeners[%zu].proxy_protocol.accept: a udp listener "
		    "takes v2 only (v1 is for tcp)", i);
	if (u != NULL && u->pp.send == CONF_PP_V1)
		conf_err_pos(ctx, check_lpos(ctx, i, "upstream", false),
		    "listeners[%zu].upstream: upstream \"%s\" sends "
		    "proxy_protocol v1, which a udp listener cannot (v1 is "
		    "for tcp; use v2)", i, u->name);
}

/*
 * Two sockets on one (protocol, address) cannot both bind; a Unix path
 * is one file whatever the protocol.  Overlaps such as 0.0.0.0:80 and
 * 127.0.0.1:80 are left to bind(2) to report, as whether they clash
 * depends on the socket options the listener code sets.
 */
struct check_bind {
	const struct conf_addr *a;
	size_t		 listener;
	size_t		 order;		/* in the file */
	int		 space;		/* a Unix path: one for all protocols */
};

static int
check_bind_cmp(const void *pa, const void *pb)
{
	const struct check_bind *a = pa, *b = pb;
	int c;

	if (a->space != b->space)
		return a->space < b->space ? -1 : 1;
	if ((c = mio_addr_cmp(&a->a->addr, &b->a->addr)) != 0)
		return c;
	return (a->order > b->order) - (a->order < b->order);
}

static int
check_binds(struct conf_ctx *ctx, struct conf *conf)
{
	const struct conf_listener *l, *m;
	struct check_bind *v;
	char text[ADDR_STRLEN];
	size_t n = 0, i, k, g;

	for (i = 0; i < conf->nlisteners; i++)
		n += conf->listeners[i].bind.n;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (n = 0, i = 0; i < conf->nlisteners; i++) {
		l = &conf->listeners[i];
		for (k = 0; k < l->bind.n; k++, n++) {
			v[n].a = &l->bind.v[k];
			v[n].listener = i;
			v[n].order = n;
			v[n].space = l->bind.v[k].addr.u.sa.sa_family ==
			    AF_UNIX ? 0 : 1 + (int)l->protocol;
		}
	}
	qsort(v, n, sizeof(*v), check_bind_cmp);
	for (g = 0, i = 1; i < n; i++) {
		if (v[i].space != v[g].space ||
		    !mio_addr_equal(&v[i].a->addr, &v[g].a->addr)) {
			g = i;
			continue;
		}
		l = &conf->listeners[v[i].listener];
		m = &conf->listeners[v[g].listener];
		/* Counted only: aliases can make thousands. */
		if (conf_err_full(ctx)) {
			conf_err_pos(ctx, v[i].a->pos, "duplicate bind");
			continue;
		}
		conf_err_pos(ctx, v[i].a->pos, "listeners[%zu].bind: %s %s "
		    "is already bound by listener \"%s\" (at %lu:%lu)",
		    v[i].listener, l->protocol == CONF_PROTO_UDP ? "udp" :
		    "tcp", addr_str(&v[i].a->addr, text, sizeof(text)),
		    m->name != NULL ? m->name : "?", v[g].a->pos.line,
		    v[g].a->pos.column);
	}
	free(v);
	return 0;
}

static void
check_effective(struct conf *conf, struct conf_listener *l)
{
	const struct conf_timeouts *dt = &conf->defaults_timeouts;
	const struct conf_limits *dl = &conf->defaults_limits;
	struct conf_timeouts *t = &l->timeouts;

	if (t->connect_ms == CONF_UNSET)
		t->connect_ms = l->upstream != NULL ?
		    l->upstream->connect_timeout_ms : dt->connect_ms;
	if (t->idle_ms == CONF_UNSET)
		t->idle_ms = dt->idle_ms;
	if (t->half_close_ms == CONF_UNSET)
		t->half_close_ms = dt->half_close_ms;
	if (t->udp_session_ms == CONF_UNSET)
		t->udp_session_ms = dt->udp_session_ms;
	if (l->udp.session_timeout_ms == CONF_UNSET)
		l->udp.session_timeout_ms = t->udp_session_ms;
	t->udp_session_ms = l->udp.session_timeout_ms;
	if (l->limits.max_connections == CONF_UNSET)
		l->limits.max_connections = dl->max_connections;
	if (l->limits.buffer_size == CONF_UNSET)
		l->limits.buffer_size = dl->buffer_size;
}

/*
 * Health checks (issue 13): a udp check needs IP servers, and `port`
 * has no meaning for a unix: server.
 */
static void
check_health(struct conf_ctx *ctx, const struct conf_upstream *u)
{
	const struct conf_health *h = &u->health;
	size_t j;

	for (j = 0; h->enabled && j < u->nservers; j++) {
		if (u->servers[j].addr.u.sa.sa_family != AF_UNIX)
			continue;
		if (h->type == CONF_CHECK_UDP)
			conf_err_pos(ctx, u->servers[j].pos, "upstream \"%s\": "
			    "a udp health check needs IP servers, not unix:",
			    u->name);
		else if (h->port != 0)
			conf_err_pos(ctx, u->servers[j].pos, "upstream \"%s\": "
			    "health_check.port cannot apply to a unix: server",
			    u->name);
	}
}

/* hash (issue 15) says what consistent_hash hashes: no other balance. */
static void
check_hash(struct conf_ctx *ctx, const struct conf_upstream *u)
{
	if (u->hash.set && u->balance != CONF_BALANCE_CONSISTENT_HASH)
		conf_err_pos(ctx, u->hash.pos, "upstreams.%s.hash: applies "
		    "only to balance: consistent_hash", u->name);
}

/* stats: an IP address to listen on, and an ACL that exists. */
static void
check_stats(struct conf_ctx *ctx, struct conf *conf,
    const struct check_index *acls)
{
	struct conf_stats *st = &conf->stats;

	if (st->listen.n > 0 &&
	    st->listen.v[0].addr.u.sa.sa_family == AF_UNIX)
		conf_err_pos(ctx, st->listen.v[0].pos, "stats.listen: "
		    "needs an IP address, not unix:");
	if (st->acl_name != NULL &&
	    (st->acl = check_find(acls, st->acl_name)) == NULL)
		conf_err_pos(ctx, st->acl_pos, "stats.acl: no acl named "
		    "\"%s\"", st->acl_name);
}

int
conf_check(struct conf_ctx *ctx, struct conf *conf)
{
	struct check_index ups = { NULL, 0 }, acls = { NULL, 0 };
	size_t i;
	int rc;

	for (i = 0; i < conf->nupstreams; i++)
		if (conf->upstreams[i].connect_timeout_ms == CONF_UNSET)
			conf->upstreams[i].connect_timeout_ms =
			    conf->defaults_timeouts.connect_ms;
	for (i = 0; i < conf->nupstreams; i++)
		check_health(ctx, &conf->upstreams[i]);
	for (i = 0; i < conf->nupstreams; i++)
		check_hash(ctx, &conf->upstreams[i]);
	if (check_names(ctx, conf) != 0 ||
	    check_index(&ups, conf->upstreams, conf->nupstreams,
	    sizeof(*conf->upstreams)) != 0 ||
	    check_index(&acls, conf->acls, conf->nacls,
	    sizeof(*conf->acls)) != 0) {
		rc = -ENOMEM;
		goto done;
	}
	for (i = 0; i < conf->nlisteners; i++) {
		check_refs(ctx, conf, i, &ups, &acls);
		check_pp(ctx, conf, i);
		check_effective(conf, &conf->listeners[i]);
	}
	check_stats(ctx, conf, &acls);
	rc = check_binds(ctx, conf);
done:
	free(ups.v);
	free(acls.v);
	return rc;
}
