/*
 * The selector's contract (API.md, "Selector" and "Waker"), run once per
 * backend.  Descriptors are pipes, socketpairs and eventfds; draining
 * goes through mio_read so that the poll(2) backend re-arms.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "testutil.h"

#define TIMEOUT_MS 5000

/* Waits up to `ms` and returns the number of events; fails on error. */
static int
wait_n(struct mio_poll *p, struct mio_event *ev, size_t cap, int ms)
{
	int n = mio_poll_wait(p, ev, cap, ms);

	ck_assert_msg(n >= 0, "mio_poll_wait: %s", mio_strerror(n));
	return n;
}

static void
put(mio_sock s, const char *text)
{
	size_t len = strlen(text);

	ck_assert_int_eq(mio_write(s, text, len), (ssize_t)len);
}

START_TEST(test_backend_name)
{
	struct mio_poll *p = tu_poll();
	const char *name = mio_poll_backend(p);

	ck_assert(strcmp(name, "epoll") == 0 || strcmp(name, "poll") == 0 ||
	    strcmp(name, "kqueue") == 0);
	mio_poll_free(p);
	mio_poll_free(NULL);
}
END_TEST

START_TEST(test_backend_unknown)
{
	struct mio_poll *p = (struct mio_poll *)&p;

	setenv("MIO_BACKEND", "no-such-backend", 1);
	ck_assert_int_eq(mio_poll_new(&p), -ENOTSUP);
	ck_assert_ptr_null(p);
	setenv("MIO_BACKEND", "", 1);
	ck_assert_int_eq(mio_poll_new(&p), 0);	/* empty: the default */
	/* The first of the preference order that this build has. */
#ifdef HAVE_EPOLL_CREATE1
	ck_assert_str_eq(mio_poll_backend(p), "epoll");
#else
	ck_assert_str_eq(mio_poll_backend(p), "poll");
#endif
	mio_poll_free(p);
	ck_assert_int_eq(mio_poll_new(NULL), -EINVAL);
}
END_TEST

START_TEST(test_timeout_zero)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	int64_t t0 = test_now_ms();

	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);
	ck_assert_int_lt(test_now_ms() - t0, 500);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_timeout_short)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];
	int64_t t0;

	/* A registered but idle descriptor must not end the wait early. */
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	t0 = test_now_ms();
	ck_assert_int_eq(wait_n(p, ev, 4, 60), 0);
	ck_assert_int_ge(test_now_ms() - t0, 60);
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_capacity_zero)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[1];

	ck_assert_int_eq(mio_poll_wait(p, ev, 0, 0), -EINVAL);
	mio_poll_free(p);
}
END_TEST

/*
 * A capacity beyond what the system takes in one call is no error (only
 * 0 is): the wait asks for what it can.  The array is address space
 * only (MAP_NORESERVE), larger than any one call's reach, so that tools
 * that check the whole range the kernel may write (valgrind) agree.
 */
START_TEST(test_capacity_huge)
{
	struct mio_poll *p = tu_poll();
	size_t len = ((size_t)INT_MAX / 12 + 1) * sizeof(struct mio_event);
	struct mio_event *ev = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fds[2];

	ck_assert(ev != MAP_FAILED);
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[1], 7, MIO_WRITABLE), 0);
	ck_assert_int_eq(mio_poll_wait(p, ev, SIZE_MAX, 1000), 1);
	ck_assert_uint_eq(ev[0].token, 7);
	ck_assert_int_eq(mio_poll_wait(p, ev, (size_t)INT_MAX + 1, 0), 0);
	mio_close(fds[0]);
	mio_close(fds[1]);
	munmap(ev, len);
	mio_poll_free(p);
}
END_TEST

struct waker_thread {
	struct mio_waker	*w;
	int			 delay_ms;
};

static void *
wake_later(void *arg)
{
	struct waker_thread *wt = arg;

	test_sleep_ms(wt->delay_ms);
	ck_assert_int_eq(mio_waker_wake(wt->w), 0);
	return NULL;
}

