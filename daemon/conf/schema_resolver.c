/*
 * The schema of names that move (schema_resolver.h).  The resolver's
 * servers are literal IP addresses with a port: a name there would have
 * to be looked up by the resolver it names.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema_keys.h"
#include "conf/schema_resolver.h"
#include "conf/value.h"

static conf_fn schema_resolver_servers;

const struct conf_key conf_resolver_keys[] = {
	KEY_FUNC("servers", 0, schema_resolver_servers),
	KEY("refresh", CONF_T_DURATION, struct conf_resolver, refresh_ms, 0,
	    SEC, DAY),
	KEY_END,
};

/* One server of the resolver: IPv4:port or [IPv6]:port, nothing else. */
static int
schema_resolver_server(struct conf_ctx *ctx, yaml_node_t *node,
    struct conf_resolver *r)
{
	struct conf_addr_spec spec;
	char why[CONF_WHYMAX], desc[64];
	const char *s;
	int fam;

	if (node->type != YAML_SCALAR_NODE || conf_is_null(node)) {
		conf_err(ctx, node, "expected an address, got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	s = (const char *)node->data.scalar.value;
	if (conf_parse_addr(s, &spec, why, sizeof(why)) != 0) {
		conf_err(ctx, node, "bad address \"%s\": %s", s, why);
		return 0;
	}
	fam = spec.addr.u.sa.sa_family;
	if (spec.host[0] != '\0' || (fam != AF_INET && fam != AF_INET6)) {
		conf_err(ctx, node, "bad address \"%s\": a resolver is an "
		    "IPv4:port or [IPv6]:port address", s);
		return 0;
	}
	if (r->servers.n == CONF_RESOLVER_SERVERS_MAX) {
		conf_err(ctx, node, "more than %d resolver servers",
		    CONF_RESOLVER_SERVERS_MAX);
		return 0;
	}
	return conf_addrs_push(&r->servers, &spec.addr, conf_node_pos(node));
}

/* A scalar or a sequence of them, as every address list. */
static int
schema_resolver_servers(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_resolver *r = base;
	yaml_node_item_t *item;
	int rc = 0;

	(void)k;
	if (node->type != YAML_SEQUENCE_NODE)
		return schema_resolver_server(ctx, node, r);
	for (item = node->data.sequence.items.start;
	    rc == 0 && item < node->data.sequence.items.top; item++)
		rc = schema_resolver_server(ctx, conf_node(ctx, *item), r);
	if (rc == 0 && node->data.sequence.items.start ==
	    node->data.sequence.items.top)
		conf_err(ctx, node, "expected at least one address");
	return rc;
}

int
conf_entry_name(struct conf_ctx *ctx, yaml_node_t *entry, char **name)
{
	struct conf_addr_spec spec;
	char why[CONF_WHYMAX];
	yaml_node_t *node;
	size_t saved;

	*name = NULL;
	if (entry == NULL || entry->type != YAML_MAPPING_NODE ||
	    (node = conf_lookup(ctx, entry, "address", NULL)) == NULL ||
	    node->type != YAML_SCALAR_NODE ||
	    conf_parse_addr((const char *)node->data.scalar.value, &spec,
	    why, sizeof(why)) != 0)
		return 0;	/* the address itself was reported */
	if (spec.host[0] == '\0') {
		saved = conf_path_key(ctx, "address");
		conf_err(ctx, node, "resolve: true needs a host name, not "
		    "\"%s\"", (const char *)node->data.scalar.value);
		conf_path_pop(ctx, saved);
		return 0;
	}
	*name = strdup(spec.host);
	return *name == NULL ? -ENOMEM : 0;
}
