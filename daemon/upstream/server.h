/*
 * One record per server of an upstream at run time: what the balancer
 * reads and keeps (weight, limit, load, its running weight), what the
 * upstream counts of it, and the room its health state will take.  The
 * upstream module owns the records (one array per upstream, in the
 * configuration's order); the balancer only reads and updates them.
 */
#ifndef MIOPROXY_UPSTREAM_SERVER_H
#define MIOPROXY_UPSTREAM_SERVER_H

#include <stdint.h>

struct conf_server;

struct ups_server {
	const struct conf_server *conf;
	/* The balancer's. */
	uint32_t	 weight;	/* >= 1 */
	uint32_t	 max_conns;	/* 0: no limit */
	uint32_t	 active;	/* connections or sessions now */
	int		 backup;
	int64_t		 current;	/* smooth round robin's running weight */
	/* The upstream's counters (read by the metrics). */
	uint64_t	 connect_failures;	/* refused, timed out, ICMP */
};

#endif /* MIOPROXY_UPSTREAM_SERVER_H */
