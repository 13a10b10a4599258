/*
 * The PROXY protocol over UDP (udp_pp.h).
 *
 * Accepting: every datagram from a trusted sender begins with a v2
 * header; its length is all udp.c needs, since the payload is forwarded
 * from that offset in the receive buffer (never copied).  The carried
 * source is the session's key and client address, so that the clients
 * behind one sending proxy (dnsdist, say) have sessions of their own;
 * the sender itself is kept by the session, which replies to it without
 * a header, as such senders expect.  LOCAL (a sender's own traffic, a
 * health check), a family of UNSPEC, a transport of UNSPEC and
 * addresses that are no IP address keep the sender as the client, as
 * the specification allows.  A header that says STREAM is no UDP
 * client's and is refused.
 *
 * Sending: the header of a session never changes, so it is written
 * once, when the session starts, and kept in it (udp_sess.h); udp.c
 * sends it as the first iovec of each datagram.
 *
 * A refused datagram is said in the error log at most once per cause
 * every UDP_PP_WARN_MS, with the count of those not said: a flood of
 * forged datagrams must not become a flood of log lines.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "proxyproto/pp.h"
#include "relay/listener.h"
#include "relay/udp_pp.h"
#include "relay/udp_sess.h"
#include "upstream/upstream.h"

#define UDP_PP_WARN_MS	10000

enum udp_pp_cause {
	UDP_PP_UNTRUSTED,
	UDP_PP_TRUNCATED,
	UDP_PP_MALFORMED,
	UDP_PP_TOO_LARGE,
	UDP_PP_NOT_V2,
	UDP_PP_STREAM,
	UDP_PP_NCAUSES
};

static const char *const udp_pp_why[UDP_PP_NCAUSES] = {
	"sender not trusted",
	"no PROXY v2 header, or a truncated one",
	"malformed PROXY header",
	"PROXY header over max_header",
	"PROXY v1 header (UDP takes v2 only)",
	"PROXY header of a stream transport"
};

static struct log_every udp_pp_warned[UDP_PP_NCAUSES];

static void
udp_pp_refused(enum udp_pp_cause c, const char *listener,
    const union sess_peer *peer)
{
	struct mio_addr a;
	char from[MIO_ADDR_STRLEN];
	uint64_t unsaid;

	if (!log_every_due(&udp_pp_warned[c], loop.now, UDP_PP_WARN_MS,
	    &unsaid))
		return;
	memset(&a, 0, sizeof(a));
	a.len = peer->sa.sa_family == AF_INET ?
	    sizeof(peer->in4) : sizeof(peer->in6);
	memcpy(&a.u, peer, a.len);
	addr_str(&a, from, sizeof(from));
	if (unsaid == 0)
		log_warn("listener %s: datagram from %s dropped: %s",
		    listener, from, udp_pp_why[c]);
	else
		log_warn("listener %s: datagram from %s dropped: %s (and %llu "
		    "more since the last such line)", listener, from,
		    udp_pp_why[c], (unsigned long long)unsaid);
}

int
udp_pp_trusted(const struct conf_pp_accept *pp, const struct sockaddr *sa)
{
	return conf_trusted(&pp->trusted, sa);
}

/* The session's client and carried destination from a parsed header. */
static void
udp_pp_addresses(const struct pp_header *h, struct udp_pp_in *in)
{
	int family = h->src.u.sa.sa_family;

	memset(&in->dst, 0, sizeof(in->dst));
	if (h->local || h->socktype == 0 ||
	    (family != AF_INET && family != AF_INET6)) {
		memcpy(&in->client, in->peer, sizeof(in->client));
		return;
	}
	memset(&in->client, 0, sizeof(in->client));
	memcpy(&in->client, &h->src.u, family == AF_INET ?
	    sizeof(in->client.in4) : sizeof(in->client.in6));
	memcpy(&in->dst, &h->dst.u, family == AF_INET ?
	    sizeof(in->dst.in4) : sizeof(in->dst.in6));
}

