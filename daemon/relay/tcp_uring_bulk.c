/*
 * Bulk on the completion engine: a session whose receive fills a whole
 * ring buffer leaves the ring for the rest of its life and is relayed by
 * the readiness engine, which splices it (tcp_flow.c).
 *
 * Why.  The ring copies every byte twice (into a ring buffer, out of it)
 * and cannot splice: the kernel runs IORING_OP_SPLICE in a worker thread
 * always, so a splice waiting for bytes would hold a kernel thread per
 * direction.  The readiness engine's splice moves pages, which halves
 * the CPU per byte of bulk (bench/RESULTS.md, "Bulk leaves the ring").
 * The ring keeps what it wins on: keep-alive and small messages, where
 * a receive never fills its buffer.
 *
 * How.  A full receive is the signal, as a full read is on the readiness
 * engine (flow_recv_buf()).  Then the session is LEAVING: it leaves the
 * ring's list of starved receives if it is on it, no receive or send is
 * started again on either side, and every receive and send still in
 * flight is cancelled by token.  Their records come back at once: a
 * cancelled receive may still bring bytes (kept, counted, as usual), a
 * cancelled send may have sent a part (its count says how much; one that
 * sent nothing ends -ECANCELED).  Once no operation of either flow is in
 * flight, what each flow still holds in ring buffers is copied into a
 * buffer of the readiness engine's for that flow (tcp_uring.c's
 * give_held(), the reverse of take_held()), the ring buffers go back, and
 * tcp.c's tcp_resume_readiness() registers both sockets in the poll again
 * and queues the session to run: the held bytes are sent first, then an
 * end of stream received on the ring is passed on.  From there it is one
 * of the readiness engine's.  Its eof, shut, half-close deadline, timer
 * and byte counts are the session's fields, so they carry over
 * untouched.  A cancel's own record may come after the session left; it
 * names the session only to unpin it (tcp_uring.c's ring_record()).
 *
 * Why not drain on the ring first: a send to a destination that does not
 * read would never complete, and while it waits nothing is received on
 * either side, so one stalled direction would freeze the other (its
 * bytes, its FIN, its reset) until the idle timeout.  Leaving waits for
 * no peer: both engines keep the two directions independent.
 *
 * While leaving, the session is still the ring's for everything else:
 * resets, timeouts and every way a session ends go as on the ring.
 *
 * Where splicing is off (MIOPROXY_SPLICE=0, no splice(2), or a poll that
 * cannot watch urgent data, where a splice would stall at the mark),
 * nothing of this happens: the session stays on the ring.
 *
 * TCP_URING_BULK_AFTER full receives on one flow make it leave: one, as
 * the readiness engine splices after one (bench/RESULTS.md measures one
 * against two).
 */
#include "config.h"

#include "loop.h"
#include "relay/pool.h"
#include "relay/tcp_sess.h"
#include "relay/tcp_uring_bulk.h"

#ifndef TCP_URING_BULK_AFTER
#define TCP_URING_BULK_AFTER	1
#endif
_Static_assert(TCP_URING_BULK_AFTER >= 1 && TCP_URING_BULK_AFTER < 256,
    "flow.splice counts full receives in 8 bits");

/* Whether the readiness engine would splice a bulk flow here. */
static int
bulk_splices(void)
{
	return relay_splice_enabled() && (loop.tcp_interest & MIO_PRIORITY);
}

int
tcp_uring_bulk_full(struct tcp_sess *t, unsigned i)
{
	struct flow *f = &t->flow[i];

	if (!bulk_splices())
		return 0;
	/* On the ring, flow.splice counts the flow's full receives: any
	 * count is "splice" to the readiness engine, as one full read is. */
	if (f->splice < TCP_URING_BULK_AFTER)
		f->splice++;
	if (t->ring != TCP_RING_ON || f->splice < TCP_URING_BULK_AFTER)
		return 0;
	t->ring = TCP_RING_LEAVING;
	return 1;
}

int
tcp_uring_bulk_quiet(const struct tcp_sess *t)
{
	unsigned i;

	if (t->queued)
		return 0;
	for (i = 0; i < 2; i++) {
		const struct flow *f = &t->flow[i];

		if (f->rx_armed || f->tx_busy)
			return 0;
	}
	return 1;
}
