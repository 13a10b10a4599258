/*
 * consistent_hash through the real mioproxy, on loopback: over TCP with
 * hash.key client_ip (clients from many 127.0.0.0/8 addresses) and over
 * UDP with client_ip_port (one address, many ports), a client stays on
 * its server across sessions; when the operator drains a server (admin
 * socket, `mioproxy ctl`), its clients move to the others only, everyone
 * else stays, and once it is ready again every client is back where it
 * was.  Over UDP, client_ip keeps all of one host's ports on one server.
 */
#include "config.h"

#include "../daemon/proxytest.h"

#define HEAD								\
	"version: 1\n"							\
	"logging: { level: info }\n"					\
	"admin: { socket: ACCESS_LOG.sock }\n"

#define NSRV	4
#define NCLI	32

/* `mioproxy -S SOCKET ctl WORDS` against p: its exit status. */
static int
ctl(const struct pt_proxy *p, const char *words)
{
	char sock[300], out[4096];

	snprintf(sock, sizeof(sock), "%s.sock", p->access);
	ck_assert_msg(pt_ctl('S', sock, words, out, sizeof(out)) == 0,
	    "ctl %s: %s", words, out);
	return 0;
}

static void
set_state(const struct pt_proxy *p, int port, const char *state)
{
	char words[128];

	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state %s",
	    port, state);
	ck_assert_int_eq(ctl(p, words), 0);
}

/*
 * A TCP client from 127.0.0.(10 + c) through the proxy to an echo
 * server with an id: which one took it (its first byte).
 */
static int
tcp_client_of(int port, int c)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { PT_WAIT_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char id;

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 9 + (uint32_t)c);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	pt_recv_all(fd, &id, 1);
	/* The bytes flow both ways through the picked server. */
	pt_send_all(fd, "ping", 4);
	{
		char buf[4];

		pt_recv_all(fd, buf, 4);
		ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	}
	close(fd);
	return id;
}

/* The server ids of every client; the number of distinct ones used. */
static int
tcp_round(int port, int *ids)
{
	int c, used = 0, seen[NSRV] = { 0 };

	for (c = 0; c < NCLI; c++) {
		ids[c] = tcp_client_of(port, c + 1);
		ck_assert(ids[c] >= 0 && ids[c] < NSRV);
		used += !seen[ids[c]]++;
	}
	return used;
}

/* The id taking most of ids[0..NCLI). */
static int
busiest(const int *ids)
{
	int count[NSRV] = { 0 }, c, best = 0;

	for (c = 0; c < NCLI; c++)
		count[ids[c]]++;
	for (c = 1; c < NSRV; c++)
		if (count[c] > count[best])
			best = c;
	return best;
}

/* Every client on the server it had first. */
static void
assert_stayed(const int *ids, const int *first)
{
	int c;

	for (c = 0; c < NCLI; c++)
		ck_assert_int_eq(ids[c], first[c]);
}

/*
 * After a drain: the drained server's clients moved to others (at least
 * one), every other client stayed; the count said on stderr.
 */
static void
assert_only_drained_moved(const char *proto, const int *ids,
    const int *first, int drained)
{
	int c, moved = 0;

	for (c = 0; c < NCLI; c++) {
		ck_assert_int_ne(ids[c], drained);
		if (first[c] != drained)
			ck_assert_int_eq(ids[c], first[c]);
		else
			moved++;
	}
	ck_assert_int_gt(moved, 0);
	fprintf(stderr, "# %s: %d of %d clients moved off the drained "
	    "server, the others stayed\n", proto, moved, NCLI);
}

START_TEST(test_tcp_sticks_and_drain_moves_its_own)
{
	struct pt_echo e[NSRV];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), first[NCLI], ids[NCLI];
	int i, drained;

	for (i = 0; i < NSRV; i++)
		pt_echo_start(&e[i], i);
	pt_start(&p, HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    balance: consistent_hash\n"
	    "    hash: { key: client_ip }\n"
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d, weight: 2 }, { address: 127.0.0.1:%d } ]\n",
	    port, e[0].port, e[1].port, e[2].port, e[3].port);
	/* Spread over the servers, and each client stays on its own. */
	ck_assert_int_ge(tcp_round(port, first), 2);
	for (i = 0; i < 2; i++) {
		tcp_round(port, ids);
		assert_stayed(ids, first);
	}
	/* Drained: its clients go to others, nobody else moves. */
	drained = busiest(first);
	set_state(&p, e[drained].port, "drain");
	tcp_round(port, ids);
	assert_only_drained_moved("tcp", ids, first, drained);
	/* Ready again: everyone back where they were. */
	set_state(&p, e[drained].port, "ready");
	tcp_round(port, ids);
	assert_stayed(ids, first);
	ck_assert_int_eq(pt_stop(&p), 0);
	for (i = 0; i < NSRV; i++)
		pt_echo_stop(&e[i]);
}
END_TEST

#define RELOAD_HEAD							\
	HEAD								\
	"listeners:\n"							\
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u:\n"							\
	"    balance: consistent_hash\n"

/*
 * A reload builds the table again: the same servers in another order
 * keep every client where it was; a server taken out of the file moves
 * its clients (and, Maglev's own cost, a rare other one); put back, it
 * has every one of its clients back.
 */
