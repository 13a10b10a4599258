/*
 * I/O on any descriptor, sockets and pipes alike: the calls the
 * selector's contract rests on.  Each retries EINTR, returns -errno, and
 * on -EAGAIN re-arms the direction it drained (rearm.h), which is what
 * keeps the edge contract identical on backends that emulate edges.
 * Sends carry MSG_NOSIGNAL: a vanished peer is -EPIPE, never SIGPIPE.
 * Also here: the descriptor's life around that I/O (mio_pipe,
 * mio_set_nonblocking, mio_close).  Sockets are made in net.c, pairs in
 * unix.c; datagram I/O with addresses is udp.c's, messages ext.c's.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "rearm.h"
#include "sys/syscall.h"
#include "sys/fdflags.h"
#include "sys/nosigpipe.h"
#include "net.h"

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
		n = mio__sys_send(s, buf, len, MIO__MSG_NOSIGNAL);
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
	ssize_t n = mio__sys_send(s, buf, len, MIO__MSG_NOSIGNAL);

	if (__builtin_expect(n >= 0, 1))
		return n;
	if (n == -EAGAIN)
		return mio__eagain(s, MIO_WRITABLE);
	return io_write_failed(s, buf, len, n);
}

/*
 * readv(2) works on any descriptor; the readable side is re-armed on
 * -EAGAIN as mio_read() does.
 */
ssize_t
mio_readv(mio_sock s, const struct iovec *iov, int n)
{
	ssize_t r;

	if (n < 0 || (iov == NULL && n > 0))
		return -EINVAL;
	while ((r = readv(s, iov, n)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
	return r;
}

/*
 * sendmsg(2) carries MSG_NOSIGNAL where writev(2) cannot; a descriptor
 * that is no socket falls back to writev(2), as mio_write() falls back
 * to write(2).
 */
ssize_t
mio_writev(mio_sock s, const struct iovec *iov, int n)
{
	struct msghdr msg;
	ssize_t r;

	if (n < 0 || (iov == NULL && n > 0))
		return -EINVAL;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = (size_t)n;
	for (;;) {
		r = sendmsg(s, &msg, MIO__MSG_NOSIGNAL);
		if (r < 0 && errno == ENOTSOCK)
			r = writev(s, iov, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
}

ssize_t
mio_send(mio_sock s, const void *buf, size_t len)
{
	ssize_t r;

	while ((r = send(s, buf, len, MIO__MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return r;
}

static ssize_t
io_recv(mio_sock s, void *buf, size_t len, int flags)
{
	ssize_t r;

	while ((r = recv(s, buf, len, flags)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
	return r;
}

ssize_t
mio_recv(mio_sock s, void *buf, size_t len)
{
	return io_recv(s, buf, len, 0);
}

/*
 * A peek that finds nothing re-arms like any read (mio's fix #1895); one
 * that returns data changes nothing, so the event already delivered
 * stands and the caller reads next.
 */
ssize_t
mio_peek(mio_sock s, void *buf, size_t len)
{
	return io_recv(s, buf, len, MSG_PEEK);
}

int
mio_take_error(mio_sock s)
{
	int e = mio__getopt(s, SOL_SOCKET, SO_ERROR);

	/* Consumed: on poll(2), the slot its event silenced listens again. */
	if (e > 0)
		mio__error_consumed(s);
	return e < 0 ? e : -e;
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
#ifdef MIO__KQUEUE_EMULATED
	if (atomic_load_explicit(&mio__kqueue_users, memory_order_relaxed))
		mio__kqueue_forget(s);
#endif
	if (close(s) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int
mio_pipe(mio_sock out[2])
{
	if (out == NULL)
		return -EINVAL;
	return mio__fd_pipe(out);
}

int
mio_set_nonblocking(mio_sock s, int on)
{
	int fl, want;

	if ((fl = fcntl(s, F_GETFL)) < 0)
		return -errno;
	want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (want != fl && fcntl(s, F_SETFL, want) < 0)
		return -errno;
	return 0;
}
