/*
 * The stats endpoint against the real mioproxy (CONFIG.md, "Metrics"):
 * every fixed name on the page, counters that move with the traffic
 * sent between two scrapes, histograms consistent with the sessions,
 * /stats and /healthz, and hostile HTTP clients (malformed, oversized,
 * slow, many) that get 400/408 and are closed while forwarding goes on.
 * Run once per backend, on loopback with ports the kernel picked.
 */
#include "config.h"

#include "statstest.h"

static const char *const fixed_names[] = {
	"mioproxy_build_info", "mioproxy_config_reloads_total",
	"mioproxy_listener_connections_total",
	"mioproxy_listener_connections_active",
	"mioproxy_listener_rejected_total", "mioproxy_listener_bytes_total",
	"mioproxy_listener_datagrams_total",
	"mioproxy_listener_datagrams_dropped_total",
	"mioproxy_listener_udp_sessions_active",
	"mioproxy_listener_udp_sessions_total",
	"mioproxy_listener_udp_sessions_evicted_total",
	"mioproxy_server_up", "mioproxy_server_state",
	"mioproxy_server_sessions_active", "mioproxy_server_sessions_total",
	"mioproxy_server_connect_failures_total",
	"mioproxy_server_bytes_total", "mioproxy_server_connect_seconds",
	"mioproxy_server_checks_total", "process_open_fds", "process_max_fds",
	"process_resident_memory_bytes", "process_cpu_seconds_total",
	"process_start_time_seconds",
};

struct st_env {
	struct pt_proxy	 p;
	struct pt_echo	 echo;
	struct pt_uecho	 uecho;
	int		 stats, web, dns;
	char		 page[ST_PAGE_MAX];
	char		 series[256];
};

#define ST_YAML \
	"version: 1\n" \
	"process: { shutdown_grace: 10s }\n" \
	"stats: { listen: 127.0.0.1:%d%s }\n" \
	"acls:\n" \
	"  none: { allow: [ 10.0.0.0/8 ] }\n" \
	"listeners:\n" \
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d,\n" \
	"      upstream: web }\n" \
	"  - { name: dns, protocol: udp, bind: 127.0.0.1:%d,\n" \
	"      upstream: dns }\n" \
	"upstreams:\n" \
	"  web: { servers: [ { address: 127.0.0.1:%d } ] }\n" \
	"  dns: { servers: [ { address: 127.0.0.1:%d } ] }\n"

static void
st_start(struct st_env *e, const char *stats_extra)
{
	pt_echo_start(&e->echo, -1);
	pt_uecho_start(&e->uecho, AF_INET, -1);
	e->stats = pt_free_port(SOCK_STREAM);
	e->web = pt_free_port(SOCK_STREAM);
	e->dns = pt_free_port(SOCK_DGRAM);
	pt_start(&e->p, ST_YAML, e->stats, stats_extra, e->web, e->dns,
	    e->echo.port, e->uecho.port);
}

static void
st_finish(struct st_env *e)
{
	ck_assert_int_eq(pt_stop(&e->p), 0);
	pt_echo_stop(&e->echo);
	pt_uecho_stop(&e->uecho);
}

static long long
st_metric(struct st_env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static long long
st_metric(struct st_env *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->series, sizeof(e->series), fmt, ap);
	va_end(ap);
	return st_value(e->page, e->series);
}

static void
st_scrape(struct st_env *e)
{
	ck_assert_int_eq(st_get(e->stats, "/metrics", e->page,
	    sizeof(e->page)), 200);
}

/* One TCP session through web: len bytes each way. */
static void
st_session(struct st_env *e, size_t len)
{
	char buf[4096];
	int fd = pt_connect(e->web);

	ck_assert_int_ge(fd, 0);
	memset(buf, 'x', len);
	pt_send_all(fd, buf, len);
	pt_recv_all(fd, buf, len);
	shutdown(fd, SHUT_WR);
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
}

/* Waits until no session is open on web: counts are final then. */
static void
st_settle(struct st_env *e)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;

	do {
		st_scrape(e);
		if (st_metric(e, "mioproxy_listener_connections_active"
		    "{listener=\"web\"}") == 0)
			return;
		test_sleep_ms(20);
	} while (test_now_ms() < end);
	ck_abort_msg("sessions did not end");
}

