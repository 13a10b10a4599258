/*
 * The TCP data path: one flow (a direction of a session) moved as far as
 * it can go.  A flow is always in one of four states, read off its
 * fields, and each state has one small step:
 *
 *   state       when                     step
 *   ---------   ----------------------   -----------------------------
 *   SEND_BUF    the buffer holds bytes   write them to the destination
 *   SEND_PIPE   the pipe holds bytes     splice them to the destination
 *   SHUT        the source sent its FIN  pass it on, once, then rest
 *   RECV        nothing held             read (or splice) the source
 *
 * A step says what comes next: go on (ON), go on with one buffer or
 * pipe of the budget spent (SPENT), wait for an event (WAIT), or fail
 * (FAIL, with the side and its error).  flow_run() repeats steps until a
 * wait, a failure, or the budget's end (RELAY_BUDGET buffers, so that one
 * fast pair cannot starve the others: tcp.c queues the session then).
 *
 * Readiness is remembered per flow (src_rd, dst_wr) and forgotten only
 * when an I/O call returns -EAGAIN, or, where the backend raises a new
 * edge for new data or room (loop.short_io_drains, epoll), when a read
 * or write comes back short: that saves the system call that would only
 * hear -EAGAIN.  Not so when the source's FIN came with the data (no
 * edge is left to announce it), nor at TCP's urgent mark, where Linux
 * stops a read short with data queued behind it (tcp.c, "Urgent data").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "relay/listener.h"
#include "relay/pool.h"
#include "relay/tcp_sess.h"

#define RELAY_BUDGET		16	/* buffers per flow per turn */
#define RELAY_SPLICE_MAX	(1u << 20)
#define RELAY_BUFS_MAX		64	/* idle buffers kept for reuse */

/* Why a side failed: its error, seen by a read or a write. */
struct flow_error {
	int	side;
	int	err;
};

/* Buffers not in use, all of one size, kept for the next flow. */
static struct relay_buf *flow_bufs;
static unsigned flow_nbufs;
/* That size: the one reads last asked for.  A buffer of another size (a
 * PROXY header's, or one holding what a session brought from the ring,
 * tcp_uring.c's give_held()) is freed, not kept: kept at the head of an
 * empty list, it would make every later put of the usual size a free. */
static uint32_t flow_bufs_cap;

enum flow_state {
	FLOW_SEND_BUF,
	FLOW_SEND_PIPE,
	FLOW_SHUT,
	FLOW_RECV
};

enum flow_next {
	FLOW_ON,
	FLOW_SPENT,
	FLOW_WAIT,
	FLOW_FAIL
};

/* An empty buffer of cap bytes: an idle one, else malloc'd; NULL. */
static inline struct relay_buf *
flow_buf_get(uint32_t cap)
{
	struct relay_buf *b = flow_bufs;

	if (b != NULL && b->cap == cap) {
		flow_bufs = b->next;
		flow_nbufs--;
	} else if ((b = malloc(sizeof(*b) + cap)) == NULL) {
		return NULL;
	}
	b->cap = cap;
	b->off = b->len = 0;
	return b;
}

/* Back to the idle ones, or freed when there are enough. */
static inline void
flow_buf_put(struct relay_buf *b)
{
	if (flow_nbufs < RELAY_BUFS_MAX && b->cap == flow_bufs_cap &&
	    (flow_bufs == NULL || flow_bufs->cap == b->cap)) {
		b->next = flow_bufs;
		flow_bufs = b;
		flow_nbufs++;
	} else {
		free(b);
	}
}

struct relay_buf *
flow_buf_take(uint32_t cap)
{
	return flow_buf_get(cap);
}

void
flow_buf_give(struct relay_buf *b)
{
	flow_buf_put(b);
}

void
flow_fini(void)
{
	while (flow_bufs != NULL) {
		struct relay_buf *b = flow_bufs;

		flow_bufs = b->next;
		free(b);
	}
	flow_nbufs = 0;
}

static enum flow_state
flow_state(const struct flow *f)
{
	if (f->buf != NULL && f->buf->len > 0)
		return FLOW_SEND_BUF;
	if (f->piped > 0)
		return FLOW_SEND_PIPE;
	if (f->eof)
		return FLOW_SHUT;
	return FLOW_RECV;
}

static enum flow_next
flow_fail(struct flow_error *fe, unsigned side, int err)
{
	fe->side = (int)side;
	fe->err = err;
	return FLOW_FAIL;
}

/* Whether the destination of flow i may be written now. */
static int
flow_can_send(const struct tcp_sess *t, const struct flow *f)
{
	return f->dst_wr && t->state == TCP_RELAY;
}