START_TEST(test_infinite_wait_woken)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct waker_thread wt = { NULL, 80 };
	pthread_t t;
	int64_t t0;

	ck_assert_int_eq(mio_waker_new(p, 42, &wt.w), 0);
	t0 = test_now_ms();
	ck_assert_int_eq(pthread_create(&t, NULL, wake_later, &wt), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, -1), 1);
	ck_assert_int_ge(test_now_ms() - t0, 70);
	ck_assert_uint_eq(ev[0].token, 42);
	ck_assert_uint_eq(ev[0].flags & MIO_READABLE, MIO_READABLE);
	pthread_join(t, NULL);
	mio_waker_free(wt.w);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_capacity_smaller_than_ready_set)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[2];
	mio_sock fds[5][2];
	int seen[5] = { 0 }, i, n, total = 0, rounds[4];

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(mio_pipe(fds[i]), 0);
		put(fds[i][1], "x");
		ck_assert_int_eq(mio_register(p, fds[i][0], (mio_token)i,
		    MIO_READABLE), 0);
	}
	for (i = 0; i < 4; i++) {
		n = wait_n(p, ev, 2, i < 3 ? TIMEOUT_MS : 0);
		rounds[i] = n;
		while (n-- > 0) {
			ck_assert_uint_lt(ev[n].token, 5);
			seen[ev[n].token]++;
			total++;
		}
	}
	ck_assert_int_eq(rounds[0], 2);
	ck_assert_int_eq(rounds[1], 2);
	ck_assert_int_eq(rounds[2], 1);
	ck_assert_int_eq(rounds[3], 0);
	ck_assert_int_eq(total, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(seen[i], 1);
		mio_close(fds[i][0]);
		mio_close(fds[i][1]);
	}
	mio_poll_free(p);
}
END_TEST

/*
 * A descriptor ready both ways: one event with both flags on epoll and
 * poll(2), and on kqueue too when the wait takes both kernel events
 * (libmio merges them).  With a capacity of 1 kqueue's wait takes one
 * kernel event: one direction comes (a single flag) and the other in the
 * next wait, as mio_poll_wait(3) says.  Nothing is lost or repeated.
 */
START_TEST(test_read_write_merged)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[2];
	mio_sock fds[2];
	int kq = strcmp(mio_poll_backend(p), "kqueue") == 0;
	unsigned both = MIO_READABLE | MIO_WRITABLE, first;

	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, fds), 0);
	put(fds[1], "x");
	ck_assert_int_eq(mio_register(p, fds[0], 7, both), 0);
	ck_assert_int_eq(wait_n(p, ev, 2, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 7);
	ck_assert_uint_eq(ev[0].flags & both, both);
	ck_assert_int_eq(wait_n(p, ev, 2, 50), 0);

	ck_assert_int_eq(mio_reregister(p, fds[0], 7, both), 0);
	ck_assert_int_eq(wait_n(p, ev, 1, TIMEOUT_MS), 1);
	first = ev[0].flags & both;
	ck_assert_uint_ne(first, 0);
	ck_assert_uint_eq(first, kq ? first & ~(first - 1) : both);
	ck_assert_int_eq(wait_n(p, ev, 1, kq ? TIMEOUT_MS : 50), kq);
	if (kq)
		ck_assert_uint_eq(ev[0].flags & both, both & ~first);
	ck_assert_int_eq(wait_n(p, ev, 1, 50), 0);
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_token_round_trip)
{
	static const mio_token tokens[] = { 0, 1, UINTPTR_MAX,
	    UINTPTR_MAX - 1, (mio_token)1 << (sizeof(mio_token) * 8 - 1) };
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];
	size_t i;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		ck_assert_int_eq(mio_pipe(fds), 0);
		put(fds[1], "t");
		ck_assert_int_eq(mio_register(p, fds[0], tokens[i],
		    MIO_READABLE), 0);
		ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
		ck_assert_uint_eq(ev[0].token, tokens[i]);
		ck_assert_int_eq(mio_deregister(p, fds[0]), 0);
		mio_close(fds[0]);
		mio_close(fds[1]);
	}
	mio_poll_free(p);
}
END_TEST

