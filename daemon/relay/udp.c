/*
 * UDP sessions: one per (listening socket, client address, and on a
 * wildcard bind the address the client sent to), each with a connected
 * socket of its own towards the server the balancer chose, so that the
 * kernel routes replies to the right session and drops datagrams from
 * anyone else.
 *
 * A datagram from a client finds its session in a hash table (or makes
 * one) and goes out on the session's socket; a reply read there goes
 * back through the listening socket, from the very address the client
 * sent to: on a wildcard bind (0.0.0.0, [::]) the destination of each
 * request comes with it (IP_PKTINFO, IPV6_RECVPKTINFO), is part of the
 * session's key (a client that writes to two of the host's addresses
 * has two sessions, and each reply leaves from the address its request
 * went to) and is given back as the source of the replies.
 *
 * Sessions end after udp.session_timeout without traffic (the idle timer
 * is pushed lazily, once per timeout, not per datagram), once every
 * request has had its udp.responses replies when that is set (DNS style,
 * counted per request as nginx's proxy_responses is, so that a client
 * with several queries in flight loses none), on an ICMP error from the
 * server (a
 * connected socket reports it as ECONNREFUSED: counted as a failure of
 * that server), or when a new client needs room at udp.max_sessions
 * (the least recently used session of the listener is evicted).
 *
 * Datagrams are read in batches (recvmmsg, or a loop where the system
 * has none: udp_msg.c) into buffers large enough for any datagram
 * (65,535 bytes), so none is ever truncated or merged; one the kernel
 * truncated anyway (MSG_TRUNC) is dropped and counted.  The control
 * messages of a destination are each system's own: udp_dst.c.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "conf/conf.h"
#include "fnv.h"
#include "log.h"
#include "loop.h"
#include "ops/access.h"
#include "relay/listener.h"
#include "relay/udp.h"
#include "relay/udp_dst.h"
#include "relay/udp_msg.h"
#include "relay/udp_pp.h"
#include "relay/udp_port.h"
#include "relay/udp_sess.h"
#include "upstream/upstream.h"

#define UDP_BATCH	16
#define UDP_DGRAM_MAX	65535
#define UDP_EXCLUDE_MAX	8
#define UDP_BIND_TRIES	8	/* ports held by others, skipped */
/* Batches one socket reads per turn of the loop before the others have
 * theirs: see relay/defer.h. */
#define UDP_READ_BUDGET	8