static enum flow_next
flow_send_buf(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];
	ssize_t n;

	if (!flow_can_send(t, f))
		return FLOW_WAIT;
	n = mio_write(t->fd[1 - i], f->buf->data + f->buf->off, f->buf->len);
	if (n == -EAGAIN) {
		f->dst_wr = 0;
		return FLOW_WAIT;
	}
	if (n < 0)
		return flow_fail(fe, 1 - i, (int)n);
	f->buf->off += (uint32_t)n;
	f->buf->len -= (uint32_t)n;
	t->t_last = loop.now;
	if (f->buf->len == 0) {
		flow_buf_put(f->buf);
		f->buf = NULL;
		return FLOW_SPENT;
	}
	if (loop.short_io_drains) {
		f->dst_wr = 0;	/* full: room brings an edge */
		return FLOW_WAIT;
	}
	return FLOW_ON;
}

static enum flow_next
flow_send_pipe(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];
	ssize_t n;

	if (!flow_can_send(t, f))
		return FLOW_WAIT;
	n = mio_splice(f->pipe->fd[0], t->fd[1 - i], f->piped,
	    RELAY_SPLICE_FLAGS);
	if (n == -EAGAIN) {
		f->dst_wr = 0;
		return FLOW_WAIT;
	}
	if (n <= 0)
		return flow_fail(fe, 1 - i, n < 0 ? (int)n : -EPIPE);
	f->piped -= (uint32_t)n;
	t->t_last = loop.now;
	if (f->piped > 0)
		return FLOW_ON;
	relay_pipe_put(f->pipe, 1);
	f->pipe = NULL;
	return FLOW_SPENT;
}

static enum flow_next
flow_shut(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];

	(void)fe;
	if (!f->shut && t->state == TCP_RELAY) {
		/* The last FIN of the two: close(2) sends it. */
		if (!t->flow[1 - i].shut)
			(void)mio_tcp_shutdown(t->fd[1 - i], SHUT_WR);
		f->shut = 1;
	}
	return FLOW_WAIT;
}

/*
 * The PROXY header for the server (tcp_pp.c), before any byte of the
 * client's: one buffer, freed once written.
 */
static enum flow_next
flow_send_hdr(struct tcp_sess *t, struct flow_error *fe)
{
	struct relay_buf *b = t->pp_out;
	ssize_t n;

	if (!flow_can_send(t, &t->flow[0]))
		return FLOW_WAIT;
	n = mio_write(t->fd[1], b->data + b->off, b->len);
	if (n == -EAGAIN) {
		t->flow[0].dst_wr = 0;
		return FLOW_WAIT;
	}
	if (n < 0)
		return flow_fail(fe, 1, (int)n);
	b->off += (uint32_t)n;
	b->len -= (uint32_t)n;
	if (b->len == 0) {
		free(b);
		t->pp_out = NULL;
	}
	return FLOW_ON;
}

/* A read or splice from the source that moved nothing: n is why. */
static enum flow_next
flow_recv_none(struct tcp_sess *t, unsigned i, ssize_t n,
    struct flow_error *fe)
{
	struct flow *f = &t->flow[i];

	/*
	 * The end of the stream after an error event is a reset whose error
	 * the event took: libkqueue reads SO_ERROR to report it.  Elsewhere
	 * the read itself says -ECONNRESET first.
	 */
	if (n == 0 && f->src_err)
		n = -ECONNRESET;
	if (n == 0) {
		f->eof = 1;
		if (t->closed_first == 0)
			t->closed_first = (uint8_t)(1 + i);
		return FLOW_ON;
	}
	if (n == -EAGAIN) {
		f->src_rd = 0;
		f->urgent = 0;	/* read past the mark, if any */
		return FLOW_WAIT;
	}
	return flow_fail(fe, i, (int)n);
}

static enum flow_next
flow_recv_pipe(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];
	ssize_t n;

	n = mio_splice(t->fd[i], f->pipe->fd[1], RELAY_SPLICE_MAX,
	    RELAY_SPLICE_FLAGS);
	if (n > 0) {
		f->piped = (uint32_t)n;
		sess_count_bytes(&t->s, (int)i, (uint64_t)n);
		t->t_last = loop.now;
		return FLOW_ON;
	}
	relay_pipe_put(f->pipe, 1);
	f->pipe = NULL;
	return flow_recv_none(t, i, n, fe);
}

