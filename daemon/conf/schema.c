/*
 * The schema of mioproxy.yaml (CONFIG.md): one table per mapping, one row
 * per key, so that a new key is one line here and one field in conf.h.
 * Keys marked (later) in CONFIG.md are rows of type CONF_T_LATER: known,
 * so that they are refused as "not supported yet" rather than as typos.
 *
 * Its place: conf/, above the walker that applies these tables (load ->
 * check -> schema -> walk); the checks that need the whole file are
 * check.c's.  The words of logging.level are the error log's (log.h,
 * a foundation below conf/).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema.h"
#include "conf/schema_admin.h"
#include "conf/schema_hash.h"
#include "conf/schema_health.h"
#include "conf/schema_keys.h"
#include "conf/schema_pp.h"
#include "conf/schema_resolver.h"
#include "conf/value.h"
#include "log.h"

/* One entry of `servers`, before its address expands into servers. */
struct schema_server {
	struct conf_addrs address;
	int64_t		 weight;
	int64_t		 max_connections;
	bool		 backup;
	bool		 resolve;	/* issue 15: follow the name */
};

static conf_fn schema_version, schema_access_target, schema_listeners,
    schema_upstreams, schema_acls, schema_servers;
static conf_fn schema_workers;

/* The words of log.h's levels (log_level_parse() reads the same). */
static const struct conf_word schema_levels[] = {
	{ "error", LOG_LEVEL_ERROR, false },
	{ "warn", LOG_LEVEL_WARN, false },
	{ "info", LOG_LEVEL_INFO, false },
	{ "debug", LOG_LEVEL_DEBUG, false },
	{ NULL, 0, false },
};

static const struct conf_word schema_log_targets[] = {
	{ "stderr", LOG_TARGET_STDERR, false },
	{ "syslog", LOG_TARGET_SYSLOG, false },
	{ NULL, 0, false },
};

static const struct conf_word schema_access_formats[] = {
	{ "text", CONF_ACCESS_TEXT, false },
	{ "json", CONF_ACCESS_JSON, false },
	{ NULL, 0, false },
};

static const struct conf_word schema_protocols[] = {
	{ "tcp", CONF_PROTO_TCP, false },
	{ "udp", CONF_PROTO_UDP, false },
	{ NULL, 0, false },
};

static const struct conf_word schema_balances[] = {
	{ "round_robin", CONF_BALANCE_ROUND_ROBIN, false },
	{ "least_conn", CONF_BALANCE_LEAST_CONN, false },
	{ "source_hash", CONF_BALANCE_SOURCE_HASH, false },
	{ "random_two", CONF_BALANCE_RANDOM_TWO, false },
	{ "consistent_hash", CONF_BALANCE_CONSISTENT_HASH, false },
	{ NULL, 0, false },
};

/* process.io (issue 17): the relay engine. */
static const struct conf_word schema_ios[] = {
	{ "readiness", CONF_IO_READINESS, false },
	{ "auto", CONF_IO_AUTO, false },
	{ "uring", CONF_IO_URING, false },
	{ NULL, 0, false },
};

static const struct conf_key schema_process[] = {
	KEY("user", CONF_T_STRING, struct conf_process, user, 0, 0, 0),
	KEY("group", CONF_T_STRING, struct conf_process, group, 0, 0, 0),
	KEY("pid_file", CONF_T_STRING, struct conf_process, pid_file, 0, 0, 0),
	KEY("max_fds", CONF_T_INT, struct conf_process, max_fds, 0,
	    16, 16 * 1024 * 1024),
	KEY("shutdown_grace", CONF_T_DURATION, struct conf_process,
	    shutdown_grace_ms, 0, 0, HOUR),
	KEY_FUNC("workers", 0, schema_workers),
	KEY_ENUM("io", struct conf_process, io, 0, schema_ios),
	KEY_END,
};

static const struct conf_key schema_access[] = {
	KEY_FUNC("target", 0, schema_access_target),
	KEY_ENUM("format", struct conf_logging, access_format, 0,
	    schema_access_formats),
	KEY_END,
};

