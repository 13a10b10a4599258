/*
 * The daemon under operational stress: out of descriptors at the
 * listener and at the connect to a server (no spin: its CPU time over an
 * idle second at exhaustion; recovery once descriptors come back), a
 * reload every 100 ms under checksummed load, and SIGTERM under load.
 */
#include "config.h"

#include "faults.h"

/* With the access log: it tells how a client met the limit. */
#define WEB_YAML							\
	"version: 1\n"							\
	"logging: { level: warn, access: { target: ACCESS_LOG, format: text } }\n" \
	"process: { shutdown_grace: %s }\n"				\
	"defaults: { timeouts: { idle: %s } }\n"			\
	"listeners:\n"							\
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

/*
 * The descriptors that count against a limit of `limit`: those numbered
 * below it (the daemon may inherit others, above it, from the test's
 * own parents).
 */
static int
fds_below(pid_t pid, int limit)
{
	int n = pt_fds(pid, limit);

	ck_assert_int_ge(n, 0);
	return n;
}

/*
 * A proxy under a descriptor limit chosen so that, with two descriptors
 * per session, the last free one falls to accept(2) (at_connect 0: the
 * next accept fails with EMFILE) or to the socket of the connect to the
 * server (at_connect 1: the client is accepted, its connect fails).
 */
static int
start_at_limit(struct pt_proxy *p, struct ft_base *b, int port, int echo,
    int at_connect)
{
	rlim_t nofile;

	for (nofile = 64; nofile <= 65; nofile++) {
		pt_start_limited(p, nofile, WEB_YAML, "5s", "5m", port, echo);
		ft_baseline(p, b);
		if ((int)(nofile - (rlim_t)fds_below(p->pid, (int)nofile)) %
		    2 == at_connect)
			return (int)nofile;
		ck_assert_int_eq(pt_stop(p), 0);
	}
	ck_abort_msg("no limit of the parity wanted");
	return -1;
}

static void
exhaustion(int at_connect)
{
	enum { HOLD = 40 };
	const char *name = at_connect ? "exhaustion at connect" :
	    "exhaustion at the listener";
	struct ft_srv echo;
	struct pt_proxy p;
	struct ft_base b;
	int port = pt_free_port(SOCK_STREAM), held[HOLD], i, served, limit;
	long cpu0, cpu1;
	uint64_t checked = 0;

	ft_srv_start(&echo, FT_ECHO, 0, 0);
	limit = start_at_limit(&p, &b, port, echo.port, at_connect);
	served = pt_hold_clients(port, held, HOLD);
	ck_assert_int_gt(served, 10);
	ck_assert_int_lt(served, HOLD);
	/* Those not served were closed at once, not left hanging. */
	for (i = served; i < HOLD; i++)
		ck_assert_msg(ft_wait_end(held[i], 1000), "client %d hangs",
		    i);
	/* At the limit, an idle second costs (next to) nothing. */
	test_sleep_ms(100);
	cpu0 = ft_cpu_ms(p.pid);
	test_sleep_ms(1000);
	cpu1 = ft_cpu_ms(p.pid);
	fprintf(stderr, "faults: %s: RLIMIT_NOFILE %d, %d of %d clients "
	    "served, %d below the limit in use, CPU %ld ms over an idle "
	    "second\n", name, limit, served, HOLD, fds_below(p.pid, limit),
	    cpu1 - cpu0);
	ck_assert_int_le(cpu1 - cpu0, 50);
	for (i = 0; i < HOLD; i++)
		close(held[i]);
	test_sleep_ms(200);
	/* Recovered by itself. */
	for (i = 0; i < 10; i++) {
		struct ft_outcome o = ft_echo_session(port, 20 + i, 64 << 10);

		ck_assert_msg(o.err == 0, "after: %s", strerror(-o.err));
		checked += o.got;
	}
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10), name,
	    checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	/*
	 * The way the limit was met: a connect the proxy had no descriptor
	 * for, or a shed client.  Either way no server is blamed: the echo
	 * server never failed a connect.
	 */
	ck_assert_msg((strstr(p.access_text, "end=descriptors") != NULL) ==
	    at_connect, "%s: %s connect short of descriptors in the access "
	    "log", name, at_connect ? "no" : "a");
	ck_assert_msg(strstr(p.access_text, "end=connect_failed") == NULL,
	    "%s: the server blamed for the proxy's limit", name);
	ft_srv_stop(&echo);
}

START_TEST(test_exhaustion_at_listener)
{
	exhaustion(0);
}
END_TEST

START_TEST(test_exhaustion_at_connect)
{
	exhaustion(1);
}
END_TEST

/*
 * A reload every 100 ms (two files in turn, each a real change) for
 * 3 s while 6 threads run echo sessions of up to 256 KiB: no session
 * fails, no byte differs.
 */