START_TEST(test_registration_errors)
{
	struct mio_poll *p = tu_poll();
	mio_sock fds[2];

	ck_assert_int_eq(mio_pipe(fds), 0);
	/* Interest: empty, event-only bits, unknown bits. */
	ck_assert_int_eq(mio_register(p, fds[0], 1, 0), -EINVAL);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_ERROR), -EINVAL);
	ck_assert_int_eq(mio_register(p, fds[0], 1,
	    MIO_READABLE | MIO_READ_CLOSED), -EINVAL);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_WRITE_CLOSED),
	    -EINVAL);
	ck_assert_int_eq(mio_register(p, fds[0], 1, 0x100), -EINVAL);
	ck_assert_int_eq(mio_register(p, fds[0], 1, 0x80000000u), -EINVAL);
	/* Interests Linux backends cannot watch. */
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_AIO), -ENOTSUP);
	ck_assert_int_eq(mio_register(p, fds[0], 1,
	    MIO_READABLE | MIO_LIO), -ENOTSUP);
	/* Unknown handle. */
	ck_assert_int_eq(mio_reregister(p, fds[0], 1, MIO_READABLE), -ENOENT);
	ck_assert_int_eq(mio_deregister(p, fds[0]), -ENOENT);
	/* Lifecycle, with the double registration refused. */
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 2, MIO_READABLE), -EEXIST);
	ck_assert_int_eq(mio_reregister(p, fds[0], 1, 0), -EINVAL);
	ck_assert_int_eq(mio_reregister(p, fds[0], 1, MIO_AIO), -ENOTSUP);
	/* kqueue has no priority filter for sockets, as mio says. */
	ck_assert_int_eq(mio_reregister(p, fds[0], 3,
	    MIO_READABLE | MIO_PRIORITY),
	    strcmp(mio_poll_backend(p), "kqueue") == 0 ? -ENOTSUP : 0);
	ck_assert_int_eq(mio_deregister(p, fds[0]), 0);
	ck_assert_int_eq(mio_deregister(p, fds[0]), -ENOENT);
	ck_assert_int_eq(mio_reregister(p, fds[0], 1, MIO_READABLE), -ENOENT);
	ck_assert_int_eq(mio_register(p, fds[0], 4, MIO_READABLE), 0);
	ck_assert_int_eq(mio_deregister(p, fds[0]), 0);
	/* Bad descriptors. */
	ck_assert_int_eq(mio_register(p, -1, 1, MIO_READABLE), -EBADF);
	ck_assert_int_eq(mio_deregister(p, -1), -EBADF);
	mio_close(fds[0]);
	mio_close(fds[1]);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), -EBADF);
	/* The same on every backend for a descriptor that is not open. */
	ck_assert_int_eq(mio_deregister(p, fds[0]), -EBADF);
	ck_assert_int_eq(mio_reregister(p, fds[0], 1, MIO_READABLE), -EBADF);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_regular_file_refused)
{
	struct mio_poll *p = tu_poll();
	char path[] = "/tmp/mio-test-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(mio_register(p, fd, 1, MIO_READABLE), -EPERM);
	close(fd);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_reregister_replaces_token_and_interest)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock sp[2];
	int n;

	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sp), 0);
	ck_assert_int_eq(mio_register(p, sp[0], 1, MIO_READABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);	/* idle, not readable */
	ck_assert_int_eq(mio_reregister(p, sp[0], 2, MIO_WRITABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 2);
	ck_assert_uint_eq(ev[0].flags & (MIO_READABLE | MIO_WRITABLE),
	    MIO_WRITABLE);
	/* Data arrives, but readability is no longer watched. */
	put(sp[1], "data");
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* Back to reading, under a third token: the data is reported. */
	ck_assert_int_eq(mio_reregister(p, sp[0], 3, MIO_READABLE), 0);
	n = wait_n(p, ev, 4, TIMEOUT_MS);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 3);
	ck_assert_uint_eq(ev[0].flags & (MIO_READABLE | MIO_WRITABLE),
	    MIO_READABLE);
	mio_close(sp[0]);
	mio_close(sp[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_no_events_after_deregister)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];

	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 9, MIO_READABLE), 0);
	put(fds[1], "ready");
	ck_assert_int_eq(mio_deregister(p, fds[0]), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	put(fds[1], "more");
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_edge_readable)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];
	char c;

	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 5, MIO_READABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);
	put(fds[1], "ab");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 5);
	ck_assert_uint_eq(ev[0].flags & MIO_READABLE, MIO_READABLE);
	/* No repeat without new activity, even though data is left. */
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	ck_assert_int_eq(mio_read(fds[0], &c, 1), 1);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* Drained to -EAGAIN: the next write is a new event. */
	(void)tu_drain(fds[0]);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	put(fds[1], "c");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 5);
	ck_assert_int_eq(mio_read(fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 'c');
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

/*
 * What mio_poll_short_io_drains() promises: on a backend that says 1 a
 * short read ends the drain (new data is a new event without -EAGAIN
 * first); on one that says 0 only -EAGAIN re-arms, so nothing comes.
 */
START_TEST(test_short_io_drains)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock sv[2];
	char buf[8];
	int drains = mio_poll_short_io_drains(p);

	/* Native edges (epoll, kqueue's EV_CLEAR) come for new data. */
	ck_assert_int_eq(drains,
	    strcmp(mio_poll_backend(p), "poll") == 0 ? 0 : 1);
	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sv), 0);
	ck_assert_int_eq(mio_register(p, sv[0], 9, MIO_READABLE), 0);
	put(sv[1], "ab");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	/* Short: 2 of 8 bytes, and no -EAGAIN seen. */
	ck_assert_int_eq(mio_read(sv[0], buf, sizeof(buf)), 2);
	put(sv[1], "c");
	ck_assert_int_eq(wait_n(p, ev, 4, drains ? TIMEOUT_MS : 50), drains);
	if (drains)
		ck_assert_uint_eq(ev[0].token, 9);
	/* Either way, reading to -EAGAIN gets the next edge. */
	(void)tu_drain(sv[0]);
	put(sv[1], "d");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	mio_close(sv[0]);
	mio_close(sv[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_edge_writable)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	char buf[65536];
	mio_sock sp[2];
	ssize_t n;

	memset(buf, 'w', sizeof(buf));
	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sp), 0);
	ck_assert_int_eq(mio_register(p, sp[0], 7, MIO_WRITABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].flags & MIO_WRITABLE, MIO_WRITABLE);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* Fill the socket until it pushes back. */
	while ((n = mio_write(sp[0], buf, sizeof(buf))) > 0)
		;
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* The peer drains: room again is a new writable edge. */
	(void)tu_drain(sp[1]);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 7);
	ck_assert_uint_eq(ev[0].flags & MIO_WRITABLE, MIO_WRITABLE);
	mio_close(sp[0]);
	mio_close(sp[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_reregister_rearms)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];

	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	put(fds[1], "x");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* Still ready: reregistering reports it again, as epoll's MOD does. */
	ck_assert_int_eq(mio_reregister(p, fds[0], 2, MIO_READABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 2);
	mio_close(fds[0]);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_waker_coalesces)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct mio_waker *w;
	int i;

	ck_assert_int_eq(mio_waker_new(p, UINTPTR_MAX, &w), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(mio_waker_wake(w), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, UINTPTR_MAX);
	ck_assert_uint_eq(ev[0].flags, MIO_READABLE);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	/* The caller drains nothing, and the next wake is a new event. */
	ck_assert_int_eq(mio_waker_wake(w), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, UINTPTR_MAX);
	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);
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
	n = wait_n(p, ev, 4, TIMEOUT_MS);
	while (n-- > 0)
		seen |= ev[n].token == 10 ? 1 : ev[n].token == 20 ? 2 : 4;
	if (seen != 3) {
		n = wait_n(p, ev, 4, TIMEOUT_MS);
		while (n-- > 0)
			seen |= ev[n].token == 10 ? 1 :
			    ev[n].token == 20 ? 2 : 4;
	}
	ck_assert_int_eq(seen, 3);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	mio_waker_free(a);
	ck_assert_int_eq(mio_waker_wake(b), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 20);
	mio_waker_free(b);
	mio_poll_free(p);
}
END_TEST

