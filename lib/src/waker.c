/*
 * Wakers, the public functions: a waker is the descriptors of the poll's
 * waker mechanism (sys/waker_*.c, named by the backend's table),
 * registered for reading with the waker's token and MIO__WAKER.  How a
 * wake raises an edge, and how backends that emulate edges drain it, is
 * the mechanism's business; the caller never drains anything.
 */
#include "config.h"

#include <stdlib.h>

#include "mio.h"
#include "sys/backend.h"

struct mio_waker {
	struct mio_poll			*poll;
	const struct mio__waker_ops	*ops;
	struct mio__wake		 wake;
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
	w->ops = p->ops->waker;
	w->wake.token = token;
	if ((rc = w->ops->open(p, &w->wake)) != 0) {
		free(w);
		return rc;
	}
	rc = p->ops->ctl(p, MIO__CTL_ADD, w->wake.rfd, token,
	    MIO_READABLE | MIO__WAKER);
	if (rc != 0) {
		w->ops->close(&w->wake);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int
mio_waker_wake(struct mio_waker *w)
{
	return w->ops->wake(&w->wake);
}

void
mio_waker_free(struct mio_waker *w)
{
	if (w == NULL)
		return;
	(void)w->poll->ops->ctl(w->poll, MIO__CTL_DEL, w->wake.rfd, 0,
	    MIO__WAKER);
	w->ops->close(&w->wake);
	free(w);
}
