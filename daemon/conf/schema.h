/*
 * The schema of mioproxy.yaml: the top-level table that load.c hands to
 * the walker, and the initial values of a configuration before it.
 *
 * Its place: conf/, below load and above the walker (load -> check ->
 * schema -> walk).
 */
#ifndef MIOPROXY_CONF_SCHEMA_H
#define MIOPROXY_CONF_SCHEMA_H

#include "conf/walk.h"

/* The top-level table: read the document's root with conf_map(). */
extern const struct conf_key conf_root_keys[];

/* The keys of `stats` (schema_stats.c). */
extern const struct conf_key conf_stats_keys[];

/*
 * Sets built-ins where nothing overrides them, and CONF_UNSET where
 * conf_check() chooses between levels.  Call on a zeroed struct conf.
 */
void	conf_init(struct conf *conf);

#endif /* MIOPROXY_CONF_SCHEMA_H */
