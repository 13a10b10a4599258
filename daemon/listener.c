/*
 * Listeners: binding (keeping the sockets of unchanged binds across a
 * reload), accepting until -EAGAIN, ACLs, the connection limit, and
 * running out of descriptors.
 *
 * Descriptor exhaustion.  accept(2) failing with EMFILE or ENFILE leaves
 * the connection in the backlog; with edge triggers no new event comes
 * for it, so the listener would stall until the next client.  The loop
 * keeps one reserve descriptor: on EMFILE it is closed, the pending
 * connection accepted and closed at once (the client learns quickly,
 * and it is counted), the reserve reopened, and accepting goes on until
 * -EAGAIN.  Load is shed, nothing spins, and accepting resumes by itself
 * as descriptors free up.  Out of memory (ENOMEM, ENOBUFS) pauses the
 * socket for a moment on a timer instead.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "proxy.h"

/*
 * The accept queue: deep enough for a burst of max_connections clients
 * (the kernel caps it at net.core.somaxconn), so that none is dropped
 * and left to retransmit its SYN a second later.
 */
#define LSTN_BACKLOG_MIN	511
#define LSTN_BACKLOG_MAX	65535
#define LSTN_PAUSE_MS		100
#define LSTN_UDP_RCVBUF		(4 << 20)

/*
 * The open socket bound to the same (protocol, address): one of `old`'s,
 * or a UDP socket still draining from an earlier reload.  NULL if none.
 */
static struct lsock *
lstn_find(struct gen *old, int protocol, const struct mio_addr *addr)
{
	struct lsock *d;
	size_t i, j;

	for (d = proxy.draining; d != NULL; d = d->drain_next)
		if (d->l->conf->protocol == protocol && d->fd >= 0 &&
		    conf_addr_equal(&d->bind->addr, addr))
			return d;
	if (old == NULL)
		return NULL;
	for (i = 0; i < old->conf->nlisteners; i++) {
		struct lstn *l = &old->listeners[i];

		if (l->conf->protocol != protocol)
			continue;
		for (j = 0; j < l->nsocks; j++)
			if (l->socks[j].fd >= 0 &&
			    conf_addr_equal(&l->socks[j].bind->addr, addr))
				return &l->socks[j];
	}
	return NULL;
}

static int
lstn_is_wildcard(const struct mio_addr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &any6, sizeof(any6)) == 0;
	return 0;
}

/*
 * A UDP socket on a wildcard address learns each request's destination
 * (pktinfo), so that replies leave from the address the client used.
 */
static int
lstn_open(const struct conf_listener *cl, const struct mio_addr *addr)
{
	int fd, rc, backlog;

	if (cl->protocol == CONF_PROTO_UDP) {
		if (addr->u.sa.sa_family == AF_UNIX)
			return -EAFNOSUPPORT;
		if ((fd = mio_udp_bind(addr)) < 0)
			return fd;
		/* Room for bursts of many clients (the kernel caps it). */
		(void)mio_set_recv_buffer_size(fd, LSTN_UDP_RCVBUF);
		if (!lstn_is_wildcard(addr))
			return fd;
		if ((rc = mio_udp_set_pktinfo(fd, 1)) != 0) {
			mio_close(fd);
			return rc;
		}
		return fd;
	}
	backlog = cl->limits.max_connections < LSTN_BACKLOG_MIN ?
	    LSTN_BACKLOG_MIN : cl->limits.max_connections > LSTN_BACKLOG_MAX ?
	    LSTN_BACKLOG_MAX : (int)cl->limits.max_connections;
	if (addr->u.sa.sa_family == AF_UNIX)
		return mio_unix_listen(addr, backlog);
	if ((fd = mio_tcp_listen(addr, backlog)) >= 0)
		/* Accepted sockets inherit it: no call per connection. */
		(void)mio_tcp_set_nodelay(fd, 1);
	return fd;
}

static void lstn_retry(struct timer *t, uint64_t now);

/* Takes a socket off the draining list. */
static void
lstn_undrain(struct lsock *ls)
{
	struct lsock **pp = &proxy.draining;

	while (*pp != NULL && *pp != ls)
		pp = &(*pp)->drain_next;
	if (*pp == ls)
		*pp = ls->drain_next;
	ls->drain_next = NULL;
	ls->draining = 0;
}

void
lstn_drained(struct lsock *ls)
{
	lstn_undrain(ls);
	(void)mio_deregister(proxy.poll, ls->fd);
	mio_close(ls->fd);
	ls->fd = -1;
}

