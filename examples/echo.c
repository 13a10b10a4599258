/*
 * echo: a TCP and UDP echo server on libmio, one event loop for both.
 *
 *	echo [ADDRESS]		(default 127.0.0.1:9000; port 0 picks one)
 *
 * It prints "echo listening on ADDRESS (tcp, udp)" with the address
 * actually bound, and exits cleanly on SIGINT or SIGTERM.
 *
 * What it shows, in the order a reader meets it:
 *  - every readiness is drained until -EAGAIN (accept, read, recv_from),
 *    since libmio's events are edge-triggered;
 *  - backpressure: a connection whose echo cannot be written keeps the
 *    unsent bytes, stops reading (its buffer is bounded) and resumes on
 *    MIO_WRITABLE; a UDP reply that would block is kept, and the socket
 *    is not read again until it is sent;
 *  - a stopped reader must remember that it did not reach -EAGAIN, or
 *    the edge it consumed is lost: see conn_pump();
 *  - closes are deferred to the end of each batch of events, so that a
 *    later event in the same batch never finds a slot reused;
 *  - signals reach the loop through a waker (mio_waker_wake() is
 *    async-signal-safe), not through a flag the loop might miss.
 *
 * Try it with bash alone:
 *	exec 3<>/dev/tcp/127.0.0.1/9000; echo hi >&3; head -n1 <&3
 *
 * It includes no config.h: it is built out of tree against the installed
 * library too, with only `pkg-config --cflags --libs libmio`.
 *
 * The same source builds for Windows (mingw-w64): mio_sock is a SOCKET
 * there, so "no socket" is ECHO_NONE rather than a negative descriptor,
 * the constructors' int results are checked before they become a
 * mio_sock, and Ctrl-C (a console control event) wakes the loop where
 * POSIX has SIGINT/SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mio.h>

#ifdef _WIN32
#define ECHO_NONE	INVALID_SOCKET
#else
#define ECHO_NONE	(-1)
#endif

#define ECHO_DEFAULT	"127.0.0.1:9000"
#define ECHO_MAXCONN	256
#define ECHO_BUFSZ	16384
#define ECHO_EVENTS	64

enum {
	TOK_WAKER,
	TOK_TCP,
	TOK_UDP,
	TOK_CONN		/* TOK_CONN + i is connection slot i */
};

struct conn {
	mio_sock	fd;		/* ECHO_NONE: the slot is free */
	size_t		off, len;	/* unsent bytes are buf[off..len) */
	int		readable;	/* read stopped before -EAGAIN */
	int		eof;		/* the peer sent FIN */
	int		dead;		/* close at the end of the batch */
	char		buf[ECHO_BUFSZ];
};

static struct conn echo_conns[ECHO_MAXCONN];
static struct mio_waker *echo_waker;

#ifdef _WIN32
static BOOL WINAPI
echo_signal(DWORD type)
{
	(void)type;
	mio_waker_wake(echo_waker);
	return TRUE;
}
#else
static void
echo_signal(int sig)
{
	(void)sig;
	mio_waker_wake(echo_waker);
}
#endif

static void
die(const char *what, int err)
{
	fprintf(stderr, "echo: %s: %s\n", what, mio_strerror(err));
	exit(1);
}

/*
 * Moves bytes both ways until the connection blocks or its buffer is
 * full: write out what is pending, then read more while there is room.
 * When the buffer is full the read stops short of -EAGAIN, so
 * `readable` remembers that input may be waiting: no new event will say
 * so.  The next successful write makes room and comes back here.
 */
static void
conn_pump(struct conn *c)
{
	ssize_t n;

	for (;;) {
		while (c->off < c->len) {
			n = mio_write(c->fd, c->buf + c->off, c->len - c->off);
			if (n == -EAGAIN)
				return;		/* resume on MIO_WRITABLE */
			if (n < 0) {
				c->dead = 1;	/* -EPIPE, -ECONNRESET */
				return;
			}
			c->off += (size_t)n;
		}
		c->off = c->len = 0;
		if (c->eof) {
			/* All echoed: half-close as the peer did. */
			mio_tcp_shutdown(c->fd, SHUT_WR);
			c->dead = 1;
			return;
		}
		if (!c->readable)
			return;
		n = mio_read(c->fd, c->buf, sizeof(c->buf));
		if (n == -EAGAIN) {
			c->readable = 0;	/* drained: wait for an event */
			return;
		}
		if (n < 0) {
			c->dead = 1;
			return;
		}
		if (n == 0)
			c->eof = 1;
		c->len = (size_t)n;
	}
}

static void
tcp_accept(struct mio_poll *p, mio_sock l)
{
	struct conn *c;
	size_t i;
	int s, rc;

	for (;;) {
		if ((s = mio_tcp_accept(l, NULL)) < 0) {
			/* -EAGAIN: drained.  -EMFILE and the like leave the
			 * connection queued; a real server would retry on a
			 * timer.  Either way this edge is done. */
			if (s != -EAGAIN)
				fprintf(stderr, "echo: accept: %s\n",
				    mio_strerror(s));
			return;
		}
		for (i = 0; i < ECHO_MAXCONN && echo_conns[i].fd != ECHO_NONE;
		    i++)
			;
		if (i == ECHO_MAXCONN) {
			mio_close((mio_sock)s);	/* full: refuse politely */
			continue;
		}
		rc = mio_register(p, (mio_sock)s, TOK_CONN + i,
		    MIO_READABLE | MIO_WRITABLE);
		if (rc < 0) {
			fprintf(stderr, "echo: register: %s\n",
			    mio_strerror(rc));
			mio_close((mio_sock)s);
			continue;
		}
		c = &echo_conns[i];
		memset(c, 0, offsetof(struct conn, buf));
		c->fd = (mio_sock)s;
		c->readable = 1;	/* data may already be queued */
	}
}

