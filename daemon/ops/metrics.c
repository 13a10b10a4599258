/*
 * /metrics (metrics.h): one family at a time, each with its HELP and
 * TYPE lines, then a sample per listener or server, walking the kept
 * records once per family (a scrape is rare; the walk is short).
 * Label values are escaped as the format asks (\\, \", \n) although
 * names in the file cannot hold those: the page must stay parseable
 * whatever a future name allows.
 */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "model/keep.h"
#include "ops/metrics.h"

const char *const metrics_reject_names[KEEP_REJ_N] = {
	"acl", "limit", "no_server", "descriptors", "proxy_protocol"
};
const char *const metrics_drop_names[KEEP_DROP_N] = {
	"too_large", "no_session", "send", "responses", "draining"
};
const char *const metrics_state_names[METRICS_NSTATES] = {
	"up", "down", "ejected", "drain", "maint"
};
static const char *const metrics_dirs[2] = { "in", "out" };

enum metrics_fam {
	F_L_CONN, F_L_ACTIVE, F_L_REJ, F_L_BYTES, F_L_DGRAMS, F_L_DROPPED,
	F_L_UDP_ACTIVE, F_L_UDP_TOTAL, F_L_UDP_EVICTED,
	F_S_UP, F_S_STATE, F_S_ACTIVE, F_S_TOTAL, F_S_FAILS, F_S_BYTES,
	F_S_CONNECT, F_S_CHECKS,
	F_N
};

struct metrics_family {
	const char	*name;
	const char	*type;
	const char	*help;
};

static const struct metrics_family metrics_families[F_N] = {
	{ "mioproxy_listener_connections_total", "counter",
	  "Connections accepted (TCP) or new clients (UDP)." },
	{ "mioproxy_listener_connections_active", "gauge",
	  "Sessions open now." },
	{ "mioproxy_listener_rejected_total", "counter",
	  "Clients turned away, by reason." },
	{ "mioproxy_listener_bytes_total", "counter",
	  "Bytes forwarded; in: client to server, out: server to client." },
	{ "mioproxy_listener_datagrams_total", "counter",
	  "Datagrams forwarded; in: client to server, out: back." },
	{ "mioproxy_listener_datagrams_dropped_total", "counter",
	  "Datagrams dropped, by reason." },
	{ "mioproxy_listener_udp_sessions_active", "gauge",
	  "UDP sessions open now." },
	{ "mioproxy_listener_udp_sessions_total", "counter",
	  "UDP sessions begun." },
	{ "mioproxy_listener_udp_sessions_evicted_total", "counter",
	  "UDP sessions evicted at max_sessions." },
	{ "mioproxy_server_up", "gauge",
	  "1 when the server takes new sessions, else 0." },
	{ "mioproxy_server_state", "gauge",
	  "1 for the server's current state." },
	{ "mioproxy_server_sessions_active", "gauge",
	  "Sessions open now with the server." },
	{ "mioproxy_server_sessions_total", "counter",
	  "Sessions connected to the server." },
	{ "mioproxy_server_connect_failures_total", "counter",
	  "Connection attempts to the server that failed." },
	{ "mioproxy_server_bytes_total", "counter",
	  "Bytes; in: to the server, out: from it." },
	{ "mioproxy_server_connect_seconds", "histogram",
	  "Time to connect to the server." },
	{ "mioproxy_server_checks_total", "counter",
	  "Active health checks, by result." },
};

struct metrics_walk {
	struct buf	*b;
	enum metrics_fam fam;
	char		 addr[MIO_ADDR_STRLEN];
};

static void
metrics_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_escaped(struct buf *b, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "\\\"\n");
		buf_add(b, s, n);
		s += n;
		if (*s == '\0')
			break;
		buf_str(b, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n");
		s++;
	}
}

void
metrics_seconds(struct buf *b, uint64_t us)
{
	char frac[8];
	int n;

	buf_u64(b, us / 1000000);
	if (us % 1000000 == 0)
		return;
	n = snprintf(frac, sizeof(frac), ".%06u", (unsigned)(us % 1000000));
	while (n > 1 && frac[n - 1] == '0')
		n--;
	buf_add(b, frac, (size_t)n);
}

/*
 * name{first="v1"[,second="v2"][,label="v3"]} value: the labels of a
 * listener or a server, then at most one of the family's own.
 */
