/*
 * The relay engine on completions (process.io: uring, issue 17): once a
 * session's server has connected, its two sockets leave the poll and
 * their bytes move through libmio's ring (mio_ring(3)).  Accepting and
 * connecting on the ring are tcp_uring_conn.c's, whose records
 * ring_record() passes on.
 *
 * Each socket has one receive in flight into a shared group of ring
 * buffers (a single receive: a multishot one takes up to dozens of
 * buffers in one go while the socket has data, which no per-session
 * bound survives); a record is a buffer of received bytes, chained on
 * its flow (by buffer id, so that a session holds no array) until a
 * send to the other side takes it; one send is in flight per direction
 * and a buffer goes back the moment its bytes are sent.
 *
 * Backpressure.  A flow holding its listener's buffer_size in buffers
 * arms no new receive until it holds less: a slow or stalled
 * destination stops the reading of its source, and memory per session
 * is bounded by buffer_size per direction, as on the readiness engine.
 * An idle session holds no buffer: a receive takes one only when bytes
 * arrive.  The group lends RING_LEND buffers to the kernel at a time and
 * keeps the others in a stack, so that what is resident follows the
 * traffic, not the group's size.
 *
 * An empty group ends every receive on it with -ENOBUFS (one small
 * segment takes a whole buffer): such flows wait on a list and are armed
 * again after the batch in which buffers came back.
 *
 * Half-close, resets, timeouts, counts.  As the readiness engine does
 * (tcp.c's header comment): a receive's end of stream becomes
 * shutdown(SHUT_WR) towards the other side once the flow's bytes are
 * sent (by the system call: through the ring a shutdown would go to a
 * kernel worker); an error on a side ends the session and resets the
 * other; bytes are counted as they are received and refresh the idle
 * timer as they move; tcp.c's timer, ending and access record are
 * shared.  Urgent data: the receive steps over the mark, dropping the
 * urgent byte, as the readiness engine's reads do.
 *
 * Ending.  The session's operations in flight are cancelled by token
 * (a cancel by descriptor would find the socket closed by the time the
 * kernel reads it) and its memory stays pinned until their last records
 * came (sess.h); a socket the ring still holds is really closed, and
 * sends its FIN or RST, when the kernel lets go of it.
 *
 * Where the ring cannot be made (no io_uring, or refused), the process
 * relays on readiness and says so once.
 *
 * Its place: below the wing, which calls in (tcp.c, tcp_listen.c), and
 * above tcp_uring_conn.c and tcp_uring_bulk.c; what goes back up (a
 * session's end, a connect's record, a session leaving for readiness)
 * goes through the table the wing gave at tcp_uring_configure() (struct
 * tcp_uring_env, tcp_sess.h: one indirect call per session's end or
 * connect, none per record of relayed bytes).
 *
 * Workers.  The ring is made in the tcp module's first commit, that is
 * in the process that relays: with process.workers each worker makes
 * its own after the fork, and the supervisor (which runs no relay
 * module) none, so that no ring is ever shared across a fork (a ring of
 * SINGLE_ISSUER refuses another process's submissions).
 *
 * Bulk.  No splice on the ring: the kernel runs IORING_OP_SPLICE in a
 * worker thread always (it refuses the non-blocking issue), so a
 * socket-to-pipe splice waiting for bytes would hold a kernel thread per
 * direction.  So a session whose receive fills a whole buffer (bulk, as
 * a full read is on the readiness engine) cancels what it has in flight,
 * hands what it holds to the readiness engine's buffers, and leaves the
 * ring for good, waiting for no peer: the readiness engine splices it
 * (tcp_uring_bulk.c).  Where splicing is off, bulk stays
 * here, in buffers of RING_BUF_SIZE, two per direction at the default
 * buffer_size, so that a receive overlaps the send before it
 * (bench/RESULTS.md, "The completion engine").
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <mio_ring.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "model/keep.h"
#include "relay/listener.h"
#include "relay/tcp_sess.h"
#include "relay/tcp_uring_bulk.h"
#include "relay/tcp_uring_conn.h"
#include "upstream/upstream.h"

#define RQ_NONE		0xffffu
#define RING_ENTRIES	1024u
#define RING_GROUP	0u
#define RING_BUFS	2048u		/* a power of two */
#define RING_BUF_SIZE	(32u * 1024u)
#define RING_LEND	32u		/* buffers kept lent to the kernel */
#define RING_RECORDS	64u

