/*
 * The TCP clients: soak_opt.conns connections held open at once through
 * the proxy's TCP listener, each a stream of random length (bytes to
 * megabytes) ending the way its kind says (soak.h), most pausing once on
 * the way (up to TCP_PAUSE_MS) so that thousands are open at once
 * without all of them moving bytes, every echoed byte checked.
 *
 * What each kind expects back, and what would be the proxy's fault:
 *
 *   kind          echoed      then        anything else is
 *   FULL          N bytes     (closes)    short EOF, reset
 *   CLIENT_HALF   N bytes     EOF         short EOF, reset
 *   SERVER_HALF   K bytes     EOF         reset (keeps sending to N)
 *   CLIENT_RESET  >= R of K   (resets)    EOF, reset
 *   SERVER_RESET  <= K bytes  reset       EOF: a reset turned into a FIN
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "soak.h"

#define TCP_OPEN_PER_TICK	200	/* a ramp, not a SYN flood */
#define TCP_PAUSE_MS		6000	/* the longest pause */
#define TCP_BUDGET		(4 * SOAK_CHUNK)	/* per event and way */
#define TCP_FAIL_SHOWN		10	/* failures described in full */

struct tcp_client {
	int		 tag;
	int		 fd;		/* -1: slot free */
	int		 connecting;
	struct soak_hdr	 h;
	uint64_t	 sent, recvd;
	uint64_t	 limit;		/* bytes to send: N, or K for a reset */
	uint64_t	 reset_after;	/* CLIENT_RESET: echo to wait for */
	uint64_t	 pause_at;	/* UINT64_MAX: no pause */
	int64_t		 pause_until;
	uint32_t	 events;	/* asked of epoll */
	unsigned	 wr_shut:1, eof:1, shut_when_sent:1;
};

static struct tcp_client *tcp_clients;
static int tcp_nopen, tcp_peak;
static uint32_t tcp_next_id;
static struct sockaddr_storage tcp_addr[2];
static socklen_t tcp_addrlen[2];
static int tcp_v6;
static unsigned tcp_shown;
static char tcp_buf[SOAK_CHUNK];

static const char *const kind_names[KIND_COUNT] = {
	"full", "client-half-close", "server-half-close", "client-reset",
	"server-reset"
};

void
tcp_start(const struct proxy_ports *pp)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&tcp_addr[0];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&tcp_addr[1];
	int i;

	tcp_clients = calloc((size_t)soak_opt.conns, sizeof(*tcp_clients));
	if (tcp_clients == NULL)
		soak_fail("out of memory");
	for (i = 0; i < soak_opt.conns; i++)
		tcp_clients[i].fd = -1;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)pp->tcp);
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tcp_addrlen[0] = sizeof(*a4);
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons((uint16_t)pp->tcp);
	a6->sin6_addr = in6addr_loopback;
	tcp_addrlen[1] = sizeof(*a6);
	tcp_v6 = pp->v6;
}

/* Says what went wrong with c, for the first few failures. */
static void
tcp_describe(const struct tcp_client *c, const char *what, int err)
{
	if (tcp_shown++ >= TCP_FAIL_SHOWN)
		return;
	fprintf(stderr, "soak: tcp #%u (%s, N=%llu K=%u): %s%s%s; sent %llu, "
	    "echoed %llu\n", c->h.id, kind_names[c->h.kind],
	    (unsigned long long)c->h.n, c->h.k, what, err ? ": " : "",
	    err ? strerror(err) : "", (unsigned long long)c->sent,
	    (unsigned long long)c->recvd);
}

