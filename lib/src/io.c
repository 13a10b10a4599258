/*
 * I/O on any descriptor: the calls the selector's contract rests on.
 * Each retries EINTR, returns -errno, and on -EAGAIN re-arms the
 * direction it drained (io_rearm.h), which is what keeps the edge
 * contract identical on backends that emulate edges.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "io_rearm.h"
#include "mio.h"

int
mio_pipe(mio_sock out[2])
{
	if (out == NULL)
		return -EINVAL;
	if (pipe2(out, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int
mio_unix_pair(int type, mio_sock out[2])
{
	if (out == NULL ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM &&
	    type != SOCK_SEQPACKET))
		return -EINVAL;
	if (socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    out) < 0)
		return -errno;
	return 0;
}

ssize_t
mio_read(mio_sock s, void *buf, size_t len)
{
	ssize_t n;

	while ((n = read(s, buf, len)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
	return n;
}

/*
 * send(2) with MSG_NOSIGNAL first, so that a socket whose peer is gone
 * gives -EPIPE instead of SIGPIPE; a descriptor that is no socket (a
 * pipe, a tty) falls back to write(2), whose SIGPIPE the program
 * decides about (libmio never touches signal dispositions).
 */
ssize_t
mio_write(mio_sock s, const void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		n = send(s, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(s, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
}

/*
 * The descriptor is gone after close(2) whatever it returns on Linux, so
 * EINTR is not retried (a retry could close a number another thread just
 * received) and is reported as success.
 */
int
mio_close(mio_sock s)
{
	if (s < 0)
		return -EBADF;
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_forget(s);
	if (close(s) < 0 && errno != EINTR)
		return -errno;
	return 0;
}
