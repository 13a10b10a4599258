/*
 * New connections end to end: accepting in bursts, the connection
 * limit, reloads that drop or keep a listening socket, connects that
 * time out while the client leaves.  Written for the completion engine,
 * which accepts and connects through the ring (tcp_uring_conn.c), and
 * run on every backend like check_proxy, since the behaviour is the
 * same on both engines.
 */
#include "config.h"

#include "../common.h"
#include "proxytest.h"

/* Waits (bounded) for the access log to hold n lines with `word`:
 * whether it did. */
static int
access_wait(struct pt_proxy *p, const char *word, int n)
{
	int64_t t0 = test_now_ms();

	while (pt_count(pt_read_file(p->access), word) < n) {
		if (test_now_ms() - t0 > PT_WAIT_MS)
			return 0;
		test_sleep_ms(5);
	}
	return 1;
}

/* On the -uring runs: the daemon said it relays on the ring (a run that
 * fell back on readiness would test nothing of the ring's). */
static void
assert_engine(const struct pt_proxy *p)
{
	if (strcmp(pt_engine_name(), "uring") == 0)
		ck_assert_msg(strstr(p->log_text,
		    "relay engine: io_uring completions") != NULL,
		    "not on the ring: %s", p->log_text);
}

/* A client of port that sends `tag` and gets it back. */
static void
echo_once(int port, const char *tag)
{
	char buf[16];
	size_t len = strlen(tag);
	int fd = pt_connect(port);

	ck_assert_msg(fd >= 0, "connect: %s", strerror(-fd));
	pt_send_all(fd, tag, len);
	pt_recv_all(fd, buf, len);
	ck_assert_int_eq(memcmp(buf, tag, len), 0);
	close(fd);
}

/*
 * A burst of clients, all connected before any sends: each gets its own
 * bytes back, none lost or crossed.
 */
START_TEST(test_burst_accepted_intact)
{
	enum { N = 300 };
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fds[N], i;
	char out[16], in[16];

	pt_echo_start(&e, -1);
	pt_start(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	for (i = 0; i < N; i++) {
		fds[i] = pt_connect(port);
		ck_assert_msg(fds[i] >= 0, "client %d: %s", i,
		    strerror(-fds[i]));
	}
	for (i = 0; i < N; i++) {
		snprintf(out, sizeof(out), "client %05d", i);
		pt_send_all(fds[i], out, 12);
	}
	for (i = 0; i < N; i++) {
		snprintf(out, sizeof(out), "client %05d", i);
		pt_recv_all(fds[i], in, 12);
		ck_assert_int_eq(memcmp(in, out, 12), 0);
		close(fds[i]);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	assert_engine(&p);
	ck_assert_ptr_null(strstr(p.access_text, "end=reset"));
	/* Each session's line names its client (getpeername(2) on the
	 * ring's accepts): a loopback address and a port (the text kept
	 * holds the first lines only). */
	ck_assert_ptr_nonnull(strstr(p.access_text, "client=127.0.0.1:"));
	ck_assert_ptr_null(strstr(p.access_text, "client=127.0.0.1:0 "));
	pt_echo_stop(&e);
}
END_TEST

/*
 * At the limit a burst is refused, each client at once; once the
 * sessions leave, clients are served again.
 */
START_TEST(test_limit_burst_recovers)
{
	enum { LIMIT = 4, OVER = 20 };
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), held[LIMIT], fd, i, rc;

	pt_echo_start(&e, -1);
	pt_start(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - name: small\n"
	    "    protocol: tcp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    limits: { max_connections: %d }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, LIMIT, e.port);
	ck_assert_int_eq(pt_hold_clients(port, held, LIMIT), LIMIT);
	for (i = 0; i < OVER; i++) {
		fd = pt_connect(port);
		ck_assert_int_ge(fd, 0);
		rc = pt_recv_eof(fd);
		ck_assert(rc == 0 || rc == -ECONNRESET);
		close(fd);
	}
	for (i = 0; i < LIMIT; i++)
		close(held[i]);
	/* Served again once the held sessions ended: their lines. */
	ck_assert(access_wait(&p, "end=", OVER + LIMIT));
	for (i = 0; i < 3 * LIMIT; i++)
		echo_once(port, "again");
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_int_eq(pt_count(p.access_text, "end=limit"), OVER);
	pt_echo_stop(&e);
}
END_TEST

#define two_listeners_yaml						\
    PT_CONF_HEAD							\
    "listeners:\n"							\
    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
    "  - { name: gone, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
    "upstreams:\n"							\
    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"
#define one_listener_yaml						\
    PT_CONF_HEAD							\
    "listeners:\n"							\
    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
    "upstreams:\n"							\
    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

/*
 * A reload without a listener closes its socket for good: the port is
 * refused and free to bind at once (an accept left in flight would keep
 * the socket listening in the kernel), while the kept one serves on.
 */
START_TEST(test_reload_drops_listener_frees_port)
{
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), gone, fd, i;

	do
		gone = pt_free_port(SOCK_STREAM);
	while (gone == port);
	pt_echo_start(&e, -1);
	pt_start(&p, two_listeners_yaml, port, gone, e.port);
	/* Both accept (the client closes first: the proxy's side of the
	 * connection then leaves no TIME_WAIT on the port). */
	echo_once(port, "web");
	echo_once(gone, "gone");
	ck_assert(access_wait(&p, "end=client_close", 2));
	pt_reload(&p, one_listener_yaml, port, e.port);
	fd = pt_connect(gone);
	ck_assert_int_eq(fd, -ECONNREFUSED);
	ck_assert(pt_port_bindable(SOCK_STREAM, gone));
	for (i = 0; i < 5; i++)
		echo_once(port, "kept");
	/* And back: the port binds again in the proxy. */
	pt_reload(&p, two_listeners_yaml, port, gone, e.port);
	echo_once(gone, "back");
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&e);
}
END_TEST

