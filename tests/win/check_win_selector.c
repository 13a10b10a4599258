/*
 * The selector's contract (API.md, "Selector" and "Waker") on the IOCP
 * backend, under the check.h shim.  The Linux suite's sources
 * (tests/lib/check_selector.c) drive pipes, eventfds, fork and signals,
 * none of which Windows has: the same cases are written here on
 * loopback TCP pairs, and what is POSIX-only is listed at the end.
 */
#include "config.h"

#include <limits.h>

#include "wintest.h"

/*
 * First in this process, before any socket: mio_poll_new() starts
 * Winsock itself (libmio(3)), so Winsock calls made by the caller and
 * by register (SO_TYPE of a non-socket: -EBADF, not Winsock's "not
 * started") work.
 */
START_TEST(test_poll_starts_winsock)
{
	struct mio_poll *p = tu_poll();
	HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
	SOCKET raw;

	ck_assert_int_eq(mio_register(p, (mio_sock)ev, 1, MIO_READABLE),
	    -EBADF);
	CloseHandle(ev);
	raw = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_msg(raw != INVALID_SOCKET, "socket(): WSA error %d",
	    WSAGetLastError());
	ck_assert_int_eq(closesocket(raw), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_backend_name)
{
	struct mio_poll *p = tu_poll();

	ck_assert_int_eq(mio_poll_short_io_drains(p), 0);
	mio_poll_free(p);
	mio_poll_free(NULL);
	ck_assert_int_eq(mio_poll_new(NULL), -EINVAL);
}
END_TEST

START_TEST(test_timeout_zero_and_short)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	long long t0;

	ck_assert_int_eq(tu_wait(p, ev, 4, 0), 0);
	t0 = tu_now_ms();
	ck_assert_int_eq(tu_wait(p, ev, 4, 100), 0);
	/* GetTickCount64's granularity is up to 16 ms. */
	ck_assert_int_ge(tu_now_ms() - t0, 100 - 16);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_capacity_and_args)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[1];

	ck_assert_int_eq(mio_poll_wait(p, ev, 0, 0), -EINVAL);
	ck_assert_int_eq(mio_poll_wait(p, NULL, 1, 0), -EINVAL);
	ck_assert_int_eq(mio_poll_wait(p, ev, (size_t)-1, 0), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_registration_errors)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[0], 1, 0), -EINVAL);
	ck_assert_int_eq(mio_register(p, s[0], 1, 0x200), -EINVAL);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_AIO), -ENOTSUP);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_LIO), -ENOTSUP);
	ck_assert_int_eq(mio_register(p, INVALID_SOCKET, 1, MIO_READABLE),
	    -EBADF);
	ck_assert_int_eq(mio_reregister(p, s[0], 1, MIO_READABLE), -ENOENT);
	ck_assert_int_eq(mio_deregister(p, s[0]), -ENOENT);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_READABLE), -EEXIST);
	ck_assert_int_eq(mio_deregister(p, s[0]), 0);
	ck_assert_int_eq(mio_deregister(p, s[0]), -ENOENT);
	/* A handle that is no socket: an event, not a socket. */
	{
		HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);

		ck_assert_int_eq(mio_register(p, (mio_sock)ev, 1,
		    MIO_READABLE), -EBADF);
		CloseHandle(ev);
	}
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_edge_readable)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 7, MIO_READABLE), 0);
	tu_quiet(p, 7, 100);
	tu_put(s[0], "hello");
	tu_expect(p, 7, MIO_READABLE);
	/* Delivered once: not again until drained to -EAGAIN. */
	tu_quiet(p, 7, 100);
	ck_assert_int_eq(tu_drain(s[1]), 5);
	tu_quiet(p, 7, 100);
	tu_put(s[0], "again");
	tu_expect(p, 7, MIO_READABLE);
	ck_assert_int_eq(tu_drain(s[1]), 5);
	ck_assert_int_eq(mio_deregister(p, s[1]), 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_edge_writable)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[0], 3, MIO_WRITABLE), 0);
	tu_expect(p, 3, MIO_WRITABLE);
	tu_quiet(p, 3, 100);
	ck_assert_int_eq(mio_deregister(p, s[0]), 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_read_write_merged)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock s[2];
	int n;

	tu_tcp_pair(s);
	tu_put(s[0], "x");
	Sleep(50);
	ck_assert_int_eq(mio_register(p, s[1], 5, MIO_READABLE |
	    MIO_WRITABLE), 0);
	n = tu_wait(p, ev, 4, TU_TIMEOUT_MS);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 5);
	ck_assert_uint_eq(ev[0].flags & (MIO_READABLE | MIO_WRITABLE),
	    MIO_READABLE | MIO_WRITABLE);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_reregister_rearms_and_replaces)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	tu_put(s[0], "data");
	tu_expect(p, 1, MIO_READABLE);
	tu_quiet(p, 1, 100);
	/* Not drained: reregister reports what holds now, new token. */
	ck_assert_int_eq(mio_reregister(p, s[1], 2, MIO_READABLE), 0);
	tu_expect(p, 2, MIO_READABLE);
	/* Interest replaced: writable only now. */
	ck_assert_int_eq(mio_reregister(p, s[1], 3, MIO_WRITABLE), 0);
	ck_assert_int_eq(tu_expect(p, 3, MIO_WRITABLE) & MIO_READABLE, 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_no_events_after_deregister)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 4, MIO_READABLE), 0);
	tu_quiet(p, 4, 0);
	ck_assert_int_eq(mio_deregister(p, s[1]), 0);
	tu_put(s[0], "late");
	tu_quiet(p, 4, 200);
	/* Registered again, on the same poll: events come back. */
	ck_assert_int_eq(mio_register(p, s[1], 6, MIO_READABLE), 0);
	tu_expect(p, 6, MIO_READABLE);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_capacity_smaller_than_ready_set)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[2];
	mio_sock s[5][2];
	int i, n, total = 0, seen = 0;

	for (i = 0; i < 5; i++) {
		tu_tcp_pair(s[i]);
		tu_put(s[i][0], "r");
	}
	Sleep(50);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(mio_register(p, s[i][1], (mio_token)i,
		    MIO_READABLE), 0);
	while (total < 5) {
		n = tu_wait(p, ev, 2, TU_TIMEOUT_MS);
		ck_assert_int_ge(n, 1);
		ck_assert_int_le(n, 2);
		for (i = 0; i < n; i++) {
			ck_assert_int_lt(ev[i].token, 5);
			ck_assert_int_eq(seen & (1 << ev[i].token), 0);
			seen |= 1 << ev[i].token;
		}
		total += n;
	}
	ck_assert_int_eq(seen, 0x1f);
	for (i = 0; i < 5; i++)
		tu_close_pair(s[i]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_waker_coalesces)
{
	struct mio_poll *p = tu_poll();
	struct mio_waker *w;
	struct mio_event ev[4];
	int n;

	ck_assert_int_eq(mio_waker_new(NULL, 1, &w), -EINVAL);
	ck_assert_int_eq(mio_waker_new(p, 42, &w), 0);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	n = tu_wait(p, ev, 4, TU_TIMEOUT_MS);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 42);
	ck_assert_uint_eq(ev[0].flags, MIO_READABLE);
	ck_assert_int_eq(tu_wait(p, ev, 4, 50), 0);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	ck_assert_int_eq(tu_wait(p, ev, 4, TU_TIMEOUT_MS), 1);
	mio_waker_free(w);
	mio_waker_free(NULL);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_several_wakers)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct mio_waker *a, *b;
	int n, seen = 0;

	ck_assert_int_eq(mio_waker_new(p, 10, &a), 0);
	ck_assert_int_eq(mio_waker_new(p, 20, &b), 0);
	ck_assert_int_eq(mio_waker_wake(a), 0);
	ck_assert_int_eq(mio_waker_wake(b), 0);
	ck_assert_int_eq(mio_waker_wake(a), 0);
	while (seen != 3 && (n = tu_wait(p, ev, 4, TU_TIMEOUT_MS)) > 0)
		while (n-- > 0)
			seen |= ev[n].token == 10 ? 1 :
			    ev[n].token == 20 ? 2 : 4;
	ck_assert_int_eq(seen, 3);
	ck_assert_int_eq(tu_wait(p, ev, 4, 50), 0);
	/* A wake queued for a waker freed before the wait: dropped. */
	ck_assert_int_eq(mio_waker_wake(a), 0);
	mio_waker_free(a);
	ck_assert_int_eq(tu_wait(p, ev, 4, 50), 0);
	ck_assert_int_eq(mio_waker_wake(b), 0);
	ck_assert_int_eq(tu_wait(p, ev, 4, TU_TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 20);
	mio_waker_free(b);
	mio_poll_free(p);
}
END_TEST

