/*
 * Helpers of the Windows suites: a poll, connected loopback TCP pairs
 * made through libmio (Windows has no socketpair(2) or pollable pipes),
 * a clock.  Loopback only, ephemeral ports.
 */
#ifndef MIO_TESTS_WINTEST_H
#define MIO_TESTS_WINTEST_H

#include <stdlib.h>

#include "mio.h"
#include "check.h"
#include "../lib/tu_io.h"

#include <windows.h>

#define TU_TIMEOUT_MS	5000

/* A family libmio does not know, for the portable address suite (Linux's
 * AF_PACKET has no Windows counterpart). */
#ifndef AF_PACKET
#define AF_PACKET	17
#endif

static inline struct mio_poll *
tu_poll(void)
{
	struct mio_poll *p = NULL;
	int rc = mio_poll_new(&p);

	ck_assert_msg(rc == 0, "mio_poll_new: %d", rc);
	ck_assert_str_eq(mio_poll_backend(p), "iocp");
	return p;
}

static inline long long
tu_now_ms(void)
{
	return (long long)GetTickCount64();
}

/* 1 under wine (ntdll exports wine_get_version), 0 on Windows. */
static inline int
tu_under_wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") != NULL;
}

/* tests/common.h's clock and sleep, for the shared suites. */
static inline int64_t
test_now_ms(void)
{
	return (int64_t)GetTickCount64();
}

static inline void
test_sleep_ms(int ms)
{
	Sleep((DWORD)ms);
}

static inline int
tu_wait(struct mio_poll *p, struct mio_event *ev, size_t cap, int ms)
{
	int n = mio_poll_wait(p, ev, cap, ms);

	ck_assert_msg(n >= 0, "mio_poll_wait: %d", n);
	return n;
}

/* A listener on 127.0.0.1 (or ::1), port chosen by the system. */
static inline mio_sock
tu_listener(const char *where, struct mio_addr *bound)
{
	struct mio_addr a;
	int s;

	ck_assert_int_eq(mio_addr_parse(&a, where), 0);
	s = mio_tcp_listen(&a, 16);
	ck_assert_msg(s >= 0, "mio_tcp_listen: %d", s);
	ck_assert_int_eq(mio_local_addr((mio_sock)s, bound), 0);
	return (mio_sock)s;
}

/* Accepts within the timeout (a poll of its own waits for it). */
static inline mio_sock
tu_accept(mio_sock l)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	long long end = tu_now_ms() + TU_TIMEOUT_MS;
	int s;

	ck_assert_int_eq(mio_register(p, l, 99, MIO_READABLE), 0);
	while ((s = mio_tcp_accept(l, NULL)) == -EAGAIN) {
		ck_assert_msg(tu_now_ms() < end, "no connection came");
		(void)tu_wait(p, ev, 4, 200);
	}
	ck_assert_msg(s >= 0, "mio_tcp_accept: %d", s);
	ck_assert_int_eq(mio_deregister(p, l), 0);
	mio_poll_free(p);
	return (mio_sock)s;
}

/* A connected pair: out[0] the client, out[1] the accepted end. */
static inline void
tu_tcp_pair(mio_sock out[2])
{
	struct mio_addr a;
	mio_sock l = tu_listener("127.0.0.1:0", &a);
	int c = mio_tcp_connect(&a);

	ck_assert_msg(c >= 0, "mio_tcp_connect: %d", c);
	out[0] = (mio_sock)c;
	out[1] = tu_accept(l);
	ck_assert_int_eq(mio_close(l), 0);
}

static inline void
tu_close_pair(mio_sock s[2])
{
	ck_assert_int_eq(mio_close(s[0]), 0);
	ck_assert_int_eq(mio_close(s[1]), 0);
}

static inline void
tu_put(mio_sock s, const char *text)
{
	size_t len = strlen(text);

	ck_assert_int_eq(mio_write(s, text, len), (ssize_t)len);
}

/* Waits for one event of `token` carrying all of `flags`. */
static inline uint32_t
tu_expect(struct mio_poll *p, mio_token token, uint32_t flags)
{
	struct mio_event ev[8];
	long long end = tu_now_ms() + TU_TIMEOUT_MS;
	int n, i;

	while (tu_now_ms() < end) {
		n = tu_wait(p, ev, 8, 500);
		for (i = 0; i < n; i++)
			if (ev[i].token == token &&
			    (ev[i].flags & flags) == flags)
				return ev[i].flags;
	}
	ck_fail_at("no event 0x%x for token %u", (unsigned)flags,
	    (unsigned)token);
	return 0;
}

/* Asserts that no event comes for `token` within ms. */
static inline void
tu_quiet(struct mio_poll *p, mio_token token, int ms)
{
	struct mio_event ev[8];
	int n, i;

	n = tu_wait(p, ev, 8, ms);
	for (i = 0; i < n; i++)
		ck_assert_msg(ev[i].token != token,
		    "unexpected event 0x%x for token %u",
		    (unsigned)ev[i].flags, (unsigned)token);
}

#endif /* MIO_TESTS_WINTEST_H */
