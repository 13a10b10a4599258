/*
 * The re-arm hook of edge emulation.  Backends without native edge
 * triggers (poll(2)) disarm a readiness once they deliver it; every I/O
 * call made through libmio that ends in -EAGAIN calls mio__would_block()
 * to arm that direction again, as mio's IoSourceState::do_io does.
 *
 * A program that never creates a poll(2)-backend poll pays one load and
 * one untaken branch here: mio__pollfd_users counts live poll(2) polls.
 */
#ifndef MIO_IO_REARM_H
#define MIO_IO_REARM_H

#include <errno.h>
#include <stdatomic.h>

#include "mio.h"

extern atomic_int mio__pollfd_users;

/* Arms `dir` (MIO_READABLE or MIO_WRITABLE) of s's poll(2) registration. */
void mio__pollfd_rearm(mio_sock s, unsigned dir);
/* Drops s's poll(2) registration, if any, before s is closed. */
void mio__pollfd_forget(mio_sock s);

static inline void
mio__would_block(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_rearm(s, dir);
}

/*
 * The error path of every I/O wrapper: the failed call's errno, negated,
 * with `dir` re-armed when it is EAGAIN.  Callers retry EINTR first.
 */
static inline int
mio__io_error(mio_sock s, unsigned dir)
{
	int e = errno;

	if (e == EAGAIN)
		mio__would_block(s, dir);
	return -e;
}

#endif /* MIO_IO_REARM_H */
