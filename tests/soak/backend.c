/*
 * The backends, in a child process of their own: two TCP servers that
 * check every byte they receive against its stream's pattern and echo
 * it (regenerated, so nothing is stored), ending each session the way
 * its header says; two UDP servers that check each datagram and send it
 * back to the proxy's socket it came from, late or twice when asked.
 *
 * What a TCP server expects, by kind (soak.h): to read all N bytes then
 * a FIN, except for CLIENT_RESET, whose client resets part way (the
 * reset must arrive as one: a FIN there means the proxy turned the
 * client's reset into a clean end, and the server would take a cut
 * stream for a whole one).  A connection closed before its header came
 * is counted apart: only a client's reset, not yet passed on when the
 * proxy connected, explains one.
 *
 * The parent closes the control pipe to say "no more load"; the child
 * then waits (a bounded time) for its connections to close, writes its
 * counters to the report pipe, and exits.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>

#include "soak.h"

#define B_WINDOW	(256 * 1024)	/* unechoed bytes before reading stops */
#define B_BUDGET	(4 * SOAK_CHUNK)
#define B_FINISH_MS	15000

struct b_sock {
	int	tag;
	int	fd;
};

struct b_conn {
	int		 tag;
	int		 fd;
	struct soak_hdr	 h;
	int		 have_hdr;
	uint64_t	 rcvd, echoed;
	uint64_t	 limit;		/* bytes to echo */
	uint32_t	 events;
	unsigned	 rd_eof:1, wr_shut:1;
};

/* A reply held back: regenerated from its header when due. */
struct b_late {
	struct b_late		*next;
	int64_t			 due;
	int			 fd;
	struct sockaddr_in	 to;
	struct soak_dgram	 d;
};

static struct b_sock b_listen[2], b_udp[2], b_ctl;
static struct b_late *b_lates;
static int b_nopen;
static unsigned char b_buf[SOAK_DGRAM_MAX > SOAK_CHUNK ? SOAK_DGRAM_MAX :
    SOAK_CHUNK];

static int
b_bind(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int size = 4 << 20;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (type == SOCK_DGRAM) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0) ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int
backend_socks_open(struct backend_socks *b)
{
	int i;

	for (i = 0; i < 2; i++) {
		if ((b->tcp[i] = b_bind(SOCK_STREAM, &b->port_tcp[i])) < 0 ||
		    (b->udp[i] = b_bind(SOCK_DGRAM, &b->port_udp[i])) < 0)
			return -1;
	}
	return 0;
}

/* --- TCP ---------------------------------------------------------------- */

