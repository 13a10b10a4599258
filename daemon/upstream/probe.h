/*
 * One active health check of one server: a socket, a timer and a small
 * state machine, run from the event loop and never blocking it.
 *
 *   IDLE --timer--> begin (socket, connect) --> WAIT --result--> IDLE
 *                                                 \--timer (timeout)--> IDLE
 *
 * The timer is the probe's only clock: while idle it says when the next
 * check begins (one interval after the last began), while a check runs
 * it is that check's timeout.  What a check does on its socket is the
 * type's (probe_tcp.c, probe_udp.c, behind struct probe_ops); this file
 * runs the cycle and reports each result to the owner's `done`.
 *
 * The probe's address is its token (with the tag the owner gives), so a
 * probe must not move, and must be at least 8-aligned, while it runs.
 */
#ifndef MIOPROXY_UPSTREAM_PROBE_H
#define MIOPROXY_UPSTREAM_PROBE_H

#include <stdint.h>

#include <mio.h>

#include "conf/conf.h"
#include "timer.h"

/* What the probes share: the loop's poll and timers, as the owner gives. */
struct probe_env {
	struct mio_poll	*poll;
	struct timer_heap *timers;
	unsigned	 tag;		/* low bits of every probe's token */
};

struct probe;

/*
 * A check's end: ok 1 (passed), 0 (failed), or -1 (no verdict: the
 * proxy could not check), and why not in a few words.
 */
typedef void probe_done_fn(struct probe *p, int ok, const char *why);

/* A check's result so far, as the type's hooks give it. */
#define PROBE_PENDING	0	/* wait for the next event */
#define PROBE_PASS	1
#define PROBE_FAIL	(-1)	/* p->why says why */
/* The proxy itself lacked something (descriptors, ports, memory): no
 * verdict on the server, which must not go down for the proxy's want. */
#define PROBE_SKIP	(-2)

struct probe_ops {
	/* Opens and registers p->fd, starts the check: PROBE_*. */
	int	(*begin)(struct probe *p);
	/* A readiness event on p->fd: PROBE_*. */
	int	(*event)(struct probe *p, uint32_t flags);
};

extern const struct probe_ops probe_tcp_ops, probe_udp_ops;

struct probe {
	struct timer	 timer;
	const struct probe_env *env;
	const struct probe_ops *ops;
	const struct conf_health *conf;	/* of the generation now serving */
	struct mio_addr	 addr;		/* the server's, with conf->port */
	probe_done_fn	*done;
	uint64_t	 began;		/* loop ms the last check began */
	size_t		 off;		/* bytes sent, then bytes matched */
	int		 fd;		/* -1 while idle */
	int		 sending;	/* tcp: send not all written yet */
	char		 why[80];
};

/*
 * Prepares an idle probe of `addr` (its port replaced by conf->port
 * when set) with a held timer slot: 0 or -ENOMEM.  Nothing runs until
 * probe_start().
 */
int	probe_init(struct probe *p, const struct probe_env *env,
	    const struct conf_health *conf, const struct mio_addr *addr,
	    probe_done_fn *done);
/* The first check begins at `when` (loop ms). */
void	probe_start(struct probe *p, uint64_t when);
/* The configuration now serving says the same check: use its copy. */
void	probe_retarget(struct probe *p, const struct conf_health *conf);
/* A readiness event for p's socket (stale ones are ignored). */
void	probe_event(struct probe *p, uint32_t flags);
/* Ends any check under way, silently, and gives the timer slot back. */
void	probe_fini(struct probe *p);

/* Whether two checks are the same (type, times, port, bytes). */
int	probe_conf_same(const struct conf_health *a,
	    const struct conf_health *b);

/* Shared by the types: register p->fd with p's token. */
int	probe_register(struct probe *p, unsigned interest);
/*
 * Shared by the types: PROBE_FAIL with why = what: error text, or
 * PROBE_SKIP for an error of the proxy's own (EMFILE, EADDRNOTAVAIL...).
 */
int	probe_fail(struct probe *p, const char *what, int err);
/* Shared: bytes got (n) compared with expect from p->off on: PROBE_*. */
int	probe_match(struct probe *p, const uint8_t *got, size_t n);

#endif /* MIOPROXY_UPSTREAM_PROBE_H */
