/*
 * The completion extension (mio_ring.h), once per backend: completions
 * reach the caller through the same mio_poll_wait() loop as readiness.
 * The prototype's floor at the library's level: 100 MB echoed through a
 * multishot receive and sends with checksums both ways, half-close,
 * resets, an empty buffer group, cancel, a ring freed with its accept
 * armed (the listener must be gone with it), and bad arguments.  Where
 * the kernel, the build or a seccomp profile gives no io_uring, each
 * test checks that every call says -ENOTSUP and says why it skipped.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/wait.h>

#include "../deny_uring.h"
#endif

#include "mio_ring.h"
#include "nettest.h"

#define RING_TOKEN 1000
#define CAP 64

struct fixture {
	struct mio_poll *p;
	struct mio_ring *r;
};

/* A poll and a ring on it, or 0 when this system has no ring. */
static int
ring_up(struct fixture *f)
{
	int rc;

	f->p = tu_poll();
	rc = mio_ring_new(f->p, RING_TOKEN, 64, &f->r);
	if (rc == -ENOTSUP) {
		ck_assert_ptr_null(f->r);
		fprintf(stderr, "# skipped: no io_uring here (-ENOTSUP)\n");
		mio_poll_free(f->p);
		return 0;
	}
	ck_assert_msg(rc == 0, "mio_ring_new: %s", mio_strerror(rc));
	return 1;
}

static void
ring_down(struct fixture *f)
{
	mio_ring_free(f->r);
	mio_poll_free(f->p);
}

/*
 * Submits, then waits through mio_poll_wait() until a record for
 * `token` comes (records for other tokens
 * are held for later calls); fails after NT_WAIT_MS.
 */
static struct mio_ring_completion
ring_next(struct fixture *f, mio_token token)
{
	static struct mio_ring_completion held[4 * CAP];
	static size_t nheld;
	struct mio_ring_completion c[CAP], got;
	struct mio_event ev[8];
	int64_t end = test_now_ms() + NT_WAIT_MS;
	size_t i;
	int n, k;

	for (;;) {
		for (i = 0; i < nheld; i++)
			if (held[i].token == token) {
				got = held[i];
				memmove(&held[i], &held[i + 1],
				    (nheld - i - 1) * sizeof(held[0]));
				nheld--;
				return got;
			}
		ck_assert_int_ge(mio_ring_submit(f->r), 0);
		n = mio_poll_wait(f->p, ev, 8, 100);
		ck_assert_int_ge(n == -EINTR ? 0 : n, 0);
		for (k = 0; k < n; k++)
			ck_assert_uint_eq(ev[k].token, RING_TOKEN);
		ck_assert_msg(test_now_ms() < end, "no record for token %lu",
		    (unsigned long)token);
		/* Only the poll's event says records may be there: the
		 * contract under test. */
		if (n <= 0)
			continue;
		do {
			n = mio_ring_complete(f->r, c, CAP);
			ck_assert_int_ge(n, 0);
			for (k = 0; k < n; k++) {
				ck_assert_uint_lt(nheld, 4 * CAP);
				held[nheld++] = c[k];
			}
		} while (n == CAP);
	}
}

#ifdef __linux__
/*
 * Under a seccomp profile that refuses io_uring_setup(2) (Docker's
 * default does), mio_ring_new() says -ENOTSUP and leaves nothing
 * behind.  In a child: the filter cannot be taken off.
 */
