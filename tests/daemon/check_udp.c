/*
 * mioproxy's UDP forwarding, end to end: the real binary, UDP echo
 * servers and clients of the test's own, all on loopback.  Runs once per
 * libmio backend.
 */
#include "config.h"

#include "../common.h"
#include "proxytest.h"

#define UDP_HEAD							\
	"version: 1\n"							\
	"logging: { level: debug, access: { target: ACCESS_LOG, format: json } }\n"

START_TEST(test_request_reply_v4_v6)
{
	struct pt_uecho e4, e6;
	struct pt_proxy p;
	int port4 = pt_free_port(SOCK_DGRAM), port6 = pt_free_port(SOCK_DGRAM);
	int c4, c6, from_port;
	char buf[64], from[64];

	pt_uecho_start(&e4, AF_INET, -1);
	pt_uecho_start(&e6, AF_INET6, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: u4, protocol: udp, bind: 127.0.0.1:%d, upstream: v4 }\n"
	    "  - { name: u6, protocol: udp, bind: \"[::1]:%d\", upstream: v6 }\n"
	    "upstreams:\n"
	    "  v4: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  v6: { servers: [ { address: \"[::1]:%d\" } ] }\n",
	    port4, port6, e4.port, e6.port);
	c4 = pt_udp_socket(AF_INET, 0, NULL);
	c6 = pt_udp_socket(AF_INET6, 0, NULL);
	pt_udp_send(c4, "127.0.0.1", port4, "four", 4);
	ck_assert_int_eq(pt_udp_recv(c4, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 4);
	ck_assert_int_eq(memcmp(buf, "four", 4), 0);
	ck_assert_str_eq(from, "127.0.0.1");
	ck_assert_int_eq(from_port, port4);
	pt_udp_send(c6, "::1", port6, "six!", 4);
	ck_assert_int_eq(pt_udp_recv(c6, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 4);
	ck_assert_int_eq(memcmp(buf, "six!", 4), 0);
	ck_assert_str_eq(from, "::1");
	ck_assert_int_eq(from_port, port6);
	/* The same client again: the same session. */
	pt_udp_send(c4, "127.0.0.1", port4, "more", 4);
	ck_assert_int_eq(pt_udp_recv(c4, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 4);
	close(c4);
	close(c6);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* One session per client, each logged with its datagram counts. */
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"listener\":\"u4\","
	    "\"proto\":\"udp\""));
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"bytes_in\":8,"
	    "\"bytes_out\":8,\"datagrams_in\":2,\"datagrams_out\":2,"
	    "\"end\":\"shutdown\""));
	pt_uecho_stop(&e4);
	pt_uecho_stop(&e6);
}
END_TEST

