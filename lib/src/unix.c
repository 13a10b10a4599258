/*
 * Unix domain sockets: datagram sockets bound, unbound and connected,
 * and connected pairs (stream listeners and connections are
 * unix_stream.c's, shared with Windows).
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
