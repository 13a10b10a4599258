/*
 * TCP: listeners, accepted and connecting streams, and their options.
 * The sockets come from net.c's helpers, so they are non-blocking,
 * close-on-exec and (IPv6) IPv6-only from the start.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "net.h"

/* mio's listen(2) backlog (std's since mio 1.1.0). */
#define TCP_BACKLOG	128

/*
 * SO_REUSEADDR lets a restarted server bind while old connections sit in
 * TIME_WAIT; on Linux it does not let two live listeners share a port.
 */
int
mio_tcp_listen(const struct mio_addr *addr, int backlog)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNSPEC)) < 0)
		return e;
	return mio__bound(addr, SOCK_STREAM, 1,
	    backlog > 0 ? backlog : TCP_BACKLOG);
}

int
mio_tcp_accept(mio_sock listener, struct mio_addr *peer)
{
	return mio__accept(listener, peer);
}

int
mio_tcp_connect(const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNSPEC)) < 0)
		return e;
	return mio__connected(addr, SOCK_STREAM);
}

int
mio_tcp_set_nodelay(mio_sock s, int on)
{
	return mio__setopt(s, IPPROTO_TCP, TCP_NODELAY, on != 0);
}

int
mio_tcp_nodelay(mio_sock s)
{
	int v = mio__getopt(s, IPPROTO_TCP, TCP_NODELAY);

	return v < 0 ? v : v != 0;
}

int
mio_tcp_set_keepalive(mio_sock s, int on)
{
	return mio__setopt(s, SOL_SOCKET, SO_KEEPALIVE, on != 0);
}

int
mio_tcp_keepalive(mio_sock s)
{
	int v = mio__getopt(s, SOL_SOCKET, SO_KEEPALIVE);

	return v < 0 ? v : v != 0;
}

/*
 * Linux raises no write-closed event for a local SHUT_WR (the peer gets
 * the FIN; our side only fails later writes with -EPIPE); SHUT_RD raises
 * read-closed at once.  See mio_tcp_shutdown(3).
 */
int
mio_tcp_shutdown(mio_sock s, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (shutdown(s, how) < 0)
		return -errno;
	return 0;
}

/*
 * SO_LINGER: seconds >= 0 turns lingering on with that timeout (0 makes
 * close(2) send a reset and drop unsent data: how a proxy passes a reset
 * on); seconds < 0 turns it off, the default orderly close.
 */
int
mio_tcp_set_linger(mio_sock s, int seconds)
{
	struct linger lg;

	lg.l_onoff = seconds >= 0;
	lg.l_linger = seconds >= 0 ? seconds : 0;
	/* A system whose l_linger is narrower than int (Windows: u_short,
	 * 65535 s at most) would turn a longer one into another. */
	if (lg.l_linger != (seconds >= 0 ? seconds : 0))
		return -EINVAL;
	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return -errno;
	return 0;
}
