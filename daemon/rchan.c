/*
 * A c-ares channel on the caller's event loop, or driven by poll(2)
 * before it (rchan.h).
 *
 * c-ares' traps, and the answers here:
 *  - it opens and closes its sockets itself and says so through the
 *    socket-state callback (readable, writable; 0, 0 just before a
 *    close): the callback registers, re-registers and deregisters them,
 *    so no registration outlives its descriptor;
 *  - it reads its sockets outside libmio: every event is followed by
 *    mio_reregister() (rchan.h says why);
 *  - its retransmissions need a clock: ares_timeout() gives the next
 *    one, which becomes a timer of the caller's, and ares_process_fd()
 *    with no descriptor runs it;
 *  - a callback may run inside ares_getaddrinfo() (a hosts-file answer),
 *    so `pending` is counted before the call;
 *  - ares_destroy() must not run inside one of its callbacks: callers
 *    close channels from their module hooks, never from an answer;
 *  - /etc/resolv.conf's `search` and `domain` would send a failing name
 *    again with suffixes: the channel is made with no search domains.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "log.h"
#include "rchan.h"

/* Per try and tries: a dead resolver answers in about 3 s per server. */
#define RCHAN_TIMEOUT_MS	1000
#define RCHAN_TRIES		2
#define RCHAN_ADDRS_MAX		CONF_SERVERS_MAX

struct rchan_query {
	struct rchan	*chan;
	rchan_fn	*fn;
	void		*arg;
};

static void	rchan_sock_event(struct loop_handler *h, uint32_t flags);

int
rchan_library_init(void)
{
	return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 :
	    -ENOMEM;
}

void
rchan_library_fini(void)
{
	ares_library_cleanup();
}

/* The next retransmission as a timer; none when nothing waits. */
static void
rchan_arm(struct rchan *c)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (!c->on_loop || !c->open)
		return;
	if ((tvp = ares_timeout(c->ch, NULL, &tv)) == NULL) {
		timer_cancel(c->env.timers, &c->timer);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) /
	    1000;
	/* A slot is held (rchan_open): this cannot fail. */
	(void)timer_set(c->env.timers, &c->timer, *c->env.now + ms);
}

static void
rchan_fire(struct timer *t, uint64_t now)
{
	struct rchan *c = (struct rchan *)((char *)t -
	    offsetof(struct rchan, timer));

	(void)now;
	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rchan_arm(c);
}

/* A socket's token: its handler's address with the caller's tag. */
static mio_token
rchan_token(struct rchan_sock *s)
{
	return (mio_token)(uintptr_t)&s->h | s->chan->env.tag;
}

static struct rchan_sock *
rchan_slot(struct rchan *c, int fd)
{
	size_t i;

	for (i = 0; i < RCHAN_SOCKS; i++)
		if (c->socks[i].fd == fd)
			return &c->socks[i];
	return NULL;
}

/* c-ares opened, changed or is about to close one of its sockets. */
static void
rchan_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct rchan *c = data;
	struct rchan_sock *s;
	unsigned interest = (readable ? MIO_READABLE : 0u) |
	    (writable ? MIO_WRITABLE : 0u);
	int rc;

	if (!c->on_loop)
		return;
	s = rchan_slot(c, fd);
	if (interest == 0) {
		if (s != NULL) {
			(void)mio_deregister(c->env.poll, fd);
			s->fd = -1;
		}
		return;
	}
	if (s == NULL) {
		if ((s = rchan_slot(c, -1)) == NULL) {
			log_error("resolver: more than %d sockets: lookups on "
			    "one will time out", RCHAN_SOCKS);
			return;
		}
		s->fd = fd;
		s->interest = interest;
		rc = mio_register(c->env.poll, fd, rchan_token(s), interest);
	} else {
		s->interest = interest;
		rc = mio_reregister(c->env.poll, fd, rchan_token(s),
		    interest);
	}
	if (rc != 0) {
		log_error("resolver: registering a socket: %s",
		    mio_strerror(rc));
		s->fd = -1;
	}
}

