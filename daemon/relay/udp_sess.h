/*
 * Inside the UDP wing: a UDP session, the UDP side of a listening socket
 * (udp_sock.c), and what udp.c and udp_sock.c ask of each other.
 */
#ifndef MIOPROXY_RELAY_UDP_SESS_H
#define MIOPROXY_RELAY_UDP_SESS_H

#include <stdint.h>

#include <mio.h>
#include <netinet/in.h>

#include "relay/defer.h"
#include "relay/sess.h"

struct conf_listener;
struct lsock;
struct lstn;

/* The address a client sent to, on wildcard binds (else zero). */
struct udp_local {
	struct in6_addr	 addr;		/* IPv4 in the first 4 bytes */
	unsigned	 ifindex;
};

struct udp_sock;

struct udp_sess {
	struct sess	 s;		/* first: the session core */
	struct udp_sess	*hnext;		/* hash chain */
	struct udp_sess	*lru_prev;	/* towards the most recent */
	struct udp_sess	*lru_next;	/* towards the least recent */
	struct udp_sock	*us;		/* replies go out through it */
	int		 fd;		/* connected to the server */
	struct defer_node defer;	/* replies left unread: defer.h */
	uint16_t	 port;		/* fd's local port: see udp_port.c */
	uint8_t		 pp_hdr;	/* its header follows it: below */
	/* Part of the key, and the source of the replies. */
	struct udp_local local;
	uint64_t	 t_last;
	uint64_t	 dgrams_in;
	uint64_t	 dgrams_out;
	uint64_t	 hash;
};

/*
 * The PROXY header a session sends before each datagram to its server
 * (relay/udp_pp.c), allocated after the struct only for the sessions
 * whose upstream sends one, so that others pay nothing: a length byte,
 * then udp_pp_header_size() bytes.
 */
static inline uint8_t *
udp_sess_hdr(struct udp_sess *u)
{
	return (uint8_t *)(u + 1);
}

/*
 * Where u's replies go: the sender of the PROXY headers when one
 * carried the client (s.peer), else the client.
 */
static inline const union sess_peer *
udp_sess_reply_to(const struct udp_sess *u)
{
	return u->s.peer.sa.sa_family != 0 ? &u->s.peer : &u->s.client;
}

/* The UDP side of a listening socket: see udp_sock.c. */
struct udp_sock {
	struct lsock	*ls;		/* serving it now; NULL: draining, closed */
	int		 fd;		/* -1 once closed */
	int		 wildcard;	/* bound to 0.0.0.0 or [::]: pktinfo */
	int		 registered;
	/* Its listener takes PROXY headers (proxy_protocol.accept); kept
	 * while draining, for the sessions that still run through it. */
	int		 pp;
	struct mio_addr	 addr;		/* bound to */
	uint64_t	 nsessions;	/* replying through it */
	struct udp_sess	*lru_head;	/* most recent */
	struct udp_sess	*lru_tail;	/* least recent */
	struct udp_sock	*next;		/* draining, or the graveyard */
	struct defer_node defer;	/* datagrams left unread: defer.h */
	/* Draining, a datagram without a session (or truncated) has no
	 * listener to count it: counted here. */
	uint64_t	 dgrams_dropped;
};

/* udp_sock.c: the hooks of struct lstn_proto (listener.h says each). */
int	udp_sock_open(const struct conf_listener *cl,
	    const struct mio_addr *addr);
int	udp_sock_attach(struct lsock *ls);
int	udp_sock_serve(struct lsock *ls, struct lsock *prev);
int	udp_sock_release(struct lsock *ls);
int	udp_sock_kept(const struct mio_addr *addr);
void	udp_sock_reclaim(struct lsock *ls);

/* udp_sock.c: u replies through us from now on (most recent). */
void	udp_sock_add(struct udp_sock *us, struct udp_sess *u);
/* udp_sock.c: u ended; a draining socket closes with its last one. */
void	udp_sock_remove(struct udp_sock *us, struct udp_sess *u);
/*
 * udp_sock.c: the session to evict for a new client of l: none while
 * l's sockets carry fewer than udp.max_sessions sessions (counting those
 * that older generations still run through them), else the least
 * recently used.
 */
struct udp_sess *udp_sock_victim(const struct lstn *l);
/* udp_sock.c: frees the sockets closed in this batch. */
void	udp_sock_bury(void);
void	udp_sock_defer(struct udp_sock *us);
int	udp_sock_any_deferred(void);
struct defer_node *udp_sock_take_deferred(void);
struct udp_sock *udp_sock_next_deferred(struct defer_node **list);


/*
 * Recency, for udp.max_sessions: each socket keeps its sessions in order
 * of use, most recent first.  Inline, since every datagram touches it.
 */
static inline void
udp_lru_unlink(struct udp_sock *us, struct udp_sess *u)
{
	if (u->lru_prev != NULL)
		u->lru_prev->lru_next = u->lru_next;
	else
		us->lru_head = u->lru_next;
	if (u->lru_next != NULL)
		u->lru_next->lru_prev = u->lru_prev;
	else
		us->lru_tail = u->lru_prev;
	u->lru_prev = u->lru_next = NULL;
}

static inline void
udp_lru_front(struct udp_sock *us, struct udp_sess *u)
{
	u->lru_next = us->lru_head;
	u->lru_prev = NULL;
	if (us->lru_head != NULL)
		us->lru_head->lru_prev = u;
	us->lru_head = u;
	if (us->lru_tail == NULL)
		us->lru_tail = u;
}

/* u was used at `now`: to the front of its socket's order. */
static inline void
udp_sock_touch(struct udp_sock *us, struct udp_sess *u, uint64_t now)
{
	u->t_last = now;
	if (us->lru_head != u) {
		udp_lru_unlink(us, u);
		udp_lru_front(us, u);
	}
}

#endif /* MIOPROXY_RELAY_UDP_SESS_H */