/* The low bits of a record's token: which operation of the session. */
enum ring_op {
	OP_RX0 = 0,	/* the receive on side 0 (client), flow 0 */
	OP_RX1 = 1,	/* side 1 (server), flow 1 */
	OP_TX0 = 2,	/* flow 0's send, to the server */
	OP_TX1 = 3,	/* flow 1's send, to the client */
	OP_CANCEL = 4,
	OP_CONNECT = TCP_RING_OP_CONNECT,	/* tcp_uring_conn.c */
	OP_ACCEPT = TCP_RING_OP_ACCEPT	/* not a session's: an accept slot */
};
_Static_assert(OP_CANCEL == TCP_RING_OP_CANCEL, "tcp_uring_conn.h");
#define OP_MASK		7u
_Static_assert(_Alignof(struct tcp_sess) >= 8, "token bits");

static int ring_wanted;		/* process.io asks for the ring */
static int ring_failed;		/* ...and it could not be made */
static int ring_auto;		/* ...by process.io: auto (auto_refuses()) */
static struct mio_ring *ring;
static struct tcp_uring_env ring_env;	/* the wing's calls */
static struct loop_handler ring_handler;
/* Per buffer id: the next in its flow's chain, and its byte count. */
static uint16_t ring_next[RING_BUFS];
static uint32_t ring_len[RING_BUFS];
static unsigned ring_out;	/* buffers handed to us, not yet back */
static unsigned ring_lent;	/* buffers the kernel may still fill */
/* The buffers neither lent nor in use: a stack, so that the few most
 * recently used are lent again and the rest of the mapping stays
 * untouched (the kernel takes lent buffers in turn, so lending the whole
 * group would make every page of it resident). */
static uint16_t ring_stack[RING_BUFS];
static unsigned ring_nstack;
/* How many of the stack's top entries were used (their pages resident);
 * those below were never touched. */
static unsigned ring_dirty;
static struct tcp_sess *ring_starved;	/* receives waiting for buffers */

static void ring_event(struct loop_handler *self, uint32_t flags);
static int flow_kick(struct tcp_sess *t, unsigned i, struct tcp_end_why *why);

static mio_token
op_token(struct tcp_sess *t, enum ring_op op)
{
	return (mio_token)(uintptr_t)t | (mio_token)op;
}

static int ring_ready(void);

/*
 * THE POLICY OF process.io: auto, in one place.  Auto picks the uring
 * engine when the running kernel gives every feature the engine needs,
 * as found by probing, never by a version number:
 *  - mio_ring_new() succeeds: io_uring is there and not refused (by
 *    seccomp, as Docker's default profile does, or io_uring_disabled),
 *    every opcode the engine and its accept/connect use (accept,
 *    connect, receive, send, shutdown, close, cancel:
 *    IORING_REGISTER_PROBE) and the ops' flags (multishot accept and
 *    receive, cancel by token, by descriptor and of any: tried live);
 *  - mio_ring_group_new() succeeds: provided buffer rings;
 *  - the ring runs its completion work without interrupting the loop
 *    (IORING_SETUP_SINGLE_ISSUER | COOP_TASKRUN, tried at setup): a
 *    plain ring serves `io: uring`, but is not what was measured faster.
 * Otherwise auto relays on readiness and says why at info level (that
 * is normal, not a fault); `io: uring` that cannot be had warns.
 *
 * To make auto mean readiness everywhere (should a benchmark show the
 * uring engine slower on some load), set AUTO_PICKS_URING to 0.
 */
