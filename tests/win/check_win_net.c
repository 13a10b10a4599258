/*
 * The Winsock socket layer (TCP, UDP, Unix, options, extensions) on the
 * IOCP backend, under the check.h shim: the cases of tests/lib's
 * check_net.c, check_udp.c and check_unix.c that Windows has a subject
 * for, with the outcomes libmio(3) documents there.
 */
#include "config.h"

#include "wintest.h"

/* wine exports this from its ntdll; Windows does not. */
static int
under_wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") != NULL;
}

START_TEST(test_tcp_addresses)
{
	struct mio_addr a, local, peer, acc;
	char text[MIO_ADDR_STRLEN];
	mio_sock l = tu_listener("127.0.0.1:0", &a);
	int c, s;

	ck_assert_int_gt(mio_addr_format(&a, text, sizeof(text)), 0);
	ck_assert_int_eq(strncmp(text, "127.0.0.1:", 10), 0);
	c = mio_tcp_connect(&a);
	ck_assert_int_ge(c, 0);
	s = (int)tu_accept(l);
	ck_assert_int_eq(mio_local_addr((mio_sock)c, &local), 0);
	ck_assert_int_eq(mio_peer_addr((mio_sock)s, &peer), 0);
	ck_assert(mio_addr_equal(&local, &peer));
	ck_assert_int_eq(mio_peer_addr((mio_sock)c, &acc), 0);
	ck_assert(mio_addr_equal(&acc, &a));
	ck_assert_int_eq(mio_peer_addr(l, &acc), -ENOTCONN);
	ck_assert_int_eq(mio_tcp_accept(l, NULL), -EAGAIN);
	ck_assert_int_eq(mio_close((mio_sock)c), 0);
	ck_assert_int_eq(mio_close((mio_sock)s), 0);
	ck_assert_int_eq(mio_close(l), 0);
}
END_TEST

START_TEST(test_tcp_listen_errors)
{
	struct mio_addr a, b;
	mio_sock l = tu_listener("127.0.0.1:0", &a);

	ck_assert_int_eq(mio_tcp_listen(&a, 0), -EADDRINUSE);
	ck_assert_int_eq(mio_tcp_listen(NULL, 0), -EINVAL);
	ck_assert_int_eq(mio_addr_parse(&b, "unix:/tmp/x"), 0);
	ck_assert_int_eq(mio_tcp_listen(&b, 0), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_close(l), 0);
}
END_TEST

START_TEST(test_accept_edges)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr a;
	mio_sock l = tu_listener("127.0.0.1:0", &a);
	int c1, c2, s;

	ck_assert_int_eq(mio_register(p, l, 1, MIO_READABLE), 0);
	c1 = mio_tcp_connect(&a);
	ck_assert_int_ge(c1, 0);
	tu_expect(p, 1, MIO_READABLE);
	ck_assert_int_ge(s = mio_tcp_accept(l, NULL), 0);
	ck_assert_int_eq(mio_close((mio_sock)s), 0);
	ck_assert_int_eq(mio_tcp_accept(l, NULL), -EAGAIN);	/* re-arms */
	c2 = mio_tcp_connect(&a);
	ck_assert_int_ge(c2, 0);
	tu_expect(p, 1, MIO_READABLE);
	ck_assert_int_ge(s = mio_tcp_accept(l, NULL), 0);
	ck_assert_int_eq(mio_close((mio_sock)s), 0);
	mio_close((mio_sock)c1);
	mio_close((mio_sock)c2);
	mio_close(l);
	mio_poll_free(p);
}
END_TEST