/* Wakes from another thread, many times, while the poll waits. */
static void *
wake_many(void *arg)
{
	struct mio_waker *w = arg;
	int i;

	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(mio_waker_wake(w), 0);
	return NULL;
}

START_TEST(test_waker_cross_thread)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct mio_waker *w;
	pthread_t t;
	int n, events = 0;

	ck_assert_int_eq(mio_waker_new(p, 3, &w), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, wake_many, w), 0);
	pthread_join(t, NULL);
	/* 2000 wakes, all before this wait: at least one event, all ours. */
	while ((n = wait_n(p, ev, 4, events == 0 ? TIMEOUT_MS : 50)) > 0) {
		while (n-- > 0) {
			ck_assert_uint_eq(ev[n].token, 3);
			events++;
		}
	}
	ck_assert_int_eq(events, 1);
	mio_waker_free(w);
	mio_poll_free(p);
}
END_TEST

static volatile sig_atomic_t wake_from_handler_done;
static struct mio_waker *handler_waker;

static void
on_sigusr2(int sig)
{
	(void)sig;
	(void)mio_waker_wake(handler_waker);
	wake_from_handler_done = 1;
}

START_TEST(test_waker_from_signal_handler)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct sigaction sa;
	int n;

	ck_assert_int_eq(mio_waker_new(p, 11, &handler_waker), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr2;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	raise(SIGUSR2);
	ck_assert_int_eq(wake_from_handler_done, 1);
	n = wait_n(p, ev, 4, TIMEOUT_MS);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ev[0].token, 11);
	mio_waker_free(handler_waker);
	mio_poll_free(p);
}
END_TEST