/*
 * UDP: one datagram in flight at most.  A reply that would block is kept
 * and the socket is not read until MIO_WRITABLE lets it go, which bounds
 * memory and pushes back on the clients (their datagrams queue in the
 * kernel and are dropped there when it is full, as UDP allows).
 */
struct udp_state {
	mio_sock	fd;
	int		pending;	/* buf holds a reply not yet sent */
	ssize_t		len;
	struct mio_addr	to;
	char		buf[65536];
};

static void
udp_pump(struct udp_state *u)
{
	ssize_t n;

	for (;;) {
		if (u->pending) {
			n = mio_udp_send_to(u->fd, u->buf, (size_t)u->len,
			    &u->to);
			if (n == -EAGAIN)
				return;		/* resume on MIO_WRITABLE */
			u->pending = 0;		/* sent, or failed for good */
		}
		u->len = mio_udp_recv_from(u->fd, u->buf, sizeof(u->buf),
		    &u->to);
		if (u->len < 0)
			return;			/* -EAGAIN: drained */
		u->pending = 1;
	}
}

/*
 * Binds TCP and UDP on addr, updated to the address bound.  With port 0
 * UDP takes the port TCP was given, which another program may hold for
 * UDP already: then both are tried again on a new port.
 */
static mio_sock
echo_bind(struct mio_addr *addr, mio_sock *u)
{
	struct mio_addr want = *addr;
	int any = (addr->u.sa.sa_family == AF_INET &&
	    addr->u.in4.sin_port == 0) || (addr->u.sa.sa_family == AF_INET6 &&
	    addr->u.in6.sin6_port == 0);
	mio_sock l;
	int rc, tries = 0;

	for (;;) {
		*addr = want;
		if ((rc = mio_tcp_listen(addr, 0)) < 0)
			die("tcp listen", rc);
		l = (mio_sock)rc;
		if ((rc = mio_local_addr(l, addr)) < 0)
			die("local address", rc);
		if ((rc = mio_udp_bind(addr)) >= 0) {
			*u = (mio_sock)rc;
			return l;
		}
		if (!any || rc != -EADDRINUSE || ++tries == 20)
			die("udp bind", rc);
		mio_close(l);
	}
}

int
main(int argc, char *argv[])
{
	static struct udp_state udp;
	struct mio_event ev[ECHO_EVENTS];
	struct mio_addr addr;
#ifndef _WIN32
	struct sigaction sa;
#endif
	struct mio_poll *p;
	char text[MIO_ADDR_STRLEN];
	mio_sock l;
	size_t i;
	int n, k, rc, running = 1;

	if (argc > 2) {
		fprintf(stderr, "usage: echo [ADDRESS]\n");
		return 2;
	}
	if ((rc = mio_addr_parse(&addr, argc > 1 ? argv[1] : ECHO_DEFAULT)) <
	    0)
		die("address", rc);
	l = echo_bind(&addr, &udp.fd);
	for (i = 0; i < ECHO_MAXCONN; i++)
		echo_conns[i].fd = ECHO_NONE;

	if ((rc = mio_poll_new(&p)) < 0)
		die("poll", rc);
	if ((rc = mio_waker_new(p, TOK_WAKER, &echo_waker)) < 0)
		die("waker", rc);
	if ((rc = mio_register(p, l, TOK_TCP, MIO_READABLE)) < 0 ||
	    (rc = mio_register(p, udp.fd, TOK_UDP,
	    MIO_READABLE | MIO_WRITABLE)) < 0)
		die("register", rc);
#ifdef _WIN32
	SetConsoleCtrlHandler(echo_signal, TRUE);
#else
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
#endif

	mio_addr_format(&addr, text, sizeof(text));
	printf("echo listening on %s (tcp, udp)\n", text);
	fflush(stdout);

	while (running) {
		n = mio_poll_wait(p, ev, ECHO_EVENTS, -1);
		if (n == -EINTR)
			continue;	/* the waker's event follows */
		if (n < 0)
			die("wait", n);
		for (k = 0; k < n; k++) {
			struct conn *c;

			switch (ev[k].token) {
			case TOK_WAKER:
				running = 0;
				break;
			case TOK_TCP:
				tcp_accept(p, l);
				break;
			case TOK_UDP:
				udp_pump(&udp);
				break;
			default:
				c = &echo_conns[ev[k].token - TOK_CONN];
				if (c->fd == ECHO_NONE || c->dead)
					break;		/* stale */
				if (ev[k].flags & (MIO_READABLE |
				    MIO_READ_CLOSED | MIO_ERROR))
					c->readable = 1;
				conn_pump(c);
				break;
			}
		}
		/* Deferred closes: no event of this batch is left to see. */
		for (i = 0; i < ECHO_MAXCONN; i++) {
			if (echo_conns[i].fd != ECHO_NONE &&
			    echo_conns[i].dead) {
				mio_deregister(p, echo_conns[i].fd);
				mio_close(echo_conns[i].fd);
				echo_conns[i].fd = ECHO_NONE;
			}
		}
	}

	for (i = 0; i < ECHO_MAXCONN; i++)
		if (echo_conns[i].fd != ECHO_NONE) {
			mio_deregister(p, echo_conns[i].fd);
			mio_close(echo_conns[i].fd);
		}
	mio_deregister(p, l);
	mio_deregister(p, udp.fd);
	mio_close(l);
	mio_close(udp.fd);
	mio_waker_free(echo_waker);
	mio_poll_free(p);
	printf("echo: stopped\n");
	return 0;
}
