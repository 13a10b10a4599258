/*
 * The loop module of names that move (upstream/resolve.h): its lookups
 * go through one c-ares channel hosted on the loop (rchan.h), made when
 * a name is first due and remade when `resolver.servers` changes; when a
 * followed name's answer changed, the apply hook (the loop's) serves a
 * generation with the new servers, after the batch.
 */
#ifndef MIOPROXY_RESOLVER_H
#define MIOPROXY_RESOLVER_H

#include "loop.h"

extern const struct loop_module resolver_module;

/* The loop's: serve the running generation with the names' new servers;
 * 0, or -errno. */
void	resolver_set_apply(int (*apply)(void));

#endif /* MIOPROXY_RESOLVER_H */
