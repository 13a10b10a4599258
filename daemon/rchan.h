/*
 * A c-ares channel: non-blocking DNS lookups sent to the configuration's
 * `resolver.servers` (or /etc/resolv.conf's), either hosted on an event
 * loop that its caller hands it (struct rchan_env: the sockets registered
 * with that poll under the caller's tag, the retransmissions on a timer
 * of those timers), or driven by rchan_wait() with poll(2) before the
 * loop exists (at start and at -t, where blocking is what the operator
 * waits for anyway).
 *
 * c-ares does its own I/O on its sockets, past libmio's wrappers, so the
 * backends that emulate edge triggers (poll(2)) would never re-arm them:
 * each event is followed by mio_reregister(), which re-arms there and,
 * on epoll, queues a new event if the socket is still readable, so a
 * datagram that c-ares left unread is never stranded.
 *
 * Its place: the process, below the loop: it knows the poll, timers and
 * clock its caller gives (as upstream/health.h knows its probes'), never
 * the loop's own; used by names.c (the loader's lookups) and, through
 * it, reload_names.c (a reload's lookups on the loop), and by resolver.c
 * (the loop module of names that move).
 */
#ifndef MIOPROXY_RCHAN_H
#define MIOPROXY_RCHAN_H

#include <stddef.h>
#include <stdint.h>

#include <ares.h>

#include <mio.h>

#include "conf/conf.h"
#include "loop_handler.h"
#include "timer.h"

/* Sockets of one channel: one UDP socket per server, TCP on truncation. */
#define RCHAN_SOCKS	(2 * CONF_RESOLVER_SERVERS_MAX + 4)

/*
 * What one lookup gives: ARES_SUCCESS with addrs[0..n) (port 0, sorted,
 * without duplicates) and the smallest TTL of the answer in seconds; or
 * another status (ares_strerror() says why), addrs NULL.  ARES_EDESTRUCTION
 * when the channel was closed first: the callback must then touch
 * nothing but its own argument.
 */
typedef void rchan_fn(void *arg, int status, const struct mio_addr *addrs,
    size_t n, uint32_t ttl);

/*
 * The event loop a channel lives on, the caller's: the poll its sockets
 * are registered with, each token a struct loop_handler's address with
 * `tag` in its low bits (the loop's LOOP_TAG_OPS), the timers its
 * retransmissions are set on, and the clock of the loop's turn.
 */
struct rchan_env {
	struct mio_poll	*poll;
	struct timer_heap *timers;
	const uint64_t	*now;		/* ms */
	unsigned	 tag;
};

struct rchan;

struct rchan_sock {
	struct loop_handler h;		/* first: the token points here */
	struct rchan	*chan;
	int		 fd;		/* -1: a free slot */
	unsigned	 interest;
};

struct rchan {
	ares_channel	 ch;
	int		 open;
	int		 on_loop;	/* else driven by rchan_wait() */
	struct rchan_env env;		/* when on_loop */
	unsigned	 pending;	/* lookups not answered yet */
	struct timer	 timer;		/* c-ares' next retransmission */
	struct rchan_sock socks[RCHAN_SOCKS];
};

/*
 * Opens c on the servers of r (none: /etc/resolv.conf's), with no search
 * domains, bounded timeouts and tries: 0, or -ENOMEM / -EINVAL with the
 * reason logged.  env (copied): host it on that loop, whose timers give
 * c a slot for as long as it is open; NULL: driven by rchan_wait().
 */
int	rchan_open(struct rchan *c, const struct conf_resolver *r,
	    const struct rchan_env *env);
/* Closes c: every lookup in flight gets ARES_EDESTRUCTION.  Idempotent. */
void	rchan_close(struct rchan *c);
/* Looks up the IPv4 and IPv6 addresses of `host`; fn is called once. */
void	rchan_lookup(struct rchan *c, const char *host, rchan_fn *fn,
	    void *arg);
/* Drives c with poll(2) until no lookup is pending (blocking mode). */
void	rchan_wait(struct rchan *c);

/* Once per process, before the first channel / after the last. */
int	rchan_library_init(void);
void	rchan_library_fini(void);

#endif /* MIOPROXY_RCHAN_H */