/*
 * A reload whose file names a host (looked up on the loop, so that it
 * ends in a later batch) and adds a listener: the new listener serves
 * its first client at once, with nothing else to wake the loop (an
 * accept queued on the ring after the batch's submit once waited for
 * some other event).
 */
START_TEST(test_reload_by_name_adds_listener)
{
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), added, i;
	int64_t t0, took;

	do
		added = pt_free_port(SOCK_STREAM);
	while (added == port);
	pt_echo_start(&e, -1);
	pt_start(&p, one_listener_yaml, port, e.port);
	echo_once(port, "first");
	pt_reload(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - { name: new, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: \"localhost:%d\" } ] }\n",
	    port, added, e.port);
	/* The loop is idle now: no timer, no client. */
	test_sleep_ms(50);
	for (i = 0; i < 3; i++) {
		t0 = test_now_ms();
		echo_once(added, "added");
		took = test_now_ms() - t0;
		ck_assert_msg(took < 1000, "client %d of the new listener "
		    "served after %lld ms", i, (long long)took);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.log_text, "looking up"));
	pt_echo_stop(&e);
}
END_TEST

/* Reloads that keep the socket: new clients are served after each. */
START_TEST(test_reload_keeps_accepting)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), round, i, fd;
	char id;

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, one_listener_yaml, port, a.port);
	for (round = 0; round < 6; round++) {
		struct pt_echo *now = round % 2 ? &a : &b;

		pt_reload(&p, one_listener_yaml, port, now->port);
		for (i = 0; i < 10; i++) {
			fd = pt_connect(port);
			ck_assert_int_ge(fd, 0);
			pt_recv_all(fd, &id, 1);
			ck_assert_int_eq(id, round % 2 ? 'A' : 'B');
			close(fd);
		}
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/*
 * Every try times out (a blackhole, twice): the session ends as
 * connect_failed after both; and a client that resets while its server
 * connects ends its session at once.  The proxy stops cleanly after.
 */
START_TEST(test_connects_time_out_or_client_leaves)
{
	struct pt_blackhole b;
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), port2, fd, rc, base, held;
	int64_t t0, took;

	do
		port2 = pt_free_port(SOCK_STREAM);
	while (port2 == port);
	pt_blackhole_start(&b);
	pt_echo_start(&e, -1);
	pt_start(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - { name: slow, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - { name: wait, protocol: tcp, bind: 127.0.0.1:%d, upstream: w }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    servers: [ { address: 127.0.0.1:%d } ]\n"
	    "    connect: { timeout: 200ms, tries: 3 }\n"
	    "  w:\n"
	    "    servers: [ { address: 127.0.0.1:%d } ]\n"
	    "    connect: { timeout: 30s, tries: 1 }\n",
	    port, port2, b.port, b.port);
	t0 = test_now_ms();
	fd = pt_connect(port);
	ck_assert_int_ge(fd, 0);
	rc = pt_recv_eof(fd);
	took = test_now_ms() - t0;
	ck_assert(rc == 0 || rc == -ECONNRESET);
	ck_assert_int_ge(took, 500);
	ck_assert_int_lt(took, 5000);
	close(fd);
	/* A client that resets while its connect is in flight: the
	 * session ends (its two sockets close) long before the timeout.
	 * (One that sent bytes first is not read again until its server
	 * connects, on either engine: the flow holds one buffer.) */
	/* Counted as at least the session's two sockets, then those two
	 * gone: libkqueue (the kqueue backend on Linux) makes descriptors
	 * of its own for new registrations, and keeps some. */
	test_sleep_ms(100);
	base = pt_fds(p.pid, INT_MAX);
	fd = pt_connect(port2);
	ck_assert_int_ge(fd, 0);
	for (t0 = test_now_ms(); test_now_ms() - t0 < 3000 &&
	    pt_fds(p.pid, INT_MAX) < base + 2; test_sleep_ms(10))
		;
	test_sleep_ms(50);
	held = pt_fds(p.pid, INT_MAX);
	ck_assert_int_ge(held, base + 2);
	ck_assert_int_eq(pt_close_rst(fd), 0);
	for (t0 = test_now_ms(); test_now_ms() - t0 < 3000 &&
	    pt_fds(p.pid, INT_MAX) > held - 2; test_sleep_ms(10))
		;
	ck_assert_int_le(pt_fds(p.pid, INT_MAX), held - 2);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.access_text, "end=connect_failed"));
	pt_echo_stop(&e);
	pt_blackhole_stop(&b);
}
END_TEST

