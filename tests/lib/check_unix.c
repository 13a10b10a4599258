/*
 * Unix domain sockets and pipes through libmio, once per backend: stream
 * pairs, listeners by path (in a temporary directory) and by abstract
 * name, datagrams from bound and unbound sockets, and the close events
 * Linux promises for pipes and Unix streams.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

#include "nettest.h"

/* A fresh temporary directory, and the socket path inside it. */
struct tmpsock {
	char	dir[64];
	char	text[160];	/* "unix:DIR/NAME" */
	char	path[100];
};

static void
tmpsock_make(struct tmpsock *t, const char *name)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0' || strlen(base) > 30)
		base = "/tmp";
	snprintf(t->dir, sizeof(t->dir), "%s/mio-unix-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	snprintf(t->text, sizeof(t->text), "unix:%s", t->path);
}

static void
tmpsock_clean(struct tmpsock *t)
{
	unlink(t->path);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

/* An abstract name no other run uses: "unix:@mio-test-PID-N-RANDOM". */
static void
abstract_name(char *buf, size_t size)
{
	static unsigned n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, size, "unix:@mio-test-%ld-%u-%08lx", (long)getpid(),
	    n++, (unsigned long)ts.tv_nsec ^ (unsigned long)random());
}

START_TEST(test_stream_pair)
{
	struct mio_poll *p = tu_poll();
	char buf[16], b1[MIO_ADDR_STRLEN];
	mio_sock sp[2];
	uint32_t f;

	ck_assert_int_eq(mio_unix_pair(SOCK_STREAM, sp), 0);
	nt_assert_flags(sp[0]);
	nt_assert_flags(sp[1]);
	ck_assert_str_eq(nt_name(sp[0], 1, b1), "unix:");
	ck_assert_int_eq(mio_register(p, sp[1], 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_send(sp[0], "hi", 2), 2);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_recv(sp[1], buf, sizeof(buf)), 2);
	ck_assert_int_eq(mio_recv(sp[1], buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(mio_close(sp[0]), 0);
	f = nt_wait(p, 1, MIO_READ_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_READ_CLOSED, MIO_READ_CLOSED);
	ck_assert_int_eq(mio_read(sp[1], buf, sizeof(buf)), 0);
	mio_close(sp[1]);
	mio_poll_free(p);
}
END_TEST

/* Listener, connect, accept and an exchange, for one address text. */
static void
stream_round_trip(const char *text)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr a = nt_addr(text), peer;
	char b1[MIO_ADDR_STRLEN], buf[16];
	mio_sock l, c, s;

	l = mio_unix_listen(&a, 0);
	ck_assert_msg(l >= 0, "listen %s: %s", text, mio_strerror(l));
	nt_assert_flags(l);
	ck_assert_str_eq(nt_name(l, 0, b1), text);
	ck_assert_int_eq(mio_unix_listen(&a, 0), -EADDRINUSE);
	ck_assert_int_eq(mio_register(p, l, 1, MIO_READABLE), 0);
	ck_assert_int_eq(mio_unix_accept(l, NULL), -EAGAIN);
	c = mio_unix_connect(&a);
	ck_assert_msg(c >= 0, "connect %s: %s", text, mio_strerror(c));
	nt_assert_flags(c);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	s = mio_unix_accept(l, &peer);
	ck_assert_int_ge(s, 0);
	nt_assert_flags(s);
	/* The connecting socket was never bound: its address is unnamed. */
	ck_assert_str_eq(nt_fmt(&peer, b1), "unix:");
	ck_assert_str_eq(nt_name(c, 1, b1), text);
	ck_assert_int_eq(mio_unix_accept(l, NULL), -EAGAIN);
	nt_put(c, "ping", 4);
	nt_get(s, buf, 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	/* Local SHUT_RD on a Unix stream: read-closed as on TCP. */
	ck_assert_int_eq(mio_deregister(p, l), 0);
	ck_assert_int_eq(mio_register(p, s, 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_tcp_shutdown(s, SHUT_RD), 0);
	ck_assert_uint_ne(nt_wait(p, 2, MIO_READ_CLOSED, NT_WAIT_MS) &
	    MIO_READ_CLOSED, 0);
	mio_close(c);
	mio_close(s);
	mio_close(l);
	mio_poll_free(p);
}

START_TEST(test_listener_path)
{
	struct tmpsock t;
	struct stat st;

	tmpsock_make(&t, "listen.sock");
	stream_round_trip(t.text);
	/* The socket file stays until the caller removes it. */
	ck_assert_int_eq(stat(t.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	tmpsock_clean(&t);
}
END_TEST

START_TEST(test_listener_abstract)
{
	char text[80];

	abstract_name(text, sizeof(text));
	stream_round_trip(text);
}
END_TEST

START_TEST(test_connect_errors)
{
	struct tmpsock t;
	struct mio_addr a, in = nt_addr("127.0.0.1:1");
	char text[80];

	tmpsock_make(&t, "nobody.sock");
	a = nt_addr(t.text);
	ck_assert_int_eq(mio_unix_connect(&a), -ENOENT);
	abstract_name(text, sizeof(text));
	a = nt_addr(text);
	ck_assert_int_eq(mio_unix_connect(&a), -ECONNREFUSED);
	ck_assert_int_eq(mio_unix_listen(&in, 0), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_unix_connect(&in), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_unix_dgram_bind(&in), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_unix_listen(NULL, 0), -EINVAL);
	tmpsock_clean(&t);
}
END_TEST

START_TEST(test_dgram)
{
	struct mio_poll *p = tu_poll();
	struct tmpsock t, tc;
	struct mio_addr sa, ca, from;
	char b1[MIO_ADDR_STRLEN], buf[16];
	mio_sock srv, anon, cli;

	tmpsock_make(&t, "srv.sock");
	tmpsock_make(&tc, "cli.sock");
	sa = nt_addr(t.text);
	ca = nt_addr(tc.text);
	srv = mio_unix_dgram_bind(&sa);
	ck_assert_int_ge(srv, 0);
	nt_assert_flags(srv);
	ck_assert_int_eq(mio_register(p, srv, 1, MIO_READABLE), 0);

	/* From an unbound socket: the source is unnamed, "unix:". */
	anon = mio_unix_dgram_unbound();
	ck_assert_int_ge(anon, 0);
	nt_assert_flags(anon);
	ck_assert_int_eq(mio_udp_send_to(anon, "anon", 4, &sa), 4);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_udp_recv_from(srv, buf, sizeof(buf), &from), 4);
	ck_assert_int_eq(memcmp(buf, "anon", 4), 0);
	ck_assert_str_eq(nt_fmt(&from, b1), "unix:");
	ck_assert_int_eq(mio_udp_recv_from(srv, buf, sizeof(buf), &from),
	    -EAGAIN);

	/* From a bound, connected socket: the source is its path. */
	cli = mio_unix_dgram_bind(&ca);
	ck_assert_int_ge(cli, 0);
	ck_assert_int_eq(mio_unix_dgram_connect(cli, &sa), 0);
	ck_assert_int_eq(mio_send(cli, "named", 5), 5);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_udp_peek_from(srv, buf, 2, &from), 2);
	ck_assert_int_eq(mio_udp_recv_from(srv, buf, sizeof(buf), &from), 5);
	ck_assert_str_eq(nt_fmt(&from, b1), tc.text);
	ck_assert_int_eq(mio_recv(srv, buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(mio_udp_send_to(srv, "reply", 5, &from), 5);
	nt_get(cli, buf, 5);
	ck_assert_int_eq(memcmp(buf, "reply", 5), 0);
	/* Empty datagrams are datagrams here too. */
	ck_assert_int_eq(mio_send(cli, "", 0), 0);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_recv(srv, buf, sizeof(buf)), 0);
	ck_assert_int_eq(mio_recv(srv, buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(mio_unix_dgram_connect(anon, NULL), -EINVAL);
	mio_close(anon);
	mio_close(cli);
	mio_close(srv);
	tmpsock_clean(&t);
	tmpsock_clean(&tc);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_dgram_abstract)
{
	struct mio_addr a, from;
	char text[80], b1[MIO_ADDR_STRLEN], buf[8];
	mio_sock srv, cli;

	abstract_name(text, sizeof(text));
	a = nt_addr(text);
	srv = mio_unix_dgram_bind(&a);
	ck_assert_int_ge(srv, 0);
	ck_assert_str_eq(nt_name(srv, 0, b1), text);
	cli = mio_unix_dgram_unbound();
	ck_assert_int_eq(mio_unix_dgram_connect(cli, &a), 0);
	ck_assert_int_eq(mio_send(cli, "abs", 3), 3);
	test_sleep_ms(5);
	ck_assert_int_eq(mio_udp_recv_from(srv, buf, sizeof(buf), &from), 3);
	ck_assert_int_eq(memcmp(buf, "abs", 3), 0);
	mio_close(cli);
	mio_close(srv);
}
END_TEST

START_TEST(test_pipe_writer_close)
{
	struct mio_poll *p = tu_poll();
	mio_sock fds[2];
	uint32_t f;
	char buf[8];

	/* Data, then the writer closes: readable and read-closed. */
	ck_assert_int_eq(mio_pipe(fds), 0);
	nt_assert_flags(fds[0]);
	ck_assert_int_eq(mio_register(p, fds[0], 1, MIO_READABLE), 0);
	nt_put(fds[1], "abc", 3);
	ck_assert_int_eq(mio_close(fds[1]), 0);
	f = nt_wait(p, 1, MIO_READABLE | MIO_READ_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & (MIO_READABLE | MIO_READ_CLOSED),
	    MIO_READABLE | MIO_READ_CLOSED);
	ck_assert_int_eq(mio_read(fds[0], buf, sizeof(buf)), 3);
	ck_assert_int_eq(mio_read(fds[0], buf, sizeof(buf)), 0);
	mio_close(fds[0]);

	/*
	 * No data: read-closed but, on epoll and poll(2), not readable;
	 * kqueue's read filter fires with EV_EOF, readable as mio says.
	 */
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[0], 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_close(fds[1]), 0);
	f = nt_wait(p, 2, MIO_READ_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_READ_CLOSED, MIO_READ_CLOSED);
	ck_assert_uint_eq(f & MIO_READABLE,
	    strcmp(mio_poll_backend(p), "kqueue") == 0 ? MIO_READABLE : 0);
	ck_assert_int_eq(mio_read(fds[0], buf, sizeof(buf)), 0);
	mio_close(fds[0]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_pipe_reader_close)
{
	struct mio_poll *p = tu_poll();
	mio_sock fds[2];
	uint32_t f;

	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_register(p, fds[1], 1, MIO_WRITABLE), 0);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_WRITABLE, NT_WAIT_MS) &
	    MIO_WRITABLE, 0);
	ck_assert_int_eq(mio_close(fds[0]), 0);
	f = nt_wait(p, 1, MIO_ERROR | MIO_WRITE_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & (MIO_ERROR | MIO_WRITE_CLOSED),
	    MIO_ERROR | MIO_WRITE_CLOSED);
	/* No write here: on a pipe that is SIGPIPE, the program's affair. */
	mio_close(fds[1]);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_dgram_pair)
{
	mio_sock sp[2];
	char buf[8];

	ck_assert_int_eq(mio_unix_pair(SOCK_DGRAM, sp), 0);
	ck_assert_int_eq(mio_send(sp[0], "a", 1), 1);
	ck_assert_int_eq(mio_send(sp[0], "bc", 2), 2);
	ck_assert_int_eq(mio_recv(sp[1], buf, 1), 1);
	ck_assert_int_eq(mio_peek(sp[1], buf, sizeof(buf)), 2);
	ck_assert_int_eq(mio_recv(sp[1], buf, sizeof(buf)), 2);
	ck_assert_int_eq(mio_recv(sp[1], buf, sizeof(buf)), -EAGAIN);
	mio_close(sp[0]);
	mio_close(sp[1]);
}
END_TEST

static Suite *
unix_suite(void)
{
	Suite *s = suite_create("unix");
	TCase *tc = tcase_create("unix");

	srandom((unsigned)getpid());
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_pair);
	tcase_add_test(tc, test_listener_path);
	tcase_add_test(tc, test_listener_abstract);
	tcase_add_test(tc, test_connect_errors);
	tcase_add_test(tc, test_dgram);
	tcase_add_test(tc, test_dgram_abstract);
	tcase_add_test(tc, test_dgram_pair);
	tcase_add_test(tc, test_pipe_writer_close);
	tcase_add_test(tc, test_pipe_reader_close);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(unix_suite());
}