START_TEST(test_many_clients_own_replies)
{
	enum { N = 500 };
	static int fds[N];
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), i;
	char msg[32], buf[64];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: many, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	/*
	 * 500 sessions live at once, opened in waves of 50 so that no
	 * socket buffer on the way (each is about 200 KiB) has to hold
	 * them all: UDP would drop, by design, what does not fit.
	 */
	for (i = 0; i < N; i++) {
		int len = snprintf(msg, sizeof(msg), "client-%d", i);

		fds[i] = pt_udp_socket(AF_INET, 0, NULL);
		pt_udp_send(fds[i], "127.0.0.1", port, msg, (size_t)len);
		if (i % 50 == 49)
			test_sleep_ms(20);
	}
	/* Each gets its own answer, and nothing else. */
	for (i = 0; i < N; i++) {
		int len = snprintf(msg, sizeof(msg), "client-%d", i);
		ssize_t n = pt_udp_recv(fds[i], buf, sizeof(buf), PT_WAIT_MS,
		    NULL, NULL);

		ck_assert_int_eq(n, len);
		ck_assert_int_eq(memcmp(buf, msg, (size_t)len), 0);
		ck_assert_int_eq(pt_udp_recv(fds[i], buf, sizeof(buf), 0, NULL,
		    NULL), -1);
		close(fds[i]);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_session_expiry_and_responses)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int c;
	char buf[64];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - name: short\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { session_timeout: 300ms }\n"
	    "  - name: dns\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { responses: 1 }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, port2, e.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.1", port, "idle", 4);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 4);
	pt_udp_send(c, "127.0.0.1", port2, "q", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 1);
	test_sleep_ms(800);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"listener\":\"short\""));
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"end\":\"session_timeout\""));
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"end\":\"responses\""));
	ck_assert_ptr_null(strstr(p.access_text, "\"end\":\"shutdown\""));
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_eviction_at_max_sessions)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c[3], i;
	char buf[64];
	const char *at;
	int evicted = 0;

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - name: two\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { max_sessions: 2 }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	for (i = 0; i < 3; i++) {
		c[i] = pt_udp_socket(AF_INET, 0, NULL);
		pt_udp_send(c[i], "127.0.0.1", port, "hi", 2);
		ck_assert_int_eq(pt_udp_recv(c[i], buf, sizeof(buf),
		    PT_WAIT_MS, NULL, NULL), 2);
		/* Client 1 stays the most recent: client 2 goes, not 1. */
		if (i == 1) {
			pt_udp_send(c[0], "127.0.0.1", port, "me", 2);
			ck_assert_int_eq(pt_udp_recv(c[0], buf, sizeof(buf),
			    PT_WAIT_MS, NULL, NULL), 2);
		}
	}
	for (i = 0; i < 3; i++)
		close(c[i]);
	ck_assert_int_eq(pt_stop(&p), 0);
	for (at = p.access_text; (at = strstr(at, "\"end\":\"evicted\"")) !=
	    NULL; at++)
		evicted++;
	ck_assert_int_eq(evicted, 1);
	/* The evicted one is the session of one datagram each way. */
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"datagrams_in\":1,"
	    "\"datagrams_out\":1,\"end\":\"evicted\""));
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_largest_and_empty_datagrams)
{
	enum { BIG = 65507 };
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c, i, size = 1 << 20;
	static char out[BIG], in[BIG + 16];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: big, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	for (i = 0; i < BIG; i++)
		out[i] = (char)(i * 7 + 3);
	c = pt_udp_socket(AF_INET, 0, NULL);
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	pt_udp_send(c, "127.0.0.1", port, out, BIG);
	ck_assert_int_eq(pt_udp_recv(c, in, sizeof(in), PT_WAIT_MS, NULL,
	    NULL), BIG);
	ck_assert_int_eq(memcmp(in, out, BIG), 0);
	/* An empty datagram is a datagram. */
	pt_udp_send(c, "127.0.0.1", port, "", 0);
	ck_assert_int_eq(pt_udp_recv(c, in, sizeof(in), PT_WAIT_MS, NULL,
	    NULL), 0);
	/* Never merged: three in a row come back as three. */
	pt_udp_send(c, "127.0.0.1", port, "a", 1);
	pt_udp_send(c, "127.0.0.1", port, "bb", 2);
	pt_udp_send(c, "127.0.0.1", port, "ccc", 3);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(pt_udp_recv(c, in, sizeof(in), PT_WAIT_MS,
		    NULL, NULL), i);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_reply_source_on_wildcard)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c, from_port;
	char buf[16], from[64];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: any, protocol: udp, bind: 0.0.0.0:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	/* Sent to 127.0.0.2: the reply comes from 127.0.0.2. */
	pt_udp_send(c, "127.0.0.2", port, "src", 3);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 3);
	ck_assert_str_eq(from, "127.0.0.2");
	ck_assert_int_eq(from_port, port);
	close(c);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.3", port, "src", 3);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 3);
	ck_assert_str_eq(from, "127.0.0.3");
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_server_unreachable)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), dead = pt_free_port(SOCK_DGRAM);
	int c, i;
	char buf[16];

	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: gone, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, dead);
	c = pt_udp_socket(AF_INET, 0, NULL);
	/* The ICMP port unreachable ends the session; nothing comes back. */
	for (i = 0; i < 3; i++) {
		pt_udp_send(c, "127.0.0.1", port, "anyone", 6);
		ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), 200, NULL,
		    NULL), -1);
	}
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"end\":\"server_unreachable\""));
}
END_TEST

