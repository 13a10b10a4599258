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
 * drains to -EAGAIN as libmio's contract says (loop.short_io_drains).
 *
 * Urgent data.  Linux stops a read short at TCP's urgent mark, with data
 * still queued behind it, and a splice(2) from a socket sitting on the
 * mark moves nothing at all (-EAGAIN, for good).  Sockets are registered
 * for MIO_PRIORITY too where the backend can watch it (loop.tcp_interest):
 * while the source holds urgent data, its flow reads (which step over the
 * mark, dropping the urgent byte: the proxy reads without SO_OOBINLINE)
 * and reads on to -EAGAIN before it trusts a short read again.  Where it
 * cannot (kqueue), a short read is never trusted: only -EAGAIN.
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
 *
 * Engines.  All of the above is the readiness engine (tcp_flow.c).  With
 * process.io: uring, tcp_connected() hands the session to tcp_uring.c,
 * which moves its bytes on io_uring completions with the same rules;
 * the connect itself goes through the ring (tcp_uring_conn.c: the
 * server's socket never enters the poll, and its record comes back to
 * tcp_connect_record()), as do the listeners' accepts; PROXY headers,
 * retries, timers and ending stay here.  A session the ring finds bulk
 * comes back (tcp_resume_readiness(), from tcp_uring_bulk.c) to be
 * spliced here for the rest of its life.  The engine sits below this
 * file: it calls tcp_end(), tcp_connect_record() and
 * tcp_resume_readiness() through the table tcp_listen.c gives it
 * (struct tcp_uring_env, tcp_sess.h), never by name.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "ops/access.h"
#include "proxyproto/pp.h"
#include "relay/listener.h"
#include "relay/tcp_sess.h"
#include "relay/tcp_uring_bulk.h"
#include "relay/tcp_uring_conn.h"
#include "upstream/upstream.h"


/* Sessions with work left over after their turn. */
static struct tcp_sess *tcp_runq;

static void tcp_timer(struct timer *tm, uint64_t now);
static void tcp_pump(struct tcp_sess *t);
static void tcp_go(struct tcp_sess *t, const struct pp_header *h);

/* --- ending ----------------------------------------------------------- */

static void
tcp_close_side(struct tcp_sess *t, unsigned side, int reset)
{
	int fd = t->fd[side];

	/*
	 * No mio_deregister(): closing the only copy of a descriptor drops
	 * its registration (the kernel does on epoll, mio_close() does on
	 * poll(2)), and the call would cost a system call per side.
	 */
	if (fd < 0)
		return;
	if (reset)
		(void)mio_tcp_set_linger(fd, 0);
	/*
	 * A session on the ring closes through it: no call of its own.  So
	 * does a server's socket whose connect went through the ring
	 * (srv_ring), even while the session is not on it: that connect,
	 * and the cancel tcp_end() or the timer just queued, may not have
	 * reached the kernel yet, and a close(2) now would free the number
	 * for a socket made later in this batch (the next try's, another
	 * session's), on which the connect would then run.  The kernel
	 * takes a ring's requests in the order queued, each resolving its
	 * descriptor as it is taken: the connect holds its own socket by
	 * the time the close frees the number (tcp_uring_close() submits
	 * what is queued should the close itself not fit).
	 */
	if (!(t->ring || (side == 1 && t->srv_ring)) ||
	    tcp_uring_close(t, fd) != 0)
		mio_close(fd);
	t->fd[side] = -1;
}

#define TCP_RESET_BOTH	2	/* tcp_end(): an operator's shutdown */
#define TCP_CANCEL_RETRY_MS	10	/* a connect's cancel the ring refused */

/*
 * Ends a session at once.  reset_side is the side to reset (0 or 1),
 * TCP_RESET_BOTH, or -1 for an orderly close of both; a side the proxy
 * still holds bytes for is reset either way.  The memory waits for the
 * burial.
 */
