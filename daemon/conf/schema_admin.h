/*
 * The `admin` section of mioproxy.yaml (CONFIG.md, "Admin socket"): its
 * own table, so that the operators' socket is one file of the schema.
 *
 * Its place: conf/, beside schema.c, which names the table in the root.
 */
#ifndef MIOPROXY_CONF_SCHEMA_ADMIN_H
#define MIOPROXY_CONF_SCHEMA_ADMIN_H

#include "conf/walk.h"

/* The keys of `admin`, read into a struct conf_admin. */
extern const struct conf_key conf_admin_keys[];

#endif /* MIOPROXY_CONF_SCHEMA_ADMIN_H */
