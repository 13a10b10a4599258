/*
 * UDP through libmio, on loopback, once per backend: unconnected and
 * connected exchanges on IPv4 and IPv6, foreign datagrams dropped by a
 * connected socket, empty and truncated datagrams, peek, and the
 * broadcast, TTL and multicast options.
 */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>

#include "nettest.h"

static mio_sock
bind_any(const char *text)
{
	struct mio_addr a = nt_addr(text);
	int s = mio_udp_bind(&a);

	ck_assert_msg(s >= 0, "bind %s: %s", text, mio_strerror(s));
	nt_assert_flags(s);
	return s;
}

static const char *const hosts[] = { "127.0.0.1:0", "[::1]:0" };


START_TEST(test_unconnected_exchange)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr aa, ba, from;
	char b1[MIO_ADDR_STRLEN], b2[MIO_ADDR_STRLEN], buf[64];
	mio_sock a, b;

	a = bind_any(hosts[_i]);
	b = bind_any(hosts[_i]);
	ck_assert_int_eq(mio_local_addr(a, &aa), 0);
	ck_assert_int_eq(mio_local_addr(b, &ba), 0);
	ck_assert_int_eq(mio_register(p, b, 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from),
	    -EAGAIN);
	ck_assert_int_eq(mio_udp_send_to(a, "ping", 4, &ba), 4);
	ck_assert_int_eq(mio_udp_send_to(a, "pong", 4, &ba), 4);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	/* Datagram boundaries hold; the source is a's address. */
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_str_eq(nt_fmt(&from, b1), nt_fmt(&aa, b2));
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), NULL), 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from),
	    -EAGAIN);
	/* Drained: the next datagram is a new event. */
	nt_quiet(p, NT_QUIET_MS);
	ck_assert_int_eq(mio_udp_send_to(a, "again", 5, &ba), 5);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	/* Reply to whoever sent. */
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from), 5);
	ck_assert_int_eq(mio_udp_send_to(b, buf, 5, &from), 5);
	ck_assert_int_eq(mio_deregister(p, b), 0);
	ck_assert_int_eq(mio_register(p, a, 1, MIO_READABLE), 0);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_udp_recv_from(a, buf, sizeof(buf), &from), 5);
	ck_assert_int_eq(memcmp(buf, "again", 5), 0);
	ck_assert_str_eq(nt_fmt(&from, b1), nt_fmt(&ba, b2));
	mio_close(a);
	mio_close(b);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_connected_exchange)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr aa, ba;
	char b1[MIO_ADDR_STRLEN], b2[MIO_ADDR_STRLEN], buf[64];
	mio_sock a, b;

	a = bind_any(hosts[_i]);
	b = bind_any(hosts[_i]);
	ck_assert_int_eq(mio_local_addr(a, &aa), 0);
	ck_assert_int_eq(mio_local_addr(b, &ba), 0);
	ck_assert_int_eq(mio_peer_addr(a, &ba), -ENOTCONN);
	ck_assert_int_eq(mio_udp_connect(a, &ba), 0);
	ck_assert_int_eq(mio_udp_connect(b, &aa), 0);
	ck_assert_str_eq(nt_name(a, 1, b1), nt_fmt(&ba, b2));
	ck_assert_int_eq(mio_register(p, b, 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_send(a, "hello", 5), 5);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_peek(b, buf, sizeof(buf)), 5);
	ck_assert_int_eq(mio_recv(b, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(mio_recv(b, buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(mio_peek(b, buf, sizeof(buf)), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	/* write/read work on connected datagram sockets too. */
	ck_assert_int_eq(mio_write(b, "back", 4), 4);
	ck_assert_int_eq(mio_send(a, "more", 4), 4);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_read(b, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "more", 4), 0);
	nt_get(a, buf, 4);
	ck_assert_int_eq(memcmp(buf, "back", 4), 0);
	/* Dissolving the association: no peer any more. */
	ck_assert_int_eq(mio_udp_connect(a, NULL), 0);
	ck_assert_int_eq(mio_peer_addr(a, &ba), -ENOTCONN);
	ck_assert_int_eq(mio_send(a, "x", 1), -EDESTADDRREQ);
	mio_close(a);
	mio_close(b);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_foreign_dropped)
{
	struct mio_addr aa, ba;
	struct mio_addr from;
	char b1[MIO_ADDR_STRLEN], b2[MIO_ADDR_STRLEN], buf[16];
	mio_sock a, b, c;

	a = bind_any(hosts[_i]);
	b = bind_any(hosts[_i]);
	c = bind_any(hosts[_i]);
	ck_assert_int_eq(mio_local_addr(a, &aa), 0);
	ck_assert_int_eq(mio_local_addr(b, &ba), 0);
	ck_assert_int_eq(mio_udp_connect(b, &aa), 0);
	ck_assert_int_eq(mio_udp_send_to(c, "foreign", 7, &ba), 7);
	ck_assert_int_eq(mio_udp_send_to(a, "friend", 6, &ba), 6);
	test_sleep_ms(20);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from), 6);
	ck_assert_int_eq(memcmp(buf, "friend", 6), 0);
	ck_assert_str_eq(nt_fmt(&from, b1), nt_fmt(&aa, b2));
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from),
	    -EAGAIN);
	mio_close(a);
	mio_close(b);
	mio_close(c);
}
END_TEST