#define AUTO_PICKS_URING	1

/* Why auto leaves a ring of these features for readiness, or NULL. */
static const char *
auto_refuses(unsigned features)
{
	if (!AUTO_PICKS_URING)
		return "auto is readiness in this build (AUTO_PICKS_URING)";
	if (!(features & MIO_RING_F_COOP_TASKRUN))
		return "the ring has no COOP_TASKRUN";
	return NULL;
}

void
tcp_uring_configure(int io, const struct tcp_uring_env *env)
{
	ring_env = *env;
	tcp_uring_conn_configure(&ring, env);
	/* Made now, with the poll: its descriptors are the process's
	 * from the start, not the first session's. */
	ring_auto = io == CONF_IO_AUTO;
	ring_wanted = io == CONF_IO_URING || ring_auto;
	keep_proc.io_uring = ring_ready();
}

/* The ring, made at start; 0 when the process relays on readiness. */
static int
ring_ready(void)
{
	const char *why = NULL;
	int rc;

	if (ring != NULL)
		return 1;
	if (!ring_wanted || ring_failed)
		return 0;
	/* No ring at all when the build keeps auto on readiness. */
	if (ring_auto && (why = auto_refuses(~0u)) != NULL) {
		ring_failed = 1;
		log_info("process.io: auto: relaying on readiness: %s", why);
		return 0;
	}
	ring_handler.event = ring_event;
	rc = mio_ring_new(loop.poll, LOOP_TOKEN(&ring_handler, LOOP_TAG_OPS),
	    RING_ENTRIES, &ring);
	if (rc == 0 && (rc = mio_ring_group_new(ring, RING_GROUP, RING_BUFS,
	    RING_BUF_SIZE, RING_LEND)) != 0) {
		mio_ring_free(ring);
		ring = NULL;
	}
	if (rc == 0 && ring_auto &&
	    (why = auto_refuses(mio_ring_features(ring))) != NULL) {
		mio_ring_free(ring);
		ring = NULL;
	}
	if (rc == -ENOTSUP)
		why = "no io_uring ring with every operation the engine uses "
		    "(none in this kernel or build, refused by a seccomp "
		    "profile or kernel.io_uring_disabled, or an operation or "
		    "flag missing)";
	if (rc != 0 || why != NULL) {
		ring_failed = 1;
		if (ring_auto)
			log_info("process.io: auto: relaying on readiness: %s",
			    why != NULL ? why : mio_strerror(rc));
		else
			log_warn("process.io: uring: %s; relaying on readiness",
			    why != NULL ? why : mio_strerror(rc));
		return 0;
	}
	ring_lent = RING_LEND;
	for (ring_nstack = 0; ring_nstack < RING_BUFS - RING_LEND;
	    ring_nstack++)
		ring_stack[ring_nstack] = (uint16_t)(RING_BUFS - 1 -
		    ring_nstack);
	log_info("relay engine: io_uring completions (features %#x%s)",
	    mio_ring_features(ring), ring_auto ? ", process.io: auto" : "");
	return 1;
}

/* Queues an operation of t's; a full queue ends t as an error. */
static int
op_queued(struct tcp_sess *t, int rc)
{
	if (rc != 0) {
		log_warn("listener %s: ring: %s", t->s.l->conf->name,
		    mio_strerror(rc));
		return rc;
	}
	t->s.pins++;
	return 0;
}

static int
rx_arm(struct tcp_sess *t, unsigned i)
{
	struct flow *f = &t->flow[i];
	int rc;

	rc = op_queued(t, mio_ring_recv(ring, t->fd[i], RING_GROUP,
	    op_token(t, i == 0 ? OP_RX0 : OP_RX1)));
	if (rc == 0)
		f->rx_armed = 1;
	return rc;
}

