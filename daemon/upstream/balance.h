/*
 * Load balancing: which server of an upstream gets the next connection
 * (or UDP session).  The algorithms of CONFIG.md:
 *
 *  round_robin  smooth weighted round robin (nginx's): over any window of
 *               sum(weights) picks each server gets exactly its weight,
 *               interleaved rather than in bursts;
 *  least_conn   fewest active connections per unit of weight, ties
 *               broken in turn so that equal servers share the load;
 *  source_hash  the client's address (not its port) picks the server, so
 *               a client stays on one server while it is available; the
 *               weights shape the share of clients each server gets;
 *  random_two   two distinct random candidates, the less loaded wins
 *               ("the power of two choices");
 *  consistent_hash  Maglev (maglev.h): the client's address, or address
 *               and port, picks an entry of a table built from the
 *               servers' addresses and file weights, the same in every
 *               process with the same servers; an ineligible server's
 *               clients walk on to their next entries (at most
 *               LB_MAGLEV_WALK, then the next eligible server in order)
 *               while everyone else stays.  The table is built by
 *               lb_init() and never changes with the servers' states;
 *               slow start and an operator's weight do not move clients.
 *
 * A server is eligible when it takes new sessions (up, not ejected, not
 * drained or in maintenance: model/keep.h), is not excluded (already
 * tried for this client) and is below its max_connections, counted over
 * every generation.  Backup servers are eligible only when no primary
 * is: every primary is down, drained, full or failed for this client.
 * Weights are the effective ones (the operator's, ramped by slow start:
 * keep_srv_weight()).  Picking allocates nothing.
 */
#ifndef MIOPROXY_UPSTREAM_BALANCE_H
#define MIOPROXY_UPSTREAM_BALANCE_H

#include <stdint.h>

#include <sys/socket.h>

#include "upstream/maglev.h"
#include "upstream/server.h"

/* consistent_hash's walk past ineligible entries, before a scan. */
#define LB_MAGLEV_WALK	64

enum lb_algo {
	LB_ROUND_ROBIN,
	LB_LEAST_CONN,
	LB_SOURCE_HASH,
	LB_RANDOM_TWO,
	LB_CONSISTENT_HASH
};

struct lb_pool {
	enum lb_algo	  algo;
	struct ups_server *servers;
	uint32_t	  n;
	uint32_t	  turn;		/* least_conn's tie-breaking start */
	uint64_t	  rng;		/* random_two's xorshift state */
	int64_t		  slow_start_ms;	/* 0: none */
	uint64_t	  now;		/* ms, of the pick under way */
	struct maglev	  maglev[2];	/* consistent_hash: primaries, backups */
	int		  hash_port;	/* consistent_hash: the client's port too */
};

/*
 * Prepares a pool over servers[0..n) (owned by the caller): 0, or
 * -ENOMEM (consistent_hash's tables; then lb_fini() frees what was
 * made).  consistent_hash hashes each server's conf->addr.
 */
int	lb_init(struct lb_pool *pool, enum lb_algo algo,
	    struct ups_server *servers, uint32_t n, uint64_t seed);
/* Frees what lb_init() made; harmless on a zeroed pool. */
void	lb_fini(struct lb_pool *pool);

/*
 * Picks a server for a client at `now` (ms; slow start's clock),
 * skipping the indices in exclude[0..nex).  Returns its index, or -1
 * when none is eligible.  The caller counts the connection with
 * lb_acquire() once it uses the server.
 */
int	lb_pick(struct lb_pool *pool, uint64_t now,
	    const struct sockaddr *client, const uint32_t *exclude,
	    unsigned nex);

static inline void
lb_acquire(struct lb_pool *pool, uint32_t i)
{
	pool->servers[i].keep->active++;
}

static inline void
lb_release(struct lb_pool *pool, uint32_t i)
{
	pool->servers[i].keep->active--;
}

/* The hash of a client's address without its port (FNV-1a, 64 bits). */
uint64_t lb_client_hash(const struct sockaddr *client);

#endif /* MIOPROXY_UPSTREAM_BALANCE_H */
