/*
 * The epoll(7) backend: Linux's native edge-triggered selector.
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - Registrations belong to the open file description, not to the
 *    descriptor number.  close(fd) removes one only when the last copy
 *    closes, so a dup()'d or inherited descriptor keeps producing events
 *    for a token the caller may think is gone, and EPOLL_CTL_DEL through
 *    the closed number fails with EBADF.  We keep no per-registration
 *    state, so nothing here can go stale; libmio(3) tells callers to
 *    deregister before closing.
 *  - Closing a registered descriptor silently removes it (the common
 *    case): no event, no error, and the number may be reused and
 *    registered again at once.  Harmless here for the same reason.
 *  - epoll refuses regular files and directories with EPERM: they are
 *    always ready and cannot be watched.  The -EPERM is passed on.
 *  - EPOLLET must be set on every registration: without it the set is
 *    level-triggered and an undrained descriptor would spin.  Every ADD
 *    and MOD sets it.  MOD re-evaluates readiness and queues a new event
 *    if the descriptor is ready now, which is how reregister re-arms.
 *  - EPOLLHUP and EPOLLERR are reported whatever the interest; a
 *    descriptor registered only for writing still sees a peer's reset.
 *    They are mapped to MIO_ERROR and the closed flags, never dropped.
 *  - epoll_wait() rejects maxevents <= 0 with EINVAL and takes an int:
 *    the core rejects a zero capacity and we clamp large ones.
 *  - The kernel's struct epoll_event is packed to 12 bytes on x86-64
 *    while struct mio_event is 16: the kernel writes its array into the
 *    caller's buffer and we widen it in place from the last entry down,
 *    so no buffer of our own, no copy and no capacity limit.  Where
 *    mio_event is the smaller (32-bit), a stack buffer bridges in chunks.
 *  - epoll_wait() returns EINTR on any signal, even with SA_RESTART: it
 *    is passed on as -EINTR, as mio does, so the caller can look at its
 *    signals.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "sys/backend.h"

struct epoll_poll {
	struct mio_poll	hdr;
	int		epfd;
};

static int
epoll_create_poll(struct mio_poll **out)
{
	struct epoll_poll *ep;
	int rc;

	if ((ep = malloc(sizeof(*ep))) == NULL)
		return -ENOMEM;
	ep->hdr.ops = &mio__backend_epoll;
	if ((ep->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		rc = -errno;
		free(ep);
		return rc;
	}
	*out = &ep->hdr;
	return 0;
}

static void
epoll_destroy(struct mio_poll *p)
{
	struct epoll_poll *ep = (struct epoll_poll *)p;

	close(ep->epfd);
	free(ep);
}

static int
epoll_ctl_op(struct mio_poll *p, enum mio__ctl_op op, mio_sock s,
    mio_token token, unsigned interest)
{
	struct epoll_poll *ep = (struct epoll_poll *)p;
	struct epoll_event ev;
	int kop;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLET;
	if (interest & MIO_READABLE)
		ev.events |= EPOLLIN | EPOLLRDHUP;
	if (interest & MIO_WRITABLE)
		ev.events |= EPOLLOUT;
	if (interest & MIO_PRIORITY)
		ev.events |= EPOLLPRI;
	ev.data.u64 = (uint64_t)token;
	switch (op) {
	case MIO__CTL_ADD:
		kop = EPOLL_CTL_ADD;
		break;
	case MIO__CTL_MOD:
		kop = EPOLL_CTL_MOD;
		break;
	default:
		kop = EPOLL_CTL_DEL;
		break;
	}
	if (epoll_ctl(ep->epfd, kop, s, &ev) < 0)
		return -errno;
	return 0;
}

/* The mapping of MIO-NOTES.md section 1.4, with EPOLLPRI as readable. */
static inline uint32_t
epoll_flags(uint32_t e)
{
	uint32_t f = 0;

	if (e & (EPOLLIN | EPOLLPRI))
		f |= MIO_READABLE;
	if (e & EPOLLOUT)
		f |= MIO_WRITABLE;
	if (e & EPOLLPRI)
		f |= MIO_PRIORITY;
	if (e & EPOLLERR)
		f |= MIO_ERROR;
	if ((e & EPOLLHUP) || (e & (EPOLLIN | EPOLLRDHUP)) ==
	    (EPOLLIN | EPOLLRDHUP))
		f |= MIO_READ_CLOSED;
	if ((e & EPOLLHUP) || (e & (EPOLLOUT | EPOLLERR)) ==
	    (EPOLLOUT | EPOLLERR) || e == EPOLLERR)
		f |= MIO_WRITE_CLOSED;
	return f;
}

static int
epoll_wait_events(struct mio_poll *p, struct mio_event *events,
    size_t capacity, int timeout_ms)
{
	struct epoll_poll *ep = (struct epoll_poll *)p;
	int max = capacity > INT_MAX / 2 ? INT_MAX / 2 : (int)capacity;
	int n, i;

	if (timeout_ms < -1)
		timeout_ms = -1;
#if UINTPTR_MAX > UINT32_MAX
	/*
	 * In place: kernel entry i sits at byte 12*i, our entry i at 16*i.
	 * Widening from the top down never overwrites a kernel entry that
	 * is still to be read (12*j + 12 <= 16*i for every j < i).
	 */
	_Static_assert(sizeof(struct mio_event) >= sizeof(struct epoll_event),
	    "in-place widening needs mio_event at least as large");
	n = epoll_wait(ep->epfd, (struct epoll_event *)(void *)events, max,
	    timeout_ms);
	if (n < 0)
		return -errno;
	for (i = n - 1; i >= 0; i--) {
		struct epoll_event kev;

		memcpy(&kev, (char *)events + (size_t)i * sizeof(kev),
		    sizeof(kev));
		events[i].token = (mio_token)kev.data.u64;
		events[i].flags = epoll_flags(kev.events);
	}
	return n;
#else
	{
		struct epoll_event kev[64];

		if (max > 64)
			max = 64;
		n = epoll_wait(ep->epfd, kev, max, timeout_ms);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			events[i].token = (mio_token)kev[i].data.u64;
			events[i].flags = epoll_flags(kev[i].events);
		}
		return n;
	}
#endif
}

const struct mio__backend mio__backend_epoll = {
	.name = "epoll",
	.interests = MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY,
	.create = epoll_create_poll,
	.destroy = epoll_destroy,
	.ctl = epoll_ctl_op,
	.wait = epoll_wait_events,
};
