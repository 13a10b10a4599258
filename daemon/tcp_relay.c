/*
 * TCP sessions: connecting to a server (with retries on the next one),
 * then relaying both directions until both are done.
 *
 * Each session has two sockets, registered once for reading and writing
 * (edge-triggered, never re-registered), and two flows: client to server
 * and server to client.  Readiness is remembered per flow (src_rd: the
 * source may have data; dst_wr: the destination may take data) and
 * forgotten only when an I/O call returns -EAGAIN, which is what edge
 * triggers require.
 *
 * Backpressure.  A flow holds at most one buffer: it reads only when its
 * buffer is empty and writes until the buffer is empty again, so a slow
 * side stops the reading of the other and memory per session is bounded
 * by two buffers whatever the peers do.  Buffers come from a pool and go
 * back the moment they empty, so an idle session holds none.
 *
 * Half-close.  A FIN from one side (read returns 0) becomes
 * shutdown(SHUT_WR) towards the other once the flow's buffer is flushed;
 * the other direction keeps flowing for up to timeouts.half_close.  Both
 * directions shut down: the session ends as client_close or server_close,
 * after whichever side closed first.
 *
 * Resets.  An error on one side (ECONNRESET, EPIPE, ...) ends the session
 * and resets the other side (SO_LINGER 0), so a reset propagates.
 *
 * Short reads and writes.  On epoll (Linux) a read that returns fewer
 * bytes than asked has emptied the socket, and a write that takes fewer
 * has filled it: new data or new room raises a new edge, as nginx relies
 * on, so the relay does not spend a system call to hear -EAGAIN.  On
 * backends that emulate edges only -EAGAIN re-arms, and there the relay
 * drains to -EAGAIN as libmio's contract says (proxy.short_io_drains).
 *
 * Urgent data.  Linux stops a read short at TCP's urgent mark, with data
 * still queued behind it, and a splice(2) from a socket sitting on the
 * mark moves nothing at all (-EAGAIN, for good).  Sockets are registered
 * for MIO_PRIORITY too: while the source holds urgent data, its flow
 * reads (which step over the mark, dropping the urgent byte: the proxy
 * reads without SO_OOBINLINE) and reads on to -EAGAIN before it trusts
 * a short read again.
 *
 * Ending with bytes held.  A session that ends while the proxy still
 * holds bytes for a side (idle or half-close timeout, a stop's grace
 * running out) resets that side: a clean FIN would pass the truncated
 * stream for a whole one.  Bytes moved either way, written as well as
 * read, count as traffic for the idle timeout.
 *
 * Fairness.  A flow moves at most RELAY_BUDGET buffers per turn; a
 * session with work left goes on the run queue, served after the current
 * batch of events with a zero wait timeout, so one fast pair cannot
 * starve the others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops/access.h"
#include "proxy.h"

#define RELAY_BUDGET		16	/* buffers per flow per turn */
#define RELAY_INTEREST		(MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY)
#define RELAY_POOL_MAX		64	/* idle buffers kept for reuse */
#define RELAY_EXCLUDE_MAX	8	/* servers remembered as failed */

struct relay_buf {
	struct relay_buf *next;		/* in the pool */
	uint32_t	 cap;
	uint32_t	 off;
	uint32_t	 len;
	char		 data[];
};

/* One direction: from side i to side 1 - i. */
struct flow {
	struct relay_buf *buf;
	uint64_t	 bytes;
	struct relay_pipe *pipe;	/* splicing: the bytes in flight */
	uint32_t	 piped;		/* bytes in the pipe */
	uint8_t		 src_rd;	/* the source may have data */
	uint8_t		 dst_wr;	/* the destination may take data */
	uint8_t		 eof;		/* the source sent its FIN */
	uint8_t		 shut;		/* ...and it was passed on */
	uint8_t		 splice;	/* bulk seen: move data with splice(2) */
	uint8_t		 src_hup;	/* the source's FIN or error is known */
	uint8_t		 urgent;	/* the source holds TCP urgent data */
};

/*
 * The client's address, compactly (an idle session is mostly this
 * structure): IP addresses whole; a Unix client only as its family, since
 * its address is almost always unnamed.
 */
union sess_peer {
	struct sockaddr		sa;
	struct sockaddr_in	in4;
	struct sockaddr_in6	in6;
};

enum sess_state {
	SESS_CONNECTING,
	SESS_RELAY,
	SESS_DEAD
};

