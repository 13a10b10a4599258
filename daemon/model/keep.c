/*
 * Records that outlive generations (keep.h): two lists in the order the
 * records were made, and a chained hash over the servers so that a
 * generation of many thousand servers finds its records in linear time.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "model/keep.h"

const uint32_t keep_connect_le_us[KEEP_CONNECT_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 1000000
};

struct keep_proc keep_proc;

static struct keep_lstn *keep_lstns, *keep_lstns_tail;
static struct keep_srv *keep_srvs, *keep_srvs_tail;
static struct keep_srv **keep_buckets;
static size_t keep_nbuckets, keep_nsrvs;

/* --- listeners --------------------------------------------------------- */

struct keep_lstn *
keep_lstn_get(const char *name, int protocol)
{
	struct keep_lstn *k;

	for (k = keep_lstns; k != NULL; k = k->next)
		if (strcmp(k->name, name) == 0) {
			k->refs++;
			k->protocol = protocol;
			return k;
		}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->name = strdup(name)) == NULL) {
		free(k);
		return NULL;
	}
	k->refs = 1;
	k->protocol = protocol;
	k->prev = keep_lstns_tail;
	if (keep_lstns_tail != NULL)
		keep_lstns_tail->next = k;
	else
		keep_lstns = k;
	keep_lstns_tail = k;
	return k;
}

static void
keep_lstn_free(struct keep_lstn *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		keep_lstns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		keep_lstns_tail = k->prev;
	free(k->name);
	free(k);
}

void
keep_lstn_put(struct keep_lstn *k)
{
	if (k != NULL && --k->refs == 0)
		keep_lstn_free(k);
}

void
keep_each_lstn(void (*fn)(struct keep_lstn *, void *), void *arg)
{
	struct keep_lstn *k;

	for (k = keep_lstns; k != NULL; k = k->next)
		fn(k, arg);
}

/* --- servers ----------------------------------------------------------- */

static uint64_t
keep_srv_hash(const char *upstream, const struct mio_addr *a)
{
	uint64_t h = fnv1a(FNV_OFFSET, upstream, strlen(upstream) + 1);

	return fnv1a(h, &a->u, a->len);
}

static int
keep_srv_is(const struct keep_srv *k, const char *upstream,
    const struct mio_addr *a)
{
	return k->addr.len == a->len && memcmp(&k->addr.u, &a->u, a->len) == 0 &&
	    strcmp(k->upstream, upstream) == 0;
}

struct keep_srv *
keep_srv_find(const char *upstream, const struct mio_addr *a)
{
	struct keep_srv *k;

	if (keep_nbuckets == 0)
		return NULL;
	k = keep_buckets[keep_srv_hash(upstream, a) % keep_nbuckets];
	for (; k != NULL; k = k->hnext)
		if (keep_srv_is(k, upstream, a))
			return k;
	return NULL;
}

/* Keeps the chains short: at most two records a bucket on average. */
static int
keep_srv_grow(void)
{
	struct keep_srv **b, *k;
	size_t n = keep_nbuckets ? keep_nbuckets * 4 : 64, i;

	if (keep_nsrvs < keep_nbuckets * 2)
		return 0;
	if ((b = calloc(n, sizeof(*b))) == NULL)
		return keep_nbuckets > 0 ? 0 : -ENOMEM;	/* longer chains */
	free(keep_buckets);
	keep_buckets = b;
	keep_nbuckets = n;
	for (k = keep_srvs; k != NULL; k = k->next) {
		i = keep_srv_hash(k->upstream, &k->addr) % n;
		k->hnext = b[i];
		b[i] = k;
	}
	return 0;
}

static struct keep_srv *
keep_srv_new(const char *upstream, const struct mio_addr *a)
{
	struct keep_srv *k;
	size_t i;

	if (keep_srv_grow() != 0 || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->upstream = strdup(upstream)) == NULL) {
		free(k);
		return NULL;
	}
	k->refs = 1;
	k->addr = *a;
	k->health = SRV_UP;
	k->admin = SRV_READY;
	k->prev = keep_srvs_tail;
	if (keep_srvs_tail != NULL)
		keep_srvs_tail->next = k;
	else
		keep_srvs = k;
	keep_srvs_tail = k;
	i = keep_srv_hash(upstream, a) % keep_nbuckets;
	k->hnext = keep_buckets[i];
	keep_buckets[i] = k;
	keep_nsrvs++;
	return k;
}

struct keep_srv *
keep_srv_get(const char *upstream, const struct mio_addr *a)
{
	struct keep_srv *k;

	if ((k = keep_srv_find(upstream, a)) != NULL) {
		k->refs++;
		return k;
	}
	return keep_srv_new(upstream, a);
}

void
keep_srv_ref(struct keep_srv *k)
{
	k->refs++;
}

static void
keep_srv_free(struct keep_srv *k)
{
	struct keep_srv **pp;

	pp = &keep_buckets[keep_srv_hash(k->upstream, &k->addr) %
	    keep_nbuckets];
	while (*pp != k)
		pp = &(*pp)->hnext;
	*pp = k->hnext;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		keep_srvs = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		keep_srvs_tail = k->prev;
	keep_nsrvs--;
	free(k->upstream);
	free(k);
}

void
keep_srv_put(struct keep_srv *k)
{
	if (k != NULL && --k->refs == 0)
		keep_srv_free(k);
}

void
keep_each_srv(void (*fn)(struct keep_srv *, void *), void *arg)
{
	struct keep_srv *k;

	for (k = keep_srvs; k != NULL; k = k->next)
		fn(k, arg);
}

const char *
keep_srv_state_name(const struct keep_srv *k)
{
	if (k->admin == SRV_MAINT)
		return "maint";
	if (k->admin == SRV_DRAIN)
		return "drain";
	if (k->health == SRV_DOWN)
		return "down";
	if (k->health == SRV_EJECTED)
		return "ejected";
	return "up";
}

uint32_t
keep_srv_weight(const struct keep_srv *k, uint32_t file, uint64_t now,
    int64_t slow_start_ms)
{
	uint64_t w = file, since;

	if (k->weight_set != 0 && k->weight_base == file)
		w = k->weight_set;
	if (slow_start_ms <= 0 || k->up_since == 0 || now < k->up_since)
		return (uint32_t)w;
	since = now - k->up_since;
	if (since >= (uint64_t)slow_start_ms)
		return (uint32_t)w;
	/* From a tenth to the whole, in proportion to the time up. */
	w = w / 10 + (w - w / 10) * since / (uint64_t)slow_start_ms;
	return w > 0 ? (uint32_t)w : 1;
}

void
keep_srv_connected(struct keep_srv *k, uint64_t us)
{
	unsigned i;

	for (i = 0; i < KEEP_CONNECT_BUCKETS; i++)
		if (us <= keep_connect_le_us[i]) {
			k->connect_le[i]++;
			break;
		}
	k->connect_count++;
	k->sessions++;
	k->connect_sum_us += us;
}

void
keep_fini(void)
{
	while (keep_srvs != NULL)
		keep_srv_free(keep_srvs);
	while (keep_lstns != NULL)
		keep_lstn_free(keep_lstns);
	free(keep_buckets);
	keep_buckets = NULL;
	keep_nbuckets = 0;
}
