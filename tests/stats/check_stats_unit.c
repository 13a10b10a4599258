/*
 * The stats endpoint's parts alone: the HTTP parser on valid, partial,
 * malformed and hostile input; the exposition page of some kept records
 * (format, escaping, cumulative histogram); the JSON page; the `stats`
 * section of the configuration.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common.h"
#include "conf/conf.h"
#include "model/keep.h"
#include "ops/http.h"
#include "ops/metrics.h"

static long
parse(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

START_TEST(test_parse_valid)
{
	static const char req[] = "GET /metrics?x=1 HTTP/1.1\r\n"
	    "Host: a\r\nUser-Agent: t\r\nAccept: */*\r\n\r\nGET";
	struct http_req r;

	ck_assert_int_eq(parse(req, &r), (long)sizeof(req) - 1 - 3);
	ck_assert_int_eq(r.method, HTTP_GET);
	ck_assert_uint_eq(r.pathlen, 8);
	ck_assert_int_eq(memcmp(r.path, "/metrics", 8), 0);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_gt(parse("HEAD / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: Keep-Alive, Close\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.method, HTTP_HEAD);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_gt(parse("GET / HTTP/1.0\n\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\nconnection: keep-alive\r\n"
	    "\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_gt(parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.method, HTTP_OTHER);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 0\r\n\r\n", &r), 0);
}
END_TEST

START_TEST(test_parse_partial)
{
	static const char req[] = "GET /stats HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_req r;
	size_t i;

	for (i = 0; i + 1 < sizeof(req) - 1; i++)
		ck_assert_int_eq(http_parse(req, i, &r), 0);
	ck_assert_int_eq(http_parse(req, sizeof(req) - 1, &r),
	    (long)sizeof(req) - 1);
}
END_TEST

