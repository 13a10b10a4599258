/*
 * Name resolution at load time: a host name written in an address
 * becomes every address the system's resolver gives for it.
 *
 * Its place: conf/, a step of its own that the walker calls for each
 * address naming a host (walk -> resolve -> value), so that the one
 * blocking call of the loader is in sight rather than inside a parser.
 */
#ifndef MIOPROXY_CONF_RESOLVE_H
#define MIOPROXY_CONF_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/*
 * Looks `host` up with getaddrinfo(3) and appends each of its IPv4 and
 * IPv6 addresses, with `port`, to *v, all at `pos` (the place of the
 * scalar).  Returns 0; -1 with the reason in `why` ("cannot resolve ...")
 * when the name does not resolve; or -ENOMEM.
 *
 * It blocks, for as long as the resolver takes.  It runs inside
 * conf_load(): at start, at `-t`, and at every SIGHUP reload, which is
 * called from the event loop, so a slow resolver stalls forwarding during
 * a reload.  The issue "names that move" (CONFIG.md: `resolve: true`,
 * `resolver:`) will take lookups out of the loop; this is the place it
 * replaces.
 */
int	conf_resolve_host(const char *host, uint16_t port, struct conf_pos pos,
	    struct conf_addrs *v, char *why, size_t len);

#endif /* MIOPROXY_CONF_RESOLVE_H */