/* 1 MiB through the edge-driven loop: partial writes, -EAGAIN, re-arm. */
START_TEST(test_tcp_bulk_transfer)
{
	enum { TOTAL = 1 << 20 };
	struct mio_poll *p = tu_poll();
	static unsigned char src[TOTAL], dst[TOTAL];
	struct mio_event ev[4];
	size_t sent = 0, got = 0;
	long long end = tu_now_ms() + 20000;
	mio_sock s[2];
	int i, n;

	for (i = 0; i < TOTAL; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 9));
	tu_tcp_pair(s);
	ck_assert_int_eq(mio_set_send_buffer_size(s[0], 8192), 0);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_WRITABLE), 0);
	ck_assert_int_eq(mio_register(p, s[1], 2, MIO_READABLE), 0);
	while (got < TOTAL) {
		ck_assert_msg(tu_now_ms() < end, "stalled at %u/%u",
		    (unsigned)got, (unsigned)sent);
		n = tu_wait(p, ev, 4, 1000);
		for (i = 0; i < n; i++) {
			ssize_t r;

			if (ev[i].token == 1)
				while (sent < TOTAL && (r = mio_write(s[0],
				    src + sent, TOTAL - sent)) > 0)
					sent += (size_t)r;
			if (ev[i].token == 2)
				while ((r = mio_read(s[1], dst + got,
				    TOTAL - got)) > 0)
					got += (size_t)r;
		}
	}
	ck_assert_mem_eq(src, dst, TOTAL);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_shutdown)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];
	char c;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	tu_put(s[0], "bye");
	ck_assert_int_eq(mio_tcp_shutdown(s[0], SHUT_WR), 0);
	ck_assert_int_eq(mio_tcp_shutdown(s[0], 42), -EINVAL);
	tu_expect(p, 1, MIO_READABLE);
	{
		char b[8];

		ck_assert_int_eq(mio_read(s[1], b, sizeof(b)), 3);
		ck_assert_mem_eq(b, "bye", 3);
	}
	ck_assert_int_eq(mio_read(s[1], &c, 1), 0);
	/* A send after our own shutdown(SHUT_WR): -EPIPE, no signal. */
	ck_assert_int_eq(mio_write(s[0], "x", 1), -EPIPE);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_vectored_and_peek)
{
	struct mio_poll *p = tu_poll();
	struct iovec out[2] = { { "ab", 2 }, { "cdef", 4 } };
	char x[3], y[3], buf[8];
	struct iovec in[2] = { { x, 3 }, { y, 3 } };
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_peek(s[1], buf, 1), -EAGAIN);
	ck_assert_int_eq(mio_writev(s[0], out, 2), 6);
	ck_assert_int_eq(mio_writev(s[0], out, -1), -EINVAL);
	tu_expect(p, 1, MIO_READABLE);
	ck_assert_int_eq(mio_peek(s[1], buf, 2), 2);
	ck_assert_mem_eq(buf, "ab", 2);
	ck_assert_int_eq(mio_readv(s[1], in, 2), 6);
	ck_assert_mem_eq(x, "abc", 3);
	ck_assert_mem_eq(y, "def", 3);
	ck_assert_int_eq(mio_readv(s[1], in, 2), -EAGAIN);
	ck_assert_int_eq(mio_send(s[0], "q", 1), 1);
	tu_expect(p, 1, MIO_READABLE);
	ck_assert_int_eq(mio_recv(s[1], buf, sizeof(buf)), 1);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_options)
{
	mio_sock s[2];
	int v;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_tcp_set_nodelay(s[0], 1), 0);
	ck_assert_int_eq(mio_tcp_nodelay(s[0]), 1);
	ck_assert_int_eq(mio_tcp_set_nodelay(s[0], 0), 0);
	ck_assert_int_eq(mio_tcp_nodelay(s[0]), 0);
	ck_assert_int_eq(mio_tcp_set_keepalive(s[0], 1), 0);
	ck_assert_int_eq(mio_tcp_keepalive(s[0]), 1);
	ck_assert_int_eq(mio_set_ttl(s[0], 33), 0);
	ck_assert_int_eq(mio_ttl(s[0]), 33);
	ck_assert_int_eq(mio_set_recv_buffer_size(s[0], 65536), 0);
	ck_assert_int_ge(v = mio_recv_buffer_size(s[0]), 65536);
	ck_assert_int_eq(mio_set_send_buffer_size(s[0], 32768), 0);
	ck_assert_int_ge(mio_send_buffer_size(s[0]), 32768);
	ck_assert_int_eq(mio_set_nonblocking(s[0], 1), 0);
	ck_assert_int_eq(mio_take_error(s[0]), 0);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], 5), 0);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], -1), 0);
	tu_close_pair(s);
}
END_TEST