struct udp_batch {
	udp_msg		 msg[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	union sess_peer	 from[UDP_BATCH];
	char		 cmsg[UDP_BATCH][UDP_DST_SPACE];
	char		 data[UDP_BATCH][UDP_DGRAM_MAX];
};

/* Sessions by (listening socket, client address, local address). */
static struct udp_sess **udp_table;
static uint32_t udp_buckets;		/* a power of two */
static uint64_t udp_count;
static struct defer_list udp_sess_deferred;	/* replies left: defer.h */
static struct udp_batch *udp_batch;	/* made before UDP serves */

/* --- the session table ------------------------------------------------ */

static socklen_t
udp_peer_len(const union sess_peer *p)
{
	return p->sa.sa_family == AF_INET ? sizeof(p->in4) : sizeof(p->in6);
}

static int
udp_peer_eq(const union sess_peer *a, const union sess_peer *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		    a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	    a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
	    memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/*
 * FNV-1a over the listening socket, the port, the address, and the local
 * address (NULL: not a wildcard socket, whose sessions all have zero).
 */
static uint64_t
udp_hash(const struct udp_sock *us, const union sess_peer *p,
    const struct udp_local *local)
{
	uint64_t h = FNV_OFFSET ^ (uint64_t)(uintptr_t)us;

	if (p->sa.sa_family == AF_INET) {
		h ^= p->in4.sin_port;
		h *= FNV_PRIME;
		h = fnv1a(h, &p->in4.sin_addr, 4);
	} else {
		h ^= p->in6.sin6_port;
		h *= FNV_PRIME;
		h = fnv1a(h, &p->in6.sin6_addr, 16);
	}
	/* The local address is zero except on wildcard binds: skip it. */
	if (local != NULL)
		h = fnv1a(h, &local->addr, sizeof(local->addr));
	return h;
}

static struct udp_sess *
udp_find(const struct udp_sock *us, const union sess_peer *p,
    const struct udp_local *local, uint64_t h)
{
	struct udp_sess *u;

	if (udp_buckets == 0)
		return NULL;
	for (u = udp_table[h & (udp_buckets - 1)]; u != NULL; u = u->hnext)
		if (u->hash == h && u->us == us &&
		    udp_peer_eq(&u->s.client, p) &&
		    memcmp(&u->local.addr, &local->addr,
		    sizeof(local->addr)) == 0)
			return u;
	return NULL;
}

/* Grows the table to keep chains short; a failure keeps the old one. */
static void
udp_table_grow(void)
{
	uint32_t n = udp_buckets ? udp_buckets * 2 : 256, i;
	struct udp_sess **t = calloc(n, sizeof(*t));

	if (t == NULL)
		return;
	for (i = 0; i < udp_buckets; i++) {
		struct udp_sess *u = udp_table[i], *next;

		for (; u != NULL; u = next) {
			next = u->hnext;
			u->hnext = t[u->hash & (n - 1)];
			t[u->hash & (n - 1)] = u;
		}
	}
	free(udp_table);
	udp_table = t;
	udp_buckets = n;
}

static void
udp_hash_add(struct udp_sess *u)
{
	u->hnext = udp_table[u->hash & (udp_buckets - 1)];
	udp_table[u->hash & (udp_buckets - 1)] = u;
	udp_count++;
}

static void
udp_unhash(struct udp_sess *u)
{
	struct udp_sess **pp = &udp_table[u->hash & (udp_buckets - 1)];

	while (*pp != u)
		pp = &(*pp)->hnext;
	*pp = u->hnext;
	udp_count--;
}

/* --- ending ----------------------------------------------------------- */

static void
udp_end(struct udp_sess *u, const char *reason)
{
	if (u->s.dead)
		return;
	if (u->fd >= 0) {
		(void)mio_deregister(loop.poll, u->fd);
		mio_close(u->fd);
		u->fd = -1;
		/* Its port rests: a late reply finds no socket. */
		udp_port_give(u->port, loop.now);
	}
	defer_remove(&udp_sess_deferred, &u->defer);
	udp_unhash(u);
	sess_finish(&u->s, reason);
	/* Last: a draining socket closes with its last session. */
	udp_sock_remove(u->us, u);
}

static void
udp_kind_end(struct sess *s, const char *reason)
{
	udp_end((struct udp_sess *)(void *)s, reason);
}

static void
udp_kind_record(const struct sess *s, struct access_rec *r)
{
	const struct udp_sess *u = (const struct udp_sess *)(const void *)s;

	r->connect_ms = s->server >= 0 ? 0 : -1;
	r->datagrams_in = u->dgrams_in;
	r->datagrams_out = u->dgrams_out;
}

static const struct sess_kind udp_kind = {
	.proto = "udp",
	.end = udp_kind_end,
	.record = udp_kind_record
};

/* The server of u could not be reached (ICMP): its failure, and the end. */
static void
udp_unreachable(struct udp_sess *u)
{
	upstream_failed(u->s.ups, u->s.server);
	udp_end(u, "server_unreachable");
}

static void
udp_timer(struct timer *t, uint64_t now)
{
	struct udp_sess *u = (struct udp_sess *)(void *)((char *)t -
	    offsetof(struct udp_sess, s.timer));
	uint64_t due = u->t_last +
	    (uint64_t)u->s.l->conf->udp.session_timeout_ms;

	if (now >= due)
		udp_end(u, "session_timeout");
	else
		(void)timer_set(&loop.timers, t, due);
}

/* --- starting --------------------------------------------------------- */

/*
 * A socket for one session, bound to a port of its own choosing (see
 * udp_port.c) and connected to server: its descriptor and *port, or
 * -errno (-EAGAIN: no port is out of quarantine).
 */
static int
udp_open_upstream(const struct mio_addr *server, int *port)
{
	struct mio_addr any;
	int fd, rc, p, tries;

	memset(&any, 0, sizeof(any));
	any.u.sa.sa_family = server->u.sa.sa_family;
	any.len = server->u.sa.sa_family == AF_INET ?
	    sizeof(any.u.in4) : sizeof(any.u.in6);
	/* A port another program holds is not ours: try a few others. */
	for (tries = 0; tries < UDP_BIND_TRIES; tries++) {
		if ((p = udp_port_take(loop.now)) < 0)
			return p;
		if (any.u.sa.sa_family == AF_INET)
			any.u.in4.sin_port = htons((uint16_t)p);
		else
			any.u.in6.sin6_port = htons((uint16_t)p);
		if ((fd = mio_udp_bind(&any)) >= 0)
			break;
		udp_port_give(p, loop.now);
		if (fd != -EADDRINUSE)
			return fd;
	}
	if (tries == UDP_BIND_TRIES)
		return -EAGAIN;
	if ((rc = mio_udp_connect(fd, server)) != 0) {
		mio_close(fd);
		udp_port_give(p, loop.now);
		return rc;
	}
	*port = p;
	return fd;
}

/*
 * A socket connected to a server for a client of l, each server once in
 * the balancer's order until one opens: its descriptor (*server set), or
 * -errno: -EMFILE and kin when the proxy is out of descriptors or memory,
 * -EAGAIN when it has no port out of quarantine (no server's fault),
 * -EHOSTDOWN when no server takes new sessions, -EHOSTUNREACH when
 * none could be had.
 */
static int
udp_connect_server(struct lstn *l, const union sess_peer *client,
    int *server, int *port)
{
	uint32_t excluded[UDP_EXCLUDE_MAX];
	unsigned nex = 0;
	int i, fd;

	while ((i = upstream_pick(l->ups, loop.now, &client->sa, excluded,
	    nex)) >= 0) {
		fd = udp_open_upstream(upstream_addr(l->ups, i), port);
		if (fd >= 0) {
			*server = i;
			return fd;
		}
		if (sess_own_shortage(fd) || fd == -EAGAIN)
			return fd;
		upstream_failed(l->ups, i);
		if (nex == UDP_EXCLUDE_MAX)
			break;
		excluded[nex++] = (uint32_t)i;
	}
	return nex == 0 ? -EHOSTDOWN : -EHOSTUNREACH;
}

/*
 * Every port rests (more sessions end each second than the range over
 * the quarantine): the client's datagram is dropped, and said once a
 * second at most.
 */
static void
udp_no_port_warn(struct lstn *l)
{
	static uint64_t last_warned;

	if (last_warned != 0 && loop.now - last_warned < 1000)
		return;
	last_warned = loop.now;
	log_warn("listener %s: no UDP source port free (%u of %u resting "
	    "%d ms after their sessions): new sessions refused",
	    l->conf->name, (unsigned)udp_port_resting(),
	    (unsigned)udp_port_range_size(), UDP_PORT_QUARANTINE_MS);
}

/*
 * Registers u's server socket and starts its session: 0 or -errno, and
 * then the caller closes the socket (which drops the registration) and
 * frees u, on which nothing else was done.
 */
static int
udp_begin(struct udp_sess *u, struct lsock *ls, const union sess_peer *client)
{
	struct mio_addr addr;
	int rc;

	if ((rc = mio_register(loop.poll, u->fd,
	    LOOP_TOKEN(u, LOOP_TAG_UDP_SERVER), MIO_READABLE)) != 0) {
		log_warn("listener %s: register: %s", ls->l->conf->name,
		    mio_strerror(rc));
		return rc;
	}
	memset(&addr, 0, sizeof(addr));
	addr.len = udp_peer_len(client);
	memcpy(&addr.u, client, addr.len);
	return sess_start(&u->s, &udp_kind, ls->l, &addr, udp_timer);
}

/*
 * Makes a session for a new client, evicting the least recently used
 * one of the listener when it is full.  NULL when no server can be had.
 */
static struct udp_sess *
udp_start(struct udp_sock *us, const union sess_peer *client,
    const struct udp_local *local, uint64_t h, const struct udp_pp_in *ppi)
{
	struct lstn *l = us->ls->l;
	struct udp_sess *u, *victim;
	int server = -1, port = 0, fd;
	size_t ext = udp_pp_ext_size(l, client);

	if (udp_count >= (uint64_t)udp_buckets * 2)
		udp_table_grow();
	if (udp_buckets == 0)
		return NULL;
	if ((victim = udp_sock_victim(l)) != NULL) {
		l->keep->udp_evicted++;
		udp_end(victim, "evicted");
	}
	if ((fd = udp_connect_server(l, client, &server, &port)) < 0) {
		if (fd == -EAGAIN)
			udp_no_port_warn(l);
		else if (fd == -EHOSTDOWN)
			l->keep->rejected[KEEP_REJ_NO_SERVER]++;
		else if (fd != -EHOSTUNREACH)
			l->keep->rejected[KEEP_REJ_DESCRIPTORS]++;
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u) + ext)) != NULL) {
		u->fd = fd;
		u->port = (uint16_t)port;
	}
	if (u == NULL || udp_begin(u, us->ls, client) != 0) {
		mio_close(fd);
		udp_port_give(port, loop.now);
		free(u);
		return NULL;
	}
	u->local = *local;
	/* The client a header carried: its sender gets the replies. */
	if (ppi != NULL && !udp_peer_eq(ppi->peer, client))
		u->s.peer = *ppi->peer;
	if (ext != 0)
		udp_pp_ext_fill(u, us, ppi);
	u->hash = h;
	u->s.server = server;
	upstream_acquire(l->ups, server);
	u->t_last = loop.now;
	(void)timer_set(&loop.timers, &u->s.timer,
	    loop.now + (uint64_t)l->conf->udp.session_timeout_ms);
	udp_hash_add(u);
	udp_sock_add(us, u);	/* a new session replies through us */
	l->keep->udp_sessions++;
	l->keep->accepted++;
	keep_srv_connected(upstream_keep(l->ups, server), 0);
	return u;
}