static const struct conf_key schema_logging[] = {
	KEY_ENUM("level", struct conf_logging, level, 0, schema_levels),
	KEY_ENUM("target", struct conf_logging, target, 0, schema_log_targets),
	KEY_INLINE("access", schema_access),
	KEY_END,
};

static const struct conf_key schema_acl[] = {
	KEY("allow", CONF_T_CIDRS, struct conf_acl, allow, 0, 0, 0),
	KEY("deny", CONF_T_CIDRS, struct conf_acl, deny, 0, 0, 0),
	KEY_END,
};

static const struct conf_key schema_timeouts[] = {
	KEY("connect", CONF_T_DURATION, struct conf_timeouts, connect_ms, 0,
	    1, HOUR),
	KEY("idle", CONF_T_DURATION, struct conf_timeouts, idle_ms, 0,
	    1, 7 * DAY),
	KEY("half_close", CONF_T_DURATION, struct conf_timeouts,
	    half_close_ms, 0, 1, 7 * DAY),
	KEY("udp_session", CONF_T_DURATION, struct conf_timeouts,
	    udp_session_ms, 0, 1, 7 * DAY),
	KEY_END,
};

static const struct conf_key schema_limits[] = {
	KEY("max_connections", CONF_T_INT, struct conf_limits,
	    max_connections, 0, 1, 10000000),
	KEY("buffer_size", CONF_T_SIZE, struct conf_limits, buffer_size, 0,
	    1024, 16 * 1024 * 1024),
	KEY_END,
};

static const struct conf_key schema_defaults[] = {
	KEY_MAP("timeouts", struct conf, defaults_timeouts, schema_timeouts),
	KEY_MAP("limits", struct conf, defaults_limits, schema_limits),
	KEY_END,
};

static const struct conf_key schema_udp[] = {
	KEY("session_timeout", CONF_T_DURATION, struct conf_udp,
	    session_timeout_ms, 0, 1, 7 * DAY),
	KEY("max_sessions", CONF_T_INT, struct conf_udp, max_sessions, 0,
	    1, 10000000),
	KEY("responses", CONF_T_INT, struct conf_udp, responses, 0,
	    0, 1000000),
	KEY_END,
};

static const struct conf_key schema_listener[] = {
	KEY("name", CONF_T_NAME, struct conf_listener, name,
	    CONF_K_REQUIRED, 0, 0),
	KEY_ENUM("protocol", struct conf_listener, protocol, CONF_K_REQUIRED,
	    schema_protocols),
	KEY("bind", CONF_T_ADDRS, struct conf_listener, bind,
	    CONF_K_REQUIRED | CONF_K_NONEMPTY, 0, 0),
	KEY("upstream", CONF_T_NAME, struct conf_listener, upstream_name,
	    CONF_K_REQUIRED, 0, 0),
	KEY("acl", CONF_T_NAME, struct conf_listener, acl_name, 0, 0, 0),
	KEY_MAP("timeouts", struct conf_listener, timeouts, schema_timeouts),
	KEY_MAP("limits", struct conf_listener, limits, schema_limits),
	KEY_MAP("udp", struct conf_listener, udp, schema_udp),
	KEY_MAP("proxy_protocol", struct conf_listener, pp,
	    conf_pp_accept_keys),			/* schema_pp.c */
	KEY_END,
};

static const struct conf_key schema_server[] = {
	KEY("address", CONF_T_ADDR, struct schema_server, address,
	    CONF_K_REQUIRED, 0, 0),
	KEY("weight", CONF_T_INT, struct schema_server, weight, 0, 1, 1000),
	KEY("max_connections", CONF_T_INT, struct schema_server,
	    max_connections, 0, 0, 10000000),
	KEY("backup", CONF_T_BOOL, struct schema_server, backup, 0, 0, 0),
	KEY("resolve", CONF_T_BOOL, struct schema_server, resolve, 0, 0, 0),
	KEY_END,
};

