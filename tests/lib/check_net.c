/*
 * TCP through libmio (API.md "Sockets"), on loopback, once per backend:
 * non-blocking connect and its failure, accept until -EAGAIN, the close
 * and reset flags Linux promises, local shutdowns, no SIGPIPE, peek's
 * re-arm, vectored I/O, options and addresses.
 */
#include "config.h"

#include <signal.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "nettest.h"

#ifdef _WIN32
#define BUF_GOT(n)	(n)
/* Winsock's own calls, not libmio's internal wrappers that compat's
 * <sys/socket.h> names them after (Winsock takes a char *). */
#undef getsockopt
#undef setsockopt
#define getsockopt(s, l, n, v, len) \
	getsockopt((s), (l), (n), (char *)(v), (len))
#define setsockopt(s, l, n, v, len) \
	setsockopt((s), (l), (n), (const char *)(v), (len))
#else
#define BUF_GOT(n)	(2 * (n))
#endif

START_TEST(test_connect_success)
{
	static const char *const hosts[] = { "127.0.0.1:0", "[::1]:0" };
	struct mio_poll *p = tu_poll();
	struct mio_addr la, peer;
	char b1[MIO_ADDR_STRLEN], b2[MIO_ADDR_STRLEN];
	uint32_t f;
	mio_sock l, c, s;
	size_t i;

	for (i = 0; i < 2; i++) {
		l = nt_listen(hosts[i], &la);
		nt_assert_flags(l);
		c = mio_tcp_connect(&la);
		ck_assert_msg((int)c >= 0, "connect: %s", mio_strerror((int)c));
		nt_assert_flags(c);
		ck_assert_int_eq(mio_register(p, c, 7, MIO_WRITABLE), 0);
		f = nt_wait(p, 7, MIO_WRITABLE, NT_WAIT_MS);
		ck_assert_uint_eq(f & MIO_WRITABLE, MIO_WRITABLE);
		ck_assert_uint_eq(f & MIO_ERROR, 0);
		ck_assert_int_eq(mio_take_error(c), 0);
		/* The peer is the listener; the accepted side sees us. */
		ck_assert_str_eq(nt_name(c, 1, b1), nt_fmt(&la, b2));
		s = nt_accept(l, &peer);
		nt_assert_flags(s);
		ck_assert_str_eq(nt_fmt(&peer, b1), nt_name(c, 0, b2));
		ck_assert_str_eq(nt_name(s, 1, b1), nt_name(c, 0, b2));
		ck_assert_int_eq(mio_deregister(p, c), 0);
		mio_close(c);
		mio_close(s);
		mio_close(l);
	}
	mio_poll_free(p);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr a;
	uint32_t f;
	mio_sock l, c;

	/* A port that was just free and has no listener now. */
	l = nt_listen("127.0.0.1:0", &a);
	mio_close(l);
	c = mio_tcp_connect(&a);
	ck_assert_msg((int)c >= 0, "connect: %s", mio_strerror((int)c));
	ck_assert_int_eq(mio_register(p, c, 3, MIO_WRITABLE), 0);
	f = nt_wait(p, 3, MIO_ERROR, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_ERROR, MIO_ERROR);
	ck_assert_int_eq(mio_take_error(c),
	    nt_error_taken_by_event() ? 0 : -ECONNREFUSED);
	if (!tu_under_wine())	/* wine 8 keeps SO_ERROR once read */
		ck_assert_int_eq(mio_take_error(c), 0);	/* cleared */
	ck_assert_int_eq(mio_peer_addr(c, &a), -ENOTCONN);
	mio_close(c);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_accept_until_eagain)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr a, peer;
	mio_sock l, c[5], s[5];
	int64_t end;
	int n = 0, i, r;

	l = nt_listen("127.0.0.1:0", &a);
	ck_assert_int_eq(mio_register(p, l, 1, MIO_READABLE), 0);
	for (i = 0; i < 5; i++) {
		c[i] = mio_tcp_connect(&a);
		ck_assert_int_ge(c[i], 0);
	}
	end = test_now_ms() + NT_WAIT_MS;
	while (n < 5 && test_now_ms() < end) {
		ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
		    MIO_READABLE, 0);
		while ((r = mio_tcp_accept(l, n % 2 ? &peer : NULL)) >= 0) {
			ck_assert_int_lt(n, 5);
			s[n++] = r;
		}
		ck_assert_int_eq(r, -EAGAIN);
	}
	ck_assert_int_eq(n, 5);
	/* Drained to -EAGAIN: nothing more until a new connection. */
	nt_quiet(p, NT_QUIET_MS);
	r = mio_tcp_connect(&a);
	ck_assert_int_ge(r, 0);
	ck_assert_uint_ne(nt_wait(p, 1, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	i = nt_accept(l, NULL);
	mio_close(i);
	mio_close(r);
	for (i = 0; i < 5; i++) {
		mio_close(c[i]);
		mio_close(s[i]);
	}
	mio_close(l);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_listener_never_writable)
{
	struct mio_poll *p = tu_poll();
	struct mio_addr a;
	mio_sock l, c, s;

	l = nt_listen("127.0.0.1:0", &a);
	ck_assert_int_eq(mio_register(p, l, 1, MIO_WRITABLE), 0);
	c = mio_tcp_connect(&a);
	ck_assert_int_ge(c, 0);
	nt_quiet(p, NT_QUIET_MS);
	s = nt_accept(l, NULL);		/* the connection was pending */
	mio_close(s);
	mio_close(c);
	mio_close(l);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_peer_fin)
{
	struct mio_poll *p = tu_poll();
	mio_sock c, s;
	uint32_t f;
	char buf[8];

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 2, MIO_READABLE), 0);
	ck_assert_int_eq(mio_close(c), 0);
	f = nt_wait(p, 2, MIO_READABLE | MIO_READ_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & (MIO_READABLE | MIO_READ_CLOSED),
	    MIO_READABLE | MIO_READ_CLOSED);
	ck_assert_uint_eq(f & MIO_ERROR, 0);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)), 0);
	mio_close(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_peer_shutdown_wr_after_data)
{
	struct mio_poll *p = tu_poll();
	mio_sock c, s;
	uint32_t f;
	char buf[8];

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 2, MIO_READABLE), 0);
	nt_put(c, "hello", 5);
	ck_assert_int_eq(mio_tcp_shutdown(c, SHUT_WR), 0);
	f = nt_wait(p, 2, MIO_READABLE | MIO_READ_CLOSED, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_READABLE, MIO_READABLE);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)), 0);
	/* Our direction is still open: the peer reads what we send. */
	nt_put(s, "back", 4);
	nt_get(c, buf, 4);
	ck_assert_int_eq(memcmp(buf, "back", 4), 0);
	mio_close(c);
	mio_close(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_peer_reset)
{
#ifdef _WIN32
	tu_skip("a reset is MIO_READ_CLOSED | MIO_WRITE_CLOSED without "
	    "MIO_ERROR on Windows (libmio(3), WINDOWS; check_win_selector "
	    "test_peer_close_and_reset)");
#endif
	struct mio_poll *p = tu_poll();
	struct linger lg = { 1, 0 };
	mio_sock c, s;
	uint32_t f;
	char buf[8];

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 2, MIO_READABLE), 0);
	ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	ck_assert_int_eq(mio_close(c), 0);	/* sends RST */
	f = nt_wait(p, 2, MIO_ERROR, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_ERROR, MIO_ERROR);
	ck_assert_uint_eq(f & MIO_READ_CLOSED, MIO_READ_CLOSED);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)),
	    nt_error_taken_by_event() ? 0 : -ECONNRESET);
	ck_assert_int_eq(mio_deregister(p, s), 0);
	mio_close(s);

	/* The same through mio_tcp_set_linger(s, 0). */
	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 3, MIO_READABLE), 0);
	ck_assert_int_eq(mio_tcp_set_linger(c, 0), 0);
	ck_assert_int_eq(mio_close(c), 0);
	f = nt_wait(p, 3, MIO_ERROR, NT_WAIT_MS);
	ck_assert_uint_eq(f & MIO_ERROR, MIO_ERROR);
	ck_assert_int_eq(mio_read(s, buf, sizeof(buf)),
	    nt_error_taken_by_event() ? 0 : -ECONNRESET);
	mio_close(s);
	mio_poll_free(p);
}
END_TEST

