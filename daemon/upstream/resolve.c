/*
 * Names that move (resolve.h): each followed name, its last good
 * addresses and when to ask again.
 *
 * An answer is only recorded here: a changed one is applied after the
 * batch by the process (a new generation, which commits back here), as
 * nothing may remake generations or close the channel inside c-ares.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <ares.h>

#include "log.h"
#include "model/keep.h"
#include "upstream/resolve.h"

struct rs_host {
	char		*host;
	struct mio_addr	*addrs;		/* the last good answer, port 0 */
	size_t		 n;
	uint64_t	 learned;	/* timer_now_ms() of it; 0: none */
	uint32_t	 ttl;		/* its TTL, seconds */
	uint64_t	 due;		/* next lookup; 0: not planned */
	int		 inflight;
	int		 dead;		/* dropped while in flight */
	int		 mark;
	struct log_every fail_log;
};

static struct rs_host **rs_hosts;
static size_t rs_nhosts;
static void	rs_fire(struct timer *t, uint64_t now);
static void	rs_arm(void);

static struct resolve_env rs_env;
static struct conf_resolver rs_res;	/* the servers asked, own copy */
static int rs_changed;			/* an answer differs: apply it */
static struct timer rs_timer;
static int rs_timer_held;

int
resolve_setup(const struct resolve_env *env)
{
	int rc;

	rs_env = *env;
	if (!rs_timer_held) {
		if ((rc = timer_hold(rs_env.timers)) != 0)
			return rc;
		timer_init(&rs_timer, rs_fire);
		rs_timer_held = 1;
	}
	return 0;
}

const struct conf_resolver *
resolve_resolver(void)
{
	return &rs_res;
}

int
resolve_take_changed(void)
{
	int c = rs_changed;

	rs_changed = 0;
	return c;
}

static struct rs_host *
rs_find(const char *host)
{
	size_t i;

	for (i = 0; i < rs_nhosts; i++)
		if (strcmp(rs_hosts[i]->host, host) == 0)
			return rs_hosts[i];
	return NULL;
}

static void
rs_host_free(struct rs_host *h)
{
	free(h->host);
	free(h->addrs);
	free(h);
}

static struct rs_host *
rs_add(const char *host)
{
	struct rs_host *h, **nv;

	if ((nv = realloc(rs_hosts, (rs_nhosts + 1) * sizeof(*nv))) == NULL)
		return NULL;
	rs_hosts = nv;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->host = strdup(host)) == NULL) {
		free(h);
		return NULL;
	}
	rs_hosts[rs_nhosts++] = h;
	return h;
}

/* Replaces h's answer; 1 when it differs from the one it had. */
static int
rs_store(struct rs_host *h, const struct mio_addr *addrs, size_t n)
{
	struct mio_addr *v;
	size_t i;

	if (n == h->n) {
		for (i = 0; i < n && mio_addr_equal(&h->addrs[i], &addrs[i]);
		    i++)
			;
		if (i == n)
			return 0;
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return 0;	/* the last good one stays */
	memcpy(v, addrs, n * sizeof(*v));
	free(h->addrs);
	h->addrs = v;
	h->n = n;
	return 1;
}

/* When to ask again after an answer with `ttl`, at `now`. */
static uint64_t
rs_next(uint64_t now, uint32_t ttl)
{
	uint64_t ms = (uint64_t)ttl * 1000;
	uint64_t refresh = (uint64_t)(rs_res.refresh_ms > 0 ?
	    rs_res.refresh_ms : CONF_RESOLVER_REFRESH_MS);

	if (ms > refresh)
		ms = refresh;
	if (ms < RESOLVE_FLOOR_MS)
		ms = RESOLVE_FLOOR_MS;
	return now + ms;
}

void
resolve_learn(const char *host, const struct mio_addr *addrs, size_t n,
    uint32_t ttl)
{
	struct rs_host *h = rs_find(host);

	if (h == NULL && (h = rs_add(host)) == NULL)
		return;		/* out of memory: asked again when due */
	/* A reload's answer that differs is applied even if the reload
	 * fails (resolve_servers() compares with what serves). */
	if (rs_store(h, addrs, n))
		rs_changed = 1;
	h->learned = timer_now_ms();
	h->ttl = ttl;
	if (h->due != 0 && !h->inflight) {
		h->due = rs_next(h->learned, ttl);
		rs_arm();
	}
}

const struct mio_addr *
resolve_last(const char *host, size_t *n)
{
	struct rs_host *h = rs_find(host);

	if (h == NULL || h->n == 0)
		return NULL;
	*n = h->n;
	return h->addrs;
}

/* The timer at the earliest due name not in flight. */
static void
rs_arm(void)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < rs_nhosts; i++)
		if (!rs_hosts[i]->inflight && rs_hosts[i]->due != 0 &&
		    rs_hosts[i]->due < next)
			next = rs_hosts[i]->due;
	if (!rs_timer_held)
		return;
	if (next == UINT64_MAX)
		timer_cancel(rs_env.timers, &rs_timer);
	else
		(void)timer_set(rs_env.timers, &rs_timer, next);
}

