/*
 * Sessions that end badly, in numbers: a storm of resets in every phase
 * of a session (before the proxy's connect, during its connect to the
 * server, mid-transfer, during a half-close), from the client's side
 * and from the server's; and clients that half-close and vanish.  Each
 * scenario ends with the daemon alive, its descriptors back to the
 * baseline and its memory within a tolerance; every byte the clients
 * received is checked against the stream it belongs to.
 */
#include "config.h"

#include "faults.h"

#define R	64	/* connections per phase */

enum { L_ECHO, L_BLACKHOLE, L_HALF, L_REFUSED, L_RESET, L_GEN_RST,
	L_HALF_RST, NL };

struct storm {
	struct pt_proxy		p;
	struct ft_base		b;
	struct ft_srv		echo, half, reset, gen_rst, half_rst;
	struct pt_blackhole	bh;
	int			port[NL];	/* the proxy's */
	uint64_t		checked;
};

/* One listener per backend, connect timeout 300 ms, one try each. */
static void
storm_start(struct storm *st)
{
	static const char *names[NL] = { "echo", "blackhole", "half",
	    "refused", "reset", "gen_rst", "half_rst" };
	int srv[NL], i;
	char yaml[8192], *at = yaml, *end = yaml + sizeof(yaml);

	ft_srv_start(&st->echo, FT_ECHO, 0, 0);
	ft_srv_start(&st->half, FT_HALF, 1 << 20, 0);
	ft_srv_start(&st->reset, FT_RESET, 0, 0);
	ft_srv_start(&st->gen_rst, FT_GEN, 256 << 10, 0);
	st->gen_rst.rst = 1;
	ft_srv_start(&st->half_rst, FT_HALF, 256 << 10, 0);
	st->half_rst.rst = 1;
	pt_blackhole_start(&st->bh);
	srv[L_ECHO] = st->echo.port;
	srv[L_BLACKHOLE] = st->bh.port;
	srv[L_HALF] = st->half.port;
	srv[L_REFUSED] = pt_free_port(SOCK_STREAM);	/* nobody there */
	srv[L_RESET] = st->reset.port;
	srv[L_GEN_RST] = st->gen_rst.port;
	srv[L_HALF_RST] = st->half_rst.port;
	at += snprintf(at, (size_t)(end - at), "%s", FT_HEAD
	    "defaults: { timeouts: { connect: 300ms, half_close: 2s } }\n"
	    "listeners:\n");
	for (i = 0; i < NL; i++) {
		st->port[i] = pt_free_port(SOCK_STREAM);
		at += snprintf(at, (size_t)(end - at), "  - { name: %s, "
		    "protocol: tcp, bind: 127.0.0.1:%d, upstream: %s }\n",
		    names[i], st->port[i], names[i]);
	}
	at += snprintf(at, (size_t)(end - at), "upstreams:\n");
	for (i = 0; i < NL; i++)
		at += snprintf(at, (size_t)(end - at), "  %s: { servers: "
		    "[ { address: 127.0.0.1:%d } ], connect: { tries: 1 } }\n",
		    names[i], srv[i]);
	ck_assert(at < end);
	pt_start(&st->p, "%s", yaml);
	ft_baseline(&st->p, &st->b);
}

static void
storm_stop(struct storm *st)
{
	ck_assert_int_eq(pt_stop(&st->p), 0);
	ft_srv_stop(&st->echo);
	ft_srv_stop(&st->half);
	ft_srv_stop(&st->reset);
	ft_srv_stop(&st->gen_rst);
	ft_srv_stop(&st->half_rst);
	pt_blackhole_stop(&st->bh);
}

/* R connections to a listener, each connected (blocking, 5 s). */
static void
connect_all(int port, int *fd)
{
	int i;

	for (i = 0; i < R; i++) {
		fd[i] = pt_connect(port);
		ck_assert_msg(fd[i] >= 0, "connect %d: %s", i, strerror(-fd[i]));
	}
}

