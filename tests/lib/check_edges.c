/*
 * Edge cases that one backend got wrong once (the review of the Windows
 * backend), written once and run on every platform: by Check on each
 * POSIX backend, by tests/win/check.h under wine.  Only libmio's own
 * calls, loopback, ephemeral ports; threads through a two-call shim.
 *
 *  - MIO_PRIORITY is re-armed by a read that reaches -EAGAIN;
 *  - an IPv6 UDP association is dissolved by mio_udp_connect(s, NULL);
 *  - a lingering close with data unsent closes (and lingers);
 *    l_linger's range is checked, not wrapped;
 *  - a read on another thread re-arms a socket while a wait is under
 *    way, round after round;
 *  - a freed waker's wake never becomes the event of the next waker;
 *  - a datagram longer than mio_readv()'s buffers comes back cut.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#ifndef _WIN32			/* mio.h brings Winsock's in */
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "testutil.h"

#define EDGE_WAIT_MS	5000

/* --- a thread, and a millisecond clock and sleep, on either system --- */

typedef void (*edge_fn)(void *);

struct edge_thread {
	edge_fn	 fn;
	void	*arg;
#ifdef _WIN32
	HANDLE	 h;
#else
	pthread_t t;
#endif
};

#ifdef _WIN32
static DWORD WINAPI
edge_trampoline(LPVOID arg)
{
	struct edge_thread *t = arg;

	t->fn(t->arg);
	return 0;
}

static void
edge_start(struct edge_thread *t, edge_fn fn, void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->h = CreateThread(NULL, 0, edge_trampoline, t, 0, NULL);
	ck_assert_ptr_nonnull(t->h);
}

static void
edge_join(struct edge_thread *t)
{
	WaitForSingleObject(t->h, INFINITE);
	CloseHandle(t->h);
}

static long long
edge_now_ms(void)
{
	return (long long)GetTickCount64();
}

static void
edge_sleep_ms(int ms)
{
	Sleep((DWORD)ms);
}
#else
static void *
edge_trampoline(void *arg)
{
	struct edge_thread *t = arg;

	t->fn(t->arg);
	return NULL;
}

static void
edge_start(struct edge_thread *t, edge_fn fn, void *arg)
{
	t->fn = fn;
	t->arg = arg;
	ck_assert_int_eq(pthread_create(&t->t, NULL, edge_trampoline, t), 0);
}

static void
edge_join(struct edge_thread *t)
{
	ck_assert_int_eq(pthread_join(t->t, NULL), 0);
}

static long long
edge_now_ms(void)
{
	return (long long)test_now_ms();
}

static void
edge_sleep_ms(int ms)
{
	test_sleep_ms(ms);
}
#endif

/* --- sockets and events through libmio only --- */

static void
edge_pair(const char *where, mio_sock out[2])
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct mio_addr a;
	long long end = edge_now_ms() + EDGE_WAIT_MS;
	int l, c, s;

	ck_assert_int_eq(mio_addr_parse(&a, where), 0);
	l = mio_tcp_listen(&a, 4);
	ck_assert_msg(l >= 0, "mio_tcp_listen %s: %d", where, l);
	ck_assert_int_eq(mio_local_addr((mio_sock)l, &a), 0);
	c = mio_tcp_connect(&a);
	ck_assert_msg(c >= 0, "mio_tcp_connect: %d", c);
	ck_assert_int_eq(mio_register(p, (mio_sock)l, 1, MIO_READABLE), 0);
	while ((s = mio_tcp_accept((mio_sock)l, NULL)) == -EAGAIN) {
		ck_assert_msg(edge_now_ms() < end, "no connection came");
		ck_assert_int_ge(mio_poll_wait(p, ev, 4, 200), 0);
	}
	ck_assert_msg(s >= 0, "mio_tcp_accept: %d", s);
	ck_assert_int_eq(mio_deregister(p, (mio_sock)l), 0);
	ck_assert_int_eq(mio_close((mio_sock)l), 0);
	mio_poll_free(p);
	out[0] = (mio_sock)c;
	out[1] = (mio_sock)s;
}

/* The flags of the first event of `token` within the time (0: none). */
static uint32_t
edge_event(struct mio_poll *p, mio_token token, int ms)
{
	struct mio_event ev[8];
	long long end = edge_now_ms() + ms;
	int n, i;

	do {
		n = mio_poll_wait(p, ev, 8, 100);
		ck_assert_int_ge(n, 0);
		for (i = 0; i < n; i++)
			if (ev[i].token == token)
				return ev[i].flags;
	} while (edge_now_ms() < end);
	return 0;
}

