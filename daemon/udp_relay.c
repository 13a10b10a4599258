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
 * Datagrams are read in batches (recvmmsg) into buffers large enough for
 * any datagram (65,535 bytes), so none is ever truncated or merged; one
 * the kernel truncated anyway (MSG_TRUNC) is dropped and counted.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "log.h"
#include "ops/access.h"
#include "proxy.h"

#define UDP_BATCH	16
#define UDP_DGRAM_MAX	65535
#define UDP_CMSG_SPACE	64	/* room for one in_pktinfo or in6_pktinfo */

/* The client's address, compactly: IPv4 or IPv6 only. */
union udp_peer {
	struct sockaddr		sa;
	struct sockaddr_in	in4;
	struct sockaddr_in6	in6;
};

struct udp_sess {
	struct udp_sess	*hnext;		/* hash chain */
	struct udp_sess	*lru_prev;	/* towards the most recent */
	struct udp_sess	*lru_next;	/* towards the least recent */
	struct lsock	*ls;		/* where the client came in */
	int		 lfd;		/* its socket: the hash key, stable */
	int		 fd;		/* connected to the server */
	int32_t		 server;
	int		 dead;
	union udp_peer	 client;
	/* The address the client sent to, on wildcard binds (else zero):
	 * part of the key, and the source of the replies. */
	struct udp_local {
		struct in6_addr	 addr;	/* IPv4 in the first 4 bytes */
		unsigned	 ifindex;
	}		 local;
	struct timer	 timer;
	uint64_t	 t_start;
	uint64_t	 t_last;
	uint64_t	 dgrams_in;
	uint64_t	 dgrams_out;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 hash;
};

struct udp_batch {
	struct mmsghdr	 msg[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	union udp_peer	 from[UDP_BATCH];
	char		 cmsg[UDP_BATCH][UDP_CMSG_SPACE];
	char		 data[UDP_BATCH][UDP_DGRAM_MAX];
};

/* --- the session table ------------------------------------------------ */

static socklen_t
udp_peer_len(const union udp_peer *p)
{
	return p->sa.sa_family == AF_INET ? sizeof(p->in4) : sizeof(p->in6);
}

static int
udp_peer_eq(const union udp_peer *a, const union udp_peer *b)
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
udp_hash(int lfd, const union udp_peer *p, const struct udp_local *local)
{
	const unsigned char *b;
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)(unsigned)lfd;
	size_t len, i;

	if (p->sa.sa_family == AF_INET) {
		h ^= p->in4.sin_port;
		b = (const unsigned char *)&p->in4.sin_addr;
		len = 4;
	} else {
		h ^= p->in6.sin6_port;
		b = (const unsigned char *)&p->in6.sin6_addr;
		len = 16;
	}
	h *= 0x100000001b3ull;
	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	/* The local address is zero except on wildcard binds: skip it. */
	if (local != NULL) {
		b = (const unsigned char *)&local->addr;
		for (i = 0; i < sizeof(local->addr); i++) {
			h ^= b[i];
			h *= 0x100000001b3ull;
		}
	}
	return h;
}

static struct udp_sess *
udp_find(int lfd, const union udp_peer *p, const struct udp_local *local,
    uint64_t h)
{
	struct udp_sess *u;

	if (proxy.udp_buckets == 0)
		return NULL;
	for (u = proxy.udp_table[h & (proxy.udp_buckets - 1)]; u != NULL;
	    u = u->hnext)
		if (u->hash == h && u->lfd == lfd &&
		    udp_peer_eq(&u->client, p) &&
		    memcmp(&u->local.addr, &local->addr,
		    sizeof(local->addr)) == 0)
			return u;
	return NULL;
}

/* Grows the table to keep chains short; a failure keeps the old one. */
static void
udp_table_grow(void)
{
	uint32_t n = proxy.udp_buckets ? proxy.udp_buckets * 2 : 256, i;
	struct udp_sess **t = calloc(n, sizeof(*t));

	if (t == NULL)
		return;
	for (i = 0; i < proxy.udp_buckets; i++) {
		struct udp_sess *u = proxy.udp_table[i], *next;

		for (; u != NULL; u = next) {
			next = u->hnext;
			u->hnext = t[u->hash & (n - 1)];
			t[u->hash & (n - 1)] = u;
		}
	}
	free(proxy.udp_table);
	proxy.udp_table = t;
	proxy.udp_buckets = n;
}

static void
udp_unhash(struct udp_sess *u)
{
	struct udp_sess **pp = &proxy.udp_table[u->hash &
	    (proxy.udp_buckets - 1)];

	while (*pp != u)
		pp = &(*pp)->hnext;
	*pp = u->hnext;
	proxy.udp_count--;
}

