/*
 * The control messages of a UDP destination (daemon/relay/udp_dst.c),
 * built once per way a system may have, so that the ways Linux lacks are
 * compiled and checked here too (UDP_DST_MODE, set by the Makefile):
 *
 *   1  the system as it is (Linux: IP_PKTINFO), and a real round trip
 *      on loopback: a request to 127.0.0.2 on a wildcard bind, answered
 *      from 127.0.0.2
 *   2  as FreeBSD and OpenBSD: no IP_PKTINFO, but IP_RECVDSTADDR and
 *      IP_SENDSRCADDR (given here their FreeBSD value, one option)
 *   3  neither way: IPv4 wildcard binds refused, IPv6 as everywhere
 *
 * Modes 2 and 3 never hand their messages to the kernel (Linux would
 * read them as other options): they check what udp_dst.c builds and
 * what it reads, byte for byte.
 */
#include "config.h"

#include <netinet/in.h>

#if UDP_DST_MODE == 2
#undef IP_PKTINFO
#define IP_RECVDSTADDR	7
#define IP_SENDSRCADDR	IP_RECVDSTADDR
#elif UDP_DST_MODE == 3
#undef IP_PKTINFO
#endif

#include "relay/udp_dst.c"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>

#include "../common.h"

union ctl {
	struct cmsghdr	 hdr;
	char		 buf[UDP_DST_SPACE];
};

static struct in_addr
v4(const char *text)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, text, &a), 1);
	return a;
}

/* A received message whose control data is one cmsg of `len` bytes. */
static void
one_cmsg(struct msghdr *h, union ctl *c, int level, int type,
    const void *data, size_t len)
{
	memset(h, 0, sizeof(*h));
	memset(c, 0, sizeof(*c));
	h->msg_control = c->buf;
	h->msg_controllen = CMSG_SPACE(len);
	c->hdr.cmsg_level = level;
	c->hdr.cmsg_type = type;
	c->hdr.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&c->hdr), data, len);
}

START_TEST(test_v4_reply_source)
{
	struct udp_local local;
	struct in_addr a = v4("127.0.0.2");
	union ctl c;
	size_t len;

	memset(&local, 0, sizeof(local));
	memcpy(&local.addr, &a, 4);
	len = udp_dst_control(AF_INET, &local, c.buf);
#if UDP_DST_MODE == 3
	ck_assert_uint_eq(len, 0);
#elif UDP_DST_MODE == 2
	ck_assert_uint_eq(len, CMSG_SPACE(sizeof(struct in_addr)));
	ck_assert_int_eq(c.hdr.cmsg_level, IPPROTO_IP);
	ck_assert_int_eq(c.hdr.cmsg_type, IP_SENDSRCADDR);
	ck_assert_uint_eq(c.hdr.cmsg_len, CMSG_LEN(sizeof(struct in_addr)));
	ck_assert_int_eq(memcmp(CMSG_DATA(&c.hdr), &a, 4), 0);
#else
	{
		struct in_pktinfo pi;

		ck_assert_uint_eq(len, CMSG_SPACE(sizeof(pi)));
		ck_assert_int_eq(c.hdr.cmsg_level, IPPROTO_IP);
		ck_assert_int_eq(c.hdr.cmsg_type, IP_PKTINFO);
		memcpy(&pi, CMSG_DATA(&c.hdr), sizeof(pi));
		ck_assert_uint_eq(pi.ipi_ifindex, 0);
#ifdef HAVE_STRUCT_IN_PKTINFO_IPI_SPEC_DST
		ck_assert_uint_eq(pi.ipi_spec_dst.s_addr, a.s_addr);
#else
		ck_assert_uint_eq(pi.ipi_addr.s_addr, a.s_addr);
#endif
	}
#endif
	ck_assert_uint_le(len, UDP_DST_SPACE);
}
END_TEST