struct tcp_sess {
	struct tcp_sess	*next;		/* proxy.sessions, then graveyard */
	struct tcp_sess	*prev;
	struct tcp_sess	*qnext;		/* proxy.runq */
	struct lstn	*l;
	int		 fd[2];		/* [0] client, [1] server; -1: none */
	struct flow	 flow[2];	/* [0] client->server, [1] back */
	uint8_t		 state;
	uint8_t		 queued;
	uint8_t		 closed_first;	/* 1 + the side whose FIN came first */
	uint8_t		 nexcluded;
	int32_t		 server;	/* into l->ups->servers; -1: none */
	uint32_t	 attempts;
	uint16_t	 excluded[RELAY_EXCLUDE_MAX];
	struct timer	 timer;
	uint64_t	 t_start;
	uint64_t	 t_connect;	/* this attempt's start */
	uint64_t	 t_connected;	/* 0: not (yet) connected */
	uint64_t	 t_last;	/* last bytes read, either side */
	uint64_t	 deadline;	/* connect, or half-close; 0: none */
	union sess_peer	 client;
};

/* --- buffers ---------------------------------------------------------- */

static struct relay_buf *
relay_buf_get(uint32_t cap)
{
	struct relay_buf *b = proxy.buf_pool;

	if (b != NULL && b->cap == cap) {
		proxy.buf_pool = b->next;
		proxy.buf_pool_len--;
	} else if ((b = malloc(sizeof(*b) + cap)) == NULL) {
		return NULL;
	}
	b->cap = cap;
	b->off = b->len = 0;
	return b;
}

static void
relay_buf_put(struct relay_buf *b)
{
	if (proxy.buf_pool_len < RELAY_POOL_MAX &&
	    (proxy.buf_pool == NULL || proxy.buf_pool->cap == b->cap)) {
		b->next = proxy.buf_pool;
		proxy.buf_pool = b;
		proxy.buf_pool_len++;
	} else {
		free(b);
	}
}

void
relay_pool_trim(unsigned keep)
{
	while (proxy.buf_pool_len > keep) {
		struct relay_buf *b = proxy.buf_pool;

		proxy.buf_pool = b->next;
		proxy.buf_pool_len--;
		free(b);
	}
}

/* --- pipes, for splice(2) ---------------------------------------------
 *
 * A flow that has shown bulk data (a read filled a whole buffer) moves
 * the rest through a pipe with splice(2): socket to pipe, pipe to
 * socket, the bytes never copied to user space (how haproxy leads at
 * L4).  Pipes are two descriptors and kernel pages each, so they come
 * from a bounded pool, are held only while bytes are in flight, and go
 * back the moment they drain; without one to spare a flow simply keeps
 * to its buffer.  MIOPROXY_SPLICE=0 in the environment turns splicing
 * off (the buffer path alone), for comparison and for tests.
 */

struct relay_pipe {
	struct relay_pipe *next;	/* in the pool */
	int		 fd[2];		/* [0] reads, [1] writes */
};

#define RELAY_PIPES_MAX		256	/* in use and idle together */
#define RELAY_SPLICE_MAX	(1u << 20)

static int
relay_splice_enabled(void)
{
	static int enabled = -1;

	if (enabled < 0) {
		const char *e = getenv("MIOPROXY_SPLICE");

		enabled = e == NULL || strcmp(e, "0") != 0;
	}
	return enabled;
}

static struct relay_pipe *
relay_pipe_get(void)
{
	struct relay_pipe *p = proxy.pipe_pool;

	if (p != NULL) {
		proxy.pipe_pool = p->next;
		return p;
	}
	if (proxy.pipes >= RELAY_PIPES_MAX ||
	    (p = malloc(sizeof(*p))) == NULL)
		return NULL;
	if (mio_pipe(p->fd) != 0) {
		free(p);
		return NULL;
	}
	proxy.pipes++;
	return p;
}

/* Back to the pool when empty; a pipe still holding bytes is closed. */
static void
relay_pipe_put(struct relay_pipe *p, int empty)
{
	if (empty) {
		p->next = proxy.pipe_pool;
		proxy.pipe_pool = p;
		return;
	}
	mio_close(p->fd[0]);
	mio_close(p->fd[1]);
	free(p);
	proxy.pipes--;
}

void
relay_pipes_free(void)
{
	while (proxy.pipe_pool != NULL) {
		struct relay_pipe *p = proxy.pipe_pool;

		proxy.pipe_pool = p->next;
		relay_pipe_put(p, 0);
	}
}

/* --- ending ----------------------------------------------------------- */

