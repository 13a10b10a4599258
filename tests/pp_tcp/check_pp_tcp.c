/*
 * The PROXY protocol over TCP against the real mioproxy (issue 14): a
 * raw client writes headers (v1, v2, any; whole or byte by byte; LOCAL;
 * IPv6; the Unix family), an echo server behind a `send` upstream sends
 * back what mioproxy wrote to it, header included, so that each test
 * reads the header sent on beside the client's bytes.  Refusals
 * (untrusted peer, malformed, truncated, oversized, wrong version, slow)
 * close the connection and are counted in /metrics and the access log,
 * and logged once per cause; the ACL and source_hash see the carried
 * address.  Loopback, ports picked free, every wait bounded; run once
 * per backend (MIO_BACKEND).
 */
#include "config.h"

#include "../common.h"
#include "../stats/statstest.h"
#include "proxyproto/pp.h"

static const uint8_t v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A v2 header: command byte (0x21 PROXY, 0x20 LOCAL), family byte. */
static size_t
v2_hdr(uint8_t *b, uint8_t cmd, uint8_t fam, const void *addr, size_t alen,
    const void *tlv, size_t tlen)
{
	size_t n = alen + tlen;

	memcpy(b, v2_sig, 12);
	b[12] = cmd;
	b[13] = fam;
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
	if (alen > 0)
		memcpy(b + 16, addr, alen);
	if (tlen > 0)
		memcpy(b + 16 + alen, tlv, tlen);
	return 16 + n;
}

/* An IPv4 address block: src, dst (dotted), ports. */
static size_t
v2_inet(uint8_t *a, const char *src, const char *dst, int sp, int dp)
{
	ck_assert_int_eq(inet_pton(AF_INET, src, a), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, a + 4), 1);
	a[8] = (uint8_t)(sp >> 8);
	a[9] = (uint8_t)sp;
	a[10] = (uint8_t)(dp >> 8);
	a[11] = (uint8_t)dp;
	return 12;
}

/* A TLV appended at t + *n. */
static void
v2_tlv(uint8_t *t, size_t *n, uint8_t type, const char *val)
{
	size_t len = strlen(val);

	t[(*n)++] = type;
	t[(*n)++] = (uint8_t)(len >> 8);
	t[(*n)++] = (uint8_t)len;
	memcpy(t + *n, val, len);
	*n += len;
}

/*
 * One client: connects to port, sends req (a byte per send, 2 ms apart,
 * when bytewise), shuts its side, reads to the end into out: how many
 * bytes came back (0: closed without an answer).  *cport: its own port.
 */
