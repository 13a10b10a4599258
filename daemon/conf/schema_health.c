/*
 * An upstream's active check and passive ejection, read from the file.
 * Each is a mapping whose presence turns the feature on, so they are
 * handler rows (the walker's plain mappings cannot say "it was there"),
 * which then read the keys with a table like any other and check what
 * needs two keys at once: a udp check must send something, and a check
 * cannot wait longer than its interval.
 *
 * send and expect are text, or "hex:" and an even number of hex digits
 * (binary protocols such as DNS); expect "any" (udp) passes any reply.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/schema_health.h"
#include "conf/schema_keys.h"
#include "conf/value.h"

#define CHECK_BYTES_MAX	512	/* a probe's send or expect */

static conf_fn health_send, health_expect;

static const struct conf_word health_types[] = {
	{ "tcp", CONF_CHECK_TCP, false },
	{ "udp", CONF_CHECK_UDP, false },
	{ NULL, 0, false },
};

static const struct conf_key health_keys[] = {
	{ .name = "type", .type = CONF_T_ENUM,
	  .offset = offsetof(struct conf_health, type), .words = health_types },
	KEY("interval", CONF_T_DURATION, struct conf_health, interval_ms, 0,
	    100, HOUR),
	KEY("timeout", CONF_T_DURATION, struct conf_health, timeout_ms, 0,
	    10, HOUR),
	KEY("rise", CONF_T_INT, struct conf_health, rise, 0, 1, 100),
	KEY("fall", CONF_T_INT, struct conf_health, fall, 0, 1, 100),
	KEY("port", CONF_T_INT, struct conf_health, port, 0, 1, 65535),
	{ .name = "send", .type = CONF_T_FUNC, .fn = health_send },
	{ .name = "expect", .type = CONF_T_FUNC, .fn = health_expect },
	{ .name = NULL },
};

static const struct conf_key passive_keys[] = {
	KEY("max_fails", CONF_T_INT, struct conf_passive, max_fails, 0,
	    1, 1000),
	KEY("window", CONF_T_DURATION, struct conf_passive, window_ms, 0,
	    100, HOUR),
	KEY("eject_for", CONF_T_DURATION, struct conf_passive, eject_for_ms, 0,
	    100, HOUR),
	{ .name = NULL },
};

static int
health_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads a send or expect scalar into a new buffer (*dst, *len): 0, or
 * -ENOMEM; errors are reported and leave *dst as it was.
 */
static int
health_bytes(struct conf_ctx *ctx, yaml_node_t *node, uint8_t **dst,
    size_t *len)
{
	const char *s;
	char desc[64];
	size_t n, i;
	uint8_t *b;
	int hi, lo, hex;

	if (node->type != YAML_SCALAR_NODE || conf_is_null(node)) {
		conf_err(ctx, node, "expected text or hex:..., got %s",
		    conf_describe(node, desc, sizeof(desc)));
		return 0;
	}
	s = (const char *)node->data.scalar.value;
	n = node->data.scalar.length;
	if ((hex = strncmp(s, "hex:", 4) == 0)) {
		s += 4;
		n -= 4;
		if (n == 0 || n % 2 != 0) {
			conf_err(ctx, node, "hex: needs an even number of "
			    "hex digits, at least two");
			return 0;
		}
		n /= 2;
	}
	if (n == 0 || n > CHECK_BYTES_MAX) {
		conf_err(ctx, node, "must be 1 to %d bytes", CHECK_BYTES_MAX);
		return 0;
	}
	if ((b = malloc(n)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!hex) {
			b[i] = (uint8_t)s[i];
			continue;
		}
		if ((hi = health_hexval(s[2 * i])) < 0 ||
		    (lo = health_hexval(s[2 * i + 1])) < 0) {
			conf_err(ctx, node, "bad hex digit in \"%s\"",
			    (const char *)node->data.scalar.value);
			free(b);
			return 0;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	free(*dst);
	*dst = b;
	*len = n;
	return 0;
}

static int
health_send(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_health *h = base;

	(void)k;
	return health_bytes(ctx, node, &h->send, &h->send_len);
}

static int
health_expect(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_health *h = base;

	(void)k;
	if (node->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)node->data.scalar.value, "any") == 0) {
		h->expect_any = true;
		return 0;
	}
	return health_bytes(ctx, node, &h->expect, &h->expect_len);
}

/* The value of `key` in mapping node, else node itself: for errors. */
static yaml_node_t *
health_at(struct conf_ctx *ctx, yaml_node_t *node, const char *key)
{
	yaml_node_t *v;

	if (node->type != YAML_MAPPING_NODE ||
	    (v = conf_lookup(ctx, node, key, NULL)) == NULL)
		return node;
	return v;
}

int
schema_health_check(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_health *h = &((struct conf_upstream *)base)->health;
	size_t before = ctx->nerrors;
	int rc;

	(void)k;
	h->enabled = true;
	h->type = CONF_CHECK_TCP;
	h->interval_ms = CONF_CHECK_INTERVAL_MS;
	h->timeout_ms = CONF_UNSET;
	h->rise = CONF_CHECK_RISE;
	h->fall = CONF_CHECK_FALL;
	if ((rc = conf_map(ctx, node, health_keys, h)) != 0 ||
	    ctx->nerrors != before)
		return rc;
	if (h->timeout_ms == CONF_UNSET)
		h->timeout_ms = h->interval_ms < CONF_CHECK_TIMEOUT_MS ?
		    h->interval_ms : CONF_CHECK_TIMEOUT_MS;
	if (h->timeout_ms > h->interval_ms)
		conf_err(ctx, health_at(ctx, node, "timeout"), "a check's "
		    "timeout must not exceed its interval");
	if (h->type == CONF_CHECK_UDP && h->send == NULL)
		conf_err(ctx, health_at(ctx, node, "type"), "a udp check "
		    "needs send (what to ask the server)");
	if (h->type == CONF_CHECK_TCP && h->expect_any)
		conf_err(ctx, health_at(ctx, node, "expect"), "expect: any "
		    "is for udp checks");
	return 0;
}

int
schema_passive(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_passive *p = &((struct conf_upstream *)base)->passive;

	(void)k;
	p->enabled = true;
	p->max_fails = CONF_PASSIVE_MAX_FAILS;
	p->window_ms = CONF_PASSIVE_WINDOW_MS;
	p->eject_for_ms = CONF_PASSIVE_EJECT_MS;
	return conf_map(ctx, node, passive_keys, p);
}
