/*
 * The schema of an upstream's `health_check` and `passive` mappings
 * (CONFIG.md "Health"), in a file of their own so that schema.c names
 * them with two rows.
 *
 * Its place: conf/, beside schema.c (load -> check -> schema -> walk).
 */
#ifndef MIOPROXY_CONF_SCHEMA_HEALTH_H
#define MIOPROXY_CONF_SCHEMA_HEALTH_H

#include "conf/walk.h"

/* Built-ins where the file says nothing. */
#define CONF_CHECK_INTERVAL_MS	5000
#define CONF_CHECK_TIMEOUT_MS	1000
#define CONF_CHECK_RISE		2
#define CONF_CHECK_FALL		3
#define CONF_PASSIVE_MAX_FAILS	3
#define CONF_PASSIVE_WINDOW_MS	10000
#define CONF_PASSIVE_EJECT_MS	30000

/* Rows of type CONF_T_FUNC on a struct conf_upstream. */
conf_fn	schema_health_check, schema_passive;

#endif /* MIOPROXY_CONF_SCHEMA_HEALTH_H */