static const struct mio_addr *
sess_server_addr(const struct tcp_sess *s)
{
	if (s->server < 0)
		return NULL;
	return &s->l->ups->conf->servers[s->server].addr;
}

static void
sess_log(const struct lstn *l, const struct sockaddr *client,
    const struct mio_addr *server, int64_t connect_ms, int64_t duration_ms,
    uint64_t in, uint64_t out, const char *end)
{
	struct access_rec r;
	struct mio_addr c;

	if (!access_enabled())
		return;
	memset(&c, 0, sizeof(c));
	c.u.sa.sa_family = client->sa_family;
	c.len = sizeof(sa_family_t);	/* unix: unnamed */
	if (client->sa_family == AF_INET)
		c.len = sizeof(struct sockaddr_in);
	else if (client->sa_family == AF_INET6)
		c.len = sizeof(struct sockaddr_in6);
	if (c.len > sizeof(sa_family_t))
		memcpy(&c.u, client, c.len);
	memset(&r, 0, sizeof(r));
	r.listener = l->conf->name;
	r.proto = "tcp";
	r.client = &c;
	r.server = server;
	r.connect_ms = connect_ms;
	r.duration_ms = duration_ms;
	r.bytes_in = in;
	r.bytes_out = out;
	r.end = end;
	access_write(&r);
}

static void
sess_close_fd(struct tcp_sess *s, unsigned side, int reset)
{
	int fd = s->fd[side];

	/*
	 * No mio_deregister(): closing the only copy of a descriptor drops
	 * its registration (the kernel does on epoll, mio_close() does on
	 * poll(2)), and the call would cost a system call per side.
	 */
	if (fd < 0)
		return;
	if (reset)
		(void)mio_tcp_set_linger(fd, 0);
	mio_close(fd);
	s->fd[side] = -1;
}

/* Whether the proxy holds bytes of this flow not yet passed on. */
static int
flow_holds(const struct flow *f)
{
	return (f->buf != NULL && f->buf->len > 0) || f->piped > 0;
}

/*
 * Ends a session at once.  reset_side is the side to reset (0 or 1), or
 * -1 for an orderly close of both; a side the proxy still holds bytes
 * for is reset either way.  The memory waits for tcp_bury().
 */
static void
sess_end(struct tcp_sess *s, const char *reason, int reset_side)
{
	int reset[2];
	unsigned i;

	if (s->state == SESS_DEAD)
		return;
	sess_log(s->l, &s->client.sa, sess_server_addr(s),
	    s->t_connected ? (int64_t)(s->t_connected - s->t_connect) : -1,
	    (int64_t)(proxy.now - s->t_start), s->flow[0].bytes,
	    s->flow[1].bytes, reason);
	/* A side we still hold bytes for gets a reset, not a clean FIN. */
	for (i = 0; i < 2; i++)
		reset[i] = reset_side == (int)i || flow_holds(&s->flow[1 - i]);
	for (i = 0; i < 2; i++) {
		sess_close_fd(s, i, reset[i]);
		if (s->flow[i].buf != NULL) {
			relay_buf_put(s->flow[i].buf);
			s->flow[i].buf = NULL;
		}
		if (s->flow[i].pipe != NULL) {
			relay_pipe_put(s->flow[i].pipe, s->flow[i].piped == 0);
			s->flow[i].pipe = NULL;
		}
	}
	if (s->server >= 0)
		lb_release(&s->l->ups->pool, (uint32_t)s->server);
	timer_unhold(&proxy.timers, &s->timer);
	s->l->active--;
	proxy.nsessions--;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		proxy.sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->state = SESS_DEAD;
	s->next = proxy.graveyard;
	proxy.graveyard = s;
}

void
tcp_bury(void)
{
	while (proxy.graveyard != NULL) {
		struct tcp_sess *s = proxy.graveyard;
		struct gen *g = s->l->gen;

		proxy.graveyard = s->next;
		free(s);
		gen_unref(g);
	}
}

void
tcp_end_all(const char *reason)
{
	while (proxy.sessions != NULL)
		sess_end(proxy.sessions, reason, -1);
}

void
tcp_refuse(struct lstn *l, int fd, const struct mio_addr *client,
    const char *reason)
{
	mio_close(fd);
	sess_log(l, &client->u.sa, NULL, -1, 0, 0, 0, reason);
}

/* --- connecting ------------------------------------------------------- */

static void sess_timer(struct timer *t, uint64_t now);
static void sess_pump(struct tcp_sess *s);

