/*
 * An upstream at run time: its servers' records (server.h) and the
 * balancer over them.  Made with its generation and freed with it, so a
 * session's server stays valid for as long as the session holds its
 * generation.
 */
#ifndef MIOPROXY_UPSTREAM_UPSTREAM_H
#define MIOPROXY_UPSTREAM_UPSTREAM_H

#include <stdint.h>

#include <mio.h>

#include "conf/conf.h"
#include "upstream/balance.h"
#include "upstream/server.h"

struct upstream {
	const struct conf_upstream *conf;
	struct lb_pool	 pool;
	struct ups_server *servers;	/* in the configuration's order */
	uint32_t	 nservers;
};

/*
 * Makes u's records and balancer for cu, each server's record tied to
 * its kept record (made if new): 0 or -ENOMEM (then upstream_fini()
 * undoes what was made).
 */
int	upstream_init(struct upstream *u, const struct conf_upstream *cu);
/* Frees what upstream_init() made; harmless on an empty u. */
void	upstream_fini(struct upstream *u);

/*
 * The server for a client at `now` (the loop's ms), skipping
 * exclude[0..nex): its index, or -1 when none is eligible.  The caller
 * counts the session on it with upstream_acquire() and gives it back
 * with upstream_release().
 */
static inline int
upstream_pick(struct upstream *u, uint64_t now, const struct sockaddr *client,
    const uint32_t *exclude, unsigned nex)
{
	return lb_pick(&u->pool, now, client, exclude, nex);
}

static inline void
upstream_acquire(struct upstream *u, int i)
{
	lb_acquire(&u->pool, (uint32_t)i);
}

static inline void
upstream_release(struct upstream *u, int i)
{
	lb_release(&u->pool, (uint32_t)i);
}

/* The kept record of server i: its states and counters. */
static inline struct keep_srv *
upstream_keep(const struct upstream *u, int i)
{
	return u->servers[i].keep;
}

/* The address of server i. */
static inline const struct mio_addr *
upstream_addr(const struct upstream *u, int i)
{
	return &u->servers[i].conf->addr;
}

/*
 * Server i failed a client: a refused or timed-out connect, or an ICMP
 * refusal over UDP.  Counted, and a passive failure (upstream/health.h).
 */
void	upstream_failed(struct upstream *u, int i);
/*
 * Server i reset a session before sending it a byte: a passive failure
 * (health.h), though not a connect failure.
 */
void	upstream_reset_early(struct upstream *u, int i);

#endif /* MIOPROXY_UPSTREAM_UPSTREAM_H */