START_TEST(test_empty_and_truncated)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr ba, from;
	char buf[16];
	mio_sock a, b;

	a = bind_any(hosts[_i]);
	b = bind_any(hosts[_i]);
	ck_assert_int_eq(mio_local_addr(b, &ba), 0);
	ck_assert_int_eq(mio_register(p, b, 2, MIO_READABLE), 0);
	/* An empty datagram is a datagram: 0 is not end of stream. */
	ck_assert_int_eq(mio_udp_send_to(a, "", 0, &ba), 0);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_udp_peek_from(b, buf, sizeof(buf), &from), 0);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from), 0);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, sizeof(buf), &from),
	    -EAGAIN);
	/* A short buffer takes the head; the tail is dropped. */
	ck_assert_int_eq(mio_udp_send_to(a, "0123456789", 10, &ba), 10);
	ck_assert_int_eq(mio_udp_send_to(a, "next", 4, &ba), 4);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	test_sleep_ms(10);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(mio_udp_peek_from(b, buf, 3, NULL), 3);
	ck_assert_int_eq(memcmp(buf, "012", 3), 0);
	ck_assert_int_eq(mio_udp_recv_from(b, buf, 4, &from), 4);
	ck_assert_int_eq(memcmp(buf, "0123", 4), 0);
	ck_assert_int_eq(mio_recv(b, buf, 2), 2);
	ck_assert_int_eq(memcmp(buf, "ne", 2), 0);
	ck_assert_int_eq(mio_recv(b, buf, sizeof(buf)), -EAGAIN);
	mio_close(a);
	mio_close(b);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_udp_errors)
{
	struct mio_addr a = nt_addr("127.0.0.1:0"), un = nt_addr("unix:@x");
	char buf[4];
	mio_sock s = bind_any("127.0.0.1:0");

	ck_assert_int_eq(mio_udp_bind(NULL), -EINVAL);
	ck_assert_int_eq(mio_udp_bind(&un), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_udp_connect(s, &un), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_udp_send_to(s, "x", 1, NULL), -EINVAL);
	ck_assert_int_eq(mio_udp_send_to(0x7fff, "x", 1, &a), NOT_A_SOCKET);
	ck_assert_int_eq(mio_udp_recv_from(0x7fff, buf, 4, NULL),
	    NOT_A_SOCKET);
	/* Port 0 is no destination. */
	ck_assert_int_eq(mio_udp_send_to(s, "x", 1, &a), -EINVAL);
	/* An IPv4 socket cannot reach an IPv6 address. */
	a = nt_addr("[::1]:9");
#ifdef _WIN32
	{
		/* Windows documents WSAEAFNOSUPPORT; wine 8 says
		 * WSAEOPNOTSUPP. */
		ssize_t n = mio_udp_send_to(s, "x", 1, &a);

		ck_assert_msg(n == -EAFNOSUPPORT || n == -EOPNOTSUPP,
		    "send_to IPv6 from IPv4: %d", (int)n);
	}
#else
	ck_assert_int_eq(mio_udp_send_to(s, "x", 1, &a), -EAFNOSUPPORT);
#endif
	ck_assert_int_eq(mio_local_addr(s, &a), 0);
	ck_assert_int_eq(mio_udp_bind(&a), -EADDRINUSE);
	mio_close(s);
}
END_TEST

/*
 * A socket on `host`, registered with p as token 1 for reading and
 * connected to a port nobody listens on (*dead), that has sent one
 * datagram there and had the error event of the ICMP refusal.
 */
