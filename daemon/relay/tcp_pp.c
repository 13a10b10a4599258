/*
 * The PROXY protocol over TCP (issue 14; haproxy's proxy-protocol.txt):
 * a listener with proxy_protocol.accept reads a header before anything
 * else, and an upstream with proxy_protocol.send writes one.
 *
 * Accepting.  Only peers in `trusted` may send a header; others are
 * refused at accept (tcp_listen.c asks tcp_pp_untrusted()).  A trusted
 * peer's session waits in TCP_HEADER, its timer on the listener's
 * proxy_protocol.timeout, reading into its client flow's own buffer (no
 * other memory: the header is bounded by max_header, and the buffer is
 * made at least that large), and parsing what it holds after each read:
 * pp_parse() is incremental and keeps nothing between calls.  The first
 * bytes that cannot start a header end the session at once, not at the
 * timeout.  Bytes read past the header are the client's first data: they
 * stay in the buffer and go to the server like any other.
 *
 * The carried address is then the client everywhere (sess_set_client():
 * the ACL, which tcp.c applies next, balancing, the access log with the peer beside
 * it, the header sent on).  v2 LOCAL and v1 UNKNOWN keep the peer's.
 *
 * This file reads, judges and counts; tcp.c acts on what it answers
 * (goes on, or ends the session), so that neither calls into the other.
 *
 * Every refusal counts as rejected with reason proxy_protocol, ends with
 * an end reason of its cause (proxy_protocol_untrusted, _malformed,
 * _version, _oversized, _truncated, _timeout), and is logged at most once
 * per cause every PP_LOG_EVERY_MS, with the number left unsaid since:
 * a flood of bad clients cannot flood the log.
 *
 * Sending.  The header is made once, when the client is known (its
 * source the client, its destination the carried one or the listener's
 * own address), and written to each server before any client byte
 * (tcp_flow.c); a retry on another server writes it again, since it is
 * written only once a connection is up.  A v2 header sent passes on the
 * ALPN, authority and unique-id TLVs received, with a CRC32c computed
 * afresh when one came.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "proxyproto/pp.h"
#include "relay/listener.h"
#include "relay/tcp_sess.h"

#define PP_LOG_EVERY_MS		10000	/* per cause, at most */
#define PP_OUT_ADDR_MAX		(PP_V2_HDR + PP_V2_ADDR_UNIX)

enum pp_cause {
	PP_UNTRUSTED,
	PP_MALFORMED,
	PP_VERSION,
	PP_OVERSIZED,
	PP_TRUNCATED,
	PP_TIMEOUT,
	PP_CAUSE_N
};

static const struct {
	const char	*end;		/* the access log's end reason */
	const char	*what;		/* the error log's words */
} pp_causes[PP_CAUSE_N] = {
	{ "proxy_protocol_untrusted", "a peer not in trusted" },
	{ "proxy_protocol_malformed", "a malformed header" },
	{ "proxy_protocol_version", "a header of a version not accepted" },
	{ "proxy_protocol_oversized", "a header over max_header" },
	{ "proxy_protocol_truncated", "a header cut short by the peer" },
	{ "proxy_protocol_timeout", "no whole header within the timeout" },
};

/* When each cause was last logged, and how many since went unsaid. */
static struct log_every pp_log_state[PP_CAUSE_N];

static void
pp_log(const struct lstn *l, enum pp_cause c, const struct mio_addr *peer)
{
	char text[ADDR_STRLEN];
	uint64_t unsaid;

	if (!log_every_due(&pp_log_state[c], loop.now, PP_LOG_EVERY_MS,
	    &unsaid))
		return;
	if (unsaid == 0)
		log_warn("listener %s: proxy_protocol: %s from %s, closed",
		    l->conf->name, pp_causes[c].what,
		    addr_str(peer, text, sizeof(text)));
	else
		log_warn("listener %s: proxy_protocol: %s from %s, closed "
		    "(and %llu more since the last such line)", l->conf->name,
		    pp_causes[c].what, addr_str(peer, text, sizeof(text)),
		    (unsigned long long)unsaid);
}

int
tcp_pp_untrusted(struct lstn *l, const struct mio_addr *peer)
{
	if (l->conf->pp.accept == CONF_PP_OFF ||
	    conf_trusted(&l->conf->pp.trusted, &peer->u.sa))
		return 0;
	pp_log(l, PP_UNTRUSTED, peer);
	return 1;
}

/* Refuses t for cause c: counted, logged (at a rate); its end reason. */
static const char *
pp_refuse(struct tcp_sess *t, enum pp_cause c)
{
	struct mio_addr peer;

	sess_client_addr(&t->s, &peer);
	t->s.l->keep->rejected[KEEP_REJ_PROXY_PROTOCOL]++;
	pp_log(t->s.l, c, &peer);
	return pp_causes[c].end;
}

void
tcp_pp_start(struct tcp_sess *t)
{
	t->state = TCP_HEADER;
	(void)timer_set(&loop.timers, &t->s.timer,
	    loop.now + (uint64_t)t->s.l->conf->pp.timeout_ms);
}

const char *
tcp_pp_timeout(struct tcp_sess *t)
{
	return pp_refuse(t, PP_TIMEOUT);
}

static unsigned
pp_accepts(int accept)
{
	return accept == CONF_PP_V1 ? PP_ACCEPT_V1 : accept == CONF_PP_V2 ?
	    PP_ACCEPT_V2 : PP_ACCEPT_V1 | PP_ACCEPT_V2;
}

