/*
 * The re-arm hook of edge emulation.  Backends without native edge
 * triggers (poll(2)) disarm a readiness once they deliver it; every I/O
 * call made through libmio that ends in -EAGAIN calls mio__would_block()
 * to arm that direction again, as mio's IoSourceState::do_io does.
 *
 * A program that never creates a poll(2)-backend poll pays one load and
 * one untaken branch here: mio__pollfd_users counts live poll(2) polls.
 * The system calls themselves are sys/syscall.h's.
 */
#ifndef MIO_REARM_H
#define MIO_REARM_H

#ifdef _WIN32
#include "win/rearm_win.h"	/* the IOCP backend's re-arm */
#else

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "mio.h"

/* Hidden in the declaration too, so that it is loaded without the GOT. */
extern atomic_int mio__pollfd_users __attribute__((visibility("hidden")));

/* Arms `dir` (MIO_READABLE or MIO_WRITABLE) of s's poll(2) registration. */
void mio__pollfd_rearm(mio_sock s, unsigned dir);
/* Drops s's poll(2) registration, if any, before s is closed. */
void mio__pollfd_forget(mio_sock s);
void mio__pollfd_revive(mio_sock s);

static inline void
mio__would_block(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_rearm(s, dir);
}

/* An error was consumed: a slot its event silenced listens again. */
static inline void
mio__error_consumed(mio_sock s)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_revive(s);
}

#ifdef MIO__KQUEUE_EMULATED
/*
 * libkqueue cannot see a close: mio_close() deletes s's knotes from the
 * live kqueue polls first (sys/kqueue.c).  mio__kqueue_users counts them.
 */
extern atomic_int mio__kqueue_users __attribute__((visibility("hidden")));
void mio__kqueue_forget(mio_sock s);
#endif

/* mio__pollfd_rearm(), then -EAGAIN: lets the caller tail-jump to it. */
ssize_t mio__pollfd_rearm_eagain(mio_sock s, unsigned dir);

/*
 * The -EAGAIN of a hot wrapper (mio_read, mio_write): with no poll(2)
 * poll alive it is a load and a test; otherwise a tail jump to the
 * re-arm, so the wrapper needs no stack frame on any path it takes per
 * message.
 */
static inline ssize_t
mio__eagain(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		return mio__pollfd_rearm_eagain(s, dir);
	return -EAGAIN;
}

#endif /* !_WIN32 */

/*
 * The error path of every I/O wrapper: the failed call's errno, negated
 * (on Windows as the compat wrappers set it from WSAGetLastError()),
 * with `dir` re-armed when it is EAGAIN.  Callers retry EINTR first.
 */
static inline int
mio__io_error(mio_sock s, unsigned dir)
{
	int e = errno;

	if (e == EAGAIN)
		mio__would_block(s, dir);
	else
		mio__error_consumed(s);
	return -e;
}

#endif /* MIO_REARM_H */