/* --- datagrams -------------------------------------------------------- */

/*
 * Makes the receive buffers before a configuration with UDP listeners
 * serves (start or reload), so that no datagram event can find them
 * missing: one that did would leave the socket unread, and on poll(2)
 * unarmed.
 */
static int
udp_prepare(const struct conf *conf)
{
	size_t i;

	if (udp_batch != NULL)
		return 0;
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].protocol == CONF_PROTO_UDP) {
			if (udp_port_init() != 0)
				return -ENOMEM;
			udp_batch = malloc(sizeof(*udp_batch));
			return udp_batch != NULL ? 0 : -ENOMEM;
		}
	return 0;
}

/* Prepares the batch for receiving, with or without addresses. */
static void
udp_batch_arm(struct udp_batch *b, int with_addr)
{
	unsigned i;

	for (i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &b->msg[i].msg_hdr;

		b->iov[i].iov_base = b->data[i];
		b->iov[i].iov_len = UDP_DGRAM_MAX;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		if (with_addr) {
			h->msg_name = &b->from[i];
			h->msg_namelen = sizeof(b->from[i]);
			h->msg_control = b->cmsg[i];
			h->msg_controllen = UDP_DST_SPACE;
		}
	}
}

/*
 * Where the backend raises a new edge for new data (epoll), a batch that
 * came back short has emptied the socket's queue: no receive call just
 * to hear -EAGAIN.  Backends that emulate edges re-arm only on -EAGAIN,
 * so there the loop goes on until it comes.
 */