/* --- recency ---------------------------------------------------------- */

/* The socket that replies for this session now (reloads move it). */
static struct lsock *
udp_reply_sock(struct udp_sess *u)
{
	struct lsock *ls = u->ls;

	while (ls->successor != NULL)
		ls = ls->successor;
	return ls;
}

/*
 * Each socket keeps its sessions in order of use, those of older
 * generations included (a reload hands the list over with the socket),
 * so that max_sessions evicts across generations.
 */
static void
udp_lru_unlink(struct lsock *l, struct udp_sess *u)
{
	if (u->lru_prev != NULL)
		u->lru_prev->lru_next = u->lru_next;
	else
		l->lru_head = u->lru_next;
	if (u->lru_next != NULL)
		u->lru_next->lru_prev = u->lru_prev;
	else
		l->lru_tail = u->lru_prev;
	u->lru_prev = u->lru_next = NULL;
}

static void
udp_lru_front(struct lsock *l, struct udp_sess *u)
{
	u->lru_next = l->lru_head;
	u->lru_prev = NULL;
	if (l->lru_head != NULL)
		l->lru_head->lru_prev = u;
	l->lru_head = u;
	if (l->lru_tail == NULL)
		l->lru_tail = u;
}

static void
udp_touch(struct udp_sess *u)
{
	struct lsock *l = udp_reply_sock(u);	/* the list's owner, once */

	u->t_last = proxy.now;
	if (l->lru_head != u) {
		udp_lru_unlink(l, u);
		udp_lru_front(l, u);
	}
}

/* --- ending ----------------------------------------------------------- */

static void
udp_peer_to_addr(const union udp_peer *p, struct mio_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = udp_peer_len(p);
	memcpy(&a->u, p, a->len);
}

static void
udp_end(struct udp_sess *u, const char *reason)
{
	struct lstn *l = u->ls->l;
	struct lsock *ls;

	if (u->dead)
		return;
	if (access_enabled()) {
		struct access_rec r;
		struct mio_addr client;

		udp_peer_to_addr(&u->client, &client);
		memset(&r, 0, sizeof(r));
		r.listener = l->conf->name;
		r.proto = "udp";
		r.client = &client;
		r.server = u->server >= 0 ?
		    &l->ups->conf->servers[u->server].addr : NULL;
		r.connect_ms = u->server >= 0 ? 0 : -1;
		r.duration_ms = (int64_t)(proxy.now - u->t_start);
		r.bytes_in = u->bytes_in;
		r.bytes_out = u->bytes_out;
		r.datagrams_in = u->dgrams_in;
		r.datagrams_out = u->dgrams_out;
		r.end = reason;
		access_write(&r);
	}
	if (u->fd >= 0) {
		(void)mio_deregister(proxy.poll, u->fd);
		mio_close(u->fd);
		u->fd = -1;
	}
	if (u->server >= 0)
		lb_release(&l->ups->pool, (uint32_t)u->server);
	timer_unhold(&proxy.timers, &u->timer);
	ls = udp_reply_sock(u);
	udp_unhash(u);
	udp_lru_unlink(ls, u);
	l->active--;
	proxy.nsessions--;
	/*
	 * A socket that a reload or a stop removed closes with its last
	 * session (one taken over by a reload has moved on: fd -1 here).
	 */
	if (--ls->udp_sessions == 0 && ls->draining && ls->fd >= 0)
		lstn_drained(ls);
	u->dead = 1;
	u->hnext = proxy.udp_graveyard;
	proxy.udp_graveyard = u;
}

void
udp_bury(void)
{
	while (proxy.udp_graveyard != NULL) {
		struct udp_sess *u = proxy.udp_graveyard;
		struct gen *g = u->ls->l->gen;

		proxy.udp_graveyard = u->hnext;
		free(u);
		gen_unref(g);
	}
}

void
udp_end_all(const char *reason)
{
	uint32_t i;

	for (i = 0; i < proxy.udp_buckets; i++)
		while (proxy.udp_table[i] != NULL)
			udp_end(proxy.udp_table[i], reason);
}

/*
 * A stop leaves UDP nothing to drain but answers still owed: sessions
 * whose every request was answered end now, the others when their
 * answer comes (or at the session timeout, or when the grace ends).
 */
void
udp_stop(void)
{
	uint32_t i;

	for (i = 0; i < proxy.udp_buckets; i++) {
		struct udp_sess *u = proxy.udp_table[i], *next;

		for (; u != NULL; u = next) {
			next = u->hnext;
			if (u->dgrams_out >= u->dgrams_in)
				udp_end(u, "shutdown");
		}
	}
}