START_TEST(test_refused_by_seccomp)
{
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mio_poll *p = NULL;
		struct mio_ring *r = (struct mio_ring *)&p;
		int rc;

		if (deny_uring_setup() != 0)
			_exit(77);
		if (mio_poll_new(&p) != 0)
			_exit(2);
		rc = mio_ring_new(p, 1, 8, &r);
		mio_poll_free(p);
		_exit(rc == -ENOTSUP && r == NULL ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "# skipped: no seccomp filters here\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST
#endif

START_TEST(test_unsupported_or_args)
{
	struct fixture f;
	struct mio_ring_completion c;
	struct mio_addr a = nt_addr("127.0.0.1:1");

	ck_assert_int_eq(mio_ring_new(NULL, 1, 0, &f.r), -EINVAL);
	ck_assert_ptr_null(f.r);
	ck_assert_int_lt(mio_ring_submit(NULL), 0);
	mio_ring_free(NULL);
	ck_assert_uint_eq(mio_ring_features(NULL), 0);
	if (!ring_up(&f)) {
		ck_assert_int_lt(mio_ring_send(NULL, 0, "x", 1, 1), 0);
		ck_assert_int_lt(mio_ring_complete(NULL, &c, 1), 0);
		ck_assert_int_lt(mio_ring_connect(NULL, 0, &a, 1), 0);
		return;
	}
	/* Probed live by mio_ring_new(), which fails without them. */
	ck_assert_uint_eq(mio_ring_features(f.r) & (MIO_RING_F_RECV_MULTI |
	    MIO_RING_F_ACCEPT_MULTI | MIO_RING_F_CANCEL_FD),
	    MIO_RING_F_RECV_MULTI | MIO_RING_F_ACCEPT_MULTI |
	    MIO_RING_F_CANCEL_FD);
	{
		struct mio_ring *bad = (struct mio_ring *)&f;

		ck_assert_int_eq(mio_ring_new(f.p, 1, 3, &bad), -EINVAL);
		ck_assert_ptr_null(bad);
	}
	ck_assert_int_eq(mio_ring_send(f.r, -1, "x", 1, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_send(f.r, 0, NULL, 1, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_shutdown(f.r, 0, 7, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_connect(f.r, 0, NULL, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_cancel_token(NULL, 1, 2), -EINVAL);
	/* A receive needs its group made first. */
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, 0, 0, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_recv(f.r, 0, 0, 1), -EINVAL);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, 0, MIO_RING_GROUPS,
	    1), -EINVAL);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 3, 64, 3), -EINVAL);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 0, 4), -EINVAL);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 64, 0), -EINVAL);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 64, 5), -EINVAL);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 64, 4), 0);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 64, 4), -EEXIST);
	ck_assert_ptr_nonnull(mio_ring_buffer(f.r, 0, 3));
	ck_assert_ptr_null(mio_ring_buffer(f.r, 0, 4));
	ck_assert_ptr_null(mio_ring_buffer(f.r, 1, 0));
	ck_assert_int_eq(mio_ring_buffer_return(f.r, 0, 4), -EINVAL);
	ck_assert_int_eq(mio_ring_complete(f.r, &c, 0), -EINVAL);
	ck_assert_int_eq(mio_ring_complete(f.r, &c, 1), 0);
	ring_down(&f);
}
END_TEST

/* Accept two connections through one multishot accept, and a send and
 * a close on the ring; the bytes arrive and the close is seen. */
START_TEST(test_accept_send_close)
{
	struct fixture f;
	struct mio_ring_completion c;
	struct mio_addr a;
	mio_sock l, c1, c2, s1, s2;
	char buf[8];

	if (!ring_up(&f))
		return;
	l = nt_listen("127.0.0.1:0", &a);
	ck_assert_int_eq(mio_ring_accept_multishot(f.r, l, 7), 0);
	ck_assert_int_ge(mio_ring_submit(f.r), 1);
	c1 = mio_tcp_connect(&a);
	c2 = mio_tcp_connect(&a);
	ck_assert_int_ge(c1, 0);
	ck_assert_int_ge(c2, 0);
	c = ring_next(&f, 7);
	ck_assert_int_ge(c.result, 0);
	ck_assert_uint_ne(c.flags & MIO_RING_MORE, 0);
	s1 = c.result;
	nt_assert_flags(s1);
	c = ring_next(&f, 7);
	ck_assert_int_ge(c.result, 0);
	s2 = c.result;

	ck_assert_int_eq(mio_ring_send(f.r, s1, "one", 3, 8), 0);
	ck_assert_int_eq(mio_ring_send(f.r, s2, "two", 3, 9), 0);
	ck_assert_int_eq(ring_next(&f, 8).result, 3);
	ck_assert_int_eq(ring_next(&f, 9).result, 3);
	nt_get(c1, buf, 3);
	nt_get(c2, buf + 3, 3);
	ck_assert_int_eq(memcmp(buf, "onetwo", 6), 0);

	ck_assert_int_eq(mio_ring_close(f.r, s1, 10), 0);
	ck_assert_int_eq(ring_next(&f, 10).result, 0);
	/* The peer sees the end of the stream. */
	{
		int64_t end = test_now_ms() + NT_WAIT_MS;
		ssize_t n;

		while ((n = mio_read(c1, buf, 1)) == -EAGAIN &&
		    test_now_ms() < end)
			test_sleep_ms(1);
		ck_assert_int_eq(n, 0);
	}
	/* Cancel by token: nothing has token 99; the accept (token 7)
	 * stays armed through that. */
	ck_assert_int_eq(mio_ring_cancel_token(f.r, 99, 12), 0);
	ck_assert_int_eq(ring_next(&f, 12).result, 0);
	/* Cancel the armed accept: its last record says so. */
	ck_assert_int_eq(mio_ring_cancel(f.r, l, 11), 0);
	ck_assert_int_eq(ring_next(&f, 11).result, 1);
	c = ring_next(&f, 7);
	ck_assert_int_eq(c.result, -ECANCELED);
	ck_assert_uint_eq(c.flags & MIO_RING_MORE, 0);
	mio_close(s2);
	mio_close(c1);
	mio_close(c2);
	mio_close(l);
	ring_down(&f);
}
END_TEST