static int
udp_drained(int n)
{
	return loop.short_io_drains && n < UDP_BATCH;
}

/*
 * A header's client has session u: on a draining socket (l NULL), the
 * sender must be one u's own listener trusts; the latest sender is the
 * one replies go to (the path a sending proxy took last).
 */
static struct udp_sess *
udp_pp_found(struct udp_sess *u, const struct lstn *l,
    const struct udp_pp_in *ppi)
{
	if (l == NULL &&
	    !udp_pp_trusted(&u->s.l->conf->pp, &ppi->peer->sa)) {
		u->s.l->keep->rejected[KEEP_REJ_PROXY_PROTOCOL]++;
		return NULL;
	}
	if (u->s.peer.sa.sa_family != 0)
		u->s.peer = *ppi->peer;
	return u;
}

/*
 * The session of a request's client, found or made; NULL: dropped.
 * from is the client, or with the PROXY protocol (ppi not NULL) the
 * client its header carried.
 */
static struct udp_sess *
udp_session_of(struct udp_sock *us, struct msghdr *h,
    const union sess_peer *from, const struct udp_pp_in *ppi)
{
	struct lstn *l = us->ls != NULL ? us->ls->l : NULL;
	struct udp_local local;
	struct udp_sess *u;
	uint64_t hash;

	memset(&local, 0, sizeof(local));
	if (us->wildcard)
		udp_dst_of(h, &local);
	hash = udp_hash(us, from, us->wildcard ? &local : NULL);
	if ((u = udp_find(us, from, &local, hash)) != NULL)
		return ppi == NULL ? u : udp_pp_found(u, l, ppi);
	if (l == NULL) {		/* draining: no new clients */
		us->dgrams_dropped++;
		return NULL;
	}
	if (!lstn_acl_allows(l->conf->acl, &from->sa)) {
		l->keep->rejected[KEEP_REJ_ACL]++;
		return NULL;
	}
	if (loop.stopping ||
	    (u = udp_start(us, from, &local, hash, ppi)) == NULL)
		l->keep->dropped[KEEP_DROP_NO_SESSION]++;
	return u;
}