static void
b_end(struct b_conn *c, enum soak_ev ev, int linger0)
{
	if (linger0) {
		struct linger l = { 1, 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd);
	free(c);
	b_nopen--;
	soak_ev[ev]++;
}

static void
b_accept(struct b_sock *l)
{
	int i;

	for (i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		struct b_conn *c;

		if (fd < 0)
			return;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		c->tag = TAG_B_CONN;
		c->fd = fd;
		c->events = EPOLLIN;
		soak_watch(fd, c, c->events, 1);
		b_nopen++;
		soak_ev[EV_B_ACCEPTED]++;
	}
}

/* A reset from the proxy: only a client's reset may cause one. */
static void
b_reset(struct b_conn *c)
{
	if (!c->have_hdr)
		b_end(c, EV_B_EARLY_RESET, 0);
	else if (c->h.kind == KIND_CLIENT_RESET) {
		soak_ev[EV_B_RESET_SEEN]++;
		b_end(c, EV_B_DONE, 0);
	} else {
		b_end(c, EV_B_UNEXPECTED_RESET, 0);
	}
}

/* The client's FIN: 1 when c has ended on it. */
static int
b_eof(struct b_conn *c)
{
	c->rd_eof = 1;
	if (!c->have_hdr) {
		b_end(c, EV_B_EARLY_CLOSE, 0);
		return 1;
	}
	if (c->rcvd == c->h.n)
		return 0;
	b_end(c, c->h.kind == KIND_CLIENT_RESET ? EV_B_RESET_AS_EOF :
	    EV_B_SHORT, 1);
	return 1;
}

/* Takes the header from the first bytes: the rest of n, or -1. */
static ssize_t
b_header(struct b_conn *c, ssize_t n)
{
	size_t take = SOAK_HDR - c->rcvd < (size_t)n ?
	    SOAK_HDR - (size_t)c->rcvd : (size_t)n;

	memcpy((unsigned char *)&c->h + c->rcvd, b_buf, take);
	c->rcvd += take;
	memmove(b_buf, b_buf + take, (size_t)n - take);
	if (c->rcvd < SOAK_HDR)
		return 0;
	if (c->h.magic != SOAK_MAGIC || c->h.kind >= KIND_COUNT ||
	    c->h.n < SOAK_HDR + 1 || c->h.k < SOAK_HDR || c->h.k >= c->h.n)
		return -1;
	c->have_hdr = 1;
	c->limit = c->h.kind == KIND_SERVER_HALF ||
	    c->h.kind == KIND_SERVER_RESET ? c->h.k : c->h.n;
	return n - (ssize_t)take;
}

static uint64_t
b_backlog(const struct b_conn *c)
{
	uint64_t upto = c->rcvd < c->limit ? c->rcvd : c->limit;

	return c->have_hdr ? upto - c->echoed : 0;
}

/* Reads and checks: 0, or -1 when c has ended. */
static int
b_read(struct b_conn *c)
{
	size_t budget = B_BUDGET;

	while (budget > 0 && b_backlog(c) < B_WINDOW) {
		ssize_t n = recv(c->fd, b_buf, SOAK_CHUNK, 0);

		if (n == 0)
			return b_eof(c) ? -1 : 0;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			b_reset(c);
			return -1;
		}
		budget -= (size_t)n < budget ? (size_t)n : budget;
		soak_ev[EV_B_BYTES_IN] += (uint64_t)n;
		if (!c->have_hdr && (n = b_header(c, n)) < 0) {
			b_end(c, EV_B_BAD_HEADER, 1);
			return -1;
		}
		if (n == 0)
			continue;
		if (c->rcvd + (uint64_t)n > c->h.n) {
			b_end(c, EV_B_EXCESS, 1);
			return -1;
		}
		if (pat_check(c->h.seed, c->rcvd, b_buf, (size_t)n) != 0) {
			b_end(c, EV_B_CORRUPT, 1);
			return -1;
		}
		c->rcvd += (uint64_t)n;
	}
	return 0;
}

static int
b_write(struct b_conn *c)
{
	size_t budget = B_BUDGET;
	uint64_t left;

	while (budget > 0 && (left = b_backlog(c)) > 0) {
		size_t len = left < SOAK_CHUNK ? (size_t)left : SOAK_CHUNK;
		ssize_t n;

		stream_fill(&c->h, c->echoed, b_buf, len);
		n = send(c->fd, b_buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			b_reset(c);
			return -1;
		}
		c->echoed += (uint64_t)n;
		soak_ev[EV_B_BYTES_OUT] += (uint64_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
	return 0;
}

/* Once the echo reached its limit: the end the kind asks for. */
static int
b_progress(struct b_conn *c)
{
	if (!c->have_hdr || c->echoed < c->limit)
		return 0;
	switch (c->h.kind) {
	case KIND_SERVER_RESET:
		soak_ev[EV_B_RESET_SENT]++;
		b_end(c, EV_B_DONE, 1);
		return 1;
	case KIND_SERVER_HALF:
		if (!c->wr_shut) {
			shutdown(c->fd, SHUT_WR);
			c->wr_shut = 1;
		}
		break;
	default:
		break;
	}
	if (c->rd_eof) {
		b_end(c, EV_B_DONE, 0);
		return 1;
	}
	return 0;
}

static void
b_conn_event(struct b_conn *c, uint32_t events)
{
	uint32_t ev;

	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			b_reset(c);
			return;
		}
	}
	if (!c->rd_eof && (events & (EPOLLIN | EPOLLHUP)) && b_read(c) < 0)
		return;
	if ((events & EPOLLOUT) && b_write(c) < 0)
		return;
	if (b_progress(c))
		return;
	ev = !c->rd_eof && b_backlog(c) < B_WINDOW ? EPOLLIN : 0;
	if (b_backlog(c) > 0)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		c->events = ev;
		soak_watch(c->fd, c, ev, 0);
	}
}

/* --- UDP ---------------------------------------------------------------- */