START_TEST(test_ipv6_loopback)
{
	struct mio_addr a;
	mio_sock s[2];
	int c;
	mio_sock l;

	{
		struct mio_addr six;
		int t;

		ck_assert_int_eq(mio_addr_parse(&six, "[::1]:0"), 0);
		t = mio_tcp_listen(&six, 4);
		if (t == -EAFNOSUPPORT || t == -EADDRNOTAVAIL)
			tu_skip("no IPv6 loopback on this host (%d)", t);
		ck_assert_int_ge(t, 0);
		l = (mio_sock)t;
		ck_assert_int_eq(mio_local_addr(l, &a), 0);
	}
	ck_assert_int_eq(mio_only_v6(l), 1);
	c = mio_tcp_connect(&a);
	ck_assert_int_ge(c, 0);
	s[0] = (mio_sock)c;
	s[1] = tu_accept(l);
	tu_put(s[0], "six");
	{
		struct mio_poll *p = tu_poll();

		ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
		tu_expect(p, 1, MIO_READABLE);
		ck_assert_int_eq(tu_drain(s[1]), 3);
		mio_poll_free(p);
	}
	tu_close_pair(s);
	mio_close(l);
}
END_TEST

START_TEST(test_udp)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr any, a, b, from;
	char buf[64];
	int u1, u2;

	ck_assert_int_eq(mio_addr_parse(&any, "127.0.0.1:0"), 0);
	ck_assert_int_ge(u1 = mio_udp_bind(&any), 0);
	ck_assert_int_ge(u2 = mio_udp_bind(&any), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)u1, &a), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)u2, &b), 0);
	ck_assert_int_eq(mio_register(p, (mio_sock)u2, 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_udp_recv_from((mio_sock)u2, buf, sizeof(buf),
	    &from), -EAGAIN);
	ck_assert_int_eq(mio_udp_send_to((mio_sock)u1, "datagram", 8, &b), 8);
	ck_assert_int_eq(mio_udp_send_to((mio_sock)u1, "x", 1, NULL),
	    -EINVAL);
	tu_expect(p, 2, MIO_READABLE);
	ck_assert_int_eq(mio_udp_peek_from((mio_sock)u2, buf, sizeof(buf),
	    &from), 8);
	ck_assert(mio_addr_equal(&from, &a));
	/* A short buffer: the datagram is cut, the rest dropped. */
	ck_assert_int_eq(mio_udp_recv_from((mio_sock)u2, buf, 4, &from), 4);
	ck_assert_mem_eq(buf, "data", 4);
	ck_assert_int_eq(mio_udp_recv_from((mio_sock)u2, buf, sizeof(buf),
	    NULL), -EAGAIN);
	/* Connected: send/recv; datagrams from others are dropped. */
	ck_assert_int_eq(mio_udp_connect((mio_sock)u1, &b), 0);
	ck_assert_int_eq(mio_udp_connect((mio_sock)u2, &a), 0);
	ck_assert_int_eq(mio_send((mio_sock)u1, "hello", 5), 5);
	tu_expect(p, 2, MIO_READABLE);
	ck_assert_int_eq(mio_recv((mio_sock)u2, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	/* Dissolved: no peer any more. */
	ck_assert_int_eq(mio_udp_connect((mio_sock)u1, NULL), 0);
	ck_assert_int_eq(mio_peer_addr((mio_sock)u1, &from), -ENOTCONN);
	ck_assert_int_eq(mio_udp_set_broadcast((mio_sock)u1, 1), 0);
	ck_assert_int_eq(mio_udp_broadcast((mio_sock)u1), 1);
	ck_assert_int_eq(mio_udp_set_multicast_ttl_v4((mio_sock)u1, 3), 0);
	ck_assert_int_eq(mio_udp_multicast_ttl_v4((mio_sock)u1), 3);
	ck_assert_int_eq(mio_close((mio_sock)u1), 0);
	ck_assert_int_eq(mio_close((mio_sock)u2), 0);
	mio_poll_free(p);
}
END_TEST

/* An ICMP port unreachable never fails an unconnected socket's receive
 * (SIO_UDP_CONNRESET is turned off), as on Linux. */
START_TEST(test_udp_icmp_quiet)
{
	struct mio_addr any, gone;
	char buf[8];
	int u, v;

	ck_assert_int_eq(mio_addr_parse(&any, "127.0.0.1:0"), 0);
	ck_assert_int_ge(v = mio_udp_bind(&any), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)v, &gone), 0);
	ck_assert_int_eq(mio_close((mio_sock)v), 0);
	ck_assert_int_ge(u = mio_udp_bind(&any), 0);
	ck_assert_int_eq(mio_udp_send_to((mio_sock)u, "?", 1, &gone), 1);
	Sleep(50);
	ck_assert_int_eq(mio_udp_recv_from((mio_sock)u, buf, sizeof(buf),
	    NULL), -EAGAIN);
	ck_assert_int_eq(mio_close((mio_sock)u), 0);
}
END_TEST

