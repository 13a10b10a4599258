/*
 * I/O on any descriptor: the calls the selector's contract rests on.
 * Each retries EINTR, returns -errno, and on -EAGAIN re-arms the
 * direction it drained (rearm.h), which is what keeps the edge
 * contract identical on backends that emulate edges.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "rearm.h"
#include "sys/syscall.h"
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

/*
 * The two wrappers every event loop runs per message: a system call, a
 * test and a return when data moved, two more tests and a return for the
 * -EAGAIN that ends every drain (sys/syscall.h's raw calls give -errno
 * directly).  EINTR, other errors and the write fallback are out of line
 * and reached by tail jumps, so no path taken per message builds a frame.
 */
__attribute__((noinline, cold)) static ssize_t
io_read_failed(mio_sock s, void *buf, size_t len, ssize_t n)
{
	while (n == -EINTR)
		n = mio__sys_read(s, buf, len);
	if (n == -EAGAIN)
		return mio__eagain(s, MIO_READABLE);
	if (n < 0)
		mio__error_consumed(s);
	return n;
}

ssize_t
mio_read(mio_sock s, void *buf, size_t len)
{
	ssize_t n = mio__sys_read(s, buf, len);

	if (__builtin_expect(n >= 0, 1))
		return n;
	if (n == -EAGAIN)
		return mio__eagain(s, MIO_READABLE);
	return io_read_failed(s, buf, len, n);
}

/*
 * send(2) with MSG_NOSIGNAL first, so that a socket whose peer is gone
 * gives -EPIPE instead of SIGPIPE; a descriptor that is no socket (a
 * pipe, a tty) falls back to write(2), whose SIGPIPE the program
 * decides about (libmio never touches signal dispositions).
 */
__attribute__((noinline, cold)) static ssize_t
io_write_failed(mio_sock s, const void *buf, size_t len, ssize_t n)
{
	for (;;) {
		if (n == -ENOTSOCK)
			n = mio__sys_write(s, buf, len);
		if (n != -EINTR)
			break;
		n = mio__sys_send(s, buf, len, MSG_NOSIGNAL);
	}
	if (n == -EAGAIN)
		return mio__eagain(s, MIO_WRITABLE);
	if (n < 0)
		mio__error_consumed(s);
	return n;
}

ssize_t
mio_write(mio_sock s, const void *buf, size_t len)
{
	ssize_t n = mio__sys_send(s, buf, len, MSG_NOSIGNAL);

	if (__builtin_expect(n >= 0, 1))
		return n;
	if (n == -EAGAIN)
		return mio__eagain(s, MIO_WRITABLE);
	return io_write_failed(s, buf, len, n);
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
