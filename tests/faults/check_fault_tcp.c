/*
 * Hostile peers of mioproxy's TCP wing, on the real binary: a backend
 * killed mid-transfer, a backend that never reads, clients that never
 * read, slowloris against max_connections, resets in every phase of a
 * session from either side, and clients that half-close and vanish.
 * Each scenario ends with the daemon alive, its descriptors back to the
 * baseline, its memory within a tolerance, and every byte of every
 * session checked.
 */
#include "config.h"

#include "faults.h"

/* Two listeners, `a` and `b`, to two backends. */
#define TWO_YAML FT_HEAD						\
	"defaults:\n"							\
	"  timeouts: { connect: 1s, idle: %s, half_close: %s }\n"	\
	"  limits: { buffer_size: %d }\n"				\
	"listeners:\n"							\
	"  - { name: a, protocol: tcp, bind: 127.0.0.1:%d, upstream: a }\n" \
	"  - { name: b, protocol: tcp, bind: 127.0.0.1:%d, upstream: b }\n" \
	"upstreams:\n"							\
	"  a: { servers: [ { address: 127.0.0.1:%d } ], connect: { tries: 1 } }\n" \
	"  b: { servers: [ { address: 127.0.0.1:%d } ], connect: { tries: 1 } }\n"

static void
start_two(struct pt_proxy *p, int bufsize, const char *idle,
    const char *half, int pa, int sa, int pb, int sb)
{
	pt_start(p, TWO_YAML, idle, half, bufsize, pa, pb, sa, sb);
}

/* A control session through an echo backend: 256 KiB, all checked. */
static uint64_t
control(int port, uint32_t seed)
{
	struct ft_outcome o = ft_echo_session(port, seed, 256 << 10);

	ck_assert_msg(o.err == 0, "control session: %s at stage %d after "
	    "%llu bytes", strerror(-o.err), o.stage,
	    (unsigned long long)o.got);
	return o.got;
}

/* Sends stream `seed` until the connection fails, within ms: 1 if so. */
static int
send_to_failure(int fd, uint32_t seed, uint64_t *off, int ms)
{
	int64_t end = test_now_ms() + ms;
	unsigned char buf[16384];

	while (test_now_ms() < end) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ft_fill(seed, *off, buf, sizeof(buf));
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			return 1;
		if (n > 0)
			*off += (size_t)n;
	}
	return 0;
}

/*
 * An upload to a sink backend: len bytes of stream `seed`, a FIN, and
 * the sink's count and FNV-1a digest must match what was sent.
 */
static uint64_t
sink_session(int port, uint32_t seed, size_t len)
{
	unsigned char *buf = malloc(len), reply[16];
	uint64_t count, fnv;
	int fd = pt_connect(port);

	ck_assert_int_ge(fd, 0);
	ft_fill(seed, 0, buf, len);
	pt_send_all(fd, buf, len);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	pt_recv_all(fd, reply, sizeof(reply));
	memcpy(&count, reply, 8);
	memcpy(&fnv, reply + 8, 8);
	ck_assert_int_eq(count, len);
	ck_assert_msg(fnv == ft_fnv(FT_FNV_INIT, buf, len),
	    "the sink's digest differs");
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
	free(buf);
	return len;
}

/*
 * The backends are processes, SIGKILLed while 4 clients download from
 * one and 4 upload to the other: each download's bytes so far are
 * exactly the stream's, every client learns of the end within 5 s, and
 * the proxy goes on serving.
 */
START_TEST(test_backend_killed_mid_transfer)
{
	enum { K = 4, MOVED = 512 << 10 };
	struct ft_srv gen, sink;
	struct pt_proxy p;
	struct ft_base b;
	struct pt_echo e;
	int down = pt_free_port(SOCK_STREAM), up = pt_free_port(SOCK_STREAM);
	int ctl = pt_free_port(SOCK_STREAM), dfd[K], ufd[K], i;
	uint64_t got[K] = { 0 }, sent[K] = { 0 }, checked = 0;

	ft_srv_start(&gen, FT_GEN, 0, 1);
	ft_srv_start(&sink, FT_SINK, 0, 1);
	pt_echo_start(&e, -1);
	pt_start(&p, FT_HEAD
	    "listeners:\n"
	    "  - { name: down, protocol: tcp, bind: 127.0.0.1:%d, upstream: g }\n"
	    "  - { name: up, protocol: tcp, bind: 127.0.0.1:%d, upstream: s }\n"
	    "  - { name: ctl, protocol: tcp, bind: 127.0.0.1:%d, upstream: e }\n"
	    "upstreams:\n"
	    "  g: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  s: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  e: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    down, up, ctl, gen.port, sink.port, e.port);
	ft_baseline(&p, &b);
	checked += sink_session(up, 1, 1 << 20);
	for (i = 0; i < K; i++) {
		dfd[i] = pt_connect(down);
		ufd[i] = pt_connect(up);
		ck_assert_int_ge(dfd[i], 0);
		ck_assert_int_ge(ufd[i], 0);
	}
	/* Both directions under way. */
	for (i = 0; i < K; i++) {
		int64_t end = test_now_ms() + PT_WAIT_MS;

		while ((got[i] < MOVED || sent[i] < MOVED) &&
		    test_now_ms() < end) {
			if (got[i] < MOVED)
				ck_assert_int_eq(ft_read_checked(dfd[i], 0, &got[i]),
				    1);
			if (sent[i] < MOVED)
				ck_assert(!send_to_failure(ufd[i], 7 + i,
				    &sent[i], 20));
		}
		ck_assert(got[i] >= MOVED && sent[i] >= MOVED);
	}
	ft_srv_kill(&gen);
	ft_srv_kill(&sink);
	for (i = 0; i < K; i++) {
		ck_assert_msg(ft_read_to_end(dfd[i], 0, &got[i], PT_WAIT_MS),
		    "download %d: no end after the backend died", i);
		ck_assert_msg(send_to_failure(ufd[i], 7 + i, &sent[i],
		    PT_WAIT_MS), "upload %d: still accepted", i);
		checked += got[i];
		close(dfd[i]);
		close(ufd[i]);
	}
	checked += control(ctl, 2);
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10),
	    "backend killed mid-transfer", checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&gen);
	ft_srv_stop(&sink);
	pt_echo_stop(&e);
}
END_TEST