static mio_sock
refused_socket(struct mio_poll *p, const char *host, struct mio_addr *dead)
{
	mio_sock a, b;
	uint32_t f;

	b = bind_any(host);
	ck_assert_int_eq(mio_local_addr(b, dead), 0);
	mio_close(b);
	a = bind_any(host);
	ck_assert_int_eq(mio_udp_connect(a, dead), 0);
	ck_assert_int_eq(mio_register(p, a, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_send(a, "x", 1), 1);
	f = nt_wait(p, 1, MIO_ERROR, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_ERROR, MIO_ERROR);
	return a;
}

/* ICMP port unreachable on a connected socket: an error event. */
START_TEST(test_connected_refused)
{
#ifdef _WIN32
	tu_skip("Windows: SIO_UDP_CONNRESET is off on every UDP socket, so "
	    "an ICMP refusal raises no error (libmio(3), WINDOWS)");
#endif
	struct mio_poll *p = tu_poll();
	struct mio_addr dead;
	char buf[4];
	mio_sock a = refused_socket(p, hosts[_i], &dead);

	ck_assert_int_eq(mio_recv(a, buf, sizeof(buf)),
	    nt_error_taken_by_event() ? -EAGAIN : -ECONNREFUSED);
	ck_assert_int_eq(mio_recv(a, buf, sizeof(buf)), -EAGAIN);
	mio_close(a);
	mio_poll_free(p);
}
END_TEST

/*
 * After an error event (the ICMP refusal) taken with mio_take_error(),
 * without a read to -EAGAIN: the next datagram still raises an event,
 * on every backend (poll(2) silences a slot on an error until the error
 * is consumed).
 */
START_TEST(test_refused_then_readable_after_take_error)
{
#ifdef _WIN32
	tu_skip("Windows: SIO_UDP_CONNRESET is off on every UDP socket, so "
	    "an ICMP refusal raises no error (libmio(3), WINDOWS)");
#endif
	struct mio_poll *p = tu_poll();
	struct mio_addr dead, mine;
	char buf[4];
	mio_sock a = refused_socket(p, hosts[_i], &dead), b;
	uint32_t f;

	ck_assert_int_eq(mio_local_addr(a, &mine), 0);
	ck_assert_int_eq(mio_take_error(a),
	    nt_error_taken_by_event() ? 0 : -ECONNREFUSED);
	/* The server comes back, and answers. */
	b = mio_udp_bind(&dead);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(mio_udp_send_to(b, "back", 4, &mine), 4);
	f = nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_READABLE, MIO_READABLE);
	ck_assert_int_eq(mio_recv(a, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "back", 4), 0);
	mio_close(a);
	mio_close(b);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_options)
{
	mio_sock s4 = bind_any("127.0.0.1:0"), s6 = bind_any("[::1]:0");

	ck_assert_int_eq(mio_udp_broadcast(s4), 0);
	ck_assert_int_eq(mio_udp_set_broadcast(s4, 1), 0);
	ck_assert_int_eq(mio_udp_broadcast(s4), 1);
	ck_assert_int_eq(mio_udp_set_broadcast(s4, 0), 0);
	ck_assert_int_eq(mio_udp_broadcast(s4), 0);

	ck_assert_int_eq(mio_set_ttl(s4, 3), 0);
	ck_assert_int_eq(mio_ttl(s4), 3);
	ck_assert_int_eq(mio_set_ttl(s6, 200), 0);
	ck_assert_int_eq(mio_ttl(s6), 200);
	ck_assert_int_eq(mio_only_v6(s6), 1);
	ck_assert_int_eq(mio_only_v6(s4), -ENOPROTOOPT);

	ck_assert_int_eq(mio_udp_multicast_loop_v4(s4), 1);	/* default */
	ck_assert_int_eq(mio_udp_set_multicast_loop_v4(s4, 0), 0);
	ck_assert_int_eq(mio_udp_multicast_loop_v4(s4), 0);
	ck_assert_int_eq(mio_udp_multicast_ttl_v4(s4), 1);	/* default */
	ck_assert_int_eq(mio_udp_set_multicast_ttl_v4(s4, 8), 0);
	ck_assert_int_eq(mio_udp_multicast_ttl_v4(s4), 8);
	ck_assert_int_eq(mio_udp_set_multicast_ttl_v4(s4, 256), -EINVAL);

	ck_assert_int_eq(mio_udp_multicast_loop_v6(s6), 1);	/* default */
	ck_assert_int_eq(mio_udp_set_multicast_loop_v6(s6, 0), 0);
	ck_assert_int_eq(mio_udp_multicast_loop_v6(s6), 0);
	ck_assert_int_eq(mio_udp_multicast_hops_v6(s6), 1);	/* default */
	ck_assert_int_eq(mio_udp_set_multicast_hops_v6(s6, 5), 0);
	ck_assert_int_eq(mio_udp_multicast_hops_v6(s6), 5);
	ck_assert_int_eq(mio_udp_set_multicast_hops_v6(s6, 256), -EINVAL);
	/* Options of the other family. */
#ifdef _WIN32
	/* Winsock (wine 8 at least) says WSAEINVAL for an IPv6 option on
	 * an IPv4 socket. */
	ck_assert_int_eq(mio_udp_set_multicast_hops_v6(s4, 5), -EINVAL);
#else
	ck_assert_int_eq(mio_udp_set_multicast_hops_v6(s4, 5), -ENOPROTOOPT);
#endif
	mio_close(s4);
	mio_close(s6);
}
END_TEST

