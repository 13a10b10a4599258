/*
 * A server's health as checks and failures move it (CONFIG.md "Health"):
 * the counting alone, on the server's kept record, with no sockets,
 * timers or logs, so that a unit test can drive it step by step.
 *
 *   up --(fall checks failed in a row)--> down
 *   down --(rise checks passed in a row)--> up      (slow start begins)
 *   up --(max_fails failures within window)--> ejected
 *   ejected --(eject_for over)--> up                (slow start begins)
 *   ejected --(fall checks failed in a row)--> down
 *
 * A down server takes no sessions, so it fails none: passive failures
 * count only while it is up.  Checks go on while it is ejected and may
 * take it down, but only time ends an ejection.
 */
#ifndef MIOPROXY_UPSTREAM_HEALTH_STATE_H
#define MIOPROXY_UPSTREAM_HEALTH_STATE_H

#include <stdint.h>

#include "conf/conf.h"
#include "model/keep.h"

enum hc_change {
	HC_SAME,
	HC_WENT_DOWN,
	HC_WENT_UP,
	HC_EJECTED,
	HC_RESTORED
};

/* One active check's result (ok: passed) at `now` (ms). */
enum hc_change hc_state_check(struct keep_srv *k, const struct conf_health *h,
	    int ok, uint64_t now);
/* One passive failure (a failed connect, an early reset) at `now`. */
enum hc_change hc_state_failure(struct keep_srv *k,
	    const struct conf_passive *p, uint64_t now);
/* The end of an ejection, when it is due at `now`. */
enum hc_change hc_state_eject_over(struct keep_srv *k, uint64_t now);
/* The server is no longer checked: up again if the checks had it down. */
enum hc_change hc_state_unchecked(struct keep_srv *k, uint64_t now);

#endif /* MIOPROXY_UPSTREAM_HEALTH_STATE_H */