/*
 * The PROXY header in front of request i from a trusted sender: its
 * length, with *ppi filled, or 0 when the request is dropped (counted).
 */
static size_t
udp_pp_request(struct udp_sock *us, struct udp_batch *b, unsigned i,
    struct udp_pp_in *ppi)
{
	struct lstn *l = us->ls != NULL ? us->ls->l : NULL;
	size_t off;

	ppi->peer = &b->from[i];
	off = udp_pp_accept(l != NULL ? &l->conf->pp : NULL,
	    l != NULL ? l->conf->name : "(draining)",
	    (const uint8_t *)b->data[i], b->msg[i].msg_len, ppi);
	if (off == 0) {
		if (l != NULL)
			l->keep->rejected[KEEP_REJ_PROXY_PROTOCOL]++;
		else
			us->dgrams_dropped++;
	}
	return off;
}

/*
 * One request: to its session's server.  0, or -1 when it ended the
 * last session of a draining socket, which is closed now.
 */
static int
udp_request(struct udp_sock *us, struct udp_batch *b, unsigned i)
{
	struct msghdr *h = &b->msg[i].msg_hdr;
	const union sess_peer *from = &b->from[i];
	struct lstn *l = us->ls != NULL ? us->ls->l : NULL;
	size_t len = b->msg[i].msg_len, off = 0;
	struct udp_pp_in in, *ppi = NULL;
	struct udp_sess *u;
	ssize_t sent;

	if (l != NULL)
		l->keep->dgrams[0]++;
	if ((h->msg_flags & MSG_TRUNC) ||
	    (from->sa.sa_family != AF_INET && from->sa.sa_family != AF_INET6)) {
		if (l != NULL)
			l->keep->dropped[KEEP_DROP_TOO_LARGE]++;
		else
			us->dgrams_dropped++;
		return 0;
	}
	/* The only test of the PROXY protocol on the way in: the payload
	 * is forwarded from behind the header, in place. */
	if (us->pp) {
		if ((off = udp_pp_request(us, b, i, &in)) == 0)
			return 0;
		from = &in.client;
		ppi = &in;
	}
	if ((u = udp_session_of(us, h, from, ppi)) == NULL)
		return 0;
	if (l == NULL) {
		/* A draining socket: its sessions' listeners count. */
		l = u->s.l;
		l->keep->dgrams[0]++;
	}
	udp_sock_touch(us, u, loop.now);
	len -= off;
	if (u->pp_hdr)
		sent = udp_pp_send(u, (uint8_t *)b->data[i] + off, len);
	else
		sent = mio_send(u->fd, b->data[i] + off, len);
	if (sent >= 0) {
		u->dgrams_in++;
		sess_count_bytes(&u->s, 0, len);
	} else if (sent == -ECONNREFUSED) {
		/* The server's port is closed (ICMP): a failure of the
		 * session's server, in the session's own generation. */
		udp_unreachable(u);
		return us->fd < 0 ? -1 : 0;
	} else {
		l->keep->dropped[KEEP_DROP_SEND]++;
	}
	return 0;
}

