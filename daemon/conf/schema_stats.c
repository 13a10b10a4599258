/*
 * The schema of `stats` (CONFIG.md): the operators' HTTP endpoint.  Its
 * own file so that the endpoint's keys stay next to each other and the
 * main schema (schema.c) changes by one row.  check.c resolves the ACL
 * name once every ACL is read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema.h"
#include "conf/value.h"

static conf_fn schema_stats_acl;

const struct conf_key conf_stats_keys[] = {
	{ .name = "listen", .type = CONF_T_ADDR,
	  .offset = offsetof(struct conf_stats, listen),
	  .flags = CONF_K_REQUIRED },
	{ .name = "acl", .type = CONF_T_FUNC, .fn = schema_stats_acl },
	{ .name = NULL },
};

/* A name, and where it is: the reference is checked later, by check.c. */
static int
schema_stats_acl(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_stats *st = base;
	const char *s;
	char desc[64];

	(void)k;
	if (node->type != YAML_SCALAR_NODE || conf_is_null(node) ||
	    !conf_is_name((const char *)node->data.scalar.value)) {
		conf_err(ctx, node, "expected a name, got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	s = (const char *)node->data.scalar.value;
	free(st->acl_name);
	if ((st->acl_name = strdup(s)) == NULL)
		return -ENOMEM;
	st->acl_pos = conf_node_pos(node);
	return 0;
}
