/*
 * The UDP clients: soak_opt.udp sockets, two thirds on the proxy's "udp"
 * listener (sessions end by timeout), a third on its "dns" one (each
 * request's reply ends its session), each with one request in flight.
 * Some requests ask the server to answer late (past the session's
 * timeout, so that the reply arrives for an ended session) or twice;
 * some clients go quiet longer than the session timeout; some replace
 * their socket (a new port, a new serial).
 *
 * A reply is checked by content, by source (the listener's address),
 * and by owner: every datagram names the serial of the socket that sent
 * it, and each socket has an address of its own in 127.0.0.0/8, never
 * used again in the run, so one that reaches another socket (another
 * client, or the same client's next socket) is a misdelivery, however
 * plausible the rest.  (With addresses reused, the kernel would give a
 * new socket the port of one just closed, and the proxy, rightly, the
 * old one's session and its late replies.)
 * Lost replies are counted, not failed: UDP may lose, and the dns
 * listener's max_sessions evicts on purpose.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "soak.h"

#define UDP_HISTORY	8	/* requests remembered per client */
#define UDP_TIMEOUT_MS	3000	/* past the server's delay */
#define UDP_FAIL_SHOWN	10
#define UDP_ADDR_BASE	0x7f010000u	/* 127.1.0.0 + the socket's serial */

enum udp_state { REQ_NONE, REQ_OUT, REQ_REPLIED, REQ_TWICE, REQ_LOST };

struct udp_req {
	uint32_t	seq;
	uint32_t	len;
	uint64_t	seed;
	uint8_t		state;
	uint8_t		dup;
	uint16_t	delay_ms;
};

struct udp_client {
	int		 tag;
	int		 fd;
	int		 dns;		/* on the dns listener */
	uint32_t	 serial;
	uint32_t	 seq;		/* the last sent */
	int64_t		 next_at;	/* the next request, when idle */
	int64_t		 deadline;	/* the one in flight, if any */
	struct udp_req	 hist[UDP_HISTORY];	/* by seq % UDP_HISTORY */
};

static struct udp_client *udp_clients;
static struct sockaddr_in udp_addr[2];	/* udp, dns */
static uint32_t udp_next_serial;
static int udp_nout;
static unsigned udp_shown;
static unsigned char udp_buf[SOAK_DGRAM_MAX];

static void
udp_describe(const struct udp_client *c, const char *what,
    const struct soak_dgram *d)
{
	if (udp_shown++ >= UDP_FAIL_SHOWN)
		return;
	fprintf(stderr, "soak: udp socket %u (%s listener, last seq %u): %s "
	    "(datagram of socket %u, seq %u)\n", c->serial, c->dns ? "dns" :
	    "udp", c->seq, what, d->client, d->seq);
}

static void
udp_socket(struct udp_client *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int size = 1 << 20;

	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		soak_fail("udp socket: %s", strerror(errno));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* An address of its own, never used again: a reply for the
	 * socket this one replaces can only come here by the proxy's
	 * fault, not because the kernel gave us its port again. */
	c->serial = ++udp_next_serial;
	a.sin_addr.s_addr = htonl(UDP_ADDR_BASE + c->serial);
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		soak_fail("udp bind: %s", strerror(errno));
	memset(c->hist, 0, sizeof(c->hist));
	soak_watch(c->fd, c, EPOLLIN, 1);
	soak_ev[EV_UDP_SOCKETS]++;
}

