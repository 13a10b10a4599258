/*
 * Platform extensions: sendmsg/recvmsg with control data,
 * sendmmsg/recvmmsg batches and splice.  They keep the rules of every
 * other libmio I/O call -- EINTR retried, -errno, MSG_NOSIGNAL on sends,
 * re-arm on -EAGAIN -- so that a program doing all its I/O through
 * libmio gets the same edges on the poll(2) backend as on epoll.
 *
 * Where configure finds no sendmmsg/recvmmsg, the batches fall back to
 * sendmsg/recvmsg (a loop, and one message); where the system has no
 * struct mmsghdr at all, or no splice, those calls return -ENOTSUP.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>

#include "rearm.h"
#include "sys/nosigpipe.h"
#include "mio.h"

ssize_t
mio_sendmsg(mio_sock s, const struct msghdr *msg, int flags)
{
	ssize_t n;

	if (msg == NULL)
		return -EINVAL;
	while ((n = sendmsg(s, msg, flags | MIO__MSG_NOSIGNAL)) < 0) {
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

#ifdef HAVE_SENDMMSG
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
	while ((r = sendmmsg(s, vec, n, flags | MIO__MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return r;
}
#elif defined(HAVE_STRUCT_MMSGHDR)
/*
 * The same contract as a loop: sendmsg until one fails.  The failure is
 * returned only when it is the first message; a later one ends the
 * batch short and shows again on the next call, as sendmmsg(2) does.
 * Each sendmsg re-arms on -EAGAIN, so a batch cut short by a full
 * buffer re-arms too (at worst a spurious event, which is allowed).
 */
int
mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	ssize_t r;
	unsigned i;

	if (vec == NULL && n > 0)
		return -EINVAL;
	if (n > INT_MAX)
		n = INT_MAX;
	for (i = 0; i < n; i++) {
		if ((r = mio_sendmsg(s, &vec[i].msg_hdr, flags)) < 0)
			return i > 0 ? (int)i : (int)r;
		vec[i].msg_len = (unsigned)r;
	}
	return (int)i;
}
#else
int
mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	return -ENOTSUP;
}
#endif

#ifdef HAVE_RECVMMSG
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
#elif defined(HAVE_STRUCT_MMSGHDR)
/*
 * One recvmsg: a batch of one is within the contract (a count up to n),
 * and a loop would need one more system call per batch only to learn
 * that the queue is empty.  The caller calls again until -EAGAIN, as
 * after any batch.
 */
int
mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	ssize_t r;

	if (vec == NULL && n > 0)
		return -EINVAL;
	if (n == 0)
		return 0;
#ifdef MSG_WAITFORONE
	/* recvmmsg(2)'s own flag: recvmsg(2) has no use for it. */
	flags &= ~MSG_WAITFORONE;
#endif
	if ((r = mio_recvmsg(s, &vec[0].msg_hdr, flags)) < 0)
		return (int)r;
	vec[0].msg_len = (unsigned)r;
	return 1;
}
#else
int
mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	return -ENOTSUP;
}
#endif

#ifdef HAVE_SPLICE
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
#else
ssize_t
mio_splice(mio_sock in, mio_sock out, size_t len, unsigned flags)
{
	return -ENOTSUP;
}
#endif