static void
metrics_sample(struct metrics_walk *w, const char *const lbl[6],
    const char *suffix, uint64_t v)
{
	struct buf *b = w->b;
	int i;

	buf_str(b, metrics_families[w->fam].name);
	buf_str(b, suffix);
	buf_str(b, "{");
	for (i = 0; i < 6 && lbl[i] != NULL; i += 2) {
		buf_str(b, i > 0 ? "," : "");
		buf_str(b, lbl[i]);
		buf_str(b, "=\"");
		metrics_escaped(b, lbl[i + 1]);
		buf_str(b, "\"");
	}
	buf_str(b, "} ");
	buf_u64(b, v);
	buf_str(b, "\n");
}

/* A listener's sample, with one more label when `label` is not NULL. */
static void
metrics_lsample(struct metrics_walk *w, const struct keep_lstn *k,
    const char *label, const char *value, uint64_t v)
{
	const char *lbl[6] = { "listener", k->name, label, value, NULL, NULL };

	metrics_sample(w, lbl, "", v);
}

static void
metrics_lstn(struct keep_lstn *k, void *arg)
{
	struct metrics_walk *w = arg;
	int udp = k->protocol == CONF_PROTO_UDP, i;

	switch (w->fam) {
	case F_L_CONN:
		metrics_lsample(w, k, NULL, NULL, k->accepted);
		break;
	case F_L_ACTIVE:
		metrics_lsample(w, k, NULL, NULL, k->active);
		break;
	case F_L_REJ:
		for (i = 0; i < KEEP_REJ_N; i++)
			metrics_lsample(w, k, "reason",
			    metrics_reject_names[i], k->rejected[i]);
		break;
	case F_L_BYTES:
		for (i = 0; i < 2; i++)
			metrics_lsample(w, k, "direction", metrics_dirs[i],
			    k->bytes[i]);
		break;
	case F_L_DGRAMS:
		for (i = 0; udp && i < 2; i++)
			metrics_lsample(w, k, "direction", metrics_dirs[i],
			    k->dgrams[i]);
		break;
	case F_L_DROPPED:
		for (i = 0; udp && i < KEEP_DROP_N; i++)
			metrics_lsample(w, k, "reason", metrics_drop_names[i],
			    k->dropped[i]);
		break;
	case F_L_UDP_ACTIVE:
		if (udp)
			metrics_lsample(w, k, NULL, NULL, k->active);
		break;
	case F_L_UDP_TOTAL:
		if (udp)
			metrics_lsample(w, k, NULL, NULL, k->udp_sessions);
		break;
	case F_L_UDP_EVICTED:
		if (udp)
			metrics_lsample(w, k, NULL, NULL, k->udp_evicted);
		break;
	default:
		break;
	}
}

/* A server's sample, with one more label when `label` is not NULL. */
static void
metrics_ssample(struct metrics_walk *w, const struct keep_srv *k,
    const char *label, const char *value, uint64_t v)
{
	const char *lbl[6] = { "upstream", k->upstream, "server", w->addr,
	    label, value };

	metrics_sample(w, lbl, "", v);
}

/* Cumulative buckets, as the format wants them; +Inf is the count. */
static void
metrics_histogram(struct metrics_walk *w, const struct keep_srv *k)
{
	const char *lbl[6] = { "upstream", k->upstream, "server", w->addr,
	    "le", NULL };
	struct buf le = { NULL, 0, 0, 0, 0 };
	uint64_t sum = 0;
	int i;

	for (i = 0; i < KEEP_CONNECT_BUCKETS; i++) {
		sum += k->connect_le[i];
		buf_reset(&le);
		metrics_seconds(&le, keep_connect_le_us[i]);
		lbl[5] = le.nomem ? "+Inf" : le.p;
		metrics_sample(w, lbl, "_bucket", sum);
	}
	buf_free(&le);
	lbl[5] = "+Inf";
	metrics_sample(w, lbl, "_bucket", k->connect_count);
	buf_printf(w->b, "%s_sum{upstream=\"", metrics_families[w->fam].name);
	metrics_escaped(w->b, k->upstream);
	buf_str(w->b, "\",server=\"");
	metrics_escaped(w->b, w->addr);
	buf_str(w->b, "\"} ");
	metrics_seconds(w->b, k->connect_sum_us);
	buf_str(w->b, "\n");
	lbl[4] = NULL;
	metrics_sample(w, lbl, "_count", k->connect_count);
}

