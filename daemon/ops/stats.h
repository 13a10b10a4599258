/*
 * The stats endpoint (CONFIG.md, "Metrics"): the loop module that runs
 * an HTTP server (http.h) on stats.listen, serving GET /metrics, /stats
 * and /healthz.  Its objects take their events through LOOP_TAG_OPS and
 * struct loop_handler, so the module owns no tag.
 */
#ifndef MIOPROXY_OPS_STATS_H
#define MIOPROXY_OPS_STATS_H

#include "loop.h"

extern const struct loop_module stats_module;

#endif /* MIOPROXY_OPS_STATS_H */
