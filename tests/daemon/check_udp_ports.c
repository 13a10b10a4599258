/*
 * A UDP reply never reaches a client that did not send to its session:
 * the real binary, with the test itself as the server, answering late
 * and twice to sessions that have ended.
 *
 * The sharp test runs in a network namespace of its own whose ephemeral
 * range is one port, so that a daemon leaving ports to the kernel would
 * hand the port of an ended session to the next one at once (and fail);
 * it needs root (CI is root).  Without it, the same steps run on the
 * host's range, where a port reused at once is only likely.
 */
#define _GNU_SOURCE
#include "config.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "../common.h"
#include "proxytest.h"

#define UP_HEAD								\
	"version: 1\n"							\
	"logging: { level: debug, access: { target: ACCESS_LOG, format: json } }\n"
#define UP_QUIET_MS	300	/* long enough for a datagram on loopback */
#define UP_QUARANTINE_MS 2000	/* UDP_PORT_QUARANTINE_MS in the daemon */

/*
 * Moves this test (and the daemon it starts) into a network of its own
 * with loopback up and `range` as its ephemeral ports: 1, or 0 when it
 * cannot (not root), and then nothing changed.
 */
static int
up_private_net(const char *range)
{
	struct ifreq ifr;
	int s, fd;

	if (unshare(CLONE_NEWNET) != 0)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, range, strlen(range)),
	    (ssize_t)strlen(range));
	close(fd);
	return 1;
}

/* The port a datagram came from, and its text in buf (NUL-ended). */
static int
up_recv_from(int fd, char *buf, size_t size, int ms)
{
	char from[64];
	int port = -1;
	ssize_t n = pt_udp_recv(fd, buf, size - 1, ms, from, &port);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return port;
}

/* Sends text to 127.0.0.1:port from the server's socket. */
static void
up_answer(int srv, int port, const char *text)
{
	pt_udp_send(srv, "127.0.0.1", port, text, strlen(text));
}

/* Asserts that nothing comes to fd within UP_QUIET_MS. */
static void
up_assert_quiet(int fd, const char *who)
{
	char buf[256];

	ck_assert_msg(up_recv_from(fd, buf, sizeof(buf), UP_QUIET_MS) < 0,
	    "%s received \"%s\", meant for another client", who, buf);
}

START_TEST(test_late_replies_never_reach_another_client)
{
	int private = up_private_net("40000 40000");
	/* In the private network no port is taken: fixed ones, outside
	 * the one-port range (port 0 would take that port). */
	int lport = private ? 20053 : pt_free_port(SOCK_DGRAM);
	int sport = private ? 20054 : pt_free_port(SOCK_DGRAM);
	int srv, a, b, pa, pb;
	struct pt_proxy p;
	char buf[256];

	srv = pt_udp_socket(AF_INET, sport, NULL);
	a = pt_udp_socket(AF_INET, private ? 21001 : 0, NULL);
	b = pt_udp_socket(AF_INET, private ? 21002 : 0, NULL);
	pt_start(&p, UP_HEAD
	    "listeners:\n"
	    "  - { name: one, protocol: udp, bind: 127.0.0.1:%d, upstream: s,\n"
	    "      udp: { max_sessions: 1 } }\n"
	    "upstreams:\n"
	    "  s: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    lport, sport);
	pt_udp_send(a, "127.0.0.1", lport, "query-a", 7);
	pa = up_recv_from(srv, buf, sizeof(buf), PT_WAIT_MS);
	ck_assert_int_gt(pa, 0);
	ck_assert_str_eq(buf, "query-a");
	/* b's session evicts a's, whose answer is still to come. */
	pt_udp_send(b, "127.0.0.1", lport, "query-b", 7);
	pb = up_recv_from(srv, buf, sizeof(buf), private ? UP_QUIET_MS :
	    PT_WAIT_MS);
	if (private)	/* a's port rests: b must wait for it */
		ck_assert_msg(pb < 0, "b's session took the port a's session "
		    "had just left (%d)", pb);
	else
		ck_assert_int_ne(pb, pa);
	/* The server answers a, late and twice: nobody may hear it. */
	up_answer(srv, pa, "answer-a");
	up_answer(srv, pa, "answer-a");
	up_assert_quiet(b, "b");
	up_assert_quiet(a, "a (its session ended)");
	if (private) {
		/* Once the port has rested, b is served on it. */
		test_sleep_ms(UP_QUARANTINE_MS);
		pt_udp_send(b, "127.0.0.1", lport, "query-b", 7);
		pb = up_recv_from(srv, buf, sizeof(buf), PT_WAIT_MS);
		ck_assert_int_eq(pb, 40000);
		ck_assert_str_eq(buf, "query-b");
	}
	up_answer(srv, pb, "answer-b");
	ck_assert_int_eq(up_recv_from(b, buf, sizeof(buf), PT_WAIT_MS), lport);
	ck_assert_str_eq(buf, "answer-b");
	up_assert_quiet(b, "b");
	close(a);
	close(b);
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
	if (private)
		ck_assert_msg(strstr(p.log_text, "no UDP source port free") !=
		    NULL, "no warning: %s", p.log_text);
}
END_TEST

/*
 * The outside tester's case: a burst of clients far past max_sessions,
 * each answered at once, and again twice much later, when its session
 * has long been evicted.  Every client hears its own answer and nothing
 * else.
 */
START_TEST(test_flood_past_max_sessions_late_duplicates)
{
	enum { N = 1000, LAG = 24, MAX = 8 };
	static int cli[N], from[N];
	int lport = pt_free_port(SOCK_DGRAM), sport, srv, i, j, port;
	struct pt_proxy p;
	char buf[256], want[32];

	srv = pt_udp_socket(AF_INET, 0, &sport);
	pt_start(&p, UP_HEAD
	    "listeners:\n"
	    "  - { name: flood, protocol: udp, bind: 127.0.0.1:%d, upstream: s,\n"
	    "      udp: { max_sessions: %d } }\n"
	    "upstreams:\n"
	    "  s: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    lport, MAX, sport);
	/* The clients' own ports first: a client socket made later could
	 * be given a port the daemon let go, and hear a late answer sent
	 * there straight from the server, not through the daemon. */
	for (i = 0; i < N; i++)
		cli[i] = pt_udp_socket(AF_INET, 0, NULL);
	for (i = 0; i < N; i++) {
		int len = snprintf(want, sizeof(want), "q-%d", i);

		pt_udp_send(cli[i], "127.0.0.1", lport, want, (size_t)len);
		from[i] = up_recv_from(srv, buf, sizeof(buf), PT_WAIT_MS);
		ck_assert_int_gt(from[i], 0);
		ck_assert_str_eq(buf, want);
		snprintf(want, sizeof(want), "a-%d", i);
		up_answer(srv, from[i], want);
		/* Client i-LAG's session was evicted long ago. */
		if ((j = i - LAG) >= 0) {
			snprintf(want, sizeof(want), "a-%d", j);
			up_answer(srv, from[j], want);
			up_answer(srv, from[j], want);
		}
	}
	test_sleep_ms(UP_QUIET_MS);
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "a-%d", i);
		port = up_recv_from(cli[i], buf, sizeof(buf), PT_WAIT_MS);
		ck_assert_msg(port == lport, "client %d: no answer", i);
		ck_assert_str_eq(buf, want);
		while (up_recv_from(cli[i], buf, sizeof(buf), 0) >= 0)
			ck_assert_msg(strcmp(buf, want) == 0, "client %d "
			    "received \"%s\"", i, buf);
		close(cli[i]);
	}
	close(srv);
	ck_assert_int_eq(pt_stop(&p), 0);
}
END_TEST