void
tcp_end(struct tcp_sess *t, const char *reason, int reset_side)
{
	int reset[2];
	unsigned i;

	if (t->s.dead)
		return;
	/* A side we still hold bytes for gets a reset, not a clean FIN. */
	for (i = 0; i < 2; i++)
		reset[i] = reset_side == (int)i ||
		    reset_side == TCP_RESET_BOTH || flow_holds(&t->flow[1 - i]);
	/* The ring's operations end before their sockets close.  A connect
	 * whose cancel could not be queued runs on to the kernel's end; the
	 * session stays pinned until its record came. */
	if (t->ring)
		tcp_uring_end(t);
	(void)tcp_uring_connect_cancel(t);
	for (i = 0; i < 2; i++) {
		tcp_close_side(t, i, reset[i]);
		flow_release(&t->flow[i]);
	}
	free(t->pp_out);
	t->pp_out = NULL;
	sess_finish(&t->s, reason);
}

static void
tcp_kind_end(struct sess *s, const char *reason)
{
	tcp_end((struct tcp_sess *)(void *)s, reason, -1);
}

/* An operator's `shutdown sessions`: both sides get a reset. */
static void
tcp_kind_abort(struct sess *s, const char *reason)
{
	tcp_end((struct tcp_sess *)(void *)s, reason, TCP_RESET_BOTH);
}

static void
tcp_kind_record(const struct sess *s, struct access_rec *r)
{
	const struct tcp_sess *t = (const struct tcp_sess *)(const void *)s;

	r->connect_ms = t->state == TCP_RELAY ? (int64_t)t->connect_ms : -1;
}

static const struct sess_kind tcp_kind = {
	.proto = "tcp",
	.end = tcp_kind_end,
	.record = tcp_kind_record,
	.abort = tcp_kind_abort
};

void
tcp_refuse(struct lstn *l, int fd, const struct mio_addr *client,
    const char *reason)
{
	mio_close(fd);
	sess_refused(l, "tcp", client, reason);
}

/* --- connecting ------------------------------------------------------- */

static int
tcp_is_inet(const struct mio_addr *a)
{
	return a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6;
}

static void
tcp_connect_failed(struct tcp_sess *t, int err)
{
	char text[ADDR_STRLEN];
	struct upstream *u = t->s.ups;

	log_debug("listener %s: connect %s: %s", t->s.l->conf->name,
	    addr_str(sess_server_addr(&t->s), text, sizeof(text)),
	    mio_strerror(err));
	upstream_failed(u, t->s.server);
	tcp_close_side(t, 1, 0);
	upstream_release(u, t->s.server);
	if (t->nexcluded < TCP_EXCLUDE_MAX)
		t->excluded[t->nexcluded++] = (uint16_t)t->s.server;
	t->s.server = -1;
}

/* The next server to try: its index, or -1. */
static int
tcp_pick(struct tcp_sess *t)
{
	struct upstream *u = t->s.ups;
	uint32_t excluded[TCP_EXCLUDE_MAX];
	int i, k;

	for (k = 0; k < t->nexcluded; k++)
		excluded[k] = t->excluded[k];
	i = upstream_pick(u, loop.now, &t->s.client.sa, excluded,
	    t->nexcluded);
	if (i < 0 && t->nexcluded > 0) {
		/* Every server failed once: more tries go round. */
		t->nexcluded = 0;
		i = upstream_pick(u, loop.now, &t->s.client.sa, NULL, 0);
	}
	return i;
}

/*
 * Starts a connection to the next server, trying further ones at once
 * when a connect fails on the spot.  Ends the session when the tries
 * are spent or no server is left.
 */
