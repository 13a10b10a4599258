/*
 * Helpers shared by the socket suites: bounded waits for one token's
 * events, loopback TCP pairs and address comparison.  Every wait is
 * bounded (NT_WAIT_MS) so that a lost event fails instead of hanging.
 */
#ifndef NETTEST_H
#define NETTEST_H

#include <fcntl.h>
#include <stdio.h>

#include "testutil.h"

/* What I/O on a value that is no socket gives: Windows says WSAENOTSOCK
 * (libmio(3), WINDOWS, the error table). */
#ifdef _WIN32
#define NOT_A_SOCKET	(-ENOTSOCK)
#else
#define NOT_A_SOCKET	(-EBADF)
/* Linux is no wine. */
#define tu_under_wine()	0
#endif

#define NT_WAIT_MS	5000	/* for events that must come */
#define NT_QUIET_MS	100	/* for events that must not */

/*
 * 1 when the socket's pending error is gone once its event came: on the
 * kqueue backend over libkqueue (Linux), whose copy-out reads SO_ERROR
 * to fill the event's fflags, and reading it clears it.  A BSD kernel
 * leaves it for the caller, as epoll and poll(2) do: there the error is
 * still to be taken (mio_take_error) or read (-ECONNRESET ...).
 */
static inline int
nt_error_taken_by_event(void)
{
#ifdef MIO__KQUEUE_EMULATED
	const char *b = getenv("MIO_BACKEND");

	return b != NULL && strcmp(b, "kqueue") == 0;
#else
	return 0;
#endif
}

/*
 * Waits until the events for `token` add up to all of `want` (or any
 * event at all if want is 0), for at most ms; returns the union of that
 * token's flags seen (0 if none).  Events for other tokens fail the test.
 */
static inline uint32_t
nt_wait(struct mio_poll *p, mio_token token, uint32_t want, int ms)
{
	struct mio_event ev[16];
	int64_t end = test_now_ms() + ms;
	uint32_t got = 0;
	int i, n, left;

	for (;;) {
		left = (int)(end - test_now_ms());
		if (left < 0)
			left = 0;
		n = mio_poll_wait(p, ev, 16, left);
		ck_assert_msg(n >= 0, "mio_poll_wait: %s", mio_strerror(n));
		for (i = 0; i < n; i++) {
			ck_assert_msg(ev[i].token == token,
			    "event for token %lu, want %lu",
			    (unsigned long)ev[i].token, (unsigned long)token);
			got |= ev[i].flags;
		}
		if (want == 0 ? got != 0 : (got & want) == want)
			return got;
		if (left == 0)
			return got;
	}
}

/* Asserts that no event at all comes within ms. */
static inline void
nt_quiet(struct mio_poll *p, int ms)
{
	struct mio_event ev[4];
	int n = mio_poll_wait(p, ev, 4, ms);

	ck_assert_msg(n == 0, "%d unexpected event(s), token %lu flags %#x",
	    n, n > 0 ? (unsigned long)ev[0].token : 0ul,
	    n > 0 ? (unsigned)ev[0].flags : 0u);
}

static inline struct mio_addr
nt_addr(const char *text)
{
	struct mio_addr a;
	int rc = mio_addr_parse(&a, text);

	ck_assert_msg(rc == 0, "parse %s: %s", text, mio_strerror(rc));
	return a;
}

/* The text form of s's local (peer = 0) or peer (peer = 1) address. */
static inline const char *
nt_name(mio_sock s, int peer, char buf[MIO_ADDR_STRLEN])
{
	struct mio_addr a;
	int rc;

	rc = peer ? mio_peer_addr(s, &a) : mio_local_addr(s, &a);
	ck_assert_msg(rc == 0, "address of %d: %s", (int)s, mio_strerror(rc));
	rc = mio_addr_format(&a, buf, MIO_ADDR_STRLEN);
	ck_assert_msg(rc > 0, "format: %d", rc);
	return buf;
}

static inline const char *
nt_fmt(const struct mio_addr *a, char buf[MIO_ADDR_STRLEN])
{
	int rc = mio_addr_format(a, buf, MIO_ADDR_STRLEN);

	ck_assert_msg(rc > 0, "format: %d", rc);
	return buf;
}

/* A TCP listener on host:0 (an ephemeral port); *where gets its address. */
static inline mio_sock
nt_listen(const char *text, struct mio_addr *where)
{
	struct mio_addr a = nt_addr(text);
	int l = mio_tcp_listen(&a, 0);

	ck_assert_msg(l >= 0, "listen %s: %s", text, mio_strerror(l));
	ck_assert_int_eq(mio_local_addr(l, where), 0);
	return l;
}

/* Accepts one connection, retrying -EAGAIN for up to NT_WAIT_MS. */
static inline mio_sock
nt_accept(mio_sock l, struct mio_addr *peer)
{
	int64_t end = test_now_ms() + NT_WAIT_MS;
	int s;

	while ((s = mio_tcp_accept(l, peer)) == -EAGAIN &&
	    test_now_ms() < end)
		test_sleep_ms(1);
	ck_assert_msg(s >= 0, "accept: %s", mio_strerror(s));
	return s;
}

/* A connected loopback TCP pair: c connected, s accepted. */
static inline void
nt_tcp_pair(const char *host, mio_sock *c, mio_sock *s)
{
	struct mio_addr a;
	mio_sock l = nt_listen(host, &a);
	int rc = mio_tcp_connect(&a);

	ck_assert_msg(rc >= 0, "connect: %s", mio_strerror(rc));
	*c = (mio_sock)rc;
	*s = nt_accept(l, NULL);
	ck_assert_int_eq(mio_close(l), 0);
}

/* Writes all of buf to s, which must take it at once. */
static inline void
nt_put(mio_sock s, const void *buf, size_t len)
{
	ck_assert_int_eq(mio_write(s, buf, len), (ssize_t)len);
}

/* Reads exactly len bytes, retrying -EAGAIN for up to NT_WAIT_MS. */
static inline void
nt_get(mio_sock s, void *buf, size_t len)
{
	int64_t end = test_now_ms() + NT_WAIT_MS;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = mio_read(s, (char *)buf + got, len - got);
		if (n == -EAGAIN && test_now_ms() < end) {
			test_sleep_ms(1);
			continue;
		}
		ck_assert_msg(n > 0, "read: %d (%s)", (int)n,
		    mio_strerror((int)n));
		got += (size_t)n;
	}
}

/* O_NONBLOCK and FD_CLOEXEC are set on s. */
static inline void
nt_assert_flags(mio_sock s)
{
#ifdef _WIN32
	/* Windows' close-on-exec: not inherited.  (FIONBIO cannot be read
	 * back; the suites' -EAGAIN results show it.) */
	DWORD f = 0;

	ck_assert(GetHandleInformation((HANDLE)s, &f));
	ck_assert_int_eq(f & HANDLE_FLAG_INHERIT, 0);
#else
	ck_assert_int_ne(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(s, F_GETFD) & FD_CLOEXEC, 0);
#endif
}

#endif /* NETTEST_H */