/*
 * Sends on every fd in turn until none takes anything more for quiet_ms
 * (all at once, so that none sits idle long enough to time out): the
 * bytes sent.
 */
static uint64_t
send_until_stuck(const int *fd, int n, int quiet_ms)
{
	uint64_t off = 0;
	int64_t last = test_now_ms();
	unsigned char buf[16384];
	int i;

	ft_fill(3, 0, buf, sizeof(buf));
	while (test_now_ms() - last < quiet_ms) {
		for (i = 0; i < n; i++) {
			ssize_t r = send(fd[i], buf, sizeof(buf),
			    MSG_NOSIGNAL | MSG_DONTWAIT);

			ck_assert_msg(r > 0 || errno == EAGAIN, "send: %s",
			    strerror(errno));
			if (r > 0) {
				off += (size_t)r;
				last = test_now_ms();
			}
		}
		test_sleep_ms(5);
	}
	return off;
}

/*
 * The memory a proxy with n stuck sessions may hold: two buffers of
 * buffer_size each per session (the rest waits in the kernel's socket
 * buffers and pipes, which are not the daemon's RSS), 1 KiB of session
 * state, and the tolerance of an idle proxy.
 */
static long
stuck_bound_kb(const struct ft_base *b, int n, long bufsize)
{
	return b->rss_kb + n * (2 * bufsize + 1024) / 1024 +
	    ft_rss_tolerance_kb(bufsize);
}

/*
 * 32 clients upload to a backend that never reads: the proxy stops
 * reading them (backpressure), its memory stays within the bound, an
 * echo session beside them is served, and once the clients leave the
 * sessions end (idle timeout) and everything is given back.
 */
