/*
 * The walker: applies a schema's tables (walk.h) to libyaml's document.
 * A mapping's unknown, duplicate and missing keys are reported here, and
 * each value is read by its row's type: scalars through the parsers of
 * value.h, nested mappings by recursion, the rest by the row's handler.
 *
 * Its place: conf/, below the schema (load -> check -> schema -> walk ->
 * doc, resolve, value); it knows the shape of a table, never a table's
 * keys.  Host names in addresses are looked up here, through resolve.h,
 * as a step of their own.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/walk.h"
#include "conf/resolve.h"
#include "conf/value.h"


/* The text of a scalar, or NULL after saying why there is none. */
static const char *
walk_scalar(struct conf_ctx *ctx, yaml_node_t *node, const char *what)
{
	char desc[64];

	if (node->type != YAML_SCALAR_NODE || conf_is_null(node)) {
		conf_err(ctx, node, "expected %s, got %s", what,
		    conf_describe(node, desc, sizeof(desc)));
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static void
walk_range(struct conf_ctx *ctx, const struct conf_key *k, yaml_node_t *node,
    const char *text)
{
	char lo[32], hi[32];

	if (k->type == CONF_T_DURATION) {
		conf_duration_str(k->min, lo, sizeof(lo));
		conf_duration_str(k->max, hi, sizeof(hi));
	} else if (k->type == CONF_T_SIZE) {
		conf_size_str(k->min, lo, sizeof(lo));
		conf_size_str(k->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)k->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)k->max);
	}
	conf_err(ctx, node, "%s is out of range (%s to %s)", text, lo, hi);
}

static void
walk_enum(struct conf_ctx *ctx, const struct conf_key *k, yaml_node_t *node,
    int *dst)
{
	const struct conf_word *w;
	const char *s;
	char list[256];
	size_t len = 0;

	s = walk_scalar(ctx, node, "a word");
	if (s == NULL)
		return;
	for (w = k->words; w->word != NULL; w++) {
		if (strcmp(w->word, s) != 0)
			continue;
		if (w->later)
			conf_err(ctx, node, "%s is not supported yet", s);
		else
			*dst = w->value;
		return;
	}
	list[0] = '\0';
	for (w = k->words; w->word != NULL; w++) {
		if (w->later)
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    len > 0 ? ", " : "", w->word);
		if (len >= sizeof(list))
			break;
	}
	conf_err(ctx, node, "expected one of %s; got \"%s\"", list, s);
}

