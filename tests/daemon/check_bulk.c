/*
 * Bulk that leaves the completion engine (issue 17): on process.io:
 * uring a session whose receive fills a ring buffer drains what it holds
 * and goes on on the readiness engine, which splices it
 * (daemon/relay/tcp_uring_bulk.c).  Each case drives a session through
 * that move and checks that nothing of the session's behaviour changes
 * with it: bytes and their order, half-close, resets, bounded memory,
 * the idle timeout and the access log's counts.  On the readiness
 * engines (the -epoll and -poll runs) the same cases are plain tests of
 * bulk; on the ring (-uring) each also checks that the move happened.
 *
 * The test plays client and server itself, on sockets of its own, but
 * for the echo of the long exchange (proxytest.h's echo thread).
 */
#include "config.h"

#include "../common.h"
#include "proxytest.h"

/* A TCP listener on 127.0.0.1:%d with an idle timeout of %s and the
 * `limits` lines given (none: the defaults), to 127.0.0.1:%d. */
#define BULK_CONF_WITH(limits)						\
	PT_CONF_HEAD							\
	"listeners:\n"							\
	"  - name: bulk\n"						\
	"    protocol: tcp\n"						\
	"    bind: 127.0.0.1:%d\n"					\
	"    upstream: u\n"						\
	"    timeouts: { idle: %s, half_close: 60s }\n"			\
	limits								\
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

#define BULK_CONF	BULK_CONF_WITH("")

/* A buffer_size below a ring buffer's 32 KiB: what a flow holds when it
 * leaves the ring may exceed it. */
#define BULK_CONF_SMALL_BUF						\
	BULK_CONF_WITH("    limits: { buffer_size: 4k }\n")

#define LEAVES	"bulk: the session leaves the ring to splice"

/* Whether this run relays on the ring: the move must then show. */
static int
on_ring(const struct pt_proxy *p)
{
	const char *io = getenv("MIOPROXY_TEST_IO");

	return io != NULL && strcmp(io, "uring") == 0 &&
	    strstr(p->log_text, "relay engine: io_uring") != NULL;
}

static void
assert_left_ring(const struct pt_proxy *p)
{
	if (on_ring(p))
		ck_assert_msg(strstr(p->log_text, LEAVES) != NULL,
		    "the session stayed on the ring: %s", p->log_text);
}

static void
assert_stayed_on_ring(const struct pt_proxy *p)
{
	ck_assert_msg(strstr(p->log_text, LEAVES) == NULL,
	    "a session that moved no bulk left the ring");
}

/* The proxy's connection to the test's server, accepted within bounds. */
static int
accept_within(int lfd)
{
	struct pollfd pfd = { lfd, POLLIN, 0 };
	int s;

	ck_assert_int_gt(poll(&pfd, 1, PT_WAIT_MS), 0);
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(s, 0);
	return s;
}