static void
tcp_connect(struct tcp_sess *t)
{
	struct upstream *u = t->s.ups;
	const struct mio_addr *addr;
	int fd, err, i;

	while (t->attempts < (uint32_t)u->conf->connect_tries &&
	    (i = tcp_pick(t)) >= 0) {
		t->attempts++;
		t->s.server = i;
		upstream_acquire(u, i);
		addr = upstream_addr(u, i);
		t->t_connect = (uint32_t)timer_now_us();
		t->srv_ring = 0;
		/* On the completion engine, through the ring
		 * (tcp_uring_conn.c). */
		if ((err = tcp_uring_connect(t, addr)) != -ENOTSUP)
			fd = -1;
		else if ((fd = tcp_is_inet(addr) ? mio_tcp_connect(addr) :
		    mio_unix_connect(addr)) < 0)
			err = fd;
		else
			err = 0;
		if (fd >= 0) {
			t->fd[1] = fd;
			err = mio_register(loop.poll, fd,
			    LOOP_TOKEN(t, LOOP_TAG_TCP_SERVER), loop.tcp_interest);
		}
		if (sess_own_shortage(err)) {
			/* Every other server would fail the same way. */
			log_debug("listener %s: connect: %s",
			    t->s.l->conf->name, mio_strerror(err));
			tcp_end(t, "descriptors", -1);
			return;
		}
		if (err != 0) {
			tcp_connect_failed(t, err);
			continue;
		}
		t->deadline = loop.now +
		    (uint64_t)t->s.l->conf->timeouts.connect_ms;
		(void)timer_set(&loop.timers, &t->s.timer, t->deadline);
		return;
	}
	if (t->attempts == 0) {
		/* Nothing takes new sessions: refused at once, counted. */
		t->s.l->keep->rejected[KEEP_REJ_NO_SERVER]++;
		tcp_end(t, "no_server", -1);
		return;
	}
	tcp_end(t, "connect_failed", -1);
}

static void
tcp_connected(struct tcp_sess *t, uint32_t flags)
{
	uint32_t us;

	t->state = TCP_RELAY;
	/* In 32 bits of microseconds, which wrap after 71 minutes: far
	 * beyond any connect timeout (at most an hour). */
	us = (uint32_t)timer_now_us() - t->t_connect;
	t->connect_ms = us / 1000;
	keep_srv_connected(upstream_keep(t->s.ups, t->s.server), us);
	t->t_last = loop.now;
	t->deadline = 0;
	if (tcp_is_inet(sess_server_addr(&t->s)))
		(void)mio_tcp_set_nodelay(t->fd[1], 1);
	t->flow[0].dst_wr = 1;
	flow_note_read(&t->flow[1], flags);
	(void)timer_set(&loop.timers, &t->s.timer,
	    loop.now + (uint64_t)t->s.l->conf->timeouts.idle_ms);
	if (tcp_uring_take(t))
		return;
	if (t->srv_ring) {
		/* Connected on the ring, relayed on readiness after all. */
		t->srv_ring = 0;
		if (mio_register(loop.poll, t->fd[1],
		    LOOP_TOKEN(t, LOOP_TAG_TCP_SERVER), loop.tcp_interest) != 0) {
			tcp_end(t, "error", -1);
			return;
		}
	}
	tcp_pump(t);
}

void
tcp_connect_record(struct tcp_sess *t, int result)
{
	if (t->conn_stale) {
		/* The timed-out try's last word: the next try. */
		t->conn_stale = 0;
		tcp_connect(t);
		return;
	}
	if (!t->conn_ring || t->state != TCP_CONNECTING)
		return;
	t->conn_ring = 0;
	if (result == 0) {
		tcp_connected(t, 0);
		return;
	}
	if (sess_own_shortage(result)) {
		/* As on readiness: no server's fault (local ports). */
		log_debug("listener %s: connect: %s", t->s.l->conf->name,
		    mio_strerror(result));
		tcp_end(t, "descriptors", -1);
		return;
	}
	tcp_connect_failed(t, result);
	tcp_connect(t);
}

/* The server side's event while connecting. */
static void
tcp_connect_event(struct tcp_sess *t, uint32_t flags)
{
	int err;

	/*
	 * Linux reports a failed connect with EPOLLERR (MIO_ERROR): a clean
	 * writable event is a connection, with no getsockopt(2) to ask.
	 */
	if (flags & (MIO_ERROR | MIO_WRITE_CLOSED | MIO_READ_CLOSED)) {
		err = mio_take_error(t->fd[1]);
		/* A server that answered and closed at once. */
		if (err == 0 && (flags & MIO_WRITABLE) &&
		    !(flags & MIO_ERROR)) {
			tcp_connected(t, flags);
			return;
		}
		tcp_connect_failed(t, err != 0 ? err : -ECONNREFUSED);
		tcp_connect(t);
	} else if (flags & MIO_WRITABLE) {
		tcp_connected(t, flags);
	}
}