/* A ring freed with its accept armed leaves no listener behind: the
 * port can be listened on again at once. */
START_TEST(test_free_releases_listener)
{
	struct fixture f;
	struct mio_addr a;
	mio_sock l, l2;

	if (!ring_up(&f))
		return;
	l = nt_listen("127.0.0.1:0", &a);
	ck_assert_int_eq(mio_ring_accept_multishot(f.r, l, 7), 0);
	ck_assert_int_ge(mio_ring_submit(f.r), 1);
	ring_down(&f);
	ck_assert_int_eq(mio_close(l), 0);
	l2 = mio_tcp_listen(&a, 0);
	ck_assert_msg(l2 >= 0, "listen again: %s", mio_strerror(l2));
	mio_close(l2);
}
END_TEST

/* Receive until the stream ends: half-close (0 then no MORE), and the
 * ring's shutdown reaching the peer. */
START_TEST(test_half_close)
{
	struct fixture f;
	struct mio_ring_completion c;
	mio_sock cl, sv;
	char got[16];
	size_t n = 0;
	ssize_t k;

	if (!ring_up(&f))
		return;
	ck_assert_int_eq(mio_ring_group_new(f.r, 1, 8, 4096, 8), 0);
	nt_tcp_pair("127.0.0.1:0", &cl, &sv);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 1, 5), 0);
	nt_put(cl, "hello", 5);
	ck_assert_int_eq(mio_tcp_shutdown(cl, SHUT_WR), 0);
	for (;;) {
		c = ring_next(&f, 5);
		if (c.result == 0)
			break;
		ck_assert_int_gt(c.result, 0);
		ck_assert_uint_ne(c.flags & MIO_RING_BUFFER, 0);
		memcpy(got + n, mio_ring_buffer(f.r, 1, c.buffer),
		    (size_t)c.result);
		n += (size_t)c.result;
		ck_assert_int_eq(mio_ring_buffer_return(f.r, 1, c.buffer), 0);
	}
	ck_assert_uint_eq(c.flags & MIO_RING_MORE, 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(got, "hello", 5), 0);
	/* The other direction still carries data, then ends. */
	ck_assert_int_eq(mio_ring_send(f.r, sv, "back", 4, 6), 0);
	ck_assert_int_eq(ring_next(&f, 6).result, 4);
	ck_assert_int_eq(mio_ring_shutdown(f.r, sv, SHUT_WR, 7), 0);
	ck_assert_int_eq(ring_next(&f, 7).result, 0);
	nt_get(cl, got, 4);
	ck_assert_int_eq(memcmp(got, "back", 4), 0);
	{
		int64_t end = test_now_ms() + NT_WAIT_MS;

		while ((k = mio_read(cl, got, 1)) == -EAGAIN &&
		    test_now_ms() < end)
			test_sleep_ms(1);
		ck_assert_int_eq(k, 0);
	}
	mio_close(cl);
	mio_close(sv);
	ring_down(&f);
}
END_TEST

/* A reset from the peer ends the receive with -ECONNRESET; a send to a
 * reset peer fails with -EPIPE or -ECONNRESET, never SIGPIPE. */