static enum flow_next
flow_recv_buf(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];
	ssize_t n;

	if (f->buf == NULL) {
		flow_bufs_cap = (uint32_t)t->s.l->conf->limits.buffer_size;
		if ((f->buf = flow_buf_get(flow_bufs_cap)) == NULL)
			return flow_fail(fe, i, -ENOMEM);
	}
	n = mio_read(t->fd[i], f->buf->data, f->buf->cap);
	if (n <= 0) {
		flow_buf_put(f->buf);
		f->buf = NULL;
		return flow_recv_none(t, i, n, fe);
	}
	f->buf->off = 0;
	f->buf->len = (uint32_t)n;
	sess_count_bytes(&t->s, (int)i, (uint64_t)n);
	t->t_last = loop.now;
	if ((uint32_t)n == f->buf->cap) {
		/* A full buffer is bulk: the rest by splice, where urgent
		 * data can be seen (a splice stalls at its mark). */
		if (relay_splice_enabled() &&
		    (loop.tcp_interest & MIO_PRIORITY))
			f->splice = 1;
	} else if (loop.tcp_short_read_drains && !f->src_hup && !f->urgent) {
		/* A short read emptied the socket: new data brings an
		 * edge (see the top of this file). */
		f->src_rd = 0;
	}
	return FLOW_ON;
}

static enum flow_next
flow_recv(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	struct flow *f = &t->flow[i];

	if (!f->src_rd || t->fd[i] < 0)
		return FLOW_WAIT;
	if (f->splice && !f->urgent && (f->pipe = relay_pipe_get()) != NULL)
		return flow_recv_pipe(t, i, fe);
	return flow_recv_buf(t, i, fe);
}

/*
 * One step of flow i in its present state.  A switch over the table's
 * rows, not an array of function pointers: each step is called from here
 * alone, so the compiler folds them all into flow_run(), and a request
 * costs the few instructions of its branches instead of an indirect call
 * and a full prologue per step.
 */
static inline enum flow_next
flow_step_once(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	if (i == 0 && t->pp_out != NULL)
		return flow_send_hdr(t, fe);
	switch (flow_state(&t->flow[i])) {
	case FLOW_SEND_BUF:
		return flow_send_buf(t, i, fe);
	case FLOW_SEND_PIPE:
		return flow_send_pipe(t, i, fe);
	case FLOW_SHUT:
		return flow_shut(t, i, fe);
	default:
		return flow_recv(t, i, fe);
	}
}

/* Moves flow i: 1 with budget spent and work left, 0, or -1 with *fe. */
static int
flow_run(struct tcp_sess *t, unsigned i, struct flow_error *fe)
{
	int budget = RELAY_BUDGET;

	while (budget > 0) {
		switch (flow_step_once(t, i, fe)) {
		case FLOW_SPENT:
			budget--;
			break;
		case FLOW_WAIT:
			return 0;
		case FLOW_FAIL:
			return -1;
		default:
			break;
		}
	}
	return 1;
}

int
flow_holds(const struct flow *f)
{
	return (f->buf != NULL && f->buf->len > 0) || f->piped > 0 ||
	    f->rq_n > 0;
}

void
flow_release(struct flow *f)
{
	if (f->buf != NULL) {
		flow_buf_put(f->buf);
		f->buf = NULL;
	}
	if (f->pipe != NULL) {
		relay_pipe_put(f->pipe, f->piped == 0);
		f->pipe = NULL;
	}
}

/* Arms the half-close deadline once a direction is shut. */
void
tcp_half_closed(struct tcp_sess *t)
{
	t->deadline = loop.now + (uint64_t)t->s.l->conf->timeouts.half_close_ms;
	if (t->deadline < t->s.timer.deadline || !timer_armed(&t->s.timer))
		(void)timer_set(&loop.timers, &t->s.timer, t->deadline);
}

enum tcp_pumped
flow_pump(struct tcp_sess *t, struct tcp_end_why *why)
{
	struct flow_error fe;
	int more = 0, rc;
	unsigned i;

	for (i = 0; i < 2; i++) {
		if ((rc = flow_run(t, i, &fe)) < 0) {
			why->reset_side = -1;
			if (fe.err == -ENOMEM) {
				why->reason = "no_memory";
				return TCP_PUMPED_END;
			}
			/* The failed side is gone; the other learns by RST. */
			log_debug("listener %s: %s: %s", t->s.l->conf->name,
			    fe.side == 0 ? "client" : "server",
			    mio_strerror(fe.err));
			why->reason = "reset";
			why->reset_side = 1 - fe.side;
			/* A server that resets before its first byte failed
			 * the client as surely as a refused connect. */
			if (fe.side == 1 && fe.err == -ECONNRESET &&
			    t->s.bytes[1] == 0)
				upstream_reset_early(t->s.ups, t->s.server);
			return TCP_PUMPED_END;
		}
		more |= rc;
	}
	if (t->flow[0].shut && t->flow[1].shut) {
		why->reason = t->closed_first == 2 ? "server_close" :
		    "client_close";
		why->reset_side = -1;
		return TCP_PUMPED_END;
	}
	if ((t->flow[0].shut || t->flow[1].shut) && t->deadline == 0)
		tcp_half_closed(t);
	return more ? TCP_PUMPED_MORE : TCP_PUMPED_WAIT;
}