/* One CIDR of a list. */
static int
walk_cidr(struct conf_ctx *ctx, yaml_node_t *node, struct conf_cidrs *v)
{
	struct conf_cidr c, *nv;
	char why[CONF_WHYMAX];
	const char *s;

	if ((s = walk_scalar(ctx, node, "a CIDR")) == NULL)
		return 0;
	if (conf_parse_cidr(s, &c, why, sizeof(why)) != 0) {
		conf_err(ctx, node, "bad CIDR \"%s\": %s", s, why);
		return 0;
	}
	if (conf_vec_full(v->n)) {
		nv = realloc(v->v, (v->n == 0 ? 1 : 2 * v->n) * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		v->v = nv;
	}
	v->v[v->n++] = c;
	return 0;
}

/*
 * One address of a list: its syntax first (value.c), then, when it names
 * a host, the lookup (resolve.c), which blocks.
 */
static int
walk_addr(struct conf_ctx *ctx, yaml_node_t *node, struct conf_addrs *v)
{
	struct conf_addr_spec spec;
	struct conf_pos pos = conf_node_pos(node);
	char why[CONF_WHYMAX];
	const char *s;
	int rc;

	if ((s = walk_scalar(ctx, node, "an address")) == NULL)
		return 0;
	rc = conf_parse_addr(s, &spec, why, sizeof(why));
	if (rc == 0 && spec.host[0] == '\0')
		rc = conf_addrs_push(v, &spec.addr, pos);
	else if (rc == 0 && ctx->names != NULL)
		rc = ctx->names->fn(ctx->names->arg, spec.host, spec.port,
		    pos, v, why, sizeof(why));
	else if (rc == 0)
		rc = conf_resolve_host(spec.host, spec.port, pos, v, why,
		    sizeof(why));
	if (rc == -1) {
		conf_err(ctx, node, "bad address \"%s\": %s", s, why);
		rc = 0;
	}
	return rc;
}

/* One element of an address or CIDR list. */
static int
walk_list_item(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *dst)
{
	if (k->type == CONF_T_CIDRS)
		return walk_cidr(ctx, node, dst);
	return walk_addr(ctx, node, dst);
}

/* A list: one scalar, or a sequence of them (not for CONF_T_ADDR). */
static int
walk_list(struct conf_ctx *ctx, const struct conf_key *k, yaml_node_t *node,
    void *dst)
{
	yaml_node_item_t *item;
	size_t i = 0, saved;
	int rc = 0;

	if (node->type == YAML_SEQUENCE_NODE && k->type != CONF_T_ADDR) {
		for (item = node->data.sequence.items.start;
		    item < node->data.sequence.items.top && rc == 0;
		    item++, i++) {
			saved = conf_path_index(ctx, i);
			rc = walk_list_item(ctx, k, conf_node(ctx, *item),
			    dst);
			conf_path_pop(ctx, saved);
		}
		if (i == 0 && (k->flags & CONF_K_NONEMPTY))
			conf_err(ctx, node, "must not be empty");
		return rc;
	}
	if (conf_is_null(node) && k->type != CONF_T_ADDR) {
		if (k->flags & CONF_K_NONEMPTY)
			conf_err(ctx, node, "must not be empty");
		return 0;
	}
	return walk_list_item(ctx, k, node, dst);
}

static void
walk_bool(struct conf_ctx *ctx, yaml_node_t *node, bool *dst)
{
	const char *s;

	if ((s = walk_scalar(ctx, node, "true or false")) == NULL)
		return;
	if (strcmp(s, "true") == 0)
		*dst = true;
	else if (strcmp(s, "false") == 0)
		*dst = false;
	else
		conf_err(ctx, node, "expected true or false, got \"%s\"", s);
}

/*
 * Parses the text of an integer, a duration or a size (by the row's
 * type) into *v; false after saying why not.  The row's range is the
 * caller's to check, except for an integer too large to parse.
 */
static bool
walk_parse_number(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, const char *s, int64_t *v)
{
	char why[CONF_WHYMAX];
	int rc;

	switch (k->type) {
	case CONF_T_DURATION:
		if (conf_parse_duration(s, v, why, sizeof(why)) == 0)
			return true;
		conf_err(ctx, node, "bad duration \"%s\": %s", s, why);
		return false;
	case CONF_T_SIZE:
		if (conf_parse_size(s, v, why, sizeof(why)) == 0)
			return true;
		conf_err(ctx, node, "bad size \"%s\": %s", s, why);
		return false;
	default:
		rc = conf_parse_int(s, v);
		if (rc == -EINVAL)
			conf_err(ctx, node, "expected an integer, got \"%s\"",
			    s);
		else if (rc != 0)
			walk_range(ctx, k, node, s);
		return rc == 0;
	}
}

/* An integer, a duration or a size, in the row's [min, max]. */
static void
walk_number(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, int64_t *dst)
{
	const char *what, *s;
	int64_t v;

	if (k->type == CONF_T_DURATION)
		what = "a duration, e.g. 3s";
	else if (k->type == CONF_T_SIZE)
		what = "a size, e.g. 64k";
	else
		what = "an integer";
	if ((s = walk_scalar(ctx, node, what)) == NULL ||
	    !walk_parse_number(ctx, k, node, s, &v))
		return;
	if (v < k->min || v > k->max)
		walk_range(ctx, k, node, s);
	else
		*dst = v;
}

/* A string, not empty; a name for CONF_T_NAME.  0 or -ENOMEM. */
static int
walk_string(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, char **dst)
{
	const char *s;

	if ((s = walk_scalar(ctx, node, k->type == CONF_T_NAME ?
	    "a name" : "a string")) == NULL)
		return 0;
	if (*s == '\0') {
		conf_err(ctx, node, "must not be empty");
		return 0;
	}
	if (k->type == CONF_T_NAME && !conf_is_name(s)) {
		conf_err(ctx, node, "bad name \"%s\": use 1 to 64 "
		    "letters, digits, '.', '_' or '-'", s);
		return 0;
	}
	free(*dst);
	*dst = strdup(s);
	return *dst == NULL ? -ENOMEM : 0;
}

/* Reads the value of row `k` into `base`, by the row's type. */
static int
walk_value(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	void *dst = (char *)base + k->offset;

	switch (k->type) {
	case CONF_T_MAP:
		return conf_map(ctx, node, k->sub, dst);
	case CONF_T_FUNC:
		return k->fn(ctx, k, node, base);
	case CONF_T_ADDR:
	case CONF_T_ADDRS:
	case CONF_T_CIDRS:
		return walk_list(ctx, k, node, dst);
	case CONF_T_ENUM:
		walk_enum(ctx, k, node, dst);
		return 0;
	case CONF_T_LATER:
		return 0;	/* the walker reported it at the key */
	case CONF_T_BOOL:
		walk_bool(ctx, node, dst);
		return 0;
	case CONF_T_INT:
	case CONF_T_DURATION:
	case CONF_T_SIZE:
		walk_number(ctx, k, node, dst);
		return 0;
	case CONF_T_STRING:
	case CONF_T_NAME:
		return walk_string(ctx, k, node, dst);
	}
	return 0;
}

/*
 * One key of a mapping read with `table` (`nkeys` rows), and its value:
 * the key must be a scalar, a row of the table, and not seen before
 * (`seen` holds each row's key node once read).  0 or -ENOMEM.
 */
static int
walk_pair(struct conf_ctx *ctx, const struct conf_key *table, size_t nkeys,
    yaml_node_t **seen, const yaml_node_pair_t *pair, void *base)
{
	yaml_node_t *kn, *vn;
	struct conf_pos first;
	const char *name;
	char desc[64];
	size_t i, saved;
	int rc = 0;

	kn = conf_node(ctx, pair->key);
	vn = conf_node(ctx, pair->value);
	if (kn->type != YAML_SCALAR_NODE) {
		conf_err(ctx, kn, "expected a key, got %s",
		    conf_describe(kn, desc, sizeof(desc)));
		return 0;
	}
	name = (const char *)kn->data.scalar.value;
	for (i = 0; i < nkeys; i++)
		if (strcmp(table[i].name, name) == 0)
			break;
	if (i == nkeys) {
		conf_err(ctx, kn, "unknown key \"%s\"", name);
		return 0;
	}
	if (seen[i] != NULL) {
		first = conf_node_pos(seen[i]);
		conf_err(ctx, kn, "duplicate key \"%s\" (first at %lu:%lu)",
		    name, first.line, first.column);
		return 0;
	}
	seen[i] = kn;
	saved = conf_path_key(ctx, name);
	if (table[i].type == CONF_T_LATER)
		conf_err_nopath(ctx, kn, "%s is not supported yet", ctx->path);
	else
		rc = walk_value(ctx, &table[i], vn, base);
	conf_path_pop(ctx, saved);
	return rc;
}

/*
 * Reads mapping `node` with `table` into `base`: unknown, duplicate and
 * missing keys are reported here, values by walk_value().  A null value
 * (a key with nothing after it) reads as an empty mapping.
 */
int
conf_map(struct conf_ctx *ctx, yaml_node_t *node, const struct conf_key *table,
    void *base)
{
	yaml_node_t *seen[CONF_MAXKEYS] = { NULL };
	yaml_node_pair_t *pair;
	char desc[64];
	size_t nkeys, i;
	int rc = 0;

	for (nkeys = 0; table[nkeys].name != NULL; nkeys++)
		;
	if (nkeys > CONF_MAXKEYS)
		abort();	/* a table too long for `seen` */
	if (ctx->too_big)
		return 0;
	if (node->type == YAML_MAPPING_NODE) {
		for (pair = node->data.mapping.pairs.start;
		    pair < node->data.mapping.pairs.top && rc == 0; pair++)
			rc = walk_pair(ctx, table, nkeys, seen, pair, base);
	} else if (!conf_is_null(node)) {
		conf_err(ctx, node, "expected a mapping, got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	for (i = 0; i < nkeys; i++)
		if ((table[i].flags & CONF_K_REQUIRED) && seen[i] == NULL)
			conf_err(ctx, node, "missing required key \"%s\"",
			    table[i].name);
	return rc;
}