START_TEST(test_unix_sockets)
{
	struct mio_addr a;
	mio_sock pair[2];
	int rc;

	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, pair), -ENOTSUP);
	ck_assert_int_eq(mio_unix_pair(99, pair), -EINVAL);
	ck_assert_int_eq(mio_unix_dgram_unbound(), -ENOTSUP);
	ck_assert_int_eq(mio_addr_parse(&a, "unix:mio-win-test.sock"), 0);
	ck_assert_int_eq(mio_unix_dgram_bind(&a), -ENOTSUP);
	DeleteFileA("mio-win-test.sock");
	rc = mio_unix_listen(&a, 0);
	if (under_wine()) {
		/* wine 8 has no AF_UNIX: Windows 10 1803 and later do. */
		ck_assert_int_eq(rc, -EAFNOSUPPORT);
		tu_skip("wine 8 has no AF_UNIX sockets (-EAFNOSUPPORT checked)");
	}
	ck_assert_int_ge(rc, 0);
	{
		struct mio_poll *p = tu_poll();
		int c = mio_unix_connect(&a), s;

		ck_assert_int_ge(c, 0);
		ck_assert_int_eq(mio_register(p, (mio_sock)rc, 1,
		    MIO_READABLE), 0);
		tu_expect(p, 1, MIO_READABLE);
		ck_assert_int_ge(s = mio_unix_accept((mio_sock)rc, NULL), 0);
		mio_close((mio_sock)s);
		mio_close((mio_sock)c);
		mio_close((mio_sock)rc);
		mio_poll_free(p);
		DeleteFileA("mio-win-test.sock");
	}
}
END_TEST

START_TEST(test_extensions_not_supported)
{
	mio_sock s[2];
	char b;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_sendmsg(s[0], NULL, 0), -EINVAL);
	ck_assert_int_eq(mio_recvmsg(s[0], (struct msghdr *)&b, 0), -ENOTSUP);
	ck_assert_int_eq(mio_sendmmsg(s[0], NULL, 0, 0), -ENOTSUP);
	ck_assert_int_eq(mio_recvmmsg(s[0], NULL, 0, 0), -ENOTSUP);
	ck_assert_int_eq(mio_splice(s[0], s[1], 1, 0), -ENOTSUP);
	tu_close_pair(s);
}
END_TEST

START_TEST(test_handle_fits_int)
{
	struct mio_addr any;
	int u[64], i;

	/* Every socket libmio returns is a non-negative int that names a
	 * live SOCKET. */
	ck_assert_int_eq(mio_addr_parse(&any, "127.0.0.1:0"), 0);
	for (i = 0; i < 64; i++) {
		u[i] = mio_udp_bind(&any);
		ck_assert_int_ge(u[i], 0);
		ck_assert_int_eq(mio_udp_broadcast((mio_sock)u[i]), 0);
	}
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(mio_close((mio_sock)u[i]), 0);
	ck_assert_int_eq(mio_udp_broadcast((mio_sock)u[0]), -ENOTSOCK);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net-winsock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tcp_addresses);
	tcase_add_test(tc, test_tcp_listen_errors);
	tcase_add_test(tc, test_accept_edges);
	tcase_add_test(tc, test_tcp_bulk_transfer);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_vectored_and_peek);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_ipv6_loopback);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_udp_icmp_quiet);
	tcase_add_test(tc, test_unix_sockets);
	tcase_add_test(tc, test_extensions_not_supported);
	tcase_add_test(tc, test_handle_fits_int);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tap_main(net_suite());
}