static size_t
pp_client(int port, const void *req, size_t len, int bytewise, char *out,
    size_t cap, int *cport)
{
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	size_t got = 0, i;
	ssize_t n;
	int fd = pt_connect(port);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
	if (cport != NULL)
		*cport = ntohs(me.sin_port);
	for (i = 0; i < len; i += bytewise ? 1 : len) {
		if (send(fd, (const char *)req + i, bytewise ? 1 : len,
		    MSG_NOSIGNAL) < 0)
			break;
		if (bytewise)
			test_sleep_ms(2);
	}
	shutdown(fd, SHUT_WR);
	while (got < cap && (n = recv(fd, out + got, cap - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	return got;
}

/* The proxy's yaml: one listener `web` on port with `accept`, upstream
 * `web` on the echo server with `send`, a stats endpoint, access log. */
#define PP_YAML(extra_l, extra_u) \
	"version: 1\n" \
	"stats: { listen: 127.0.0.1:%d }\n" \
	"logging: { access: { target: ACCESS_LOG } }\n" \
	"listeners:\n" \
	"  - name: web\n" \
	"    protocol: tcp\n" \
	"    bind: 127.0.0.1:%d\n" \
	"    upstream: web\n" \
	extra_l \
	"upstreams:\n" \
	"  web:\n" \
	"    servers: [ { address: 127.0.0.1:%d } ]\n" \
	extra_u

struct pp_env {
	struct pt_proxy	 p;
	struct pt_echo	 echo;
	int		 port, stats;
	char		 out[4096];
	char		 page[ST_PAGE_MAX];
};

static struct pp_env env;

/* A macro, so that the format stays a literal the compiler checks. */
#define pp_begin(yaml) do { \
	pt_echo_start(&env.echo, -1); \
	env.port = pt_free_port(SOCK_STREAM); \
	env.stats = pt_free_port(SOCK_STREAM); \
	pt_start(&env.p, yaml, env.stats, env.port, env.echo.port); \
} while (0)

static void
pp_end(void)
{
	ck_assert_int_eq(pt_stop(&env.p), 0);
	pt_echo_stop(&env.echo);
}

static long long
pp_rejected(const char *reason)
{
	char series[160];

	ck_assert_int_eq(st_get(env.stats, "/metrics", env.page,
	    sizeof(env.page)), 200);
	snprintf(series, sizeof(series), "mioproxy_listener_rejected_total"
	    "{listener=\"web\",reason=\"%s\"}", reason);
	return st_value(env.page, series);
}

/* Waits until the access log holds needle; fails after 5 s. */
static void
pp_wait_access(const char *needle)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;

	while (strstr(pt_read_file(env.p.access), needle) == NULL) {
		ck_assert_msg(test_now_ms() < end, "no \"%s\" in:\n%s",
		    needle, pt_read_file(env.p.access));
		test_sleep_ms(10);
	}
}

#define V1_IN	"PROXY TCP4 192.0.2.7 198.51.100.9 5555 80\r\n"

START_TEST(test_v1_in_v1_out)
{
	char want[128];
	size_t n;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v1, trusted: 127.0.0.0/8 }\n",
	    "    proxy_protocol: { send: v1 }\n"));
	/* Whole, then byte by byte: the same line comes out. */
	n = pp_client(env.port, V1_IN "hello", strlen(V1_IN "hello"), 0,
	    env.out, sizeof(env.out), NULL);
	ck_assert_int_eq(n, strlen(V1_IN "hello"));
	ck_assert_int_eq(memcmp(env.out, V1_IN "hello", n), 0);
	n = pp_client(env.port, V1_IN "hi", strlen(V1_IN "hi"), 1,
	    env.out, sizeof(env.out), NULL);
	ck_assert_int_eq(n, strlen(V1_IN "hi"));
	ck_assert_int_eq(memcmp(env.out, V1_IN "hi", n), 0);
	/* The client is the carried one, the proxy its peer; the header's
	 * bytes are not the client's. */
	pp_wait_access("bytes_in=2 ");
	snprintf(want, sizeof(want), "client=192.0.2.7:5555 peer=127.0.0.1:");
	ck_assert_int_eq(pt_count(pt_read_file(env.p.access), want), 2);
	ck_assert_ptr_nonnull(strstr(pt_read_file(env.p.access),
	    "bytes_in=5 bytes_out="));
	pp_end();
}
END_TEST

START_TEST(test_v2_tlvs_bytewise)
{
	uint8_t addr[12], tlv[128], in[256], want[256];
	size_t tn = 0, wn = 0, n, len, wlen;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v2, trusted: 127.0.0.1 }\n",
	    "    proxy_protocol: { send: v2 }\n"));
	v2_inet(addr, "192.0.2.7", "198.51.100.9", 5555, 443);
	v2_tlv(tlv, &tn, 0x01, "h2");
	v2_tlv(tlv, &tn, 0x04, "pad");	/* NOOP: not passed on */
	v2_tlv(tlv, &tn, 0x02, "example.com");
	v2_tlv(tlv, &tn, 0x05, "req-42");
	len = v2_hdr(in, 0x21, 0x11, addr, 12, tlv, tn);
	memcpy(in + len, "data", 4);
	/* What the server must get: the same, without the NOOP. */
	v2_tlv(want + 200, &wn, 0x01, "h2");
	v2_tlv(want + 200, &wn, 0x02, "example.com");
	v2_tlv(want + 200, &wn, 0x05, "req-42");
	memmove(tlv, want + 200, wn);
	wlen = v2_hdr(want, 0x21, 0x11, addr, 12, tlv, wn);
	memcpy(want + wlen, "data", 4);
	n = pp_client(env.port, in, len + 4, 1, env.out, sizeof(env.out),
	    NULL);
	ck_assert_int_eq(n, wlen + 4);
	ck_assert_int_eq(memcmp(env.out, want, n), 0);
	pp_end();
}
END_TEST