/* Freeing a poll with requests in flight: cancelled, not waited out. */
START_TEST(test_free_with_registrations)
{
	struct mio_poll *p = tu_poll(), *q;
	mio_sock s[2];
	long long t0;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[0], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_register(p, s[1], 2, MIO_READABLE |
	    MIO_WRITABLE), 0);
	tu_expect(p, 2, MIO_WRITABLE);		/* requests are out */
	t0 = tu_now_ms();
	mio_poll_free(p);
	ck_assert_int_lt(tu_now_ms() - t0, 900);
	/* The sockets are still the caller's, and work on another poll. */
	q = tu_poll();
	ck_assert_int_eq(mio_register(q, s[1], 3, MIO_READABLE), 0);
	tu_put(s[0], "still here");
	tu_expect(q, 3, MIO_READABLE);
	ck_assert_int_eq(tu_drain(s[1]), 10);
	tu_close_pair(s);
	mio_poll_free(q);
}
END_TEST

/* One socket on two polls: each has its own request and sees it. */
START_TEST(test_two_polls_one_socket)
{
	struct mio_poll *p = tu_poll(), *q = tu_poll();
	mio_sock s[2];

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_register(q, s[1], 2, MIO_READABLE), 0);
	tu_put(s[0], "both");
	tu_expect(p, 1, MIO_READABLE);
	tu_expect(q, 2, MIO_READABLE);
	ck_assert_int_eq(tu_drain(s[1]), 4);	/* re-arms on both */
	tu_put(s[0], "again");
	tu_expect(p, 1, MIO_READABLE);
	tu_expect(q, 2, MIO_READABLE);
	tu_close_pair(s);
	mio_poll_free(p);
	mio_poll_free(q);
}
END_TEST

