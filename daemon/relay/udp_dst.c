/*
 * A UDP reply must leave from the address its client sent to, or the
 * client (which may have sent to any of the host's addresses, on a
 * wildcard bind) drops it as coming from a stranger.  The kernel tells
 * each request's destination in a control message, and takes the
 * reply's source in another; the ways differ by system, and each is
 * compiled where its macros exist, the first one found preferred:
 *
 *   IPv4, IP_PKTINFO       Linux, macOS, NetBSD, Solaris: a struct
 *                          in_pktinfo both ways (the source in
 *                          ipi_spec_dst, or ipi_addr where the struct has
 *                          no ipi_spec_dst, as on NetBSD)
 *   IPv4, IP_RECVDSTADDR   FreeBSD, OpenBSD, DragonFly: a struct in_addr
 *         IP_SENDSRCADDR   in, a struct in_addr out
 *   IPv6, IPV6_PKTINFO     everywhere (RFC 3542): IPV6_RECVPKTINFO asks,
 *                          a struct in6_pktinfo both ways
 *
 * Linux has only IP_PKTINFO, so the IP_RECVDSTADDR way is built (and
 * tested) on the BSDs alone.  libmio's mio_udp_set_pktinfo() asks in
 * the same order.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <mio.h>

#include "relay/udp_dst.h"
#include "relay/udp_sess.h"

#if !defined(IP_PKTINFO) && defined(IP_RECVDSTADDR) && \
    defined(IP_SENDSRCADDR)
#define UDP_DST_RECVDSTADDR	1
#endif

int
udp_dst_enable(int fd)
{
#if !defined(IP_PKTINFO) && !defined(UDP_DST_RECVDSTADDR)
	struct mio_addr a;
	int rc;

	/* Told the destination, but unable to answer from it. */
	if ((rc = mio_local_addr(fd, &a)) != 0)
		return rc;
	if (a.u.sa.sa_family == AF_INET)
		return -ENOPROTOOPT;
#endif
	return mio_udp_set_pktinfo(fd, 1);
}

/* One IPv4 destination from a control message: 1 when it was one. */
static int
udp_dst_of_v4(const struct cmsghdr *c, struct udp_local *local)
{
	if (c->cmsg_level != IPPROTO_IP)
		return 0;
#ifdef IP_PKTINFO
	if (c->cmsg_type == IP_PKTINFO) {
		struct in_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		memcpy(&local->addr, &pi.ipi_addr, 4);
		local->ifindex = 0;
		return 1;
	}
#endif
#ifdef IP_RECVDSTADDR
	if (c->cmsg_type == IP_RECVDSTADDR) {
		memcpy(&local->addr, CMSG_DATA(c), 4);
		local->ifindex = 0;
		return 1;
	}
#endif
	return 0;
}

void
udp_dst_of(struct msghdr *h, struct udp_local *local)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (udp_dst_of_v4(c, local))
			continue;
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->addr = pi.ipi6_addr;
			local->ifindex = pi.ipi6_ifindex;
		}
	}
}

/* The IPv4 source of a reply, into the cmsghdr at c: its space. */
static size_t
udp_dst_control_v4(struct cmsghdr *c, const struct udp_local *local)
{
#if defined(IP_PKTINFO)
	struct in_pktinfo pi;

	memset(&pi, 0, sizeof(pi));
#ifdef HAVE_STRUCT_IN_PKTINFO_IPI_SPEC_DST
	memcpy(&pi.ipi_spec_dst, &local->addr, 4);
#else
	memcpy(&pi.ipi_addr, &local->addr, 4);
#endif
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
#elif defined(UDP_DST_RECVDSTADDR)
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_SENDSRCADDR;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_addr));
	memcpy(CMSG_DATA(c), &local->addr, sizeof(struct in_addr));
	return CMSG_SPACE(sizeof(struct in_addr));
#else
	/* No way to ask (udp_dst_enable() failed): the kernel picks. */
	(void)c;
	(void)local;
	return 0;
#endif
}

size_t
udp_dst_control(int family, const struct udp_local *local, void *buf)
{
	struct cmsghdr *c = buf;
	struct in6_pktinfo pi;

	memset(buf, 0, UDP_DST_SPACE);
	if (family == AF_INET)
		return udp_dst_control_v4(c, local);
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_addr = local->addr;
	pi.ipi6_ifindex = local->ifindex;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}
