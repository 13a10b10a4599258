/*
 * conns: the load harness's own TCP client and echo server (bench/run).
 *
 *   conns echo PORT
 *	An echo server on 127.0.0.1:PORT (epoll, one thread) for the
 *	idle_memory and concurrent_9000 scenarios.  Runs until killed.
 *
 *   conns run HOST PORT N BYTES HOLD TIMEOUT
 *	Opens N TCP connections to HOST:PORT, sends BYTES of a pattern
 *	particular to each connection on every one of them and checks
 *	that exactly the same bytes come back.  Every connection stays
 *	open until all of them are checked, so all N are served at the
 *	same time.  Then prints one line,
 *	    ok N SECONDS		or	fail SERVED/N SECONDS REASON
 *	and holds the connections open for HOLD seconds (or until
 *	SIGTERM) so that the harness can read the proxy's memory, then
 *	exits (0 ok, 1 fail).  Gives up after TIMEOUT seconds.
 *
 * Both raise RLIMIT_NOFILE to the hard limit: 9,000 connections need
 * more descriptors than the usual soft limit of 1,024.  No more than
 * CONNECTING connects are in flight at once, so that the proxy's listen
 * backlog never overflows (an overflow costs a one-second SYN retry and
 * measures the kernel, not the proxy).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECTING	256
#define ECHO_BUF	16384

static volatile sig_atomic_t conns_stop;

static void
conns_on_term(int sig)
{
	(void)sig;
	conns_stop = 1;
}

static void
conns_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static double
conns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The byte at offset i of connection c's pattern. */
static unsigned char
conns_pattern(unsigned c, size_t i)
{
	return (unsigned char)(c * 131u + i * 7u + (i >> 8) + 1u);
}

/* --- echo server ---------------------------------------------------- */

struct echo_conn {
	size_t	 off, len;		/* pending bytes in buf[off, len) */
	char	 buf[ECHO_BUF];
};

static int
conns_echo(const char *port)
{
	struct sockaddr_in sin;
	struct epoll_event ev, evs[256];
	struct echo_conn **tab;
	struct rlimit rl;
	int ep, lfd, one = 1, n, i;

	getrlimit(RLIMIT_NOFILE, &rl);
	tab = calloc(rl.rlim_cur + 1, sizeof(*tab));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tab == NULL || lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("conns echo: listen");
		return 2;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!conns_stop) {
		n = epoll_wait(ep, evs, 256, 1000);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct echo_conn *c;
			ssize_t r;

			if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if ((rlim_t)cfd > rl.rlim_cur) {
						close(cfd);
						continue;
					}
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			if ((c = tab[fd]) == NULL &&
			    (c = tab[fd] = calloc(1, sizeof(*c))) == NULL)
				goto drop;
			if (c->len == 0) {
				r = read(fd, c->buf, sizeof(c->buf));
				if (r == 0 || (r < 0 && errno != EAGAIN))
					goto drop;
				if (r < 0)
					continue;
				c->off = 0;
				c->len = (size_t)r;
			}
			r = send(fd, c->buf + c->off, c->len - c->off,
			    MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN)
				goto drop;
			if (r > 0)
				c->off += (size_t)r;
			if (c->off == c->len) {
				c->off = c->len = 0;
				ev.events = EPOLLIN;
			} else
				ev.events = EPOLLOUT;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			continue;
drop:
			free(tab[fd]);
			tab[fd] = NULL;
			close(fd);
		}
	}
	return 0;
}

/* --- client --------------------------------------------------------- */

enum { C_IDLE, C_CONNECTING, C_RUNNING, C_DONE, C_FAILED };

struct client {
	int	 fd;
	int	 state;
	size_t	 sent, got;
};