START_TEST(test_reload_storm)
{
	enum { RELOADS = 30 };
	struct ft_srv echo;
	struct pt_proxy p;
	struct ft_base b;
	struct ft_load l;
	int port = pt_free_port(SOCK_STREAM), i;
	int64_t t0, worst = 0;

	ft_srv_start(&echo, FT_ECHO, 0, 0);
	pt_start(&p, WEB_YAML, "5s", "5m", port, echo.port);
	ft_baseline(&p, &b);
	ft_load_start(&l, port, 6, 256 << 10, 0);
	for (i = 0; i < RELOADS; i++) {
		t0 = test_now_ms();
		pt_reload(&p, WEB_YAML, "5s", i % 2 ? "5m" : "4m", port,
		    echo.port);
		if (test_now_ms() - t0 > worst)
			worst = test_now_ms() - t0;
		if (test_now_ms() - t0 < 100)
			test_sleep_ms((int)(100 - (test_now_ms() - t0)));
	}
	ft_load_join(&l);
	fprintf(stderr, "faults: reload storm: %d reloads (slowest %lld ms), "
	    "%u sessions intact, %u failed, %u corrupt\n", RELOADS,
	    (long long)worst, l.done, l.failed, l.corrupt);
	ck_assert_msg(l.failed == 0 && l.corrupt == 0, "%s", l.first_error);
	ck_assert_uint_gt(l.done, 0);
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10),
	    "reload storm", l.bytes);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&echo);
}
END_TEST

/* Sends stream `seed` from *off up to `to`, reading the echo as it comes. */
static void
echo_to(int fd, uint32_t seed, uint64_t *sent, uint64_t *got, uint64_t to)
{
	unsigned char buf[16384];

	while (*sent < to || *got < to) {
		struct pollfd pfd = { fd, POLLIN | (*sent < to ? POLLOUT : 0),
		    0 };
		size_t want = to - *sent < sizeof(buf) ? (size_t)(to - *sent) :
		    sizeof(buf);
		ssize_t n;

		ck_assert_int_gt(poll(&pfd, 1, PT_WAIT_MS), 0);
		if ((pfd.revents & POLLOUT) && want > 0) {
			ft_fill(seed, *sent, buf, want);
			n = send(fd, buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
			ck_assert_msg(n > 0 || errno == EAGAIN, "send: %s",
			    strerror(errno));
			if (n > 0)
				*sent += (size_t)n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			ck_assert_int_eq(ft_read_checked(fd, seed, got), 1);
	}
}

/*
 * SIGTERM while 6 threads run echo sessions and 4 more sessions are
 * half done: new clients are refused, the half-done sessions finish
 * intact 500 ms later, and then the daemon exits with 0, within its 5 s
 * grace; no session it accepted fails, no byte differs.
 */
START_TEST(test_sigterm_under_load)
{
	enum { K = 4, HALF = 128 << 10 };
	struct ft_srv echo;
	struct pt_proxy p;
	struct ft_load l;
	int port = pt_free_port(SOCK_STREAM), status, fd[K], i;
	uint64_t sent[K] = { 0 }, got[K] = { 0 }, checked = 0;
	int64_t t0, took;

	ft_srv_start(&echo, FT_ECHO, 0, 0);
	pt_start(&p, WEB_YAML, "5s", "5m", port, echo.port);
	ft_load_start(&l, port, 6, 256 << 10, 1);
	for (i = 0; i < K; i++) {
		fd[i] = pt_connect(port);
		ck_assert_int_ge(fd[i], 0);
		echo_to(fd[i], 200 + i, &sent[i], &got[i], HALF);
	}
	test_sleep_ms(500);
	t0 = test_now_ms();
	ck_assert_int_eq(kill(p.pid, SIGTERM), 0);
	test_sleep_ms(500);
	ck_assert_int_eq(pt_connect(port), -ECONNREFUSED);
	ck_assert(ft_alive(&p));
	for (i = 0; i < K; i++) {
		echo_to(fd[i], 200 + i, &sent[i], &got[i], 2 * HALF);
		ck_assert_int_eq(shutdown(fd[i], SHUT_WR), 0);
		ck_assert(ft_read_to_end(fd[i], 200 + i, &got[i], PT_WAIT_MS));
		ck_assert_int_eq(got[i], 2 * HALF);
		checked += got[i];
		close(fd[i]);
	}
	status = pt_wait_exit(&p, 7000);
	took = test_now_ms() - t0;
	ft_load_join(&l);
	checked += l.bytes;
	fprintf(stderr, "faults: SIGTERM under load: exit %d after %lld ms; "
	    "%u + %d sessions intact, %u refused, %u failed, %u corrupt, "
	    "bytes checked %llu\n", status, (long long)took, l.done, K,
	    l.refused, l.failed, l.corrupt, (unsigned long long)checked);
	ck_assert_int_eq(status, 0);
	ck_assert_int_le(took, 5000 + 1000);
	ck_assert_msg(l.failed == 0 && l.corrupt == 0, "%s", l.first_error);
	ck_assert_uint_gt(l.done, 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	ft_srv_stop(&echo);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults-ops");
	TCase *tc = tcase_create("ops");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exhaustion_at_listener);
	tcase_add_test(tc, test_exhaustion_at_connect);
	tcase_add_test(tc, test_reload_storm);
	tcase_add_test(tc, test_sigterm_under_load);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
