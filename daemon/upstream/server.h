/*
 * One record per server of an upstream in one generation: what the file
 * says of it (weight, limit, backup) and smooth round robin's running
 * weight, which the balancer keeps.  Its states, its load over every
 * generation and its counters are in its kept record (model/keep.h),
 * shared with the other generations that name the same server.  The
 * upstream module owns the records (one array per upstream, in the
 * configuration's order); the balancer only reads and updates them.
 */
#ifndef MIOPROXY_UPSTREAM_SERVER_H
#define MIOPROXY_UPSTREAM_SERVER_H

#include <stdint.h>

#include "model/keep.h"

struct conf_server;

struct ups_server {
	const struct conf_server *conf;
	/* The balancer's. */
	struct keep_srv	*keep;		/* states, load, counters */
	uint32_t	 weight;	/* the file's, >= 1 */
	uint32_t	 max_conns;	/* 0: no limit */
	int		 backup;
	int64_t		 current;	/* smooth round robin's running weight */
};

#endif /* MIOPROXY_UPSTREAM_SERVER_H */
