/*
 * The PROXY protocol over UDP, end to end: the real mioproxy between a
 * raw UDP client that writes v2 headers by hand and a UDP server of the
 * test's own, then with Unbound (proxy-protocol-port) behind mioproxy
 * and dnsdist (useProxyProtocol) in front of it, where Debian's
 * packages are installed (./dev pp-deps).  Runs once per libmio backend.
 */
#include "config.h"

#include "../common.h"
#include "pputest.h"

#define PPU_HEAD							\
	"version: 1\n"							\
	"process: { shutdown_grace: 500ms }\n"				\
	"logging: { level: info, access: { target: ACCESS_LOG, format: json } }\n" \
	"stats: { listen: 127.0.0.1:%d }\n"

#define PPU_REJECTED	\
	"mioproxy_listener_rejected_total{listener=\"pp\",reason=\"proxy_protocol\"}"

/* The proxy's value of a series, from its stats endpoint. */
static long long
ppu_metric(int stats, const char *series)
{
	static char page[ST_PAGE_MAX];

	ck_assert_int_eq(st_get(stats, "/metrics", page, sizeof(page)), 200);
	return st_value(page, series);
}

/* A datagram at the server within ms: its length and source port. */
static ssize_t
srv_recv(int srv, uint8_t *buf, size_t size, int ms, int *port)
{
	char from[64];
	int ignored;

	return pt_udp_recv(srv, buf, size, ms, from,
	    port != NULL ? port : &ignored);
}

/*
 * Clients behind one sending proxy: each carried source is a session of
 * its own (its own socket, so its own source port at the server); the
 * payload arrives without the header, replies go back to the sender
 * without one, and the access log names the carried client.
 */
START_TEST(test_accept_sessions_by_carried_source)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), stats = pt_free_port(SOCK_STREAM);
	int srv, sport, c, p1, p2, p3, from_port;
	uint8_t pkt[256], buf[256];
	char from[64];
	size_t h;

	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.0/8 ] }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    stats, port, sport);
	c = pt_udp_socket(AF_INET, 0, NULL);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "one", 3);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 3);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 3);
	ck_assert_int_eq(memcmp(buf, "one", 3), 0);
	/* The reply, back to the sender without a header. */
	pt_udp_send(srv, "127.0.0.1", p1, "ans1", 4);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 4);
	ck_assert_int_eq(memcmp(buf, "ans1", 4), 0);
	ck_assert_str_eq(from, "127.0.0.1");
	ck_assert_int_eq(from_port, port);
	/* Another client behind the same sender: another session. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.2", 2222,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "two", 3);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 3);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p2), 3);
	ck_assert_int_ne(p1, p2);
	/* The first one again: its session. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "again", 5);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 5);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p3), 5);
	ck_assert_int_eq(p3, p1);
	ck_assert_int_eq(ppu_metric(stats,
	    "mioproxy_listener_udp_sessions_total{listener=\"pp\"}"), 2);
	ck_assert_int_eq(ppu_metric(stats, PPU_REJECTED), 0);
	close(c);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"192.0.2.1:1111\""));
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"192.0.2.2:2222\""));
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"peer\":\"127.0.0.1:"));
}
END_TEST

/*
 * Untrusted senders, and datagrams without a valid v2 header: none
 * reaches the server, each is counted, and each cause is logged once
 * however many come.
 */