static void
udp_listen_event(struct udp_sock *us)
{
	struct udp_batch *b = udp_batch;
	int n, i, turns, later;

	/* Closed earlier in this batch. */
	if (b == NULL || us->fd < 0)
		return;
	for (turns = 0; turns < UDP_READ_BUDGET; turns++) {
		udp_batch_arm(b, 1);
		n = udp_msg_recv(us->fd, b->msg, UDP_BATCH, &later);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			later = n;
			n = 0;
		}
		for (i = 0; i < n; i++)
			if (udp_request(us, b, (unsigned)i) < 0)
				return;
		if (later != 0) {
			/* An error is consumed by the call that reports it:
			 * read on, to -EAGAIN (which re-arms poll(2)). */
			log_debug("listener %s: receive: %s", us->ls != NULL ?
			    us->ls->l->conf->name : "(draining)",
			    mio_strerror(later));
			continue;
		}
		/* A short batch emptied the queue (see udp_drained()); where
		 * only -EAGAIN re-arms, the others go first all the same. */
		if (n < UDP_BATCH) {
			if (udp_drained(n))
				return;
			break;
		}
	}
	udp_sock_defer(us);
}

static void
udp_listen_resume(struct lsock *ls)
{
	udp_listen_event(ls->state);
}

const struct lstn_proto udp_listen_proto = {
	.open = udp_sock_open,
	.attach = udp_sock_attach,
	.serve = udp_sock_serve,
	.release = udp_sock_release,
	.kept = udp_sock_kept,
	.reclaim = udp_sock_reclaim,
	.resume = udp_listen_resume
};

/* --- replies ---------------------------------------------------------- */

/*
 * Sends the replies held in the batch's first n messages (their iovecs
 * set) to the client, in one sendmmsg where possible.  Returns how many
 * went; the others are dropped, as UDP may.
 */
static unsigned
udp_reply_batch(struct udp_sess *u, struct udp_batch *b, unsigned n)
{
	union {
		char		buf[UDP_DST_SPACE];
		struct cmsghdr	align;
	} control;
	/* With the PROXY protocol, the sender of the headers. */
	const union sess_peer *to = udp_sess_reply_to(u);
	size_t clen;
	unsigned i, sent = 0;
	int r;

	if (u->us->fd < 0 || n == 0)
		return 0;
	clen = u->us->wildcard ? udp_dst_control(to->sa.sa_family,
	    &u->local, control.buf) : 0;
	for (i = 0; i < n; i++) {
		struct msghdr *h = &b->msg[i].msg_hdr;

		memset(h, 0, sizeof(*h));
		h->msg_name = (void *)(uintptr_t)to;
		h->msg_namelen = udp_peer_len(to);
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		if (clen > 0) {
			h->msg_control = control.buf;
			h->msg_controllen = clen;
		}
	}
	while (sent < n) {
		r = udp_msg_send(u->us->fd, &b->msg[sent], n - sent);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			/* This one failed (too large for the route...): skip. */
			if (sent + 1 < n)
				memmove(&b->iov[sent], &b->iov[sent + 1],
				    (n - sent - 1) * sizeof(b->iov[0]));
			n--;
			continue;
		}
		sent += (unsigned)r;
	}
	return sent;
}

/* Keeps the whole replies of n, up to the responses still owed: k. */
static unsigned
udp_keep_replies(struct udp_sess *u, struct udp_batch *b, int n)
{
	uint64_t limit = (uint64_t)u->s.l->conf->udp.responses;
	unsigned i, k;

	for (i = k = 0; i < (unsigned)n; i++) {
		if (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			u->s.l->keep->dropped[KEEP_DROP_TOO_LARGE]++;
			continue;
		}
		if (limit > 0 && u->dgrams_out + k >= limit * u->dgrams_in) {
			u->s.l->keep->dropped[KEEP_DROP_RESPONSES]++;
			continue;
		}
		b->iov[k].iov_base = b->data[i];
		b->iov[k].iov_len = b->msg[i].msg_len;
		k++;
	}
	return k;
}

