/*
 * Platform extensions (Linux): sendmsg/recvmsg with control data,
 * sendmmsg/recvmmsg batches and splice.  They keep the rules of every
 * other libmio I/O call -- EINTR retried, -errno, MSG_NOSIGNAL on sends,
 * re-arm on -EAGAIN -- so that a program doing all its I/O through
 * libmio gets the same edges on the poll(2) backend as on epoll.
 */
#include "config.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "rearm.h"
#include "mio.h"

ssize_t
mio_sendmsg(mio_sock s, const struct msghdr *msg, int flags)
{
	ssize_t n;

	if (msg == NULL)
		return -EINVAL;
	while ((n = sendmsg(s, msg, flags | MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return n;
}

ssize_t
mio_recvmsg(mio_sock s, struct msghdr *msg, int flags)
{
	ssize_t n;

	if (msg == NULL)
		return -EINVAL;
	while ((n = recvmsg(s, msg, flags)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
	return n;
}

#ifdef __linux__

/*
 * sendmmsg(2) stops at the first message that fails; it reports that
 * failure only when it is the first message, so -EAGAIN (and a re-arm)
 * means nothing was sent, and a count below n means "call again".
 */
int
mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	int r;

	if (vec == NULL && n > 0)
		return -EINVAL;
	while ((r = sendmmsg(s, vec, n, flags | MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return r;
}

/*
 * recvmmsg(2) without a timeout (its timeout is checked only between
 * datagrams and is documented as broken).  On a non-blocking socket it
 * takes what is queued, up to n; -EAGAIN means nothing was.
 */
int
mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	int r;

	if (vec == NULL && n > 0)
		return -EINVAL;
	while ((r = recvmmsg(s, vec, n, flags, NULL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
	return r;
}

/*
 * EAGAIN from splice(2) means the input had nothing or the output had no
 * room, and the kernel does not say which.  Re-arming both directions
 * costs at worst one spurious event (which the contract allows), while
 * re-arming only one could lose the edge of the other for good.
 */
ssize_t
mio_splice(mio_sock in, mio_sock out, size_t len, unsigned flags)
{
	ssize_t n;
	int e;

	while ((n = splice(in, NULL, out, NULL, len,
	    flags | SPLICE_F_NONBLOCK)) < 0) {
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			mio__would_block(in, MIO_READABLE);
			mio__would_block(out, MIO_WRITABLE);
		}
		return -e;
	}
	return n;
}

#else /* !__linux__ */

/* Systems without these calls say so; a loop fallback may come later. */
int
mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	return -ENOTSUP;
}

int
mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	return -ENOTSUP;
}

ssize_t
mio_splice(mio_sock in, mio_sock out, size_t len, unsigned flags)
{
	return -ENOTSUP;
}

#endif /* __linux__ */
