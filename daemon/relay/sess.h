/*
 * The session core: what every session has, whatever its protocol.
 *
 *  - a place in the registry of live sessions (for counting, for the
 *    end of a stop's grace, and later for the admin socket);
 *  - a reference on the generation it started in, so that a reload never
 *    pulls its listener, upstream or server from under it;
 *  - its listener's counters and its server's share of the balancer
 *    (a kind without a client, such as a health probe, has neither
 *    listener nor access record: sess_start_own());
 *  - one timer, whose heap slot is held from start to end so that arming
 *    it never fails (timer.h);
 *  - the bytes moved each way, and the access record when it ends;
 *  - burial after the batch: an ended session is marked dead at once and
 *    freed only by sess_bury(), after the batch, since a later event of
 *    the same batch may still name it.
 *
 * A kind of session (TCP, UDP; later stats and admin clients, health
 * probes) embeds `struct sess` as its first member, is malloc'd, and
 * gives a `struct sess_kind`: its name in the access log, how to end it
 * from outside, and what it adds to the access record.  It closes its
 * own descriptors, then calls sess_finish().
 */
#ifndef MIOPROXY_RELAY_SESS_H
#define MIOPROXY_RELAY_SESS_H

#include <errno.h>
#include <stdint.h>

#include <mio.h>
#include <netinet/in.h>

#include "relay/listener.h"
#include "timer.h"
#include "upstream/upstream.h"

struct access_rec;
struct gen;
struct lstn;
struct sess;
struct upstream;

/*
 * The client's address, compactly (an idle session is mostly its
 * structures): IP addresses whole; a Unix client only as its family,
 * since its address is almost always unnamed.
 */
union sess_peer {
	struct sockaddr		sa;
	struct sockaddr_in	in4;
	struct sockaddr_in6	in6;
};

struct sess_kind {
	const char	*proto;		/* "tcp", "udp": the access log's */
	/* Ends s at once, in an orderly way (a stop's grace ran out). */
	void		(*end)(struct sess *s, const char *reason);
	/* Adds what only this kind knows to s's access record. */
	void		(*record)(const struct sess *s, struct access_rec *r);
	/* Ends s at once, abruptly (an operator's `shutdown sessions`):
	 * a TCP reset; NULL: as `end`. */
	void		(*abort)(struct sess *s, const char *reason);
};

struct sess {
	struct sess	*next;		/* registry, then the graveyard */
	struct sess	*prev;
	const struct sess_kind *kind;
	struct gen	*gen;		/* held; NULL: none */
	struct lstn	*l;		/* where the client came in; NULL: none */
	struct upstream	*ups;		/* its servers; NULL: none */
	int32_t		 server;	/* into ups->servers; -1: none */
	uint8_t		 dead;
	/* Records still due from the completion ring (relay/tcp_uring.c)
	 * that name this session: its burial waits for them. */
	uint16_t	 pins;
	struct timer	 timer;
	uint64_t	 t_start;
	uint64_t	 bytes[2];	/* [0] client to server, [1] back */
	union sess_peer	 client;
	/* The proxy in front when a PROXY protocol header gave `client`
	 * (issue 14); family 0: none, the client connected itself. */
	union sess_peer	 peer;
};

/*
 * Starts s (zeroed by the caller) for a client of l: into the registry,
 * a reference on l's generation, a held timer slot running `fn`, the
 * listener's count.  0, or -ENOMEM with nothing to undo.
 */
int	sess_start(struct sess *s, const struct sess_kind *kind,
	    struct lstn *l, const struct mio_addr *client, timer_fn *fn);
/*
 * Starts s for a kind with no client and no listener (a health probe,
 * a stats or admin client): into the registry, a reference on gen (if
 * any), a held timer slot; ups (if any) names the servers it may use.
 * No listener counts it and it writes no access record.  0 or -ENOMEM.
 */
int	sess_start_own(struct sess *s, const struct sess_kind *kind,
	    struct gen *gen, struct upstream *ups, timer_fn *fn);
/*
 * Ends s once its kind has closed its descriptors: the access record,
 * the server's share, the timer slot, the counts, out of the registry.
 * Harmless on a dead session.
 */
void	sess_finish(struct sess *s, const char *reason);
/* Frees the sessions that ended in this batch, but for pinned ones. */
void	sess_bury(void);
/* Drops every pin (the ring that held them is gone): the next
 * sess_bury() frees them all. */
void	sess_unpin_all(void);
/* Ends every live session through its kind's end hook. */
void	sess_end_all(const char *reason);
/*
 * Ends at once every live session on the server whose kept record is k,
 * whatever its generation, through its kind's abort hook: how many.
 */
uint64_t sess_abort_matching(const struct keep_srv *k, const char *reason);
/* Live sessions, every kind together. */
uint64_t sess_count(void);
/* The access record of a client refused before it had a session. */
void	sess_refused(const struct lstn *l, const char *proto,
	    const struct mio_addr *client, const char *reason);
/*
 * Whether err says the proxy itself is short of something (descriptors,
 * memory, local ports), which is no server's fault: a failure to count
 * against a server must never be one of these, or a descriptor limit
 * would pass for a dead backend.
 */
static inline int
sess_own_shortage(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOBUFS ||
	    err == -ENOMEM || err == -EADDRNOTAVAIL;
}
/*
 * n bytes moved for s in direction dir (0: client to server): the
 * session's, its listener's and its server's counts, so that the metrics
 * move while a long session runs.  s has a listener and a server.
 */
static inline void
sess_count_bytes(struct sess *s, int dir, uint64_t n)
{
	s->bytes[dir] += n;
	s->l->keep->bytes[dir] += n;
	upstream_keep(s->ups, s->server)->bytes[dir] += n;
}

/* s's client as an address. */
void	sess_client_addr(const struct sess *s, struct mio_addr *out);
/*
 * A PROXY protocol header said who the client is: `client` becomes s's
 * client everywhere from now on (balancing, the access log), and the
 * address it had becomes the peer's, for the access log.
 */
void	sess_set_client(struct sess *s, const struct mio_addr *client);
/* The address of s's server; NULL while it has none. */
const struct mio_addr *sess_server_addr(const struct sess *s);

#endif /* MIOPROXY_RELAY_SESS_H */
