/*
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016): a lookup table
 * of prime size M whose entries name servers, filled from each server's
 * own permutation of the slots, so that
 *
 *  - every process with the same servers (addresses and weights, in any
 *    order) builds the same table, hence maps a client to the same
 *    server without talking to the others;
 *  - a server of weight w holds about M * w / sum(weights) entries;
 *  - removing one of N servers changes little more than its own entries,
 *    about 1/N of the clients.
 *
 * The hashes are fixed here so that another implementation can agree:
 *
 *  canonical bytes of an address: IPv4 (and IPv4-mapped IPv6): 0x04 and
 *    the 4 address bytes; IPv6: 0x06 and the 16 address bytes (no scope
 *    id: interface numbers differ between machines); then, when the port
 *    counts, its 2 bytes in network order.  unix: 0x01 and the path.
 *    A server's port always counts; a client's only with client_ip_port.
 *  f = FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
 *    of the canonical bytes;
 *  mix(f, k) = the k-th output (k = 1, 2) of splitmix64 seeded with f:
 *    x = f + k * 0x9e3779b97f4a7c15; x = (x ^ x >> 30) *
 *    0xbf58476d1ce4e5b9; x = (x ^ x >> 27) * 0x94d049bb133111eb;
 *    x ^ x >> 31 (all modulo 2^64);
 *  a server's permutation: offset = mix(f, 1) % M, skip = mix(f, 2) %
 *    (M - 1) + 1, its j-th preference (offset + j * skip) % M;
 *  a client's slot: mix(f, 1) % M; when that entry's server cannot take
 *    it, the k-th entry tried next is (mix(f, 1) + k * (mix(f, 2) %
 *    (M - 1) + 1)) % M: a stride of the client's own, so that a missing
 *    server's clients spread over the others by their shares (the next
 *    entries in order are not independent of the server before them),
 *    and a distinct entry each time (M is prime).
 *
 * Filling: the servers are taken in the order of (mix(f, 1), mix(f, 2))
 * as unsigned 64-bit numbers, so the file's order does not matter; in
 * each round each server in turn takes as many entries as its weight,
 * each the next slot of its permutation still empty, until every slot
 * is taken.
 *
 * M is the smallest prime >= max(65537, 100 x servers): 65537 is the
 * paper's small table; 100 entries per server keep the servers' shares
 * within about a per cent of their weights.  Entries are 16-bit server
 * indices (CONF_SERVERS_MAX fits): 128 KiB for up to 655 servers.
 */
#ifndef MIOPROXY_UPSTREAM_MAGLEV_H
#define MIOPROXY_UPSTREAM_MAGLEV_H

#include <stdint.h>

#include <sys/socket.h>

#include "upstream/server.h"

#define MAGLEV_MIN_SIZE	65537u
#define MAGLEV_PER_SERVER 100u
#define MAGLEV_NONE	UINT16_MAX	/* no server: an empty table's entry */

struct maglev {
	uint16_t	*slots;		/* size entries, indices into servers */
	uint32_t	 size;		/* 0: no table (the tier is empty) */
};

/* The table size for n servers: the smallest prime >= max(65537, 100 n). */
uint32_t maglev_size(uint32_t n);

/*
 * Builds m over those of servers[0..n) whose backup flag is `backup`
 * (their file weights; n < 65535): 0, or -ENOMEM (m left empty).  With
 * no such server m stays empty (size 0).  The servers' conf->addr is
 * hashed; m's entries are indices into servers.
 */
int	maglev_build(struct maglev *m, const struct ups_server *servers,
	    uint32_t n, int backup);
/* Frees m's table; harmless on an empty (zeroed) m. */
void	maglev_free(struct maglev *m);

/*
 * The hash of an address's canonical bytes (above), with or without its
 * port: mix(f, 1).  A client's first slot is maglev_hash() % size.
 */
uint64_t maglev_hash(const struct sockaddr *sa, int with_port);

/* A client's walk over a table (size > 0): its slots, in order. */
struct maglev_walk {
	uint32_t	 slot;		/* the entry to try now */
	uint32_t	 stride;	/* 0 until the first step */
	uint64_t	 f;		/* FNV-1a of the canonical bytes */
};

/* The client's first entry of m. */
void	maglev_walk_start(struct maglev_walk *w, const struct maglev *m,
	    const struct sockaddr *client, int with_port);
/* On to the client's next entry of m (distinct for M - 1 steps). */
void	maglev_walk_next(struct maglev_walk *w, const struct maglev *m);

#endif /* MIOPROXY_UPSTREAM_MAGLEV_H */
