/*
 * Names that move (CONFIG.md): the servers of entries marked
 * resolve: true follow their name's records.  This keeps each followed
 * name's last good addresses, asks again at min(TTL, resolver.refresh)
 * (never sooner than RESOLVE_FLOOR_MS, so a TTL of 0 does not spin)
 * through the lookup its environment gives (the loop module resolver.c,
 * with c-ares on the loop), and when an answer differs says so, for the
 * process to serve a generation with the new servers.  That generation is derived from the running one (relay/gen.h):
 * sessions on an address that went away keep the old generation and
 * finish; a server whose address stays keeps its kept record, so its
 * states (drain, maint, down) and counters go on.  A failed lookup keeps
 * the last good addresses, is logged (at most once a minute per name)
 * and counted (keep_proc.resolve_failures: the metrics'
 * mioproxy_resolver_failures_total).
 *
 * Its place: upstream/, its state static here, knowing only the timers
 * and the lookup it is given (as health.h knows its probes' poll); the
 * loader's lookups (names.h) tell it what they learned.
 */
#ifndef MIOPROXY_UPSTREAM_RESOLVE_H
#define MIOPROXY_UPSTREAM_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "timer.h"

#define RESOLVE_FLOOR_MS	1000
/* How often a name that keeps failing is logged. */
#define RESOLVE_LOG_EVERY_MS	60000

struct resolve_env {
	struct timer_heap *timers;
	const uint64_t	*now;		/* the loop's clock, ms */
	/* Looks host up; the answer comes through resolve_answer(token). */
	void		(*lookup)(const char *host, void *token);
};

/* Before the first commit: holds a timer slot once.  0 or -ENOMEM. */
int	resolve_setup(const struct resolve_env *env);
/*
 * A lookup's answer (rchan.h's rchan_fn): ARES_SUCCESS with the
 * addresses (port 0) and TTL, or a failure that keeps the last good
 * ones; ARES_EDESTRUCTION asks again soon.
 */
void	resolve_answer(void *token, int status, const struct mio_addr *addrs,
	    size_t n, uint32_t ttl);
/*
 * conf serves: its followed names are planned (the others forgotten).
 * Returns 1 when resolver.servers changed (the caller remakes the channel
 * it asks through), else 0.
 */
int	resolve_commit(const struct conf *conf);
/* The resolver settings of the serving configuration. */
const struct conf_resolver *resolve_resolver(void);
/* Whether an answer differed since the last call (then: apply it). */
int	resolve_take_changed(void);
/* No more lookups (a stop). */
void	resolve_stop(void);
/* Frees everything (after the channel answered what was in flight). */
void	resolve_fini(void);

/* A lookup of the loader answered: host's addresses (port 0), its TTL. */
void	resolve_learn(const char *host, const struct mio_addr *addrs,
	    size_t n, uint32_t ttl);
/* The last good addresses of a followed name (port 0), or NULL. */
const struct mio_addr *resolve_last(const char *host, size_t *n);
/*
 * cu's servers with each followed name's entry expanded to the name's
 * last good addresses: 0 with *out NULL when nothing differs from cu's,
 * else a new array in *out (the caller's) of *n servers; or -ENOMEM.
 */
int	resolve_servers(const struct conf_upstream *cu,
	    struct conf_server **out, size_t *n);

#endif /* MIOPROXY_UPSTREAM_RESOLVE_H */