static void
on_sigusr1(int sig)
{
	(void)sig;
}

static void *
signal_later(void *arg)
{
	test_sleep_ms(80);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

START_TEST(test_wait_returns_eintr)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	struct sigaction sa;
	pthread_t self = pthread_self(), t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;	/* epoll_wait/poll ignore it: EINTR */
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &self), 0);
	ck_assert_int_eq(mio_poll_wait(p, ev, 4, TIMEOUT_MS), -EINTR);
	pthread_join(t, NULL);
	mio_poll_free(p);
}
END_TEST

struct late_register {
	struct mio_poll	*p;
	mio_sock	 fds[2];
};

static void *
register_later(void *arg)
{
	struct late_register *lr = arg;

	test_sleep_ms(80);
	ck_assert_int_eq(mio_pipe(lr->fds), 0);
	put(lr->fds[1], "late");
	ck_assert_int_eq(mio_register(lr->p, lr->fds[0], 77, MIO_READABLE),
	    0);
	return NULL;
}

START_TEST(test_register_during_wait)
{
	struct late_register lr;
	struct mio_event ev[4];
	pthread_t t;

	lr.p = tu_poll();
	ck_assert_int_eq(pthread_create(&t, NULL, register_later, &lr), 0);
	/* Nothing registered yet: only the other thread can end this. */
	ck_assert_int_eq(wait_n(lr.p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 77);
	pthread_join(t, NULL);
	mio_close(lr.fds[0]);
	mio_close(lr.fds[1]);
	mio_poll_free(lr.p);
}
END_TEST

/* Many registrations racing with a waiting thread, then all drained. */
#define RACE_N 200

struct race {
	struct mio_poll	*p;
	int		 efd[RACE_N];
};

static void *
register_many(void *arg)
{
	struct race *r = arg;
	uint64_t one = 1;
	int i;

	for (i = 0; i < RACE_N; i++) {
		ck_assert_int_eq(write(r->efd[i], &one, 8), 8);
		ck_assert_int_eq(mio_register(r->p, r->efd[i], (mio_token)i,
		    MIO_READABLE), 0);
		/* Every third one leaves again: it must not be reported. */
		if (i % 3 == 2)
			ck_assert_int_eq(mio_deregister(r->p, r->efd[i]), 0);
	}
	return NULL;
}

START_TEST(test_register_race_with_wait)
{
	static struct race r;
	struct mio_event ev[16];
	int seen[RACE_N] = { 0 }, i, n, got = 0, want = 0;
	pthread_t t;

	r.p = tu_poll();
	for (i = 0; i < RACE_N; i++) {
		r.efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ck_assert_int_ge(r.efd[i], 0);
		want += i % 3 != 2;
	}
	ck_assert_int_eq(pthread_create(&t, NULL, register_many, &r), 0);
	/*
	 * One that leaves may still be seen before its deregister returns;
	 * the others must each be seen once.
	 */
	while (got < want) {
		n = wait_n(r.p, ev, 16, TIMEOUT_MS);
		ck_assert_msg(n > 0, "%d of %d seen", got, want);
		while (n-- > 0) {
			ck_assert_uint_lt(ev[n].token, RACE_N);
			seen[ev[n].token]++;
			got += ev[n].token % 3 != 2;
		}
	}
	pthread_join(t, NULL);
	/* Every deregister has returned: nothing more may come. */
	ck_assert_int_eq(wait_n(r.p, ev, 16, 50), 0);
	for (i = 0; i < RACE_N; i++) {
		if (i % 3 != 2)
			ck_assert_int_eq(seen[i], 1);
		else
			ck_assert_int_le(seen[i], 1);
		mio_close(r.efd[i]);
	}
	mio_poll_free(r.p);
}
END_TEST

START_TEST(test_thousand_registrations)
{
	enum { N = 1000 };
	struct mio_poll *p;
	struct mio_event ev[64];
	static int efd[N];
	static unsigned char seen[N];
	uint64_t one = 1;
	unsigned interest = MIO_READABLE | MIO_WRITABLE;
	int i, n, total = 0;

	/* Twice: libkqueue's write filters sit on twins (kqueue_emul.c). */
	tu_nofile(2 * N + 64);
	p = tu_poll();
	for (i = 0; i < N; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ck_assert_int_ge(efd[i], 0);
		ck_assert_int_eq(write(efd[i], &one, 8), 8);
		ck_assert_int_eq(mio_register(p, efd[i], (mio_token)i + 1000,
		    interest), 0);
	}
	while ((n = wait_n(p, ev, 64, total < N ? TIMEOUT_MS : 50)) > 0) {
		while (n-- > 0) {
			ck_assert_uint_ge(ev[n].token, 1000);
			ck_assert_uint_lt(ev[n].token, 1000 + N);
			ck_assert_uint_eq(ev[n].flags &
			    (MIO_READABLE | MIO_WRITABLE), interest);
			seen[ev[n].token - 1000]++;
			total++;
		}
	}
	ck_assert_int_eq(total, N);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(seen[i], 1);
		ck_assert_int_eq(mio_deregister(p, efd[i]), 0);
		ck_assert_int_eq(mio_close(efd[i]), 0);
	}
	mio_poll_free(p);
}
END_TEST