START_TEST(test_every_fixed_name)
{
	static struct st_env e;
	char want[160];
	size_t i;

	st_start(&e, "");
	st_scrape(&e);
	for (i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]); i++) {
		snprintf(want, sizeof(want), "# TYPE %s ", fixed_names[i]);
		ck_assert_msg(strstr(e.page, want) != NULL, "no %s",
		    fixed_names[i]);
		snprintf(want, sizeof(want), "\n%s", fixed_names[i]);
		ck_assert_msg(strstr(e.page, want) != NULL, "no sample of %s",
		    fixed_names[i]);
	}
	ck_assert_int_eq(st_metric(&e, "mioproxy_build_info{version=\"%s\"}",
	    PACKAGE_VERSION), 1);
	ck_assert_int_eq(st_metric(&e, "mioproxy_server_state{upstream=\"web\""
	    ",server=\"127.0.0.1:%d\",state=\"up\"}", e.echo.port), 1);
	ck_assert_int_eq(st_metric(&e, "mioproxy_server_up{upstream=\"web\","
	    "server=\"127.0.0.1:%d\"}", e.echo.port), 1);
	ck_assert_int_gt(st_metric(&e, "process_open_fds"), 3);
	ck_assert_int_gt(st_metric(&e, "process_max_fds"), 3);
	ck_assert_int_gt(st_metric(&e, "process_resident_memory_bytes"), 0);
	ck_assert_int_gt(st_metric(&e, "process_start_time_seconds"),
	    1500000000);
	st_finish(&e);
}
END_TEST

/* The histogram of a server: cumulative, +Inf = _count = sessions. */
static void
st_check_histogram(struct st_env *e, const char *ups, int port)
{
	static const char *const le[] = { "0.0001", "0.00025", "0.0005",
	    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	    "0.25", "1", "+Inf" };
	long long prev = 0, v, count, total;
	size_t i;

	for (i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		v = st_metric(e, "mioproxy_server_connect_seconds_bucket{"
		    "upstream=\"%s\",server=\"127.0.0.1:%d\",le=\"%s\"}", ups,
		    port, le[i]);
		ck_assert_int_ge(v, prev);
		prev = v;
	}
	count = st_metric(e, "mioproxy_server_connect_seconds_count{"
	    "upstream=\"%s\",server=\"127.0.0.1:%d\"}", ups, port);
	total = st_metric(e, "mioproxy_server_sessions_total{"
	    "upstream=\"%s\",server=\"127.0.0.1:%d\"}", ups, port);
	ck_assert_int_eq(prev, count);
	ck_assert_int_eq(count, total);
	snprintf(e->series, sizeof(e->series), "mioproxy_server_connect_"
	    "seconds_sum{upstream=\"%s\",server=\"127.0.0.1:%d\"} ", ups,
	    port);
	ck_assert_ptr_nonnull(strstr(e->page, e->series));
}