static void
buf_back(uint16_t id)
{
	ring_out--;
	if (ring_lent < RING_LEND) {
		(void)mio_ring_buffer_return(ring, RING_GROUP, id);
		ring_lent++;
	} else {
		ring_stack[ring_nstack++] = id;
		ring_dirty++;
	}
}

/* Takes a buffer off the stack. */
static uint16_t
buf_pop(void)
{
	if (ring_dirty > 0)
		ring_dirty--;
	return ring_stack[--ring_nstack];
}

/*
 * After a burst, gives the pages of the stack's used buffers back to the
 * system but for the RING_LEND most recently used: what stays resident
 * follows the traffic of the moment, not its peak (memory per idle
 * session after a crowd of requests).  Only when sessions hold few
 * buffers, so that a steady load never pays for it.
 */
static void
buf_trim(void)
{
	unsigned i;

	if (ring_dirty <= 2 * RING_LEND || ring_out > RING_LEND)
		return;
	for (i = ring_nstack - ring_dirty; i < ring_nstack - RING_LEND; i++)
		(void)madvise(mio_ring_buffer(ring, RING_GROUP,
		    ring_stack[i]), RING_BUF_SIZE, MADV_DONTNEED);
	/* Clean again, below the hot ones: the stack's order holds. */
	ring_dirty = RING_LEND;
}

/* Lends buffers from the stack until RING_LEND are lent. */
static void
buf_lend(void)
{
	while (ring_lent < RING_LEND && ring_nstack > 0) {
		(void)mio_ring_buffer_return(ring, RING_GROUP, buf_pop());
		ring_lent++;
	}
}

/* Buffers a flow of t may hold before its receive stops: the
 * listener's buffer_size, as the readiness engine holds. */
static unsigned
rq_high(const struct tcp_sess *t)
{
	unsigned n = (unsigned)(t->s.l->conf->limits.buffer_size /
	    RING_BUF_SIZE);

	return n > 0 ? n : 1;
}

/* Gives back every buffer f holds. */
static void
rq_drop(struct flow *f)
{
	while (f->rq_n > 0) {
		uint16_t id = f->rq_head;

		f->rq_head = ring_next[id];
		f->rq_n--;
		buf_back(id);
	}
	f->rq_head = f->rq_tail = RQ_NONE;
	f->rq_off = 0;
}

/* Ring buffers (from the stack) that n bytes take. */
static unsigned
bufs_for(uint32_t n)
{
	return (n + RING_BUF_SIZE - 1) / RING_BUF_SIZE;
}

/* Copies n bytes into buffers from the stack, queued on f as if
 * received (they were counted when the readiness engine read them). */
static void
rq_copy(struct flow *f, const char *p, uint32_t n)
{
	while (n > 0) {
		uint16_t id = buf_pop();
		uint32_t len = n < RING_BUF_SIZE ? n : RING_BUF_SIZE;

		ring_out++;
		memcpy(mio_ring_buffer(ring, RING_GROUP, id), p, len);
		ring_len[id] = len;
		ring_next[id] = RQ_NONE;
		if (f->rq_n++ == 0)
			f->rq_head = id;
		else
			ring_next[f->rq_tail] = id;
		f->rq_tail = id;
		p += len;
		n -= len;
	}
}

/*
 * What the readiness engine holds when the server connects (the PROXY
 * header for the server, and a client's first bytes read while
 * connecting) moves into ring buffers, to be sent first: 0, or -1 when
 * the stack is short (the session then stays on readiness).
 */
