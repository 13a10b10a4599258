/*
 * The `proxy_protocol` keys of mioproxy.yaml (CONFIG.md, "PROXY
 * protocol"): a listener's `accept`, `trusted`, `timeout` and
 * `max_header`, an upstream's `send`.  Their own tables, so that
 * schema.c changes by one row each; what needs the whole file (trusted
 * required, UDP takes v2 only) is check.c's.
 *
 * Its place: conf/, beside schema.c, which names the tables.
 */
#ifndef MIOPROXY_CONF_SCHEMA_PP_H
#define MIOPROXY_CONF_SCHEMA_PP_H

#include "conf/walk.h"

/* A listener's proxy_protocol, read into a struct conf_pp_accept. */
extern const struct conf_key conf_pp_accept_keys[];

/* An upstream's proxy_protocol, read into a struct conf_pp_send. */
extern const struct conf_key conf_pp_send_keys[];

#endif /* MIOPROXY_CONF_SCHEMA_PP_H */
