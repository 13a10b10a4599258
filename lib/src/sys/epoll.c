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
 *    the core rejects a zero capacity and clamps large ones to
 *    MIO__WAIT_MAX, which is below the kernel's limit.
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

#ifdef HAVE_EPOLL_CREATE1

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "sys/syscall.h"
#include "sys/backend.h"
#include "sys/readiness.h"

/*
 * A single-threaded process cannot be cancelled (no other thread exists
 * to call pthread_cancel), so there epoll_wait(2) needs none of libc's
 * cancellation-point wrapping and is made directly (sys/syscall.h); with
 * threads, libc's wrapper keeps mio_poll_wait() a cancellation point.
 * glibc >= 2.32 says which case holds in __libc_single_threaded.
 */
#if defined(MIO__RAW_SYSCALLS) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#include <sys/single_threaded.h>
#define EPOLL_RAW_WAIT 1
#endif

struct epoll_poll {
	struct mio_poll	hdr;
	int		epfd;
};

static int
epoll_init(struct mio_poll **out)
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
epoll_fini(struct mio_poll *p)
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

/* The mapping of sys/readiness.h, for epoll's spelling of the bits. */
#define EPOLL_FLAGS(e)	MIO__READINESS(e, EPOLL)

/*
 * The kernel reports the registered events (ADD and MOD ask for no more
 * than IN, RDHUP, OUT and PRI) plus ERR and HUP: six bits, five at the
 * bottom and RDHUP at 0x2000.  So the mapping is a table indexed by the
 * event bits themselves, masked: one AND and one byte load per event
 * instead of a dozen branches.  It spans 8 KiB of read-only data, of
 * which only the two 32-byte runs at 0 and 0x2000 are ever read (the
 * other entries are zero and never touched: a foreign bit cannot reach
 * them through the mask).
 */
#define EPOLL_KNOWN	(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | \
			    EPOLLRDHUP)
_Static_assert(EPOLLIN == 0x001 && EPOLLPRI == 0x002 && EPOLLOUT == 0x004 &&
    EPOLLERR == 0x008 && EPOLLHUP == 0x010 && EPOLLRDHUP == 0x2000,
    "the table below assumes Linux's epoll bit values");
#define EPOLL_BITS(i)	(((i) & 0x1fu) | (((i) & 0x20u) << 8))
#define T1(i)	[EPOLL_BITS(i)] = (unsigned char)EPOLL_FLAGS(EPOLL_BITS(i))
#define T4(i)	T1(i), T1((i) + 1), T1((i) + 2), T1((i) + 3)
#define T16(i)	T4(i), T4((i) + 4), T4((i) + 8), T4((i) + 12)
static const unsigned char epoll_flag_table[EPOLL_KNOWN + 1] = {
	T16(0u), T16(16u), T16(32u), T16(48u)
};
#undef T1
#undef T4
#undef T16

static inline uint32_t
epoll_flags(uint32_t e)
{
	return epoll_flag_table[e & EPOLL_KNOWN];
}

#if UINTPTR_MAX > UINT32_MAX
/*
 * In place: kernel entry i sits at byte 12*i, our entry i at 16*i.
 * Widening from the top down never overwrites a kernel entry that is
 * still to be read (12*j + 12 <= 16*i for every j < i).
 */
_Static_assert(sizeof(struct mio_event) >= sizeof(struct epoll_event),
    "in-place widening needs mio_event at least as large");
_Static_assert(sizeof(struct epoll_event) == 12,
    "the packed x86-64 layout: events at 0, data at 4");

/* Widens the n >= 1 kernel entries at the start of events; returns n. */
static inline int
epoll_widen(struct mio_event *events, int n)
{
	const char *k;
	struct mio_event *out;
	uint32_t e;
	uint64_t data;

	if (n == 1) {
		/* The usual single event: no loop, nothing overlaps. */
		memcpy(&e, events, sizeof(e));
		memcpy(&data, (const char *)events + 4, sizeof(data));
		events[0].token = (mio_token)data;
		events[0].flags = epoll_flags(e);
		return 1;
	}
	/* Two cursors walking down: no index arithmetic per entry. */
	k = (const char *)events + (size_t)n * 12;
	out = events + n;
	while (out != events) {
		k -= 12;
		out--;
		memcpy(&e, k, sizeof(e));
		memcpy(&data, k + 4, sizeof(data));
		out->token = (mio_token)data;
		out->flags = epoll_flags(e);
	}
	return n;
}
#endif

/*
 * The wait through libc (a cancellation point), and the whole wait where
 * mio_event is the smaller structure (32-bit: a stack buffer bridges in
 * chunks).  Out of line, so that the direct path below needs no frame.
 * max is 1..MIO__WAIT_MAX; every negative timeout waits forever in
 * epoll_wait(2), as -1 does.
 */
/* The kernel refuses more (EINVAL): EP_MAX_EVENTS in fs/eventpoll.c. */
#define EPOLL_MAX_EVENTS	((int)(INT_MAX / sizeof(struct epoll_event)))

__attribute__((noinline)) static int
epoll_wait_libc(struct epoll_poll *ep, struct mio_event *events, int max,
    int timeout_ms)
{
	int n;

#if UINTPTR_MAX > UINT32_MAX
	n = epoll_wait(ep->epfd, (struct epoll_event *)(void *)events, max,
	    timeout_ms);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	return epoll_widen(events, n);
#else
	struct epoll_event kev[64];
	int i;

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
#endif
}

/*
 * The backend's wait, reached from mio_poll_wait() by a tail jump: in a
 * single-threaded process the system call and the widening are all
 * inline, so the path per wait builds no frame.  The core has checked
 * and clamped max (1..MIO__WAIT_MAX, within the kernel's limit).
 */
_Static_assert(MIO__WAIT_MAX <= EPOLL_MAX_EVENTS,
    "the core's clamp must be within epoll_wait(2)'s limit");

static int
epoll_wait_op(struct mio_poll *p, struct mio_event *events, int max,
    int timeout_ms)
{
	struct epoll_poll *ep = (struct epoll_poll *)p;

#ifdef EPOLL_RAW_WAIT
	if (__builtin_expect(__libc_single_threaded, 1)) {
		int n = (int)mio__syscall4(SYS_epoll_wait, ep->epfd,
		    (long)events, max, timeout_ms);

		if (n <= 0)
			return n;
		return epoll_widen(events, n);
	}
#endif
	return epoll_wait_libc(ep, events, max, timeout_ms);
}

const struct mio__backend mio__backend_epoll = {
	.name = "epoll",
	.interests = MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY,
	.short_io_drains = 1,
	.init = epoll_init,
	.fini = epoll_fini,
	.ctl = epoll_ctl_op,
	.wait = epoll_wait_op,
	.waker = MIO__WAKER_DEFAULT,
};

#endif /* HAVE_EPOLL_CREATE1 */
