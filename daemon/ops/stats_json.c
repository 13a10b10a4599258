/*
 * /stats (metrics.h): the figures of /metrics as one JSON object, for
 * people and scripts that do not run Prometheus:
 *
 *   { "version", "pid", "started", "reloads": { "ok", "failed" },
 *     "resolver_failures", "io": { "readiness", "uring" } (1 for the
 *     engine this process relays on; a group's: its workers on each),
 *     "listeners": [ { "name", "protocol", "connections", "active",
 *       "rejected": {REASON: n}, "bytes": { "in", "out" },
 *       udp only: "datagrams", "dropped", "udp_sessions",
 *       "udp_evicted" } ],
 *     "servers": [ { "upstream", "server", "state", "up", "active",
 *       "sessions", "connect_failures", "bytes", "checks": { "ok",
 *       "fail" }, "connect_seconds": { "count", "sum",
 *       "buckets": { LE: cumulative n } } } ],
 *     "process": { "cpu_seconds", "resident_memory_bytes", "open_fds",
 *       "max_fds", "start_time_seconds" } }
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "model/keep.h"
#include "ops/metrics.h"

struct json_walk {
	struct buf	*b;
	int		 first;
};

static void
json_str(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_str(b, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_add(b, p, 1);
	}
	buf_str(b, "\"");
}

/* "key":n, with the comma before it unless first. */
static void
json_u64(struct buf *b, const char *key, uint64_t v, int first)
{
	buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
	buf_u64(b, v);
}

static void
json_words(struct buf *b, const char *key, const char *const *words,
    const uint64_t *v, int n)
{
	int i;

	buf_printf(b, ",\"%s\":{", key);
	for (i = 0; i < n; i++)
		json_u64(b, words[i], v[i], i == 0);
	buf_str(b, "}");
}

static void
json_lstn(struct keep_lstn *k, void *arg)
{
	static const char *const dirs[2] = { "in", "out" };
	struct json_walk *w = arg;
	struct buf *b = w->b;
	int udp = k->protocol == CONF_PROTO_UDP;

	buf_str(b, w->first ? "{\"name\":" : ",{\"name\":");
	w->first = 0;
	json_str(b, k->name);
	buf_printf(b, ",\"protocol\":\"%s\"", udp ? "udp" : "tcp");
	json_u64(b, "connections", k->accepted, 0);
	json_u64(b, "active", k->active, 0);
	json_words(b, "rejected", metrics_reject_names, k->rejected,
	    KEEP_REJ_N);
	json_words(b, "bytes", dirs, k->bytes, 2);
	if (udp) {
		json_words(b, "datagrams", dirs, k->dgrams, 2);
		json_words(b, "dropped", metrics_drop_names, k->dropped,
		    KEEP_DROP_N);
		json_u64(b, "udp_sessions", k->udp_sessions, 0);
		json_u64(b, "udp_evicted", k->udp_evicted, 0);
	}
	buf_str(b, "}");
}

static void
json_histogram(struct buf *b, const struct keep_srv *k)
{
	uint64_t sum = 0;
	int i;

	buf_str(b, ",\"connect_seconds\":{");
	json_u64(b, "count", k->connect_count, 1);
	buf_str(b, ",\"sum\":");
	metrics_seconds(b, k->connect_sum_us);
	buf_str(b, ",\"buckets\":{");
	for (i = 0; i < KEEP_CONNECT_BUCKETS; i++) {
		sum += k->connect_le[i];
		buf_str(b, i == 0 ? "\"" : ",\"");
		metrics_seconds(b, keep_connect_le_us[i]);
		buf_str(b, "\":");
		buf_u64(b, sum);
	}
	buf_str(b, ",\"+Inf\":");
	buf_u64(b, k->connect_count);
	buf_str(b, "}}");
}

static void
json_srv(struct keep_srv *k, void *arg)
{
	static const char *const dirs[2] = { "in", "out" };
	static const char *const results[2] = { "ok", "fail" };
	struct json_walk *w = arg;
	struct buf *b = w->b;
	char addr[MIO_ADDR_STRLEN];

	if (mio_addr_format(&k->addr, addr, sizeof(addr)) < 0)
		strcpy(addr, "?");
	buf_str(b, w->first ? "{\"upstream\":" : ",{\"upstream\":");
	w->first = 0;
	json_str(b, k->upstream);
	buf_str(b, ",\"server\":");
	json_str(b, addr);
	buf_printf(b, ",\"state\":\"%s\"", keep_srv_state_name(k));
	json_u64(b, "up", (uint64_t)keep_srv_takes_new(k), 0);
	json_u64(b, "active", k->active, 0);
	json_u64(b, "sessions", k->sessions, 0);
	json_u64(b, "connect_failures", k->connect_failures, 0);
	json_words(b, "bytes", dirs, k->bytes, 2);
	json_words(b, "checks", results, k->checks, 2);
	json_histogram(b, k);
	buf_str(b, "}");
}

void
stats_json_render(struct buf *b, const struct proc_info *pi)
{
	struct json_walk w = { b, 1 };

	buf_str(b, "{\"version\":");
	json_str(b, PACKAGE_VERSION);
	json_u64(b, "pid", (uint64_t)getpid(), 0);
	buf_printf(b, ",\"started\":%lld,\"reloads\":{",
	    (long long)keep_proc.started);
	json_u64(b, "ok", keep_proc.reloads[0], 1);
	json_u64(b, "failed", keep_proc.reloads[1], 0);
	buf_str(b, "}");
	json_u64(b, "resolver_failures", keep_proc.resolve_failures, 0);
	buf_str(b, ",\"io\":{");
	json_u64(b, "readiness", keep_proc.io_uring == 0, 1);
	json_u64(b, "uring", keep_proc.io_uring != 0, 0);
	buf_str(b, "}");
	buf_str(b, ",\"listeners\":[");
	keep_each_lstn(json_lstn, &w);
	buf_str(b, "],\"servers\":[");
	w.first = 1;
	keep_each_srv(json_srv, &w);
	buf_str(b, "],\"process\":{\"cpu_seconds\":");
	metrics_seconds(b, pi->cpu_us);
	json_u64(b, "resident_memory_bytes", pi->rss_bytes, 0);
	json_u64(b, "open_fds", pi->open_fds, 0);
	json_u64(b, "max_fds", pi->max_fds, 0);
	buf_printf(b, ",\"start_time_seconds\":%lld}}\n",
	    (long long)pi->start_time);
}