static void
metrics_srv(struct keep_srv *k, void *arg)
{
	struct metrics_walk *w = arg;
	const char *state = keep_srv_state_name(k);
	int i;

	if (mio_addr_format(&k->addr, w->addr, sizeof(w->addr)) < 0)
		strcpy(w->addr, "?");
	switch (w->fam) {
	case F_S_UP:
		metrics_ssample(w, k, NULL, NULL, keep_srv_takes_new(k));
		break;
	case F_S_STATE:
		for (i = 0; i < METRICS_NSTATES; i++)
			metrics_ssample(w, k, "state", metrics_state_names[i],
			    strcmp(state, metrics_state_names[i]) == 0);
		break;
	case F_S_ACTIVE:
		metrics_ssample(w, k, NULL, NULL, k->active);
		break;
	case F_S_TOTAL:
		metrics_ssample(w, k, NULL, NULL, k->sessions);
		break;
	case F_S_FAILS:
		metrics_ssample(w, k, NULL, NULL, k->connect_failures);
		break;
	case F_S_BYTES:
		for (i = 0; i < 2; i++)
			metrics_ssample(w, k, "direction", metrics_dirs[i],
			    k->bytes[i]);
		break;
	case F_S_CONNECT:
		metrics_histogram(w, k);
		break;
	case F_S_CHECKS:
		metrics_ssample(w, k, "result", "ok", k->checks[0]);
		metrics_ssample(w, k, "result", "fail", k->checks[1]);
		break;
	default:
		break;
	}
}

static void
metrics_process(struct buf *b, const struct proc_info *pi)
{
	metrics_head(b, "process_cpu_seconds_total", "counter",
	    "User and system CPU time spent, in seconds.");
	buf_str(b, "process_cpu_seconds_total ");
	metrics_seconds(b, pi->cpu_us);
	buf_str(b, "\n");
	metrics_head(b, "process_open_fds", "gauge",
	    "Open file descriptors.");
	buf_printf(b, "process_open_fds %llu\n",
	    (unsigned long long)pi->open_fds);
	metrics_head(b, "process_max_fds", "gauge",
	    "The limit on open file descriptors.");
	buf_printf(b, "process_max_fds %llu\n",
	    (unsigned long long)pi->max_fds);
	metrics_head(b, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	buf_printf(b, "process_resident_memory_bytes %llu\n",
	    (unsigned long long)pi->rss_bytes);
	metrics_head(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch, in seconds.");
	buf_printf(b, "process_start_time_seconds %lld\n",
	    (long long)pi->start_time);
}

void
metrics_render(struct buf *b, const struct proc_info *pi)
{
	struct metrics_walk w;
	int f;

	metrics_head(b, "mioproxy_build_info", "gauge",
	    "Always 1; the version is a label.");
	buf_printf(b, "mioproxy_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	/* Both engines, so that a group's page (summed) counts its
	 * workers on each. */
	metrics_head(b, "mioproxy_io_engine", "gauge",
	    "Processes relaying on each engine (process.io).");
	buf_printf(b, "mioproxy_io_engine{io=\"readiness\"} %d\n"
	    "mioproxy_io_engine{io=\"uring\"} %d\n", !keep_proc.io_uring,
	    keep_proc.io_uring != 0);
	metrics_head(b, "mioproxy_config_reloads_total", "counter",
	    "Configuration reloads, by result.");
	buf_printf(b, "mioproxy_config_reloads_total{result=\"ok\"} %llu\n"
	    "mioproxy_config_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)keep_proc.reloads[0],
	    (unsigned long long)keep_proc.reloads[1]);
	metrics_head(b, "mioproxy_resolver_failures_total", "counter",
	    "Failed lookups of names followed with resolve: true.");
	buf_printf(b, "mioproxy_resolver_failures_total %llu\n",
	    (unsigned long long)keep_proc.resolve_failures);
	memset(&w, 0, sizeof(w));
	w.b = b;
	for (f = 0; f < F_N; f++) {
		w.fam = (enum metrics_fam)f;
		metrics_head(b, metrics_families[f].name,
		    metrics_families[f].type, metrics_families[f].help);
		if (f < F_S_UP)
			keep_each_lstn(metrics_lstn, &w);
		else
			keep_each_srv(metrics_srv, &w);
	}
	metrics_process(b, pi);
}