/* The backends that take MIO_PRIORITY (kqueue has no such filter). */
static int
edge_has_priority(struct mio_poll *p)
{
	return strcmp(mio_poll_backend(p), "kqueue") != 0;
}

/* --- the cases --- */

START_TEST(test_priority_rearmed_by_read)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];
	char c;
	uint32_t f;

	if (!edge_has_priority(p)) {
		mio_poll_free(p);
		return;		/* nothing to re-arm: register refuses it */
	}
	edge_pair("127.0.0.1:0", s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE |
	    MIO_PRIORITY), 0);
	ck_assert_int_eq(mio_write(s[0], "a", 1), 1);
	ck_assert_int_eq(send(s[0], "!", 1, MSG_OOB), 1);
	f = edge_event(p, 1, EDGE_WAIT_MS);
	if (!(f & MIO_PRIORITY))
		f |= edge_event(p, 1, EDGE_WAIT_MS);
	ck_assert_msg(f & MIO_PRIORITY, "no MIO_PRIORITY (0x%x)",
	    (unsigned)f);
	/* The urgent byte, then the stream to -EAGAIN: both edges used. */
	ck_assert_int_eq(recv(s[1], &c, 1, MSG_OOB), 1);
	ck_assert_int_eq(c, '!');
	ck_assert_uint_eq(tu_drain(s[1]), 1);
	ck_assert_uint_eq(edge_event(p, 1, 100) & MIO_PRIORITY, 0);
	/* Urgent data again: the read's -EAGAIN re-armed MIO_PRIORITY. */
	ck_assert_int_eq(send(s[0], "?", 1, MSG_OOB), 1);
	f = edge_event(p, 1, EDGE_WAIT_MS);
	ck_assert_msg(f & MIO_PRIORITY, "MIO_PRIORITY not re-armed (0x%x)",
	    (unsigned)f);
	ck_assert_int_eq(mio_close(s[0]), 0);
	ck_assert_int_eq(mio_close(s[1]), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_udp6_dissolve)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr any, aa, ba, ca, from;
	char buf[16];
	int a, b, c;

	ck_assert_int_eq(mio_addr_parse(&any, "[::1]:0"), 0);
	a = mio_udp_bind(&any);
	if (a == -EADDRNOTAVAIL || a == -EAFNOSUPPORT) {
		mio_poll_free(p);
		return;		/* no IPv6 loopback here: nothing to dissolve */
	}
	ck_assert_msg(a >= 0, "mio_udp_bind [::1]: %d", a);
	b = mio_udp_bind(&any);
	c = mio_udp_bind(&any);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)a, &aa), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)b, &ba), 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)c, &ca), 0);
	ck_assert_int_eq(mio_register(p, (mio_sock)a, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_udp_connect((mio_sock)a, &ba), 0);
	ck_assert_int_eq(mio_peer_addr((mio_sock)a, &from), 0);
	ck_assert(mio_addr_equal(&from, &ba));
	/* Dissolved (on Windows a short AF_UNSPEC length was WSAEFAULT). */
	ck_assert_int_eq(mio_udp_connect((mio_sock)a, NULL), 0);
	ck_assert_int_eq(mio_peer_addr((mio_sock)a, &from), -ENOTCONN);
	{
		struct iovec v = { "x", 1 };

		ck_assert_int_eq(mio_send((mio_sock)a, "x", 1), -EDESTADDRREQ);
		ck_assert_int_eq(mio_writev((mio_sock)a, &v, 1),
		    -EDESTADDRREQ);
	}
	/*
	 * It talks with anyone again: to c, never its peer, and c's answer
	 * comes in.  (Linux gives an ephemeral port back on a dissolve and
	 * binds a new one at the next send: the address a had is stale,
	 * hence the send first and the answer to where it came from.)
	 */
	ck_assert_int_eq(mio_udp_send_to((mio_sock)a, "six", 3, &ca), 3);
	{
		long long end = edge_now_ms() + EDGE_WAIT_MS;
		ssize_t n;

		while ((n = mio_udp_recv_from((mio_sock)c, buf, sizeof(buf),
		    &from)) == -EAGAIN) {
			ck_assert_msg(edge_now_ms() < end, "c got nothing");
			edge_sleep_ms(5);
		}
		ck_assert_int_eq(n, 3);
	}
	ck_assert_mem_eq(buf, "six", 3);
	ck_assert_int_eq(mio_udp_send_to((mio_sock)c, "ten", 3, &from), 3);
	ck_assert_uint_ne(edge_event(p, 1, EDGE_WAIT_MS) & MIO_READABLE, 0);
	ck_assert_int_eq(mio_udp_recv_from((mio_sock)a, buf, sizeof(buf),
	    &from), 3);
	ck_assert_mem_eq(buf, "ten", 3);
	ck_assert(mio_addr_equal(&from, &ca));
	ck_assert_int_eq(mio_close((mio_sock)a), 0);
	ck_assert_int_eq(mio_close((mio_sock)b), 0);
	ck_assert_int_eq(mio_close((mio_sock)c), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_linger_close)
{
	static char chunk[65536];
	struct mio_poll *p = tu_poll();
	struct linger lg;
	mio_sock s[2];
	size_t queued = 0, got = 0;
	long long end;
	ssize_t n;
	int expect_big;

	edge_pair("127.0.0.1:0", s);
	/* l_linger's range: Windows's is a u_short, Linux's an int. */
	expect_big = sizeof(lg.l_linger) < sizeof(int) ? -EINVAL : 0;
	ck_assert_int_eq(mio_tcp_set_linger(s[0], 65536), expect_big);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], 65535), 0);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], -1), 0);
	/* Data the peer has not read yet, then a lingering close (1 s):
	 * Winsock refuses it on a non-blocking socket (WSAEWOULDBLOCK),
	 * Linux lingers; mio_close() must close either way. */
	memset(chunk, 'L', sizeof(chunk));
	while ((n = mio_write(s[0], chunk, sizeof(chunk))) > 0 &&
	    queued < 64 * 1024 * 1024)
		queued += (size_t)n;
	ck_assert_msg(n == -EAGAIN, "write: %d", (int)n);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], 1), 0);
	ck_assert_int_eq(mio_close(s[0]), 0);
	ck_assert_int_eq(mio_close(s[0]), -EBADF);
	/* The peer sees what was sent, then the end (or a reset, once the
	 * linger ran out with data unsent). */
	ck_assert_int_eq(mio_register(p, s[1], 2, MIO_READABLE), 0);
	end = edge_now_ms() + EDGE_WAIT_MS;
	for (;;) {
		n = mio_read(s[1], chunk, sizeof(chunk));
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 || n == -ECONNRESET)
			break;
		ck_assert_int_eq(n, -EAGAIN);
		ck_assert_msg(edge_now_ms() < end, "no end after %lu of %lu",
		    (unsigned long)got, (unsigned long)queued);
		(void)edge_event(p, 2, 200);
	}
	ck_assert_uint_le(got, queued);
	ck_assert_int_eq(mio_close(s[1]), 0);
	mio_poll_free(p);
}
END_TEST

