/*
 * The schema of names that move (CONFIG.md "Names that move"): the
 * top-level `resolver` section, and what `resolve: true` on a server
 * entry records.  Its own file, so that schema.c changes by a row each.
 *
 * Its place: conf/, beside schema.c (load -> check -> schema -> walk).
 */
#ifndef MIOPROXY_CONF_SCHEMA_RESOLVER_H
#define MIOPROXY_CONF_SCHEMA_RESOLVER_H

#include "conf/walk.h"

/* The keys of `resolver`, read into a struct conf_resolver. */
extern const struct conf_key conf_resolver_keys[];

/*
 * The host name of a server entry (`entry`, a mapping) that says
 * resolve: true, for each of its servers to record: a copy in *name, or
 * NULL with an error reported at its address when the address is not a
 * host name.  0, or -ENOMEM.
 */
int	conf_entry_name(struct conf_ctx *ctx, yaml_node_t *entry, char **name);

#endif /* MIOPROXY_CONF_SCHEMA_RESOLVER_H */