static const struct conf_key schema_connect[] = {
	KEY("timeout", CONF_T_DURATION, struct conf_upstream,
	    connect_timeout_ms, 0, 1, HOUR),
	KEY("tries", CONF_T_INT, struct conf_upstream, connect_tries, 0,
	    1, 100),
	KEY_END,
};

static const struct conf_key schema_upstream[] = {
	KEY_ENUM("balance", struct conf_upstream, balance, 0, schema_balances),
	KEY_FUNC("servers", CONF_K_REQUIRED, schema_servers),
	KEY_INLINE("connect", schema_connect),
	KEY("slow_start", CONF_T_DURATION, struct conf_upstream, slow_start_ms,
	    0, 0, HOUR),
	/* schema_health.c */
	KEY_FUNC("health_check", 0, schema_health_check),
	KEY_FUNC("passive", 0, schema_passive),
	KEY_MAP("proxy_protocol", struct conf_upstream, pp,
	    conf_pp_send_keys),				/* schema_pp.c */
	KEY_FUNC("hash", 0, schema_hash),		/* schema_hash.c */
	KEY_END,
};

const struct conf_key conf_root_keys[] = {
	KEY_FUNC("version", CONF_K_REQUIRED, schema_version),
	KEY_MAP("process", struct conf, process, schema_process),
	KEY_MAP("logging", struct conf, logging, schema_logging),
	KEY_MAP("stats", struct conf, stats, conf_stats_keys),
	KEY_MAP("admin", struct conf, admin, conf_admin_keys),
	KEY_FUNC("acls", 0, schema_acls),
	KEY_INLINE("defaults", schema_defaults),
	KEY_FUNC("listeners", CONF_K_REQUIRED, schema_listeners),
	KEY_FUNC("upstreams", 0, schema_upstreams),
	KEY_MAP("resolver", struct conf, resolver,
	    conf_resolver_keys),			/* schema_resolver.c */
	KEY_END,
};

/*
 * Initial values: built-ins where nothing overrides them, CONF_UNSET
 * where conf_check() must choose between levels.
 */
void
conf_init(struct conf *conf)
{
	conf->process.shutdown_grace_ms = CONF_SHUTDOWN_GRACE_MS;
	conf->process.workers = 1;
	conf->logging.level = LOG_LEVEL_INFO;
	conf->logging.target = LOG_TARGET_STDERR;
	conf->logging.access_target = CONF_ACCESS_OFF;
	conf->logging.access_format = CONF_ACCESS_TEXT;
	conf->defaults_timeouts.connect_ms = CONF_CONNECT_TIMEOUT_MS;
	conf->defaults_timeouts.idle_ms = CONF_IDLE_TIMEOUT_MS;
	conf->defaults_timeouts.half_close_ms = CONF_HALF_CLOSE_TIMEOUT_MS;
	conf->defaults_timeouts.udp_session_ms = CONF_UDP_SESSION_TIMEOUT_MS;
	conf->defaults_limits.max_connections = CONF_MAX_CONNECTIONS;
	conf->defaults_limits.buffer_size = CONF_BUFFER_SIZE;
	conf->resolver.refresh_ms = CONF_RESOLVER_REFRESH_MS;
}

static void
schema_listener_init(struct conf_listener *l)
{
	l->protocol = CONF_PROTO_TCP;
	l->timeouts.connect_ms = CONF_UNSET;
	l->timeouts.idle_ms = CONF_UNSET;
	l->timeouts.half_close_ms = CONF_UNSET;
	l->timeouts.udp_session_ms = CONF_UNSET;
	l->limits.max_connections = CONF_UNSET;
	l->limits.buffer_size = CONF_UNSET;
	l->udp.session_timeout_ms = CONF_UNSET;
	l->udp.max_sessions = CONF_UDP_MAX_SESSIONS;
	l->udp.responses = 0;
	l->pp.accept = CONF_PP_OFF;
	l->pp.timeout_ms = CONF_PP_TIMEOUT_MS;
	l->pp.max_header = CONF_PP_MAX_HEADER;
}

static void
schema_upstream_init(void *elem)
{
	struct conf_upstream *u = elem;

	u->balance = CONF_BALANCE_ROUND_ROBIN;
	u->connect_timeout_ms = CONF_UNSET;
	u->connect_tries = CONF_CONNECT_TRIES;
}

