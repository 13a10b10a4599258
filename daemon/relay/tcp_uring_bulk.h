/*
 * A session on the completion engine that turns out to be bulk goes back
 * to the readiness engine, which splices (tcp_uring_bulk.c says why).
 */
#ifndef MIOPROXY_RELAY_TCP_URING_BULK_H
#define MIOPROXY_RELAY_TCP_URING_BULK_H

struct tcp_sess;

/* tcp_sess.ring: which engine relays the session. */
#define TCP_RING_OFF		0	/* the readiness engine */
#define TCP_RING_ON		1	/* the ring (tcp_uring.c) */
#define TCP_RING_LEAVING	2	/* the ring, cancelling to leave it */

/*
 * tcp_uring_bulk.c: a receive of flow i filled its whole ring buffer.
 * Marks the flow for splicing and returns 1 when t starts leaving the
 * ring now (the caller then cancels the receives and sends still in
 * flight), 0 otherwise (splice off, already leaving, or not bulk enough
 * yet).
 */
int	tcp_uring_bulk_full(struct tcp_sess *t, unsigned i);
/* Whether t, leaving, is quiet: nothing in flight that would name a
 * flow, not on a list by qnext (what it holds moves with it). */
int	tcp_uring_bulk_quiet(const struct tcp_sess *t);

#endif /* MIOPROXY_RELAY_TCP_URING_BULK_H */
