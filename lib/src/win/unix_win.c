/*
 * Unix domain sockets on Windows: AF_UNIX stream sockets exist since
 * Windows 10 1803 (afunix.h), and the calls are the same as on POSIX;
 * a system without them (older Windows, wine 8) answers -EAFNOSUPPORT
 * from the socket call.  Windows has no AF_UNIX datagrams and no
 * socketpair(): those calls are -ENOTSUP (libmio(3), WINDOWS).
 */
#include "config.h"

#include "net.h"
#include "win/wsa.h"

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

/* May be in progress on return, as a TCP connect: wait for writable. */
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
	return -ENOTSUP;
}

int
mio_unix_dgram_unbound(void)
{
	return -ENOTSUP;
}

int
mio_unix_dgram_connect(mio_sock s, const struct mio_addr *addr)
{
	int e;

	(void)s;
	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return -ENOTSUP;
}

int
mio_unix_pair(int type, mio_sock out[2])
{
	if (out == NULL ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM &&
	    type != SOCK_SEQPACKET))
		return -EINVAL;
	return -ENOTSUP;
}
