/*
 * New connections on the completion engine (process.io: uring): the
 * listeners' multishot accepts and the servers' connects through the
 * ring (tcp_uring_conn.c).  The readiness engine never calls in here
 * but for the checks that say no.
 */
#ifndef MIOPROXY_RELAY_TCP_URING_CONN_H
#define MIOPROXY_RELAY_TCP_URING_CONN_H

#include <mio_ring.h>

struct lsock;
struct tcp_sess;
struct tcp_uring_env;

/* The low bits of a ring token that tcp_uring.c's ring_record()
 * dispatches here (its enum ring_op holds the same values). */
#define TCP_RING_OP_CANCEL	4	/* a cancel request's own record */
#define TCP_RING_OP_CONNECT	5	/* a session's connect */
#define TCP_RING_OP_ACCEPT	6	/* an accept slot's, not a session's */

/*
 * tcp_uring.c, at its configure: *ring is the ring to queue on, as
 * tcp_uring.c holds it (NULL: not made yet, or the process relays on
 * readiness, or the ring is gone); env, the wing's calls (copied) for
 * the accepts' records.  This file sits below tcp_uring.c, which
 * dispatches its records here.
 */
void	tcp_uring_conn_configure(struct mio_ring *const *ring,
	    const struct tcp_uring_env *env);

/*
 * Listeners.  A listening socket on the ring has an accept slot in
 * ls->state, which follows its descriptor across reloads.
 *
 * tcp_uring_listen: moves ls onto the ring (registered: it is in the
 * poll, deregister it first): 1, or 0 to accept on readiness (no ring,
 * or the accept could not be queued).
 * tcp_uring_listen_move: ls took over prev's descriptor and its slot.
 * tcp_uring_listen_resume: a pause is over: accept again.
 * tcp_uring_listen_release: ls closes: its accept is cancelled, and the
 * cancel submitted, before the caller closes the descriptor.
 */
int	tcp_uring_listen(struct lsock *ls, int registered);
void	tcp_uring_listen_move(struct lsock *ls, struct lsock *prev);
void	tcp_uring_listen_resume(struct lsock *ls);
void	tcp_uring_listen_release(struct lsock *ls);
/* An accept slot's record (tcp_uring.c dispatches it). */
void	tcp_uring_accept_record(const struct mio_ring_completion *c);

/*
 * Connecting.  tcp_uring_connect: a socket for addr, its connect queued
 * on the ring (t->fd[1] set, t->srv_ring and t->conn_ring set): 0, or
 * -errno with no socket left (-ENOTSUP: not on the ring; connect on
 * readiness).  tcp_uring_connect_cancel: the connect in flight is
 * cancelled (queued before the caller closes the socket; then
 * t->conn_stale is set, as the next try waits for the connect's
 * record) and 0, or 0 when none is in flight; or -errno when the ring
 * takes no cancel even after a submit (the connect is still in flight
 * and t->conn_ring still set).  Its record still comes either way, and
 * t stays pinned until it does.
 */
int	tcp_uring_connect(struct tcp_sess *t, const struct mio_addr *addr);
int	tcp_uring_connect_cancel(struct tcp_sess *t);
/*
 * Closing.  tcp_uring_close: queues close(2) of fd, a socket of t (on
 * the ring: out of the poll) on the ring, where it goes with the
 * batch's other requests, after those queued on fd before it: 0, or
 * -errno (close it yourself: what was queued is submitted first).
 */
int	tcp_uring_close(struct tcp_sess *t, int fd);
/* The loop's last turn, after tcp_uring_fini(): frees the slots. */
void	tcp_uring_conn_fini(void);

#endif /* MIOPROXY_RELAY_TCP_URING_CONN_H */