void
udp_fini(void)
{
	free(proxy.udp_table);
	proxy.udp_table = NULL;
	proxy.udp_buckets = 0;
	free(proxy.udp_batch);
	proxy.udp_batch = NULL;
}

static void
udp_timer(struct timer *t, uint64_t now)
{
	struct udp_sess *u = (struct udp_sess *)((char *)t -
	    offsetof(struct udp_sess, timer));
	uint64_t due = u->t_last +
	    (uint64_t)u->ls->l->conf->udp.session_timeout_ms;

	if (now >= due)
		udp_end(u, "session_timeout");
	else
		(void)timer_set(&proxy.timers, t, due);
}

/* --- starting --------------------------------------------------------- */

static int
udp_open_upstream(const struct mio_addr *server)
{
	struct mio_addr any;
	int fd, rc;

	memset(&any, 0, sizeof(any));
	any.u.sa.sa_family = server->u.sa.sa_family;
	any.len = server->u.sa.sa_family == AF_INET ?
	    sizeof(any.u.in4) : sizeof(any.u.in6);
	if ((fd = mio_udp_bind(&any)) < 0)
		return fd;
	if ((rc = mio_udp_connect(fd, server)) != 0) {
		mio_close(fd);
		return rc;
	}
	return fd;
}

/*
 * The session to evict for a new client of l: none while l's sockets
 * carry fewer than udp.max_sessions sessions (counting those that older
 * generations still run through them), else the least recently used.
 */
static struct udp_sess *
udp_lru_victim(struct lstn *l)
{
	struct udp_sess *v = NULL;
	uint64_t n = 0;
	size_t j;

	for (j = 0; j < l->nsocks; j++) {
		struct lsock *s = &l->socks[j];

		n += s->udp_sessions;
		if (s->lru_tail != NULL &&
		    (v == NULL || s->lru_tail->t_last < v->t_last))
			v = s->lru_tail;
	}
	return n >= (uint64_t)l->conf->udp.max_sessions ? v : NULL;
}

/*
 * Makes a session for a new client, evicting the least recently used
 * one of the listener when it is full.  NULL when no server can be had.
 */
static struct udp_sess *
udp_start(struct lsock *ls, const union udp_peer *client,
    const struct udp_local *local, uint64_t h)
{
	struct lstn *l = ls->l;
	struct ups *ups = l->ups;
	uint32_t excluded[8];
	unsigned nex = 0;
	struct udp_sess *u, *victim;
	int i, fd = -1, rc;

	if (proxy.udp_count >= (uint64_t)proxy.udp_buckets * 2)
		udp_table_grow();
	if (proxy.udp_buckets == 0)
		return NULL;
	if ((victim = udp_lru_victim(l)) != NULL) {
		l->udp_evicted++;
		udp_end(victim, "evicted");
	}
	/* Each server once, in the balancer's order, until one opens. */
	while ((i = lb_pick(&ups->pool, &client->sa, excluded, nex)) >= 0) {
		fd = udp_open_upstream(&ups->conf->servers[i].addr);
		if (fd >= 0)
			break;
		/* Out of descriptors or memory here: shed, no server's fault. */
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS ||
		    fd == -ENOMEM) {
			l->rejected_fds++;
			return NULL;
		}
		ups->connect_failures[i]++;
		if (nex == sizeof(excluded) / sizeof(excluded[0]))
			return NULL;
		excluded[nex++] = (uint32_t)i;
	}
	if (i < 0)
		return NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		mio_close(fd);
		return NULL;
	}
	/* Its expiry must never fail to arm later (timer.h). */
	timer_init(&u->timer, udp_timer);
	if (timer_hold(&proxy.timers) != 0) {
		mio_close(fd);
		free(u);
		return NULL;
	}
	if ((rc = mio_register(proxy.poll, fd, TOKEN(u, TAG_UDP_SERVER),
	    MIO_READABLE)) != 0) {
		log_warn("listener %s: register: %s", l->conf->name,
		    mio_strerror(rc));
		mio_close(fd);
		timer_unhold(&proxy.timers, &u->timer);
		free(u);
		return NULL;
	}
	u->ls = ls;
	u->lfd = ls->fd;
	u->fd = fd;
	u->server = i;
	u->client = *client;
	u->local = *local;
	u->hash = h;
	u->t_start = u->t_last = proxy.now;
	lb_acquire(&ups->pool, (uint32_t)i);
	(void)timer_set(&proxy.timers, &u->timer,
	    proxy.now + (uint64_t)l->conf->udp.session_timeout_ms);
	u->hnext = proxy.udp_table[h & (proxy.udp_buckets - 1)];
	proxy.udp_table[h & (proxy.udp_buckets - 1)] = u;
	proxy.udp_count++;
	udp_lru_front(ls, u);	/* a new session replies through ls */
	gen_ref(l->gen);
	ls->udp_sessions++;
	l->active++;
	l->udp_created++;
	proxy.nsessions++;
	return u;
}