static int
take_held(struct tcp_sess *t)
{
	struct relay_buf *b = t->flow[0].buf;
	uint32_t hdr = t->pp_out != NULL ? t->pp_out->len : 0;
	uint32_t early = b != NULL ? b->len : 0;
	unsigned i;

	for (i = 0; i < 2; i++) {
		t->flow[i].rq_head = t->flow[i].rq_tail = RQ_NONE;
		t->flow[i].rq_n = 0;
		t->flow[i].rq_off = 0;
	}
	if (t->flow[1].buf != NULL || t->flow[0].pipe != NULL ||
	    t->flow[1].pipe != NULL || bufs_for(hdr) + bufs_for(early) >
	    ring_nstack)
		return -1;
	if (hdr > 0)
		rq_copy(&t->flow[0], t->pp_out->data + t->pp_out->off, hdr);
	if (early > 0)
		rq_copy(&t->flow[0], b->data + b->off, early);
	free(t->pp_out);
	t->pp_out = NULL;
	if (b != NULL) {
		flow_buf_give(b);
		t->flow[0].buf = NULL;
	}
	return 0;
}

int
tcp_uring_take(struct tcp_sess *t)
{
	unsigned i;

	if (!ring_ready() || t->queued || take_held(t) != 0)
		return 0;
	for (i = 0; i < 2; i++)
		if ((i == 0 || !t->srv_ring) &&
		    mio_deregister(loop.poll, t->fd[i]) != 0) {
			/* Cannot be (registered at start); if it were, the
			 * session could not go on on either engine. */
			struct tcp_end_why why = { "error", -1 };

			t->ring = 1;
			ring_env.end(t, why.reason, why.reset_side);
			return 1;
		}
	t->ring = 1;
	/* Arm the receives, send what was held, and pass on a FIN that
	 * came meanwhile. */
	{
		struct tcp_end_why why;

		if (flow_kick(t, 0, &why) != 0 || flow_kick(t, 1, &why) != 0)
			ring_env.end(t, why.reason, why.reset_side);
	}
	return 1;
}

void
tcp_uring_end(struct tcp_sess *t)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct flow *f = &t->flow[i];

		if (f->rx_armed)
			(void)op_queued(t, mio_ring_cancel_token(ring,
			    op_token(t, i == 0 ? OP_RX0 : OP_RX1),
			    op_token(t, OP_CANCEL)));
		if (f->tx_busy)
			(void)op_queued(t, mio_ring_cancel_token(ring,
			    op_token(t, i == 0 ? OP_TX0 : OP_TX1),
			    op_token(t, OP_CANCEL)));
		rq_drop(f);
	}
}

/* --- leaving for the readiness engine (tcp_uring_bulk.c) --------------- */

/* Takes t off the starved list, if it is on it: a session leaving arms
 * no receive again, so it must not wait there for other sessions'
 * buffers to come back before it can go. */
static void
starved_unlink(struct tcp_sess *t)
{
	struct tcp_sess **at;

	if (!t->queued)
		return;
	for (at = &ring_starved; *at != NULL; at = &(*at)->qnext)
		if (*at == t) {
			*at = t->qnext;
			t->qnext = NULL;
			t->queued = 0;
			t->s.pins--;	/* the list named it */
			return;
		}
}

/*
 * t starts leaving: every operation of its flows in flight is cancelled
 * by token, the receives and the sends alike, so that leaving waits for
 * nothing but their records, which come back at once: a send to a
 * destination that does not read must not hold the other direction
 * (its bytes, its FIN, its reset) until that destination drains.  A
 * cancelled receive may still complete with bytes, a cancelled send
 * with a part sent: their records are accounted as usual.
 */
static int
ring_leave(struct tcp_sess *t)
{
	unsigned i;

	starved_unlink(t);
	for (i = 0; i < 2; i++) {
		if (t->flow[i].rx_armed && op_queued(t,
		    mio_ring_cancel_token(ring,
		    op_token(t, i == 0 ? OP_RX0 : OP_RX1),
		    op_token(t, OP_CANCEL))) != 0)
			return -1;
		if (t->flow[i].tx_busy && op_queued(t,
		    mio_ring_cancel_token(ring,
		    op_token(t, i == 0 ? OP_TX0 : OP_TX1),
		    op_token(t, OP_CANCEL))) != 0)
			return -1;
	}
	return 0;
}

