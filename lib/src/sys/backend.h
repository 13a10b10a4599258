/*
 * The one internal contract between the portable core and the OS
 * mechanisms.  Each file in sys/ provides a const table of operations;
 * mio_poll_new() picks the first available one in preference order
 * unless MIO_BACKEND names another.  The core validates arguments, so a
 * backend sees only well-formed interests and capacities: one indirect
 * call per wait or registration, nothing per event.
 *
 * A new backend (kqueue, IOCP) is new files under sys/, its declaration
 * at the end of this file and one line in poll.c's table of backends
 * (both under its configure feature check), and its files in the build's
 * list of sources: nothing else.  It fills a struct mio__backend below
 * -- name, the interests it can watch, whether a short read or write
 * ends a drain, init and fini of a poll, ctl, wait and the waker
 * mechanism it watches -- and the portable core (the public selector,
 * wakers and I/O) never names it.  A backend that
 * emulates edges also implements the re-arm hook of rearm.h, as
 * sys/poll.c does.
 */
#ifndef MIO_SYS_BACKEND_H
#define MIO_SYS_BACKEND_H

#include <limits.h>

#include "mio.h"

/*
 * Interest bit of the library's own: the descriptor is a waker's (its
 * readable end).  Backends that emulate edges drain it on delivery with
 * the waker mechanism's drain and keep it armed; epoll needs nothing
 * (the registration is edge-triggered and never read).  Never accepted
 * from callers.
 */
#define MIO__WAKER	0x100u

/*
 * The most events one wait asks a backend for: as many as fit in an int
 * of bytes.  The core clamps larger capacities to it (the rest come on
 * the next wait, as API.md allows), so backends need no check of their
 * own; every backend's kernel limit is at least this.
 */
#define MIO__WAIT_MAX	((int)(INT_MAX / sizeof(struct mio_event)))

/* A handle no call accepts: a negative descriptor, Winsock's INVALID_SOCKET. */
#ifdef _WIN32
#define MIO__SOCK_BAD(s)	((s) == INVALID_SOCKET)
#else
#define MIO__SOCK_BAD(s)	((s) < 0)
#endif

enum mio__ctl_op {
	MIO__CTL_ADD,
	MIO__CTL_MOD,
	MIO__CTL_DEL
};

/*
 * Every backend's poll begins with this header, so the core reaches the
 * operations from the opaque struct mio_poll pointer.
 */
struct mio_poll {
	const struct mio__backend *ops;
};

/*
 * A waker's descriptors: the read end is registered with the waker's
 * token (and MIO__WAKER), the write end is written to wake.
 */
struct mio__wake {
	int		 rfd;
	int		 wfd;		/* rfd itself for an eventfd */
	mio_token	 token;		/* the waker's, set before open() */
#ifdef _WIN32
	/* iocp.c: a wake posts a packet keyed by this struct to poll's
	 * port unless one is pending; poll lists its live wakers. */
	struct mio_poll	*poll;
	volatile long	 pending;
	unsigned long	 gen;		/* its packets carry it */
	struct mio__wake *next;
#endif
};

/*
 * A waker mechanism (sys/waker_*.c), also the poll(2) backend's way to
 * interrupt its own wait.  A kernel with a wake-up of its own (kqueue's
 * EVFILT_USER) gives a mechanism of its own, and its ctl recognises
 * MIO__WAKER.
 */
struct mio__waker_ops {
	/*
	 * Makes the descriptors, non-blocking and close-on-exec, for a
	 * waker of p (a kernel's own wake-up names p's queue in them).
	 */
	int		(*open)(struct mio_poll *p, struct mio__wake *w);
	/* Makes rfd readable (a new edge); async-signal-safe. */
	int		(*wake)(const struct mio__wake *w);
	/* Consumes every wake so far, so that the next raises a new edge. */
	void		(*drain)(int rfd);
	void		(*close)(struct mio__wake *w);
};

#ifdef _WIN32
extern const struct mio__waker_ops mio__waker_iocp;
#define MIO__WAKER_DEFAULT	(&mio__waker_iocp)
#elif defined(HAVE_EVENTFD)
extern const struct mio__waker_ops mio__waker_eventfd;
#define MIO__WAKER_DEFAULT	(&mio__waker_eventfd)
#else
#define MIO__WAKER_DEFAULT	(&mio__waker_pipe)
#endif
#ifndef _WIN32
extern const struct mio__waker_ops mio__waker_pipe;
#endif

struct mio__backend {
	const char	*name;
	/* Interest bits this backend can watch (a subset of the five). */
	unsigned	 interests;
	/*
	 * 1 when the kernel raises a new edge for new data or room even if
	 * the caller stopped short of -EAGAIN (epoll), 0 when only libmio's
	 * -EAGAIN re-arms (poll(2)): mio_poll_short_io_drains(3).
	 */
	int		 short_io_drains;
	/* Allocates and initialises a poll; its first member is the header. */
	int		(*init)(struct mio_poll **out);
	/* Releases everything init made (wakers are already freed). */
	void		(*fini)(struct mio_poll *p);
	/*
	 * Adds, modifies or deletes; token unused for DEL, and interest
	 * too but for MIO__WAKER, which a waker's DEL carries as well.
	 */
	int		(*ctl)(struct mio_poll *p, enum mio__ctl_op op,
			    mio_sock s, mio_token token, unsigned interest);
	/* 1 <= max <= MIO__WAIT_MAX; returns the count or -errno. */
	int		(*wait)(struct mio_poll *p, struct mio_event *events,
			    int max, int timeout_ms);
	/* The mechanism of this backend's wakers (MIO__WAKER_DEFAULT). */
	const struct mio__waker_ops *waker;
};

#ifdef HAVE_EPOLL_CREATE1
extern const struct mio__backend mio__backend_epoll;
#endif
#ifdef HAVE_KQUEUE
extern const struct mio__backend mio__backend_kqueue;
#endif
#ifdef _WIN32
extern const struct mio__backend mio__backend_iocp;
#else
extern const struct mio__backend mio__backend_poll;
#endif

#endif /* MIO_SYS_BACKEND_H */