/*
 * Binds every socket of g, taking over the sockets of `old` whose
 * (protocol, address) did not change.  All or nothing: on a failure the
 * sockets bound here are closed, `old` keeps all of its own, and the
 * -errno is returned.  On success old's unmatched sockets stay open
 * until lstn_close_all(old).
 */
int
lstn_bind_all(struct gen *g, struct gen *old)
{
	char text[CONF_ADDRSTRLEN];
	size_t i, j;
	int rc;

	/* First bind what is new, touching nothing of old's. */
	for (i = 0; i < g->conf->nlisteners; i++) {
		struct lstn *l = &g->listeners[i];

		for (j = 0; j < l->nsocks; j++) {
			struct lsock *ls = &l->socks[j];

			ls->retry.fn = lstn_retry;
			ls->wildcard = l->conf->protocol == CONF_PROTO_UDP &&
			    lstn_is_wildcard(&ls->bind->addr);
			if (lstn_find(old, l->conf->protocol,
			    &ls->bind->addr) != NULL)
				continue;
			if ((ls->fd = lstn_open(l->conf, &ls->bind->addr)) < 0) {
				rc = ls->fd;
				ls->fd = -1;
				log_error("listener %s: bind %s: %s",
				    l->conf->name, conf_addr_str(&ls->bind->addr,
				    text, sizeof(text)), mio_strerror(rc));
				lstn_close_all(g);
				return rc;
			}
		}
	}
	/* Then take over old's sockets under new tokens. */
	for (i = 0; i < g->conf->nlisteners; i++) {
		struct lstn *l = &g->listeners[i];

		for (j = 0; j < l->nsocks; j++) {
			struct lsock *ls = &l->socks[j], *prev;

			if (ls->fd >= 0) {
				rc = mio_register(proxy.poll, ls->fd,
				    TOKEN(ls, TAG_LISTENER), MIO_READABLE);
			} else {
				prev = lstn_find(old, l->conf->protocol,
				    &ls->bind->addr);
				if (prev->draining)
					lstn_undrain(prev);
				ls->fd = prev->fd;
				prev->fd = -1;
				/* Old UDP sessions reply through it now; their
				 * generation keeps this one alive (gen.c). */
				prev->successor = ls;
				gen_ref(g);
				ls->udp_sessions = prev->udp_sessions;
				ls->lru_head = prev->lru_head;
				ls->lru_tail = prev->lru_tail;
				prev->udp_sessions = 0;
				prev->lru_head = prev->lru_tail = NULL;
				timer_cancel(&proxy.timers, &prev->retry);
				rc = mio_reregister(proxy.poll, ls->fd,
				    TOKEN(ls, TAG_LISTENER), MIO_READABLE);
				/* Connections that queued meanwhile. */
				if (rc == 0)
					lstn_event(ls, MIO_READABLE);
			}
			if (rc != 0)
				log_error("listener %s: register: %s",
				    l->conf->name, mio_strerror(rc));
		}
	}
	return 0;
}

/* Closes every listening socket still open in g. */
void
lstn_close_all(struct gen *g)
{
	size_t i, j;

	for (i = 0; i < g->conf->nlisteners; i++) {
		struct lstn *l = &g->listeners[i];

		for (j = 0; j < l->nsocks; j++) {
			struct lsock *ls = &l->socks[j];

			timer_cancel(&proxy.timers, &ls->retry);
			if (ls->fd < 0)
				continue;
			/* UDP sessions still reply through it: drain. */
			if (ls->udp_sessions > 0) {
				if (!ls->draining) {
					ls->draining = 1;
					ls->drain_next = proxy.draining;
					proxy.draining = ls;
				}
				continue;
			}
			(void)mio_deregister(proxy.poll, ls->fd);
			mio_close(ls->fd);
			ls->fd = -1;
			/* A Unix socket file would block the next bind. */
			if (ls->bind->addr.u.sa.sa_family == AF_UNIX &&
			    ls->bind->addr.u.un.sun_path[0] != '\0')
				unlink(ls->bind->addr.u.un.sun_path);
		}
	}
}

static int
lstn_cidr_match(const struct conf_cidr *c, int family, const uint8_t *ip)
{
	unsigned bytes = c->prefix / 8, bits = c->prefix % 8;

	if (c->family != family)
		return 0;
	if (memcmp(c->addr, ip, bytes) != 0)
		return 0;
	return bits == 0 ||
	    ((c->addr[bytes] ^ ip[bytes]) & (uint8_t)(0xff00u >> bits)) == 0;
}

