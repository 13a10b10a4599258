/*
 * The socket layer's shared core: how sockets are made, bound, connected
 * and accepted (net.h), and the calls that work on any connected socket.
 *
 * Every I/O call here follows io.c: EINTR is retried, failures are
 * -errno, and -EAGAIN re-arms the direction that was drained
 * (rearm.h), so that the poll(2) backend keeps mio's edge semantics.
 * Sends carry MSG_NOSIGNAL: a vanished peer is -EPIPE, never SIGPIPE.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "rearm.h"
#include "net.h"

int
mio__socket(int domain, int type)
{
	int s, e;

	s = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/*
	 * IPv6 sockets are IPv6-only whatever net.ipv6.bindv6only says, so
	 * that 0.0.0.0:P and [::]:P can both be bound (API.md).
	 */
	if (domain == AF_INET6 &&
	    (e = mio__setopt(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0) {
		close(s);
		return e;
	}
	return s;
}

int
mio__check_family(const struct mio_addr *a, int family)
{
	if (a == NULL || a->len < sizeof(sa_family_t) ||
	    a->len > sizeof(a->u))
		return -EINVAL;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		if (family != AF_INET && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < sizeof(struct sockaddr_in) ? -EINVAL : 0;
	case AF_INET6:
		if (family != AF_INET6 && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < sizeof(struct sockaddr_in6) ? -EINVAL : 0;
	case AF_UNIX:
		return family == AF_UNIX ? 0 : -EAFNOSUPPORT;
	default:
		return -EAFNOSUPPORT;
	}
}

int
mio__bound(const struct mio_addr *a, int type, int reuse, int backlog)
{
	int s, e;

	if ((s = mio__socket(a->u.sa.sa_family, type)) < 0)
		return s;
	if (reuse && (e = mio__setopt(s, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
		goto fail;
	if (bind(s, &a->u.sa, a->len) < 0)
		goto fail_errno;
	if (backlog >= 0 && listen(s, backlog) < 0)
		goto fail_errno;
	return s;
fail_errno:
	e = -errno;
fail:
	close(s);
	return e;
}

int
mio__connect(mio_sock s, const struct mio_addr *a)
{
	/*
	 * A non-blocking connect that is interrupted goes on in the
	 * background exactly as one that returned EINPROGRESS; retrying it
	 * would give EALREADY.  Either way writability reports the end.
	 */
	if (connect(s, &a->u.sa, a->len) < 0 && errno != EINPROGRESS &&
	    errno != EINTR)
		return -errno;
	return 0;
}

int
mio__connected(const struct mio_addr *a, int type)
{
	int s, e;

	if ((s = mio__socket(a->u.sa.sa_family, type)) < 0)
		return s;
	if ((e = mio__connect(s, a)) < 0) {
		close(s);
		return e;
	}
	return s;
}

/*
 * ECONNABORTED is a connection that died in the queue: it tells the
 * caller nothing and would end an accept-until-EAGAIN loop early, so the
 * next connection is taken instead.  Other errors (EMFILE, ENFILE,
 * ENOBUFS) are returned and leave the connection queued.
 */
int
mio__accept(mio_sock listener, struct mio_addr *peer)
{
	struct mio_addr scratch;
	int s, e;

	if (peer == NULL)
		peer = &scratch;
	for (;;) {
		peer->len = sizeof(peer->u);
		s = accept4(listener, &peer->u.sa, &peer->len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s >= 0)
			return s;
		e = errno;
		if (e == EINTR || e == ECONNABORTED)
			continue;
		if (e == EAGAIN)
			mio__would_block(listener, MIO_READABLE);
		return -e;
	}
}

int
mio__setopt(mio_sock s, int level, int name, int value)
{
	if (setsockopt(s, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

/* Options read back as int; a few (IP_MULTICAST_*) may come as a byte. */
int
mio__getopt(mio_sock s, int level, int name)
{
	int value = 0;
	socklen_t len = sizeof(value);

	if (getsockopt(s, level, name, &value, &len) < 0)
		return -errno;
	if (len == 1)
		return *(unsigned char *)&value;
	return value;
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
		r = sendmsg(s, &msg, MSG_NOSIGNAL);
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

	while ((r = send(s, buf, len, MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return r;
}

static ssize_t
net_recv(mio_sock s, void *buf, size_t len, int flags)
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
	return net_recv(s, buf, len, 0);
}

/*
 * A peek that finds nothing re-arms like any read (mio's fix #1895); one
 * that returns data changes nothing, so the event already delivered
 * stands and the caller reads next.
 */
ssize_t
mio_peek(mio_sock s, void *buf, size_t len)
{
	return net_recv(s, buf, len, MSG_PEEK);
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

/* Both leave *out untouched when they fail. */
int
mio_local_addr(mio_sock s, struct mio_addr *out)
{
	struct mio_addr a;

	if (out == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.u);
	if (getsockname(s, &a.u.sa, &a.len) < 0)
		return -errno;
	*out = a;
	return 0;
}

int
mio_peer_addr(mio_sock s, struct mio_addr *out)
{
	struct mio_addr a;

	if (out == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.u);
	if (getpeername(s, &a.u.sa, &a.len) < 0)
		return -errno;
	*out = a;
	return 0;
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