/*
 * Joining on an explicit interface does not depend on routes: IPv4 on
 * the interface that holds 127.0.0.1, IPv6 on lo's index.  Linux allows
 * both even though lo has no IFF_MULTICAST.  (A join on INADDR_ANY or
 * index 0 depends on the routing table and is not tested.)
 */
START_TEST(test_multicast_membership)
{
#ifdef _WIN32
	tu_skip("joins on the interface named lo: Windows has none (its "
	    "loopback is loopback_N)");
#endif
	struct in_addr g4, lo4;
	struct in6_addr g6;
	unsigned lo = if_nametoindex("lo");
	mio_sock s4 = bind_any("0.0.0.0:0"), s6 = bind_any("[::]:0");

	ck_assert_uint_gt(lo, 0);
	ck_assert_int_eq(inet_pton(AF_INET, "239.255.77.1", &g4), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &lo4), 1);
	ck_assert_int_eq(mio_udp_join_multicast_v4(s4, &g4, &lo4), 0);
	ck_assert_int_eq(mio_udp_join_multicast_v4(s4, &g4, &lo4),
	    -EADDRINUSE);
	ck_assert_int_eq(mio_udp_leave_multicast_v4(s4, &g4, &lo4), 0);
	ck_assert_int_eq(mio_udp_leave_multicast_v4(s4, &g4, &lo4),
	    -EADDRNOTAVAIL);
	/* Not a multicast group. */
	ck_assert_int_eq(mio_udp_join_multicast_v4(s4, &lo4, &lo4), -EINVAL);
	ck_assert_int_eq(mio_udp_join_multicast_v4(s4, NULL, &lo4), -EINVAL);

	ck_assert_int_eq(inet_pton(AF_INET6, "ff02::1:77", &g6), 1);
	ck_assert_int_eq(mio_udp_join_multicast_v6(s6, &g6, lo), 0);
	ck_assert_int_eq(mio_udp_join_multicast_v6(s6, &g6, lo),
	    -EADDRINUSE);
	ck_assert_int_eq(mio_udp_leave_multicast_v6(s6, &g6, lo), 0);
	ck_assert_int_eq(mio_udp_leave_multicast_v6(s6, &g6, lo),
	    -EADDRNOTAVAIL);
	ck_assert_int_eq(mio_udp_join_multicast_v6(s6, &g6, 4000000000u),
	    -ENODEV);
	ck_assert_int_eq(mio_udp_join_multicast_v6(s6, NULL, lo), -EINVAL);
	mio_close(s4);
	mio_close(s6);
}
END_TEST

static Suite *
udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("udp");

	tcase_set_timeout(tc, 30);
	/* The looped tests run for IPv4 (_i == 0) and IPv6 (_i == 1). */
	tcase_add_loop_test(tc, test_unconnected_exchange, 0, 2);
	tcase_add_loop_test(tc, test_connected_exchange, 0, 2);
	tcase_add_loop_test(tc, test_foreign_dropped, 0, 2);
	tcase_add_loop_test(tc, test_empty_and_truncated, 0, 2);
	tcase_add_loop_test(tc, test_connected_refused, 0, 2);
	tcase_add_loop_test(tc, test_refused_then_readable_after_take_error, 0, 2);
	tcase_add_test(tc, test_udp_errors);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_multicast_membership);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(udp_suite());
}