static int
conns_run(char **av)
{
	struct addrinfo hints, *ai;
	struct epoll_event ev, *evs;
	struct client *cl;
	const char *why = "timeout";
	unsigned n, next = 0, done = 0, failed = 0, inflight = 0, k;
	size_t bytes;
	double t0, t1, hold, timeout;
	unsigned char buf[65536];
	int ep, i, m, rc;

	n = (unsigned)strtoul(av[2], NULL, 10);
	bytes = (size_t)strtoul(av[3], NULL, 10);
	hold = atof(av[4]);
	timeout = atof(av[5]);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(av[0], av[1], &hints, &ai)) != 0) {
		fprintf(stderr, "conns: %s: %s\n", av[0], gai_strerror(rc));
		return 2;
	}
	cl = calloc(n, sizeof(*cl));
	evs = calloc(1024, sizeof(*evs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (cl == NULL || evs == NULL || ep < 0 || n == 0 || bytes == 0) {
		fprintf(stderr, "conns: bad arguments or no memory\n");
		return 2;
	}
	t0 = conns_now();
	while (done + failed < n && !conns_stop) {
		/* Keep up to CONNECTING connects in flight. */
		while (next < n && inflight < CONNECTING) {
			struct client *c = &cl[next];
			int one = 1;

			c->fd = socket(ai->ai_family, SOCK_STREAM |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->fd < 0) {
				why = "socket: out of descriptors?";
				c->state = C_FAILED;
				failed++;
				next++;
				continue;
			}
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
			    errno != EINPROGRESS) {
				why = "connect failed";
				close(c->fd);
				c->state = C_FAILED;
				failed++;
				next++;
				continue;
			}
			c->state = C_CONNECTING;
			ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
			ev.data.u32 = next;
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			inflight++;
			next++;
		}
		if (conns_now() - t0 > timeout)
			break;
		m = epoll_wait(ep, evs, 1024, 100);
		for (i = 0; i < m; i++) {
			struct client *c = &cl[evs[i].data.u32];
			unsigned id = evs[i].data.u32;
			ssize_t r;
			size_t j, want;
			int err = 0;
			socklen_t el = sizeof(err);

			if (c->state == C_DONE || c->state == C_FAILED)
				continue;
			if (c->state == C_CONNECTING) {
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
				    &el);
				if (err != 0) {
					why = "connect refused or reset";
					goto fail;
				}
				c->state = C_RUNNING;
				inflight--;
			}
			/* Send what the socket takes. */
			while (c->sent < bytes) {
				want = bytes - c->sent;
				if (want > sizeof(buf))
					want = sizeof(buf);
				for (j = 0; j < want; j++)
					buf[j] = conns_pattern(id, c->sent + j);
				r = send(c->fd, buf, want, MSG_NOSIGNAL);
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0) {
					why = "send failed";
					goto fail;
				}
				c->sent += (size_t)r;
			}
			/* Read and check what came back. */
			for (;;) {
				r = recv(c->fd, buf, sizeof(buf), 0);
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0) {
					why = r == 0 ? "closed early" :
					    "recv failed";
					goto fail;
				}
				if (c->got + (size_t)r > bytes) {
					why = "too many bytes";
					goto fail;
				}
				for (j = 0; j < (size_t)r; j++)
					if (buf[j] != conns_pattern(id,
					    c->got + j)) {
						why = "bytes corrupted";
						goto fail;
					}
				c->got += (size_t)r;
			}
			if (c->got == bytes) {
				c->state = C_DONE;
				done++;
				/* Stay open, and quiet. */
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			} else if (c->sent == bytes) {
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.u32 = id;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			continue;
fail:
			if (c->state == C_CONNECTING)
				inflight--;
			c->state = C_FAILED;
			close(c->fd);
			failed++;
		}
	}
	t1 = conns_now();
	if (done == n)
		printf("ok %u %.3f\n", n, t1 - t0);
	else
		printf("fail %u/%u %.3f %s\n", done, n, t1 - t0, why);
	fflush(stdout);
	while (!conns_stop && conns_now() - t1 < hold)
		usleep(20000);
	for (k = 0; k < n; k++)
		if (cl[k].state == C_DONE || cl[k].state == C_RUNNING ||
		    cl[k].state == C_CONNECTING)
			close(cl[k].fd);
	freeaddrinfo(ai);
	return done == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = conns_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	conns_raise_nofile();
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return conns_echo(argv[2]);
	if (argc == 8 && strcmp(argv[1], "run") == 0)
		return conns_run(argv + 2);
	fprintf(stderr, "usage: conns echo PORT\n"
	    "       conns run HOST PORT N BYTES HOLD TIMEOUT\n");
	return 2;
}
