/*
 * Inside the configuration loader: the schema's table types, the walker
 * that applies them to libyaml's document, and the scalar parsers.
 *
 *   conf.c         reading the file, the walker, errors, cross-checks
 *   conf_schema.c  the tables, one row per key, and the few handlers for
 *                  sequences and name-keyed mappings
 *   conf_value.c   scalars: integers, durations, sizes, addresses, CIDRs
 */
#ifndef MIOPROXY_CONF_PRIV_H
#define MIOPROXY_CONF_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "conf/conf.h"

#define CONF_PATHMAX	256	/* "listeners[3].timeouts.idle"; cut */
#define CONF_WHYMAX	160	/* the reason a scalar parser gives */
/*
 * Bounds on what a file may cost to read.  YAML aliases make one node
 * count many times (a listener or a server list written once and named
 * a thousand times), and the checks across listeners and servers grow
 * with the square of what is read: without a bound, a few kilobytes of
 * aliases took minutes and gigabytes, in the event loop on a reload.
 */
#define CONF_NODES_MAX	1000000	/* nodes visited, aliases counted each time */
#define CONF_ERRORS_MAX	100	/* errors kept (and formatted) per load */

/* The state of one conf_load(): nothing here outlives it. */
struct conf_ctx {
	const char	*file;
	yaml_document_t	*doc;
	struct conf_errors *errs;
	size_t		 nerrors;	/* errors added by this load */
	size_t		 nodes;		/* visited, see CONF_NODES_MAX */
	bool		 too_big;	/* ...more than that: reading stopped */
	bool		 nomem;
	char		 path[CONF_PATHMAX];	/* of the node being read */
	size_t		 pathlen;
	/* Each listener's mapping, for the checks across listeners. */
	yaml_node_t	**lnodes;
	size_t		 nlnodes;
};

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

struct conf_ctx;
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

/* The top-level table (conf_schema.c). */
extern const struct conf_key conf_root_keys[];

/* Walker and errors (conf.c). */
int	conf_map(struct conf_ctx *ctx, yaml_node_t *node,
	    const struct conf_key *table, void *base);
int	conf_read_value(struct conf_ctx *ctx, const struct conf_key *k,
	    yaml_node_t *value, void *base);
yaml_node_t *conf_node(struct conf_ctx *ctx, int id);
yaml_node_t *conf_lookup(struct conf_ctx *ctx, yaml_node_t *map,
	    const char *key, yaml_node_t **keynode);
bool	conf_is_null(const yaml_node_t *node);
bool	conf_is_name(const char *s);
const char *conf_describe(const yaml_node_t *node, char *buf, size_t len);
void	conf_err(struct conf_ctx *ctx, const yaml_node_t *node,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	conf_err_nopath(struct conf_ctx *ctx, const yaml_node_t *node,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	conf_err_pos(struct conf_ctx *ctx, struct conf_pos pos,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t	conf_path_key(struct conf_ctx *ctx, const char *key);
size_t	conf_path_index(struct conf_ctx *ctx, size_t i);
void	conf_path_pop(struct conf_ctx *ctx, size_t saved);
struct conf_pos conf_node_pos(const yaml_node_t *node);

/* Checks across the file once it is read (conf_schema.c). */
int	conf_resolve(struct conf_ctx *ctx, struct conf *conf);
void	conf_init(struct conf *conf);

/* Scalars (conf_value.c).  A decimal integer: 0, -EINVAL or -ERANGE. */
int	conf_parse_int(const char *s, int64_t *out);
/* The others: 0, or -1 with the reason in `why`. */
int	conf_parse_duration(const char *s, int64_t *ms, char *why,
	    size_t len);
int	conf_parse_size(const char *s, int64_t *bytes, char *why, size_t len);
int	conf_parse_cidr(const char *s, struct conf_cidr *out, char *why,
	    size_t len);
/* Appends every address `s` names to *v; -ENOMEM is returned as such. */
int	conf_parse_addr(const char *s, struct conf_pos pos,
	    struct conf_addrs *v, char *why, size_t len);
char	*conf_duration_str(int64_t ms, char *buf, size_t len);
char	*conf_size_str(int64_t bytes, char *buf, size_t len);

#endif /* MIOPROXY_CONF_PRIV_H */