/*
 * Local shutdowns, with Linux's flags pinned: SHUT_WR raises no
 * write-closed (nor anything read-side), SHUT_RD raises read-closed,
 * SHUT_RDWR both.
 */
START_TEST(test_local_shutdown)
{
	static const int how[] = { SHUT_WR, SHUT_RD, SHUT_RDWR };
	struct mio_poll *p;
	mio_sock c, s;
	uint32_t f;
	size_t i;
	ssize_t n;
	int64_t end;
	char buf[4];

#ifdef _WIN32
	(void)how; (void)p; (void)c; (void)s; (void)f; (void)i; (void)n;
	(void)end; (void)buf;
	tu_skip("a local shutdown raises no event on Windows (libmio(3), "
	    "WINDOWS; check_win_selector test_event_mapping)");
#endif
	for (i = 0; i < 3; i++) {
		p = tu_poll();
		nt_tcp_pair("127.0.0.1:0", &c, &s);
		ck_assert_int_eq(mio_register(p, c, 4,
		    MIO_READABLE | MIO_WRITABLE), 0);
		/* The connected socket starts writable: take that edge. */
		ck_assert_uint_ne(nt_wait(p, 4, MIO_WRITABLE, NT_WAIT_MS) &
		    MIO_WRITABLE, 0);
		ck_assert_int_eq(mio_read(c, buf, sizeof(buf)), -EAGAIN);
		ck_assert_int_eq(mio_tcp_shutdown(c, how[i]), 0);
		if (how[i] == SHUT_WR) {
			f = nt_wait(p, 4, 0, NT_QUIET_MS);
			ck_assert_uint_eq(f & (MIO_WRITE_CLOSED |
			    MIO_READ_CLOSED | MIO_ERROR), 0);
			/* Writes fail now, without a signal. */
			ck_assert_int_eq(mio_write(c, "x", 1), -EPIPE);
			/* The peer sees the FIN. */
			end = test_now_ms() + NT_WAIT_MS;
			while ((n = mio_read(s, buf, 1)) == -EAGAIN &&
			    test_now_ms() < end)
				test_sleep_ms(1);
			ck_assert_int_eq(n, 0);
		} else if (how[i] == SHUT_RD) {
			f = nt_wait(p, 4, MIO_READ_CLOSED, NT_WAIT_MS);
			ck_assert_uint_eq(f & MIO_READ_CLOSED,
			    MIO_READ_CLOSED);
			ck_assert_uint_eq(f & MIO_WRITE_CLOSED, 0);
			ck_assert_int_eq(mio_read(c, buf, sizeof(buf)), 0);
		} else {
			f = nt_wait(p, 4, MIO_READ_CLOSED | MIO_WRITE_CLOSED,
			    NT_WAIT_MS);
			ck_assert_uint_eq(f & (MIO_READ_CLOSED |
			    MIO_WRITE_CLOSED),
			    MIO_READ_CLOSED | MIO_WRITE_CLOSED);
		}
		mio_close(c);
		mio_close(s);
		mio_poll_free(p);
	}
	ck_assert_int_eq(mio_tcp_shutdown(0x7fff, SHUT_WR), -EBADF);
	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_tcp_shutdown(c, 42), -EINVAL);
	mio_close(c);
	mio_close(s);
}
END_TEST