START_TEST(test_parse_malformed)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
		"GET / HTTP/1.\r\nHost: a\r\n\r\n",
		"GET / http/1.1\r\nHost: a\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n",
	};
	struct http_req r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &r) == -400, "%zu: %s -> %ld", i,
		    bad[i], parse(bad[i], &r));
	ck_assert_int_eq(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), -505);
	ck_assert_int_gt(parse("GET / HTTP/1.9\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(parse("GET / HTTP/1.x\r\nHost: a\r\n\r\n", &r), -400);
	/* A bare CR is refused before the end arrives. */
	ck_assert_int_eq(parse("GET /\r HTTP/1.1\r\n", &r), -400);
	/* A NUL is no token character, in a method or a header's name. */
	ck_assert_int_eq(http_parse("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n",
	    sizeof("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n") - 1, &r), -400);
	ck_assert_int_eq(http_parse("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n",
	    sizeof("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n") - 1, &r), -400);
}
END_TEST

/* Random bytes never crash it, and never make a request of garbage. */
START_TEST(test_parse_noise)
{
	static const char alphabet[] = "GET /HTP1.\r\n :Hostx\x01";
	static char buf[HTTP_REQUEST_MAX];
	struct http_req r;
	unsigned seed = 1;
	size_t i, len;
	int round;
	long n;

	for (round = 0; round < 20000; round++) {
		len = (size_t)rand_r(&seed) % 64;
		for (i = 0; i < len; i++)
			buf[i] = alphabet[rand_r(&seed) % 20];
		n = http_parse(buf, len, &r);
		ck_assert(n == 0 || n == -400 || n == -505 ||
		    (n > 0 && (size_t)n <= len));
	}
}
END_TEST

static struct keep_lstn *
unit_lstn(const char *name, int proto)
{
	struct keep_lstn *k = keep_lstn_get(name, proto);

	ck_assert_ptr_nonnull(k);
	return k;
}

START_TEST(test_exposition)
{
	struct keep_lstn *web = unit_lstn("web", CONF_PROTO_TCP);
	struct keep_lstn *dns = unit_lstn("d\"n\\s", CONF_PROTO_UDP);
	struct proc_info pi = { 1500000, 4096, 7, 1024, 1700000000 };
	struct mio_addr a;
	struct keep_srv *s;
	struct buf b = { NULL, 0, 0, 0, 0 };

	ck_assert_int_eq(mio_addr_parse(&a, "127.0.0.1:81"), 0);
	s = keep_srv_get("web", &a);
	ck_assert_ptr_nonnull(s);
	web->accepted = 12;
	web->bytes[0] = 34;
	dns->dgrams[1] = 5;
	keep_srv_connected(s, 90);
	keep_srv_connected(s, 300);
	keep_srv_connected(s, 5000000);
	s->admin = SRV_DRAIN;
	metrics_render(&b, &pi);
	ck_assert(!b.nomem);
	ck_assert_ptr_nonnull(strstr(b.p, "# TYPE mioproxy_listener_"
	    "connections_total counter\n"
	    "mioproxy_listener_connections_total{listener=\"web\"} 12\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "mioproxy_listener_bytes_total{"
	    "listener=\"web\",direction=\"in\"} 34\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "mioproxy_listener_datagrams_total{"
	    "listener=\"d\\\"n\\\\s\",direction=\"out\"} 5\n"));
	/* UDP-only families skip TCP listeners. */
	ck_assert_ptr_null(strstr(b.p, "udp_sessions_total{listener=\"web\""));
	ck_assert_ptr_nonnull(strstr(b.p, "le=\"0.0001\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "le=\"0.0005\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "le=\"1\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "mioproxy_server_connect_seconds_sum{"
	    "upstream=\"web\",server=\"127.0.0.1:81\"} 5.00039\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "mioproxy_server_connect_seconds_"
	    "count{upstream=\"web\",server=\"127.0.0.1:81\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "state=\"drain\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "state=\"up\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "mioproxy_server_up{upstream=\"web\","
	    "server=\"127.0.0.1:81\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\nprocess_cpu_seconds_total 1.5\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "\nprocess_open_fds 7\n"));
	/* Every line: a comment, or NAME{...} VALUE. */
	ck_assert(b.p[b.len - 1] == '\n');
	buf_reset(&b);
	stats_json_render(&b, &pi);
	ck_assert_ptr_nonnull(strstr(b.p, "{\"name\":\"d\\\"n\\\\s\","
	    "\"protocol\":\"udp\""));
	ck_assert_ptr_nonnull(strstr(b.p, "\"state\":\"drain\",\"up\":0"));
	ck_assert_ptr_nonnull(strstr(b.p, "\"+Inf\":3}}"));
	buf_free(&b);
	keep_srv_put(s);
	keep_lstn_put(web);
	keep_lstn_put(dns);
}
END_TEST

START_TEST(test_seconds)
{
	struct buf b = { NULL, 0, 0, 0, 0 };

	metrics_seconds(&b, 0);
	buf_str(&b, " ");
	metrics_seconds(&b, 250);
	buf_str(&b, " ");
	metrics_seconds(&b, 1000000);
	buf_str(&b, " ");
	metrics_seconds(&b, 12345678);
	ck_assert_str_eq(b.p, "0 0.00025 1 12.345678");
	buf_free(&b);
}
END_TEST

/* Loads `yaml`; the errors as "LINE:COL: message" lines, or "ok". */
static const char *
load(const char *yaml)
{
	static char out[2048];
	char path[] = "/tmp/check-stats-XXXXXX";
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	size_t i, n = 0;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	out[0] = '\0';
	if (conf_load(path, &conf, &errs) == 0) {
		snprintf(out, sizeof(out), "ok %zu %s", conf->stats.listen.n,
		    conf->stats.acl != NULL ? conf->stats.acl->name : "-");
		conf_free(conf);
	}
	for (i = 0; i < errs.n; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%lu:%lu: %s\n",
		    errs.v[i].line, errs.v[i].column, errs.v[i].message);
	conf_errors_free(&errs);
	unlink(path);
	return out;
}

#define BASE "listeners:\n  - { name: a, protocol: tcp, " \
	"bind: 127.0.0.1:1, upstream: u }\n" \
	"upstreams:\n  u: { servers: [ { address: 127.0.0.1:2 } ] }\n" \
	"acls:\n  i: { allow: [ 127.0.0.0/8 ] }\n"

START_TEST(test_conf_stats)
{
	ck_assert_str_eq(load("version: 1\n" BASE), "ok 0 -");
	ck_assert_str_eq(load("version: 1\nstats: { listen: 127.0.0.1:9100 }\n"
	    BASE), "ok 1 -");
	ck_assert_str_eq(load("version: 1\nstats: { listen: 127.0.0.1:9100, "
	    "acl: i }\n" BASE), "ok 1 i");
	ck_assert_str_eq(load("version: 1\nstats: { acl: j }\n" BASE),
	    "2:8: stats: missing required key \"listen\"\n"
	    "2:15: stats.acl: no acl named \"j\"\n");
	ck_assert_str_eq(load("version: 1\nstats: { listen: unix:/x }\n" BASE),
	    "2:18: stats.listen: needs an IP address, not unix:\n");
	ck_assert_str_eq(load("version: 1\nstats: { listen: 1.2.3.4:1, "
	    "acl: [ x ], port: 1 }\n" BASE),
	    "2:34: stats.acl: expected a name, got a sequence\n"
	    "2:41: stats: unknown key \"port\"\n");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stats_unit");
	TCase *tc = tcase_create("stats_unit");

	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_partial);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_noise);
	tcase_add_test(tc, test_exposition);
	tcase_add_test(tc, test_seconds);
	tcase_add_test(tc, test_conf_stats);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
