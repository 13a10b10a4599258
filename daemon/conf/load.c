/*
 * Loading the configuration: the file is read whole, handed to libyaml's
 * document loader, and the resulting node tree is walked with the tables
 * of conf_schema.c.
 *
 * Why the document API rather than events: errors must point at nodes,
 * duplicate keys must point at both occurrences, and cross-checks
 * (listener names, references, binds) need the nodes again after the
 * walk.  A configuration is small, so holding its tree costs nothing.
 *
 * libyaml's traps, and the answers here:
 *  - it resolves no types: "yes", "off", "010" all arrive as text, and
 *    the schema alone says what they are;
 *  - it accepts duplicate keys silently: the walker checks;
 *  - its marks are 0-based, and a reader error (bad UTF-8) has only a
 *    byte offset: both are turned into 1-based line and column;
 *  - a second document ("---") is legal YAML: it is refused, as the
 *    daemon would otherwise ignore half of the file.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/priv.h"

#define CONF_FILEMAX	(16 * 1024 * 1024)	/* larger is a mistake */

/*
 * Errors.
 */

static void
conf_add_error(struct conf_ctx *ctx, struct conf_pos pos, char *message)
{
	struct conf_errors *errs = ctx->errs;
	struct conf_error *e;

	ctx->nerrors++;
	if (message == NULL)
		goto nomem;
	if (errs->n == errs->cap) {
		size_t cap = errs->cap == 0 ? 8 : errs->cap * 2;
		struct conf_error *v = realloc(errs->v, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		errs->v = v;
		errs->cap = cap;
	}
	e = &errs->v[errs->n];
	e->file = strdup(ctx->file);
	if (e->file == NULL)
		goto nomem;
	e->line = pos.line;
	e->column = pos.column;
	e->message = message;
	errs->n++;
	return;
nomem:
	free(message);
	ctx->nomem = true;
	errs->nomem = true;
}

static void
conf_verr(struct conf_ctx *ctx, struct conf_pos pos, bool with_path,
    const char *fmt, va_list ap)
{
	char *text = NULL, *message = NULL;

	/* Past the bound, counted only: not formatted, not kept. */
	if (ctx->nerrors >= CONF_ERRORS_MAX) {
		ctx->nerrors++;
		return;
	}
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	if (text != NULL && with_path && ctx->pathlen > 0) {
		if (asprintf(&message, "%s: %s", ctx->path, text) < 0)
			message = NULL;
		free(text);
	} else
		message = text;
	conf_add_error(ctx, pos, message);
}

/* Reports an error at `node`, after the path of the value being read. */
void
conf_err(struct conf_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(ctx, conf_node_pos(node), true, fmt, ap);
	va_end(ap);
}

/* Reports an error at `node` whose text says where it is itself. */
void
conf_err_nopath(struct conf_ctx *ctx, const yaml_node_t *node,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(ctx, conf_node_pos(node), false, fmt, ap);
	va_end(ap);
}

void
conf_err_pos(struct conf_ctx *ctx, struct conf_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(ctx, pos, false, fmt, ap);
	va_end(ap);
}

void
conf_errors_free(struct conf_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].message);
	}
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

void
conf_errors_print(const struct conf_errors *errs, FILE *fp)
{
	const struct conf_error *e;
	size_t i;

	for (i = 0; i < errs->n; i++) {
		e = &errs->v[i];
		if (e->line != 0)
			fprintf(fp, "%s:%lu:%lu: %s\n", e->file, e->line,
			    e->column, e->message);
		else
			fprintf(fp, "%s: %s\n", e->file, e->message);
	}
	if (errs->nomem)
		fprintf(fp, "out of memory: some errors are not shown\n");
}

/* Sorts the errors from `start` by position, keeping the order of ties. */
static void
conf_errors_sort(struct conf_errors *errs, size_t start)
{
	struct conf_error e;
	size_t i, j;

	for (i = start + 1; i < errs->n; i++) {
		e = errs->v[i];
		for (j = i; j > start; j--) {
			const struct conf_error *p = &errs->v[j - 1];

			if (p->line < e.line ||
			    (p->line == e.line && p->column <= e.column))
				break;
			errs->v[j] = *p;
		}
		errs->v[j] = e;
	}
}

/*
 * Nodes and paths.
 */

struct conf_pos
conf_node_pos(const yaml_node_t *node)
{
	struct conf_pos pos = { 1, 1 };

	if (node != NULL) {
		pos.line = node->start_mark.line + 1;
		pos.column = node->start_mark.column + 1;
	}
	return pos;
}