START_TEST(test_reset)
{
	struct fixture f;
	struct mio_ring_completion c;
	mio_sock cl, sv;

	if (!ring_up(&f))
		return;
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 4, 1024, 4), 0);
	nt_tcp_pair("127.0.0.1:0", &cl, &sv);
	/* An armed receive cancelled by its token, then armed again. */
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 0, 4), 0);
	ck_assert_int_eq(mio_ring_cancel_token(f.r, 4, 3), 0);
	ck_assert_int_eq(ring_next(&f, 3).result, 1);
	ck_assert_int_eq(ring_next(&f, 4).result, -ECANCELED);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 0, 5), 0);
	ck_assert_int_ge(mio_ring_submit(f.r), 1);
	ck_assert_int_eq(mio_tcp_set_linger(cl, 0), 0);
	ck_assert_int_eq(mio_close(cl), 0);
	c = ring_next(&f, 5);
	ck_assert_int_eq(c.result, -ECONNRESET);
	ck_assert_uint_eq(c.flags & MIO_RING_MORE, 0);
	ck_assert_int_eq(mio_ring_send(f.r, sv, "x", 1, 6), 0);
	c = ring_next(&f, 6);
	ck_assert_msg(c.result == -EPIPE || c.result == -ECONNRESET,
	    "send after reset: %d", c.result);
	mio_close(sv);
	ring_down(&f);
}
END_TEST

/* An empty group ends the multishot receive with -ENOBUFS; returning
 * buffers and arming it again delivers the rest intact. */
START_TEST(test_empty_group)
{
	struct fixture f;
	struct mio_ring_completion c;
	mio_sock cl, sv;
	char data[64], got[64];
	unsigned held[2];
	size_t n = 0, i;

	if (!ring_up(&f))
		return;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	ck_assert_int_eq(mio_ring_group_new(f.r, 2, 2, 16, 2), 0);
	nt_tcp_pair("127.0.0.1:0", &cl, &sv);
	nt_put(cl, data, sizeof(data));
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 2, 5), 0);
	for (i = 0; i < 2; i++) {
		c = ring_next(&f, 5);
		ck_assert_int_eq(c.result, 16);
		memcpy(got + n, mio_ring_buffer(f.r, 2, c.buffer), 16);
		n += 16;
		held[i] = c.buffer;
	}
	c = ring_next(&f, 5);
	ck_assert_int_eq(c.result, -ENOBUFS);
	ck_assert_uint_eq(c.flags & MIO_RING_MORE, 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(mio_ring_buffer_return(f.r, 2, held[i]), 0);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 2, 5), 0);
	while (n < sizeof(data)) {
		c = ring_next(&f, 5);
		ck_assert_int_gt(c.result, 0);
		memcpy(got + n, mio_ring_buffer(f.r, 2, c.buffer),
		    (size_t)c.result);
		n += (size_t)c.result;
		ck_assert_int_eq(mio_ring_buffer_return(f.r, 2, c.buffer), 0);
	}
	ck_assert_int_eq(memcmp(got, data, sizeof(data)), 0);
	mio_close(cl);
	ck_assert_int_eq(ring_next(&f, 5).result, 0);
	mio_close(sv);
	ring_down(&f);
}
END_TEST

/* A group lent in part: the kernel fills only what it was given, then
 * a buffer the caller never lent before. */
START_TEST(test_group_lent_in_part)
{
	struct fixture f;
	struct mio_ring_completion c;
	mio_sock cl, sv;
	char got[16];

	if (!ring_up(&f))
		return;
	ck_assert_int_eq(mio_ring_group_new(f.r, 3, 4, 8, 1), 0);
	nt_tcp_pair("127.0.0.1:0", &cl, &sv);
	nt_put(cl, "0123456789abcdef", 16);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 3, 5), 0);
	c = ring_next(&f, 5);
	ck_assert_int_eq(c.result, 8);
	ck_assert_uint_eq(c.buffer, 0);
	memcpy(got, mio_ring_buffer(f.r, 3, 0), 8);
	c = ring_next(&f, 5);
	ck_assert_int_eq(c.result, -ENOBUFS);
	ck_assert_int_eq(mio_ring_buffer_return(f.r, 3, 2), 0);
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 3, 5), 0);
	c = ring_next(&f, 5);
	ck_assert_int_eq(c.result, 8);
	ck_assert_uint_eq(c.buffer, 2);
	memcpy(got + 8, mio_ring_buffer(f.r, 3, 2), 8);
	ck_assert_int_eq(memcmp(got, "0123456789abcdef", 16), 0);
	/* The multishot receive is still armed: end it first. */
	ck_assert_int_eq(mio_ring_cancel_token(f.r, 5, 7), 0);
	ck_assert_int_eq(ring_next(&f, 7).result, 1);
	ck_assert_int_eq(ring_next(&f, 5).result, -ECANCELED);
	/* A single receive: one buffer, one record, no MORE. */
	ck_assert_int_eq(mio_ring_buffer_return(f.r, 3, 0), 0);
	ck_assert_int_eq(mio_ring_buffer_return(f.r, 3, 1), 0);
	nt_put(cl, "0123456789abcdef", 16);
	ck_assert_int_eq(mio_ring_recv(f.r, sv, 3, 6), 0);
	c = ring_next(&f, 6);
	ck_assert_int_eq(c.result, 8);
	ck_assert_uint_eq(c.flags & MIO_RING_MORE, 0);
	ck_assert_uint_ne(c.flags & MIO_RING_BUFFER, 0);
	mio_close(cl);
	mio_close(sv);
	ring_down(&f);
}
END_TEST