START_TEST(test_reload_keeps_udp_sessions)
{
	struct pt_uecho a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c, fresh;
	char buf[16];

	pt_uecho_start(&a, AF_INET, 'A');
	pt_uecho_start(&b, AF_INET, 'B');
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, a.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.1", port, "x", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	ck_assert_int_eq(buf[0], 'A');
	/* The new file sends new sessions to B. */
	pt_reload(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, b.port);
	/* Traffic in between, and a second reload: the socket the session
	 * replies through has been handed over twice. */
	pt_udp_send(c, "127.0.0.1", port, "w", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	ck_assert_int_eq(kill(p.pid, SIGHUP), 0);	/* the same file */
	ck_assert(pt_wait_notify(&p, "RELOADING=1", PT_WAIT_MS));
	ck_assert(pt_wait_notify(&p, "READY=1", PT_WAIT_MS));
	/* The live session keeps its server... */
	pt_udp_send(c, "127.0.0.1", port, "y", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	ck_assert_int_eq(buf[0], 'A');
	/* ...while a new client follows the new file. */
	fresh = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(fresh, "127.0.0.1", port, "z", 1);
	ck_assert_int_eq(pt_udp_recv(fresh, buf, sizeof(buf), PT_WAIT_MS,
	    NULL, NULL), 2);
	ck_assert_int_eq(buf[0], 'B');
	close(c);
	close(fresh);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&a);
	pt_uecho_stop(&b);
}
END_TEST

START_TEST(test_source_hash_sticks_across_sessions)
{
	struct pt_uecho e[3];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), i, first = -1;
	char buf[16];

	for (i = 0; i < 3; i++)
		pt_uecho_start(&e[i], AF_INET, i);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - name: sticky\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { responses: 1 }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    balance: source_hash\n"
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n",
	    port, e[0].port, e[1].port, e[2].port);
	/* A new session (new socket, new port) each time: same server. */
	for (i = 0; i < 6; i++) {
		int c = pt_udp_socket(AF_INET, 0, NULL);

		pt_udp_send(c, "127.0.0.1", port, "h", 1);
		ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS,
		    NULL, NULL), 2);
		if (first < 0)
			first = buf[0];
		ck_assert_int_eq(buf[0], first);
		close(c);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	for (i = 0; i < 3; i++)
		pt_uecho_stop(&e[i]);
}
END_TEST

START_TEST(test_reply_source_on_wildcard_v6)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c, from_port;
	char buf[16], from[64];

	pt_uecho_start(&e, AF_INET6, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: any6, protocol: udp, bind: \"[::]:%d\", upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: \"[::1]:%d\" } ] }\n",
	    port, e.port);
	c = pt_udp_socket(AF_INET6, 0, NULL);
	pt_udp_send(c, "::1", port, "six", 3);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 3);
	ck_assert_str_eq(from, "::1");
	ck_assert_int_eq(from_port, port);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_removed_listener_drains)
{
	struct pt_uecho a;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int c, late;
	char buf[16];

	pt_uecho_start(&a, AF_INET, 'A');
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: old, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, port2, a.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.1", port, "x", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	/* The listener goes away in the new file. */
	pt_reload(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port2, a.port);
	/* Its live session still works... */
	pt_udp_send(c, "127.0.0.1", port, "y", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	/* ...but it takes no new client. */
	late = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(late, "127.0.0.1", port, "z", 1);
	ck_assert_int_eq(pt_udp_recv(late, buf, sizeof(buf), 300, NULL, NULL),
	    -1);
	/* Named again while it drains: the socket is taken back. */
	pt_reload(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: old, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, port2, a.port);
	pt_udp_send(late, "127.0.0.1", port, "z", 1);
	ck_assert_int_eq(pt_udp_recv(late, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	pt_udp_send(c, "127.0.0.1", port, "y", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	close(late);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_null(strstr(p.log_text, "reload failed"));
	pt_uecho_stop(&a);
}
END_TEST

/*
 * One client writes to two of the host's addresses on a wildcard bind
 * before either reply is back: two sessions, and each reply leaves from
 * the address its request went to (the proxy is stopped meanwhile, so
 * both requests are in one batch and both replies come after both).
 */
START_TEST(test_wildcard_two_addresses_in_flight)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c, i, from_port;
	char buf[16], from[64];
	int got2 = 0, got3 = 0;

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: any, protocol: udp, bind: 0.0.0.0:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	ck_assert_int_eq(kill(p.pid, SIGSTOP), 0);
	pt_udp_send(c, "127.0.0.2", port, "2", 1);
	pt_udp_send(c, "127.0.0.3", port, "3", 1);
	test_sleep_ms(100);
	ck_assert_int_eq(kill(p.pid, SIGCONT), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS,
		    from, &from_port), 1);
		ck_assert_int_eq(from_port, port);
		if (buf[0] == '2') {
			ck_assert_str_eq(from, "127.0.0.2");
			got2++;
		} else {
			ck_assert_int_eq(buf[0], '3');
			ck_assert_str_eq(from, "127.0.0.3");
			got3++;
		}
	}
	ck_assert_int_eq(got2, 1);
	ck_assert_int_eq(got3, 1);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

/*
 * A session of the old generation whose server went away, after a reload
 * that shrank the upstream to one server: the failure is counted against
 * the session's own generation (its server index does not exist in the
 * new one; ASan saw the write past the array before the fix).
 */
START_TEST(test_unreachable_after_reload_shrinks_upstream)
{
	struct pt_uecho a, b, c3, t;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), cl[3], victim = -1, i;
	char buf[16];

	pt_uecho_start(&a, AF_INET, 'A');
	pt_uecho_start(&b, AF_INET, 'B');
	pt_uecho_start(&c3, AF_INET, 'C');
	pt_uecho_start(&t, AF_INET, 'T');
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: u, protocol: udp, bind: 127.0.0.1:%d, upstream: up }\n"
	    "upstreams:\n"
	    "  up: { servers: [ { address: 127.0.0.1:%d }, "
	    "{ address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ] }\n",
	    port, a.port, b.port, c3.port);
	for (i = 0; i < 3; i++) {
		cl[i] = pt_udp_socket(AF_INET, 0, NULL);
		pt_udp_send(cl[i], "127.0.0.1", port, "x", 1);
		ck_assert_int_eq(pt_udp_recv(cl[i], buf, sizeof(buf),
		    PT_WAIT_MS, NULL, NULL), 2);
		if (buf[0] == 'C')
			victim = cl[i];
	}
	ck_assert_int_ne(victim, -1);
	pt_uecho_stop(&c3);		/* its port answers with ICMP now */
	pt_reload(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: u, protocol: udp, bind: 127.0.0.1:%d, upstream: up }\n"
	    "upstreams:\n"
	    "  up: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, t.port);
	ck_assert_int_eq(kill(p.pid, SIGSTOP), 0);
	for (i = 0; i < 3; i++)
		pt_udp_send(victim, "127.0.0.1", port, "y", 1);
	test_sleep_ms(100);
	ck_assert_int_eq(kill(p.pid, SIGCONT), 0);
	test_sleep_ms(300);
	/* Still serving: a new client goes to the new file's server. */
	i = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(i, "127.0.0.1", port, "z", 1);
	ck_assert_int_eq(pt_udp_recv(i, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	ck_assert_int_eq(buf[0], 'T');
	close(i);
	for (i = 0; i < 3; i++)
		close(cl[i]);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"end\":\"server_unreachable\""));
	pt_uecho_stop(&a);
	pt_uecho_stop(&b);
	pt_uecho_stop(&t);
}
END_TEST