/* A CRC32c that came is checked, and computed afresh on the way out. */
START_TEST(test_crc32c_recomputed)
{
	uint8_t addr[12], tlv[64], in[128];
	struct pp_header h;
	struct pp_tlv_iter it;
	const uint8_t *val;
	uint16_t vlen;
	uint8_t type;
	size_t tn = 0, len, n, at;
	uint32_t c;
	int seen = 0;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v2, trusted: 127.0.0.1 }\n",
	    "    proxy_protocol: { send: v2 }\n"));
	v2_inet(addr, "192.0.2.7", "198.51.100.9", 5555, 443);
	v2_tlv(tlv, &tn, 0x02, "a.example");
	at = 16 + 12 + tn;
	v2_tlv(tlv, &tn, 0x03, "\1\1\1\1");
	len = v2_hdr(in, 0x21, 0x11, addr, 12, tlv, tn);
	memset(in + at + 3, 0, 4);
	c = pp_crc32c(0, in, len);
	in[at + 3] = (uint8_t)(c >> 24);
	in[at + 4] = (uint8_t)(c >> 16);
	in[at + 5] = (uint8_t)(c >> 8);
	in[at + 6] = (uint8_t)c;
	n = pp_client(env.port, in, len, 0, env.out, sizeof(env.out), NULL);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pp_parse((const uint8_t *)env.out, n, PP_ACCEPT_V2,
	    PP_V2_MAX, &h), (ssize_t)n);
	it = (struct pp_tlv_iter){ h.tlv, h.tlv + h.tlv_len };
	while (pp_tlv_next(&it, &type, &val, &vlen) == 1)
		seen |= type == 0x03 ? 1 : type == 0x02 ? 2 : 4;
	ck_assert_int_eq(seen, 3);
	/* A CRC that does not match: malformed. */
	in[at + 6] ^= 1;
	ck_assert_int_eq(pp_client(env.port, in, len, 0, env.out,
	    sizeof(env.out), NULL), 0);
	pp_wait_access("end=proxy_protocol_malformed");
	pp_end();
}
END_TEST

START_TEST(test_any_local_and_ipv6)
{
	uint8_t addr[36], in[128];
	char want[128];
	size_t len, n;
	int cport;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: any, trusted: [ 127.0.0.0/8 ] }\n",
	    "    proxy_protocol: { send: v1 }\n"));
	/* any takes v1 ... */
	n = pp_client(env.port, V1_IN, strlen(V1_IN), 0, env.out,
	    sizeof(env.out), NULL);
	ck_assert_int_eq(n, strlen(V1_IN));
	/* ... and v2 (IPv6 here, sent on as TCP6) ... */
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", addr), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::2", addr + 16), 1);
	addr[32] = 0x04; addr[33] = 0xd2;	/* 1234 */
	addr[34] = 0x01; addr[35] = 0xbb;	/* 443 */
	len = v2_hdr(in, 0x21, 0x21, addr, 36, NULL, 0);
	n = pp_client(env.port, in, len, 0, env.out, sizeof(env.out), NULL);
	env.out[n] = '\0';
	ck_assert_str_eq(env.out, "PROXY TCP6 2001:db8::1 2001:db8::2 1234 "
	    "443\r\n");
	/* ... and LOCAL keeps the real addresses. */
	len = v2_hdr(in, 0x20, 0x00, NULL, 0, NULL, 0);
	n = pp_client(env.port, in, len, 0, env.out, sizeof(env.out),
	    &cport);
	env.out[n] = '\0';
	snprintf(want, sizeof(want), "PROXY TCP4 127.0.0.1 127.0.0.1 %d "
	    "%d\r\n", cport, env.port);
	ck_assert_str_eq(env.out, want);
	snprintf(want, sizeof(want), "client=127.0.0.1:%d server=", cport);
	pp_wait_access(want);
	pp_wait_access("client=[2001:db8::1]:1234 peer=127.0.0.1:");
	pp_end();
}
END_TEST

START_TEST(test_unix_family)
{
	uint8_t addr[216], in[300];
	size_t len, n;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v2, trusted: 127.0.0.1 }\n",
	    "    proxy_protocol: { send: v2 }\n"));
	memset(addr, 0, sizeof(addr));
	strcpy((char *)addr, "/run/front.sock");
	strcpy((char *)addr + 108, "/run/back.sock");
	len = v2_hdr(in, 0x21, 0x31, addr, 216, NULL, 0);
	n = pp_client(env.port, in, len, 0, env.out, sizeof(env.out), NULL);
	/* Passed on as it came. */
	ck_assert_int_eq(n, len);
	ck_assert_int_eq(memcmp(env.out, in, len), 0);
	pp_end();
}
END_TEST

