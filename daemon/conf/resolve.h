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
 * conf_load() only, which the daemon does not call: its lookups are made
 * with c-ares before the file is read for good (names.h: at start and -t
 * blocking, at a reload on the event loop), and given to the walker
 * through conf_load_with()'s hook.
 */
int	conf_resolve_host(const char *host, uint16_t port, struct conf_pos pos,
	    struct conf_addrs *v, char *why, size_t len);

#endif /* MIOPROXY_CONF_RESOLVE_H */