/*
 * A whole header of n bytes came: it leaves the buffer's data (what
 * follows it stays, the client's first data) and names the client.  The
 * buffer itself stays even when empty: h's TLVs point into it until the
 * header sent on is made (tcp.c gives it back after that).
 */
static void
pp_done(struct tcp_sess *t, const struct pp_header *h, size_t n)
{
	struct flow *f = &t->flow[0];

	f->buf->off = (uint32_t)n;
	f->buf->len -= (uint32_t)n;
	if (!h->local && h->src.len > 0)
		sess_set_client(&t->s, &h->src);
}

/* Parses what the buffer holds, as tcp_pp_event() answers. */
static int
pp_try(struct tcp_sess *t, struct pp_header *h, const char **end)
{
	const struct conf_pp_accept *pp = &t->s.l->conf->pp;
	struct relay_buf *b = t->flow[0].buf;
	ssize_t n;

	n = pp_parse((const uint8_t *)b->data, b->len, pp_accepts(pp->accept),
	    (size_t)pp->max_header, h);
	if (n == 0 && b->len < b->cap)
		return 0;
	if (n > 0) {
		pp_done(t, h, (size_t)n);
		return 1;
	}
	*end = pp_refuse(t, n == -EPROTO ? PP_VERSION : n == -EMSGSIZE ||
	    n == 0 ? PP_OVERSIZED : PP_MALFORMED);
	return -1;
}

int
tcp_pp_event(struct tcp_sess *t, uint32_t flags, struct pp_header *h,
    const char **end)
{
	const struct conf_listener *cl = t->s.l->conf;
	struct flow *f = &t->flow[0];
	uint32_t cap;
	ssize_t n;
	int rc;

	flow_note_read(f, flags);
	/* An edge of room for the client comes once: keep it for later. */
	if (flags & (MIO_WRITABLE | MIO_WRITE_CLOSED | MIO_ERROR))
		t->flow[1].dst_wr = 1;
	cap = (uint32_t)(cl->limits.buffer_size > cl->pp.max_header ?
	    cl->limits.buffer_size : cl->pp.max_header);
	while (f->src_rd) {
		if (f->buf == NULL && (f->buf = flow_buf_take(cap)) == NULL) {
			*end = "no_memory";
			return -1;
		}
		n = mio_read(t->fd[0], f->buf->data + f->buf->len,
		    f->buf->cap - f->buf->len);
		if (n == -EAGAIN) {
			f->src_rd = 0;
		} else if (n < 0) {
			*end = "reset";
			return -1;
		} else if (n == 0) {
			*end = pp_refuse(t, PP_TRUNCATED);
			return -1;
		} else {
			f->buf->len += (uint32_t)n;
			if ((rc = pp_try(t, h, end)) != 0)
				return rc;
		}
	}
	return 0;
}

/* The TLVs of h a v2 header passes on, into out (room for h's): bytes. */
static size_t
pp_pass_tlvs(const struct pp_header *h, uint8_t *out, int *crc)
{
	struct pp_tlv_iter it = { h->tlv, h->tlv + h->tlv_len };
	const uint8_t *val;
	uint16_t vlen;
	uint8_t type;
	size_t n = 0;

	while (pp_tlv_next(&it, &type, &val, &vlen) == 1) {
		if (type == PP2_TYPE_CRC32C)
			*crc = 1;
		if (type != PP2_TYPE_ALPN && type != PP2_TYPE_AUTHORITY &&
		    type != PP2_TYPE_UNIQUE_ID)
			continue;
		out[n++] = type;
		out[n++] = (uint8_t)(vlen >> 8);
		out[n++] = (uint8_t)vlen;
		memcpy(out + n, val, vlen);
		n += vlen;
	}
	return n;
}

int
tcp_pp_out(struct tcp_sess *t, const struct pp_header *h)
{
	struct mio_addr src, dst;
	struct relay_buf *b;
	uint8_t *tlv = NULL;
	size_t tlv_len = 0, cap;
	ssize_t n;
	int crc = 0, v2 = t->s.ups->conf->pp.send == CONF_PP_V2;

	if (h != NULL && !h->local && h->src.len > 0)
		src = h->src;		/* whole, even a Unix path */
	else
		sess_client_addr(&t->s, &src);
	memset(&dst, 0, sizeof(dst));
	if (h != NULL && !h->local && h->dst.len > 0)
		dst = h->dst;
	else if (mio_local_addr(t->fd[0], &dst) != 0)
		dst.len = 0;
	if (v2 && h != NULL && h->tlv_len > 0) {
		if ((tlv = malloc(h->tlv_len)) == NULL)
			return -ENOMEM;
		tlv_len = pp_pass_tlvs(h, tlv, &crc);
	}
	cap = PP_OUT_ADDR_MAX + tlv_len + (crc ? 7 : 0);
	if ((b = malloc(sizeof(*b) + cap)) == NULL) {
		free(tlv);
		return -ENOMEM;
	}
	n = v2 ? pp_write_v2((uint8_t *)b->data, cap, SOCK_STREAM, &src,
	    dst.len > 0 ? &dst : NULL, tlv, tlv_len, crc) :
	    pp_write_v1((uint8_t *)b->data, cap, &src,
	    dst.len > 0 ? &dst : NULL);
	free(tlv);
	if (n <= 0) {
		/* Cannot happen: the room is the largest header there is,
		 * and what is passed on came in one no larger. */
		free(b);
		return n < 0 ? (int)n : -EINVAL;
	}
	b->cap = (uint32_t)cap;
	b->off = 0;
	b->len = (uint32_t)n;
	free(t->pp_out);
	t->pp_out = b;
	return 0;
}