/* Client side, phase 1: reset right after the handshake, before the
 * proxy has even accepted. */
static void
client_reset_at_once(struct storm *st)
{
	int i, fd;

	for (i = 0; i < R; i++) {
		fd = pt_connect(st->port[L_ECHO]);
		ck_assert_int_ge(fd, 0);
		(void)pt_close_rst(fd);
	}
}

/* Phase 2: reset while the proxy connects to a server that never
 * answers. */
static void
client_reset_in_connect(struct storm *st)
{
	int fd[R], i;

	connect_all(st->port[L_BLACKHOLE], fd);
	test_sleep_ms(50);
	for (i = 0; i < R; i++)
		(void)pt_close_rst(fd[i]);
}

/* Phase 3: reset mid-transfer, bytes in flight both ways; what came back
 * before is checked. */
static void
client_reset_mid_transfer(struct storm *st)
{
	enum { OUT = 256 << 10, BACK = 16 << 10 };
	unsigned char *buf = malloc(OUT);
	int fd[R], i;

	connect_all(st->port[L_ECHO], fd);
	for (i = 0; i < R; i++) {
		uint64_t got = 0;
		int64_t end = test_now_ms() + PT_WAIT_MS;
		size_t sent = 0;

		ft_fill(100 + i, 0, buf, OUT);
		while (got < BACK && test_now_ms() < end) {
			struct pollfd pfd = { fd[i], POLLIN | POLLOUT, 0 };
			ssize_t n;

			ck_assert_int_gt(poll(&pfd, 1, PT_WAIT_MS), 0);
			if ((pfd.revents & POLLOUT) && sent < OUT &&
			    (n = send(fd[i], buf + sent, OUT - sent,
			    MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
				sent += (size_t)n;
			if (pfd.revents & POLLIN)
				ck_assert_int_eq(ft_read_checked(fd[i],
				    100 + i, &got), 1);
		}
		ck_assert_int_ge(got, BACK);
		st->checked += got;
		(void)pt_close_rst(fd[i]);
	}
	free(buf);
}

/* Phase 4: reset during a half-close: the client sent its FIN, the server
 * is still answering. */
static void
client_reset_in_half_close(struct storm *st)
{
	unsigned char buf[4096];
	int fd[R], i;

	ft_fill(9, 0, buf, sizeof(buf));
	connect_all(st->port[L_HALF], fd);
	for (i = 0; i < R; i++) {
		uint64_t got = 0;
		int64_t end = test_now_ms() + PT_WAIT_MS;

		pt_send_all(fd[i], buf, sizeof(buf));
		ck_assert_int_eq(shutdown(fd[i], SHUT_WR), 0);
		while (got < 16384 && test_now_ms() < end) {
			struct pollfd pfd = { fd[i], POLLIN, 0 };

			if (poll(&pfd, 1, 100) > 0)
				ck_assert_int_eq(ft_read_checked(fd[i], 0,
				    &got), 1);
		}
		ck_assert_int_ge(got, 16384);
		st->checked += got;
		(void)pt_close_rst(fd[i]);
	}
}

/*
 * Server side: R clients of a listener whose server refuses, resets at
 * once, or resets mid-transfer or in a half-close; each client (having
 * sent `out` bytes and a FIN when out > 0) must see its end within 5 s,
 * every byte before it the stream's.
 */
static void
server_resets(struct storm *st, int l, size_t out, size_t most)
{
	unsigned char buf[4096];
	int fd[R], i;

	ft_fill(11, 0, buf, sizeof(buf));
	connect_all(st->port[l], fd);
	for (i = 0; i < R; i++)
		if (out > 0) {
			/* The proxy may have closed already: no check. */
			(void)send(fd[i], buf, out, MSG_NOSIGNAL);
			(void)shutdown(fd[i], SHUT_WR);
		}
	for (i = 0; i < R; i++) {
		uint64_t got = 0;

		ck_assert_msg(ft_read_to_end(fd[i], 0, &got, PT_WAIT_MS),
		    "listener %d, client %d: no end", l, i);
		ck_assert_uint_le(got, most);
		st->checked += got;
		close(fd[i]);
	}
}

START_TEST(test_reset_storm)
{
	struct storm st;
	struct ft_outcome o;

	memset(&st, 0, sizeof(st));
	storm_start(&st);
	client_reset_at_once(&st);
	client_reset_in_connect(&st);
	client_reset_mid_transfer(&st);
	client_reset_in_half_close(&st);
	server_resets(&st, L_REFUSED, 0, 0);
	server_resets(&st, L_RESET, 1024, 0);
	server_resets(&st, L_GEN_RST, 0, 256 << 10);
	server_resets(&st, L_HALF_RST, 4096, 256 << 10);
	o = ft_echo_session(st.port[L_ECHO], 12, 256 << 10);
	ck_assert_msg(o.err == 0, "after the storm: %s", strerror(-o.err));
	st.checked += o.got;
	ft_settled(&st.p, &st.b, 5000, ft_rss_tolerance_kb(64 << 10),
	    "reset storm (8 phases x 64 connections)", st.checked);
	storm_stop(&st);
}
END_TEST

/*
 * Clients that send a request, shut their write side, and vanish: some
 * close without reading the answer, some stay connected and silent
 * with a full window.  The half_close timeout (500 ms) ends the silent
 * ones' sessions while they still hold their sockets; a client that
 * half-closes and reads (on a listener with the default half_close)
 * gets the whole answer, checked.
 */
START_TEST(test_half_close_and_vanish)
{
	enum { N = 32, ANSWER = 32 << 20 };
	struct ft_srv half;
	struct pt_proxy p;
	struct ft_base b;
	unsigned char req[4096];
	int port = pt_free_port(SOCK_STREAM), ctl = pt_free_port(SOCK_STREAM);
	int gone, silent[N], fd, i;
	uint64_t got = 0, checked = 0;

	ft_fill(13, 0, req, sizeof(req));
	ft_srv_start(&half, FT_HALF, ANSWER, 0);
	pt_start(&p, FT_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u,\n"
	    "      timeouts: { half_close: 500ms, idle: 1m } }\n"
	    "  - { name: ctl, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, ctl, half.port);
	ft_baseline(&p, &b);
	for (i = 0; i < N; i++) {
		gone = pt_connect(port);
		ck_assert_int_ge(gone, 0);
		pt_send_all(gone, req, sizeof(req));
		ck_assert_int_eq(shutdown(gone, SHUT_WR), 0);
		close(gone);
	}
	for (i = 0; i < N; i++) {
		silent[i] = pt_small_window(port);
		pt_send_all(silent[i], req, sizeof(req));
		ck_assert_int_eq(shutdown(silent[i], SHUT_WR), 0);
	}
	/* One that stays to read (no tight half_close) gets all of it. */
	fd = pt_connect(ctl);
	ck_assert_int_ge(fd, 0);
	pt_send_all(fd, req, sizeof(req));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert(ft_read_to_end(fd, 0, &got, PT_WAIT_MS));
	ck_assert_int_eq(got, ANSWER);
	checked += got;
	close(fd);
	/* The silent ones still hold their sockets: the proxy let go. */
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10),
	    "half-close and vanish", checked);
	for (i = 0; i < N; i++) {
		got = 0;
		ck_assert(ft_read_to_end(silent[i], 0, &got, PT_WAIT_MS));
		ck_assert_uint_lt(got, ANSWER);
		checked += got;
		close(silent[i]);
	}
	fprintf(stderr, "faults: half-close and vanish: %llu bytes checked "
	    "in all\n", (unsigned long long)checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&half);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults-reset");
	TCase *tc = tcase_create("reset");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_reset_storm);
	tcase_add_test(tc, test_half_close_and_vanish);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
