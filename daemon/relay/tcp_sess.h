/*
 * Inside the TCP wing: a TCP session and its two flows, shared by the
 * session's life (tcp.c), the data path (tcp_flow.c) and accepting
 * (tcp_listen.c).  tcp.c's header comment says how a session works.
 */
#ifndef MIOPROXY_RELAY_TCP_SESS_H
#define MIOPROXY_RELAY_TCP_SESS_H

#include <stdint.h>

#include <mio.h>

#include "conf/conf.h"
#include "relay/sess.h"

#define TCP_EXCLUDE_MAX		8	/* servers remembered as failed */

struct lsock;
struct lstn;
struct pp_header;
struct relay_pipe;

/* A buffer of the copying path (tcp_flow.c keeps the idle ones). */
struct relay_buf {
	struct relay_buf *next;		/* idle */
	uint32_t	 cap;
	uint32_t	 off;
	uint32_t	 len;
	char		 data[];
};

/* One direction: from side i to side 1 - i. */
struct flow {
	struct relay_buf *buf;
	struct relay_pipe *pipe;	/* splicing: the bytes in flight */
	uint32_t	 piped;		/* bytes in the pipe */
	uint8_t		 src_rd;	/* the source may have data */
	uint8_t		 dst_wr;	/* the destination may take data */
	uint8_t		 eof;		/* the source sent its FIN */
	uint8_t		 shut;		/* ...and it was passed on */
	uint8_t		 splice;	/* bulk seen: move data with splice(2) */
	uint8_t		 src_hup;	/* the source's FIN or error is known */
	uint8_t		 urgent;	/* the source holds TCP urgent data */
	uint8_t		 src_err;	/* an error event came for the source */
	/* On the completion engine (tcp_uring.c): the ring's buffers
	 * received and not yet sent on, a chain by buffer id; the bytes of
	 * the head already sent; a receive and a send in flight. */
	uint16_t	 rq_head, rq_tail, rq_n;
	uint8_t		 rx_armed, tx_busy;
	uint32_t	 rq_off;
};

enum tcp_state {
	TCP_CONNECTING,
	TCP_RELAY,
	TCP_HEADER		/* awaiting the client's PROXY header */
};

/* excluded[] holds server indexes in 16 bits: the loader's bound. */
_Static_assert(CONF_SERVERS_MAX - 1 <= UINT16_MAX, "server index width");

struct tcp_sess {
	struct sess	 s;		/* first: the session core */
	struct tcp_sess	*qnext;		/* on the run queue */
	int		 fd[2];		/* [0] client, [1] server; -1: none */
	struct flow	 flow[2];	/* [0] client->server, [1] back */
	uint8_t		 state;
	uint8_t		 queued;
	uint8_t		 closed_first;	/* 1 + the side whose FIN came first */
	uint8_t		 nexcluded;
	uint8_t		 ring;		/* TCP_RING_*: tcp_uring_bulk.h */
	/* Connecting on the ring (tcp_uring_conn.c): the server's socket
	 * was never in the poll; a connect is in flight; it was cancelled
	 * (a timeout) and the next try waits for its record. */
	uint8_t		 srv_ring, conn_ring, conn_stale;
	uint32_t	 attempts;
	uint16_t	 excluded[TCP_EXCLUDE_MAX];
	/* Milliseconds after s.t_start, in 32 bits to keep an idle session
	 * small: connects happen within tries x timeouts.connect. */
	uint32_t	 t_connect;	/* this attempt's start: low bits, us */
	uint32_t	 connect_ms;	/* how long it took, once TCP_RELAY */
	uint64_t	 t_last;	/* last bytes moved, either side */
	uint64_t	 deadline;	/* connect, or half-close; 0: none */
	/* The PROXY header for the server, written before anything else
	 * once connected (tcp_pp.c); NULL: none, or sent. */
	struct relay_buf *pp_out;
};

/* tcp.c: a new session for an accepted client (fd is the session's). */
void	tcp_start(struct lstn *l, int fd, const struct mio_addr *client);
/* tcp.c: closes fd and writes the access record of a refused client. */
void	tcp_refuse(struct lstn *l, int fd, const struct mio_addr *client,
	    const char *reason);
/* tcp.c: one readiness event on a session's side. */
void	tcp_sess_event(struct tcp_sess *t, unsigned side, uint32_t flags);
/* tcp.c: serves the sessions whose budget ran out in the last turn. */
void	tcp_run_queue(void);
/* tcp.c: whether sessions wait on the run queue. */
int	tcp_queued(void);

/* tcp_pp.c: the PROXY protocol over TCP (issue 14). */
/* Whether l takes headers and `peer` may not send one: refused. */
int	tcp_pp_untrusted(struct lstn *l, const struct mio_addr *peer);
/* Awaits the header of t's client, within the listener's timeout. */
void	tcp_pp_start(struct tcp_sess *t);
/*
 * A readiness event on the client while the header is awaited: 0, wait
 * for more; 1, *h came (it named the client; what followed it is in the
 * client's buffer); -1, end t with *end, the reason (a refusal is
 * already counted and logged).
 */
int	tcp_pp_event(struct tcp_sess *t, uint32_t flags, struct pp_header *h,
	    const char **end);
/* The header's time ran out: counts and logs it; the end reason. */
const char *tcp_pp_timeout(struct tcp_sess *t);
/* Makes t->pp_out for the upstream's `send`: 0, or -errno (-ENOMEM). */
int	tcp_pp_out(struct tcp_sess *t, const struct pp_header *h);

/* What moving a session's flows came to, for tcp.c to act on. */
enum tcp_pumped {
	TCP_PUMPED_WAIT,	/* both flows wait for an event */
	TCP_PUMPED_MORE,	/* a budget ran out: serve again next turn */
	TCP_PUMPED_END		/* the session is over: see tcp_end_why */
};