/* --- datagrams -------------------------------------------------------- */

static struct udp_batch *
udp_batch_get(void)
{
	return proxy.udp_batch;
}

/*
 * Makes the receive buffers before a configuration with UDP listeners
 * serves (start or reload), so that no datagram event can find them
 * missing: one that did would leave the socket unread, and on poll(2)
 * unarmed.
 */
int
udp_prepare(const struct conf *conf)
{
	size_t i;

	if (proxy.udp_batch != NULL)
		return 0;
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].protocol == CONF_PROTO_UDP) {
			proxy.udp_batch = malloc(sizeof(*proxy.udp_batch));
			return proxy.udp_batch != NULL ? 0 : -ENOMEM;
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
			h->msg_controllen = UDP_CMSG_SPACE;
		}
	}
}

/*
 * One batch in: recvmmsg where the system has it, else one recvmsg (a
 * batch of one), so the relay runs anywhere libmio does.
 */
static int
udp_recv_batch(int fd, struct udp_batch *b)
{
	ssize_t n;
	int r = mio_recvmmsg(fd, b->msg, UDP_BATCH, 0);

	if (r != -ENOTSUP)
		return r;
	if ((n = mio_recvmsg(fd, &b->msg[0].msg_hdr, 0)) < 0)
		return (int)n;
	b->msg[0].msg_len = (unsigned)n;
	return 1;
}

/*
 * One batch out: sendmmsg where the system has it, else a loop of
 * sendmsg.  Returns how many went, or -errno when none did.
 */
static int
udp_send_batch(int fd, struct mmsghdr *msg, unsigned n)
{
	unsigned i;
	ssize_t r;
	int rc = mio_sendmmsg(fd, msg, n, 0);

	if (rc != -ENOTSUP)
		return rc;
	for (i = 0; i < n; i++) {
		if ((r = mio_sendmsg(fd, &msg[i].msg_hdr, 0)) < 0)
			return i > 0 ? (int)i : (int)r;
		msg[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

/* The destination of a request, from its IP_PKTINFO/IPV6_PKTINFO. */
static void
udp_local_of(struct msghdr *h, struct udp_local *local)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(&local->addr, &pi.ipi_addr, 4);
			local->ifindex = 0;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->addr = pi.ipi6_addr;
			local->ifindex = pi.ipi6_ifindex;
		}
	}
}

/*
 * On epoll (Linux) a batch that came back short has emptied the socket's
 * queue, and the next datagram raises a new edge: no receive call just to
 * hear -EAGAIN.  Backends that emulate edges re-arm only on -EAGAIN, so
 * there the loop goes on until it comes.
 */
static int
udp_drained(int n)
{
	return proxy.short_io_drains && n < UDP_BATCH;
}

void
udp_listener_event(struct lsock *ls)
{
	struct udp_batch *b = udp_batch_get();
	struct lstn *l = ls->l;
	int n, i, errors = 0;

	if (b == NULL)
		return;
	for (;;) {
		udp_batch_arm(b, 1);
		n = udp_recv_batch(ls->fd, b);
		if (n < 0) {
			if (n == -EAGAIN)
				return;
			/* An error is consumed by the call that reports it:
			 * read on, to -EAGAIN (which re-arms poll(2)). */
			log_debug("listener %s: receive: %s", l->conf->name,
			    mio_strerror(n));
			if (++errors < 16)
				continue;
			return;
		}
		for (i = 0; i < n; i++) {
			struct msghdr *h = &b->msg[i].msg_hdr;
			union udp_peer *from = &b->from[i];
			size_t len = b->msg[i].msg_len;
			struct udp_local local;
			struct udp_sess *u;
			uint64_t hash;
			ssize_t sent;

			l->dgrams_in++;
			if ((h->msg_flags & MSG_TRUNC) ||
			    (from->sa.sa_family != AF_INET &&
			    from->sa.sa_family != AF_INET6)) {
				l->dgrams_dropped++;
				continue;
			}
			memset(&local, 0, sizeof(local));
			if (ls->wildcard)
				udp_local_of(h, &local);
			hash = udp_hash(ls->fd, from,
			    ls->wildcard ? &local : NULL);
			if ((u = udp_find(ls->fd, from, &local, hash)) == NULL) {
				if (!lstn_acl_allows(l->conf->acl, &from->sa)) {
					l->rejected_acl++;
					continue;
				}
				if (ls->draining || proxy.stopping ||
				    (u = udp_start(ls, from, &local, hash)) ==
				    NULL) {
					l->dgrams_dropped++;
					continue;
				}
			}
			udp_touch(u);
			sent = mio_send(u->fd, b->data[i], len);
			if (sent < 0) {
				/*
				 * The server's port is closed (ICMP): a failure
				 * of the session's server, in the session's own
				 * generation (an older one after a reload).
				 */
				if (sent == -ECONNREFUSED) {
					u->ls->l->ups->connect_failures[
					    u->server]++;
					udp_end(u, "server_unreachable");
					/* That was the last session of a socket
					 * a reload removed: it is closed now. */
					if (ls->fd < 0)
						return;
				} else {
					l->dgrams_dropped++;
				}
				continue;
			}
			u->dgrams_in++;
			u->bytes_in += len;
		}
		/* A short batch emptied the queue (see udp_drained()). */
		if (udp_drained(n))
			return;
	}
}