START_TEST(test_accept_drops_counted)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), stats = pt_free_port(SOCK_STREAM);
	int srv, sport, c, u, i, n = 0;
	uint8_t pkt[4096], buf[256];
	size_t h;

	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.3/32 ],"
	    " max_header: 256 }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    stats, port, sport);
	c = ppu_socket_at("127.0.0.3", NULL);
	u = ppu_socket_at("127.0.0.4", NULL);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "x", 1);
	/* Untrusted, many times: logged once. */
	for (i = 0; i < 20; i++, n++)
		pt_udp_send(u, "127.0.0.1", port, pkt, h + 1);
	/* Trusted, no header. */
	pt_udp_send(c, "127.0.0.1", port, "plain", 5), n++;
	/* Truncated: the header's first 20 bytes of 28. */
	pt_udp_send(c, "127.0.0.1", port, pkt, 20), n++;
	/* A header that says STREAM. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_STREAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1), n++;
	/* Over max_header. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 600);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1), n++;
	/* A v1 line. */
	pt_udp_send(c, "127.0.0.1", port,
	    "PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\nx", 37), n++;
	/* A bad version nibble. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	pkt[12] = 0x31;
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1), n++;
	/* A length past the datagram. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	pkt[15] = 200;
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1), n++;
	/* Then a good one goes through. */
	pkt[15] = 12;
	memcpy(pkt + h, "good", 4);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 4);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, NULL), 4);
	ck_assert_int_eq(memcmp(buf, "good", 4), 0);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), 200, NULL), -1);
	ck_assert_int_eq(ppu_metric(stats, PPU_REJECTED), n);
	close(c);
	close(u);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_int_eq(pt_count(p.log_text, "sender not trusted"), 1);
	ck_assert_int_eq(pt_count(p.log_text, "127.0.0.4"), 1);
	ck_assert_ptr_nonnull(strstr(p.log_text, "stream transport"));
	ck_assert_ptr_nonnull(strstr(p.log_text, "over max_header"));
	ck_assert_ptr_nonnull(strstr(p.log_text, "v1 header"));
	ck_assert_ptr_nonnull(strstr(p.log_text, "malformed"));
	ck_assert_ptr_nonnull(strstr(p.log_text, "truncated"));
}
END_TEST

/*
 * LOCAL (and a family of UNSPEC) keep the sender as the client; an
 * IPv6 listener takes IPv6 carried sources.
 */
START_TEST(test_accept_local_and_ipv6)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port6 = pt_free_port(SOCK_DGRAM);
	int stats = pt_free_port(SOCK_STREAM), srv, sport, c, c6, cport;
	int p1, from_port;
	uint8_t pkt[256], buf[256];
	char from[64], want[128];
	size_t h;

	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    "  - name: pp6\n"
	    "    protocol: udp\n"
	    "    bind: \"[::1]:%d\"\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ \"::1/128\" ] }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    stats, port, port6, sport);
	c = ppu_socket_at("127.0.0.1", &cport);
	h = ppu_header(pkt, PPU_CMD_LOCAL, 0, NULL, 0, NULL, 0, 0);
	memcpy(pkt + h, "local", 5);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 5);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 5);
	ck_assert_int_eq(memcmp(buf, "local", 5), 0);
	pt_udp_send(srv, "127.0.0.1", p1, "back", 4);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 4);
	ck_assert_int_eq(from_port, port);
	/* IPv6 client carried over IPv6. */
	c6 = pt_udp_socket(AF_INET6, 0, NULL);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "2001:db8::7", 4242,
	    "2001:db8::53", 53, 0);
	memcpy(pkt + h, "six", 3);
	pt_udp_send(c6, "::1", port6, pkt, h + 3);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 3);
	pt_udp_send(srv, "127.0.0.1", p1, "v6ok", 4);
	ck_assert_int_eq(pt_udp_recv(c6, buf, sizeof(buf), PT_WAIT_MS, from,
	    &from_port), 4);
	ck_assert_str_eq(from, "::1");
	ck_assert_int_eq(from_port, port6);
	close(c);
	close(c6);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	snprintf(want, sizeof(want), "\"client\":\"127.0.0.1:%d\"", cport);
	ck_assert_ptr_nonnull(strstr(p.access_text, want));
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"[2001:db8::7]:4242\""));
}
END_TEST

/*
 * The carried client is the one the ACL sees (the sender, 127.0.0.1,
 * is not in it).  A Unix family keeps the sender as the client, as
 * LOCAL does.
 */