/*
 * The first server a blackhole, the second an echo: a client whose
 * first try times out (its connect on the ring cancelled) is served by
 * the next try at once after the timeout, not after the kernel's own
 * SYN timeout; every client is served.
 */
START_TEST(test_connect_timeout_then_next_server)
{
	enum { N = 4 };
	struct pt_blackhole b;
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), i, slow = 0;
	int64_t t0, took;

	pt_blackhole_start(&b);
	pt_echo_start(&e, -1);
	pt_start(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    servers: [ { address: 127.0.0.1:%d }, "
	    "{ address: 127.0.0.1:%d } ]\n"
	    "    connect: { timeout: 200ms, tries: 2 }\n",
	    port, b.port, e.port);
	for (i = 0; i < N; i++) {
		t0 = test_now_ms();
		echo_once(port, "next");
		took = test_now_ms() - t0;
		ck_assert_msg(took < 2000 * pt_slow(), "client %d served "
		    "after %lld ms", i, (long long)took);
		if (took >= 150)
			slow++;
	}
	/* At least the first client's first try was the blackhole's. */
	ck_assert_int_ge(slow, 1);
	ck_assert_int_eq(pt_stop(&p), 0);
	assert_engine(&p);
	ck_assert_int_eq(pt_count(p.access_text, "end=client_close"), N);
	ck_assert_int_eq(pt_count(p.access_text, "client=127.0.0.1:"), N);
	ck_assert_ptr_null(strstr(p.access_text, "client=127.0.0.1:0 "));
	ck_assert_ptr_null(strstr(p.access_text, "end=connect_failed"));
	pt_echo_stop(&e);
	pt_blackhole_stop(&b);
}
END_TEST

/*
 * A client that resets while it waits in the accept queue (the proxy
 * stopped meanwhile): both engines take it (accept(2) returns such a
 * socket, and the ring's accept too, whose getpeername(2) then fails)
 * and log it as a session that ended reset; the listener serves on.
 */
START_TEST(test_client_reset_in_queue_logged)
{
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd;

	pt_echo_start(&e, -1);
	pt_start(&p, one_listener_yaml, port, e.port);
	echo_once(port, "before");
	ck_assert(access_wait(&p, "end=", 1));
	ck_assert_int_eq(kill(p.pid, SIGSTOP), 0);
	fd = pt_connect(port);		/* the kernel completes it */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pt_close_rst(fd), 0);
	test_sleep_ms(50);
	ck_assert_int_eq(kill(p.pid, SIGCONT), 0);
	ck_assert_msg(access_wait(&p, "end=reset", 1), "%s",
	    pt_read_file(p.access));
	echo_once(port, "after");
	ck_assert_int_eq(pt_stop(&p), 0);
	assert_engine(&p);
	pt_echo_stop(&e);
}
END_TEST

/* A server on a Unix socket: the connect (through the ring on that
 * engine) and both directions. */
START_TEST(test_unix_server)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), lfd, fd, s;
	char path[108], buf[8];

	snprintf(path, sizeof(path), "/tmp/mioproxy-conn-%d.sock",
	    (int)getpid());
	unlink(path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	pt_start(&p, PT_CONF_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: \"unix:%s\" } ] }\n",
	    port, path);
	fd = pt_connect(port);
	ck_assert_int_ge(fd, 0);
	pt_send_all(fd, "ping", 4);
	s = accept(lfd, NULL, NULL);
	ck_assert_int_ge(s, 0);
	pt_recv_all(s, buf, 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	pt_send_all(s, "pong", 4);
	pt_recv_all(fd, buf, 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	close(s);
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	close(lfd);
	unlink(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proxy_conn");
	TCase *tc = tcase_create("tcp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_burst_accepted_intact);
	tcase_add_test(tc, test_limit_burst_recovers);
	tcase_add_test(tc, test_reload_drops_listener_frees_port);
	tcase_add_test(tc, test_reload_keeps_accepting);
	tcase_add_test(tc, test_reload_by_name_adds_listener);
	tcase_add_test(tc, test_connects_time_out_or_client_leaves);
	tcase_add_test(tc, test_connect_timeout_then_next_server);
	tcase_add_test(tc, test_client_reset_in_queue_logged);
	tcase_add_test(tc, test_unix_server);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
