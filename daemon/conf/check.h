/*
 * The checks across the whole file, after the walk: names, references,
 * binds, and each listener's effective values.
 *
 * Its place: conf/, just below load (load -> check -> schema -> walk ->
 * doc); it needs the document layer only, for the places of its errors.
 */
#ifndef MIOPROXY_CONF_CHECK_H
#define MIOPROXY_CONF_CHECK_H

#include "conf/doc.h"

/*
 * Checks `conf` as a whole and fills in its effective values; reports
 * every error with its place.  Needs ctx->lnodes (one node per listener,
 * set by the schema).  Returns 0, or -ENOMEM.
 */
int	conf_check(struct conf_ctx *ctx, struct conf *conf);

#endif /* MIOPROXY_CONF_CHECK_H */
