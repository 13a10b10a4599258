/*
 * net.h's helpers on Winsock: sockets made non-blocking and not
 * inheritable at birth (WSA_FLAG_NO_HANDLE_INHERIT), IPv6 ones
 * IPv6-only, accepted ones the same, every failure as -errno through
 * the table of win/wsa.c.  Also mio_local_addr()/mio_peer_addr().
 */
#include "config.h"

#include <string.h>

#include "rearm.h"
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