static int
sess_is_tcp(const struct mio_addr *a)
{
	return a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6;
}

static void
sess_connect_failed(struct tcp_sess *s, int err)
{
	char text[CONF_ADDRSTRLEN];
	struct ups *u = s->l->ups;

	log_debug("listener %s: connect %s: %s", s->l->conf->name,
	    conf_addr_str(sess_server_addr(s), text, sizeof(text)),
	    mio_strerror(err));
	u->connect_failures[s->server]++;
	sess_close_fd(s, 1, 0);
	lb_release(&u->pool, (uint32_t)s->server);
	if (s->nexcluded < RELAY_EXCLUDE_MAX)
		s->excluded[s->nexcluded++] = (uint16_t)s->server;
	s->server = -1;
}

/*
 * Starts a connection to the next server, trying further ones at once
 * when a connect fails on the spot.  Ends the session when the tries
 * are spent or no server is left.
 */
static void
sess_connect(struct tcp_sess *s)
{
	struct ups *u = s->l->ups;
	const struct mio_addr *addr;
	uint32_t excluded[RELAY_EXCLUDE_MAX];
	int fd, i, k;

	while (s->attempts < (uint32_t)u->conf->connect_tries) {
		for (k = 0; k < s->nexcluded; k++)
			excluded[k] = s->excluded[k];
		i = lb_pick(&u->pool, &s->client.sa, excluded, s->nexcluded);
		if (i < 0 && s->nexcluded > 0) {
			/* Every server failed once: more tries go round. */
			s->nexcluded = 0;
			i = lb_pick(&u->pool, &s->client.sa, NULL, 0);
		}
		if (i < 0)
			break;
		s->attempts++;
		s->server = i;
		lb_acquire(&u->pool, (uint32_t)i);
		addr = &u->conf->servers[i].addr;
		s->t_connect = proxy.now;
		fd = sess_is_tcp(addr) ? mio_tcp_connect(addr) :
		    mio_unix_connect(addr);
		if (fd < 0) {
			sess_connect_failed(s, fd);
			continue;
		}
		s->fd[1] = fd;
		if ((i = mio_register(proxy.poll, fd, TOKEN(s, TAG_SERVER),
		    RELAY_INTEREST)) != 0) {
			sess_connect_failed(s, i);
			continue;
		}
		s->deadline = proxy.now +
		    (uint64_t)s->l->conf->timeouts.connect_ms;
		(void)timer_set(&proxy.timers, &s->timer, s->deadline);
		return;
	}
	sess_end(s, "connect_failed", -1);
}

/* What a readiness event says of a flow's source. */
static void
flow_note_read(struct flow *f, uint32_t flags)
{
	if (flags & (MIO_READABLE | MIO_PRIORITY | MIO_READ_CLOSED |
	    MIO_ERROR))
		f->src_rd = 1;
	if (flags & (MIO_READ_CLOSED | MIO_ERROR))
		f->src_hup = 1;
	if (flags & MIO_PRIORITY)
		f->urgent = 1;
}

static void
sess_connected(struct tcp_sess *s, uint32_t flags)
{
	const struct mio_addr *addr = sess_server_addr(s);

	s->state = SESS_RELAY;
	s->t_connected = proxy.now;
	s->t_last = proxy.now;
	s->deadline = 0;
	if (sess_is_tcp(addr))
		(void)mio_tcp_set_nodelay(s->fd[1], 1);
	s->flow[0].dst_wr = 1;
	flow_note_read(&s->flow[1], flags);
	(void)timer_set(&proxy.timers, &s->timer,
	    proxy.now + (uint64_t)s->l->conf->timeouts.idle_ms);
	sess_pump(s);
}

void
tcp_start(struct lstn *l, int fd, const struct mio_addr *client)
{
	struct tcp_sess *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		tcp_refuse(l, fd, client, "no_memory");
		return;
	}
	/* Its timeouts must never fail to arm later (timer.h). */
	if (timer_hold(&proxy.timers) != 0) {
		free(s);
		tcp_refuse(l, fd, client, "no_memory");
		return;
	}
	s->l = l;
	s->fd[0] = fd;
	s->fd[1] = -1;
	s->server = -1;
	if (client->u.sa.sa_family == AF_INET ||
	    client->u.sa.sa_family == AF_INET6)
		memcpy(&s->client, &client->u, client->len <
		    sizeof(s->client) ? client->len : sizeof(s->client));
	else
		s->client.sa.sa_family = client->u.sa.sa_family;
	s->t_start = proxy.now;
	timer_init(&s->timer, sess_timer);
	gen_ref(l->gen);
	l->active++;
	proxy.nsessions++;
	s->next = proxy.sessions;
	if (proxy.sessions != NULL)
		proxy.sessions->prev = s;
	proxy.sessions = s;
	rc = mio_register(proxy.poll, fd, TOKEN(s, TAG_CLIENT),
	    RELAY_INTEREST);
	if (rc != 0) {
		log_warn("listener %s: register: %s", l->conf->name,
		    mio_strerror(rc));
		sess_end(s, "error", -1);
		return;
	}
	sess_connect(s);
}