size_t
udp_pp_accept(const struct conf_pp_accept *pp, const char *listener,
    const uint8_t *buf, size_t len, struct udp_pp_in *in)
{
	struct pp_header h;
	size_t cap = PP_V2_MAX;
	ssize_t n;
	enum udp_pp_cause c;

	if (pp != NULL) {
		if (!udp_pp_trusted(pp, &in->peer->sa)) {
			udp_pp_refused(UDP_PP_UNTRUSTED, listener, in->peer);
			return 0;
		}
		if (pp->max_header > 0 && pp->max_header < PP_V2_MAX)
			cap = (size_t)pp->max_header;
	}
	n = pp_parse(buf, len, PP_ACCEPT_V2, cap, &h);
	if (n > 0 && (h.local || h.socktype != SOCK_STREAM)) {
		udp_pp_addresses(&h, in);
		return (size_t)n;
	}
	if (n > 0)
		c = UDP_PP_STREAM;
	else if (n == 0)
		c = UDP_PP_TRUNCATED;	/* a datagram is all there is */
	else if (n == -EMSGSIZE)
		c = UDP_PP_TOO_LARGE;
	else if (n == -EPROTO)
		c = UDP_PP_NOT_V2;
	else
		c = UDP_PP_MALFORMED;
	udp_pp_refused(c, listener, in->peer);
	return 0;
}

/* A sess_peer as an address for the writer. */
static void
udp_pp_addr(const union sess_peer *p, struct mio_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = p->sa.sa_family == AF_INET ? sizeof(p->in4) : sizeof(p->in6);
	memcpy(&a->u, p, a->len);
}

size_t
udp_pp_header(uint8_t *buf, size_t cap, const union sess_peer *client,
    const union sess_peer *dst)
{
	struct mio_addr src, to;
	ssize_t n;

	udp_pp_addr(client, &src);
	udp_pp_addr(dst, &to);
	/* Families that differ (an IPv4 client of an IPv6 bind) make a
	 * LOCAL header: the writer's rule. */
	n = pp_write_v2(buf, cap, SOCK_DGRAM, &src, &to, NULL, 0, 0);
	return n > 0 ? (size_t)n : 0;
}

/*
 * The bytes a new session of l needs after its struct: the header to
 * send when l's upstream sends one (v2: the configuration refuses v1
 * for an upstream of a udp listener), else none.
 */
size_t
udp_pp_ext_size(const struct lstn *l, const union sess_peer *client)
{
	if (l->ups->conf->pp.send != CONF_PP_V2)
		return 0;
	return 1 + udp_pp_header_size(client->sa.sa_family);
}

/*
 * Writes the header of u, a new session through us: its
 * destination is the one a header received carried, else the address
 * the client sent to (the bind's, or on a wildcard bind the request's).
 */
void
udp_pp_ext_fill(struct udp_sess *u, struct udp_sock *us,
    const struct udp_pp_in *ppi)
{
	union sess_peer dst;
	uint8_t *hdr;

	u->pp_hdr = 1;
	if (ppi != NULL && ppi->dst.sa.sa_family != 0)
		dst = ppi->dst;
	else {
		memset(&dst, 0, sizeof(dst));
		memcpy(&dst, &us->addr.u, us->addr.len < sizeof(dst) ?
		    us->addr.len : sizeof(dst));
		if (us->wildcard && dst.sa.sa_family == AF_INET)
			memcpy(&dst.in4.sin_addr, &u->local.addr, 4);
		else if (us->wildcard)
			dst.in6.sin6_addr = u->local.addr;
	}
	hdr = udp_sess_hdr(u);
	hdr[0] = (uint8_t)udp_pp_header(hdr + 1,
	    udp_pp_header_size(u->s.client.sa.sa_family), &u->s.client, &dst);
}

/*
 * One datagram to u's server, behind u's header: the header and the
 * payload as two iovecs of one sendmsg, so the payload is not copied.
 */
ssize_t
udp_pp_send(struct udp_sess *u, const uint8_t *p, size_t len)
{
	struct iovec iov[2];
	uint8_t *hdr = udp_sess_hdr(u);
	ssize_t n;

	iov[0].iov_base = hdr + 1;
	iov[0].iov_len = hdr[0];
	iov[1].iov_base = (void *)(uintptr_t)p;
	iov[1].iov_len = len;
	n = mio_writev(u->fd, iov, 2);
	return n < 0 ? n : (ssize_t)len;
}