START_TEST(test_counters_move)
{
	static struct st_env e;
	long long conns, in, out, sess, dgrams;
	char buf[64];
	int i, fd;

	st_start(&e, "");
	st_scrape(&e);
	conns = st_metric(&e, "mioproxy_listener_connections_total"
	    "{listener=\"web\"}");
	in = st_metric(&e, "mioproxy_listener_bytes_total{listener=\"web\","
	    "direction=\"in\"}");
	out = st_metric(&e, "mioproxy_listener_bytes_total{listener=\"web\","
	    "direction=\"out\"}");
	sess = st_metric(&e, "mioproxy_server_sessions_total{upstream=\"web\""
	    ",server=\"127.0.0.1:%d\"}", e.echo.port);
	dgrams = st_metric(&e, "mioproxy_listener_datagrams_total"
	    "{listener=\"dns\",direction=\"in\"}");
	ck_assert(conns >= 0 && in >= 0 && out >= 0 && sess >= 0 &&
	    dgrams >= 0);
	for (i = 0; i < 5; i++)
		st_session(&e, 100);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < 3; i++) {
		pt_udp_send(fd, "127.0.0.1", e.dns, "ping", 4);
		ck_assert_int_eq(pt_udp_recv(fd, buf, sizeof(buf), PT_WAIT_MS,
		    NULL, NULL), 4);
	}
	close(fd);
	st_settle(&e);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_connections_total"
	    "{listener=\"web\"}"), conns + 5);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_bytes_total"
	    "{listener=\"web\",direction=\"in\"}"), in + 500);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_bytes_total"
	    "{listener=\"web\",direction=\"out\"}"), out + 500);
	ck_assert_int_eq(st_metric(&e, "mioproxy_server_bytes_total"
	    "{upstream=\"web\",server=\"127.0.0.1:%d\",direction=\"in\"}",
	    e.echo.port), in + 500);
	ck_assert_int_eq(st_metric(&e, "mioproxy_server_sessions_total"
	    "{upstream=\"web\",server=\"127.0.0.1:%d\"}", e.echo.port),
	    sess + 5);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_datagrams_total"
	    "{listener=\"dns\",direction=\"in\"}"), dgrams + 3);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_datagrams_total"
	    "{listener=\"dns\",direction=\"out\"}"), 3);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_udp_sessions_total"
	    "{listener=\"dns\"}"), 1);
	ck_assert_int_eq(st_metric(&e, "mioproxy_listener_udp_sessions_active"
	    "{listener=\"dns\"}"), 1);
	st_check_histogram(&e, "web", e.echo.port);
	st_check_histogram(&e, "dns", e.uecho.port);
	ck_assert_int_eq(st_metric(&e, "mioproxy_server_connect_seconds_count"
	    "{upstream=\"web\",server=\"127.0.0.1:%d\"}", e.echo.port), 5);
	st_finish(&e);
}
END_TEST

START_TEST(test_json_and_healthz)
{
	static struct st_env e;

	st_start(&e, "");
	st_session(&e, 10);
	ck_assert_int_eq(st_get(e.stats, "/stats", e.page, sizeof(e.page)),
	    200);
	ck_assert_ptr_nonnull(strstr(e.page, "\"listeners\":[{\"name\":\"web\""
	    ",\"protocol\":\"tcp\",\"connections\":1,"));
	ck_assert_ptr_nonnull(strstr(e.page, "\"servers\":[{"));
	ck_assert_ptr_nonnull(strstr(e.page, "\"connect_seconds\":{\"count\""
	    ":1,"));
	ck_assert_ptr_nonnull(strstr(e.page, "\"process\":{\"cpu_seconds\":"));
	ck_assert_int_eq(st_get(e.stats, "/healthz", e.page, sizeof(e.page)),
	    200);
	ck_assert_str_eq(e.page, "ok\n");
	ck_assert_int_eq(st_get(e.stats, "/metrics?x=1", e.page,
	    sizeof(e.page)), 200);
	ck_assert_int_eq(st_get(e.stats, "/nothing", e.page, sizeof(e.page)),
	    404);
	st_finish(&e);
}
END_TEST

/* The status of a raw request, and that the proxy closed after it. */
static int
st_status_closed(int port, const char *req, size_t len)
{
	static char out[65536];
	int status = -1;

	st_raw(port, req, len, out, sizeof(out));
	if (sscanf(out, "HTTP/1.1 %d", &status) != 1)
		return -1;
	return status;
}