static void
rs_failed(struct rs_host *h, int status)
{
	uint64_t unsaid, now = *rs_env.now;

	keep_proc.resolve_failures++;
	h->due = rs_next(now, UINT32_MAX);	/* the refresh */
	if (!log_every_due(&h->fail_log, now, RESOLVE_LOG_EVERY_MS, &unsaid))
		return;
	if (unsaid > 0)
		log_warn("resolver: \"%s\": %s: keeping its last %zu "
		    "addresses (%llu failures since the last line)", h->host,
		    ares_strerror(status), h->n, (unsigned long long)unsaid);
	else
		log_warn("resolver: \"%s\": %s: keeping its last %zu "
		    "addresses", h->host, ares_strerror(status), h->n);
}

void
resolve_answer(void *token, int status, const struct mio_addr *addrs,
    size_t n, uint32_t ttl)
{
	struct rs_host *h = token;
	uint64_t now = *rs_env.now;

	h->inflight = 0;
	if (h->dead) {
		rs_host_free(h);
		return;
	}
	if (status == ARES_EDESTRUCTION) {
		h->due = now;		/* the channel is being remade */
		rs_arm();
		return;
	}
	if (status != ARES_SUCCESS) {
		rs_failed(h, status);
	} else {
		h->learned = now;
		h->ttl = ttl;
		h->due = rs_next(now, ttl);
		if (rs_store(h, addrs, n)) {
			log_info("resolver: \"%s\" now has %zu addresses",
			    h->host, n);
			rs_changed = 1;
		}
	}
	rs_arm();
}

static void
rs_fire(struct timer *t, uint64_t now)
{
	struct rs_host *h;
	size_t i;

	(void)t;
	for (i = 0; i < rs_nhosts; i++) {
		h = rs_hosts[i];
		if (h->inflight || h->due == 0 || h->due > now)
			continue;
		h->inflight = 1;
		h->due = 0;
		/* May answer at once (a channel that cannot open). */
		rs_env.lookup(h->host, h);
	}
	rs_arm();
}

static void
rs_port(struct mio_addr *a, uint16_t port_net)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = port_net;
	else
		a->u.in6.sin6_port = port_net;
}

static uint16_t
rs_port_of(const struct mio_addr *a)
{
	return a->u.sa.sa_family == AF_INET ? a->u.in4.sin_port :
	    a->u.in6.sin6_port;
}

/* The end of the entry that begins at servers[i]: its name, its place. */
static size_t
rs_entry_end(const struct conf_upstream *cu, size_t i)
{
	const struct conf_server *s = &cu->servers[i];
	size_t j = i + 1;

	while (j < cu->nservers && cu->servers[j].name != NULL &&
	    strcmp(cu->servers[j].name, s->name) == 0 &&
	    cu->servers[j].pos.line == s->pos.line &&
	    cu->servers[j].pos.column == s->pos.column)
		j++;
	return j;
}

/* Whether the entry servers[i..j) already has h's addresses. */
static int
rs_entry_same(const struct conf_upstream *cu, size_t i, size_t j,
    const struct rs_host *h)
{
	struct mio_addr a;
	size_t k;

	if (h == NULL || h->n == 0)
		return 1;	/* nothing better known: keep what is */
	if (j - i != h->n)
		return 0;
	for (k = 0; k < h->n; k++) {
		a = h->addrs[k];
		rs_port(&a, rs_port_of(&cu->servers[i].addr));
		if (!mio_addr_equal(&a, &cu->servers[i + k].addr))
			return 0;
	}
	return 1;
}