/* A client and the server side of its session through the proxy. */
static void
session(int port, int lfd, int *client, int *server)
{
	struct timeval tv = { PT_WAIT_MS / 1000, 0 };

	*client = pt_connect(port);
	ck_assert_int_ge(*client, 0);
	*server = accept_within(lfd);
	setsockopt(*server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*server, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* n small request/response exchanges of `size` bytes (a keep-alive). */
static void
small_exchanges(int client, int server, int n, size_t size)
{
	char req[512], got[512];
	int k;

	ck_assert_uint_le(size, sizeof(req));
	for (k = 0; k < n; k++) {
		memset(req, 'a' + k % 26, size);
		pt_send_all(client, req, size);
		pt_recv_all(server, got, size);
		ck_assert_int_eq(memcmp(req, got, size), 0);
		memset(req, 'A' + k % 26, size);
		pt_send_all(server, req, size);
		pt_recv_all(client, got, size);
		ck_assert_int_eq(memcmp(req, got, size), 0);
	}
}

/*
 * One direction of a session played by the test: `total` bytes of a
 * pattern known by offset, sent from one socket and checked on arrival
 * at the other, in order, each byte once.
 */
struct leg {
	int	from, to;
	size_t	total, sent, got;
	unsigned char salt;
	int	eof;		/* the receiver saw the end of stream */
};

static unsigned char
pat(size_t off, unsigned char salt)
{
	return (unsigned char)((off * 31u) ^ (off >> 11) ^ (off >> 19) ^ salt);
}

/* Sends up to max bytes of l without blocking: how many went. */
static size_t
leg_send(struct leg *l, size_t max)
{
	static unsigned char buf[65536];
	size_t n = l->total - l->sent, k;
	ssize_t r;

	if (n > max)
		n = max;
	if (n > sizeof(buf))
		n = sizeof(buf);
	if (n == 0)
		return 0;
	for (k = 0; k < n; k++)
		buf[k] = pat(l->sent + k, l->salt);
	r = send(l->from, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	ck_assert_msg(r > 0 || (r < 0 && errno == EAGAIN),
	    "send after %zu bytes: %s", l->sent, strerror(errno));
	if (r <= 0)
		return 0;
	l->sent += (size_t)r;
	return (size_t)r;
}

/* Reads what has come of l without blocking, checking every byte. */
static void
leg_recv(struct leg *l)
{
	static unsigned char buf[65536];
	ssize_t r, k;

	while ((r = recv(l->to, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		/* Compared first, asserted once: each ck_assert is a
		 * message to Check's parent process. */
		for (k = 0; k < r; k++)
			if (buf[k] != pat(l->got + (size_t)k, l->salt))
				break;
		ck_assert_msg(k == r, "byte %zu differs",
		    l->got + (size_t)k);
		l->got += (size_t)r;
		ck_assert_uint_le(l->got, l->total);
	}
	if (r == 0)
		l->eof = 1;
	else
		ck_assert_msg(errno == EAGAIN, "recv after %zu bytes: %s",
		    l->got, strerror(errno));
}

/* Waits for fd to be readable, or writable with `out`, within bounds. */
static void
wait_io(int fd, int out, int ms)
{
	struct pollfd pfd = { fd, (short)(POLLIN | (out ? POLLOUT : 0)), 0 };

	(void)poll(&pfd, 1, ms);
}

/* Small exchanges on the echo: each comes back whole. */
static void
echo_small(int fd, int n)
{
	char req[100], got[100];
	int k;

	for (k = 0; k < n; k++) {
		memset(req, '0' + k % 10, sizeof(req));
		pt_send_all(fd, req, sizeof(req));
		pt_recv_all(fd, got, sizeof(got));
		ck_assert_int_eq(memcmp(req, got, sizeof(req)), 0);
	}
}

/*
 * A keep-alive of small messages (which stays on the ring), then 100 MB
 * each way with checksums (which leaves it), then small messages again
 * on the same connection; the access log counts every byte.
 */
START_TEST(test_small_then_100mb_then_small)
{
	const size_t total = (size_t)100 << 20;
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd;
	char want[128];

	pt_echo_start(&e, -1);
	pt_start(&p, BULK_CONF, port, "30s", e.port);
	fd = pt_connect(port);
	ck_assert_int_ge(fd, 0);
	echo_small(fd, 20);
	pt_echo_each_way(fd, total, 11);
	echo_small(fd, 20);
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	snprintf(want, sizeof(want), "bytes_in=%zu bytes_out=%zu",
	    total + 4000, total + 4000);
	pt_assert_logged(&p, want);
	assert_left_ring(&p);
	pt_echo_stop(&e);
}
END_TEST

/* Small messages only: the session never leaves the ring. */
START_TEST(test_small_stays_on_ring)
{
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), c, s;

	pt_start(&p, BULK_CONF, port, "30s", bport);
	session(port, lfd, &c, &s);
	small_exchanges(c, s, 200, 300);
	close(c);
	ck_assert_int_eq(pt_recv_eof(s), 0);
	close(s);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "bytes_in=60000 bytes_out=60000");
	assert_stayed_on_ring(&p);
	close(lfd);
}
END_TEST

/* With splicing off (MIOPROXY_SPLICE=0) bulk stays on the ring whole. */
START_TEST(test_no_splice_stays_on_ring)
{
	struct pt_echo e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd;

	setenv("MIOPROXY_SPLICE", "0", 1);
	pt_echo_start(&e, -1);
	pt_start(&p, BULK_CONF, port, "30s", e.port);
	fd = pt_connect(port);
	ck_assert_int_ge(fd, 0);
	echo_small(fd, 5);
	pt_echo_each_way(fd, (size_t)8 << 20, 21);
	echo_small(fd, 5);
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "bytes_in=8389608 bytes_out=8389608");
	assert_stayed_on_ring(&p);
	pt_echo_stop(&e);
}
END_TEST

/*
 * The client sends 4 MB and its FIN (the session leaves the ring on the
 * way); the server, having read it all and its end, sends 16 MB to a
 * client that reads slowly, then closes: every byte arrives, in order,
 * then a clean end of stream, and the session ends as client_close.
 */
START_TEST(test_half_close_slow_reader_after_leaving)
{
	enum { UP = 4 << 20, DOWN = 16 << 20, CHUNK = 65536 };
	static unsigned char buf[CHUNK], want[CHUNK];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), c, s, k;
	uint64_t sum = PT_FNV_START, sum_want = PT_FNV_START;
	size_t n = 0;
	ssize_t r;

	pt_start(&p, BULK_CONF, port, "30s", bport);
	session(port, lfd, &c, &s);
	small_exchanges(c, s, 3, 100);
	/* Up: 4 MB, then the client's FIN, all read by the server. */
	pt_fill_random(want, CHUNK, 1);
	for (k = 0; k < UP / CHUNK; k++) {
		pt_send_all(c, want, CHUNK);
		pt_recv_all(s, buf, CHUNK);
		ck_assert_int_eq(memcmp(buf, want, CHUNK), 0);
	}
	ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
	ck_assert_int_eq(pt_recv_eof(s), 0);
	/* Down: 16 MB from a thread-free writer, read slowly by the
	 * client: the server's sends block on the proxy's backpressure. */
	{
		size_t sent = 0;

		while (sent < DOWN || n < DOWN) {
			struct pollfd pfd[2] = {
				{ s, sent < DOWN ? POLLOUT : 0, 0 },
				{ c, POLLIN, 0 } };

			ck_assert_int_gt(poll(pfd, 2, PT_WAIT_MS), 0);
			if (pfd[0].revents & POLLOUT) {
				pt_fill_random(want, CHUNK,
				    (unsigned)(100 + sent / CHUNK));
				r = send(s, want + sent % CHUNK,
				    CHUNK - sent % CHUNK,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
				if (r > 0) {
					sum_want = pt_fnv_more(sum_want,
					    want + sent % CHUNK, (size_t)r);
					sent += (size_t)r;
				}
			}
			if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
				/* Slow: a little at a time, now and then. */
				if (n / CHUNK % 64 == 0)
					test_sleep_ms(2);
				r = recv(c, buf, 8192, MSG_DONTWAIT);
				ck_assert_msg(r > 0 || (r < 0 &&
				    errno == EAGAIN), "after %zu bytes: %s",
				    n, r == 0 ? "end of stream" :
				    strerror(errno));
				if (r > 0) {
					sum = pt_fnv_more(sum, buf, (size_t)r);
					n += (size_t)r;
				}
			}
		}
	}
	ck_assert_msg(sum == sum_want, "checksums differ");
	close(s);
	ck_assert_int_eq(pt_recv_eof(c), 0);
	close(c);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "end=client_close");
	pt_assert_logged(&p, "bytes_in=4194604 bytes_out=16777516");
	assert_left_ring(&p);
	close(lfd);
}
END_TEST