static void
rchan_sock_event(struct loop_handler *h, uint32_t flags)
{
	struct rchan_sock *s = (struct rchan_sock *)h;
	struct rchan *c = s->chan;
	int fd = s->fd;

	if (fd < 0 || !c->open)
		return;			/* closed earlier in the batch */
	ares_process_fd(c->ch,
	    flags & (MIO_READABLE | MIO_ERROR | MIO_READ_CLOSED) ? fd :
	    ARES_SOCKET_BAD,
	    flags & (MIO_WRITABLE | MIO_ERROR | MIO_WRITE_CLOSED) ? fd :
	    ARES_SOCKET_BAD);
	/* Re-arm what c-ares read outside libmio, unless it closed it. */
	if (s->fd == fd)
		(void)mio_reregister(c->env.poll, fd, rchan_token(s),
		    s->interest);
	rchan_arm(c);
}

/* "1.2.3.4:53,[::1]:5353": the form ares_set_servers_ports_csv() reads. */
static int
rchan_csv(const struct conf_resolver *r, char *csv, size_t len)
{
	size_t i, used = 0;
	int n;

	csv[0] = '\0';
	for (i = 0; i < r->servers.n; i++) {
		n = mio_addr_format(&r->servers.v[i].addr, csv + used,
		    len - used);
		if (n < 0 || used + (size_t)n + 2 > len)
			return -EINVAL;
		used += (size_t)n;
		if (i + 1 < r->servers.n)
			csv[used++] = ',';
		csv[used] = '\0';
	}
	return 0;
}

int
rchan_open(struct rchan *c, const struct conf_resolver *r,
    const struct rchan_env *env)
{
	struct ares_options o;
	char csv[CONF_RESOLVER_SERVERS_MAX * MIO_ADDR_STRLEN];
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < RCHAN_SOCKS; i++) {
		c->socks[i].h.event = rchan_sock_event;
		c->socks[i].chan = c;
		c->socks[i].fd = -1;
	}
	c->on_loop = env != NULL;
	if (env != NULL)
		c->env = *env;
	memset(&o, 0, sizeof(o));
	o.timeout = RCHAN_TIMEOUT_MS;
	o.tries = RCHAN_TRIES;
	o.ndomains = 0;			/* no search: the name as written */
	o.sock_state_cb = rchan_sock_state;
	o.sock_state_cb_data = c;
	if (c->on_loop && (rc = timer_hold(c->env.timers)) != 0)
		return rc;
	timer_init(&c->timer, rchan_fire);
	rc = ares_init_options(&c->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_DOMAINS | ARES_OPT_SOCK_STATE_CB);
	if (rc == ARES_SUCCESS && r->servers.n > 0) {
		if (rchan_csv(r, csv, sizeof(csv)) != 0 ||
		    (rc = ares_set_servers_ports_csv(c->ch, csv)) !=
		    ARES_SUCCESS) {
			log_error("resolver: servers %s: %s", csv,
			    ares_strerror(rc));
			ares_destroy(c->ch);
			rc = ARES_EBADSTR;
		}
	} else if (rc != ARES_SUCCESS)
		log_error("resolver: %s", ares_strerror(rc));
	if (rc != ARES_SUCCESS) {
		if (c->on_loop)
			timer_unhold(c->env.timers, &c->timer);
		return rc == ARES_ENOMEM ? -ENOMEM : -EINVAL;
	}
	c->open = 1;
	return 0;
}

void
rchan_close(struct rchan *c)
{
	if (!c->open)
		return;
	/* Answers ARES_EDESTRUCTION to what is in flight, then closes its
	 * sockets (each through rchan_sock_state: deregistered). */
	ares_destroy(c->ch);
	c->open = 0;
	if (c->on_loop)
		timer_unhold(c->env.timers, &c->timer);
}

static int
rchan_addr_cmp(const void *a, const void *b)
{
	return mio_addr_cmp(a, b);
}