START_TEST(test_untrusted_refused)
{
	size_t n;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v1, trusted: 10.0.0.0/8 }\n", ""));
	n = pp_client(env.port, V1_IN "hello", strlen(V1_IN "hello"), 0,
	    env.out, sizeof(env.out), NULL);
	ck_assert_int_eq(n, 0);
	pp_wait_access("end=proxy_protocol_untrusted");
	ck_assert_int_eq(pp_rejected("proxy_protocol"), 1);
	ck_assert_int_eq(env.echo.accepted, 0);
	pp_end();
	ck_assert_ptr_nonnull(strstr(env.p.log_text, "a peer not in trusted "
	    "from 127.0.0.1:"));
}
END_TEST

START_TEST(test_bad_headers)
{
	uint8_t addr[12], tlv[200], in[300];
	size_t tn = 0, len, n;
	int64_t t0;
	int i, fd;

	pp_begin(PP_YAML(
	    "    proxy_protocol: { accept: v1, trusted: 127.0.0.1, "
	    "timeout: 300ms, max_header: 64 }\n", ""));
	/* Not a header: closed at once, whatever follows. */
	for (i = 0; i < 4; i++) {
		n = pp_client(env.port, "GET / HTTP/1.1\r\n\r\n", 18, 0,
		    env.out, sizeof(env.out), NULL);
		ck_assert_int_eq(n, 0);
	}
	/* Cut short by the client's FIN. */
	n = pp_client(env.port, "PROXY TCP4 192.0", 16, 0, env.out,
	    sizeof(env.out), NULL);
	ck_assert_int_eq(n, 0);
	/* A v2 header to a v1 listener. */
	v2_inet(addr, "192.0.2.7", "198.51.100.9", 1, 2);
	len = v2_hdr(in, 0x21, 0x11, addr, 12, NULL, 0);
	ck_assert_int_eq(pp_client(env.port, in, len, 0, env.out,
	    sizeof(env.out), NULL), 0);
	/* Slow: half a line, then nothing until the timeout closes it. */
	fd = pt_connect(env.port);
	ck_assert_int_ge(fd, 0);
	t0 = test_now_ms();
	pt_send_all(fd, "PROXY TCP4 ", 11);
	ck_assert_int_le(recv(fd, env.out, sizeof(env.out), 0), 0);
	ck_assert_int_ge(test_now_ms() - t0, 250);
	close(fd);
	pp_wait_access("end=proxy_protocol_timeout");
	pp_wait_access("end=proxy_protocol_version");
	pp_wait_access("end=proxy_protocol_truncated");
	ck_assert_int_eq(pt_count(pt_read_file(env.p.access),
	    "end=proxy_protocol_malformed"), 4);
	ck_assert_int_eq(pp_rejected("proxy_protocol"), 7);
	ck_assert_int_eq(env.echo.accepted, 0);
	/* Oversized: a v2 listener capped at 64 bytes. */
	pt_reload(&env.p, PP_YAML(
	    "    proxy_protocol: { accept: v2, trusted: 127.0.0.1, "
	    "max_header: 64 }\n", ""), env.stats, env.port, env.echo.port);
	memset(tlv, 'x', sizeof(tlv));
	tlv[0] = 0x04;
	tlv[1] = 0;
	tlv[2] = 100 - 3;
	tn = 100;
	len = v2_hdr(in, 0x21, 0x11, addr, 12, tlv, tn);
	ck_assert_int_eq(pp_client(env.port, in, len, 0, env.out,
	    sizeof(env.out), NULL), 0);
	pp_wait_access("end=proxy_protocol_oversized");
	pp_end();
	/* Logged once per cause, however many came. */
	ck_assert_int_eq(pt_count(env.p.log_text, "a malformed header"), 1);
	ck_assert_int_eq(pt_count(env.p.log_text, "cut short"), 1);
	ck_assert_int_eq(pt_count(env.p.log_text, "within the timeout"), 1);
	ck_assert_int_eq(pt_count(env.p.log_text, "over max_header"), 1);
}
END_TEST

