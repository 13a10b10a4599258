/*
 * What the IOCP backend (sys/iocp.c) offers the rest of the Windows
 * build: the waker mechanism's post, and the re-arm and forget hooks
 * that the Winsock socket layer (lib/src/win/) calls, as rearm.h's are
 * called on POSIX.
 */
#ifndef MIO_SYS_IOCP_H
#define MIO_SYS_IOCP_H

#include <stdatomic.h>

#include "mio.h"

/* Live IOCP polls: the hooks below cost one load while there are none. */
extern atomic_int mio__iocp_users;

struct mio__wake;

/* Adds w to p's live wakers, or removes it (its packets then ignored). */
void mio__iocp_waker_add(struct mio_poll *p, struct mio__wake *w);
void mio__iocp_waker_remove(struct mio_poll *p, struct mio__wake *w);
/* Posts w's wake packet unless one is already queued; 0 or -errno. */
int mio__iocp_wake(struct mio__wake *w);
/* Arms `dir` (MIO_READABLE, MIO_WRITABLE) of s's registrations again. */
void mio__iocp_rearm(mio_sock s, unsigned dir);
/* Ends s's registrations before s is closed (its handle may be reused). */
void mio__iocp_forget(mio_sock s);

/* The -EAGAIN path of every Winsock I/O wrapper. */
static inline void
mio__win_would_block(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__iocp_users, memory_order_relaxed))
		mio__iocp_rearm(s, dir);
}

#endif /* MIO_SYS_IOCP_H */
