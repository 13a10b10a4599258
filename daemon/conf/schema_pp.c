/*
 * The `proxy_protocol` tables (schema_pp.h).  `trusted` is not marked
 * required here because it is only required when `accept` is not off:
 * check.c says so with the listener's index.
 */
#include "config.h"

#include <stddef.h>

#include "conf/schema_pp.h"

static const struct conf_word schema_pp_accepts[] = {
	{ "off", CONF_PP_OFF, false },
	{ "v1", CONF_PP_V1, false },
	{ "v2", CONF_PP_V2, false },
	{ "any", CONF_PP_ANY, false },
	{ NULL, 0, false },
};

/* `any` has no meaning for a sender: it must pick one. */
static const struct conf_word schema_pp_sends[] = {
	{ "off", CONF_PP_OFF, false },
	{ "v1", CONF_PP_V1, false },
	{ "v2", CONF_PP_V2, false },
	{ NULL, 0, false },
};

const struct conf_key conf_pp_accept_keys[] = {
	{ .name = "accept", .type = CONF_T_ENUM,
	  .offset = offsetof(struct conf_pp_accept, accept),
	  .words = schema_pp_accepts },
	{ .name = "trusted", .type = CONF_T_CIDRS,
	  .offset = offsetof(struct conf_pp_accept, trusted) },
	{ .name = "timeout", .type = CONF_T_DURATION,
	  .offset = offsetof(struct conf_pp_accept, timeout_ms),
	  .min = 1, .max = 60 * 60 * 1000 },
	{ .name = "max_header", .type = CONF_T_SIZE,
	  .offset = offsetof(struct conf_pp_accept, max_header),
	  .min = 16, .max = CONF_PP_MAX_HEADER_MAX },
	{ .name = NULL },
};

const struct conf_key conf_pp_send_keys[] = {
	{ .name = "send", .type = CONF_T_ENUM,
	  .offset = offsetof(struct conf_pp_send, send),
	  .words = schema_pp_sends },
	{ .name = NULL },
};
