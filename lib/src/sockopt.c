/*
 * Socket options of IP sockets: TTL, IPv6-only, broadcast and multicast.
 * Setters take an int and return 0 or -errno; getters return the value
 * (>= 0, flags as 0 or 1) or -errno.  Nothing here does I/O, so nothing
 * re-arms.  Also net.h's integer option helpers under them, the same
 * text on POSIX and on Winsock (through lib/src/win/compat).
 */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net.h"

int
mio__setopt(mio_sock s, int level, int name, int value)
{
	if (setsockopt(s, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

/* Options read back as int; a few (IP_MULTICAST_*) may come as a byte. */
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

/* AF_INET or AF_INET6 for an IP socket, -EAFNOSUPPORT for others. */
static int
sockopt_family(mio_sock s)
{
	int d = mio__getopt(s, SOL_SOCKET, SO_DOMAIN);

	if (d < 0)
		return d;
	return d == AF_INET || d == AF_INET6 ? d : -EAFNOSUPPORT;
}

static int
sockopt_flag(mio_sock s, int level, int name)
{
	int v = mio__getopt(s, level, name);

	return v < 0 ? v : v != 0;
}

/*
 * mio (through std) sets IP_TTL whatever the family; an IPv6 socket's
 * unicast packets take IPV6_UNICAST_HOPS instead, so that is what the
 * TTL means on one here.
 */
int
mio_set_ttl(mio_sock s, int ttl)
{
	int d = sockopt_family(s);

	if (d < 0)
		return d;
	if (d == AF_INET6)
		return mio__setopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
	return mio__setopt(s, IPPROTO_IP, IP_TTL, ttl);
}

int
mio_ttl(mio_sock s)
{
	int d = sockopt_family(s);

	if (d < 0)
		return d;
	if (d == AF_INET6)
		return mio__getopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
	return mio__getopt(s, IPPROTO_IP, IP_TTL);
}

int
mio_only_v6(mio_sock s)
{
	int d = sockopt_family(s);

	if (d < 0)
		return d == -EAFNOSUPPORT ? -ENOPROTOOPT : d;
	if (d != AF_INET6)
		return -ENOPROTOOPT;
	return sockopt_flag(s, IPPROTO_IPV6, IPV6_V6ONLY);
}

int
mio_udp_set_broadcast(mio_sock s, int on)
{
	return mio__setopt(s, SOL_SOCKET, SO_BROADCAST, on != 0);
}

int
mio_udp_broadcast(mio_sock s)
{
	return sockopt_flag(s, SOL_SOCKET, SO_BROADCAST);
}

static int
sockopt_mreq4(mio_sock s, int name, const struct in_addr *group,
    const struct in_addr *iface)
{
	struct ip_mreq mr;

	if (group == NULL)
		return -EINVAL;
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr = *group;
	mr.imr_interface.s_addr = iface != NULL ? iface->s_addr :
	    htonl(INADDR_ANY);
	if (setsockopt(s, IPPROTO_IP, name, &mr, sizeof(mr)) < 0)
		return -errno;
	return 0;
}

int
mio_udp_join_multicast_v4(mio_sock s, const struct in_addr *group,
    const struct in_addr *iface)
{
	return sockopt_mreq4(s, IP_ADD_MEMBERSHIP, group, iface);
}

int
mio_udp_leave_multicast_v4(mio_sock s, const struct in_addr *group,
    const struct in_addr *iface)
{
	return sockopt_mreq4(s, IP_DROP_MEMBERSHIP, group, iface);
}

int
mio_udp_set_multicast_loop_v4(mio_sock s, int on)
{
	return mio__setopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, on != 0);
}

int
mio_udp_multicast_loop_v4(mio_sock s)
{
	return sockopt_flag(s, IPPROTO_IP, IP_MULTICAST_LOOP);
}

int
mio_udp_set_multicast_ttl_v4(mio_sock s, int ttl)
{
	return mio__setopt(s, IPPROTO_IP, IP_MULTICAST_TTL, ttl);
}

int
mio_udp_multicast_ttl_v4(mio_sock s)
{
	return mio__getopt(s, IPPROTO_IP, IP_MULTICAST_TTL);
}

static int
sockopt_mreq6(mio_sock s, int name, const struct in6_addr *group,
    unsigned ifindex)
{
	struct ipv6_mreq mr;

	if (group == NULL)
		return -EINVAL;
	memset(&mr, 0, sizeof(mr));
	mr.ipv6mr_multiaddr = *group;
	mr.ipv6mr_interface = ifindex;
	if (setsockopt(s, IPPROTO_IPV6, name, &mr, sizeof(mr)) < 0)
		return -errno;
	return 0;
}

int
mio_udp_join_multicast_v6(mio_sock s, const struct in6_addr *group,
    unsigned ifindex)
{
	return sockopt_mreq6(s, IPV6_ADD_MEMBERSHIP, group, ifindex);
}

int
mio_udp_leave_multicast_v6(mio_sock s, const struct in6_addr *group,
    unsigned ifindex)
{
	return sockopt_mreq6(s, IPV6_DROP_MEMBERSHIP, group, ifindex);
}

int
mio_udp_set_multicast_loop_v6(mio_sock s, int on)
{
	return mio__setopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on != 0);
}

int
mio_udp_multicast_loop_v6(mio_sock s)
{
	return sockopt_flag(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
}

int
mio_udp_set_multicast_hops_v6(mio_sock s, int hops)
{
	return mio__setopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops);
}

int
mio_udp_multicast_hops_v6(mio_sock s)
{
	return mio__getopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
}

/*
 * Socket buffer sizes (SO_RCVBUF, SO_SNDBUF).  Linux doubles the value
 * asked for (bookkeeping room) and caps it at net.core.rmem_max /
 * wmem_max; the getters return what the kernel settled on.
 */
int
mio_set_recv_buffer_size(mio_sock s, int bytes)
{
	return mio__setopt(s, SOL_SOCKET, SO_RCVBUF, bytes);
}

int
mio_recv_buffer_size(mio_sock s)
{
	return mio__getopt(s, SOL_SOCKET, SO_RCVBUF);
}

int
mio_set_send_buffer_size(mio_sock s, int bytes)
{
	return mio__setopt(s, SOL_SOCKET, SO_SNDBUF, bytes);
}

int
mio_send_buffer_size(mio_sock s)
{
	return mio__getopt(s, SOL_SOCKET, SO_SNDBUF);
}