START_TEST(test_accept_acl_and_unix)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), stats = pt_free_port(SOCK_STREAM);
	int srv, sport, c, p1;
	uint8_t pkt[512], buf[256];
	size_t h;

	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "acls:\n"
	    "  carried: { allow: [ 192.0.2.0/24, 127.0.0.0/8 ],"
	    " deny: [ 192.0.2.66/32 ] }\n"
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    acl: carried\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    stats, port, sport);
	c = pt_udp_socket(AF_INET, 0, NULL);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.66", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "deny", 4);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 4);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.7", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "pass", 4);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 4);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 4);
	ck_assert_int_eq(memcmp(buf, "pass", 4), 0);
	ck_assert_int_eq(ppu_metric(stats, "mioproxy_listener_rejected_total"
	    "{listener=\"pp\",reason=\"acl\"}"), 1);
	/* AF_UNIX, DGRAM: 2 x 108 bytes of paths. */
	memcpy(pkt, ppu_sig, 12);
	pkt[12] = 0x21;
	pkt[13] = 0x32;
	pkt[14] = 0;
	pkt[15] = 216;
	memset(pkt + 16, 0, 216);
	memcpy(pkt + 16, "/run/client.sock", 16);
	memcpy(pkt + 124, "/run/server.sock", 16);
	memcpy(pkt + 232, "unix", 4);
	pt_udp_send(c, "127.0.0.1", port, pkt, 236);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 4);
	ck_assert_int_eq(memcmp(buf, "unix", 4), 0);
	pt_udp_send(srv, "127.0.0.1", p1, "back", 4);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 4);
	close(c);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_null(strstr(p.access_text, "192.0.2.66"));
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"192.0.2.7:1111\""));
}
END_TEST

/*
 * source_hash balances on the carried client: clients behind one sender
 * spread over the servers (on the sender's address alone, all would go
 * to one), and a client keeps its server from session to session.
 */
START_TEST(test_accept_source_hash)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), stats = pt_free_port(SOCK_STREAM);
	int srv[2], sport[2], c, i, k, seen[2] = { 0, 0 }, first[16];
	uint8_t pkt[256], buf[256];
	char ip[32];
	size_t h;

	srv[0] = ppu_socket_at("127.0.0.1", &sport[0]);
	srv[1] = ppu_socket_at("127.0.0.1", &sport[1]);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    udp: { session_timeout: 200ms }\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    balance: source_hash\n"
	    "    servers: [ { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d } ]\n",
	    stats, port, sport[0], sport[1]);
	c = pt_udp_socket(AF_INET, 0, NULL);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 16; i++) {
			struct pollfd pfd[2] = { { srv[0], POLLIN, 0 },
			    { srv[1], POLLIN, 0 } };
			int which;

			snprintf(ip, sizeof(ip), "198.51.100.%d", 10 + i);
			h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, ip,
			    1000 + k, "192.0.2.53", 53, 0);
			memcpy(pkt + h, "q", 1);
			pt_udp_send(c, "127.0.0.1", port, pkt, h + 1);
			ck_assert_int_eq(poll(pfd, 2, PT_WAIT_MS), 1);
			which = (pfd[1].revents & POLLIN) != 0;
			ck_assert_int_eq(srv_recv(srv[which], buf, sizeof(buf),
			    0, NULL), 1);
			seen[which]++;
			if (k == 0)
				first[i] = which;
			else
				ck_assert_int_eq(first[i], which);
		}
		test_sleep_ms(400);	/* the sessions end */
	}
	ck_assert_int_gt(seen[0], 0);
	ck_assert_int_gt(seen[1], 0);
	close(c);
	close(srv[0]);
	close(srv[1]);
	ck_assert_int_eq(pt_stop(&p), 0);
}
END_TEST

/*
 * A listener that a reload removes drains: its sessions go on, found by
 * the client their headers carry, from trusted senders only (those of
 * the sessions' own listener), and it takes no new carried client.
 * Named again, with accept off, it takes datagrams as they are.
 */
START_TEST(test_accept_across_reload)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int stats = pt_free_port(SOCK_STREAM), srv, sport, c, u, p1, p2;
	uint8_t pkt[256], buf[256];
	size_t h;

#define PPU_RELOAD_UPS							\
	"  - { name: keep, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    PPU_RELOAD_UPS, stats, port, port2, sport);
	c = pt_udp_socket(AF_INET, 0, NULL);
	u = ppu_socket_at("127.0.0.5", NULL);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.1", 1111,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "a", 1);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1), 1);
	pt_reload(&p, PPU_HEAD "listeners:\n" PPU_RELOAD_UPS, stats, port2,
	    sport);
	/* The session goes on through the draining socket... */
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p2), 1);
	ck_assert_int_eq(p2, p1);
	pt_udp_send(srv, "127.0.0.1", p1, "r", 1);
	ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 1);
	/* ...not from an untrusted sender, nor for a new client. */
	pt_udp_send(u, "127.0.0.1", port, pkt, h + 1);
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "192.0.2.2", 2222,
	    "192.0.2.53", 53, 0);
	memcpy(pkt + h, "b", 1);
	pt_udp_send(c, "127.0.0.1", port, pkt, h + 1);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), 300, NULL), -1);
	/* Named again without accept: datagrams are taken as they are. */
	pt_reload(&p, PPU_HEAD "listeners:\n"
	    "  - { name: pp, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    PPU_RELOAD_UPS, stats, port, port2, sport);
	pt_udp_send(u, "127.0.0.1", port, "bare", 4);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, NULL), 4);
	ck_assert_int_eq(memcmp(buf, "bare", 4), 0);
