/*
 * UDP, and datagram I/O on any datagram socket (Unix ones included):
 * bind, connect, and send/receive/peek with an address.  Every call
 * retries EINTR and re-arms its direction on -EAGAIN (rearm.h).
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "rearm.h"
#include "sys/nosigpipe.h"
#include "net.h"

int
mio_udp_bind(const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNSPEC)) < 0)
		return e;
	return mio__bound(addr, SOCK_DGRAM, 0, -1);
}

/*
 * A datagram connect completes at once; a NULL address dissolves the
 * association, after which the socket takes datagrams from anyone.
 */
int
mio_udp_connect(mio_sock s, const struct mio_addr *addr)
{
	struct mio_addr none;
	int e;

	if (addr == NULL) {
		memset(&none, 0, sizeof(none));
		none.u.sa.sa_family = AF_UNSPEC;
		/* The whole union: Winsock wants an IPv6 socket's length
		 * (WSAEFAULT otherwise); Linux takes any >= sa_family's. */
		none.len = sizeof(none.u);
		addr = &none;
	} else if ((e = mio__check_family(addr, AF_UNSPEC)) < 0)
		return e;
	if (connect(s, &addr->u.sa, addr->len) < 0)
		return -errno;
	return 0;
}

ssize_t
mio_udp_send_to(mio_sock s, const void *buf, size_t len,
    const struct mio_addr *to)
{
	ssize_t n;

	if (to == NULL || to->len > sizeof(to->u))
		return -EINVAL;
	while ((n = sendto(s, buf, len, MIO__MSG_NOSIGNAL, &to->u.sa,
	    to->len)) < 0) {
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_WRITABLE);
	}
	return n;
}

/*
 * Linux gives no address at all (length 0) for a datagram from an
 * unbound Unix socket, where getpeername(2) and accept(2) give the
 * unnamed address: a family and nothing else.  Make both look alike, so
 * that the source formats as "unix:".  Only this rare case pays the
 * extra system call.
 */
static void
udp_unnamed(mio_sock s, struct mio_addr *from)
{
	memset(from, 0, sizeof(*from));
	if (mio__getopt(s, SOL_SOCKET, SO_DOMAIN) == AF_UNIX) {
		from->u.sa.sa_family = AF_UNIX;
		from->len = sizeof(sa_family_t);
	}
}

static ssize_t
udp_recv(mio_sock s, void *buf, size_t len, struct mio_addr *from, int flags)
{
	struct mio_addr scratch;
	ssize_t n;

	if (from == NULL)
		from = &scratch;
	for (;;) {
		from->len = sizeof(from->u);
		n = recvfrom(s, buf, len, flags, &from->u.sa, &from->len);
		if (n >= 0) {
			if (from->len == 0)
				udp_unnamed(s, from);
			return n;
		}
		if (errno == EINTR)
			continue;
		return mio__io_error(s, MIO_READABLE);
	}
}

/*
 * recvfrom(2) without MSG_TRUNC: a datagram longer than len gives len
 * bytes and the rest is dropped, as mio does on Unix.
 */
ssize_t
mio_udp_recv_from(mio_sock s, void *buf, size_t len, struct mio_addr *from)
{
	return udp_recv(s, buf, len, from, 0);
}

ssize_t
mio_udp_peek_from(mio_sock s, void *buf, size_t len, struct mio_addr *from)
{
	return udp_recv(s, buf, len, from, MSG_PEEK);
}

int
mio_udp_set_pktinfo(mio_sock s, int on)
{
	struct mio_addr a;
	int rc;

	if ((rc = mio_local_addr(s, &a)) != 0)
		return rc;
	if (a.u.sa.sa_family == AF_INET6)
		return mio__setopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, on != 0);
	if (a.u.sa.sa_family != AF_INET)
		return -EAFNOSUPPORT;
	/* FreeBSD and OpenBSD have no IP_PKTINFO: theirs is
	 * IP_RECVDSTADDR (a struct in_addr), answered by IP_SENDSRCADDR. */
#if defined(IP_PKTINFO)
	return mio__setopt(s, IPPROTO_IP, IP_PKTINFO, on != 0);
#elif defined(IP_RECVDSTADDR)
	return mio__setopt(s, IPPROTO_IP, IP_RECVDSTADDR, on != 0);
#else
	return -ENOPROTOOPT;
#endif
}
