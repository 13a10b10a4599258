/*
 * The I/O calls on Winsock sockets.  Every -EAGAIN arms its direction
 * again on the IOCP backend (rearm.h, win/ shadow), which is what makes
 * its emulated edges come back: I/O done on the SOCKET outside libmio
 * re-arms nothing.  Windows has no pipes that AFD can poll: mio_pipe()
 * is -ENOTSUP (libmio(3), WINDOWS).
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "rearm.h"
#include "net.h"
#include "sys/backend.h"
#include "sys/iocp.h"
#include "win/wsa.h"

/* WSABUFs on the stack: a longer vector is a short transfer, as POSIX
 * allows for IOV_MAX. */
#define IO_WIN_IOV	64

ssize_t
mio_read(mio_sock s, void *buf, size_t len)
{
	ssize_t n = recv(s, buf, len, 0);

	return n >= 0 ? n : mio__io_error(s, MIO_READABLE);
}

/*
 * A send (mio_write, mio_send, mio_writev) on a datagram socket with
 * no peer is Linux's -EDESTADDRREQ;
 * Winsock says WSAENOTCONN (wine: WSAEINVAL).  Asked on that error
 * path only.
 */
static void
io_no_peer(mio_sock s)
{
	int type = 0, len = sizeof(type);

	if ((errno == ENOTCONN || errno == EINVAL) &&
	    getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0 &&
	    type == SOCK_DGRAM)
		errno = EDESTADDRREQ;
}

ssize_t
mio_write(mio_sock s, const void *buf, size_t len)
{
	ssize_t n = send(s, buf, len, 0);

	if (n >= 0)
		return n;
	io_no_peer(s);
	return mio__io_error(s, MIO_WRITABLE);
}

ssize_t
mio_send(mio_sock s, const void *buf, size_t len)
{
	return mio_write(s, buf, len);
}

ssize_t
mio_recv(mio_sock s, void *buf, size_t len)
{
	return mio_read(s, buf, len);
}

ssize_t
mio_peek(mio_sock s, void *buf, size_t len)
{
	ssize_t n = recv(s, buf, len, MSG_PEEK);

	return n >= 0 ? n : mio__io_error(s, MIO_READABLE);
}

/*
 * The WSABUFs of iov.  A WSABUF holds at most ULONG_MAX (4 GiB - 1)
 * bytes: a longer buffer is cut, and the vector ends with it, since
 * the buffers after it would otherwise take bytes that belong in its
 * uncovered tail (a short transfer, which the caller resumes).
 */
static int
io_wsabufs(WSABUF *b, const struct iovec *iov, int n)
{
	int i;

	if (n > IO_WIN_IOV)
		n = IO_WIN_IOV;
	for (i = 0; i < n; i++) {
		b[i].buf = iov[i].iov_base;
		if (iov[i].iov_len > ULONG_MAX) {
			b[i].len = ULONG_MAX;
			return i + 1;
		}
		b[i].len = (ULONG)iov[i].iov_len;
	}
	return n;
}

/* What a WSABUF vector holds: a datagram cut to it filled it all. */
static ssize_t
io_wsabufs_len(const WSABUF *b, int n)
{
	size_t total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += b[i].len;
	return total > SSIZE_MAX ? SSIZE_MAX : (ssize_t)total;
}

ssize_t
mio_readv(mio_sock s, const struct iovec *iov, int n)
{
	WSABUF b[IO_WIN_IOV];
	DWORD got = 0, flags = 0;

	if (n < 0 || (iov == NULL && n > 0))
		return -EINVAL;
	n = io_wsabufs(b, iov, n);
	if (WSARecv(s, b, (DWORD)n, &got, &flags, NULL, NULL) != 0) {
		/* A datagram longer than the buffers: its cut length, as
		 * recv() gives on Linux (and mio_read() here). */
		if (WSAGetLastError() == WSAEMSGSIZE)
			return io_wsabufs_len(b, n);
		errno = -mio__wsa_neg();
		return mio__io_error(s, MIO_READABLE);
	}
	return (ssize_t)got;
}

ssize_t
mio_writev(mio_sock s, const struct iovec *iov, int n)
{
	WSABUF b[IO_WIN_IOV];
	DWORD sent = 0;

	if (n < 0 || (iov == NULL && n > 0))
		return -EINVAL;
	n = io_wsabufs(b, iov, n);
	if (WSASend(s, b, (DWORD)n, &sent, 0, NULL, NULL) != 0) {
		errno = -mio__wsa_neg();
		io_no_peer(s);
		return mio__io_error(s, MIO_WRITABLE);
	}
	return (ssize_t)sent;
}

/* SO_ERROR holds a WSA code on Windows: mapped like every other. */
int
mio_take_error(mio_sock s)
{
	int e = mio__getopt(s, SOL_SOCKET, SO_ERROR);

	if (e < 0)
		return e == -ENOTSOCK ? -EBADF : e;
	return e == 0 ? 0 : -mio__wsa_errno(e);
}

int
mio_close(mio_sock s)
{
	if (MIO__SOCK_BAD(s))
		return -EBADF;
	if (atomic_load_explicit(&mio__iocp_users, memory_order_relaxed))
		mio__iocp_forget(s);
	if (closesocket(s) != 0) {
		int e = mio__wsa_neg();

		/*
		 * Lingering (SO_LINGER on, l_linger > 0) on a non-blocking
		 * socket with data unsent, Winsock refuses the close with
		 * WSAEWOULDBLOCK and the handle stays open, its poll state
		 * forgotten already.  Linux's close(2) lingers whatever
		 * O_NONBLOCK says: so does this one, made blocking.
		 */
		if (e == -EAGAIN) {
			u_long off = 0;

			(void)ioctlsocket(s, FIONBIO, &off);
			if (closesocket(s) == 0)
				return 0;
			e = mio__wsa_neg();
		}
		return e == -ENOTSOCK ? -EBADF : e;
	}
	return 0;
}

int
mio_pipe(mio_sock out[2])
{
	if (out == NULL)
		return -EINVAL;
	return -ENOTSUP;
}

int
mio_set_nonblocking(mio_sock s, int on)
{
	u_long v = on != 0;

	if (ioctlsocket(s, FIONBIO, &v) != 0) {
		int e = mio__wsa_neg();

		return e == -ENOTSOCK ? -EBADF : e;
	}
	return 0;
}
