/*
 * One page for a group of workers (CONFIG.md, "Workers"): the pages each
 * worker rendered of its own figures (/metrics, /stats), made into one,
 * counters and gauges summed, what is the group's rather than a
 * worker's (build info, a server's state, limits, the start time) taken
 * from the first, and a few figures only the supervisor knows (its
 * reloads, its pid) put in their place.  Pure text in, text out: the
 * supervisor asks, this file only adds.
 */
#ifndef MIOPROXY_OPS_MERGE_H
#define MIOPROXY_OPS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "ops/buf.h"

struct merge_page {
	const char	*p;
	size_t		 len;
};

/* A figure to put in place of the workers': a sample's key (name with
 * labels) for Prometheus, a key path ("reloads.ok") for JSON. */
struct merge_set {
	const char	*key;
	uint64_t	 value;
};

/*
 * Prometheus text: page 0's lines in its order, each sample's value the
 * sum over the pages that have the same sample (others' samples that
 * page 0 lacks are left out: a family must stay in one block).
 */
void	merge_metrics(struct buf *out, const struct merge_page *pages,
	    unsigned n, const struct merge_set *set, size_t nset);

/*
 * JSON of one shape (stats_json.c): numbers summed position by position;
 * when the pages' shapes differ (a worker restarted since a reload that
 * removed a listener), page 0 alone, with set applied.
 */
void	merge_json(struct buf *out, const struct merge_page *pages,
	    unsigned n, const struct merge_set *set, size_t nset);

#endif /* MIOPROXY_OPS_MERGE_H */