#undef PPU_RELOAD_UPS
	close(c);
	close(u);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_null(strstr(p.log_text, "reload failed"));
}
END_TEST

/*
 * send: v2 puts a DGRAM header before each datagram to the server (the
 * client as source, the listener's address as destination); replies
 * are passed back as they are.  With accept too, the carried addresses
 * are sent on.
 */
START_TEST(test_send_header_each_datagram)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int stats = pt_free_port(SOCK_STREAM), srv, sport, c, cport, p1, i;
	uint8_t pkt[256], buf[256], want[64];
	size_t h;

	srv = ppu_socket_at("127.0.0.1", &sport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - { name: plain, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    servers: [ { address: 127.0.0.1:%d } ]\n"
	    "    proxy_protocol: { send: v2 }\n",
	    stats, port, port2, sport);
	c = ppu_socket_at("127.0.0.1", &cport);
	h = ppu_header(want, PPU_CMD_PROXY, PPU_DGRAM, "127.0.0.1", cport,
	    "127.0.0.1", port, 0);
	for (i = 0; i < 3; i++) {
		pt_udp_send(c, "127.0.0.1", port, "query", 5);
		ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS,
		    &p1), (ssize_t)h + 5);
		ck_assert_int_eq(memcmp(buf, want, h), 0);
		ck_assert_int_eq(memcmp(buf + h, "query", 5), 0);
		/* The reply has no header and comes back as it is. */
		pt_udp_send(srv, "127.0.0.1", p1, "reply", 5);
		ck_assert_int_eq(pt_udp_recv(c, buf, sizeof(buf), PT_WAIT_MS,
		    NULL, NULL), 5);
		ck_assert_int_eq(memcmp(buf, "reply", 5), 0);
	}
	/* An empty datagram gets its header too. */
	pt_udp_send(c, "127.0.0.1", port, "", 0);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1),
	    (ssize_t)h);
	/* Accepted and sent on: the carried addresses, IPv6 too. */
	h = ppu_header(pkt, PPU_CMD_PROXY, PPU_DGRAM, "2001:db8::7", 4242,
	    "2001:db8::53", 53, 0);
	memcpy(pkt + h, "fwd", 3);
	pt_udp_send(c, "127.0.0.1", port2, pkt, h + 3);
	ck_assert_int_eq(srv_recv(srv, buf, sizeof(buf), PT_WAIT_MS, &p1),
	    (ssize_t)h + 3);
	ck_assert_int_eq(memcmp(buf, pkt, h + 3), 0);
	close(c);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
}
END_TEST

/* --- Unbound behind mioproxy send: v2 -------------------------------- */

struct ppu_daemon {
	pid_t	 pid;
	char	 dir[64];
	char	 conf[128];
	char	 log[128];
};

static void
ppu_daemon_spawn(struct ppu_daemon *d, char *const argv[])
{
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
}