/*
 * An outside reviewer's case: the server streams 8 KiB records, one a
 * millisecond (never a full ring buffer), to a client with a 64 KiB
 * receive buffer that does not read yet, so the session's send to the
 * client is stuck; the client then uploads 16 MB before reading
 * anything.  Its first full receive makes the session leave the ring:
 * leaving must not wait for the client to drain (it would not, being
 * blocked in its upload), so the upload goes through at once, and then
 * every byte of both ways arrives, well within the idle timeout.
 * _i 1: with a buffer_size of 4 KiB, below what the ring holds.
 */
START_TEST(test_leaving_with_a_stuck_send)
{
	enum { UP = 16 << 20, REC = 8192 };
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), c, s, sz = 65536;
	struct leg up = { 0 }, down = { 0 };
	int64_t t0, next, bound = 10000 * pt_slow();
	char want[128];
	struct sockaddr_in a = { .sin_family = AF_INET };

	if (_i == 0)
		pt_start(&p, BULK_CONF, port, "60s", bport);
	else
		pt_start(&p, BULK_CONF_SMALL_BUF, port, "60s", bport);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept_within(lfd);
	up = (struct leg){ c, s, UP, 0, 0, 0x5a, 0 };
	down = (struct leg){ s, c, (size_t)64 << 20, 0, 0, 0xa5, 0 };
	/* The stream fills the way to the client, which does not read:
	 * until the server's send is stuck too (or a while). */
	t0 = test_now_ms();
	while (test_now_ms() - t0 < 3000 * pt_slow() &&
	    leg_send(&down, REC) > 0)
		test_sleep_ms(1);
	ck_assert_uint_gt(down.sent, 256 << 10);
	/* The upload, the stream going on, the server reading it all. */
	t0 = next = test_now_ms();
	while (up.got < UP) {
		ck_assert_msg(test_now_ms() - t0 < bound, "upload stuck at "
		    "%zu of %d bytes after %lld ms (read by the server)",
		    up.got, UP, (long long)(test_now_ms() - t0));
		if (test_now_ms() >= next) {
			(void)leg_send(&down, REC);
			next = test_now_ms() + 1;
		}
		(void)leg_send(&up, UP);
		wait_io(s, 0, 1);
		leg_recv(&up);
	}
	fprintf(stderr, "bulk: 16 MB up past a stuck send in %lld ms\n",
	    (long long)(test_now_ms() - t0));
	/* The client's FIN, then the stream's end, all of it read. */
	ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
	down.total = down.sent;
	ck_assert_int_eq(shutdown(s, SHUT_WR), 0);
	while (!down.eof || !up.eof) {
		ck_assert_msg(test_now_ms() - t0 < 2 * bound, "the stream "
		    "stuck at %zu of %zu bytes", down.got, down.sent);
		wait_io(c, 0, 10);
		leg_recv(&down);
		leg_recv(&up);
	}
	ck_assert_uint_eq(down.got, down.sent);
	close(c);
	close(s);
	ck_assert_int_eq(pt_stop(&p), 0);
	snprintf(want, sizeof(want), "bytes_in=%d bytes_out=%zu", UP,
	    down.sent);
	pt_assert_logged(&p, want);
	pt_assert_logged(&p, "end=client_close");
	assert_left_ring(&p);
	close(lfd);
}
END_TEST

