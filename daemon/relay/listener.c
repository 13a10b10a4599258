/*
 * Listeners, protocol-neutral (listener.h): binding, taking sockets over
 * across a reload, pausing and closing.  The protocol modules
 * (tcp_listen.c, udp_sock.c) do what happens on the sockets.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf/conf.h"
#include "relay/gen.h"
#include "log.h"
#include "loop.h"
#include "relay/listener.h"

/* Tokens carry a 3-bit tag in the low bits of a socket's address. */
_Static_assert(_Alignof(struct lsock) >= 8, "struct lsock alignment");

static void lstn_retry(struct timer *t, uint64_t now);

/* A worker's supervisor-bound sockets (lstn_set_source); NULL: bind. */
static lstn_source_fn *lstn_source;

void
lstn_set_source(lstn_source_fn *fn)
{
	lstn_source = fn;
}

int
lstn_init(struct lstn *l, const struct conf_listener *cl,
    const struct lstn_proto *proto, struct gen *g, struct upstream *ups)
{
	struct lsock *ls;
	size_t j;

	l->conf = cl;
	l->proto = proto;
	l->gen = g;
	l->ups = ups;
	if ((l->keep = keep_lstn_get(cl->name, cl->protocol)) == NULL)
		return -ENOMEM;
	/* nsocks only with the array: lstn_fini() walks it. */
	if ((l->socks = calloc(cl->bind.n + 1, sizeof(*l->socks))) == NULL)
		return -ENOMEM;
	l->nsocks = cl->bind.n;
	for (j = 0; j < l->nsocks; j++) {
		ls = &l->socks[j];
		ls->l = l;
		ls->bind = &cl->bind.v[j];
		ls->fd = -1;
		timer_init(&ls->retry, lstn_retry);
		/* A paused listener must always be able to resume. */
		if (timer_hold(&loop.timers) != 0)
			return -ENOMEM;
		l->timers_held++;
	}
	return 0;
}

void
lstn_fini(struct lstn *l)
{
	while (l->timers_held > 0) {
		l->timers_held--;
		timer_unhold(&loop.timers, &l->socks[l->timers_held].retry);
	}
	free(l->socks);
	l->socks = NULL;
	l->nsocks = 0;
	keep_lstn_put(l->keep);
	l->keep = NULL;
}

/* The open socket of `old` bound to the same (protocol, address). */
static struct lsock *
lstn_find(struct gen *old, int protocol, const struct mio_addr *addr)
{
	size_t i, j;

	if (old == NULL)
		return NULL;
	for (i = 0; i < old->conf->nlisteners; i++) {
		struct lstn *l = &old->listeners[i];

		if (l->conf->protocol != protocol)
			continue;
		for (j = 0; j < l->nsocks; j++)
			if (l->socks[j].fd >= 0 &&
			    mio_addr_equal(&l->socks[j].bind->addr, addr))
				return &l->socks[j];
	}
	return NULL;
}

/* Whether ls will be taken over rather than bound. */
static int
lstn_inherits(struct lsock *ls, struct gen *old)
{
	const struct lstn_proto *p = ls->l->proto;

	return lstn_find(old, ls->l->conf->protocol, &ls->bind->addr) !=
	    NULL || (p->kept != NULL && p->kept(&ls->bind->addr));
}

/* Binds ls anew and lets its protocol attach: 0 or -errno (logged). */
static int
lstn_open(struct lsock *ls)
{
	const struct lstn_proto *p = ls->l->proto;
	char text[ADDR_STRLEN];
	int rc;

	rc = lstn_source != NULL ?
	    lstn_source(ls->l->conf->protocol, &ls->bind->addr) :
	    p->open(ls->l->conf, &ls->bind->addr);
	if (rc >= 0) {
		ls->fd = rc;
		if (p->attach == NULL || (rc = p->attach(ls)) == 0)
			return 0;
	}
	log_error("listener %s: bind %s: %s", ls->l->conf->name,
	    addr_str(&ls->bind->addr, text, sizeof(text)),
	    mio_strerror(rc));
	return rc;
}