void
tcp_start(struct lstn *l, int fd, const struct mio_addr *client)
{
	struct tcp_sess *t;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		tcp_refuse(l, fd, client, "no_memory");
		return;
	}
	if (sess_start(&t->s, &tcp_kind, l, client, tcp_timer) != 0) {
		free(t);
		tcp_refuse(l, fd, client, "no_memory");
		return;
	}
	t->fd[0] = fd;
	t->fd[1] = -1;
	rc = mio_register(loop.poll, fd, LOOP_TOKEN(t, LOOP_TAG_TCP_CLIENT),
	    loop.tcp_interest);
	if (rc != 0) {
		log_warn("listener %s: register: %s", l->conf->name,
		    mio_strerror(rc));
		tcp_end(t, "error", -1);
		return;
	}
	if (l->conf->pp.accept != CONF_PP_OFF)
		tcp_pp_start(t);
	else
		tcp_go(t, NULL);
}

/*
 * The client is known (h: the PROXY header it sent, or NULL): makes the
 * header for the server if the upstream sends one, and connects.  The
 * session may have ended on return.
 */
static void
tcp_go(struct tcp_sess *t, const struct pp_header *h)
{
	int rc;

	if (t->s.ups->conf->pp.send != CONF_PP_OFF &&
	    (rc = tcp_pp_out(t, h)) != 0) {
		tcp_end(t, rc == -ENOMEM ? "no_memory" : "error", -1);
		return;
	}
	tcp_connect(t);
}

/* The client's PROXY header: awaited, refused, or come (then go on). */
static void
tcp_header_event(struct tcp_sess *t, uint32_t flags)
{
	struct pp_header h;
	const char *end;
	uint32_t early;

	switch (tcp_pp_event(t, flags, &h, &end)) {
	case 0:
		return;
	case -1:
		tcp_end(t, end, -1);
		return;
	}
	t->state = TCP_CONNECTING;
	/* The ACL judges the client the header named, not its proxy. */
	if (!lstn_acl_allows(t->s.l->conf->acl, &t->s.client.sa)) {
		t->s.l->keep->rejected[KEEP_REJ_ACL]++;
		tcp_end(t, "acl_denied", -1);
		return;
	}
	early = t->flow[0].buf->len;
	tcp_go(t, &h);
	if (t->s.dead)
		return;
	/* h is used: an emptied buffer goes back (an idle session has none). */
	if (t->flow[0].buf != NULL && t->flow[0].buf->len == 0) {
		flow_buf_give(t->flow[0].buf);
		t->flow[0].buf = NULL;
	}
	/* The bytes past the header count once a server has them coming. */
	if (t->s.server >= 0 && early > 0)
		sess_count_bytes(&t->s, 0, early);
}

/* --- relaying --------------------------------------------------------- */

/* Puts t on the run queue, to be served after this batch. */
static void
tcp_enqueue(struct tcp_sess *t)
{
	if (t->queued)
		return;
	t->queued = 1;
	t->qnext = tcp_runq;
	tcp_runq = t;
}

/* Moves t's flows, and ends or queues t as that came out. */
static void
tcp_pump(struct tcp_sess *t)
{
	struct tcp_end_why why;

	switch (flow_pump(t, &why)) {
	case TCP_PUMPED_END:
		tcp_end(t, why.reason, why.reset_side);
		break;
	case TCP_PUMPED_MORE:
		tcp_enqueue(t);
		break;
	default:
		break;
	}
}

void
tcp_run_queue(void)
{
	struct tcp_sess *t = tcp_runq;

	tcp_runq = NULL;
	while (t != NULL) {
		struct tcp_sess *next = t->qnext;

		t->queued = 0;
		if (!t->s.dead && !t->ring)
			tcp_pump(t);
		t = next;
	}
}

