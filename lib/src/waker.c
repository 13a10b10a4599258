/*
 * Wakers: one eventfd each, registered for reading with the waker's
 * token.  A wake adds 1 to the counter.  The counter is never read on
 * epoll: the registration is edge-triggered, so every write that finds
 * the eventfd not yet reported queues exactly one event, and writes
 * before the next wait coalesce into it.  Backends that emulate edges
 * recognise the MIO__WAKER interest and drain the counter when they
 * deliver its event.  write(2) is async-signal-safe, so wakes may come
 * from signal handlers and any thread.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "mio.h"
#include "sys/backend.h"

struct mio_waker {
	struct mio_poll	*poll;
	int		 fd;
};

int
mio_waker_new(struct mio_poll *p, mio_token token, struct mio_waker **out)
{
	struct mio_waker *w;
	int rc;

	if (p == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	if ((w = malloc(sizeof(*w))) == NULL)
		return -ENOMEM;
	w->poll = p;
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		rc = -errno;
		free(w);
		return rc;
	}
	rc = p->ops->ctl(p, MIO__CTL_ADD, w->fd, token,
	    MIO_READABLE | MIO__WAKER);
	if (rc != 0) {
		close(w->fd);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int
mio_waker_wake(struct mio_waker *w)
{
	uint64_t one = 1, drained;

	for (;;) {
		if (write(w->fd, &one, sizeof(one)) == sizeof(one))
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/*
		 * The counter would overflow (2^64 - 2 wakes never
		 * consumed).  Reset it; the write that follows raises the
		 * edge again, so the wake is not lost.
		 */
		if (read(w->fd, &drained, sizeof(drained)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

void
mio_waker_free(struct mio_waker *w)
{
	if (w == NULL)
		return;
	(void)w->poll->ops->ctl(w->poll, MIO__CTL_DEL, w->fd, 0, 0);
	close(w->fd);
	free(w);
}