/* --- relaying --------------------------------------------------------- */

/* Why a side failed: its error, seen by a read or a write. */
struct flow_error {
	int	side;
	int	err;
};

/*
 * Moves data of flow i until it blocks, ends, or spends its budget.
 * Returns 1 with budget spent and work left, 0 otherwise, or -1 with
 * *fe set on an error.
 */
static int
flow_run(struct tcp_sess *s, unsigned i, struct flow_error *fe)
{
	struct flow *f = &s->flow[i];
	int src = s->fd[i], dst = s->fd[1 - i];
	int can_write = s->state == SESS_RELAY, budget = RELAY_BUDGET;
	ssize_t n;

	while (budget > 0) {
		if (f->buf != NULL && f->buf->len > 0) {
			if (!f->dst_wr || !can_write)
				return 0;
			n = mio_write(dst, f->buf->data + f->buf->off,
			    f->buf->len);
			if (n == -EAGAIN) {
				f->dst_wr = 0;
				return 0;
			}
			if (n < 0) {
				fe->side = 1 - (int)i;
				fe->err = (int)n;
				return -1;
			}
			f->buf->off += (uint32_t)n;
			f->buf->len -= (uint32_t)n;
			s->t_last = proxy.now;
			if (f->buf->len == 0) {
				relay_buf_put(f->buf);
				f->buf = NULL;
				budget--;
			} else if (proxy.short_io_drains) {
				f->dst_wr = 0;	/* full: room brings an edge */
				return 0;
			}
			continue;
		}
		if (f->piped > 0) {
			if (!f->dst_wr || !can_write)
				return 0;
			n = mio_splice(f->pipe->fd[0], dst, f->piped,
			    SPLICE_F_MOVE);
			if (n == -EAGAIN) {
				f->dst_wr = 0;
				return 0;
			}
			if (n <= 0) {
				fe->side = 1 - (int)i;
				fe->err = n < 0 ? (int)n : -EPIPE;
				return -1;
			}
			f->piped -= (uint32_t)n;
			s->t_last = proxy.now;
			if (f->piped == 0) {
				relay_pipe_put(f->pipe, 1);
				f->pipe = NULL;
				budget--;
			}
			continue;
		}
		if (f->eof) {
			if (!f->shut && can_write) {
				/* The last FIN of the two: close(2) sends it. */
				if (!s->flow[1 - i].shut)
					(void)mio_tcp_shutdown(dst, SHUT_WR);
				f->shut = 1;
			}
			return 0;
		}
		if (!f->src_rd || src < 0)
			return 0;
		if (f->splice && !f->urgent &&
		    (f->pipe = relay_pipe_get()) != NULL) {
			n = mio_splice(src, f->pipe->fd[1], RELAY_SPLICE_MAX,
			    SPLICE_F_MOVE);
			if (n > 0) {
				f->piped = (uint32_t)n;
				f->bytes += (uint64_t)n;
				s->t_last = proxy.now;
				continue;
			}
			relay_pipe_put(f->pipe, 1);
			f->pipe = NULL;
			goto read_result;
		}
		if (f->buf == NULL &&
		    (f->buf = relay_buf_get((uint32_t)
		    s->l->conf->limits.buffer_size)) == NULL) {
			fe->side = (int)i;
			fe->err = -ENOMEM;
			return -1;
		}
		n = mio_read(src, f->buf->data, f->buf->cap);
		if (n > 0) {
			f->buf->off = 0;
			f->buf->len = (uint32_t)n;
			f->bytes += (uint64_t)n;
			s->t_last = proxy.now;
			if ((uint32_t)n == f->buf->cap) {
				/* A full buffer is bulk: the rest by splice. */
				if (relay_splice_enabled())
					f->splice = 1;
			} else if (proxy.short_io_drains && !f->src_hup &&
			    !f->urgent) {
				/* A short read emptied the socket: new data
				 * brings an edge; no read to hear -EAGAIN.
				 * Not so when the FIN came with the data: no
				 * edge is left to announce it; nor at an
				 * urgent mark, where a read stops short. */
				f->src_rd = 0;
			}
			continue;
		}
		relay_buf_put(f->buf);
		f->buf = NULL;
read_result:
		if (n == 0) {
			f->eof = 1;
			if (s->closed_first == 0)
				s->closed_first = (uint8_t)(1 + i);
			continue;
		}
		if (n == -EAGAIN) {
			f->src_rd = 0;
			f->urgent = 0;	/* read past the mark, if any */
			return 0;
		}
		fe->side = (int)i;
		fe->err = (int)n;
		return -1;
	}
	return 1;
}

