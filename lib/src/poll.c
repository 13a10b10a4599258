/*
 * The portable selector: argument checks shared by every backend, the
 * choice of backend, and one indirect call into it.  Checking here keeps
 * the errors identical on every backend (-EINVAL, -ENOTSUP) and keeps the
 * backends free of validation.  Nothing here names a backend but the
 * table below.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mio.h"
#include "sys/backend.h"

#define MIO__INTERESTS	(MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY | \
			    MIO_AIO | MIO_LIO)

/* Preference order: the first whose init() succeeds is the default. */
static const struct mio__backend *const poll_backends[] = {
#ifdef HAVE_EPOLL_CREATE1
	&mio__backend_epoll,
#endif
#ifdef HAVE_KQUEUE
	&mio__backend_kqueue,
#endif
#ifdef _WIN32
	&mio__backend_iocp,
#else
	&mio__backend_poll,
#endif
};

#define POLL_NBACKENDS (sizeof(poll_backends) / sizeof(poll_backends[0]))

int
mio_poll_new(struct mio_poll **out)
{
	const char *want;
	size_t i;
	int rc = -ENOTSUP;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	want = getenv("MIO_BACKEND");
	if (want != NULL && *want == '\0')
		want = NULL;
	for (i = 0; i < POLL_NBACKENDS; i++) {
		const struct mio__backend *b = poll_backends[i];

		if (want != NULL && strcmp(want, b->name) != 0)
			continue;
		rc = b->init(out);
		if (rc == 0 || want != NULL)
			return rc;
	}
	return rc;
}

void
mio_poll_free(struct mio_poll *p)
{
	if (p != NULL)
		p->ops->fini(p);
}

const char *
mio_poll_backend(const struct mio_poll *p)
{
	return p->ops->name;
}

/* A property of the backend, from its table (see the man page for why). */
int
mio_poll_short_io_drains(const struct mio_poll *p)
{
	return p->ops->short_io_drains;
}

/*
 * The wait costs one call into libmio and one indirect jump: the checks
 * below are two compares, and the backend's wait is reached by a tail
 * call through its table, so this function builds no frame.  A zero
 * capacity and a huge one share the first compare.
 */
int
mio_poll_wait(struct mio_poll *p, struct mio_event *events, size_t capacity,
    int timeout_ms)
{
	if (__builtin_expect(capacity - 1 >= (size_t)MIO__WAIT_MAX, 0)) {
		if (capacity == 0)
			return -EINVAL;
		capacity = (size_t)MIO__WAIT_MAX;
	}
	if (events == NULL)
		return -EINVAL;
	return p->ops->wait(p, events, (int)capacity, timeout_ms);
}

/* The interest checks of API.md, in the order that keeps them stable. */
static int
poll_check_interest(const struct mio_poll *p, unsigned interest)
{
	if (interest == 0 || (interest & ~MIO__INTERESTS) != 0)
		return -EINVAL;
	if ((interest & ~p->ops->interests) != 0)
		return -ENOTSUP;
	return 0;
}

int
mio_register(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest)
{
	int rc;

	if ((rc = poll_check_interest(p, interest)) != 0)
		return rc;
	if (MIO__SOCK_BAD(s))
		return -EBADF;
	return p->ops->ctl(p, MIO__CTL_ADD, s, token, interest);
}

int
mio_reregister(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest)
{
	int rc;

	if ((rc = poll_check_interest(p, interest)) != 0)
		return rc;
	if (MIO__SOCK_BAD(s))
		return -EBADF;
	return p->ops->ctl(p, MIO__CTL_MOD, s, token, interest);
}

int
mio_deregister(struct mio_poll *p, mio_sock s)
{
	if (MIO__SOCK_BAD(s))
		return -EBADF;
	return p->ops->ctl(p, MIO__CTL_DEL, s, 0, 0);
}
