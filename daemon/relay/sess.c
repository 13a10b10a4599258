/*
 * The session core (sess.h): the registry of live sessions, their
 * generation references, counts, timer slots, access records and
 * burial, the same for every kind of session.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "relay/gen.h"
#include "log.h"
#include "loop.h"
#include "ops/access.h"
#include "relay/listener.h"
#include "relay/sess.h"
#include "upstream/upstream.h"

static struct sess *sess_live;		/* the registry */
static struct sess *sess_graveyard;	/* ended in this batch */
static uint64_t sess_nlive;

/* What every start does: the timer slot, the reference, the registry. */
static int
sess_enter(struct sess *s, const struct sess_kind *kind, struct gen *gen,
    struct upstream *ups, timer_fn *fn)
{
	/* Its timeouts must never fail to arm later (timer.h). */
	if (timer_hold(&loop.timers) != 0)
		return -ENOMEM;
	timer_init(&s->timer, fn);
	s->kind = kind;
	s->gen = gen;
	s->ups = ups;
	s->server = -1;
	s->t_start = loop.now;
	if (gen != NULL)
		gen_ref(gen);
	sess_nlive++;
	s->prev = NULL;
	s->next = sess_live;
	if (sess_live != NULL)
		sess_live->prev = s;
	sess_live = s;
	return 0;
}

/* An address kept compactly: IP whole, anything else its family only. */
static void
sess_peer_set(union sess_peer *p, const struct mio_addr *a)
{
	memset(p, 0, sizeof(*p));
	if (a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6)
		memcpy(p, &a->u, a->len < sizeof(*p) ? a->len : sizeof(*p));
	else
		p->sa.sa_family = a->u.sa.sa_family;
}

static void
sess_peer_get(const union sess_peer *p, struct mio_addr *out)
{
	sa_family_t family = p->sa.sa_family;

	memset(out, 0, sizeof(*out));
	out->u.sa.sa_family = family;
	out->len = sizeof(sa_family_t);		/* unix: unnamed */
	if (family == AF_INET)
		out->len = sizeof(struct sockaddr_in);
	else if (family == AF_INET6)
		out->len = sizeof(struct sockaddr_in6);
	if (out->len > sizeof(sa_family_t))
		memcpy(&out->u, p, out->len);
}

int
sess_start(struct sess *s, const struct sess_kind *kind, struct lstn *l,
    const struct mio_addr *client, timer_fn *fn)
{
	if (sess_enter(s, kind, l->gen, l->ups, fn) != 0)
		return -ENOMEM;
	s->l = l;
	l->keep->active++;
	sess_peer_set(&s->client, client);
	return 0;
}

void
sess_set_client(struct sess *s, const struct mio_addr *client)
{
	s->peer = s->client;
	sess_peer_set(&s->client, client);
}

int
sess_start_own(struct sess *s, const struct sess_kind *kind,
    struct gen *gen, struct upstream *ups, timer_fn *fn)
{
	return sess_enter(s, kind, gen, ups, fn);
}

void
sess_client_addr(const struct sess *s, struct mio_addr *out)
{
	sess_peer_get(&s->client, out);
}

const struct mio_addr *
sess_server_addr(const struct sess *s)
{
	return s->server < 0 ? NULL : upstream_addr(s->ups, s->server);
}

static void
sess_record(const struct sess *s, const char *reason)
{
	struct access_rec r;
	struct mio_addr client, peer;

	if (s->l == NULL || !access_enabled())
		return;
	sess_client_addr(s, &client);
	memset(&r, 0, sizeof(r));
	r.listener = s->l->conf->name;
	r.proto = s->kind->proto;
	r.client = &client;
	if (s->peer.sa.sa_family != 0) {
		sess_peer_get(&s->peer, &peer);
		r.peer = &peer;
	}
	r.server = sess_server_addr(s);
	r.connect_ms = -1;
	r.duration_ms = (int64_t)(loop.now - s->t_start);
	r.bytes_in = s->bytes[0];
	r.bytes_out = s->bytes[1];
	r.end = reason;
	if (s->kind->record != NULL)
		s->kind->record(s, &r);
	access_write(&r);
}

void
sess_refused(const struct lstn *l, const char *proto,
    const struct mio_addr *client, const char *reason)
{
	struct access_rec r;

	if (!access_enabled())
		return;
	memset(&r, 0, sizeof(r));
	r.listener = l->conf->name;
	r.proto = proto;
	r.client = client;
	r.connect_ms = -1;
	r.end = reason;
	access_write(&r);
}

void
sess_finish(struct sess *s, const char *reason)
{
	if (s->dead)
		return;
	sess_record(s, reason);
	if (s->server >= 0)
		upstream_release(s->ups, s->server);
	timer_unhold(&loop.timers, &s->timer);
	if (s->l != NULL)
		s->l->keep->active--;
	sess_nlive--;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		sess_live = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->dead = 1;
	s->next = sess_graveyard;
	sess_graveyard = s;
}

void
sess_bury(void)
{
	struct sess **at = &sess_graveyard;

	while (*at != NULL) {
		struct sess *s = *at;
		struct gen *g = s->gen;

		if (s->pins > 0) {
			at = &s->next;	/* the ring still names it */
			continue;
		}
		*at = s->next;
		free(s);
		if (g != NULL)
			gen_unref(g);
	}
}

void
sess_unpin_all(void)
{
	struct sess *s;

	for (s = sess_graveyard; s != NULL; s = s->next)
		s->pins = 0;
}

void
sess_end_all(const char *reason)
{
	while (sess_live != NULL)
		sess_live->kind->end(sess_live, reason);
}

uint64_t
sess_abort_matching(const struct keep_srv *k, const char *reason)
{
	struct sess *s, *next;
	uint64_t n = 0;

	/* Ending s moves it to the graveyard: its successor is read first. */
	for (s = sess_live; s != NULL; s = next) {
		next = s->next;
		if (s->ups == NULL || s->server < 0 ||
		    upstream_keep(s->ups, s->server) != k)
			continue;
		if (s->kind->abort != NULL)
			s->kind->abort(s, reason);
		else
			s->kind->end(s, reason);
		n++;
	}
	return n;
}

uint64_t
sess_count(void)
{
	return sess_nlive;
}
