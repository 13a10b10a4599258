/*
 * Loading the configuration: the file is read whole (with a bound on its
 * size), handed to libyaml's document loader, and the resulting node tree
 * is walked with the tables of schema.c, then checked as a whole by
 * check.c.
 *
 * Its place: the top of conf/, and the only file that implements the
 * public entry points of conf.h.  The layers, each using only those after
 * it:  load -> check -> schema -> walk -> doc -> resolve -> value, with
 * the model, conf.h, under all of them.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/check.h"
#include "conf/doc.h"
#include "conf/schema.h"

#define CONF_FILEMAX	(16 * 1024 * 1024)	/* larger is a mistake */
/*
 * Collections nested deeper than this are refused.  The schema needs
 * about six levels; libyaml's time grows with the square of the depth
 * (40,000 levels, 80 KB, took 4.4 s: a reload stalled the loop that
 * long), so depth is bounded before libyaml builds anything.
 */
#define CONF_DEPTH_MAX	64
/*
 * So are more anchors (&name) than this: libyaml looks each alias up,
 * and each new anchor's name too, among all the anchors before it, so
 * their cost grows with the square (20,000 anchors and their aliases,
 * 1.1 MB, took 10 s).  A configuration names a few shared blocks.
 */
#define CONF_ANCHORS_MAX	256

static int
load_read_file(struct conf_ctx *ctx, const char *path, char **textp,
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
load_syntax_error(struct conf_ctx *ctx, const yaml_parser_t *parser,
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

/* The anchor an event names, or NULL. */
static const yaml_char_t *
load_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/*
 * Refuses a text nested deeper than CONF_DEPTH_MAX, or with more than
 * CONF_ANCHORS_MAX anchors, from libyaml's events, which reach either
 * bound after only that much work: 0, -EINVAL (reported at the
 * collection that goes too deep, or the anchor too many), -ENOMEM.
 * A syntax error is left for load_parse() to report, with its context.
 */
static int
load_depth(struct conf_ctx *ctx, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct conf_pos pos;
	int depth = 0, anchors = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	while (!done && rc == 0 && yaml_parser_parse(&parser, &ev)) {
		if (load_anchor(&ev) != NULL &&
		    ++anchors > CONF_ANCHORS_MAX) {
			pos.line = ev.start_mark.line + 1;
			pos.column = ev.start_mark.column + 1;
			conf_err_pos(ctx, pos, "more than %d anchors (&name)",
			    CONF_ANCHORS_MAX);
			rc = -EINVAL;
		} else if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > CONF_DEPTH_MAX) {
				pos.line = ev.start_mark.line + 1;
				pos.column = ev.start_mark.column + 1;
				conf_err_pos(ctx, pos, "nested deeper than %d "
				    "levels", CONF_DEPTH_MAX);
				rc = -EINVAL;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	if (parser.error == YAML_MEMORY_ERROR)
		rc = -ENOMEM;
	yaml_parser_delete(&parser);
	return rc;
}

/* Parses the text into `doc`: exactly one document, or an error. */
static int
load_parse(struct conf_ctx *ctx, const char *text, size_t len,
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
		rc = load_syntax_error(ctx, &parser, text, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	if (yaml_document_get_root_node(doc) != NULL) {
		if (!yaml_parser_load(&parser, &extra))
			rc = load_syntax_error(ctx, &parser, text, len);
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
	return conf_load_with(path, NULL, out, errs);
}

int
conf_load_with(const char *path, const struct conf_names *names,
    struct conf **out, struct conf_errors *errs)
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
	ctx.names = names;
	rc = load_read_file(&ctx, path, &text, &len);
	if (rc != 0)
		goto done;
	ctx.nodes_max = conf_nodes_max(len);
	if ((rc = load_depth(&ctx, text, len)) != 0)
		goto done;
	rc = load_parse(&ctx, text, len, &doc);
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
			rc = conf_check(&ctx, conf);
	}
	free(ctx.lnodes);
	yaml_document_delete(&doc);
done:
	free(text);
	conf_errors_finish(&ctx, start);
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
	size_t i, j;

	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->process.user);
	free(conf->process.group);
	free(conf->process.pid_file);
	free(conf->logging.access_path);
	free(conf->admin.socket);
	free(conf->stats.listen.v);
	free(conf->stats.acl_name);
	for (i = 0; i < conf->nacls; i++) {
		free(conf->acls[i].name);
		free(conf->acls[i].allow.v);
		free(conf->acls[i].deny.v);
	}
	free(conf->acls);
	for (i = 0; i < conf->nupstreams; i++) {
		free(conf->upstreams[i].name);
		for (j = 0; j < conf->upstreams[i].nservers; j++)
			free(conf->upstreams[i].servers[j].name);
		free(conf->upstreams[i].servers);
		free(conf->upstreams[i].health.send);
		free(conf->upstreams[i].health.expect);
	}
	free(conf->upstreams);
	for (i = 0; i < conf->nlisteners; i++) {
		free(conf->listeners[i].name);
		free(conf->listeners[i].bind.v);
		free(conf->listeners[i].upstream_name);
		free(conf->listeners[i].acl_name);
		free(conf->listeners[i].pp.trusted.v);
	}
	free(conf->listeners);
	free(conf->resolver.servers.v);
	free(conf);
}
