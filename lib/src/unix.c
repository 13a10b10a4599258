/*
 * Unix domain sockets: stream listeners and connections, datagram
 * sockets bound, unbound and connected, and connected pairs.
 * Paths and Linux abstract names are whatever mio_addr_parse() built;
 * nothing here unlinks a path, so a stale socket file gives -EADDRINUSE
 * and its removal is the caller's decision.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "sys/fdflags.h"
#include "sys/nosigpipe.h"
#include "net.h"

/* What mio asks for with listen(fd, -1): SOMAXCONN. */
#define UNIX_BACKLOG	SOMAXCONN

int
mio_unix_listen(const struct mio_addr *addr, int backlog)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return mio__bound(addr, SOCK_STREAM, 0,
	    backlog > 0 ? backlog : UNIX_BACKLOG);
}

int
mio_unix_accept(mio_sock listener, struct mio_addr *peer)
{
	return mio__accept(listener, peer);
}

/*
 * A Unix stream connect completes or fails at once; -EAGAIN means the
 * listener's backlog is full, and it leaves no socket behind (there is
 * no descriptor to re-arm: retry later).
 */
int
mio_unix_connect(const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return mio__connected(addr, SOCK_STREAM);
}

int
mio_unix_dgram_bind(const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return mio__bound(addr, SOCK_DGRAM, 0, -1);
}

int
mio_unix_dgram_unbound(void)
{
	return mio__socket(AF_UNIX, SOCK_DGRAM);
}

int
mio_unix_dgram_connect(mio_sock s, const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	if (connect(s, &addr->u.sa, addr->len) < 0)
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
	int e;

	if ((e = mio__fd_socketpair(AF_UNIX, type, 0, out)) < 0)
		return e;
	if ((e = mio__nosigpipe(out[0])) < 0 ||
	    (e = mio__nosigpipe(out[1])) < 0) {
		close(out[0]);
		close(out[1]);
		return e;
	}
	return 0;
}