/*
 * The server half-closes as the client's upload starts (the upload's
 * first full receive makes the session leave the ring), in three ways
 * by round: its bytes and FIN just before the upload, just after it
 * (either may reach the ring in the batch that starts the move, or the
 * readiness engine after it), or well before it (the ring passed the
 * FIN on, and the move carries that over).  Each time the client gets
 * the server's bytes and then a clean end of stream, the server all of
 * the upload, and the session ends as server_close.
 */
static void
fin_while_leaving_once(int port, int lfd, int round)
{
	enum { UP = 2 << 20, DOWN = 3000 };
	static unsigned char first[65536];
	struct leg up, down;
	int64_t t0 = test_now_ms(), bound = 10000 * pt_slow();
	int c, s, cshut = 0;
	size_t k;

	session(port, lfd, &c, &s);
	small_exchanges(c, s, 1, 100);
	up = (struct leg){ c, s, UP, 0, 0, (unsigned char)round, 0 };
	down = (struct leg){ s, c, DOWN, 0, 0, (unsigned char)~round, 0 };
	for (k = 0; k < sizeof(first); k++)
		first[k] = pat(k, up.salt);
	/* The server's bytes and FIN, and two ring buffers of upload,
	 * back to back in one order or the other, or apart. */
	if (round % 3 == 1) {
		pt_send_all(c, first, sizeof(first));
		up.sent = sizeof(first);
	}
	ck_assert_uint_eq(leg_send(&down, DOWN), DOWN);
	ck_assert_int_eq(shutdown(s, SHUT_WR), 0);
	if (round % 3 == 2)
		test_sleep_ms(50);
	if (round % 3 != 1) {
		pt_send_all(c, first, sizeof(first));
		up.sent = sizeof(first);
	}
	/* The rest: the client uploads and reads, the server reads. */
	while (up.got < UP || !up.eof || !down.eof) {
		ck_assert_msg(test_now_ms() - t0 < bound, "round %d stuck: "
		    "up %zu/%zu of %d, down %zu of %d, eof %d %d", round,
		    up.sent, up.got, UP, down.got, DOWN, up.eof, down.eof);
		(void)leg_send(&up, UP);
		/* The client's FIN once all is sent, after the server's
		 * came: the server's was first, for the end reason. */
		if (up.sent == UP && down.eof && !cshut) {
			ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
			cshut = 1;
		}
		wait_io(s, 0, 1);
		leg_recv(&up);
		leg_recv(&down);
	}
	ck_assert_uint_eq(down.got, DOWN);
	close(c);
	close(s);
}