START_TEST(test_tcp_reload_rebuilds_the_table)
{
	struct pt_echo e[NSRV];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), first[NCLI], ids[NCLI];
	int i, c, gone, moved = 0, others = 0;

	for (i = 0; i < NSRV; i++)
		pt_echo_start(&e[i], i);
	pt_start(&p, RELOAD_HEAD
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n",
	    port, e[0].port, e[1].port, e[2].port, e[3].port);
	ck_assert_int_ge(tcp_round(port, first), 2);
	pt_reload(&p, RELOAD_HEAD
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n",
	    port, e[3].port, e[1].port, e[0].port, e[2].port);
	tcp_round(port, ids);
	assert_stayed(ids, first);
	gone = busiest(first);
	pt_reload(&p, RELOAD_HEAD
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d } ]\n", port,
	    e[(gone + 1) % NSRV].port, e[(gone + 2) % NSRV].port,
	    e[(gone + 3) % NSRV].port);
	tcp_round(port, ids);
	for (c = 0; c < NCLI; c++) {
		ck_assert_int_ne(ids[c], gone);
		if (first[c] == gone)
			moved++;
		else
			others += ids[c] != first[c];
	}
	fprintf(stderr, "# tcp reload: server out of the file: %d of %d "
	    "clients moved with it, %d others moved\n", moved, NCLI, others);
	ck_assert_int_gt(moved, 0);
	ck_assert_int_le(others, 3);
	pt_reload(&p, RELOAD_HEAD
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n",
	    port, e[0].port, e[1].port, e[2].port, e[3].port);
	tcp_round(port, ids);
	assert_stayed(ids, first);
	ck_assert_int_eq(pt_stop(&p), 0);
	for (i = 0; i < NSRV; i++)
		pt_echo_stop(&e[i]);
}
END_TEST

/*
 * One datagram from each client socket (its own port on 127.0.0.1):
 * the id of the server that echoed it.
 */
static void
udp_round(int port, const int *fds, int *ids)
{
	char buf[16];
	int c;

	for (c = 0; c < NCLI; c++) {
		pt_udp_send(fds[c], "127.0.0.1", port, "q", 1);
		ck_assert_int_eq(pt_udp_recv(fds[c], buf, sizeof(buf),
		    PT_WAIT_MS, NULL, NULL), 2);
		ck_assert_int_eq(buf[1], 'q');
		ids[c] = buf[0];
		ck_assert(ids[c] >= 0 && ids[c] < NSRV);
	}
}

START_TEST(test_udp_port_key_sticks_and_drain_moves_its_own)
{
	struct pt_uecho e[NSRV];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), port2 = pt_free_port(SOCK_DGRAM);
	int fds[NCLI], first[NCLI], ids[NCLI], seen[NSRV] = { 0 };
	int i, c, used = 0, drained;

	for (i = 0; i < NSRV; i++)
		pt_uecho_start(&e[i], AF_INET, i);
	pt_start(&p, HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u,"
	    " udp: { responses: 1 } }\n"
	    "  - { name: host, protocol: udp, bind: 127.0.0.1:%d, upstream: ip,"
	    " udp: { responses: 1 } }\n"
	    "upstreams:\n"
	    "  u:\n"
	    "    balance: consistent_hash\n"
	    "    hash: { key: client_ip_port }\n"
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n"
	    "  ip:\n"
	    "    balance: consistent_hash\n"
	    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n",
	    port, port2, e[0].port, e[1].port, e[2].port, e[3].port,
	    e[0].port, e[1].port, e[2].port, e[3].port);
	for (c = 0; c < NCLI; c++)
		fds[c] = pt_udp_socket(AF_INET, 0, NULL);
	/* One host's ports spread; each (a session each time) stays put. */
	udp_round(port, fds, first);
	for (c = 0; c < NCLI; c++)
		used += !seen[first[c]]++;
	ck_assert_int_ge(used, 2);
	for (i = 0; i < 2; i++) {
		udp_round(port, fds, ids);
		assert_stayed(ids, first);
	}
	/* client_ip (the default key): all of the host's ports on one. */
	udp_round(port2, fds, ids);
	for (c = 1; c < NCLI; c++)
		ck_assert_int_eq(ids[c], ids[0]);
	/* Drained: its clients go to others, nobody else moves. */
	drained = busiest(first);
	set_state(&p, e[drained].port, "drain");
	udp_round(port, fds, ids);
	assert_only_drained_moved("udp", ids, first, drained);
	set_state(&p, e[drained].port, "ready");
	udp_round(port, fds, ids);
	assert_stayed(ids, first);
	for (c = 0; c < NCLI; c++)
		close(fds[c]);
	ck_assert_int_eq(pt_stop(&p), 0);
	for (i = 0; i < NSRV; i++)
		pt_uecho_stop(&e[i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maglev_e2e");
	TCase *tc = tcase_create("daemon");

	tcase_set_timeout(tc, 60 * pt_slow());
	tcase_add_test(tc, test_tcp_sticks_and_drain_moves_its_own);
	tcase_add_test(tc, test_tcp_reload_rebuilds_the_table);
	tcase_add_test(tc, test_udp_port_key_sticks_and_drain_moves_its_own);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