static void
b_udp_send(int fd, const struct sockaddr_in *to, size_t len, int dup)
{
	uint32_t now = (uint32_t)soak_now();
	int i;

	memcpy(b_buf + offsetof(struct soak_dgram, replied_ms), &now,
	    sizeof(now));

	for (i = 0; i < 1 + dup; i++) {
		if (sendto(fd, b_buf, len, 0, (const struct sockaddr *)to,
		    sizeof(*to)) < 0)
			soak_ev[EV_BU_SEND_ERR]++;
		else
			soak_ev[EV_BU_SENT]++;
	}
	if (dup)
		soak_ev[EV_BU_DOUBLED]++;
}

static void
b_udp_event(struct b_sock *s)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct soak_dgram d;
		struct b_late *late;
		ssize_t n = recvfrom(s->fd, b_buf, sizeof(b_buf), 0,
		    (struct sockaddr *)&from, &flen);

		if (n < 0)
			return;
		soak_ev[EV_BU_RECV]++;
		memcpy(&d, b_buf, (size_t)n < sizeof(d) ? (size_t)n :
		    sizeof(d));
		if ((size_t)n < sizeof(d) || d.magic != SOAK_MAGIC ||
		    d.len != (size_t)n || pat_check(d.seed, SOAK_DHDR,
		    b_buf + SOAK_DHDR, (size_t)n - SOAK_DHDR) != 0) {
			soak_ev[EV_BU_CORRUPT]++;
			continue;
		}
		if (d.delay_ms == 0) {
			b_udp_send(s->fd, &from, (size_t)n, d.dup);
			continue;
		}
		if ((late = calloc(1, sizeof(*late))) == NULL)
			continue;
		late->due = soak_now() + d.delay_ms;
		late->fd = s->fd;
		late->to = from;
		late->d = d;
		late->next = b_lates;
		b_lates = late;
		soak_ev[EV_BU_DELAYED]++;
	}
}

static void
b_udp_tick(int64_t now)
{
	struct b_late **pp = &b_lates, *l;

	while ((l = *pp) != NULL) {
		if (l->due > now) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		memcpy(b_buf, &l->d, sizeof(l->d));
		pat_fill(l->d.seed, SOAK_DHDR, b_buf + SOAK_DHDR,
		    l->d.len - SOAK_DHDR);
		b_udp_send(l->fd, &l->to, l->d.len, l->d.dup);
		free(l);
	}
}

/* --- the loop ------------------------------------------------------------ */

void
backend_run(struct backend_socks *b, int ctl, int report)
{
	struct epoll_event evs[256];
	int64_t finish = 0;
	int i, n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((soak_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
		_exit(1);
	for (i = 0; i < 2; i++) {
		b_listen[i] = (struct b_sock){ TAG_B_LISTEN, b->tcp[i] };
		b_udp[i] = (struct b_sock){ TAG_B_UDP, b->udp[i] };
		soak_watch(b->tcp[i], &b_listen[i], EPOLLIN, 1);
		soak_watch(b->udp[i], &b_udp[i], EPOLLIN, 1);
	}
	b_ctl = (struct b_sock){ TAG_B_CTL, ctl };
	soak_watch(ctl, &b_ctl, EPOLLIN, 1);
	for (;;) {
		int64_t now;

		n = epoll_wait(soak_epoll, evs, 256, 10);
		for (i = 0; i < n; i++) {
			int tag = *(int *)evs[i].data.ptr;

			if (tag == TAG_B_LISTEN)
				b_accept(evs[i].data.ptr);
			else if (tag == TAG_B_UDP)
				b_udp_event(evs[i].data.ptr);
			else if (tag == TAG_B_CONN)
				b_conn_event(evs[i].data.ptr, evs[i].events);
			else if (tag == TAG_B_CTL && finish == 0) {
				epoll_ctl(soak_epoll, EPOLL_CTL_DEL, ctl, NULL);
				finish = soak_now() + B_FINISH_MS;
			}
		}
		now = soak_now();
		b_udp_tick(now);
		if (finish != 0 && (b_nopen == 0 || now >= finish))
			break;
	}
	/* What is still open is counted, not freed: the process ends. */
	soak_ev[EV_B_LEFT_OPEN] = (uint64_t)b_nopen;
	if (write(report, soak_ev, sizeof(soak_ev)) != (ssize_t)sizeof(soak_ev))
		_exit(1);
	_exit(0);
}
