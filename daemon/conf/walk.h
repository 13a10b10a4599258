/*
 * The shape of a schema and the walker that applies it: a table per
 * mapping, a row per key (struct conf_key), each row a type that says how
 * its value is read, and conf_map() to read a mapping by its table.
 *
 * Its place: conf/, below the schema that writes the tables (load ->
 * check -> schema -> walk -> doc); it includes only the document layer.
 */
#ifndef MIOPROXY_CONF_WALK_H
#define MIOPROXY_CONF_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/doc.h"

enum conf_type {
	CONF_T_BOOL,		/* bool */
	CONF_T_INT,		/* int64_t in [min, max] */
	CONF_T_DURATION,	/* int64_t milliseconds in [min, max] */
	CONF_T_SIZE,		/* int64_t bytes in [min, max] */
	CONF_T_ENUM,		/* int, from `words` */
	CONF_T_STRING,		/* char *, not empty */
	CONF_T_NAME,		/* char *, a name: [A-Za-z0-9._-]{1,64} */
	CONF_T_ADDR,		/* struct conf_addrs, from one scalar */
	CONF_T_ADDRS,		/* struct conf_addrs, a scalar or a sequence */
	CONF_T_CIDRS,		/* struct conf_cidrs, a scalar or a sequence */
	CONF_T_MAP,		/* a nested mapping read with `sub` */
	CONF_T_FUNC,		/* anything else: `fn` reads it */
	CONF_T_LATER,		/* a key of CONFIG.md not supported yet */
};

#define CONF_K_REQUIRED	0x01u	/* missing: an error at the mapping */
#define CONF_K_NONEMPTY	0x02u	/* lists: at least one element */

struct conf_word {
	const char	*word;
	int		 value;
	bool		 later;		/* in CONFIG.md, not supported yet */
};

struct conf_key;

/*
 * Reads `value` (the node of key `k`) into the structure at `base`.
 * Reports its own errors; returns -ENOMEM only when it ran out of memory.
 */
typedef int conf_fn(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *value, void *base);

/* One row of a mapping's table: `offset` is into the mapping's base. */
struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	unsigned	 flags;
	int64_t		 min;
	int64_t		 max;
	const struct conf_word *words;	/* CONF_T_ENUM, NULL-terminated */
	const struct conf_key *sub;	/* CONF_T_MAP, NULL-terminated */
	conf_fn		*fn;		/* CONF_T_FUNC */
};

/* Upper bound on the rows of one table, for the walker's arrays. */
#define CONF_MAXKEYS	16

/*
 * Reads mapping `node` with `table` (NULL-terminated) into `base`.
 * Reports every error it finds; returns 0, or -ENOMEM.
 */
int	conf_map(struct conf_ctx *ctx, yaml_node_t *node,
	    const struct conf_key *table, void *base);

#endif /* MIOPROXY_CONF_WALK_H */