/*
 * The reverse of take_held(): what each flow of t, quiet, still holds in
 * ring buffers moves into a buffer of the readiness engine's, sent first
 * there, and the ring buffers go back.  The buffer is the listener's
 * buffer_size, or larger when more is held (a buffer_size below a ring
 * buffer's 32 KiB): tcp_flow.c sends a buffer by its length and reads
 * into one by its cap.  0, or -ENOMEM.
 */
static int
give_held(struct tcp_sess *t)
{
	uint32_t size = (uint32_t)t->s.l->conf->limits.buffer_size;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct flow *f = &t->flow[i];
		struct relay_buf *b;
		uint32_t held = 0, off;
		uint16_t id;
		unsigned k;

		if (f->rq_n == 0)
			continue;
		for (id = f->rq_head, k = 0; k < f->rq_n; k++,
		    id = ring_next[id])
			held += ring_len[id];
		held -= f->rq_off;
		if ((b = flow_buf_take(held > size ? held : size)) == NULL)
			return -ENOMEM;
		for (id = f->rq_head, off = f->rq_off, k = 0; k < f->rq_n;
		    k++, id = ring_next[id], off = 0) {
			memcpy(b->data + b->len, (char *)mio_ring_buffer(ring,
			    RING_GROUP, id) + off, ring_len[id] - off);
			b->len += ring_len[id] - off;
		}
		f->buf = b;
		rq_drop(f);
	}
	return 0;
}

/* t, leaving and quiet, goes on on the readiness engine. */
static int
ring_left(struct tcp_sess *t, struct tcp_end_why *why)
{
	int rc;

	if ((rc = give_held(t)) == 0)
		rc = ring_env.resume_readiness(t);
	if (rc != 0) {
		why->reason = rc == -ENOMEM ? "no_memory" : "error";
		why->reset_side = -1;
		return -1;
	}
	return 0;
}

/* --- moving a flow ----------------------------------------------------- */

/* Flow i's next step after a record: send, shut, stop or re-arm; or,
 * leaving, nothing until the session is quiet, then its move to the
 * readiness engine. */
static int
flow_kick(struct tcp_sess *t, unsigned i, struct tcp_end_why *why)
{
	struct flow *f = &t->flow[i];

	if (t->ring == TCP_RING_OFF)
		return 0;	/* left the ring in this record's first kick */
	if (t->ring == TCP_RING_LEAVING) {
		/* No new send, no FIN passed on: what is held, and the
		 * end of stream behind it, are the readiness engine's. */
		if (tcp_uring_bulk_quiet(t))
			return ring_left(t, why);
		return 0;
	}
	if (!f->tx_busy && f->rq_n > 0) {
		uint16_t id = f->rq_head;
		char *b = mio_ring_buffer(ring, RING_GROUP, id);

		if (op_queued(t, mio_ring_send(ring, t->fd[1 - i],
		    b + f->rq_off, ring_len[id] - f->rq_off,
		    op_token(t, i == 0 ? OP_TX0 : OP_TX1))) != 0) {
			why->reason = "error";
			why->reset_side = -1;
			return -1;
		}
		f->tx_busy = 1;
	}
	if (f->eof && f->rq_n == 0 && !f->tx_busy && !f->shut) {
		/* The last FIN of the two: close(2) sends it. */
		if (!t->flow[1 - i].shut)
			(void)mio_tcp_shutdown(t->fd[1 - i], SHUT_WR);
		f->shut = 1;
	}
	if (!f->rx_armed && !f->eof && f->rq_n < rq_high(t) && !t->queued) {
		if (rx_arm(t, i) != 0) {
			why->reason = "error";
			why->reset_side = -1;
			return -1;
		}
	}
	return 0;
}