#define REARM_ROUNDS	200

struct rearm_probe {
	struct mio_poll	*p;
	atomic_int	 events;	/* readable events seen */
	atomic_int	 stop;
	atomic_int	 failed;	/* a wait returned an error */
};

/* The waiter: waits and counts, while the main thread reads. */
static void
rearm_waiter(void *arg)
{
	struct rearm_probe *rp = arg;
	struct mio_event ev[8];
	int n, i;

	while (!atomic_load(&rp->stop)) {
		n = mio_poll_wait(rp->p, ev, 8, 1000);
		if (n < 0) {
			atomic_store(&rp->failed, n);
			return;
		}
		for (i = 0; i < n; i++)
			if (ev[i].token == 1 && (ev[i].flags & MIO_READABLE))
				atomic_fetch_add(&rp->events, 1);
	}
}

START_TEST(test_rearm_across_threads)
{
	struct rearm_probe rp;
	struct edge_thread t;
	struct mio_waker *w;
	mio_sock s[2];
	int round, seen;

	rp.p = tu_poll();
	atomic_init(&rp.events, 0);
	atomic_init(&rp.stop, 0);
	atomic_init(&rp.failed, 0);
	edge_pair("127.0.0.1:0", s);
	ck_assert_int_eq(mio_waker_new(rp.p, 2, &w), 0);
	ck_assert_int_eq(mio_register(rp.p, s[1], 1, MIO_READABLE), 0);
	edge_start(&t, rearm_waiter, &rp);
	for (round = 0; round < REARM_ROUNDS; round++) {
		long long end = edge_now_ms() + EDGE_WAIT_MS;

		seen = atomic_load(&rp.events);
		ck_assert_int_eq(mio_write(s[0], "r", 1), 1);
		while (atomic_load(&rp.events) == seen) {
			ck_assert_msg(edge_now_ms() < end,
			    "round %d: no event (wait: %d)", round,
			    atomic_load(&rp.failed));
			edge_sleep_ms(1);
		}
		/* The waiter is (most likely) back in its wait: this read's
		 * -EAGAIN re-arms the socket under it. */
		ck_assert_uint_eq(tu_drain(s[1]), 1);
	}
	atomic_store(&rp.stop, 1);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	edge_join(&t);
	ck_assert_int_eq(atomic_load(&rp.failed), 0);
	ck_assert_int_eq(mio_close(s[0]), 0);
	ck_assert_int_eq(mio_close(s[1]), 0);
	mio_waker_free(w);
	mio_poll_free(rp.p);
}
END_TEST

