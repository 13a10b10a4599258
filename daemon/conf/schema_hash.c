/*
 * hash: { key: client_ip | client_ip_port }.  A handler row, as the
 * walker's plain mappings cannot say "it was there", which check.c needs
 * to refuse a hash under another balance.
 */
#include "config.h"

#include "conf/schema_hash.h"
#include "conf/schema_keys.h"

static const struct conf_word hash_keys_words[] = {
	{ "client_ip", CONF_HASH_CLIENT_IP, false },
	{ "client_ip_port", CONF_HASH_CLIENT_IP_PORT, false },
	{ NULL, 0, false },
};

static const struct conf_key hash_keys[] = {
	KEY_ENUM("key", struct conf_hash, key, 0, hash_keys_words),
	KEY_END,
};

int
schema_hash(struct conf_ctx *ctx, const struct conf_key *k,
    yaml_node_t *node, void *base)
{
	struct conf_hash *h = &((struct conf_upstream *)base)->hash;

	(void)k;
	h->set = true;
	h->pos = conf_node_pos(node);
	h->key = CONF_HASH_CLIENT_IP;
	return conf_map(ctx, node, hash_keys, h);
}