/*
 * 100 MB through an echo on the ring: a thread writes a pattern and
 * another reads the echo, each with its own checksum; the ring receives
 * into a group and sends each buffer back, one send in flight.
 */
#define BULK ((size_t)100 << 20)

struct bulk {
	int		fd;
	uint64_t	sum;
	size_t		bytes;
};

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static void *
bulk_writer(void *arg)
{
	struct bulk *b = arg;
	unsigned char chunk[65536];
	size_t i, off, left = BULK;
	ssize_t n;
	uint32_t x = 12345;

	b->sum = 1469598103934665603ull;
	while (left > 0) {
		size_t len = left < sizeof(chunk) ? left : sizeof(chunk);

		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = (unsigned char)(x >> 16);
		}
		b->sum = fnv(b->sum, chunk, len);
		for (off = 0; off < len; off += (size_t)n) {
			n = write(b->fd, chunk + off, len - off);
			if (n <= 0)
				return NULL;
		}
		left -= len;
		b->bytes += len;
	}
	shutdown(b->fd, SHUT_WR);
	return NULL;
}

static void *
bulk_reader(void *arg)
{
	struct bulk *b = arg;
	unsigned char chunk[65536];
	ssize_t n;

	b->sum = 1469598103934665603ull;
	while ((n = read(b->fd, chunk, sizeof(chunk))) > 0) {
		b->sum = fnv(b->sum, chunk, (size_t)n);
		b->bytes += (size_t)n;
	}
	return NULL;
}

START_TEST(test_bulk_echo)
{
	struct fixture f;
	struct mio_ring_completion c;
	struct bulk w = {0}, rd = {0};
	pthread_t tw, tr;
	mio_sock cl, sv;
	/* Records waiting for the send in flight: a FIFO of buffer ids. */
	uint16_t fifo[256], fhead = 0, ftail = 0;
	int32_t flen[256];
	size_t sent_off = 0;
	int sending = 0, eof = 0, armed = 1;

	if (!ring_up(&f))
		return;
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 64, 16384, 64), 0);
	nt_tcp_pair("127.0.0.1:0", &cl, &sv);
	ck_assert_int_eq(mio_set_nonblocking(cl, 0), 0);
	w.fd = rd.fd = cl;
	ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv, 0, 1), 0);
	ck_assert_int_eq(pthread_create(&tw, NULL, bulk_writer, &w), 0);
	ck_assert_int_eq(pthread_create(&tr, NULL, bulk_reader, &rd), 0);

	while (!eof || fhead != ftail || sending) {
		struct mio_ring_completion recs[CAP];
		struct mio_event ev[4];
		int n, k;

		ck_assert_int_ge(mio_ring_submit(f.r), 0);
		n = mio_poll_wait(f.p, ev, 4, NT_WAIT_MS);
		if (n == -EINTR)
			continue;	/* a plain ring's task work */
		ck_assert_int_gt(n, 0);
		do {
			n = mio_ring_complete(f.r, recs, CAP);
			ck_assert_int_ge(n, 0);
			for (k = 0; k < n; k++) {
				c = recs[k];
				if (c.token == 1) {
					if (!(c.flags & MIO_RING_MORE))
						armed = 0;
					if (c.result == -ENOBUFS)
						continue;
					ck_assert_int_ge(c.result, 0);
					if (c.result == 0) {
						eof = 1;
						continue;
					}
					fifo[ftail % 256] = c.buffer;
					flen[ftail % 256] = c.result;
					ftail++;
				} else {
					ck_assert_uint_eq(c.token, 2);
					ck_assert_int_gt(c.result, 0);
					sending = 0;
					sent_off += (size_t)c.result;
					if (sent_off ==
					    (size_t)flen[fhead % 256]) {
						mio_ring_buffer_return(f.r, 0,
						    fifo[fhead % 256]);
						fhead++;
						sent_off = 0;
					}
				}
			}
		} while (n == CAP);
		if (!armed && !eof) {
			/* Stopped for want of buffers: arm again once some
			 * came back. */
			if ((uint16_t)(ftail - fhead) < 32) {
				ck_assert_int_eq(mio_ring_recv_multishot(f.r,
				    sv, 0, 1), 0);
				armed = 1;
			}
		}
		if (!sending && fhead != ftail) {
			unsigned char *b = mio_ring_buffer(f.r, 0,
			    fifo[fhead % 256]);

			ck_assert_int_eq(mio_ring_send(f.r, sv, b + sent_off,
			    (size_t)flen[fhead % 256] - sent_off, 2), 0);
			sending = 1;
		}
	}
	ck_assert_int_eq(mio_tcp_shutdown(sv, SHUT_WR), 0);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	ck_assert_uint_eq(w.bytes, BULK);
	ck_assert_uint_eq(rd.bytes, BULK);
	ck_assert_msg(w.sum == rd.sum, "checksums differ");
	mio_close(cl);
	mio_close(sv);
	ring_down(&f);
}
END_TEST