int
tcp_resume_readiness(struct tcp_sess *t)
{
	unsigned i;
	int rc;

	/* A late registration reports the sockets' present readiness on
	 * epoll; tried at once all the same, as a fresh session's are. */
	if ((rc = mio_register(loop.poll, t->fd[0],
	    LOOP_TOKEN(t, LOOP_TAG_TCP_CLIENT), loop.tcp_interest)) == 0 &&
	    (rc = mio_register(loop.poll, t->fd[1],
	    LOOP_TOKEN(t, LOOP_TAG_TCP_SERVER), loop.tcp_interest)) != 0)
		/* The session ends on the ring, which closes its sockets
		 * without mio_close(): none may stay in the poll (poll(2)'s
		 * table would keep it after the close). */
		(void)mio_deregister(loop.poll, t->fd[0]);
	if (rc != 0) {
		log_warn("listener %s: register: %s", t->s.l->conf->name,
		    mio_strerror(rc));
		return rc;
	}
	log_debug("listener %s: bulk: the session leaves the ring to splice",
	    t->s.l->conf->name);
	t->ring = TCP_RING_OFF;
	t->srv_ring = 0;	/* the server's socket is in the poll now */
	for (i = 0; i < 2; i++) {
		struct flow *f = &t->flow[i];

		f->src_rd = 1;
		f->dst_wr = 1;
		/* What readiness events said before the ring took the
		 * sockets is stale: the ring's own records told the rest
		 * (an end of stream is f->eof), and a read finds what is. */
		f->urgent = 0;
		f->src_hup = 0;
		f->src_err = 0;
		if (f->splice)
			f->splice = 1;	/* counted full receives on the ring */
	}
	tcp_enqueue(t);
	return 0;
}

void
tcp_sess_event(struct tcp_sess *t, unsigned side, uint32_t flags)
{
	/* A session taken onto the ring left the poll; an event of the
	 * same batch may still name it. */
	if (t->s.dead || t->ring)
		return;
	if (t->state == TCP_HEADER) {
		if (side == 0)
			tcp_header_event(t, flags);
		return;
	}
	if (side == 1 && t->state == TCP_CONNECTING) {
		tcp_connect_event(t, flags);
		return;
	}
	flow_note_read(&t->flow[side], flags);
	if (flags & (MIO_WRITABLE | MIO_WRITE_CLOSED | MIO_ERROR))
		t->flow[1 - side].dst_wr = 1;
	tcp_pump(t);
}

static void
tcp_timer(struct timer *tm, uint64_t now)
{
	struct tcp_sess *t = (struct tcp_sess *)(void *)((char *)tm -
	    offsetof(struct tcp_sess, s.timer));
	uint64_t idle_due;

	if (t->state == TCP_HEADER) {
		tcp_end(t, tcp_pp_timeout(t), -1);
		return;
	}
	if (t->state == TCP_CONNECTING) {
		/* A connect on the ring is cancelled before its socket
		 * closes; the next try waits for its record.  A cancel the
		 * ring cannot take now is tried again shortly: the try is
		 * not over until it is (else the next try waits for the
		 * kernel's own SYN timeout, or takes this one's record). */
		if (tcp_uring_connect_cancel(t) != 0) {
			(void)timer_set(&loop.timers, tm,
			    now + TCP_CANCEL_RETRY_MS);
			return;
		}
		tcp_connect_failed(t, -ETIMEDOUT);
		if (!t->conn_stale)
			tcp_connect(t);
		return;
	}
	idle_due = t->t_last + (uint64_t)t->s.l->conf->timeouts.idle_ms;
	if (now >= idle_due) {
		tcp_end(t, "idle_timeout", -1);
		return;
	}
	if (t->deadline != 0 && now >= t->deadline) {
		tcp_end(t, "half_close_timeout", -1);
		return;
	}
	(void)timer_set(&loop.timers, tm,
	    t->deadline != 0 && t->deadline < idle_due ? t->deadline :
	    idle_due);
}

int
tcp_queued(void)
{
	return tcp_runq != NULL;
}