/* The answer's addresses, sorted and unique, port 0: n, or -ENOMEM. */
static int
rchan_addrs(const struct ares_addrinfo *res, struct mio_addr **out,
    uint32_t *ttl)
{
	const struct ares_addrinfo_node *ai;
	struct mio_addr *v;
	size_t n = 0, i, k;

	*out = NULL;
	*ttl = UINT32_MAX;
	for (ai = res != NULL ? res->nodes : NULL; ai != NULL; ai = ai->ai_next)
		n++;
	if (n > RCHAN_ADDRS_MAX)
		n = RCHAN_ADDRS_MAX;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	i = 0;
	for (ai = res != NULL ? res->nodes : NULL; ai != NULL && i < n;
	    ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(v[i].u.in4)) {
			memcpy(&v[i].u.in4, ai->ai_addr, sizeof(v[i].u.in4));
			v[i].u.in4.sin_port = 0;
			v[i].len = sizeof(v[i].u.in4);
		} else if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen >= sizeof(v[i].u.in6)) {
			memcpy(&v[i].u.in6, ai->ai_addr, sizeof(v[i].u.in6));
			v[i].u.in6.sin6_port = 0;
			v[i].len = sizeof(v[i].u.in6);
		} else
			continue;
		if (ai->ai_ttl >= 0 && (uint32_t)ai->ai_ttl < *ttl)
			*ttl = (uint32_t)ai->ai_ttl;
		i++;
	}
	qsort(v, i, sizeof(*v), rchan_addr_cmp);
	for (n = 0, k = 0; k < i; k++)
		if (n == 0 || !mio_addr_equal(&v[n - 1], &v[k]))
			v[n++] = v[k];
	*out = v;
	return (int)n;
}

static void
rchan_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct rchan_query *q = arg;
	struct mio_addr *v = NULL;
	uint32_t ttl = 0;
	int n = 0;

	(void)timeouts;
	q->chan->pending--;
	if (status == ARES_SUCCESS && (n = rchan_addrs(res, &v, &ttl)) < 0)
		status = ARES_ENOMEM;
	else if (status == ARES_SUCCESS && n == 0)
		status = ARES_ENODATA;
	if (res != NULL)
		ares_freeaddrinfo(res);
	q->fn(q->arg, status, status == ARES_SUCCESS ? v : NULL,
	    status == ARES_SUCCESS ? (size_t)n : 0, ttl);
	free(v);
	free(q);
}

void
rchan_lookup(struct rchan *c, const char *host, rchan_fn *fn, void *arg)
{
	struct ares_addrinfo_hints hints;
	struct rchan_query *q;

	if (!c->open || (q = calloc(1, sizeof(*q))) == NULL) {
		fn(arg, c->open ? ARES_ENOMEM : ARES_EDESTRUCTION, NULL, 0, 0);
		return;
	}
	q->chan = c;
	q->fn = fn;
	q->arg = arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	c->pending++;
	ares_getaddrinfo(c->ch, host, NULL, &hints, rchan_answer, q);
	rchan_arm(c);
}

void
rchan_wait(struct rchan *c)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd p[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	unsigned bits;
	int i, n, ms, rc;

	while (c->open && c->pending > 0) {
		bits = (unsigned)ares_getsock(c->ch, socks,
		    ARES_GETSOCK_MAXNUM);
		for (i = 0, n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			/* c-ares' own macros shift an int by 31: UB. */
			short ev = (short)(((bits >> i) & 1u ? POLLIN : 0) |
			    ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u ?
			    POLLOUT : 0));

			if (ev != 0)
				p[n++] = (struct pollfd){ socks[i], ev, 0 };
		}
		tvp = ares_timeout(c->ch, NULL, &tv);
		ms = tvp == NULL ? 100 : (int)(tvp->tv_sec * 1000 +
		    (tvp->tv_usec + 999) / 1000);
		rc = poll(p, (nfds_t)n, ms);
		if (rc <= 0) {
			ares_process_fd(c->ch, ARES_SOCKET_BAD,
			    ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			if (p[i].revents != 0)
				ares_process_fd(c->ch,
				    p[i].revents & (POLLIN | POLLERR | POLLHUP) ?
				    p[i].fd : ARES_SOCKET_BAD,
				    p[i].revents & POLLOUT ? p[i].fd :
				    ARES_SOCKET_BAD);
	}
}
