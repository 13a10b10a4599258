/*
 * The loader's host names, in two passes around c-ares lookups (names.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/value.h"
#include "log.h"
#include "names.h"
#include "upstream/resolve.h"

static struct names_entry *
names_find(struct names *t, const char *host)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].host, host) == 0)
			return &t->v[i];
	return NULL;
}

/* Pass 1's answer: a placeholder of the name's own, 100::(i+1). */
static int
names_record(void *arg, const char *host, uint16_t port, struct conf_pos pos,
    struct conf_addrs *v, char *why, size_t len)
{
	struct names *t = arg;
	struct names_entry *e, *nv;
	struct mio_addr a;
	uint32_t idx;

	(void)why;
	(void)len;
	if ((e = names_find(t, host)) == NULL) {
		if (t->n == t->cap) {
			nv = realloc(t->v, (t->cap ? 2 * t->cap : 8) *
			    sizeof(*nv));
			if (nv == NULL)
				return -ENOMEM;
			t->v = nv;
			t->cap = t->cap ? 2 * t->cap : 8;
		}
		e = &t->v[t->n];
		memset(e, 0, sizeof(*e));
		e->owner = t;
		e->status = -1;
		if ((e->host = strdup(host)) == NULL)
			return -ENOMEM;
		t->n++;
	}
	memset(&a, 0, sizeof(a));
	a.u.in6.sin6_family = AF_INET6;
	a.u.in6.sin6_port = htons(port);
	a.u.in6.sin6_addr.s6_addr[0] = 0x01;	/* 100::/64 */
	idx = htonl((uint32_t)(e - t->v) + 1);
	memcpy(&a.u.in6.sin6_addr.s6_addr[12], &idx, sizeof(idx));
	a.len = sizeof(a.u.in6);
	return conf_addrs_push(v, &a, pos);
}

int
names_collect(struct names *t, const char *path, struct conf **out,
    struct conf_errors *errs)
{
	struct conf_names hook = { names_record, t };

	memset(t, 0, sizeof(*t));
	return conf_load_with(path, &hook, out, errs);
}

static void
names_answered(void *arg, int status, const struct mio_addr *addrs, size_t n,
    uint32_t ttl)
{
	struct names_entry *e = arg;
	struct names *t = e->owner;

	t->waiting--;
	e->status = status;
	e->ttl = ttl;
	if (status != ARES_SUCCESS)
		return;
	if ((e->addrs = calloc(n, sizeof(*addrs))) == NULL) {
		e->status = ARES_ENOMEM;
		t->nomem = 1;
		return;
	}
	memcpy(e->addrs, addrs, n * sizeof(*addrs));
	e->n = n;
	resolve_learn(e->host, addrs, n, ttl);
}

int
names_start(struct names *t, const struct conf_resolver *r,
    const struct rchan_env *env)
{
	size_t i;
	int rc;

	if ((rc = rchan_open(&t->chan, r, env)) != 0)
		return rc;
	t->waiting = (unsigned)t->n;
	for (i = 0; i < t->n; i++)
		rchan_lookup(&t->chan, t->v[i].host, names_answered,
		    &t->v[i]);
	return 0;
}

int
names_done(const struct names *t)
{
	return t->waiting == 0;
}

void
names_wait(struct names *t)
{
	rchan_wait(&t->chan);
}

/* Pass 3's answer: the lookup's addresses with the file's port. */
static int
names_answer(void *arg, const char *host, uint16_t port, struct conf_pos pos,
    struct conf_addrs *v, char *why, size_t len)
{
	struct names *t = arg;
	struct names_entry *e = names_find(t, host);
	const struct mio_addr *addrs;
	struct mio_addr a;
	size_t n, i;
	int rc = 0;

	if (e == NULL) {
		snprintf(why, len, "\"%s\" was not looked up: the file "
		    "changed while it was read", host);
		return -1;
	}
	if (e->status == ARES_ENOMEM)
		return -ENOMEM;
	addrs = e->addrs;
	n = e->n;
	if (e->status != ARES_SUCCESS &&
	    (addrs = resolve_last(host, &n)) == NULL) {
		snprintf(why, len, "cannot resolve \"%s\": %s", host,
		    ares_strerror(e->status));
		return -1;
	}
	if (e->status != ARES_SUCCESS)
		log_warn("resolver: \"%s\": %s: keeping its last %zu "
		    "addresses", host, ares_strerror(e->status), n);
	for (i = 0; i < n && rc == 0; i++) {
		a = addrs[i];
		if (a.u.sa.sa_family == AF_INET)
			a.u.in4.sin_port = htons(port);
		else
			a.u.in6.sin6_port = htons(port);
		rc = conf_addrs_push(v, &a, pos);
	}
	return rc;
}

int
names_load(struct names *t, const char *path, struct conf **out,
    struct conf_errors *errs)
{
	struct conf_names hook = { names_answer, t };

	if (t->nomem) {
		*out = NULL;
		errs->nomem = true;
		return -ENOMEM;
	}
	return conf_load_with(path, &hook, out, errs);
}

void
names_fini(struct names *t)
{
	size_t i;

	rchan_close(&t->chan);
	for (i = 0; i < t->n; i++) {
		free(t->v[i].host);
		free(t->v[i].addrs);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int
names_load_blocking(const char *path, struct conf **out,
    struct conf_errors *errs)
{
	struct names t;
	struct conf *first;
	int rc;

	*out = NULL;
	if ((rc = names_collect(&t, path, &first, errs)) != 0 || t.n == 0) {
		names_fini(&t);
		*out = first;
		return rc;
	}
	if ((rc = rchan_library_init()) == 0) {
		if ((rc = names_start(&t, &first->resolver, NULL)) == 0) {
			names_wait(&t);
			rc = names_load(&t, path, out, errs);
		}
		names_fini(&t);
		rchan_library_fini();
	}
	conf_free(first);
	if (rc != 0 && *out != NULL) {
		conf_free(*out);
		*out = NULL;
	}
	if (rc == -ENOMEM)
		errs->nomem = true;
	if (rc != 0 && rc != -ENOMEM && errs->n == 0)
		rc = -EINVAL;	/* the resolver's settings, logged */
	return rc;
}