/*
 * The control data that makes a reply leave from the address the client
 * sent to (wildcard binds only); its length, 0 when none is needed.
 */
static size_t
udp_reply_control(const struct udp_sess *u, const struct lsock *ls,
    void *buf)
{
	struct cmsghdr *c = buf;

	if (!ls->wildcard)
		return 0;
	memset(buf, 0, UDP_CMSG_SPACE);
	if (u->client.sa.sa_family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, &u->local.addr, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = u->local.addr;
		pi.ipi6_ifindex = u->local.ifindex;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
}

/*
 * Sends the replies held in the batch's first n messages (their iovecs
 * set) to the client, in one sendmmsg where possible.  Returns how many
 * went; the others are dropped, as UDP may.
 */
static unsigned
udp_reply_batch(struct udp_sess *u, struct udp_batch *b, unsigned n)
{
	struct lsock *ls = udp_reply_sock(u);
	union {
		char		buf[UDP_CMSG_SPACE];
		struct cmsghdr	align;
	} control;
	size_t clen;
	unsigned i, sent = 0;
	int r;

	if (ls->fd < 0 || n == 0)
		return 0;
	clen = udp_reply_control(u, ls, control.buf);
	for (i = 0; i < n; i++) {
		struct msghdr *h = &b->msg[i].msg_hdr;

		memset(h, 0, sizeof(*h));
		h->msg_name = &u->client;
		h->msg_namelen = udp_peer_len(&u->client);
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		if (clen > 0) {
			h->msg_control = control.buf;
			h->msg_controllen = clen;
		}
	}
	while (sent < n) {
		r = udp_send_batch(ls->fd, &b->msg[sent], n - sent);
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

void
udp_event(struct udp_sess *u, uint32_t flags)
{
	struct udp_batch *b = udp_batch_get();
	struct lstn *l = u->ls->l;
	uint64_t limit = (uint64_t)l->conf->udp.responses;
	unsigned i, k, sent;
	size_t bytes;
	int n;

	(void)flags;
	if (u->dead || b == NULL)
		return;
	for (;;) {
		udp_batch_arm(b, 0);
		n = udp_recv_batch(u->fd, b);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			if (n == -ECONNREFUSED) {
				l->ups->connect_failures[u->server]++;
				udp_end(u, "server_unreachable");
			} else {
				udp_end(u, "error");
			}
			return;
		}
		/* Keep the whole replies, up to the responses still owed. */
		for (i = k = 0, bytes = 0; i < (unsigned)n; i++) {
			if ((b->msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    (limit > 0 &&
			    u->dgrams_out + k >= limit * u->dgrams_in)) {
				l->dgrams_dropped++;
				continue;
			}
			b->iov[k].iov_base = b->data[i];
			b->iov[k].iov_len = b->msg[i].msg_len;
			k++;
		}
		sent = udp_reply_batch(u, b, k);
		for (i = 0; i < sent; i++)
			bytes += b->iov[i].iov_len;
		l->dgrams_dropped += k - sent;
		l->dgrams_out += sent;
		u->dgrams_out += sent;
		u->bytes_out += bytes;
		if (sent > 0)
			udp_touch(u);
		/* Every request has had its replies (nginx's counting). */
		if (limit > 0 && u->dgrams_out >= limit * u->dgrams_in) {
			udp_end(u, "responses");
			return;
		}
		if (proxy.stopping && u->dgrams_out >= u->dgrams_in) {
			udp_end(u, "shutdown");
			return;
		}
		if (udp_drained(n))
			return;
	}
}
