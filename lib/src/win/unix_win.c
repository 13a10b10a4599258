/*
 * Unix domain sockets on Windows: AF_UNIX stream sockets exist since
 * Windows 10 1803 (afunix.h), and the calls are the same as on POSIX;
 * a system without them (older Windows, wine 8) answers -EAFNOSUPPORT
 * from the socket call.  Windows has no AF_UNIX datagrams and no
 * socketpair(): those calls are -ENOTSUP (libmio(3), WINDOWS).  The
 * stream calls are unix_stream.c's, the same as on POSIX.
 */
#include "config.h"

#include "net.h"
#include "win/wsa.h"

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