static void
sess_pump(struct tcp_sess *s)
{
	struct flow_error fe;
	int more = 0, rc;
	unsigned i;

	for (i = 0; i < 2; i++) {
		if ((rc = flow_run(s, i, &fe)) < 0) {
			if (fe.err == -ENOMEM) {
				sess_end(s, "no_memory", -1);
				return;
			}
			/* The failed side is gone; the other learns by RST. */
			log_debug("listener %s: %s: %s", s->l->conf->name,
			    fe.side == 0 ? "client" : "server",
			    mio_strerror(fe.err));
			sess_end(s, "reset", 1 - fe.side);
			return;
		}
		more |= rc;
	}
	if (s->flow[0].shut && s->flow[1].shut) {
		sess_end(s, s->closed_first == 2 ? "server_close" :
		    "client_close", -1);
		return;
	}
	if ((s->flow[0].shut || s->flow[1].shut) && s->deadline == 0) {
		s->deadline = proxy.now +
		    (uint64_t)s->l->conf->timeouts.half_close_ms;
		if (s->deadline < s->timer.deadline || !timer_armed(&s->timer))
			(void)timer_set(&proxy.timers, &s->timer, s->deadline);
	}
	if (more && !s->queued) {
		s->queued = 1;
		s->qnext = proxy.runq;
		proxy.runq = s;
	}
}

void
tcp_run_queue(void)
{
	struct tcp_sess *s = proxy.runq;

	proxy.runq = NULL;
	while (s != NULL) {
		struct tcp_sess *next = s->qnext;

		s->queued = 0;
		if (s->state != SESS_DEAD)
			sess_pump(s);
		s = next;
	}
}

void
tcp_event(struct tcp_sess *s, unsigned side, uint32_t flags)
{
	int err;

	if (s->state == SESS_DEAD)
		return;
	if (side == 1 && s->state == SESS_CONNECTING) {
		/*
		 * Linux reports a failed connect with EPOLLERR (MIO_ERROR):
		 * a clean writable event is a connection, with no
		 * getsockopt(2) to ask.
		 */
		if (flags & (MIO_ERROR | MIO_WRITE_CLOSED | MIO_READ_CLOSED)) {
			err = mio_take_error(s->fd[1]);
			/* A server that answered and closed at once. */
			if (err == 0 && (flags & MIO_WRITABLE) &&
			    !(flags & MIO_ERROR)) {
				sess_connected(s, flags);
				return;
			}
			sess_connect_failed(s, err != 0 ? err : -ECONNREFUSED);
			sess_connect(s);
		} else if (flags & MIO_WRITABLE) {
			sess_connected(s, flags);
		}
		return;
	}
	flow_note_read(&s->flow[side], flags);
	if (flags & (MIO_WRITABLE | MIO_WRITE_CLOSED | MIO_ERROR))
		s->flow[1 - side].dst_wr = 1;
	sess_pump(s);
}

static void
sess_timer(struct timer *t, uint64_t now)
{
	struct tcp_sess *s = (struct tcp_sess *)((char *)t -
	    offsetof(struct tcp_sess, timer));
	uint64_t idle_due;

	if (s->state == SESS_CONNECTING) {
		sess_connect_failed(s, -ETIMEDOUT);
		sess_connect(s);
		return;
	}
	idle_due = s->t_last + (uint64_t)s->l->conf->timeouts.idle_ms;
	if (now >= idle_due) {
		sess_end(s, "idle_timeout", -1);
		return;
	}
	if (s->deadline != 0 && now >= s->deadline) {
		sess_end(s, "half_close_timeout", -1);
		return;
	}
	(void)timer_set(&proxy.timers, t,
	    s->deadline != 0 && s->deadline < idle_due ? s->deadline :
	    idle_due);
}