START_TEST(test_malformed_and_oversized)
{
	static struct st_env e;
	static char big[9000 + 64];
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n\r\n",		/* no Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
		"GET /metrics HTTP/1.1\rHost: a\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
	};
	size_t i;

	st_start(&e, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(st_status_closed(e.stats, bad[i],
		    strlen(bad[i])) == 400, "%s", bad[i]);
	ck_assert_int_eq(st_status_closed(e.stats,
	    "GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n", 34), 505);
	ck_assert_int_eq(st_status_closed(e.stats,
	    "POST /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    54), 405);
	/* Over 8 KB of headers, with and without an end. */
	memcpy(big, "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: ", 40);
	memset(big + 40, 'b', 9000);
	ck_assert_int_eq(st_status_closed(e.stats, big, 9040), 400);
	memcpy(big + 9040, "\r\n\r\n", 4);
	ck_assert_int_eq(st_status_closed(e.stats, big, 9044), 400);
	/* Binary noise. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 1);
	ck_assert_int_eq(st_status_closed(e.stats, big, 200), 400);
	st_session(&e, 10);
	st_finish(&e);
}
END_TEST

/* Two requests on one connection, then HTTP/1.0 which closes. */
START_TEST(test_keep_alive)
{
	static struct st_env e;
	static const char two[] = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
	    "HEAD /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char out[4096], *p;
	int fd;

	st_start(&e, "");
	st_raw(e.stats, two, sizeof(two) - 1, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 200 OK\r\n"));
	p = strstr(out, "ok\nHTTP/1.1 200 OK\r\n");
	ck_assert_ptr_nonnull(p);
	/* HEAD: headers only, the length of the body it would send. */
	ck_assert(p[strlen(p) - 1] == '\n' && strstr(p, "\r\n\r\n") != NULL &&
	    strstr(p, "\r\n\r\n")[4] == '\0');
	/* One at a time on a kept connection. */
	fd = pt_connect(e.stats);
	pt_send_all(fd, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 34);
	ck_assert_int_gt(recv(fd, out, sizeof(out), 0), 0);
	pt_send_all(fd, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 34);
	ck_assert_int_gt(recv(fd, out, sizeof(out), 0), 0);
	ck_assert_ptr_nonnull(strstr(out, "200 OK"));
	close(fd);
	ck_assert_int_eq(st_status_closed(e.stats,
	    "GET /healthz HTTP/1.0\r\n\r\n", 25), 200);
	st_finish(&e);
}
END_TEST

START_TEST(test_slow_clients)
{
	static struct st_env e;
	char out[4096];
	int64_t t0;
	int fd, idle;

	setenv("MIOPROXY_STATS_TIMEOUT_MS", "400", 1);
	st_start(&e, "");
	unsetenv("MIOPROXY_STATS_TIMEOUT_MS");
	fd = pt_connect(e.stats);
	idle = pt_connect(e.stats);
	t0 = test_now_ms();
	pt_send_all(fd, "GET /metr", 9);
	/* Forwarding goes on meanwhile. */
	st_session(&e, 100);
	test_sleep_ms(150);
	/* A trickle gains nothing: the time counts from the accept. */
	pt_send_all(fd, "ics HTTP/1.1\r\n", 14);
	ck_assert_int_gt(recv(fd, out, sizeof(out) - 1, 0), 0);
	ck_assert_int_eq(strncmp(out, "HTTP/1.1 408 ", 13), 0);
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	ck_assert_int_lt(test_now_ms() - t0, 2000 * pt_slow());
	close(fd);
	/* A client that never sent a byte: 408 too, and closed. */
	ck_assert_int_gt(recv(idle, out, sizeof(out) - 1, 0), 0);
	ck_assert_int_eq(strncmp(out, "HTTP/1.1 408 ", 13), 0);
	close(idle);
	st_finish(&e);
}
END_TEST

/* Far more clients than the endpoint serves: none stops forwarding. */
#define ST_MANY	1000

START_TEST(test_many_clients)
{
	static struct st_env e;
	static int fds[ST_MANY], seen[ST_MANY];
	char out[256];
	int i, closed = 0;
	int64_t end;

	st_start(&e, "");
	for (i = 0; i < ST_MANY; i++) {
		fds[i] = pt_connect(e.stats);
		ck_assert_int_ge(fds[i], 0);
	}
	st_session(&e, 1000);
	/* Past the cap, new busy clients are refused (closed at once). */
	end = test_now_ms() + PT_WAIT_MS;
	while (closed < ST_MANY - 64 && test_now_ms() < end) {
		for (i = 0; i < ST_MANY; i++) {
			struct pollfd pfd = { fds[i], POLLIN, 0 };

			if (seen[i] || poll(&pfd, 1, 0) != 1)
				continue;
			seen[i] = recv(fds[i], out, sizeof(out),
			    MSG_DONTWAIT) == 0;
			closed += seen[i];
		}
		test_sleep_ms(20);
	}
	ck_assert_int_ge(closed, ST_MANY - 64);
	for (i = 0; i < ST_MANY; i++)
		close(fds[i]);
	ck_assert_int_eq(st_get(e.stats, "/healthz", out, sizeof(out)), 200);
	st_finish(&e);
}
END_TEST

/*
 * A scraper that asks for a large page (about 360 KB: 150 servers) and
 * never reads it: whether the kernel's buffers take the page (on Linux's
 * loopback they mostly do) or the proxy holds the rest, forwarding goes
 * on and the client is closed once the timeout passes.
 */
START_TEST(test_reader_that_never_reads)
{
	static struct st_env e;
	static char yaml[8192], servers[6000];
	size_t n = 0;
	int i, fd, fds, base = pt_free_port(SOCK_STREAM);
	int64_t t0;

	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(servers + n, sizeof(servers) - n,
		    "%s{ address: 127.0.0.1:%d }", i > 0 ? ", " : "",
		    1024 + (base + i) % 60000);
	pt_echo_start(&e.echo, -1);
	e.stats = pt_free_port(SOCK_STREAM);
	e.web = pt_free_port(SOCK_STREAM);
	snprintf(yaml, sizeof(yaml), "version: 1\n"
	    "stats: { listen: 127.0.0.1:%d }\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: web }\n"
	    "  - { name: many, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: many }\n"
	    "upstreams:\n"
	    "  web: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  many: { servers: [ %s ] }\n", e.stats, e.web,
	    pt_free_port(SOCK_STREAM), e.echo.port, servers);
	setenv("MIOPROXY_STATS_TIMEOUT_MS", "500", 1);
	pt_start(&e.p, "%s", yaml);
	unsetenv("MIOPROXY_STATS_TIMEOUT_MS");
	fds = pt_fds(e.p.pid, INT_MAX);
	fd = pt_small_window(e.stats);
	t0 = test_now_ms();
	pt_send_all(fd, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 34);
	test_sleep_ms(100);
	st_session(&e, 1000);		/* forwarding goes on */
	while (pt_fds(e.p.pid, INT_MAX) > fds &&
	    test_now_ms() - t0 < 3000 * pt_slow())
		test_sleep_ms(20);
	ck_assert_int_eq(pt_fds(e.p.pid, INT_MAX), fds);
	close(fd);
	ck_assert_int_eq(pt_stop(&e.p), 0);
	pt_echo_stop(&e.echo);
}
END_TEST

/* A graceful stop: /healthz says 503 while sessions finish. */
START_TEST(test_healthz_while_stopping)
{
	static struct st_env e;
	char out[256];
	int fd;

	st_start(&e, "");
	fd = pt_connect(e.web);
	pt_send_all(fd, "x", 1);
	pt_recv_all(fd, out, 1);
	ck_assert_int_eq(kill(e.p.pid, SIGTERM), 0);
	ck_assert(pt_wait_notify(&e.p, "STOPPING=1", PT_WAIT_MS));
	ck_assert_int_eq(st_get(e.stats, "/healthz", out, sizeof(out)), 503);
	ck_assert_str_eq(out, "stopping\n");
	ck_assert_int_eq(st_get(e.stats, "/metrics", e.page, sizeof(e.page)),
	    200);
	close(fd);
	ck_assert_int_eq(pt_wait_exit(&e.p, PT_WAIT_MS), 0);
	st_finish(&e);
}
END_TEST

START_TEST(test_acl_and_reload)
{
	static struct st_env e;
	char out[256];
	int port2;

	st_start(&e, ", acl: none");
	/* Refused: closed without a byte. */
	ck_assert_uint_eq(st_raw(e.stats, "", 0,
	    out, sizeof(out)), 0);
	port2 = pt_free_port(SOCK_STREAM);
	pt_reload(&e.p, ST_YAML, port2, "", e.web, e.dns, e.echo.port,
	    e.uecho.port);
	ck_assert_int_eq(st_get(port2, "/metrics", e.page, sizeof(e.page)),
	    200);
	ck_assert_int_eq(st_metric(&e, "mioproxy_config_reloads_total"
	    "{result=\"ok\"}"), 1);
	ck_assert_int_lt(pt_connect(e.stats), 0);
	/* The same address again: kept, and the ACL follows the file. */
	pt_reload(&e.p, ST_YAML, port2, ", acl: none", e.web, e.dns,
	    e.echo.port, e.uecho.port);
	ck_assert_uint_eq(st_raw(port2, "", 0,
	    out, sizeof(out)), 0);
	st_finish(&e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_fixed_name);
	tcase_add_test(tc, test_counters_move);
	tcase_add_test(tc, test_json_and_healthz);
	tcase_add_test(tc, test_malformed_and_oversized);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_slow_clients);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_reader_that_never_reads);
	tcase_add_test(tc, test_healthz_while_stopping);
	tcase_add_test(tc, test_acl_and_reload);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