START_TEST(test_fin_while_leaving)
{
	enum { ROUNDS = 15 };
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), round;
	const char *at;
	char want[128];

	pt_start(&p, BULK_CONF, port, "60s", bport);
	for (round = 0; round < ROUNDS; round++)
		fin_while_leaving_once(port, lfd, round);
	ck_assert_int_eq(pt_stop(&p), 0);
	snprintf(want, sizeof(want), "bytes_in=%d bytes_out=%d "
	    "end=server_close", (2 << 20) + 100, 3000 + 100);
	for (round = 0, at = p.access_text; (at = strstr(at, want)) != NULL;
	    at++)
		round++;
	ck_assert_msg(round == ROUNDS, "%d of %d sessions as %s: %s", round,
	    ROUNDS, want, p.access_text);
	assert_left_ring(&p);
	close(lfd);
}
END_TEST

/*
 * The server sends 8 MB to a client with a small window that does not
 * read: the session leaves the ring's receive at once (a full buffer)
 * but cannot drain what it holds.  Then a side resets (_i: 0 the client,
 * 1 the server): the other side learns it by a reset, never by a clean
 * end of stream, and the session ends as a reset.
 */
START_TEST(test_reset_while_draining)
{
	enum { LEN = 8 << 20, CHUNK = 65536 };
	static unsigned char buf[CHUNK];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), c, s, sz = 4096;
	size_t sent = 0;
	int64_t t0;
	ssize_t r;

	pt_start(&p, BULK_CONF, port, "30s", bport);
	c = pt_small_window(port);
	s = accept_within(lfd);
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	pt_fill_random(buf, CHUNK, 5);
	/* Send until stuck: the proxy holds what the client does not take. */
	t0 = test_now_ms();
	while (sent < LEN && test_now_ms() - t0 < 1000 * pt_slow()) {
		r = send(s, buf, CHUNK, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0)
			sent += (size_t)r;
		else
			test_sleep_ms(20);
	}
	ck_assert_uint_gt(sent, 256 << 10);
	if (_i == 0) {
		/* The client resets: the server's next read says so. */
		struct pollfd pfd = { s, POLLIN, 0 };

		ck_assert_int_eq(pt_close_rst(c), 0);
		ck_assert_int_gt(poll(&pfd, 1, PT_WAIT_MS), 0);
		r = recv(s, buf, sizeof(buf), 0);
		ck_assert_msg(r < 0 && (errno == ECONNRESET ||
		    errno == EPIPE), "server: %s", r == 0 ?
		    "clean end of stream" : r > 0 ? "data" :
		    strerror(errno));
		close(s);
	} else {
		/* The server resets: the client, reading all it can, ends
		 * on a reset, short of what was sent. */
		size_t n = 0;
		struct timeval tv = { PT_WAIT_MS / 1000, 0 };

		ck_assert_int_eq(pt_close_rst(s), 0);
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while ((r = recv(c, buf, sizeof(buf), 0)) > 0)
			n += (size_t)r;
		ck_assert_msg(r < 0 && errno == ECONNRESET,
		    "client after %zu bytes: %s", n, r == 0 ?
		    "clean end of stream" : strerror(errno));
		ck_assert_uint_le(n, sent);
		close(c);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "end=reset");
	/* On the ring the session left it first (a full receive), its
	 * send to the client cancelled, not waited for. */
	assert_left_ring(&p);
	close(lfd);
}
END_TEST

/*
 * 8 clients that never read, each behind a server that sends as long as
 * it can: the proxy's memory stays within a few buffers per session
 * (the rest waits in the kernel's socket buffers and pipes), and after
 * the idle timeout the sessions end with a reset (bytes were held).
 */