int
resolve_servers(const struct conf_upstream *cu, struct conf_server **out,
    size_t *n)
{
	const struct rs_host *h;
	struct conf_server *v;
	size_t i, j, k, count = 0, used = 0;
	int same = 1;

	*out = NULL;
	*n = 0;
	for (i = 0; i < cu->nservers; i = j) {
		j = cu->servers[i].name == NULL ? i + 1 : rs_entry_end(cu, i);
		h = cu->servers[i].name == NULL ? NULL :
		    rs_find(cu->servers[i].name);
		if (!rs_entry_same(cu, i, j, h))
			same = 0;
		count += h != NULL && h->n > 0 && cu->servers[i].name != NULL ?
		    h->n : j - i;
	}
	if (same)
		return 0;
	if (count > CONF_SERVERS_MAX)
		count = CONF_SERVERS_MAX;
	if ((v = calloc(count + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cu->nservers && used < count; i = j) {
		j = cu->servers[i].name == NULL ? i + 1 : rs_entry_end(cu, i);
		h = cu->servers[i].name == NULL ? NULL :
		    rs_find(cu->servers[i].name);
		if (h == NULL || h->n == 0) {
			for (k = i; k < j && used < count; k++)
				v[used++] = cu->servers[k];
			continue;
		}
		for (k = 0; k < h->n && used < count; k++) {
			v[used] = cu->servers[i];	/* the entry's settings */
			v[used].addr = h->addrs[k];
			rs_port(&v[used].addr, rs_port_of(&cu->servers[i].addr));
			used++;
		}
	}
	*out = v;
	*n = used;
	return 0;
}

/* Every followed name of conf, marked (added if new): 0 or -ENOMEM. */
static int
rs_mark(const struct conf *conf)
{
	const struct conf_upstream *cu;
	struct rs_host *h;
	size_t i, j;

	for (i = 0; i < rs_nhosts; i++)
		rs_hosts[i]->mark = 0;
	for (i = 0; i < conf->nupstreams; i++) {
		cu = &conf->upstreams[i];
		for (j = 0; j < cu->nservers; j++) {
			if (cu->servers[j].name == NULL)
				continue;
			if ((h = rs_find(cu->servers[j].name)) == NULL &&
			    (h = rs_add(cu->servers[j].name)) == NULL)
				return -ENOMEM;
			h->mark = 1;
		}
	}
	return 0;
}

/* Forgets the names conf does not follow; one in flight dies later. */
static void
rs_sweep(void)
{
	size_t i, k = 0;

	for (i = 0; i < rs_nhosts; i++) {
		struct rs_host *h = rs_hosts[i];

		if (h->mark)
			rs_hosts[k++] = h;
		else if (h->inflight)
			h->dead = 1;
		else
			rs_host_free(h);
	}
	rs_nhosts = k;
}

/* Copies r's servers and refresh: 1 when the servers moved, 0, -ENOMEM. */
static int
rs_settings(const struct conf_resolver *r)
{
	struct conf_addr *v = NULL;
	size_t i;

	rs_res.refresh_ms = r->refresh_ms;
	if (r->servers.n == rs_res.servers.n) {
		for (i = 0; i < r->servers.n &&
		    mio_addr_equal(&r->servers.v[i].addr,
		    &rs_res.servers.v[i].addr); i++)
			;
		if (i == r->servers.n)
			return 0;
	}
	if (r->servers.n > 0 &&
	    (v = calloc(r->servers.n, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (v != NULL)
		memcpy(v, r->servers.v, r->servers.n * sizeof(*v));
	free(rs_res.servers.v);
	rs_res.servers.v = v;
	rs_res.servers.n = r->servers.n;
	return 1;
}

int
resolve_commit(const struct conf *conf)
{
	struct rs_host *h;
	size_t i;
	int moved;

	if ((moved = rs_settings(&conf->resolver)) < 0 || rs_mark(conf) != 0)
		log_error("resolver: out of memory: names may not be "
		    "followed");
	rs_sweep();
	for (i = 0; i < rs_nhosts; i++) {
		h = rs_hosts[i];
		if (h->inflight || h->due != 0)
			continue;
		h->due = h->learned != 0 ? rs_next(h->learned, h->ttl) :
		    *rs_env.now;
	}
	rs_arm();
	return moved > 0;
}

void
resolve_stop(void)
{
	if (rs_timer_held)
		timer_cancel(rs_env.timers, &rs_timer);
}

void
resolve_fini(void)
{
	size_t i;

	for (i = 0; i < rs_nhosts; i++)
		rs_host_free(rs_hosts[i]);
	free(rs_hosts);
	rs_hosts = NULL;
	rs_nhosts = 0;
	free(rs_res.servers.v);
	memset(&rs_res, 0, sizeof(rs_res));
	if (rs_timer_held)
		timer_unhold(rs_env.timers, &rs_timer);
	rs_timer_held = 0;
	rs_changed = 0;
}