void
udp_start(const struct proxy_ports *pp)
{
	int i;

	udp_clients = calloc((size_t)soak_opt.udp, sizeof(*udp_clients));
	if (udp_clients == NULL)
		soak_fail("out of memory");
	for (i = 0; i < 2; i++) {
		udp_addr[i].sin_family = AF_INET;
		udp_addr[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		udp_addr[i].sin_port = htons((uint16_t)(i ? pp->dns : pp->udp));
	}
	for (i = 0; i < soak_opt.udp; i++) {
		struct udp_client *c = &udp_clients[i];

		c->tag = TAG_UDP_CLIENT;
		c->dns = i % 3 == 2;
		c->next_at = soak_now() + (int64_t)rnd_below(1000);
		udp_socket(c);
	}
}

static void
udp_send(struct udp_client *c, int64_t now)
{
	struct udp_req *r = &c->hist[(c->seq + 1) % UDP_HISTORY];
	struct soak_dgram d = { .magic = SOAK_MAGIC };
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->seq = c->seq + 1;
	r->len = (uint32_t)rnd_log(SOAK_DHDR, SOAK_DGRAM_MAX);
	r->seed = rnd();
	r->dup = rnd_percent(5);
	r->delay_ms = rnd_percent(3) ? (uint16_t)(500 + rnd_below(2500)) : 0;
	d.client = c->serial;
	d.seq = r->seq;
	d.len = r->len;
	d.seed = r->seed;
	d.dup = r->dup;
	d.delay_ms = r->delay_ms;
	d.dns = (uint8_t)c->dns;
	d.sent_ms = (uint32_t)now;
	memcpy(udp_buf, &d, sizeof(d));
	pat_fill(d.seed, SOAK_DHDR, udp_buf + SOAK_DHDR, r->len - SOAK_DHDR);
	n = sendto(c->fd, udp_buf, r->len, 0,
	    (struct sockaddr *)&udp_addr[c->dns], sizeof(udp_addr[0]));
	if (n < 0) {
		/* A full send buffer: try again at the next tick. */
		soak_ev[EV_UDP_SEND_ERR]++;
		return;
	}
	c->seq = r->seq;
	r->state = REQ_OUT;
	c->deadline = now + UDP_TIMEOUT_MS + r->delay_ms;
	udp_nout++;
	soak_ev[EV_UDP_SENT]++;
	soak_ev[EV_UDP_BYTES_SENT] += r->len;
}

/* The pause after a reply: mostly short, sometimes past the session. */
static void
udp_next(struct udp_client *c, int64_t now)
{
	c->deadline = 0;
	udp_nout--;
	c->next_at = now + (rnd_percent(5) ? (int64_t)rnd_below(4000) :
	    (int64_t)rnd_below(50));
	if (rnd_percent(1)) {
		close(c->fd);
		udp_socket(c);
	}
}

/*
 * A reply for another socket's request.  The request went through a
 * session of the proxy that was alive when it was sent, and mioproxy(8)
 * promises that the session's port then rests SOAK_UDP_REST_MS after the
 * session's end: so a reply the server sent sooner than that rest after
 * the request is delivered to no one else, ever, and on the udp
 * listener, which evicts no session, not before the session timeout plus
 * the rest.  On loopback a datagram reaches its socket's queue within
 * the server's sendto(), so the server's clock at that call (replied_ms)
 * says which socket held the port.  Later replies reaching the port's
 * next session are what the man page allows; they are counted apart.
 */
static void
udp_misdelivered(const struct udp_client *c, const struct soak_dgram *d)
{
	uint32_t age = d->replied_ms - d->sent_ms;
	uint32_t safe = SOAK_UDP_REST_MS + (d->dns ? 0 : SOAK_UDP_TIMEOUT_MS);
	char what[128];

	snprintf(what, sizeof(what), "another socket's reply, answered %u ms "
	    "after its request (%s)", age, age < safe ? "within the guarantee" :
	    "past the port's rest");
	udp_describe(c, what, d);
	soak_ev[age < safe ? EV_UDP_MISDELIVERED :
	    EV_UDP_MISDELIVERED_LATE]++;
}

/* One datagram received by c: checked, and counted. */
static void
udp_reply(struct udp_client *c, size_t n, const struct sockaddr_in *from,
    int64_t now)
{
	struct soak_dgram d;
	struct udp_req *r;

	memset(&d, 0, sizeof(d));
	if (n >= sizeof(d))
		memcpy(&d, udp_buf, sizeof(d));
	if (from->sin_port != udp_addr[c->dns].sin_port ||
	    from->sin_addr.s_addr != udp_addr[c->dns].sin_addr.s_addr) {
		udp_describe(c, "reply from another address", &d);
		soak_ev[EV_UDP_WRONG_SOURCE]++;
		return;
	}
	if (n < sizeof(d) || d.magic != SOAK_MAGIC) {
		udp_describe(c, "not a datagram of ours", &d);
		soak_ev[EV_UDP_CORRUPT]++;
		return;
	}
	if (d.client != c->serial) {
		udp_misdelivered(c, &d);
		return;
	}
	r = &c->hist[d.seq % UDP_HISTORY];
	if (d.seq > c->seq || (c->seq - d.seq < UDP_HISTORY &&
	    r->seq != d.seq)) {
		udp_describe(c, "reply to a request never sent", &d);
		soak_ev[EV_UDP_UNKNOWN_SEQ]++;
		return;
	}
	if (c->seq - d.seq >= UDP_HISTORY) {
		soak_ev[EV_UDP_LATE]++;	/* too old to check further */
		return;
	}
	if (d.len != n || d.len != r->len || d.seed != r->seed ||
	    pat_check(d.seed, SOAK_DHDR, udp_buf + SOAK_DHDR,
	    n - SOAK_DHDR) != 0) {
		udp_describe(c, "reply differs from its request", &d);
		soak_ev[EV_UDP_CORRUPT]++;
		return;
	}
	soak_ev[EV_UDP_BYTES_RECV] += n;
	switch (r->state) {
	case REQ_OUT:
		r->state = REQ_REPLIED;
		soak_ev[EV_UDP_REPLIED]++;
		udp_next(c, now);
		break;
	case REQ_LOST:
		r->state = REQ_REPLIED;
		soak_ev[EV_UDP_LATE]++;
		break;
	case REQ_REPLIED:
		if (r->dup) {
			r->state = REQ_TWICE;
			soak_ev[EV_UDP_DUP_EXPECTED]++;
			break;
		}
		/* FALLTHROUGH */
	default:
		udp_describe(c, "one reply too many", &d);
		soak_ev[EV_UDP_DUPLICATE]++;
		break;
	}
}

void
udp_event(void *tag, uint32_t events)
{
	struct udp_client *c = tag;
	int64_t now = soak_now();
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(c->fd, udp_buf, sizeof(udp_buf), 0,
		    (struct sockaddr *)&from, &flen);

		if (n < 0)
			break;	/* EAGAIN; ICMP errors are losses */
		udp_reply(c, (size_t)n, &from, now);
	}
}

