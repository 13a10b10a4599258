/*
 * The document being loaded, as the layers above see it: the state of
 * one conf_load() (struct conf_ctx), libyaml's nodes with their places in
 * the file, the path of the value being read ("listeners[0].bind"), and
 * the errors, each at a node or a place.
 *
 * Its place: conf/, below the walker (load -> check -> schema -> walk ->
 * doc); it knows libyaml and the model, no schema and no value.
 */
#ifndef MIOPROXY_CONF_DOC_H
#define MIOPROXY_CONF_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "conf/conf.h"

#define CONF_PATHMAX	256	/* "listeners[3].timeouts.idle"; cut */
/*
 * Bounds on what a file may cost to read.  YAML aliases make one node
 * count many times (a listener or a server list written once and named
 * a thousand times), and the checks across listeners and servers grow
 * with the square of what is read: without a bound, a few kilobytes of
 * aliases took minutes and gigabytes, in the event loop on a reload.
 */
#define CONF_NODES_MAX	1000000	/* nodes visited, aliases counted each time */
/*
 * ...and no more than two per byte of the file, so that a reload costs
 * time in proportion to the file (about 1 us per node read, checks
 * included): a 20 KB file of aliases read as a million nodes took 50 ms
 * per KB of the loop.  A file without aliases reads at most one node per
 * 2 bytes ("[1,1,1]"), a real one far fewer; CONF_NODES_MIN leaves a
 * small file room for aliases all the same.
 */
#define CONF_NODES_PER_BYTE	2
#define CONF_NODES_MIN	4096
#define CONF_ERRORS_MAX	100	/* errors kept (and formatted) per load */

/* The state of one conf_load(): nothing here outlives it. */
struct conf_ctx {
	const char	*file;
	yaml_document_t	*doc;
	struct conf_errors *errs;
	size_t		 nerrors;	/* errors added by this load */
	size_t		 nodes;		/* visited, see CONF_NODES_MAX */
	size_t		 nodes_max;	/* this file's bound (conf_nodes_max) */
	bool		 too_big;	/* ...more than that: reading stopped */
	bool		 nomem;
	char		 path[CONF_PATHMAX];	/* of the node being read */
	size_t		 pathlen;
	/* Each listener's mapping, for the checks across listeners. */
	yaml_node_t	**lnodes;
	size_t		 nlnodes;
	const struct conf_names *names;	/* NULL: getaddrinfo(3) */
};

/* The nodes a file of `len` bytes may read (CONF_NODES_*). */
size_t	conf_nodes_max(size_t len);
/* Node `id` of the document, counted against ctx->nodes_max. */
yaml_node_t *conf_node(struct conf_ctx *ctx, int id);
/* The value of `key` in mapping `map`, or NULL; its key node too. */
yaml_node_t *conf_lookup(struct conf_ctx *ctx, yaml_node_t *map,
	    const char *key, yaml_node_t **keynode);
/* YAML's null: an empty plain scalar, "~" or "null". */
bool	conf_is_null(const yaml_node_t *node);
/* Names what a node is, for "expected X, got Y"; may write `buf`. */
const char *conf_describe(const yaml_node_t *node, char *buf, size_t len);
/* Where a node starts, 1-based; 1:1 for NULL. */
struct conf_pos conf_node_pos(const yaml_node_t *node);

/* An error at `node`, after the path of the value being read. */
void	conf_err(struct conf_ctx *ctx, const yaml_node_t *node,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An error at `node` whose text says where it is itself. */
void	conf_err_nopath(struct conf_ctx *ctx, const yaml_node_t *node,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An error at a place; { 0, 0 } is about the whole file. */
void	conf_err_pos(struct conf_ctx *ctx, struct conf_pos pos,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* True once errors are only counted: their text need not be made. */
bool	conf_err_full(const struct conf_ctx *ctx);
/* Sorts this load's errors (from `start`) and counts those left out. */
void	conf_errors_finish(struct conf_ctx *ctx, size_t start);

/* Adds ".key" or "[i]" to the path; returns what conf_path_pop() restores. */
size_t	conf_path_key(struct conf_ctx *ctx, const char *key);
size_t	conf_path_index(struct conf_ctx *ctx, size_t i);
void	conf_path_pop(struct conf_ctx *ctx, size_t saved);

#endif /* MIOPROXY_CONF_DOC_H */