/*
 * Whether the ACL lets this client in: a deny match refuses, then an
 * allow match admits, and no match refuses.  Unix clients carry no
 * address and are left to the socket file's permissions.
 */
int
lstn_acl_allows(const struct conf_acl *acl, const struct sockaddr *sa)
{
	const uint8_t *ip;
	int family = sa->sa_family, allowed = 0;
	size_t i;

	if (acl == NULL || (family != AF_INET && family != AF_INET6))
		return 1;
	if (family == AF_INET)
		ip = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	else
		ip = (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
	for (i = 0; i < acl->deny.n; i++)
		if (lstn_cidr_match(&acl->deny.v[i], family, ip))
			return 0;
	for (i = 0; i < acl->allow.n && !allowed; i++)
		allowed = lstn_cidr_match(&acl->allow.v[i], family, ip);
	return allowed;
}

/* Sheds one pending connection with the reserve descriptor. */
static int
lstn_shed(struct lsock *ls)
{
	int fd;

	if (proxy.reserve_fd < 0)
		proxy.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (proxy.reserve_fd < 0)
		return -EMFILE;
	close(proxy.reserve_fd);
	proxy.reserve_fd = -1;
	fd = mio_tcp_accept(ls->fd, NULL);
	if (fd >= 0) {
		mio_close(fd);
		ls->l->rejected_fds++;
	}
	proxy.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? 0 : fd;
}

static void
lstn_pause(struct lsock *ls)
{
	(void)timer_set(&proxy.timers, &ls->retry, proxy.now + LSTN_PAUSE_MS);
}

static void
lstn_retry(struct timer *t, uint64_t now)
{
	struct lsock *ls = (struct lsock *)((char *)t -
	    offsetof(struct lsock, retry));

	(void)now;
	if (ls->fd >= 0)
		lstn_event(ls, MIO_READABLE);
}

void
lstn_event(struct lsock *ls, uint32_t flags)
{
	struct lstn *l = ls->l;
	struct mio_addr client;
	int fd, unix_sock = ls->bind->addr.u.sa.sa_family == AF_UNIX;

	(void)flags;
	/* Closed, or handed over, earlier in this batch. */
	if (ls->fd < 0)
		return;
	if (l->conf->protocol == CONF_PROTO_UDP) {
		udp_listener_event(ls);
		return;
	}
	if (timer_armed(&ls->retry))
		return;
	for (;;) {
		memset(&client, 0, sizeof(client));
		fd = unix_sock ? mio_unix_accept(ls->fd, &client) :
		    mio_tcp_accept(ls->fd, &client);
		if (fd < 0) {
			if (fd == -EAGAIN)
				return;
			if (fd == -EMFILE || fd == -ENFILE) {
				if (lstn_shed(ls) == 0)
					continue;
				log_warn("listener %s: out of descriptors, "
				    "pausing accept", l->conf->name);
				lstn_pause(ls);
				return;
			}
			if (fd == -ENOMEM || fd == -ENOBUFS) {
				log_warn("listener %s: accept: %s",
				    l->conf->name, mio_strerror(fd));
				lstn_pause(ls);
				return;
			}
			/* That client only: the next may be fine. */
			if (fd == -ECONNABORTED || fd == -EPROTO ||
			    fd == -EPERM || fd == -ENETDOWN || fd == -ENOPROTOOPT ||
			    fd == -EHOSTDOWN || fd == -ENONET ||
			    fd == -EHOSTUNREACH || fd == -EOPNOTSUPP ||
			    fd == -ENETUNREACH)
				continue;
			log_error("listener %s: accept: %s", l->conf->name,
			    mio_strerror(fd));
			lstn_pause(ls);
			return;
		}
		l->accepted++;
		if (proxy.stopping) {
			mio_close(fd);
			continue;
		}
		if (!lstn_acl_allows(l->conf->acl, &client.u.sa)) {
			l->rejected_acl++;
			tcp_refuse(l, fd, &client, "acl_denied");
			continue;
		}
		if (l->active >= (uint64_t)l->conf->limits.max_connections) {
			l->rejected_limit++;
			tcp_refuse(l, fd, &client, "limit");
			continue;
		}
		tcp_start(l, fd, &client);
	}
}
