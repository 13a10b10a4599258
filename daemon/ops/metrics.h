/*
 * The Prometheus page (GET /metrics) and the JSON one (GET /stats): the
 * kept records (model/keep.h) and the process's figures written out in
 * the text exposition format 0.0.4 and as one JSON object, every name
 * that CONFIG.md fixes under "Metrics".  Both only read: counting is the
 * data path's plain increments into the records it already points at.
 */
#ifndef MIOPROXY_OPS_METRICS_H
#define MIOPROXY_OPS_METRICS_H

#include "ops/buf.h"
#include "ops/proc.h"

/* Append the pages to b (check b->nomem after). */
void	metrics_render(struct buf *b, const struct proc_info *pi);
void	stats_json_render(struct buf *b, const struct proc_info *pi);

/* Seconds from microseconds, without a float: "0.00025", "1" (json too). */
void	metrics_seconds(struct buf *b, uint64_t us);

/* The words of keep.h's reasons, as labels and JSON keys. */
extern const char *const metrics_reject_names[];
extern const char *const metrics_drop_names[];
extern const char *const metrics_state_names[];
#define METRICS_NSTATES	5

#endif /* MIOPROXY_OPS_METRICS_H */
