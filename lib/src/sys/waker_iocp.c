/*
 * The IOCP waker mechanism: no descriptor at all.  A wake posts one
 * packet to the poll's completion port (PostQueuedCompletionStatus)
 * whose key is the waker's struct mio__wake; sys/iocp.c turns it into
 * the waker's event if that waker is still in the poll's list, and
 * coalesces wakes until the packet is dequeued.  The waker's
 * registration (MIO__WAKER) asks nothing of the backend's ctl.
 */
#include "config.h"

#include "sys/backend.h"
#include "sys/iocp.h"

static int
waker_iocp_open(struct mio_poll *p, struct mio__wake *w)
{
	w->rfd = -1;	/* never a handle: the backend's ctl looks at MIO__WAKER */
	w->wfd = -1;
	mio__iocp_waker_add(p, w);
	return 0;
}

static int
waker_iocp_wake(const struct mio__wake *w)
{
	return mio__iocp_wake((struct mio__wake *)w);
}

static void
waker_iocp_drain(int rfd)
{
	(void)rfd;	/* the backend clears its flag as it dequeues */
}

static void
waker_iocp_close(struct mio__wake *w)
{
	mio__iocp_waker_remove(w->poll, w);
}

const struct mio__waker_ops mio__waker_iocp = {
	.open = waker_iocp_open,
	.wake = waker_iocp_wake,
	.drain = waker_iocp_drain,
	.close = waker_iocp_close,
};