/* Ends c: ev counted (a failure when its kind in soak.c says so). */
static void
tcp_end(struct tcp_client *c, enum soak_ev ev, int linger0)
{
	if (linger0) {
		struct linger l = { 1, 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd);	/* leaves the epoll set with it */
	c->fd = -1;
	tcp_nopen--;
	soak_ev[ev]++;
	if (ev == EV_TCP_DONE)
		soak_ev[EV_TCP_DONE_KIND + c->h.kind]++;
}

static void
tcp_fail(struct tcp_client *c, enum soak_ev ev, const char *what, int err)
{
	tcp_describe(c, what, err);
	tcp_end(c, ev, 1);
}

static void
tcp_open(struct tcp_client *c)
{
	int v6 = tcp_v6 && rnd_percent(10);
	uint64_t n = SOAK_HDR + rnd_log(1, soak_opt.max_size);

	memset(c, 0, sizeof(*c));
	c->tag = TAG_TCP_CLIENT;
	c->h.magic = SOAK_MAGIC;
	c->h.id = ++tcp_next_id;
	c->h.seed = rnd();
	c->h.n = n;
	c->h.kind = (uint8_t)rnd_below(KIND_COUNT);
	/* A point strictly inside the stream, past the header. */
	c->h.k = (uint32_t)(SOAK_HDR + rnd_below(n - SOAK_HDR));
	c->limit = c->h.kind == KIND_CLIENT_RESET ? c->h.k : n;
	c->reset_after = rnd_below(c->limit + 1);
	c->shut_when_sent = c->h.kind == KIND_CLIENT_HALF ||
	    (c->h.kind == KIND_SERVER_RESET && rnd_percent(50));
	c->pause_at = rnd_percent(70) ? rnd_below(c->limit) : UINT64_MAX;
	c->pause_until = 0;
	c->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		soak_fail("tcp socket: %s", strerror(errno));
	tcp_nopen++;
	if (tcp_nopen > tcp_peak)
		tcp_peak = tcp_nopen;
	soak_ev[EV_TCP_OPENED]++;
	if (connect(c->fd, (struct sockaddr *)&tcp_addr[v6],
	    tcp_addrlen[v6]) < 0 && errno != EINPROGRESS) {
		tcp_fail(c, EV_TCP_CONNECT_ERR, "connect", errno);
		return;
	}
	c->connecting = 1;
	c->events = EPOLLIN | EPOLLOUT;
	soak_watch(c->fd, c, c->events, 1);
}

/* A reset or a write to a reset connection: expected or not. */
static void
tcp_reset(struct tcp_client *c, int err)
{
	if (c->h.kind == KIND_SERVER_RESET) {
		soak_ev[EV_TCP_RESET_SEEN]++;
		tcp_end(c, EV_TCP_DONE, 0);
	} else {
		tcp_fail(c, EV_TCP_UNEXPECTED_RESET, "reset", err);
	}
}

/* The end of the echo, right for some kinds: 1 if c has ended. */
static int
tcp_eof(struct tcp_client *c)
{
	switch (c->h.kind) {
	case KIND_CLIENT_HALF:
		if (c->recvd == c->h.n)
			tcp_end(c, EV_TCP_DONE, 0);
		else
			tcp_fail(c, EV_TCP_SHORT_EOF, "early EOF", 0);
		return 1;
	case KIND_SERVER_HALF:
		if (c->recvd != c->h.k) {
			tcp_fail(c, EV_TCP_SHORT_EOF, "EOF not at K", 0);
			return 1;
		}
		c->eof = 1;
		if (c->sent < c->h.n)
			return 0;	/* sends the rest first */
		tcp_end(c, EV_TCP_DONE, 0);
		return 1;
	case KIND_SERVER_RESET:
		tcp_fail(c, EV_TCP_RESET_AS_EOF, "EOF instead of a reset", 0);
		return 1;
	default:
		tcp_fail(c, EV_TCP_SHORT_EOF, "early EOF", 0);
		return 1;
	}
}

/* Reads what is there (up to the budget): 0, or -1 when c has ended. */
static int
tcp_read(struct tcp_client *c)
{
	uint64_t max = c->h.kind == KIND_SERVER_HALF ||
	    c->h.kind == KIND_SERVER_RESET ? c->h.k : c->limit;
	size_t budget = TCP_BUDGET;

	while (budget > 0) {
		ssize_t n = recv(c->fd, tcp_buf, sizeof(tcp_buf), 0);

		if (n == 0)
			return tcp_eof(c) ? -1 : 0;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			tcp_reset(c, errno);
			return -1;
		}
		if (c->recvd + (uint64_t)n > max || c->recvd + (uint64_t)n >
		    c->sent) {
			tcp_fail(c, EV_TCP_EXCESS, "more echoed than sent", 0);
			return -1;
		}
		if (stream_check(&c->h, c->recvd, tcp_buf, (size_t)n) != 0) {
			tcp_fail(c, EV_TCP_CORRUPT, "echoed bytes differ", 0);
			return -1;
		}
		c->recvd += (uint64_t)n;
		soak_ev[EV_TCP_BYTES_RECV] += (uint64_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
	return 0;
}

static int
tcp_write(struct tcp_client *c, int64_t now)
{
	size_t budget = TCP_BUDGET;

	while (budget > 0 && c->sent < c->limit && c->pause_until <= now) {
		uint64_t left = c->limit - c->sent;
		size_t len = left < sizeof(tcp_buf) ? (size_t)left :
		    sizeof(tcp_buf);
		ssize_t n;

		if (c->sent < c->pause_at && c->sent + len > c->pause_at)
			len = (size_t)(c->pause_at - c->sent);
		if (c->sent == c->pause_at) {
			c->pause_at = UINT64_MAX;
			c->pause_until = now + (int64_t)rnd_below(TCP_PAUSE_MS);
			break;
		}
		stream_fill(&c->h, c->sent, tcp_buf, len);
		n = send(c->fd, tcp_buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			tcp_reset(c, errno);
			return -1;
		}
		c->sent += (uint64_t)n;
		soak_ev[EV_TCP_BYTES_SENT] += (uint64_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
	return 0;
}

/* What c does once the echo or the writing moved: 1 if it ended. */
static int
tcp_progress(struct tcp_client *c)
{
	if (c->sent < c->limit)
		return 0;
	switch (c->h.kind) {
	case KIND_FULL:
		if (c->recvd == c->h.n) {
			tcp_end(c, EV_TCP_DONE, 0);
			return 1;
		}
		return 0;
	case KIND_SERVER_HALF:
		if (c->eof) {
			tcp_end(c, EV_TCP_DONE, 0);
			return 1;
		}
		return 0;
	case KIND_CLIENT_RESET:
		if (c->recvd >= c->reset_after) {
			tcp_end(c, EV_TCP_DONE, 1);
			return 1;
		}
		return 0;
	default:
		if (c->shut_when_sent && !c->wr_shut) {
			shutdown(c->fd, SHUT_WR);
			c->wr_shut = 1;
		}
		return 0;
	}
}

static void
tcp_interest(struct tcp_client *c, int64_t now)
{
	uint32_t ev = c->eof ? 0 : EPOLLIN;

	if (c->sent < c->limit && c->pause_until <= now)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		c->events = ev;
		soak_watch(c->fd, c, ev, 0);
	}
}

void
tcp_event(void *tag, uint32_t events)
{
	struct tcp_client *c = tag;
	int64_t now = soak_now();

	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			tcp_fail(c, EV_TCP_CONNECT_ERR, "connect", err);
			return;
		}
		c->connecting = 0;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && tcp_read(c) < 0)
		return;
	if ((events & EPOLLOUT) && tcp_write(c, now) < 0)
		return;
	if (tcp_progress(c))
		return;
	tcp_interest(c, now);
}

/* Wakes paused clients, and keeps soak_opt.conns open while opening. */
void
tcp_tick(int64_t now, int opening)
{
	int i, opened = 0;

	for (i = 0; i < soak_opt.conns; i++) {
		struct tcp_client *c = &tcp_clients[i];

		if (c->fd < 0) {
			if (opening && opened < TCP_OPEN_PER_TICK) {
				tcp_open(c);
				opened++;
			}
			continue;
		}
		if (!opening)
			c->pause_until = 0;	/* draining: no more pauses */
		if (!c->connecting)
			tcp_interest(c, now);
	}
}

int
tcp_open_count(void)
{
	return tcp_nopen;
}

/* Those still open when the drain ended: each a failure. */
void
tcp_stuck(void)
{
	int i;

	for (i = 0; i < soak_opt.conns; i++)
		if (tcp_clients[i].fd >= 0)
			tcp_fail(&tcp_clients[i], EV_TCP_STUCK,
			    tcp_clients[i].connecting ? "stuck connecting" :
			    "stuck", 0);
	free(tcp_clients);
	tcp_clients = NULL;
}

void
tcp_report(void)
{
	int k;

	printf("TCP:   %llu sessions done of %llu opened, peak %d concurrent "
	    "(target %d)\n", (unsigned long long)soak_ev[EV_TCP_DONE],
	    (unsigned long long)soak_ev[EV_TCP_OPENED], tcp_peak,
	    soak_opt.conns);
	printf("       by kind:");
	for (k = 0; k < KIND_COUNT; k++)
		printf(" %s %llu", kind_names[k],
		    (unsigned long long)soak_ev[EV_TCP_DONE_KIND + k]);
	printf("\n       injected server resets seen as resets: %llu\n",
	    (unsigned long long)soak_ev[EV_TCP_RESET_SEEN]);
}