static void
ppu_daemon_stop(struct ppu_daemon *d)
{
	char cmd[256];

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * Asks name through host:port from a socket bound to `src` until an
 * answer comes (the peers start in the background): the rcode, and the
 * answer count in *an; -1 when none came.
 */
static int
ppu_dns_ask(const char *src, const char *host, int port, const char *name,
    int *an)
{
	uint8_t q[512], a[1500];
	int fd = ppu_socket_at(src, NULL), tries, rc = -1;
	size_t n = ppu_dns_query(q, 0x4242, name);
	ssize_t r;

	for (tries = 0; tries < 50 && rc < 0; tries++) {
		pt_udp_send(fd, host, port, q, n);
		r = pt_udp_recv(fd, a, sizeof(a), 200, NULL, NULL);
		if (r >= 12 && a[0] == 0x42 && a[1] == 0x42)
			rc = ppu_dns_rcode(a, r, an);
	}
	close(fd);
	return rc;
}

static void
ppu_unbound_start(struct ppu_daemon *d, const char *bin, int port)
{
	char text[2048];
	char *argv[] = { (char *)bin, "-d", "-c", d->conf, NULL };

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/mioproxy-unbound-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->conf, sizeof(d->conf), "%s/unbound.conf", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/unbound.log", d->dir);
	/*
	 * Nothing leaves the machine: "." refused beside the local data.
	 * Unbound checks its access-control on the sender (mioproxy, at
	 * 127.0.0.1) and on the address of the header: only the latter
	 * tells 127.0.0.3 from 127.0.0.4.
	 */
	snprintf(text, sizeof(text),
	    "server:\n"
	    "  interface: 127.0.0.1@%d\n"
	    "  port: %d\n"
	    "  proxy-protocol-port: %d\n"
	    "  do-ip6: no\n"
	    "  do-tcp: no\n"
	    "  num-threads: 1\n"
	    "  chroot: \"\"\n"
	    "  username: \"\"\n"
	    "  directory: \"%s\"\n"
	    "  pidfile: \"%s/unbound.pid\"\n"
	    "  use-syslog: no\n"
	    "  logfile: \"\"\n"
	    "  verbosity: 1\n"
	    "  module-config: \"iterator\"\n"
	    "  do-not-query-localhost: yes\n"
	    "  access-control: 127.0.0.0/8 refuse\n"
	    "  access-control: 127.0.0.1/32 allow\n"
	    "  access-control: 127.0.0.3/32 allow\n"
	    "  local-zone: \".\" refuse\n"
	    "  local-zone: \"pp.test.\" static\n"
	    "  local-data: \"www.pp.test. 60 IN A 192.0.2.80\"\n"
	    "remote-control:\n"
	    "  control-enable: no\n",
	    port, port, port, d->dir, d->dir);
	pt_write_file(d->conf, text);
	ppu_daemon_spawn(d, argv);
}

/*
 * Unbound's access-control allows 127.0.0.3 and refuses the rest, and
 * reads PROXY v2 on its port: through mioproxy (from 127.0.0.1), the
 * client at 127.0.0.3 gets the local data, the one at 127.0.0.4 a
 * refusal.  Unbound saw each one's own address.
 */
START_TEST(test_unbound_behind_send_v2)
{
	struct ppu_daemon d;
	struct pt_proxy p;
	char bin[256];
	int uport = pt_free_port(SOCK_DGRAM), port = pt_free_port(SOCK_DGRAM);
	int stats = pt_free_port(SOCK_STREAM), an = 0;

	ck_assert(ppu_have("unbound", bin, sizeof(bin)));
	ppu_unbound_start(&d, bin, uport);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    servers: [ { address: 127.0.0.1:%d } ]\n"
	    "    proxy_protocol: { send: v2 }\n",
	    stats, port, uport);
	ck_assert_msg(ppu_dns_ask("127.0.0.3", "127.0.0.1", port,
	    "www.pp.test", &an) == 0, "unbound: %s", pt_read_file(d.log));
	ck_assert_int_eq(an, 1);
	ck_assert_int_eq(ppu_dns_ask("127.0.0.4", "127.0.0.1", port,
	    "www.pp.test", &an), 5);	/* REFUSED */
	ck_assert_int_eq(pt_stop(&p), 0);
	ppu_daemon_stop(&d);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"127.0.0.3:"));
}
END_TEST

/* --- dnsdist in front of mioproxy accept: v2 -------------------------- */

/* A DNS server of the test's own: every query answered NOERROR, empty. */
struct ppu_dns {
	int		 fd;
	int		 port;
	int		 stop[2];
	pthread_t	 thread;
};

static void *
ppu_dns_main(void *arg)
{
	struct ppu_dns *s = arg;
	uint8_t buf[1500];

	for (;;) {
		struct pollfd pfd[2] = { { s->stop[0], POLLIN, 0 },
		    { s->fd, POLLIN, 0 } };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		while ((n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen)) >= 12) {
			buf[2] |= 0x80;		/* QR */
			buf[3] = 0x80;		/* RA, NOERROR */
			sendto(s->fd, buf, (size_t)n, 0,
			    (struct sockaddr *)&from, flen);
			flen = sizeof(from);
		}
	}
	return NULL;
}