/*
 * SIGPIPE stays at its default action, which would kill this process:
 * every send path must give -EPIPE or -ECONNRESET instead.
 */
START_TEST(test_no_sigpipe)
{
#ifdef _WIN32
	tu_skip("Windows has no SIGPIPE (libmio(3), WINDOWS: -EPIPE and "
	    "-ECONNRESET are checked by check_win_net)");
}
#else
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	char chunk[4096];
	mio_sock c, s;
	ssize_t n = 0;
	int64_t end;
	int k;

	ck_assert_ptr_eq(signal(SIGPIPE, SIG_DFL), SIG_DFL);
	memset(chunk, 'x', sizeof(chunk));
	for (k = 0; k < 3; k++) {
		nt_tcp_pair("127.0.0.1:0", &c, &s);
		mio_close(s);
		/* The first writes after the peer's FIN may still succeed. */
		end = test_now_ms() + NT_WAIT_MS;
		do {
			if (k == 0)
				n = mio_write(c, chunk, sizeof(chunk));
			else if (k == 1)
				n = mio_send(c, chunk, sizeof(chunk));
			else
				n = mio_writev(c, iov, 2);
			if (n >= 0)
				test_sleep_ms(1);
		} while (n >= 0 && test_now_ms() < end);
		ck_assert_msg(n == -EPIPE || n == -ECONNRESET,
		    "write to a vanished peer: %zd", n);
		/* And every later write fails with EPIPE. */
		ck_assert_int_eq(mio_send(c, "x", 1), -EPIPE);
		ck_assert_int_eq(mio_writev(c, iov, 2), -EPIPE);
		mio_close(c);
	}
}
#endif
END_TEST

