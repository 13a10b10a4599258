/*
 * net.h's helpers on Winsock: sockets made non-blocking and not
 * inheritable at birth (WSA_FLAG_NO_HANDLE_INHERIT), IPv6 ones
 * IPv6-only, accepted ones the same, every failure as -errno through
 * the table of win/wsa.c.  Also mio_local_addr()/mio_peer_addr().
 */
#include "config.h"

#include <string.h>

#include "win/rearm_win.h"
#include "net.h"
#include "win/wsa.h"

int
mio__socket(int domain, int type)
{
	int s, e;

	if ((s = mio__win_socket(domain, type)) < 0)
		return s;
	if (domain == AF_INET6 &&
	    (e = mio__setopt((mio_sock)s, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0) {
		closesocket((SOCKET)s);
		return e;
	}
	return s;
}

int
mio__check_family(const struct mio_addr *a, int family)
{
	if (a == NULL || a->len < (socklen_t)sizeof(a->u.sa.sa_family) ||
	    a->len > (socklen_t)sizeof(a->u))
		return -EINVAL;
	switch (a->u.sa.sa_family) {
	case AF_INET:
		if (family != AF_INET && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < (socklen_t)sizeof(struct sockaddr_in) ?
		    -EINVAL : 0;
	case AF_INET6:
		if (family != AF_INET6 && family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		return a->len < (socklen_t)sizeof(struct sockaddr_in6) ?
		    -EINVAL : 0;
	case AF_UNIX:
		return family == AF_UNIX ? 0 : -EAFNOSUPPORT;
	default:
		return -EAFNOSUPPORT;
	}
}

/*
 * `reuse` is not honoured: SO_REUSEADDR on Windows lets another socket
 * steal the port (mio leaves it off there too), and Windows already
 * binds over TIME_WAIT connections without it.
 */
int
mio__bound(const struct mio_addr *a, int type, int reuse, int backlog)
{
	int s, e;

	(void)reuse;
	if ((s = mio__socket(a->u.sa.sa_family, type)) < 0)
		return s;
	if (bind((SOCKET)s, &a->u.sa, a->len) < 0 ||
	    (backlog >= 0 && listen((SOCKET)s, backlog) < 0)) {
		e = -errno;
		closesocket((SOCKET)s);
		return e;
	}
	return s;
}

int
mio__connect(mio_sock s, const struct mio_addr *a)
{
	if (connect(s, &a->u.sa, a->len) < 0 && errno != EINPROGRESS)
		return -errno;
	return 0;
}

int
mio__connected(const struct mio_addr *a, int type)
{
	int s, e;

	if ((s = mio__socket(a->u.sa.sa_family, type)) < 0)
		return s;
	if ((e = mio__connect((mio_sock)s, a)) < 0) {
		closesocket((SOCKET)s);
		return e;
	}
	return s;
}

int
mio__accept(mio_sock listener, struct mio_addr *peer)
{
	struct mio_addr scratch;
	SOCKET s;
	int e;

	if (peer == NULL)
		peer = &scratch;
	for (;;) {
		peer->len = sizeof(peer->u);
		s = accept(listener, &peer->u.sa, &peer->len);
		if (s != INVALID_SOCKET)
			break;
		e = mio__wsa_neg();
		if (e == -ECONNABORTED || e == -ECONNRESET)
			continue;
		if (e == -EAGAIN)
			mio__would_block(listener, MIO_READABLE);
		return e;
	}
	/* accept() copies the listener's non-blocking mode, not its
	 * no-inherit flag. */
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	return mio__win_checked(s);
}

int
mio__setopt(mio_sock s, int level, int name, int value)
{
	if (setsockopt(s, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

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

static int
net_name(mio_sock s, struct mio_addr *out, int peer)
{
	struct mio_addr a;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.u);
	rc = peer ? getpeername(s, &a.u.sa, &a.len) :
	    getsockname(s, &a.u.sa, &a.len);
	if (rc < 0)
		return errno == ENOTSOCK ? -EBADF : -errno;
	*out = a;
	return 0;
}

int
mio_local_addr(mio_sock s, struct mio_addr *out)
{
	return net_name(s, out, 0);
}

int
mio_peer_addr(mio_sock s, struct mio_addr *out)
{
	return net_name(s, out, 1);
}
