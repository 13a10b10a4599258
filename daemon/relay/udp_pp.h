/*
 * The PROXY protocol over UDP (v2 only, one header per datagram): what
 * a listener with proxy_protocol.accept reads off the front of each
 * datagram, and the header a session whose upstream sends one puts in
 * front of each datagram to its server.  udp_pp.c says why it is done
 * the way it is.
 */
#ifndef MIOPROXY_RELAY_UDP_PP_H
#define MIOPROXY_RELAY_UDP_PP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relay/sess.h"

struct conf_pp_accept;
struct mio_addr;

/* The largest header a session sends: v2 with IPv6 addresses, no TLV. */
#define UDP_PP_HDR_MAX	(16 + 36)

/* What the header of one received datagram says. */
struct udp_pp_in {
	const union sess_peer *peer;	/* the datagram's real source */
	union sess_peer	 client;	/* the session key: carried or peer */
	union sess_peer	 dst;		/* carried; family 0: none */
};

/*
 * Reads the header at the front of a datagram of len bytes from
 * in->peer, for a listener whose proxy_protocol is pp (NULL: a draining
 * socket, whose sessions' listeners check the sender later): the
 * header's length (> 0, the payload follows it) with in filled, or 0
 * when the datagram is to be dropped (an untrusted sender, no valid
 * v2 header, a header of another transport), said at a bounded rate
 * for `listener`.
 */
size_t	udp_pp_accept(const struct conf_pp_accept *pp, const char *listener,
	    const uint8_t *buf, size_t len, struct udp_pp_in *in);

/* Whether sa may send headers to a listener whose settings are pp. */
int	udp_pp_trusted(const struct conf_pp_accept *pp,
	    const struct sockaddr *sa);

/*
 * Writes into buf (cap bytes: udp_pp_header_size() of the client's
 * family, at most UDP_PP_HDR_MAX) the v2 header a session sends
 * in front of each datagram: DGRAM, from client to dst (the address
 * the client sent to).  Its length, or 0 (nothing to send: see
 * udp_pp.c).
 */
size_t	udp_pp_header(uint8_t *buf, size_t cap,
	    const union sess_peer *client, const union sess_peer *dst);

struct lstn;
struct udp_sess;
struct udp_sock;

/* Bytes a new session of l needs after its struct (udp_sess.h). */
size_t	udp_pp_ext_size(const struct lstn *l, const union sess_peer *client);
/* Writes there the header of u, a new session through us. */
void	udp_pp_ext_fill(struct udp_sess *u, struct udp_sock *us,
	    const struct udp_pp_in *ppi);
/* One datagram to u's server behind u's header: len, or -errno. */
ssize_t	udp_pp_send(struct udp_sess *u, const uint8_t *p, size_t len);

/* The size of a session's header for a client of this family. */
static inline size_t
udp_pp_header_size(int family)
{
	return family == AF_INET6 ? UDP_PP_HDR_MAX : 16 + 12;
}

#endif /* MIOPROXY_RELAY_UDP_PP_H */