/* A connect on the ring to a listener, and to a closed port. */
START_TEST(test_connect)
{
	struct fixture f;
	struct mio_addr a, dead;
	mio_sock l, s, s2, acc;

	if (!ring_up(&f))
		return;
	l = nt_listen("127.0.0.1:0", &a);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(mio_ring_connect(f.r, s, &a, 3), 0);
	ck_assert_int_eq(ring_next(&f, 3).result, 0);
	acc = nt_accept(l, NULL);
	mio_close(l);
	/* Nothing listens on the port any more. */
	dead = a;
	s2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s2, 0);
	ck_assert_int_eq(mio_ring_connect(f.r, s2, &dead, 4), 0);
	ck_assert_int_eq(ring_next(&f, 4).result, -ECONNREFUSED);
	mio_close(s);
	mio_close(s2);
	mio_close(acc);
	ring_down(&f);
}
END_TEST

/*
 * More completion work at once than the kernel may run per enter (it
 * runs a bounded batch and flags the rest): every record must still
 * come through the poll's events.
 */
START_TEST(test_many_records)
{
	enum { N = 100 };
	struct fixture f;
	struct mio_ring_completion c;
	mio_sock cl[N], sv[N];
	int i;

	if (!ring_up(&f))
		return;
	tu_nofile(4 * N + 64);
	ck_assert_int_eq(mio_ring_group_new(f.r, 0, 256, 512, 256), 0);
	for (i = 0; i < N; i++) {
		nt_tcp_pair("127.0.0.1:0", &cl[i], &sv[i]);
		ck_assert_int_eq(mio_ring_recv_multishot(f.r, sv[i], 0,
		    (mio_token)(100 + i)), 0);
	}
	ck_assert_int_ge(mio_ring_submit(f.r), 1);
	for (i = 0; i < N; i++)
		nt_put(cl[i], "x", 1);
	for (i = 0; i < N; i++) {
		c = ring_next(&f, (mio_token)(100 + i));
		ck_assert_int_eq(c.result, 1);
		ck_assert_int_eq(mio_ring_buffer_return(f.r, 0, c.buffer), 0);
	}
	for (i = 0; i < N; i++) {
		mio_close(cl[i]);
		mio_close(sv[i]);
	}
	ring_down(&f);
}
END_TEST

static Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *t = tcase_create("ring");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_unsupported_or_args);
#ifdef __linux__
	tcase_add_test(t, test_refused_by_seccomp);
#endif
	tcase_add_test(t, test_accept_send_close);
	tcase_add_test(t, test_free_releases_listener);
	tcase_add_test(t, test_half_close);
	tcase_add_test(t, test_reset);
	tcase_add_test(t, test_empty_group);
	tcase_add_test(t, test_bulk_echo);
	tcase_add_test(t, test_connect);
	tcase_add_test(t, test_many_records);
	tcase_add_test(t, test_group_lent_in_part);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return tu_main(ring_suite());
}