START_TEST(test_acl_on_carried)
{
	size_t n;
	const char *ok = "PROXY TCP4 192.0.2.7 198.51.100.9 5555 80\r\nok";
	const char *no = "PROXY TCP4 198.51.100.1 198.51.100.9 5555 80\r\nno";

	pt_echo_start(&env.echo, -1);
	env.port = pt_free_port(SOCK_STREAM);
	env.stats = pt_free_port(SOCK_STREAM);
	/* The proxy (127.0.0.1) is trusted but not in the ACL: the ACL
	 * judges the client its header names. */
	pt_start(&env.p, "version: 1\n"
	    "stats: { listen: 127.0.0.1:%d }\n"
	    "logging: { access: { target: ACCESS_LOG, format: json } }\n"
	    "acls: { front: { allow: [ 192.0.2.0/24 ] } }\n"
	    "listeners:\n"
	    "  - name: web\n"
	    "    protocol: tcp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: web\n"
	    "    acl: front\n"
	    "    proxy_protocol: { accept: v1, trusted: 127.0.0.1 }\n"
	    "upstreams:\n"
	    "  web:\n"
	    "    servers: [ { address: 127.0.0.1:%d } ]\n",
	    env.stats, env.port, env.echo.port);
	n = pp_client(env.port, ok, strlen(ok), 0, env.out, sizeof(env.out),
	    NULL);
	ck_assert_int_eq(n, 2);
	n = pp_client(env.port, no, strlen(no), 0, env.out, sizeof(env.out),
	    NULL);
	ck_assert_int_eq(n, 0);
	pp_wait_access("\"end\":\"acl_denied\"");
	pp_wait_access("\"client\":\"192.0.2.7:5555\",\"peer\":\"127.0.0.1:");
	pp_wait_access("\"client\":\"198.51.100.1:5555\",\"peer\":"
	    "\"127.0.0.1:");
	ck_assert_int_eq(pp_rejected("acl"), 1);
	pp_end();
}
END_TEST

/* The id byte of the server that served a client carrying `src`. */
static int
pp_hash_one(int port, const char *src)
{
	char line[128], out[16];
	size_t n;

	snprintf(line, sizeof(line), "PROXY TCP4 %s 198.51.100.9 5555 80\r\n",
	    src);
	n = pp_client(port, line, strlen(line), 0, out, sizeof(out), NULL);
	ck_assert_int_eq(n, 1);
	return out[0];
}

START_TEST(test_source_hash_on_carried)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	char src[32];
	int port = pt_free_port(SOCK_STREAM), i, k, first, seen[2] = { 0, 0 };

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, "version: 1\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: "
	    "web, proxy_protocol: { accept: v1, trusted: 127.0.0.1 } }\n"
	    "upstreams:\n"
	    "  web:\n"
	    "    balance: source_hash\n"
	    "    servers: [ { address: 127.0.0.1:%d }, "
	    "{ address: 127.0.0.1:%d } ]\n", port, a.port, b.port);
	/* Every real connection comes from 127.0.0.1: only the carried
	 * address can tell the clients apart. */
	for (i = 0; i < 16; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 10 + i);
		first = pp_hash_one(port, src);
		for (k = 0; k < 3; k++)
			ck_assert_int_eq(pp_hash_one(port, src), first);
		seen[first == 'B']++;
	}
	ck_assert_int_gt(seen[0], 0);
	ck_assert_int_gt(seen[1], 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

START_TEST(test_send_without_accept_and_retry)
{
	char want[128];
	size_t n;
	int i, cport, dead = pt_free_port(SOCK_STREAM);

	pt_echo_start(&env.echo, -1);
	env.port = pt_free_port(SOCK_STREAM);
	/* The first server refuses: the header goes to the next one, once. */
	pt_start(&env.p, "version: 1\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: "
	    "web }\n"
	    "upstreams:\n"
	    "  web:\n"
	    "    servers: [ { address: 127.0.0.1:%d }, "
	    "{ address: 127.0.0.1:%d } ]\n"
	    "    proxy_protocol: { send: v1 }\n",
	    env.port, dead, env.echo.port);
	for (i = 0; i < 2; i++) {
		n = pp_client(env.port, "x", 1, 0, env.out, sizeof(env.out),
		    &cport);
		env.out[n] = '\0';
		snprintf(want, sizeof(want), "PROXY TCP4 127.0.0.1 127.0.0.1 "
		    "%d %d\r\nx", cport, env.port);
		ck_assert_str_eq(env.out, want);
	}
	ck_assert_int_eq(pt_stop(&env.p), 0);
	pt_echo_stop(&env.echo);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pp_tcp");
	TCase *tc = tcase_create("pp_tcp");

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_v1_in_v1_out);
	tcase_add_test(tc, test_v2_tlvs_bytewise);
	tcase_add_test(tc, test_crc32c_recomputed);
	tcase_add_test(tc, test_any_local_and_ipv6);
	tcase_add_test(tc, test_unix_family);
	tcase_add_test(tc, test_untrusted_refused);
	tcase_add_test(tc, test_bad_headers);
	tcase_add_test(tc, test_acl_on_carried);
	tcase_add_test(tc, test_source_hash_on_carried);
	tcase_add_test(tc, test_send_without_accept_and_retry);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