static DWORD WINAPI
wake_later(LPVOID arg)
{
	Sleep(100);
	return (DWORD)mio_waker_wake(arg);
}

START_TEST(test_waker_cross_thread)
{
	struct mio_poll *p = tu_poll();
	struct mio_waker *w;
	struct mio_event ev[4];
	HANDLE t;

	ck_assert_int_eq(mio_waker_new(p, 9, &w), 0);
	t = CreateThread(NULL, 0, wake_later, w, 0, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tu_wait(p, ev, 4, -1), 1);
	ck_assert_uint_eq(ev[0].token, 9);
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	mio_waker_free(w);
	mio_poll_free(p);
}
END_TEST

struct late_reg {
	struct mio_poll	*p;
	mio_sock	 s;
};

static DWORD WINAPI
register_later(LPVOID arg)
{
	struct late_reg *lr = arg;

	Sleep(100);
	return (DWORD)mio_register(lr->p, lr->s, 77, MIO_READABLE);
}

START_TEST(test_register_during_wait)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct late_reg lr;
	mio_sock s[2];
	DWORD rc;
	HANDLE t;

	tu_tcp_pair(s);
	tu_put(s[0], "ready");
	lr.p = p;
	lr.s = s[1];
	t = CreateThread(NULL, 0, register_later, &lr, 0, NULL);
	ck_assert_ptr_nonnull(t);
	/* The registration made during this wait is seen by it. */
	ck_assert_int_eq(tu_wait(p, ev, 4, TU_TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 77);
	WaitForSingleObject(t, INFINITE);
	GetExitCodeThread(t, &rc);
	ck_assert_int_eq((int)rc, 0);
	CloseHandle(t);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

struct churn {
	struct mio_poll	*p;
	mio_sock	 s;
	volatile LONG	 bad;
};

static DWORD WINAPI
churn_registrations(LPVOID arg)
{
	struct churn *c = arg;
	int i;

	for (i = 0; i < 300; i++) {
		if (mio_register(c->p, c->s, 5, MIO_READABLE) != 0)
			InterlockedIncrement(&c->bad);
		if (i % 3 == 0)
			Sleep(1);
		if (mio_reregister(c->p, c->s, 6, MIO_READABLE |
		    MIO_WRITABLE) != 0)
			InterlockedIncrement(&c->bad);
		if (mio_deregister(c->p, c->s) != 0)
			InterlockedIncrement(&c->bad);
	}
	return 0;
}

/* Registrations racing a thread that waits: no error, no stray token,
 * and nothing once the last deregister has returned. */
START_TEST(test_register_race_with_wait)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[8];
	struct churn c;
	mio_sock s[2];
	HANDLE t;
	int n, i;

	tu_tcp_pair(s);
	tu_put(s[0], "pending");	/* readable throughout */
	c.p = p;
	c.s = s[1];
	c.bad = 0;
	t = CreateThread(NULL, 0, churn_registrations, &c, 0, NULL);
	ck_assert_ptr_nonnull(t);
	while (WaitForSingleObject(t, 0) == WAIT_TIMEOUT) {
		n = tu_wait(p, ev, 8, 5);
		for (i = 0; i < n; i++)
			ck_assert(ev[i].token == 5 || ev[i].token == 6);
	}
	CloseHandle(t);
	ck_assert_int_eq(c.bad, 0);
	ck_assert_int_eq(tu_wait(p, ev, 8, 100), 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_thousand_registrations)
{
	struct mio_poll *p = tu_poll();
	struct mio_waker *w;
	struct mio_addr a;
	static mio_sock s[500];
	int i;

	ck_assert_int_eq(mio_addr_parse(&a, "127.0.0.1:0"), 0);
	for (i = 0; i < 500; i++) {
		int c = mio_udp_bind(&a);

		ck_assert_int_ge(c, 0);
		s[i] = (mio_sock)c;
		ck_assert_int_eq(mio_register(p, s[i], (mio_token)i,
		    MIO_READABLE), 0);
	}
	for (i = 0; i < 500; i += 2)
		ck_assert_int_eq(mio_deregister(p, s[i]), 0);
	for (i = 1; i < 500; i += 2)
		ck_assert_int_eq(mio_reregister(p, s[i], (mio_token)i,
		    MIO_READABLE | MIO_WRITABLE), 0);
	ck_assert_int_eq(mio_waker_new(p, 1000, &w), 0);
	ck_assert_int_eq(mio_waker_wake(w), 0);
	{
		struct mio_event ev[600];
		int n, got = 0, woke = 0;
		long long end = tu_now_ms() + TU_TIMEOUT_MS;

		/* The 250 left are writable; the waker comes too. */
		while ((got < 250 || !woke) && tu_now_ms() < end) {
			n = tu_wait(p, ev, 600, 500);
			for (i = 0; i < n; i++) {
				if (ev[i].token == 1000) {
					woke = 1;
					continue;
				}
				ck_assert_int_eq(ev[i].token % 2, 1);
				got++;
			}
		}
		ck_assert_int_eq(got, 250);
		ck_assert(woke);
	}
	mio_waker_free(w);
	for (i = 0; i < 500; i++)
		ck_assert_int_eq(mio_close(s[i]), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_close_without_deregister)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2], t[2], held[32];
	struct mio_addr la;
	int n, c;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	tu_quiet(p, 1, 50);
	/* mio_close() forgets the registration: the handle value may come
	 * back for a new socket, which must register cleanly. */
	ck_assert_int_eq(mio_close(s[1]), 0);
	tu_quiet(p, 1, 50);
	/* New sockets until one gets s[1]'s handle value back (Windows and
	 * wine hand out a freed value again soon): it must register
	 * cleanly and report its own events under its own token. */
	for (n = 0; n < 32; n++)
		if ((held[n] = tu_listener("127.0.0.1:0", &la)) == s[1])
			break;
	ck_assert_msg(n < 32, "handle value %lu never reused",
	    (unsigned long)s[1]);
	ck_assert_int_eq(mio_register(p, held[n], 3, MIO_READABLE), 0);
	c = mio_tcp_connect(&la);
	ck_assert_int_ge(c, 0);
	ck_assert_uint_eq(tu_expect(p, 3, MIO_READABLE) & MIO_ERROR, 0);
	ck_assert_int_eq(mio_close((mio_sock)c), 0);
	for (; n >= 0; n--)
		ck_assert_int_eq(mio_close(held[n]), 0);
	tu_quiet(p, 3, 50);
	tu_tcp_pair(t);
	ck_assert_int_eq(mio_register(p, t[1], 2, MIO_READABLE), 0);
	tu_put(t[0], "z");
	tu_expect(p, 2, MIO_READABLE);
	/* A socket closed behind libmio's back ends its poll quietly. */
	ck_assert_int_eq(closesocket(t[1]), 0);
	tu_quiet(p, 2, 100);
	ck_assert_int_eq(mio_close(s[0]), 0);
	ck_assert_int_eq(mio_close(t[0]), 0);
	ck_assert_int_eq(mio_close(INVALID_SOCKET), -EBADF);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_peer_close_and_reset)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];
	uint32_t f;
	char c;

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_close(s[0]), 0);
	f = tu_expect(p, 1, MIO_READABLE);
	ck_assert_uint_eq(f & MIO_READ_CLOSED, MIO_READ_CLOSED);
	ck_assert_int_eq(mio_read(s[1], &c, 1), 0);
	ck_assert_int_eq(mio_close(s[1]), 0);

	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 2, MIO_READABLE |
	    MIO_WRITABLE), 0);
	tu_expect(p, 2, MIO_WRITABLE);
	ck_assert_int_eq(mio_tcp_set_linger(s[0], 0), 0);
	ck_assert_int_eq(mio_close(s[0]), 0);	/* a reset */
	f = tu_expect(p, 2, MIO_READ_CLOSED);
	ck_assert_uint_eq(f & MIO_WRITE_CLOSED, MIO_WRITE_CLOSED);
	/* Windows: -ECONNRESET (WSAECONNRESET).  wine 8 maps the reset to
	 * an end of stream: 0.  The events above are the same on both. */
	{
		ssize_t r = mio_read(s[1], &c, 1);

		ck_assert_msg(r == -ECONNRESET || r == 0, "read %d",
		    (int)r);
	}
	ck_assert_int_eq(mio_close(s[1]), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_version_and_strerror)
{
	char want[16];

	snprintf(want, sizeof(want), "%d.%d.%d", MIO_VERSION_MAJOR,
	    MIO_VERSION_MINOR, MIO_VERSION_PATCH);
	ck_assert_str_eq(mio_version(), want);
	/* The socket errors read as on Linux (win/error_win.c). */
	ck_assert_str_eq(mio_strerror(-EAGAIN),
	    "Resource temporarily unavailable");
	ck_assert_str_eq(mio_strerror(-ECONNRESET), "Connection reset by peer");
	ck_assert_str_eq(mio_strerror(ECONNREFUSED), "Connection refused");
	ck_assert_str_eq(mio_strerror(0), "Success");
	ck_assert_ptr_nonnull(mio_strerror(-100000));
	ck_assert_ptr_nonnull(mio_strerror(INT_MIN));
}
END_TEST