/*
 * Handlers for what a row cannot say.
 */

static int
schema_version(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf *conf = base;
	char desc[64];
	int64_t v;
	int rc;

	if (node->type != YAML_SCALAR_NODE || conf_is_null(node)) {
		conf_err(ctx, node, "expected an integer, got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	rc = conf_parse_int((const char *)node->data.scalar.value, &v);
	if (rc == -EINVAL)
		conf_err(ctx, node, "expected an integer, got %s",
		    conf_describe(node, desc, sizeof(desc)));
	else if (rc != 0 || v != 1)
		conf_err(ctx, node, "unsupported version %s (only 1 is known)",
		    (const char *)node->data.scalar.value);
	else
		conf->version = 1;
	return 0;
}

/* off | stdout | stderr | syslog | an absolute path. */
static int
schema_access_target(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	static const struct conf_word words[] = {
		{ "off", CONF_ACCESS_OFF, false },
		{ "stdout", CONF_ACCESS_STDOUT, false },
		{ "stderr", CONF_ACCESS_STDERR, false },
		{ "syslog", CONF_ACCESS_SYSLOG, false },
		{ NULL, 0, false },
	};
	struct conf_logging *lg = base;
	const struct conf_word *w;
	const char *s;
	char desc[64];

	if (node->type == YAML_SCALAR_NODE && !conf_is_null(node)) {
		s = (const char *)node->data.scalar.value;
		for (w = words; w->word != NULL; w++) {
			if (strcmp(w->word, s) == 0) {
				lg->access_target = w->value;
				return 0;
			}
		}
		if (s[0] == '/') {
			free(lg->access_path);
			lg->access_path = strdup(s);
			lg->access_target = CONF_ACCESS_FILE;
			return lg->access_path == NULL ? -ENOMEM : 0;
		}
	}
	conf_err(ctx, node, "expected off, stdout, stderr, syslog or an "
	    "absolute path; got %s", conf_describe(node, desc, sizeof(desc)));
	return 0;
}

/* process.workers: a count, or `auto` (CONF_WORKERS_AUTO: one per CPU). */
static int
schema_workers(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_process *pr = base;
	const char *s;
	char desc[64];
	int64_t n;

	(void)k;
	if (node->type == YAML_SCALAR_NODE && !conf_is_null(node)) {
		s = (const char *)node->data.scalar.value;
		if (strcmp(s, "auto") == 0) {
			pr->workers = CONF_WORKERS_AUTO;
			return 0;
		}
		if (conf_parse_int(s, &n) == 0) {
			if (n >= 1 && n <= CONF_WORKERS_MAX) {
				pr->workers = n;
				return 0;
			}
			conf_err(ctx, node, "%s is out of range (1 to %d, or "
			    "auto)", s, CONF_WORKERS_MAX);
			return 0;
		}
	}
	conf_err(ctx, node, "expected a number of workers or auto; got %s",
	    conf_describe(node, desc, sizeof(desc)));
	return 0;
}

/* The items of a sequence that must have some, or NULL after an error. */
static yaml_node_item_t *
schema_items(struct conf_ctx *ctx, yaml_node_t *node, size_t *n)
{
	char desc[64];

	*n = 0;
	if (node->type == YAML_SEQUENCE_NODE)
		*n = (size_t)(node->data.sequence.items.top -
		    node->data.sequence.items.start);
	else if (!conf_is_null(node)) {
		conf_err(ctx, node, "expected a sequence, got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return NULL;
	}
	if (*n == 0) {
		conf_err(ctx, node, "must not be empty");
		return NULL;
	}
	return node->data.sequence.items.start;
}

static int
schema_listeners(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf *conf = base;
	yaml_node_item_t *items;
	yaml_node_t *item;
	size_t n, i, saved;
	int rc = 0;

	if ((items = schema_items(ctx, node, &n)) == NULL)
		return 0;
	conf->listeners = calloc(n, sizeof(*conf->listeners));
	ctx->lnodes = calloc(n, sizeof(*ctx->lnodes));
	if (conf->listeners == NULL || ctx->lnodes == NULL)
		return -ENOMEM;
	conf->nlisteners = ctx->nlnodes = n;
	for (i = 0; i < n && rc == 0; i++) {
		item = conf_node(ctx, items[i]);
		schema_listener_init(&conf->listeners[i]);
		conf->listeners[i].pos = conf_node_pos(item);
		ctx->lnodes[i] = item;
		saved = conf_path_index(ctx, i);
		rc = conf_map(ctx, item, schema_listener, &conf->listeners[i]);
		conf_path_pop(ctx, saved);
	}
	return rc;
}

/* Each entry gives one server per address its `address` names. */
/*
 * The room an array of n servers has: the next power of two, so that
 * growing it one entry at a time costs linear time, not quadratic.
 */
static size_t
schema_room(size_t n)
{
	size_t room = 1;

	if (n == 0)
		return 0;
	while (room < n)
		room *= 2;
	return room;
}

static int
schema_servers(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_upstream *u = base;
	struct schema_server e;
	struct conf_server *s;
	yaml_node_item_t *items;
	size_t n, i, j, saved;
	char *name;
	int rc = 0;

	if ((items = schema_items(ctx, node, &n)) == NULL)
		return 0;
	for (i = 0; i < n && rc == 0; i++) {
		memset(&e, 0, sizeof(e));
		e.weight = 1;
		saved = conf_path_index(ctx, i);
		rc = conf_map(ctx, conf_node(ctx, items[i]), schema_server, &e);
		name = NULL;
		if (rc == 0 && e.resolve)
			rc = conf_entry_name(ctx, conf_node(ctx, items[i]),
			    &name);
		conf_path_pop(ctx, saved);
		if (rc == 0 && u->nservers + e.address.n > CONF_SERVERS_MAX) {
			conf_err(ctx, node, "more than %d servers (host names "
			    "count each of their addresses)", CONF_SERVERS_MAX);
			free(e.address.v);
			free(name);
			return 0;
		}
		if (rc == 0 && e.address.n > 0 &&
		    schema_room(u->nservers + e.address.n) >
		    schema_room(u->nservers)) {
			s = realloc(u->servers, schema_room(u->nservers +
			    e.address.n) * sizeof(*s));
			if (s == NULL)
				rc = -ENOMEM;
			else
				u->servers = s;
		}
		for (j = 0; rc == 0 && j < e.address.n; j++) {
			s = &u->servers[u->nservers++];
			memset(s, 0, sizeof(*s));
			s->addr = e.address.v[j].addr;
			s->pos = e.address.v[j].pos;
			s->weight = e.weight;
			s->max_connections = e.max_connections;
			s->backup = e.backup;
			if (name != NULL && (s->name = strdup(name)) == NULL)
				rc = -ENOMEM;
		}
		free(e.address.v);
		free(name);
	}
	return rc;
}

/*
 * A mapping from names to entries (acls, upstreams) into an array of
 * `size`-byte elements whose first member is `char *name`.
 */
_Static_assert(offsetof(struct conf_acl, name) == 0, "name comes first");
_Static_assert(offsetof(struct conf_upstream, name) == 0,
    "name comes first");

/*
 * Duplicate keys of a name-keyed mapping (acls, upstreams) are found by
 * sorting the keys, ties in file order, not by comparing each with those
 * before it: that took 20 s for 50,000 names, in the loop on a reload.
 */
struct schema_key {
	const char	*name;
	size_t		 i;		/* the pair's index: the file order */
};

static int
schema_key_cmp(const void *pa, const void *pb)
{
	const struct schema_key *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c != 0 ? c : (a->i > b->i) - (a->i < b->i);
}

/*
 * For each of the `n` pairs at `pairs`, the index of the first pair with
 * the same key: its own index unless it repeats an earlier key.  NULL
 * when out of memory.
 */
static size_t *
schema_firsts(struct conf_ctx *ctx, yaml_node_pair_t *pairs, size_t n)
{
	struct schema_key *v;
	yaml_node_t *kn;
	size_t *first, m = 0, i, g;

	v = calloc(n, sizeof(*v));
	first = calloc(n, sizeof(*first));
	if (v == NULL || first == NULL) {
		free(v);
		free(first);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		first[i] = i;
		kn = yaml_document_get_node(ctx->doc, pairs[i].key);
		if (kn != NULL && kn->type == YAML_SCALAR_NODE)
			v[m++] = (struct schema_key){
			    (const char *)kn->data.scalar.value, i };
	}
	qsort(v, m, sizeof(*v), schema_key_cmp);
	for (g = 0, i = 1; i < m; i++) {
		if (strcmp(v[g].name, v[i].name) != 0)
			g = i;
		else
			first[v[i].i] = v[g].i;
	}
	free(v);
	return first;
}

/*
 * The name of the entry `pair` of a name-keyed mapping whose pairs start
 * at `pairs`, or NULL after saying why it cannot be one: not a scalar, a
 * duplicate of an earlier key (`first`: schema_firsts()), or not a name.
 */
static const char *
schema_entry_name(struct conf_ctx *ctx, yaml_node_pair_t *pairs,
    yaml_node_pair_t *pair, const size_t *first)
{
	yaml_node_t *kn, *pk;
	struct conf_pos pos;
	const char *name;
	char desc[64];
	size_t i = (size_t)(pair - pairs);

	kn = conf_node(ctx, pair->key);
	if (kn->type != YAML_SCALAR_NODE) {
		conf_err(ctx, kn, "expected a name, got %s",
		    conf_describe(kn, desc, sizeof(desc)));
		return NULL;
	}
	name = (const char *)kn->data.scalar.value;
	if (first[i] != i) {
		pk = conf_node(ctx, pairs[first[i]].key);
		pos = conf_node_pos(pk);
		conf_err(ctx, kn, "duplicate key \"%s\" (first at %lu:%lu)",
		    name, pos.line, pos.column);
		return NULL;
	}
	if (!conf_is_name(name)) {
		conf_err(ctx, kn, "bad name \"%s\": use 1 to 64 letters, "
		    "digits, '.', '_' or '-'", name);
		return NULL;
	}
	return name;
}

static int
schema_named(struct conf_ctx *ctx, yaml_node_t *node, void **arrp,
    size_t *np, size_t size, const struct conf_key *table,
    void (*init)(void *))
{
	yaml_node_pair_t *pairs, *pair;
	const char *name;
	char desc[64];
	size_t n, saved, *first;
	char *elem;
	int rc = 0;

	if (node->type != YAML_MAPPING_NODE) {
		if (!conf_is_null(node))
			conf_err(ctx, node, "expected a mapping, got %s",
			    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	pairs = node->data.mapping.pairs.start;
	n = (size_t)(node->data.mapping.pairs.top - pairs);
	if (n == 0)
		return 0;
	*arrp = calloc(n, size);
	if (*arrp == NULL || (first = schema_firsts(ctx, pairs, n)) == NULL)
		return -ENOMEM;
	for (pair = pairs; pair < pairs + n && rc == 0; pair++) {
		if ((name = schema_entry_name(ctx, pairs, pair, first)) ==
		    NULL)
			continue;
		elem = (char *)*arrp + *np * size;
		if (init != NULL)
			init(elem);
		if ((*(char **)elem = strdup(name)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		(*np)++;
		saved = conf_path_key(ctx, name);
		rc = conf_map(ctx, conf_node(ctx, pair->value), table, elem);
		conf_path_pop(ctx, saved);
	}
	free(first);
	return rc;
}

static int
schema_upstreams(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf *conf = base;

	return schema_named(ctx, node, (void **)&conf->upstreams,
	    &conf->nupstreams, sizeof(struct conf_upstream), schema_upstream,
	    schema_upstream_init);
}

static int
schema_acls(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf *conf = base;

	return schema_named(ctx, node, (void **)&conf->acls, &conf->nacls,
	    sizeof(struct conf_acl), schema_acl, NULL);
}