/* A receive's record on flow i. */
static int
rx_record(struct tcp_sess *t, unsigned i,
    const struct mio_ring_completion *c, struct tcp_end_why *why)
{
	struct flow *f = &t->flow[i];

	if (!(c->flags & MIO_RING_MORE))
		f->rx_armed = 0;
	if (c->result > 0) {
		uint16_t id = c->buffer;

		ring_len[id] = (uint32_t)c->result;
		ring_next[id] = RQ_NONE;
		if (f->rq_n++ == 0)
			f->rq_head = id;
		else
			ring_next[f->rq_tail] = id;
		f->rq_tail = id;
		sess_count_bytes(&t->s, (int)i, (uint64_t)c->result);
		t->t_last = loop.now;
		/* Bulk: the session leaves for splicing. */
		if (c->result == (int32_t)RING_BUF_SIZE &&
		    tcp_uring_bulk_full(t, i) && ring_leave(t) != 0) {
			why->reason = "error";
			why->reset_side = -1;
			return -1;
		}
		return 0;
	}
	if (c->result == 0) {
		f->eof = 1;
		if (t->closed_first == 0)
			t->closed_first = (uint8_t)(1 + i);
		return 0;
	}
	if (c->result == -ECANCELED)
		return 0;
	if (c->result == -ENOBUFS) {
		/* The group ran dry: armed again after a batch that gave
		 * buffers back (a session leaving the ring arms none). */
		if (!t->queued && t->ring == TCP_RING_ON) {
			t->queued = 1;
			t->qnext = ring_starved;
			ring_starved = t;
			t->s.pins++;	/* the list names it */
		}
		return 0;
	}
	log_debug("listener %s: %s: %s", t->s.l->conf->name,
	    i == 0 ? "client" : "server", mio_strerror(c->result));
	why->reason = "reset";
	why->reset_side = (int)(1 - i);
	if (i == 1 && c->result == -ECONNRESET && t->s.bytes[1] == 0)
		upstream_reset_early(t->s.ups, t->s.server);
	return -1;
}

/* A send's record on flow i (to side 1 - i). */
static int
tx_record(struct tcp_sess *t, unsigned i,
    const struct mio_ring_completion *c, struct tcp_end_why *why)
{
	struct flow *f = &t->flow[i];
	uint16_t id = f->rq_head;

	f->tx_busy = 0;
	/* A send cancelled as t leaves, with nothing sent (one that sent a
	 * part reports its count, below). */
	if ((c->result == -ECANCELED || c->result == -EINTR) &&
	    t->ring == TCP_RING_LEAVING)
		return 0;
	if (c->result <= 0) {
		log_debug("listener %s: %s: %s", t->s.l->conf->name,
		    i == 0 ? "server" : "client",
		    mio_strerror(c->result < 0 ? c->result : -EPIPE));
		why->reason = "reset";
		why->reset_side = (int)i;
		return -1;
	}
	t->t_last = loop.now;
	f->rq_off += (uint32_t)c->result;
	if (f->rq_off >= ring_len[id]) {
		f->rq_head = ring_next[id];
		f->rq_off = 0;
		if (--f->rq_n == 0)
			f->rq_head = f->rq_tail = RQ_NONE;
		buf_back(id);
	}
	return 0;
}