/* Sends what is due, and gives up on replies that did not come. */
void
udp_tick(int64_t now, int sending)
{
	int i;

	for (i = 0; i < soak_opt.udp; i++) {
		struct udp_client *c = &udp_clients[i];

		if (c->deadline != 0 && now >= c->deadline) {
			struct udp_req *r = &c->hist[c->seq % UDP_HISTORY];

			r->state = REQ_LOST;
			soak_ev[r->delay_ms ? EV_UDP_LOST_DELAYED : c->dns ?
			    EV_UDP_LOST_DNS : EV_UDP_LOST]++;
			udp_next(c, now);
		}
		if (sending && c->deadline == 0 && now >= c->next_at)
			udp_send(c, now);
	}
}

int
udp_outstanding(void)
{
	return udp_nout;
}

void
udp_stop(void)
{
	int i;

	for (i = 0; i < soak_opt.udp; i++)
		close(udp_clients[i].fd);
	free(udp_clients);
	udp_clients = NULL;
}

void
udp_report(void)
{
	printf("UDP:   %d client sockets at once (%llu in all), %llu requests "
	    "(%llu bytes), %llu replies checked (%llu bytes)\n", soak_opt.udp,
	    (unsigned long long)soak_ev[EV_UDP_SOCKETS],
	    (unsigned long long)soak_ev[EV_UDP_SENT],
	    (unsigned long long)soak_ev[EV_UDP_BYTES_SENT],
	    (unsigned long long)soak_ev[EV_UDP_REPLIED],
	    (unsigned long long)soak_ev[EV_UDP_BYTES_RECV]);
	printf("       no reply in %d ms: %llu on udp, %llu on dns "
	    "(max_sessions evicts), %llu asked to be late; late replies %llu,"
	    " second copies asked for %llu\n", UDP_TIMEOUT_MS,
	    (unsigned long long)soak_ev[EV_UDP_LOST],
	    (unsigned long long)soak_ev[EV_UDP_LOST_DNS],
	    (unsigned long long)soak_ev[EV_UDP_LOST_DELAYED],
	    (unsigned long long)soak_ev[EV_UDP_LATE],
	    (unsigned long long)soak_ev[EV_UDP_DUP_EXPECTED]);
	printf("       late replies that reached another socket after the "
	    "port's %d ms rest (mioproxy(8) allows it): %llu\n",
	    SOAK_UDP_REST_MS,
	    (unsigned long long)soak_ev[EV_UDP_MISDELIVERED_LATE]);
}