/*
 * The last session of a listener a reload removed ends in the middle of
 * a batch (its server went away): the socket closes with it, and the
 * rest of the batch makes no new session on the closed socket.
 */
START_TEST(test_drained_socket_takes_no_session_mid_batch)
{
	struct pt_uecho a, k;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int c, i;
	char buf[16];

	pt_uecho_start(&a, AF_INET, 'A');
	pt_uecho_start(&k, AF_INET, 'K');
	pt_start(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: gone, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: k }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  k: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, port2, a.port, k.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.1", port, "x", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	pt_reload(&p, UDP_HEAD
	    "listeners:\n"
	    "  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: k }\n"
	    "upstreams:\n"
	    "  k: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port2, k.port);
	pt_uecho_stop(&a);		/* the draining session's server */
	ck_assert_int_eq(kill(p.pid, SIGSTOP), 0);
	for (i = 0; i < 4; i++)
		pt_udp_send(c, "127.0.0.1", port, "y", 1);
	test_sleep_ms(100);
	ck_assert_int_eq(kill(p.pid, SIGCONT), 0);
	test_sleep_ms(300);
	/* The socket is gone: nothing answers there any more. */
	pt_udp_send(c, "127.0.0.1", port, "z", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), 200, NULL, NULL),
	    -1);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* One session on the removed listener, ended by its server. */
	ck_assert_int_eq(pt_count(p.access_text, "\"listener\":\"gone\""),
	    1);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"end\":\"server_unreachable\""));
	ck_assert_ptr_null(strstr(p.log_text, "Bad file descriptor"));
	pt_uecho_stop(&k);
}
END_TEST

#define TWO_SESSIONS_YAML UDP_HEAD					\
	"listeners:\n"							\
	"  - name: two\n"						\
	"    protocol: udp\n"						\
	"    bind: 127.0.0.1:%d\n"					\
	"    upstream: u\n"						\
	"    udp: { max_sessions: 2 }\n"				\
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

/*
 * max_sessions holds across reloads: sessions begun under the previous
 * file still count against the listener whose socket they use, and the
 * least recently used of them goes first.
 */
