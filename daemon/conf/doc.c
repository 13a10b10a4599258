/*
 * The document being read: errors with their places, libyaml's nodes,
 * and the path of the value being read (doc.h).
 *
 * Errors are bounded (CONF_ERRORS_MAX): past the bound they are counted,
 * not formatted, and conf_errors_finish() says how many were left out.
 *
 * Its place: conf/, under the walker (walk -> doc); the errors it keeps
 * are conf.h's public list, whose conf_errors_free() and
 * conf_errors_print() are here too.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/doc.h"

/*
 * Errors.
 */


/*
 * A copy of s with its control bytes written as escapes (\n, \r, \t,
 * else \xHH, DEL included), so that no value quoted in a message can
 * start a line of its own in a log or a terminal, nor drive the
 * terminal: a newline in a value would forge a second "error:" line.
 * NULL when out of memory.
 */
static char *
doc_escape(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	char *out, *o;

	if ((out = malloc(strlen(s) * 4 + 1)) == NULL)
		return NULL;
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '\\';
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			*o++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else {
			*o++ = 'x';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static void
doc_add_error(struct conf_ctx *ctx, struct conf_pos pos, char *raw)
{
	struct conf_errors *errs = ctx->errs;
	struct conf_error *e;
	char *message = raw != NULL ? doc_escape(raw) : NULL;

	free(raw);
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
	e->file = doc_escape(ctx->file);
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

static void doc_verr(struct conf_ctx *ctx, struct conf_pos pos,
    bool with_path, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
doc_verr(struct conf_ctx *ctx, struct conf_pos pos, bool with_path,
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
	doc_add_error(ctx, pos, message);
}

bool
conf_err_full(const struct conf_ctx *ctx)
{
	return ctx->nerrors >= CONF_ERRORS_MAX;
}

/* Reports an error at `node`, after the path of the value being read. */
void
conf_err(struct conf_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verr(ctx, conf_node_pos(node), true, fmt, ap);
	va_end(ap);
}

/* Reports an error at `node` whose text says where it is itself. */
void
conf_err_nopath(struct conf_ctx *ctx, const yaml_node_t *node,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verr(ctx, conf_node_pos(node), false, fmt, ap);
	va_end(ap);
}

void
conf_err_pos(struct conf_ctx *ctx, struct conf_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verr(ctx, pos, false, fmt, ap);
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
doc_errors_sort(struct conf_errors *errs, size_t start)
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
 * Ends the errors of one load: sorts those from `start` by position and
 * says how many the bound left out.
 */
void
conf_errors_finish(struct conf_ctx *ctx, size_t start)
{
	char *more = NULL;

	doc_errors_sort(ctx->errs, start);
	if (ctx->nerrors <= CONF_ERRORS_MAX)
		return;
	if (asprintf(&more, "%zu more errors not shown",
	    ctx->nerrors - CONF_ERRORS_MAX) < 0)
		more = NULL;
	ctx->nerrors = CONF_ERRORS_MAX;	/* lets this one through */
	doc_add_error(ctx, (struct conf_pos){ 0, 0 }, more);
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

size_t
conf_nodes_max(size_t len)
{
	if (len > (CONF_NODES_MAX - CONF_NODES_MIN) / CONF_NODES_PER_BYTE)
		return CONF_NODES_MAX;
	return CONF_NODES_MIN + CONF_NODES_PER_BYTE * len;
}

/* Reported at the node that went past the bound. */
yaml_node_t *
conf_node(struct conf_ctx *ctx, int id)
{
	yaml_node_t *node = yaml_document_get_node(ctx->doc, id);

	if (++ctx->nodes > ctx->nodes_max && !ctx->too_big) {
		ctx->too_big = true;
		conf_err_nopath(ctx, node, "more than %zu nodes to read for "
		    "a file of this size (aliases count each time they are "
		    "used): not read further", ctx->nodes_max);
	}
	return node;
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
doc_path_append(struct conf_ctx *ctx, const char *text, bool dot)
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
	return doc_path_append(ctx, key, true);
}

size_t
conf_path_index(struct conf_ctx *ctx, size_t i)
{
	char text[32];

	snprintf(text, sizeof(text), "[%zu]", i);
	return doc_path_append(ctx, text, false);
}

void
conf_path_pop(struct conf_ctx *ctx, size_t saved)
{
	ctx->pathlen = saved;
	ctx->path[saved] = '\0';
}
