/*
 * The one internal contract between the portable core and the OS
 * mechanisms.  Each file in sys/ provides a const table of operations;
 * mio_poll_new() picks the first available one in preference order
 * unless MIO_BACKEND names another.  The core validates arguments, so a
 * backend sees only well-formed interests and capacities: one indirect
 * call per wait or registration, nothing per event.
 */
#ifndef MIO_SYS_BACKEND_H
#define MIO_SYS_BACKEND_H

#include "mio.h"

/*
 * Interest bit of the library's own: the descriptor is a waker's
 * eventfd.  Backends that emulate edges drain it on delivery and keep it
 * armed; epoll needs nothing (the eventfd is edge-triggered and never
 * read).  Never accepted from callers.
 */
#define MIO__WAKER	0x100u

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

struct mio__backend {
	const char	*name;
	/* Interest bits this backend can watch (a subset of the five). */
	unsigned	 interests;
	/* Allocates and initialises a poll; its first member is the header. */
	int		(*create)(struct mio_poll **out);
	void		(*destroy)(struct mio_poll *p);
	/* Adds, modifies or deletes; token and interest unused for DEL. */
	int		(*ctl)(struct mio_poll *p, enum mio__ctl_op op,
			    mio_sock s, mio_token token, unsigned interest);
	/* capacity >= 1; returns the count or -errno. */
	int		(*wait)(struct mio_poll *p, struct mio_event *events,
			    size_t capacity, int timeout_ms);
};

extern const struct mio__backend mio__backend_epoll;
extern const struct mio__backend mio__backend_poll;

#endif /* MIO_SYS_BACKEND_H */