START_TEST(test_v4_request_destination)
{
	struct udp_local local;
	struct in_addr a = v4("127.0.0.3");
	struct msghdr h;
	union ctl c;

	memset(&local, 0, sizeof(local));
#if UDP_DST_MODE == 2
	one_cmsg(&h, &c, IPPROTO_IP, IP_RECVDSTADDR, &a, sizeof(a));
#elif UDP_DST_MODE == 1
	{
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_addr = a;
		pi.ipi_ifindex = 1;
		one_cmsg(&h, &c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
#else
	/* No way of the system's: a message of another level is skipped. */
	one_cmsg(&h, &c, SOL_SOCKET, 0, &a, sizeof(a));
	a.s_addr = 0;
#endif
	udp_dst_of(&h, &local);
	ck_assert_int_eq(memcmp(&local.addr, &a, 4), 0);
	ck_assert_uint_eq(local.ifindex, 0);
}
END_TEST

/* IPv6 is RFC 3542 everywhere: the reply's message reads back as sent. */
START_TEST(test_v6_both_ways)
{
	struct udp_local local, back;
	struct msghdr h;
	union ctl c;
	size_t len;

	memset(&local, 0, sizeof(local));
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00::2", &local.addr), 1);
	local.ifindex = 3;
	len = udp_dst_control(AF_INET6, &local, c.buf);
	ck_assert_uint_eq(len, CMSG_SPACE(sizeof(struct in6_pktinfo)));
	ck_assert_int_eq(c.hdr.cmsg_level, IPPROTO_IPV6);
	ck_assert_int_eq(c.hdr.cmsg_type, IPV6_PKTINFO);
	memset(&h, 0, sizeof(h));
	h.msg_control = c.buf;
	h.msg_controllen = len;
	memset(&back, 0, sizeof(back));
	udp_dst_of(&h, &back);
	ck_assert_int_eq(memcmp(&back.addr, &local.addr, 16), 0);
	ck_assert_uint_eq(back.ifindex, 3);
}
END_TEST

#if UDP_DST_MODE == 1
/* A datagram within `ms`, by polling the non-blocking socket. */
static ssize_t
recv_within(int fd, struct msghdr *h, int ms)
{
	ssize_t n;

	while ((n = mio_recvmsg(fd, h, 0)) == -EAGAIN && ms-- > 0)
		test_sleep_ms(1);
	return n;
}

START_TEST(test_kernel_round_trip)
{
	struct mio_addr sa, ca, to, from;
	struct udp_local local;
	struct msghdr h;
	struct iovec iov;
	union ctl c;
	char buf[16], text[64];
	int srv, cli;

	ck_assert_int_eq(mio_addr_parse(&sa, "0.0.0.0:0"), 0);
	ck_assert_int_ge(srv = mio_udp_bind(&sa), 0);
	ck_assert_int_eq(udp_dst_enable(srv), 0);
	ck_assert_int_eq(mio_local_addr(srv, &sa), 0);
	snprintf(text, sizeof(text), "127.0.0.2:%u",
	    (unsigned)ntohs(sa.u.in4.sin_port));
	ck_assert_int_eq(mio_addr_parse(&to, text), 0);
	ck_assert_int_eq(mio_addr_parse(&ca, "127.0.0.1:0"), 0);
	ck_assert_int_ge(cli = mio_udp_bind(&ca), 0);
	ck_assert_int_eq(mio_udp_send_to(cli, "q", 1, &to), 1);

	memset(&h, 0, sizeof(h));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_name = &from.u;
	h.msg_namelen = sizeof(from.u);
	h.msg_control = c.buf;
	h.msg_controllen = sizeof(c.buf);
	ck_assert_int_eq(recv_within(srv, &h, 2000), 1);
	memset(&local, 0, sizeof(local));
	udp_dst_of(&h, &local);
	ck_assert_int_eq(memcmp(&local.addr, &to.u.in4.sin_addr, 4), 0);

	/* The answer, from the address asked. */
	iov.iov_len = 1;
	h.msg_controllen = udp_dst_control(AF_INET, &local, c.buf);
	ck_assert_int_eq(mio_sendmsg(srv, &h, 0), 1);
	memset(&h, 0, sizeof(h));
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_name = &from.u;
	h.msg_namelen = sizeof(from.u);
	ck_assert_int_eq(recv_within(cli, &h, 2000), 1);
	from.len = h.msg_namelen;
	ck_assert_int_eq(mio_addr_equal(&from, &to), 1);
	mio_close(cli);
	mio_close(srv);
}
END_TEST
#endif

#if UDP_DST_MODE == 3
/* Told the destination, unable to answer from it: refused up front. */
START_TEST(test_enable_refused_v4)
{
	struct mio_addr a;
	int fd;

	ck_assert_int_eq(mio_addr_parse(&a, "127.0.0.1:0"), 0);
	ck_assert_int_ge(fd = mio_udp_bind(&a), 0);
	ck_assert_int_eq(udp_dst_enable(fd), -ENOPROTOOPT);
	mio_close(fd);
	ck_assert_int_eq(mio_addr_parse(&a, "[::1]:0"), 0);
	if ((fd = mio_udp_bind(&a)) >= 0) {	/* a host without IPv6 */
		ck_assert_int_eq(udp_dst_enable(fd), 0);
		mio_close(fd);
	}
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("udp_dst");
	TCase *tc = tcase_create("udp_dst");

	tcase_add_test(tc, test_v4_reply_source);
	tcase_add_test(tc, test_v4_request_destination);
	tcase_add_test(tc, test_v6_both_ways);
#if UDP_DST_MODE == 1
	tcase_add_test(tc, test_kernel_round_trip);
#elif UDP_DST_MODE == 3
	tcase_add_test(tc, test_enable_refused_v4);
#endif
	suite_add_tcase(s, tc);
	return tap_main(s);
}