START_TEST(test_never_reading_clients_bounded)
{
	enum { N = 8, CHUNK = 65536 };
	static unsigned char buf[CHUNK];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 16), c[N], s[N], i;
	long base, rss;
	uint64_t total = 0;
	int64_t t0;
	char idle[32];

	/* Times scaled by MIOPROXY_TEST_SLOW (valgrind), and the sleep
	 * well past the idle timeout: nothing flakes on a loaded host. */
	snprintf(idle, sizeof(idle), "%dms", 1000 * pt_slow());
	pt_start(&p, BULK_CONF, port, idle, bport);
	for (i = 0; i < N; i++) {
		c[i] = pt_small_window(port);
		s[i] = accept_within(lfd);
		(void)fcntl(s[i], F_SETFL, O_NONBLOCK);
	}
	base = pt_rss_kb(p.pid);
	ck_assert_int_gt(base, 0);
	t0 = test_now_ms();
	while (test_now_ms() - t0 < 600 * pt_slow()) {
		int moved = 0;

		for (i = 0; i < N; i++) {
			ssize_t r = send(s[i], buf, CHUNK, MSG_NOSIGNAL);

			if (r > 0) {
				total += (uint64_t)r;
				moved = 1;
			}
		}
		if (!moved)
			test_sleep_ms(20);
	}
	rss = pt_rss_kb(p.pid);
	fprintf(stderr, "bulk: %d clients never read: %llu bytes sent, "
	    "rss %ld -> %ld kB\n", N, (unsigned long long)total, base, rss);
	ck_assert_uint_gt(total, (uint64_t)N * (256 << 10));
	/* Two 64 KiB buffers per session, and slack for malloc. */
	ck_assert_int_le(rss, base + N * 2 * 64 + 4096);
	/* Nothing moves: the idle timeout ends them, each with a reset
	 * (the proxy holds bytes for them), found once they read. */
	test_sleep_ms(2000 * pt_slow());
	for (i = 0; i < N; i++) {
		struct timeval tv = { PT_WAIT_MS / 1000, 0 };
		ssize_t r;

		setsockopt(c[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while ((r = recv(c[i], buf, sizeof(buf), 0)) > 0)
			;
		ck_assert_msg(r < 0 && errno == ECONNRESET, "client %d: %s",
		    i, r == 0 ? "clean end of stream" : strerror(errno));
		close(c[i]);
		close(s[i]);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "end=idle_timeout");
	close(lfd);
}
END_TEST

/*
 * 2 MB each way (leaving the ring), then nothing: the idle timeout ends
 * the session with a clean end of stream (nothing held), counts exact.
 */
START_TEST(test_idle_timeout_after_leaving)
{
	enum { LEN = 2 << 20, CHUNK = 65536 };
	static unsigned char buf[CHUNK], want[CHUNK];
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), bport = pt_free_port(SOCK_STREAM);
	int lfd = pt_listen(bport, 8), c, s, k;
	int64_t t0;
	char idle[32];

	/* 1 s (scaled under valgrind), and the lower bound on the wait
	 * half of it: the timer runs from the proxy's last move, which a
	 * loaded host may let the test see late. */
	snprintf(idle, sizeof(idle), "%dms", 1000 * pt_slow());
	pt_start(&p, BULK_CONF, port, idle, bport);
	session(port, lfd, &c, &s);
	pt_fill_random(want, CHUNK, 3);
	for (k = 0; k < LEN / CHUNK; k++) {
		pt_send_all(c, want, CHUNK);
		pt_recv_all(s, buf, CHUNK);
		ck_assert_int_eq(memcmp(buf, want, CHUNK), 0);
		pt_send_all(s, want, CHUNK);
		pt_recv_all(c, buf, CHUNK);
		ck_assert_int_eq(memcmp(buf, want, CHUNK), 0);
	}
	t0 = test_now_ms();
	ck_assert_int_eq(pt_recv_eof(c), 0);
	ck_assert_int_ge(test_now_ms() - t0, 500 * pt_slow());
	ck_assert_int_eq(pt_recv_eof(s), 0);
	close(c);
	close(s);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_assert_logged(&p, "end=idle_timeout");
	pt_assert_logged(&p, "bytes_in=2097152 bytes_out=2097152");
	assert_left_ring(&p);
	close(lfd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bulk");
	TCase *tc = tcase_create("tcp");

	tcase_set_timeout(tc, 120 * pt_slow());
	tcase_add_test(tc, test_small_then_100mb_then_small);
	tcase_add_test(tc, test_small_stays_on_ring);
	tcase_add_test(tc, test_no_splice_stays_on_ring);
	tcase_add_test(tc, test_half_close_slow_reader_after_leaving);
	tcase_add_loop_test(tc, test_leaving_with_a_stuck_send, 0, 2);
	tcase_add_test(tc, test_fin_while_leaving);
	tcase_add_loop_test(tc, test_reset_while_draining, 0, 2);
	tcase_add_test(tc, test_never_reading_clients_bounded);
	tcase_add_test(tc, test_idle_timeout_after_leaving);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