START_TEST(test_closed_descriptor_no_crash)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2], again[2];
	int rc;

	/* Closed behind the library's back, with data pending. */
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	put(fds[1], "x");
	close(fds[0]);
	rc = mio_poll_wait(p, ev, 4, 50);
	ck_assert_int_ge(rc, 0);
	while (rc-- > 0)
		ck_assert_uint_eq(ev[rc].token, 1);
	rc = mio_deregister(p, fds[0]);
	ck_assert(rc == 0 || rc == -EBADF || rc == -ENOENT);
	rc = mio_poll_wait(p, ev, 4, 0);
	ck_assert_int_ge(rc, 0);
	close(fds[1]);

	/* Closed through mio_close: the number is free to register again. */
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_close(fds[0]), 0);
	ck_assert_int_eq(mio_pipe(again), 0);
	ck_assert_int_eq(again[0], fds[0]);	/* lowest number reused */
	ck_assert_int_eq(mio_register(p, again[0], 3, MIO_READABLE), 0);
	put(again[1], "y");
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].token, 3);
	ck_assert_int_eq(mio_close(again[0]), 0);
	ck_assert_int_eq(mio_close(again[1]), 0);
	ck_assert_int_eq(mio_close(fds[1]), 0);
	ck_assert_int_eq(mio_close(-1), -EBADF);
	ck_assert_int_eq(wait_n(p, ev, 4, 0), 0);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_pipe_writer_closed)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];
	char c;

	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_close(fds[1]), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	/*
	 * epoll and poll(2): a pipe whose writer closed is read-closed, not
	 * readable.  kqueue: its read filter fires with EV_EOF, which is
	 * readable too (a read returns 0 at once), as mio reports it.
	 */
	ck_assert_uint_eq(ev[0].flags & MIO_READ_CLOSED, MIO_READ_CLOSED);
	ck_assert_uint_eq(ev[0].flags & MIO_READABLE,
	    strcmp(mio_poll_backend(p), "kqueue") == 0 ? MIO_READABLE : 0);
	ck_assert_int_eq(mio_read(fds[0], &c, 1), 0);
	/* Reported once: the hang-up does not spin. */
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	mio_close(fds[0]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_pipe_reader_closed)
{
	struct mio_poll *p = tu_poll();
	struct mio_event ev[4];
	mio_sock fds[2];
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	ck_assert_int_eq(sigaction(SIGPIPE, &sa, &old), 0);
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[1], 1, MIO_WRITABLE), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].flags & MIO_WRITABLE, MIO_WRITABLE);
	ck_assert_int_eq(mio_close(fds[0]), 0);
	ck_assert_int_eq(wait_n(p, ev, 4, TIMEOUT_MS), 1);
	ck_assert_uint_eq(ev[0].flags & (MIO_ERROR | MIO_WRITE_CLOSED),
	    MIO_ERROR | MIO_WRITE_CLOSED);
	ck_assert_int_eq(mio_write(fds[1], "x", 1), -EPIPE);
	ck_assert_int_eq(wait_n(p, ev, 4, 50), 0);
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_socket_write_no_sigpipe)
{
	mio_sock sp[2];

	/* SIGPIPE keeps its default action: a signal would kill the test. */
	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sp), 0);
	ck_assert_int_eq(mio_close(sp[1]), 0);
	ck_assert_int_eq(mio_write(sp[0], "x", 1), -EPIPE);
	ck_assert_int_eq(mio_close(sp[0]), 0);
	ck_assert_int_eq(mio_unix_pair(12345, sp), -EINVAL);
}
END_TEST

