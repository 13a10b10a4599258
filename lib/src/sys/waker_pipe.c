/*
 * The pipe waker mechanism, for systems without eventfd: the read end is
 * registered, a wake writes one byte to the write end (mio's pipe waker).
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - A pipe holds a bounded number of bytes: on epoll nothing ever reads
 *    the waker, so after enough wakes the write fails with EAGAIN and
 *    would raise no edge.  A wake then empties the pipe and writes again.
 *  - One read takes at most its buffer: drain reads until the pipe is
 *    empty, so that the next wake raises a new edge on backends that
 *    emulate edges.
 *  - Both ends are non-blocking and close-on-exec from birth (pipe2),
 *    or set right after pipe(2) where pipe2 is missing (fdflags.h; a
 *    fork in that window leaks them to the child: harmless for a waker).
 *  - write(2) is async-signal-safe, so wakes may come from signal
 *    handlers and any thread.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "sys/backend.h"
#include "sys/fdflags.h"

static int
wpipe_open(struct mio_poll *p, struct mio__wake *w)
{
	int fd[2], e;

	(void)p;
	if ((e = mio__fd_pipe(fd)) < 0)
		return e;
	w->rfd = fd[0];
	w->wfd = fd[1];
	return 0;
}

static void
wpipe_drain(int rfd)
{
	char buf[256];
	ssize_t n;

	do
		n = read(rfd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}

static int
wpipe_wake(const struct mio__wake *w)
{
	const char one = 1;

	for (;;) {
		if (write(w->wfd, &one, 1) == 1)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* Full: empty it, so that the write below raises an edge. */
		wpipe_drain(w->rfd);
	}
}

static void
wpipe_close(struct mio__wake *w)
{
	close(w->rfd);
	close(w->wfd);
}

const struct mio__waker_ops mio__waker_pipe = {
	.open = wpipe_open,
	.wake = wpipe_wake,
	.drain = wpipe_drain,
	.close = wpipe_close,
};