START_TEST(test_peek_rearms)
{
	struct mio_poll *p = tu_poll();
	mio_sock c, s;
	char buf[8];

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 9, MIO_READABLE), 0);
	nt_put(c, "abc", 3);
	ck_assert_uint_ne(nt_wait(p, 9, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	/* A peek that returns data consumes nothing. */
	ck_assert_int_eq(mio_peek(s, buf, sizeof(buf)), 3);
	ck_assert_int_eq(mio_peek(s, buf, 2), 2);
	ck_assert_int_eq(memcmp(buf, "ab", 2), 0);
	ck_assert_int_eq(mio_recv(s, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	/* Peek until -EAGAIN: that re-arms, so new data is a new event. */
	ck_assert_int_eq(mio_peek(s, buf, sizeof(buf)), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	nt_put(c, "d", 1);
	ck_assert_uint_ne(nt_wait(p, 9, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_peek(s, buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'd');
	/* Drained by recv: the event is not repeated. */
	ck_assert_int_eq(mio_recv(s, buf, sizeof(buf)), 1);
	ck_assert_int_eq(mio_recv(s, buf, sizeof(buf)), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	nt_put(c, "e", 1);
	ck_assert_uint_ne(nt_wait(p, 9, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	mio_close(c);
	mio_close(s);
	mio_poll_free(p);
}
END_TEST

START_TEST(test_vectored)
{
	struct mio_poll *p = tu_poll();
	struct iovec out[3] = { { "one,", 4 }, { "", 0 }, { "two,three", 9 } };
	char a[6], b[16];
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	mio_sock c, s, fds[2];
	ssize_t n;

	nt_tcp_pair("127.0.0.1:0", &c, &s);
	ck_assert_int_eq(mio_register(p, s, 5, MIO_READABLE), 0);
	ck_assert_int_eq(mio_writev(c, out, 3), 13);
	ck_assert_uint_ne(nt_wait(p, 5, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	n = mio_readv(s, in, 2);
	ck_assert_int_eq(n, 13);
	ck_assert_int_eq(memcmp(a, "one,tw", 6), 0);
	ck_assert_int_eq(memcmp(b, "o,three", 7), 0);
	/* readv to -EAGAIN re-arms like read. */
	ck_assert_int_eq(mio_readv(s, in, 2), -EAGAIN);
	nt_quiet(p, NT_QUIET_MS);
	ck_assert_int_eq(mio_writev(c, out, 1), 4);
	ck_assert_uint_ne(nt_wait(p, 5, MIO_READABLE, NT_WAIT_MS) &
	    MIO_READABLE, 0);
	ck_assert_int_eq(mio_readv(s, in, 1), 4);
	ck_assert_int_eq(mio_readv(s, in, -1), -EINVAL);
	ck_assert_int_eq(mio_writev(s, out, -1), -EINVAL);
	mio_close(c);
	mio_close(s);

#ifdef _WIN32
	(void)fds;		/* no pipes: mio_pipe() is -ENOTSUP */
	ck_assert_int_eq(mio_pipe(fds), -ENOTSUP);
#else
	/* A pipe is no socket: writev(2) is the fallback. */
	ck_assert_int_eq(mio_pipe(fds), 0);
	ck_assert_int_eq(mio_writev(fds[1], out, 3), 13);
	ck_assert_int_eq(mio_readv(fds[0], in, 2), 13);
	ck_assert_int_eq(memcmp(b, "o,three", 7), 0);
	ck_assert_int_eq(mio_readv(fds[0], in, 2), -EAGAIN);
	mio_close(fds[0]);
	mio_close(fds[1]);
#endif
	mio_poll_free(p);
}
END_TEST

/* IPv6 sockets are IPv6-only: 0.0.0.0:P and [::]:P bind together. */
START_TEST(test_v6only_dual_bind)
{
	struct mio_addr a4, a6;
	char text[MIO_ADDR_STRLEN];
	mio_sock l4, l6, dup4;

	l4 = nt_listen("0.0.0.0:0", &a4);
	snprintf(text, sizeof(text), "[::]:%u",
	    (unsigned)ntohs(a4.u.in4.sin_port));
	a6 = nt_addr(text);
	l6 = mio_tcp_listen(&a6, 16);
	ck_assert_msg((int)l6 >= 0, "listen %s: %s", text,
	    mio_strerror((int)l6));
	ck_assert_int_eq(mio_only_v6(l6), 1);
	ck_assert_int_eq(mio_only_v6(l4), -ENOPROTOOPT);
	/* A live listener's port is not shared, SO_REUSEADDR or not. */
	dup4 = mio_tcp_listen(&a4, 0);
	ck_assert_int_eq(dup4, -EADDRINUSE);
	mio_close(l6);
	mio_close(l4);
}
END_TEST

START_TEST(test_options)
{
	static const char *const hosts[] = { "127.0.0.1:0", "[::1]:0" };
	struct linger lg;
	mio_sock c, s, u, fd;
	size_t i;

	for (i = 0; i < 2; i++) {
		nt_tcp_pair(hosts[i], &c, &s);
		ck_assert_int_eq(mio_tcp_nodelay(c), 0);
		ck_assert_int_eq(mio_tcp_set_nodelay(c, 1), 0);
		ck_assert_int_eq(mio_tcp_nodelay(c), 1);
		ck_assert_int_eq(mio_tcp_set_nodelay(c, 0), 0);
		ck_assert_int_eq(mio_tcp_nodelay(c), 0);
		ck_assert_int_eq(mio_tcp_keepalive(c), 0);
		ck_assert_int_eq(mio_tcp_set_keepalive(c, 7), 0);
		ck_assert_int_eq(mio_tcp_keepalive(c), 1);
		ck_assert_int_eq(mio_tcp_set_keepalive(c, 0), 0);
		ck_assert_int_eq(mio_tcp_keepalive(c), 0);
		/* SO_LINGER: 5 s, then 0 (reset on close), then off. */
		ck_assert_int_eq(mio_tcp_set_linger(c, 5), 0);
		ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_LINGER, &lg,
		    &(socklen_t){ sizeof(lg) }), 0);
		ck_assert(lg.l_onoff && lg.l_linger == 5);
		ck_assert_int_eq(mio_tcp_set_linger(c, -1), 0);
		ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_LINGER, &lg,
		    &(socklen_t){ sizeof(lg) }), 0);
		ck_assert_int_eq(lg.l_onoff, 0);
		ck_assert_int_eq(mio_set_ttl(c, 17), 0);
		ck_assert_int_eq(mio_ttl(c), 17);
		ck_assert_int_eq(mio_set_ttl(c, 300), -EINVAL);
		/* Buffer sizes: Linux doubles what it is asked for;
		 * Windows does not (libmio(3), WINDOWS). */
		ck_assert_int_eq(mio_set_recv_buffer_size(c, 32768), 0);
		ck_assert_int_eq(mio_recv_buffer_size(c), BUF_GOT(32768));
		ck_assert_int_eq(mio_set_send_buffer_size(c, 32768), 0);
		ck_assert_int_eq(mio_send_buffer_size(c), BUF_GOT(32768));
		ck_assert_int_eq(mio_take_error(c), 0);
		mio_close(c);
		mio_close(s);
	}
#ifdef _WIN32
	/* No AF_UNIX datagrams, no fcntl(): check_win_net covers the rest. */
	(void)u; (void)fd;
	ck_assert_int_eq(mio_tcp_set_nodelay(0x7fff, 1), -ENOTSOCK);
	ck_assert_int_eq(mio_take_error(0x7fff), -EBADF);
#else
	/* Not a TCP socket, not a socket. */
	u = mio_unix_dgram_unbound();
	ck_assert_int_ge(u, 0);
	ck_assert_int_eq(mio_ttl(u), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_tcp_set_nodelay(u, 1), -EOPNOTSUPP);
	mio_close(u);
	ck_assert_int_eq(mio_tcp_set_nodelay(0x7fff, 1), -EBADF);
	ck_assert_int_eq(mio_take_error(0x7fff), -EBADF);

	/* Outside descriptors: libmio changes O_NONBLOCK only when asked. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(mio_set_nonblocking(fd, 1), 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(mio_set_nonblocking(fd, 1), 0);
	ck_assert_int_eq(mio_set_nonblocking(fd, 0), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(mio_close(fd), 0);
	ck_assert_int_eq(mio_set_nonblocking(0x7fff, 1), -EBADF);
#endif
}
END_TEST

START_TEST(test_addresses_and_errors)
{
	struct mio_addr a, un = nt_addr("unix:@mio-not-tcp");
	char b[MIO_ADDR_STRLEN], b2[MIO_ADDR_STRLEN];
	mio_sock l, c, s;

	ck_assert_int_eq(mio_tcp_listen(NULL, 0), -EINVAL);
	ck_assert_int_eq(mio_tcp_connect(NULL), -EINVAL);
	ck_assert_int_eq(mio_tcp_listen(&un, 0), -EAFNOSUPPORT);
	ck_assert_int_eq(mio_tcp_connect(&un), -EAFNOSUPPORT);
	a = nt_addr("127.0.0.1:1");
	a.len = 3;
	ck_assert_int_eq(mio_tcp_listen(&a, 0), -EINVAL);
	/* Not a local address. */
	a = nt_addr("203.0.113.77:0");
	ck_assert_int_eq(mio_tcp_listen(&a, 0), -EADDRNOTAVAIL);
	ck_assert_int_eq(mio_local_addr(0x7fff, &a), -EBADF);
	ck_assert_int_eq(mio_local_addr(0, NULL), -EINVAL);
	ck_assert_int_eq(mio_peer_addr(0, NULL), -EINVAL);

	l = nt_listen("127.0.0.1:0", &a);
	ck_assert_uint_ne(ntohs(a.u.in4.sin_port), 0);
	ck_assert_int_eq(mio_peer_addr(l, &a), -ENOTCONN);
	ck_assert_int_eq(mio_tcp_accept(l, NULL), -EAGAIN);
	ck_assert_int_eq(mio_tcp_accept(0x7fff, NULL), NOT_A_SOCKET);
	mio_local_addr(l, &a);
	c = mio_tcp_connect(&a);
	s = nt_accept(l, NULL);
	ck_assert_str_eq(nt_name(s, 0, b), nt_fmt(&a, b2));
	ck_assert_int_eq(mio_tcp_accept(c, NULL), -EINVAL);
	mio_close(c);
	mio_close(s);
	mio_close(l);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("tcp");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect_success);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_accept_until_eagain);
	tcase_add_test(tc, test_listener_never_writable);
	tcase_add_test(tc, test_peer_fin);
	tcase_add_test(tc, test_peer_shutdown_wr_after_data);
	tcase_add_test(tc, test_peer_reset);
	tcase_add_test(tc, test_local_shutdown);
	tcase_add_test(tc, test_no_sigpipe);
	tcase_add_test(tc, test_peek_rearms);
	tcase_add_test(tc, test_vectored);
	tcase_add_test(tc, test_v6only_dual_bind);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_addresses_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(net_suite());
}