START_TEST(test_version_and_strerror)
{
	char want[16];

	snprintf(want, sizeof(want), "%d.%d.%d", MIO_VERSION_MAJOR,
	    MIO_VERSION_MINOR, MIO_VERSION_PATCH);
	ck_assert_str_eq(mio_version(), want);
	ck_assert_str_eq(mio_strerror(-EAGAIN), strerror(EAGAIN));
	ck_assert_str_eq(mio_strerror(-ECONNREFUSED), strerror(ECONNREFUSED));
	ck_assert_str_eq(mio_strerror(0), "Success");
	ck_assert_ptr_nonnull(mio_strerror(-100000));
}
END_TEST

static Suite *
selector_suite(void)
{
	Suite *s = suite_create("selector");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_backend_name);
	tcase_add_test(tc, test_backend_unknown);
	tcase_add_test(tc, test_timeout_zero);
	tcase_add_test(tc, test_timeout_short);
	tcase_add_test(tc, test_capacity_zero);
	tcase_add_test(tc, test_capacity_huge);
	tcase_add_test(tc, test_infinite_wait_woken);
	tcase_add_test(tc, test_capacity_smaller_than_ready_set);
	tcase_add_test(tc, test_read_write_merged);
	tcase_add_test(tc, test_token_round_trip);
	tcase_add_test(tc, test_registration_errors);
	tcase_add_test(tc, test_regular_file_refused);
	tcase_add_test(tc, test_reregister_replaces_token_and_interest);
	tcase_add_test(tc, test_no_events_after_deregister);
	tcase_add_test(tc, test_edge_readable);
	tcase_add_test(tc, test_short_io_drains);
	tcase_add_test(tc, test_edge_writable);
	tcase_add_test(tc, test_reregister_rearms);
	tcase_add_test(tc, test_waker_coalesces);
	tcase_add_test(tc, test_several_wakers);
	tcase_add_test(tc, test_waker_cross_thread);
	tcase_add_test(tc, test_waker_from_signal_handler);
	tcase_add_test(tc, test_wait_returns_eintr);
	tcase_add_test(tc, test_register_during_wait);
	tcase_add_test(tc, test_register_race_with_wait);
	tcase_add_test(tc, test_thousand_registrations);
	tcase_add_test(tc, test_closed_descriptor_no_crash);
	tcase_add_test(tc, test_pipe_writer_closed);
	tcase_add_test(tc, test_pipe_reader_closed);
	tcase_add_test(tc, test_socket_write_no_sigpipe);
	tcase_add_test(tc, test_version_and_strerror);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(selector_suite());
}