START_TEST(test_waker_freed_then_new)
{
	struct mio_poll *p = tu_poll();
	struct mio_waker *a, *b;
	struct mio_event ev[8];
	int n, i, round;

	/* The allocator hands the freed waker's memory to the next one,
	 * more often than not: either way, a's wake is not b's event. */
	for (round = 0; round < 8; round++) {
		ck_assert_int_eq(mio_waker_new(p, 1, &a), 0);
		ck_assert_int_eq(mio_waker_wake(a), 0);
		mio_waker_free(a);
		ck_assert_int_eq(mio_waker_new(p, 2, &b), 0);
		n = mio_poll_wait(p, ev, 8, 100);
		ck_assert_int_ge(n, 0);
		for (i = 0; i < n; i++)
			ck_assert_msg(ev[i].token != 2,
			    "round %d: the freed waker's wake came as b's",
			    round);
		/* b's own wakes still come (its flag was not taken). */
		ck_assert_int_eq(mio_waker_wake(b), 0);
		ck_assert_uint_ne(edge_event(p, 2, EDGE_WAIT_MS), 0);
		ck_assert_int_eq(mio_waker_wake(b), 0);
		ck_assert_uint_ne(edge_event(p, 2, EDGE_WAIT_MS), 0);
		mio_waker_free(b);
	}
	mio_poll_free(p);
}
END_TEST

START_TEST(test_readv_cuts_datagram)
{
	struct mio_addr any, aa;
	struct iovec iov[2];
	char big[100], x[10], y[10];
	int a, b;

	memset(big, 'd', sizeof(big));
	ck_assert_int_eq(mio_addr_parse(&any, "127.0.0.1:0"), 0);
	a = mio_udp_bind(&any);
	b = mio_udp_bind(&any);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(mio_local_addr((mio_sock)a, &aa), 0);
	ck_assert_int_eq(mio_udp_send_to((mio_sock)b, big, sizeof(big), &aa),
	    (ssize_t)sizeof(big));
	iov[0].iov_base = x;
	iov[0].iov_len = sizeof(x);
	iov[1].iov_base = y;
	iov[1].iov_len = sizeof(y);
	{
		long long end = edge_now_ms() + EDGE_WAIT_MS;
		ssize_t n;

		while ((n = mio_readv((mio_sock)a, iov, 2)) == -EAGAIN) {
			ck_assert_msg(edge_now_ms() < end, "no datagram");
			edge_sleep_ms(5);
		}
		/* Cut to the buffers, as on Linux: not -EMSGSIZE. */
		ck_assert_int_eq(n, 20);
	}
	ck_assert_mem_eq(x, big, sizeof(x));
	ck_assert_mem_eq(y, big, sizeof(y));
	ck_assert_int_eq(mio_readv((mio_sock)a, iov, 2), -EAGAIN);
	ck_assert_int_eq(mio_close((mio_sock)a), 0);
	ck_assert_int_eq(mio_close((mio_sock)b), 0);
}
END_TEST

static Suite *
edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("edges");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_priority_rearmed_by_read);
	tcase_add_test(tc, test_udp6_dissolve);
	tcase_add_test(tc, test_linger_close);
	tcase_add_test(tc, test_rearm_across_threads);
	tcase_add_test(tc, test_waker_freed_then_new);
	tcase_add_test(tc, test_readv_cuts_datagram);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(edges_suite());
}