/* One record: the session's, or a dead session's last words. */
static void
ring_record(const struct mio_ring_completion *c)
{
	struct tcp_sess *t = (struct tcp_sess *)(uintptr_t)(c->token &
	    ~(mio_token)OP_MASK);
	unsigned op = (unsigned)(c->token & OP_MASK);
	struct tcp_end_why why;
	int rc = 0;

	if (op == OP_ACCEPT) {		/* a listener's, never a buffer */
		tcp_uring_accept_record(c);
		return;
	}
	if (c->flags & MIO_RING_BUFFER) {
		ring_out++;
		ring_lent--;
	}
	if (!(c->flags & MIO_RING_MORE))
		t->s.pins--;
	if (t->s.dead) {
		if (c->flags & MIO_RING_BUFFER)
			buf_back(c->buffer);
		return;
	}
	switch (op) {
	case OP_RX0:
	case OP_RX1:
		rc = rx_record(t, op - OP_RX0, c, &why);
		break;
	case OP_TX0:
	case OP_TX1:
		rc = tx_record(t, op - OP_TX0, c, &why);
		break;
	case OP_CONNECT:
		ring_env.connect_record(t, c->result);
		return;
	default:
		return;
	}
	if (rc == 0)
		rc = flow_kick(t, 0, &why);
	if (rc == 0)
		rc = flow_kick(t, 1, &why);
	if (rc != 0) {
		ring_env.end(t, why.reason, why.reset_side);
		return;
	}
	if (t->flow[0].shut && t->flow[1].shut) {
		why.reason = t->closed_first == 2 ? "server_close" :
		    "client_close";
		why.reset_side = -1;
		ring_env.end(t, why.reason, why.reset_side);
		return;
	}
	if ((t->flow[0].shut || t->flow[1].shut) && t->deadline == 0)
		tcp_half_closed(t);
}

/* Acts on every record the ring has: how many there were. */
static int
ring_drain(void)
{
	struct mio_ring_completion recs[RING_RECORDS];
	int n, k, total = 0;

	do {
		n = mio_ring_complete(ring, recs, RING_RECORDS);
		if (n < 0) {
			log_error("ring: %s", mio_strerror(n));
			break;
		}
		for (k = 0; k < n; k++)
			ring_record(&recs[k]);
		total += n;
	} while (n == (int)RING_RECORDS);
	buf_lend();
	return total;
}

static void
ring_event(struct loop_handler *self, uint32_t flags)
{
	(void)self;
	(void)flags;
	(void)ring_drain();
}

/* Starved receives, once buffers can be lent again. */
static void
ring_rearm_starved(void)
{
	struct tcp_sess *t, *next;
	struct tcp_end_why why;

	if (ring_starved == NULL || ring_lent <= RING_LEND / 2)
		return;
	t = ring_starved;
	ring_starved = NULL;
	for (; t != NULL; t = next) {
		next = t->qnext;
		t->queued = 0;
		t->s.pins--;
		if (t->s.dead)
			continue;
		if (flow_kick(t, 0, &why) != 0 || flow_kick(t, 1, &why) != 0)
			ring_env.end(t, why.reason, why.reset_side);
	}
}

/*
 * After each batch: submits what the batch queued, and acts at once on
 * the records that are already there (sends that completed as they were
 * submitted; work the kernel ran as the wait returned -EINTR), a few
 * rounds, rather than a wait later for the eventfd to say so.  What the
 * last round's records queue goes out in tcp_uring_before_wait().
 */
void
tcp_uring_after_batch(void)
{
	int rc, round;

	if (ring == NULL)
		return;
	buf_lend();
	ring_rearm_starved();
	buf_trim();
	for (round = 0; round < 4; round++) {
		if ((rc = mio_ring_submit(ring)) < 0)
			log_error("ring: submit: %s", mio_strerror(rc));
		if (ring_drain() == 0)
			break;
	}
}

/*
 * The loop's last word before it waits: whatever was queued since the
 * after-batch's submit goes to the kernel, or the wait would block with
 * it unsent.  Requests are queued by later modules' after-batch work (a
 * reload that looked up host names ends last, and serves its new
 * listeners onto the ring; the resolver's re-arming of listeners) and
 * by the records of tcp_uring_after_batch()'s last round.  Free when
 * nothing is queued (no system call).
 */
void
tcp_uring_before_wait(void)
{
	int rc;

	if (ring != NULL && (rc = mio_ring_submit(ring)) < 0)
		log_error("ring: submit: %s", mio_strerror(rc));
}

void
tcp_uring_fini(void)
{
	/* For good: a late tcp_uring_ring() must not make a new one. */
	ring_wanted = 0;
	if (ring == NULL)
		return;
	mio_ring_free(ring);
	ring = NULL;
	ring_starved = NULL;
	sess_unpin_all();
	sess_bury();
}