/* Serves ls: its own new socket, or one taken over from old. */
static void
lstn_serve(struct lsock *ls, struct gen *old)
{
	const struct lstn_proto *p = ls->l->proto;
	struct lsock *prev = NULL;
	int rc, inherited = ls->fd < 0;

	if (inherited) {
		prev = lstn_find(old, ls->l->conf->protocol, &ls->bind->addr);
		if (prev != NULL) {
			ls->fd = prev->fd;
			prev->fd = -1;
			timer_cancel(&loop.timers, &prev->retry);
		} else if (p->kept != NULL && p->kept(&ls->bind->addr)) {
			p->reclaim(ls);
		}
		if (ls->fd < 0)		/* nothing to inherit after all */
			return;
	}
	if (p->serve != NULL && (rc = p->serve(ls, prev)) != 0) {
		log_error("listener %s: register: %s", ls->l->conf->name,
		    mio_strerror(rc));
		return;
	}
	/* Connections that queued while the socket changed hands. */
	if (inherited && p->resume != NULL)
		p->resume(ls);
}

int
lstn_open_new(struct gen *g, struct gen *old)
{
	size_t i, j;
	int rc;

	/* Touching nothing of old's. */
	for (i = 0; i < g->conf->nlisteners; i++)
		for (j = 0; j < g->listeners[i].nsocks; j++) {
			struct lsock *ls = &g->listeners[i].socks[j];

			if (lstn_inherits(ls, old))
				continue;
			if ((rc = lstn_open(ls)) != 0) {
				lstn_close_all(g);
				return rc;
			}
		}
	return 0;
}

void
lstn_serve_all(struct gen *g, struct gen *old)
{
	size_t i, j;

	for (i = 0; i < g->conf->nlisteners; i++)
		for (j = 0; j < g->listeners[i].nsocks; j++)
			lstn_serve(&g->listeners[i].socks[j], old);
}

int
lstn_bind_all(struct gen *g, struct gen *old)
{
	int rc;

	/* First bind what is new, then serve them all, taking over old's
	 * sockets. */
	if ((rc = lstn_open_new(g, old)) != 0)
		return rc;
	lstn_serve_all(g, old);
	return 0;
}

static void
lstn_close(struct lsock *ls)
{
	const struct lstn_proto *p = ls->l->proto;

	timer_cancel(&loop.timers, &ls->retry);
	if (ls->fd < 0)
		return;
	if (p->release != NULL && p->release(ls)) {
		ls->fd = -1;	/* the protocol's now */
		return;
	}
	(void)mio_deregister(loop.poll, ls->fd);
	mio_close(ls->fd);
	ls->fd = -1;
	/* A Unix socket file would block the next bind (a worker's is
	 * the supervisor's to remove). */
	if (lstn_source == NULL &&
	    ls->bind->addr.u.sa.sa_family == AF_UNIX &&
	    ls->bind->addr.u.un.sun_path[0] != '\0')
		unlink(ls->bind->addr.u.un.sun_path);
}

void
lstn_close_all(struct gen *g)
{
	size_t i, j;

	for (i = 0; i < g->conf->nlisteners; i++)
		for (j = 0; j < g->listeners[i].nsocks; j++)
			lstn_close(&g->listeners[i].socks[j]);
}

void
lstn_pause(struct lsock *ls, uint64_t ms)
{
	(void)timer_set(&loop.timers, &ls->retry, loop.now + ms);
}

int
lstn_paused(const struct lsock *ls)
{
	return timer_armed(&ls->retry);
}

static void
lstn_retry(struct timer *t, uint64_t now)
{
	struct lsock *ls = (struct lsock *)(void *)((char *)t -
	    offsetof(struct lsock, retry));

	(void)now;
	if (ls->fd >= 0 && ls->l->proto->resume != NULL)
		ls->l->proto->resume(ls);
}