yaml_node_t *
conf_node(struct conf_ctx *ctx, int id)
{
	if (++ctx->nodes > CONF_NODES_MAX && !ctx->too_big) {
		ctx->too_big = true;
		conf_err_pos(ctx, (struct conf_pos){ 0, 0 }, "more than %d "
		    "nodes to read (aliases count each time they are used): "
		    "not read further", CONF_NODES_MAX);
	}
	return yaml_document_get_node(ctx->doc, id);
}

/* The value of `key` in mapping `map`, or NULL; its key node too. */
yaml_node_t *
conf_lookup(struct conf_ctx *ctx, yaml_node_t *map, const char *key,
    yaml_node_t **keynode)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = conf_node(ctx, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0) {
			if (keynode != NULL)
				*keynode = k;
			return conf_node(ctx, pair->value);
		}
	}
	return NULL;
}

/* YAML's null: an empty plain scalar, "~" or "null". */
bool
conf_is_null(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)node->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Names what a node is, for "expected X, got Y". */
const char *
conf_describe(const yaml_node_t *node, char *buf, size_t len)
{
	const char *s;

	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_SCALAR_NODE:
		if (conf_is_null(node))
			return "nothing";
		s = (const char *)node->data.scalar.value;
		if (strlen(s) > 40)
			snprintf(buf, len, "\"%.37s...\"", s);
		else
			snprintf(buf, len, "\"%s\"", s);
		return buf;
	default:
		return "nothing";
	}
}

static size_t
conf_path_append(struct conf_ctx *ctx, const char *text, bool dot)
{
	size_t saved = ctx->pathlen;
	int n;

	n = snprintf(ctx->path + saved, sizeof(ctx->path) - saved, "%s%s",
	    dot && saved > 0 ? "." : "", text);
	if (n > 0)
		ctx->pathlen += (size_t)n;
	if (ctx->pathlen >= sizeof(ctx->path))
		ctx->pathlen = sizeof(ctx->path) - 1;
	return saved;
}

/* Adds ".key" to the path; returns what conf_path_pop() restores. */
size_t
conf_path_key(struct conf_ctx *ctx, const char *key)
{
	return conf_path_append(ctx, key, true);
}

size_t
conf_path_index(struct conf_ctx *ctx, size_t i)
{
	char text[32];

	snprintf(text, sizeof(text), "[%zu]", i);
	return conf_path_append(ctx, text, false);
}

void
conf_path_pop(struct conf_ctx *ctx, size_t saved)
{
	ctx->pathlen = saved;
	ctx->path[saved] = '\0';
}

/*
 * The walker.
 */

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

/* Names of listeners, upstreams and ACLs: [A-Za-z0-9._-]{1,64}. */
bool
conf_is_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
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