struct up_flood {
	int		fd;		/* the server's socket */
	int		port;		/* the session's port, to flood */
	int		ms;		/* for this long */
	long		sent;
	pthread_t	thread;
};

static void *
up_flood_main(void *arg)
{
	enum { BURST = 64 };
	struct up_flood *f = arg;
	int64_t end = test_now_ms() + f->ms;
	struct sockaddr_in to = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)f->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct mmsghdr msg[BURST];
	struct iovec iov = { .iov_base = "flood-flood-flood", .iov_len = 17 };
	int k, n;

	/* Faster than any relay: one system call per BURST datagrams. */
	memset(msg, 0, sizeof(msg));
	for (k = 0; k < BURST; k++) {
		msg[k].msg_hdr.msg_name = &to;
		msg[k].msg_hdr.msg_namelen = sizeof(to);
		msg[k].msg_hdr.msg_iov = &iov;
		msg[k].msg_hdr.msg_iovlen = 1;
	}
	while (test_now_ms() < end)
		if ((n = sendmmsg(f->fd, msg, BURST, 0)) > 0)
			f->sent += n;
	return NULL;
}

/*
 * A server that floods one session with replies must not keep the
 * daemon from serving everyone else: the session's socket yields after
 * a bounded number of batches (relay/defer.h).
 */
START_TEST(test_flooding_server_starves_nobody)
{
	enum { ROUNDS = 20, WAIT_MS = 500 };
	int lport = pt_free_port(SOCK_DGRAM), lport2 = pt_free_port(SOCK_DGRAM);
	int sport, a, b, i, answered = 0;
	struct up_flood f;
	struct pt_uecho e;
	struct pt_proxy p;
	char buf[256];

	memset(&f, 0, sizeof(f));
	f.fd = pt_udp_socket(AF_INET, 0, &sport);
	f.ms = 1500;
	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UP_HEAD
	    "listeners:\n"
	    "  - { name: flooded, protocol: udp, bind: 127.0.0.1:%d, upstream: f }\n"
	    "  - { name: calm, protocol: udp, bind: 127.0.0.1:%d, upstream: e }\n"
	    "upstreams:\n"
	    "  f: { servers: [ { address: 127.0.0.1:%d } ] }\n"
	    "  e: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    lport, lport2, sport, e.port);
	a = pt_udp_socket(AF_INET, 0, NULL);
	b = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(a, "127.0.0.1", lport, "start", 5);
	f.port = up_recv_from(f.fd, buf, sizeof(buf), PT_WAIT_MS);
	ck_assert_int_gt(f.port, 0);
	ck_assert_int_eq(pthread_create(&f.thread, NULL, up_flood_main, &f),
	    0);
	test_sleep_ms(100);
	for (i = 0; i < ROUNDS; i++) {
		pt_udp_send(b, "127.0.0.1", lport2, "calm", 4);
		if (up_recv_from(b, buf, sizeof(buf), WAIT_MS) == lport2)
			answered++;
	}
	pthread_join(f.thread, NULL);
	ck_assert_msg(answered == ROUNDS, "%d of %d answered while the "
	    "server flooded (%ld datagrams)", answered, ROUNDS, f.sent);
	close(a);
	close(b);
	close(f.fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp_ports");
	TCase *tc = tcase_create("late");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_late_replies_never_reach_another_client);
	tcase_add_test(tc, test_flood_past_max_sessions_late_duplicates);
	tcase_add_test(tc, test_flooding_server_starves_nobody);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