START_TEST(test_max_sessions_across_reloads)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c[4], i;
	char buf[64];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, TWO_SESSIONS_YAML, port, e.port);
	for (i = 0; i < 4; i++) {
		c[i] = pt_udp_socket(AF_INET, 0, NULL);
		pt_udp_send(c[i], "127.0.0.1", port, "hi", 2);
		ck_assert_int_eq(pt_udp_recv(c[i], buf, sizeof(buf),
		    PT_WAIT_MS, NULL, NULL), 2);
		/* A reload after each of the first two clients. */
		if (i < 2)
			pt_reload(&p, TWO_SESSIONS_YAML, port, e.port);
	}
	for (i = 0; i < 4; i++)
		close(c[i]);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* Four clients, room for two: the first two were evicted. */
	ck_assert_int_eq(pt_count(p.access_text, "\"end\":\"evicted\""), 2);
	ck_assert_int_eq(pt_count(p.access_text, "\"end\":\"shutdown\""), 2);
	pt_uecho_stop(&e);
}
END_TEST

/* The proxy's CPU time so far, in clock ticks (utime + stime). */
static long
cpu_ticks(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* After ") ": state is field 3; utime and stime are 14 and 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/*
 * Out of descriptors (RLIMIT_NOFILE 64): new clients beyond what fits
 * are dropped at once, nothing spins, and once sessions expire new
 * clients are served again.
 */
START_TEST(test_udp_descriptor_exhaustion_recovers)
{
	enum { CLIENTS = 90 };
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), c[CLIENTS], i, served = 0;
	long t0, t1;
	char buf[16];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start_limited(&p, 64, UDP_HEAD
	    "listeners:\n"
	    "  - name: dns\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { session_timeout: 400ms }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	for (i = 0; i < CLIENTS; i++) {
		c[i] = pt_udp_socket(AF_INET, 0, NULL);
		pt_udp_send(c[i], "127.0.0.1", port, "q", 1);
	}
	test_sleep_ms(300);
	for (i = 0; i < CLIENTS; i++)
		if (pt_udp_recv(c[i], buf, sizeof(buf), 1, NULL, NULL) == 1)
			served++;
	/* About 50 descriptors are left for sessions: some, not all. */
	ck_assert_int_gt(served, 20);
	ck_assert_int_lt(served, CLIENTS);
	/* Nothing spins while the sessions it has live on. */
	t0 = cpu_ticks(p.pid);
	test_sleep_ms(300);
	t1 = cpu_ticks(p.pid);
	ck_assert_int_ge(t0, 0);
	ck_assert_int_lt(t1 - t0, 10);
	/* The sessions expire; new clients are served again. */
	test_sleep_ms(400);
	for (i = 0; i < 10; i++) {
		pt_udp_send(c[i], "127.0.0.1", port, "r", 1);
		ck_assert_int_eq(pt_udp_recv(c[i], buf, sizeof(buf),
		    PT_WAIT_MS, NULL, NULL), 1);
		ck_assert_int_eq(buf[0], 'r');
	}
	for (i = 0; i < CLIENTS; i++)
		close(c[i]);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

START_TEST(test_udp_acl)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int c;
	char buf[16];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_HEAD
	    "acls:\n"
	    "  far: { allow: [ 10.0.0.0/8 ] }\n"
	    "  near: { allow: [ 127.0.0.0/8 ] }\n"
	    "listeners:\n"
	    "  - { name: closed, protocol: udp, bind: 127.0.0.1:%d, upstream: u, acl: far }\n"
	    "  - { name: open, protocol: udp, bind: 127.0.0.1:%d, upstream: u, acl: near }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, port2, e.port);
	c = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(c, "127.0.0.1", port, "no", 2);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), 300, NULL, NULL),
	    -1);
	pt_udp_send(c, "127.0.0.1", port2, "ok", 2);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* The denied datagram never reached the server. */
	ck_assert_int_eq(e.datagrams, 1);
	pt_uecho_stop(&e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("udp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_request_reply_v4_v6);
	tcase_add_test(tc, test_many_clients_own_replies);
	tcase_add_test(tc, test_session_expiry_and_responses);
	tcase_add_test(tc, test_eviction_at_max_sessions);
	tcase_add_test(tc, test_largest_and_empty_datagrams);
	tcase_add_test(tc, test_reply_source_on_wildcard);
	tcase_add_test(tc, test_server_unreachable);
	tcase_add_test(tc, test_reload_keeps_udp_sessions);
	tcase_add_test(tc, test_source_hash_sticks_across_sessions);
	tcase_add_test(tc, test_reply_source_on_wildcard_v6);
	tcase_add_test(tc, test_removed_listener_drains);
	tcase_add_test(tc, test_udp_acl);
	tcase_add_test(tc, test_wildcard_two_addresses_in_flight);
	tcase_add_test(tc, test_unreachable_after_reload_shrinks_upstream);
	tcase_add_test(tc, test_drained_socket_takes_no_session_mid_batch);
	tcase_add_test(tc, test_max_sessions_across_reloads);
	tcase_add_test(tc, test_udp_descriptor_exhaustion_recovers);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