/* One element of an address or CIDR list. */
static int
walk_list_item(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *dst)
{
	struct conf_cidrs *cidrs = dst;
	struct conf_cidr c, *v;
	char why[CONF_WHYMAX];
	const char *s;
	int rc;

	if (k->type == CONF_T_CIDRS) {
		s = walk_scalar(ctx, node, "a CIDR");
		if (s == NULL)
			return 0;
		if (conf_parse_cidr(s, &c, why, sizeof(why)) != 0) {
			conf_err(ctx, node, "bad CIDR \"%s\": %s", s, why);
			return 0;
		}
		v = realloc(cidrs->v, (cidrs->n + 1) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		cidrs->v = v;
		v[cidrs->n++] = c;
		return 0;
	}
	s = walk_scalar(ctx, node, "an address");
	if (s == NULL)
		return 0;
	rc = conf_parse_addr(s, conf_node_pos(node), dst, why, sizeof(why));
	if (rc == -1) {
		conf_err(ctx, node, "bad address \"%s\": %s", s, why);
		rc = 0;
	}
	return rc;
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

int
conf_read_value(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	void *dst = (char *)base + k->offset;
	char why[CONF_WHYMAX];
	const char *s;
	int64_t v;
	int rc;

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
		if ((s = walk_scalar(ctx, node, "true or false")) == NULL)
			return 0;
		if (strcmp(s, "true") == 0)
			*(bool *)dst = true;
		else if (strcmp(s, "false") == 0)
			*(bool *)dst = false;
		else
			conf_err(ctx, node, "expected true or false, got "
			    "\"%s\"", s);
		return 0;
	case CONF_T_INT:
		if ((s = walk_scalar(ctx, node, "an integer")) == NULL)
			return 0;
		rc = conf_parse_int(s, &v);
		if (rc == -EINVAL)
			conf_err(ctx, node, "expected an integer, got \"%s\"",
			    s);
		else if (rc != 0 || v < k->min || v > k->max)
			walk_range(ctx, k, node, s);
		else
			*(int64_t *)dst = v;
		return 0;
	case CONF_T_DURATION:
		if ((s = walk_scalar(ctx, node, "a duration, e.g. 3s")) ==
		    NULL)
			return 0;
		if (conf_parse_duration(s, &v, why, sizeof(why)) != 0)
			conf_err(ctx, node, "bad duration \"%s\": %s", s, why);
		else if (v < k->min || v > k->max)
			walk_range(ctx, k, node, s);
		else
			*(int64_t *)dst = v;
		return 0;
	case CONF_T_SIZE:
		if ((s = walk_scalar(ctx, node, "a size, e.g. 64k")) == NULL)
			return 0;
		if (conf_parse_size(s, &v, why, sizeof(why)) != 0)
			conf_err(ctx, node, "bad size \"%s\": %s", s, why);
		else if (v < k->min || v > k->max)
			walk_range(ctx, k, node, s);
		else
			*(int64_t *)dst = v;
		return 0;
	case CONF_T_STRING:
	case CONF_T_NAME:
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
		free(*(char **)dst);
		*(char **)dst = strdup(s);
		return *(char **)dst == NULL ? -ENOMEM : 0;
	}
	return 0;
}

/*
 * Reads mapping `node` with `table` into `base`: unknown, duplicate and
 * missing keys are reported here, values by conf_read_value().  A null
 * value (a key with nothing after it) reads as an empty mapping.
 */
int
conf_map(struct conf_ctx *ctx, yaml_node_t *node, const struct conf_key *table,
    void *base)
{
	yaml_node_t *seen[CONF_MAXKEYS] = { NULL };
	yaml_node_pair_t *pair;
	yaml_node_t *kn, *vn;
	const char *name;
	char desc[64];
	size_t nkeys, i, saved;
	int rc = 0;

	for (nkeys = 0; table[nkeys].name != NULL; nkeys++)
		;
	if (nkeys > CONF_MAXKEYS)
		abort();	/* a table too long for `seen` */
	if (ctx->too_big)
		return 0;
	if (node->type != YAML_MAPPING_NODE) {
		if (!conf_is_null(node)) {
			conf_err(ctx, node, "expected a mapping, got %s",
			    conf_describe(node, desc, sizeof(desc)));
			return 0;
		}
	} else {
		for (pair = node->data.mapping.pairs.start;
		    pair < node->data.mapping.pairs.top && rc == 0; pair++) {
			kn = conf_node(ctx, pair->key);
			vn = conf_node(ctx, pair->value);
			if (kn->type != YAML_SCALAR_NODE) {
				conf_err(ctx, kn, "expected a key, got %s",
				    conf_describe(kn, desc, sizeof(desc)));
				continue;
			}
			name = (const char *)kn->data.scalar.value;
			for (i = 0; i < nkeys; i++)
				if (strcmp(table[i].name, name) == 0)
					break;
			if (i == nkeys) {
				conf_err(ctx, kn, "unknown key \"%s\"", name);
				continue;
			}
			if (seen[i] != NULL) {
				struct conf_pos first = conf_node_pos(seen[i]);

				conf_err(ctx, kn, "duplicate key \"%s\" (first "
				    "at %lu:%lu)", name, first.line,
				    first.column);
				continue;
			}
			seen[i] = kn;
			saved = conf_path_key(ctx, name);
			if (table[i].type == CONF_T_LATER)
				conf_err_nopath(ctx, kn, "%s is not supported "
				    "yet", ctx->path);
			else
				rc = conf_read_value(ctx, &table[i], vn, base);
			conf_path_pop(ctx, saved);
		}
	}
	for (i = 0; i < nkeys; i++)
		if ((table[i].flags & CONF_K_REQUIRED) && seen[i] == NULL)
			conf_err(ctx, node, "missing required key \"%s\"",
			    table[i].name);
	return rc;
}

/*
 * The file.
 */

static int
conf_read_file(struct conf_ctx *ctx, const char *path, char **textp,
    size_t *lenp)
{
	struct conf_pos none = { 0, 0 };
	size_t len = 0, cap = 0, n;
	char *text = NULL, *t;
	FILE *fp;
	int rc;

	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = -errno;
		conf_err_pos(ctx, none, "cannot open: %s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > CONF_FILEMAX + 1)
				cap = CONF_FILEMAX + 1;
			if (len == cap) {
				conf_err_pos(ctx, none, "larger than %d MiB",
				    CONF_FILEMAX / (1024 * 1024));
				rc = -EFBIG;
				goto fail;
			}
			t = realloc(text, cap);
			if (t == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		rc = errno != 0 ? -errno : -EIO;
		conf_err_pos(ctx, none, "cannot read: %s", strerror(-rc));
		goto fail;
	}
	fclose(fp);
	*textp = text;
	*lenp = len;
	return 0;
fail:
	free(text);
	fclose(fp);
	return rc;
}

/* Reports libyaml's error: the only one, since it stops the parse. */
static int
conf_syntax_error(struct conf_ctx *ctx, const yaml_parser_t *parser,
    const char *text, size_t len)
{
	struct conf_pos pos;
	size_t i;

	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (parser->error == YAML_READER_ERROR) {
		/* Only a byte offset: count lines and UTF-8 characters. */
		pos.line = 1;
		pos.column = 1;
		for (i = 0; i < parser->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				pos.line++;
				pos.column = 1;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				pos.column++;
		}
	} else {
		pos.line = parser->problem_mark.line + 1;
		pos.column = parser->problem_mark.column + 1;
	}
	if (parser->context != NULL)
		conf_err_pos(ctx, pos, "syntax error: %s (%s at %lu:%lu)",
		    parser->problem != NULL ? parser->problem : "unknown",
		    parser->context, (unsigned long)parser->context_mark.line +
		    1, (unsigned long)parser->context_mark.column + 1);
	else
		conf_err_pos(ctx, pos, "syntax error: %s",
		    parser->problem != NULL ? parser->problem : "unknown");
	return -EINVAL;
}

/* Parses the text into `doc`: exactly one document, or an error. */
static int
conf_parse(struct conf_ctx *ctx, const char *text, size_t len,
    yaml_document_t *doc)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, doc)) {
		rc = conf_syntax_error(ctx, &parser, text, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	if (yaml_document_get_root_node(doc) != NULL) {
		if (!yaml_parser_load(&parser, &extra))
			rc = conf_syntax_error(ctx, &parser, text, len);
		else {
			root = yaml_document_get_root_node(&extra);
			if (root != NULL)
				conf_err_nopath(ctx, root, "only one YAML "
				    "document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && ctx->nerrors > 0)
		rc = -EINVAL;
	if (rc != 0)
		yaml_document_delete(doc);
	return rc;
}

int
conf_load(const char *path, struct conf **out, struct conf_errors *errs)
{
	struct conf_ctx ctx;
	struct conf *conf = NULL;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t start = errs->n, len = 0;
	char *text = NULL;
	int rc;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = path;
	ctx.errs = errs;
	rc = conf_read_file(&ctx, path, &text, &len);
	if (rc != 0)
		goto done;
	rc = conf_parse(&ctx, text, len, &doc);
	if (rc != 0)
		goto done;
	ctx.doc = &doc;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL || (conf->path = strdup(path)) == NULL)
		rc = -ENOMEM;
	else {
		conf_init(conf);
		root = yaml_document_get_root_node(&doc);
		if (root == NULL)
			conf_err_nopath(&ctx, NULL, "the configuration is "
			    "empty");
		else
			rc = conf_map(&ctx, root, conf_root_keys, conf);
		/* The checks across entries grow with the square. */
		if (rc == 0 && !ctx.too_big)
			rc = conf_resolve(&ctx, conf);
	}
	free(ctx.lnodes);
	yaml_document_delete(&doc);
done:
	free(text);
	conf_errors_sort(errs, start);
	if (ctx.nerrors > CONF_ERRORS_MAX) {
		char *more = NULL;

		if (asprintf(&more, "%zu more errors not shown",
		    ctx.nerrors - CONF_ERRORS_MAX) < 0)
			more = NULL;
		ctx.nerrors = CONF_ERRORS_MAX;	/* lets this one through */
		conf_add_error(&ctx, (struct conf_pos){ 0, 0 }, more);
	}
	if (ctx.nomem)
		rc = -ENOMEM;
	if (rc == 0 && ctx.nerrors > 0)
		rc = -EINVAL;
	if (rc == -ENOMEM)
		errs->nomem = true;
	if (rc != 0) {
		conf_free(conf);
		return rc;
	}
	*out = conf;
	return 0;
}

void
conf_free(struct conf *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->process.user);
	free(conf->process.group);
	free(conf->process.pid_file);
	free(conf->logging.access_path);
	for (i = 0; i < conf->nacls; i++) {
		free(conf->acls[i].name);
		free(conf->acls[i].allow.v);
		free(conf->acls[i].deny.v);
	}
	free(conf->acls);
	for (i = 0; i < conf->nupstreams; i++) {
		free(conf->upstreams[i].name);
		free(conf->upstreams[i].servers);
	}
	free(conf->upstreams);
	for (i = 0; i < conf->nlisteners; i++) {
		free(conf->listeners[i].name);
		free(conf->listeners[i].bind.v);
		free(conf->listeners[i].upstream_name);
		free(conf->listeners[i].acl_name);
	}
	free(conf->listeners);
	free(conf);
}
