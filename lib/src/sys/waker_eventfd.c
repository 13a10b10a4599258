/*
 * The eventfd(2) waker mechanism: one descriptor that is both ends.
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - The counter is 64 bits and a write that would overflow it fails
 *    with EAGAIN (2^64 - 2 wakes never consumed).  A wake then empties
 *    it and writes again, so that the edge is raised and no wake lost.
 *  - A read returns the whole counter and resets it, so one read drains
 *    every wake so far; on epoll the counter is never read at all (the
 *    registration is edge-triggered: every write that finds the eventfd
 *    not yet reported queues one event, and writes before the next wait
 *    coalesce into it).
 *  - write(2) is async-signal-safe, so wakes may come from signal
 *    handlers and any thread.
 */
#include "config.h"

#ifdef HAVE_EVENTFD

#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "sys/backend.h"

static int
efd_open(struct mio_poll *p, struct mio__wake *w)
{
	(void)p;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	w->rfd = w->wfd = fd;
	return 0;
}

static void
efd_drain(int rfd)
{
	uint64_t n;

	while (read(rfd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
}

static int
efd_wake(const struct mio__wake *w)
{
	uint64_t one = 1, drained;

	for (;;) {
		if (write(w->wfd, &one, sizeof(one)) == sizeof(one))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* The counter would overflow: reset it, then raise the edge. */
		if (read(w->rfd, &drained, sizeof(drained)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static void
efd_close(struct mio__wake *w)
{
	close(w->rfd);
}

const struct mio__waker_ops mio__waker_eventfd = {
	.open = efd_open,
	.wake = efd_wake,
	.drain = efd_drain,
	.close = efd_close,
};

#endif /* HAVE_EVENTFD */
