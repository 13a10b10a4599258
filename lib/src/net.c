/*
 * Making sockets: how every socket is created, bound, connected and
 * accepted (net.h), and a socket's own addresses.  The integer option
 * helpers are sockopt.c's, the check of an address's family addr.c's
 * (both the same on Windows).  The I/O on a socket once it exists is io.c's.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "rearm.h"
#include "sys/fdflags.h"
#include "sys/nosigpipe.h"
#include "net.h"

int
mio__socket(int domain, int type)
{
	int s, e;

	if ((s = mio__fd_socket(domain, type, 0)) < 0)
		return s;
	if ((e = mio__nosigpipe(s)) < 0) {
		close(s);
		return e;
	}
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
		s = mio__fd_accept(listener, &peer->u.sa, &peer->len);
		if (s >= 0) {
			if ((e = mio__nosigpipe(s)) < 0) {
				close(s);
				return e;
			}
			return s;
		}
		if (s == -EINTR || s == -ECONNABORTED)
			continue;
		if (s == -EAGAIN)
			mio__would_block(listener, MIO_READABLE);
		return s;
	}
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