START_TEST(test_backend_never_reads)
{
	enum { N = 32, BUF = 16 << 10 };
	struct ft_srv mute, echo;
	struct pt_proxy p;
	struct ft_base b;
	int pa = pt_free_port(SOCK_STREAM), pb = pt_free_port(SOCK_STREAM);
	int fd[N], i;
	uint64_t total, checked = 0;
	long rss, bound;

	if (_i == 1)
		setenv("MIOPROXY_SPLICE", "0", 1);
	ft_srv_start(&mute, FT_MUTE, 0, 0);
	ft_srv_start(&echo, FT_ECHO, 0, 0);
	start_two(&p, BUF, "2s", "500ms", pa, mute.port, pb, echo.port);
	ft_baseline(&p, &b);
	for (i = 0; i < N; i++) {
		int sz = 16384;

		fd[i] = pt_connect(pa);
		ck_assert_int_ge(fd[i], 0);
		setsockopt(fd[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	total = send_until_stuck(fd, N, 300);
	checked += control(pb, 4);
	rss = pt_rss_kb(p.pid);
	bound = stuck_bound_kb(&b, N, BUF);
	fprintf(stderr, "faults: backend never reads (splice %s): %d "
	    "sessions stuck after %llu bytes, rss %ld kB, bound %ld kB\n",
	    _i ? "off" : "on", N, (unsigned long long)total, rss, bound);
	ck_assert_int_le(rss, bound);
	/* Half leave with a reset, half with a FIN that never gets through
	 * (the proxy reads nothing more): those end at the idle timeout. */
	for (i = 0; i < N; i++)
		if (i % 2)
			(void)pt_close_rst(fd[i]);
		else
			close(fd[i]);
	ft_settled(&p, &b, 6000, ft_rss_tolerance_kb(BUF),
	    "backend never reads", checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&mute);
	ft_srv_stop(&echo);
}
END_TEST

/*
 * 32 clients that never read, from a backend that sends without end:
 * the proxy's memory stays within the bound; then each client reads
 * 256 KiB, every byte the stream's, and leaves.
 */
START_TEST(test_clients_never_read)
{
	enum { N = 32, BUF = 16 << 10, READ = 256 << 10 };
	struct ft_srv gen, echo;
	struct pt_proxy p;
	struct ft_base b;
	int pa = pt_free_port(SOCK_STREAM), pb = pt_free_port(SOCK_STREAM);
	int fd[N], i;
	uint64_t checked = 0;
	long rss, bound;

	if (_i == 1)
		setenv("MIOPROXY_SPLICE", "0", 1);
	ft_srv_start(&gen, FT_GEN, 0, 0);
	ft_srv_start(&echo, FT_ECHO, 0, 0);
	start_two(&p, BUF, "5m", "30s", pa, gen.port, pb, echo.port);
	ft_baseline(&p, &b);
	for (i = 0; i < N; i++)
		fd[i] = pt_small_window(pa);
	test_sleep_ms(1500);
	checked += control(pb, 5);
	rss = pt_rss_kb(p.pid);
	bound = stuck_bound_kb(&b, N, BUF);
	fprintf(stderr, "faults: clients never read (splice %s): %d "
	    "sessions, rss %ld kB, bound %ld kB\n", _i ? "off" : "on", N, rss,
	    bound);
	ck_assert_int_le(rss, bound);
	for (i = 0; i < N; i++) {
		uint64_t off = 0;
		int64_t end = test_now_ms() + PT_WAIT_MS;

		while (off < READ && test_now_ms() < end) {
			struct pollfd pfd = { fd[i], POLLIN, 0 };

			if (poll(&pfd, 1, 100) > 0)
				ck_assert_int_eq(ft_read_checked(fd[i], 0, &off), 1);
		}
		ck_assert_int_ge(off, READ);
		checked += off;
		(void)pt_close_rst(fd[i]);
	}
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(BUF),
	    "clients never read", checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&gen);
	ft_srv_stop(&echo);
}
END_TEST

/*
 * Slowloris: max_connections clients that send nothing or one byte at a
 * time hold every slot; a client past the limit is accepted and closed
 * at once, again and again; once they go, service comes back.
 */
START_TEST(test_slowloris)
{
	enum { MAX = 16, PROBES = 15 };
	struct ft_srv echo;
	struct pt_proxy p;
	struct ft_base b;
	int port = pt_free_port(SOCK_STREAM), fd[MAX], i, k;
	uint64_t off[MAX] = { 0 }, checked = 0;
	struct ft_outcome o;
	int64_t t, worst = 0, end;

	ft_srv_start(&echo, FT_ECHO, 0, 0);
	pt_start(&p, FT_HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u,\n"
	    "      limits: { max_connections: %d } }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, MAX, echo.port);
	ft_baseline(&p, &b);
	for (i = 0; i < MAX; i++) {
		fd[i] = pt_connect(port);
		ck_assert_int_ge(fd[i], 0);
	}
	test_sleep_ms(100);
	for (k = 0; k < PROBES; k++) {
		/* The odd ones trickle a byte each round, echoed and checked. */
		for (i = 1; i < MAX; i += 2) {
			unsigned char c = ft_byte(50 + i, off[i]), r;

			pt_send_all(fd[i], &c, 1);
			pt_recv_all(fd[i], &r, 1);
			ck_assert_int_eq(r, c);
			off[i]++;
			checked++;
		}
		t = test_now_ms();
		i = pt_connect(port);
		ck_assert_int_ge(i, 0);
		ck_assert_msg(ft_wait_end(i, 2000), "probe %d not closed", k);
		close(i);
		if (test_now_ms() - t > worst)
			worst = test_now_ms() - t;
		test_sleep_ms(100);
	}
	fprintf(stderr, "faults: slowloris: %d probes past the limit, each "
	    "closed within %lld ms\n", PROBES, (long long)worst);
	for (i = 0; i < MAX; i++)
		close(fd[i]);
	/* The proxy sees them go a moment later. */
	end = test_now_ms() + PT_WAIT_MS;
	do {
		o = ft_echo_session(port, 6, 256 << 10);
		if (o.err != 0)
			test_sleep_ms(50);
	} while (o.err != 0 && o.err != -EPROTO && test_now_ms() < end);
	ck_assert_msg(o.err == 0, "service did not come back: %s",
	    strerror(-o.err));
	checked += o.got;
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10), "slowloris",
	    checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_msg(strstr(p.log_text, "ERROR") == NULL, "%s", p.log_text);
	ft_srv_stop(&echo);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults-tcp");
	TCase *tc = tcase_create("tcp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_backend_killed_mid_transfer);
	/* With splicing, and with MIOPROXY_SPLICE=0 (the buffers alone). */
	tcase_add_loop_test(tc, test_backend_never_reads, 0, 2);
	tcase_add_loop_test(tc, test_clients_never_read, 0, 2);
	tcase_add_test(tc, test_slowloris);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