/* What the AFD events map to (libmio(3), WINDOWS), case by case. */
START_TEST(test_event_mapping)
{
	struct mio_poll *p = tu_poll();
	mio_sock s[2];
	uint32_t f;

	tu_tcp_pair(s);
	/* Urgent data: MIO_PRIORITY (AFD's RECEIVE_EXPEDITED), alone. */
	ck_assert_int_eq(mio_register(p, s[1], 1, MIO_READABLE |
	    MIO_PRIORITY), 0);
	ck_assert_int_eq(send(s[0], "!", 1, MSG_OOB), 1);
	f = tu_expect(p, 1, MIO_PRIORITY);
	ck_assert_uint_eq(f & (MIO_ERROR | MIO_READ_CLOSED |
	    MIO_WRITE_CLOSED), 0);
	/* A local shutdown, either way, raises nothing. */
	ck_assert_int_eq(mio_reregister(p, s[1], 2, MIO_READABLE |
	    MIO_WRITABLE), 0);
	tu_expect(p, 2, MIO_WRITABLE);
	ck_assert_int_eq(mio_tcp_shutdown(s[1], SHUT_RD), 0);
	tu_quiet(p, 2, 200);
	ck_assert_int_eq(mio_tcp_shutdown(s[1], SHUT_WR), 0);
	tu_quiet(p, 2, 200);
	tu_close_pair(s);

	/* The peer's FIN: readable and read-closed, never write-closed. */
	tu_tcp_pair(s);
	ck_assert_int_eq(mio_register(p, s[1], 3, MIO_READABLE |
	    MIO_WRITABLE), 0);
	tu_expect(p, 3, MIO_WRITABLE);
	ck_assert_int_eq(mio_tcp_shutdown(s[0], SHUT_WR), 0);
	f = tu_expect(p, 3, MIO_READABLE | MIO_READ_CLOSED);
	ck_assert_uint_eq(f & (MIO_WRITE_CLOSED | MIO_ERROR), 0);
	tu_close_pair(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_posix_only)
{
	mio_sock fds[2];

	/* No pollable pipes on Windows: the POSIX pipe cases
	 * (test_pipe_writer_closed, test_pipe_reader_closed, ...) have no
	 * subject here; mio_pipe() says so. */
	ck_assert_int_eq(mio_pipe(fds), -ENOTSUP);
	ck_assert_int_eq(mio_pipe(NULL), -EINVAL);
	tu_skip("pipes, eventfds, regular files, signals (SIGPIPE, EINTR "
	    "from a signal handler) and fork are POSIX-only");
}
END_TEST

static Suite *
selector_suite(void)
{
	Suite *s = suite_create("selector-iocp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_poll_starts_winsock);	/* first */
	tcase_add_test(tc, test_backend_name);
	tcase_add_test(tc, test_timeout_zero_and_short);
	tcase_add_test(tc, test_capacity_and_args);
	tcase_add_test(tc, test_registration_errors);
	tcase_add_test(tc, test_edge_readable);
	tcase_add_test(tc, test_edge_writable);
	tcase_add_test(tc, test_read_write_merged);
	tcase_add_test(tc, test_reregister_rearms_and_replaces);
	tcase_add_test(tc, test_no_events_after_deregister);
	tcase_add_test(tc, test_capacity_smaller_than_ready_set);
	tcase_add_test(tc, test_waker_coalesces);
	tcase_add_test(tc, test_several_wakers);
	tcase_add_test(tc, test_waker_cross_thread);
	tcase_add_test(tc, test_register_during_wait);
	tcase_add_test(tc, test_register_race_with_wait);
	tcase_add_test(tc, test_thousand_registrations);
	tcase_add_test(tc, test_close_without_deregister);
	tcase_add_test(tc, test_free_with_registrations);
	tcase_add_test(tc, test_two_polls_one_socket);
	tcase_add_test(tc, test_peer_close_and_reset);
	tcase_add_test(tc, test_event_mapping);
	tcase_add_test(tc, test_version_and_strerror);
	tcase_add_test(tc, test_posix_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tap_main(selector_suite());
}
