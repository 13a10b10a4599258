/*
 * Health checks at run time (CONFIG.md "Health"): one probe per checked
 * server (probe.h), whose results move the server's state in its kept
 * record (health_state.h), and passive ejection of servers that fail
 * clients.  Each change of state is logged once, with its reason:
 *
 *   server web/127.0.0.1:8081 is down: connection refused (3 checks)
 *   server web/127.0.0.1:8081 is up: checks passed (2 checks)
 *   server web/127.0.0.1:8081 is ejected for 30s: 3 failures within 10s
 *   server web/127.0.0.1:8081 is up: ejection over
 *
 * The probes follow the configuration: hc_prepare() makes the probes a
 * new configuration needs (all or nothing), hc_commit() starts them and
 * stops those it no longer names.  A server whose check did not change
 * keeps its probe, its runs of passes and failures, and its state; new
 * probes begin at a random point of their first interval, so that
 * checks are spread out rather than all at once.
 *
 * The loop module that runs this is daemon/checks.c: this layer knows
 * no loop, only the poll and timers it is given.
 */
#ifndef MIOPROXY_UPSTREAM_HEALTH_H
#define MIOPROXY_UPSTREAM_HEALTH_H

#include <stdint.h>

#include "conf/conf.h"
#include "model/keep.h"
#include "upstream/probe.h"

/* The poll and timers to use, before anything else: 0 or -ENOMEM. */
int	hc_setup(const struct probe_env *env);
/* Makes the probes conf needs: 0 or -ENOMEM (then nothing changed). */
int	hc_prepare(const struct conf *conf);
/* conf (the last one prepared) serves now: start and stop probes. */
void	hc_commit(const struct conf *conf, uint64_t now);
/* A readiness event for the probe at obj. */
void	hc_event(void *obj, uint32_t flags);
/* Frees what was stopped during the batch. */
void	hc_after_batch(void);
/* No more checks (a graceful stop began). */
void	hc_stop(void);
/* Frees everything. */
void	hc_fini(void);

/*
 * A passive failure of server k (a refused or timed-out connect, an
 * ICMP refusal, an early reset) under the upstream's passive settings.
 */
void	hc_failure(struct keep_srv *k, const struct conf_passive *p);

#endif /* MIOPROXY_UPSTREAM_HEALTH_H */