/* Replies of one batch to the client: 1 when the session ended. */
static int
udp_replies(struct udp_sess *u, struct udp_batch *b, int n)
{
	struct lstn *l = u->s.l;
	uint64_t limit = (uint64_t)l->conf->udp.responses, bytes;
	unsigned i, k, sent;

	k = udp_keep_replies(u, b, n);
	sent = udp_reply_batch(u, b, k);
	for (i = 0, bytes = 0; i < sent; i++)
		bytes += b->iov[i].iov_len;
	sess_count_bytes(&u->s, 1, bytes);
	l->keep->dropped[KEEP_DROP_SEND] += k - sent;
	l->keep->dgrams[1] += sent;
	u->dgrams_out += sent;
	if (sent > 0)
		udp_sock_touch(u->us, u, loop.now);
	/* Every request has had its replies (nginx's counting). */
	if (limit > 0 && u->dgrams_out >= limit * u->dgrams_in) {
		udp_end(u, "responses");
		return 1;
	}
	if (loop.stopping && u->dgrams_out >= u->dgrams_in) {
		udp_end(u, "shutdown");
		return 1;
	}
	return 0;
}

static void
udp_server_event(struct udp_sess *u, uint32_t flags)
{
	struct udp_batch *b = udp_batch;
	int n, turns, later;

	if (u->s.dead || b == NULL)
		return;
	for (turns = 0; turns < UDP_READ_BUDGET; turns++) {
		udp_batch_arm(b, 0);
		n = udp_msg_recv(u->fd, b->msg, UDP_BATCH, &later);
		/*
		 * An error event with nothing to read and no error left: the
		 * event took it (libkqueue reads SO_ERROR to report it), and a
		 * connected socket's error is the server's refusal.
		 */
		if (n == -EAGAIN && turns == 0 && (flags & MIO_ERROR))
			n = -ECONNREFUSED;
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			later = n;
			n = 0;
		}
		if (n > 0 && udp_replies(u, b, n))
			return;
		if (later == -ECONNREFUSED) {
			udp_unreachable(u);
			return;
		}
		if (later != 0) {
			udp_end(u, "error");
			return;
		}
		if (udp_drained(n))
			return;
		if (n < UDP_BATCH)	/* see udp_listen_event() */
			break;
	}
	defer_push(&udp_sess_deferred, &u->defer);
}

/* --- the loop's module ------------------------------------------------ */

static void
udp_event(void *obj, unsigned tag, uint32_t flags)
{
	if (tag == LOOP_TAG_UDP_LISTEN)
		udp_listen_event(obj);
	else
		udp_server_event(obj, flags);
}

/*
 * A stop leaves UDP nothing to drain but answers still owed: sessions
 * whose every request was answered end now, the others when their
 * answer comes (or at the session timeout, or when the grace ends).
 */
static void
udp_stop(void)
{
	uint32_t i;

	for (i = 0; i < udp_buckets; i++) {
		struct udp_sess *u = udp_table[i], *next;

		for (; u != NULL; u = next) {
			next = u->hnext;
			if (u->dgrams_out >= u->dgrams_in)
				udp_end(u, "shutdown");
		}
	}
}

static void
udp_fini(void)
{
	udp_sock_bury();
	free(udp_table);
	udp_table = NULL;
	udp_buckets = 0;
	free(udp_batch);
	udp_batch = NULL;
	udp_port_fini();
}

static int
udp_busy(void)
{
	return udp_sock_any_deferred() || defer_any(&udp_sess_deferred);
}

/*
 * Sockets left unread in the last turn go on (sessions first, so that
 * their replies go out before new clients evict them), before burial.
 */
static void
udp_after_batch(void)
{
	struct defer_node *list = defer_take(&udp_sess_deferred), *n;
	struct udp_sock *us;

	while ((n = list) != NULL) {
		list = n->next;
		udp_server_event((struct udp_sess *)(void *)((char *)n -
		    offsetof(struct udp_sess, defer)), 0);
	}
	list = udp_sock_take_deferred();
	while ((us = udp_sock_next_deferred(&list)) != NULL)
		udp_listen_event(us);
	udp_sock_bury();
}

const struct loop_module udp_module = {
	.name = "udp",
	.tags = LOOP_TAG_BIT(LOOP_TAG_UDP_LISTEN) |
	    LOOP_TAG_BIT(LOOP_TAG_UDP_SERVER),
	.event = udp_event,
	.prepare = udp_prepare,
	.busy = udp_busy,
	.after_batch = udp_after_batch,
	.stop = udp_stop,
	.fini = udp_fini
};
