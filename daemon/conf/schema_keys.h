/*
 * The shorthand of the configuration's schema tables (schema.c and the
 * schema_*.c of each section): units of durations, and rows of keys.
 */
#ifndef MIOPROXY_CONF_SCHEMA_KEYS_H
#define MIOPROXY_CONF_SCHEMA_KEYS_H

#include <stddef.h>

#define SEC	1000LL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

#define KEY(n, t, st, f, fl, lo, hi) \
	{ .name = (n), .type = (t), .offset = offsetof(st, f), \
	  .flags = (fl), .min = (lo), .max = (hi) }
#define KEY_ENUM(n, st, f, fl, w) \
	{ .name = (n), .type = CONF_T_ENUM, .offset = offsetof(st, f), \
	  .flags = (fl), .words = (w) }
#define KEY_MAP(n, st, f, tab) \
	{ .name = (n), .type = CONF_T_MAP, .offset = offsetof(st, f), \
	  .sub = (tab) }
/* A nested mapping whose keys are fields of the enclosing struct. */
#define KEY_INLINE(n, tab) \
	{ .name = (n), .type = CONF_T_MAP, .offset = 0, .sub = (tab) }
#define KEY_FUNC(n, fl, f) \
	{ .name = (n), .type = CONF_T_FUNC, .flags = (fl), .fn = (f) }
#define KEY_LATER(n) \
	{ .name = (n), .type = CONF_T_LATER }
#define KEY_END	{ .name = NULL }

#endif /* MIOPROXY_CONF_SCHEMA_KEYS_H */
