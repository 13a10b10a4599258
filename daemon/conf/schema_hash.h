/*
 * The schema of an upstream's `hash` mapping (CONFIG.md: consistent_hash
 * and hash.key), in a file of its own so that schema.c names it with one
 * row.  Whether the upstream's balance takes it is check.c's question,
 * asked once the whole upstream is read (keys come in any order).
 *
 * Its place: conf/, beside schema.c (load -> check -> schema -> walk).
 */
#ifndef MIOPROXY_CONF_SCHEMA_HASH_H
#define MIOPROXY_CONF_SCHEMA_HASH_H

#include "conf/walk.h"

/* A row of type CONF_T_FUNC on a struct conf_upstream. */
conf_fn	schema_hash;

#endif /* MIOPROXY_CONF_SCHEMA_HASH_H */