struct tcp_end_why {
	const char	*reason;
	int		 reset_side;	/* 0 or 1, or -1: none */
};

/* tcp_flow.c: moves both flows as far as they go. */
enum tcp_pumped flow_pump(struct tcp_sess *t, struct tcp_end_why *why);
/* tcp_flow.c: whether the proxy holds bytes of f not yet passed on. */
int	flow_holds(const struct flow *f);
/* tcp_flow.c: gives back f's buffer and pipe. */
void	flow_release(struct flow *f);
/* tcp_flow.c: an empty buffer of cap bytes (an idle one if it can), or
 * NULL; and back to the idle ones. */
struct relay_buf *flow_buf_take(uint32_t cap);
void	flow_buf_give(struct relay_buf *b);
/* tcp_flow.c: frees the idle buffers (the loop's last turn). */
void	flow_fini(void);

/*
 * tcp.c: ends t at once, with reason for its access record; reset_side
 * is the side to reset (0 or 1), or -1 for an orderly close of both (a
 * side the proxy still holds bytes for is reset either way).  The
 * completion engine's `end` (struct tcp_uring_env).
 */
void	tcp_end(struct tcp_sess *t, const char *reason, int reset_side);
/* tcp.c: a connect's record on the ring: result 0 or -errno (the
 * engine's `connect_record`). */
void	tcp_connect_record(struct tcp_sess *t, int result);
/*
 * tcp.c: t, quiet on the ring (no operation of its flows in flight, what
 * it held moved into its flows' relay buffers), goes on on the readiness
 * engine: both sockets back in the poll, both flows tried at once (held
 * bytes first), t on the run queue.  0, or -errno (then t is still the
 * ring's, to be ended).  The engine's `resume_readiness`
 * (tcp_uring_bulk.c says when).
 */
int	tcp_resume_readiness(struct tcp_sess *t);
/* tcp_flow.c: arms the half-close deadline once a direction is shut. */
void	tcp_half_closed(struct tcp_sess *t);

/*
 * tcp_uring.c: the relay engine on libmio's completion ring (issue 17),
 * for sessions whose server has connected.  The rest of a session's life
 * (PROXY headers, retries, timers, ending) is tcp.c's on either engine;
 * the accepts and connects on the ring are tcp_uring_conn.c's
 * (tcp_uring_conn.h).
 */
/*
 * What the completion engine calls back in the wing above it.  The wing
 * calls down into the engine (tcp.c: a session onto the ring, its
 * connect, its end and its sockets' closes; tcp_listen.c: its listeners,
 * its turns), and the engine's records call back up: a session ends, a
 * connect's record leads to tcp.c's connected or failed paths, a bulk
 * session goes back to readiness, a client is accepted.  Those calls
 * come through this table, given once at tcp_uring_configure() by
 * tcp_listen.c, the wing's top (as sess.c is given tcp_kind, and rchan.c
 * its struct rchan_env), so that tcp_uring*.c name nothing above them
 * and the calls go one way.  Moving the session's life below the engine
 * instead would not do: ending a session cancels its operations and
 * closes its sockets through the ring, so the life needs the engine as
 * much as the engine needs it.  Each is called once per session or
 * connect at most, never per byte or per record of relayed bytes (those
 * stay direct calls, into tcp_flow.c and tcp_uring_bulk.c below).
 */
struct tcp_uring_env {
	/* Ends t as the engine decided (tcp.c's tcp_end()). */
	void	(*end)(struct tcp_sess *t, const char *reason,
		    int reset_side);
	/* A connect's record (tcp.c's tcp_connect_record()). */
	void	(*connect_record)(struct tcp_sess *t, int result);
	/* t, quiet, leaves the ring (tcp.c's tcp_resume_readiness()). */
	int	(*resume_readiness)(struct tcp_sess *t);
	/* tcp_listen.c, for the accepts' records: an accepted client (a
	 * session or a refusal); one found reset before its session began
	 * (counted, logged as end=reset, closed); accepting by the system
	 * call until -EAGAIN (EMFILE's shedding, pauses): 1 when the queue
	 * is empty, 0 when paused. */
	void	(*admit)(struct lstn *l, int fd,
		    const struct mio_addr *client);
	void	(*admit_reset)(struct lstn *l, int fd,
		    const struct mio_addr *client);
	int	(*accept)(struct lsock *ls);
};

/* process.io, at start: whether to relay on the ring (and make it);
 * env, the wing's calls (copied). */
void	tcp_uring_configure(int io, const struct tcp_uring_env *env);
/* Takes t (just connected) onto the ring: 1, or 0 to relay on readiness. */
int	tcp_uring_take(struct tcp_sess *t);
/* t ends: cancels its operations in flight, gives its buffers back. */
void	tcp_uring_end(struct tcp_sess *t);
/* After each batch: re-arms starved receives, submits the queue. */
void	tcp_uring_after_batch(void);
/* Before each wait: submits what is still queued (loop.h's before_wait). */
void	tcp_uring_before_wait(void);
/* The loop's last turn: frees the ring, and sessions it pinned. */
void	tcp_uring_fini(void);

/* What a readiness event says of a flow's source. */
static inline void
flow_note_read(struct flow *f, uint32_t flags)
{
	if (flags & (MIO_READABLE | MIO_PRIORITY | MIO_READ_CLOSED |
	    MIO_ERROR))
		f->src_rd = 1;
	if (flags & (MIO_READ_CLOSED | MIO_ERROR))
		f->src_hup = 1;
	if (flags & MIO_ERROR)
		f->src_err = 1;
	if (flags & MIO_PRIORITY)
		f->urgent = 1;
}


#endif /* MIOPROXY_RELAY_TCP_SESS_H */