/*
 * dnsdist (from 127.0.0.1) puts a v2 header before each query to
 * mioproxy, which takes it from dnsdist only: the access log names the
 * client behind dnsdist, 127.0.0.3, and the answer goes back.
 */
START_TEST(test_dnsdist_in_front_of_accept_v2)
{
	struct ppu_daemon d;
	struct ppu_dns s;
	struct pt_proxy p;
	char bin[256], text[1024];
	int dport = pt_free_port(SOCK_DGRAM), port = pt_free_port(SOCK_DGRAM);
	int stats = pt_free_port(SOCK_STREAM), an = 0;
	char *argv[] = { bin, "--supervised", "--disable-syslog", "-C",
	    d.conf, NULL };

	ck_assert(ppu_have("dnsdist", bin, sizeof(bin)));
	memset(&s, 0, sizeof(s));
	s.fd = ppu_socket_at("127.0.0.1", &s.port);
	ck_assert_int_eq(pipe2(s.stop, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&s.thread, NULL, ppu_dns_main, &s), 0);
	pt_start(&p, PPU_HEAD
	    "listeners:\n"
	    "  - name: pp\n"
	    "    protocol: udp\n"
	    "    bind: 127.0.0.1:%d\n"
	    "    upstream: u\n"
	    "    proxy_protocol: { accept: v2, trusted: [ 127.0.0.1/32 ] }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    stats, port, s.port);
	memset(&d, 0, sizeof(d));
	snprintf(d.dir, sizeof(d.dir), "/tmp/mioproxy-dnsdist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	snprintf(d.conf, sizeof(d.conf), "%s/dnsdist.conf", d.dir);
	snprintf(d.log, sizeof(d.log), "%s/dnsdist.log", d.dir);
	snprintf(text, sizeof(text),
	    "setSecurityPollSuffix(\"\")\n"
	    "setLocal(\"127.0.0.1:%d\")\n"
	    "setACL({\"127.0.0.0/8\"})\n"
	    "newServer({address=\"127.0.0.1:%d\", useProxyProtocol=true})\n",
	    dport, port);
	pt_write_file(d.conf, text);
	ppu_daemon_spawn(&d, argv);
	ck_assert_msg(ppu_dns_ask("127.0.0.3", "127.0.0.1", dport,
	    "www.pp.test", &an) == 0, "dnsdist: %s", pt_read_file(d.log));
	ck_assert_int_eq(pt_stop(&p), 0);
	ppu_daemon_stop(&d);
	ck_assert_int_eq(write(s.stop[1], "x", 1), 1);
	pthread_join(s.thread, NULL);
	close(s.stop[0]);
	close(s.stop[1]);
	close(s.fd);
	ck_assert_ptr_nonnull(strstr(p.access_text,
	    "\"client\":\"127.0.0.3:"));
	ck_assert_ptr_nonnull(strstr(p.access_text, "\"peer\":\"127.0.0.1:"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pp_udp");
	TCase *tc = tcase_create("pp_udp");
	char bin[256];

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_accept_sessions_by_carried_source);
	tcase_add_test(tc, test_accept_drops_counted);
	tcase_add_test(tc, test_accept_local_and_ipv6);
	tcase_add_test(tc, test_accept_acl_and_unix);
	tcase_add_test(tc, test_accept_source_hash);
	tcase_add_test(tc, test_accept_across_reload);
	tcase_add_test(tc, test_send_header_each_datagram);
	if (ppu_have("unbound", bin, sizeof(bin)))
		tcase_add_test(tc, test_unbound_behind_send_v2);
	else
		printf("# skip test_unbound_behind_send_v2: no unbound "
		    "(./dev pp-deps installs it)\n");
	if (ppu_have("dnsdist", bin, sizeof(bin)))
		tcase_add_test(tc, test_dnsdist_in_front_of_accept_v2);
	else
		printf("# skip test_dnsdist_in_front_of_accept_v2: no dnsdist "
		    "(./dev pp-deps installs it)\n");
	fflush(stdout);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
