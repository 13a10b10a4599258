/*
 * The admin socket's commands at work: they read and set the records
 * that outlive generations (model/keep.h) of the servers and listeners
 * that the serving configuration names, and ask the loop, through its
 * hooks, for what only the process can do.  A server is named by its
 * upstream and its address as `show servers` writes it (any spelling
 * mio_addr_parse() reads for the same address will do).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mio.h>

#include "addr.h"
#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "model/keep.h"
#include "ops/admin.h"
#include "ops/admin_int.h"

#define ADM_RELOAD_ERRS	8192

static const struct conf *adm_conf;	/* the one that serves */
static const struct admin_hooks *adm_hooks;

void
admin_set_hooks(const struct admin_hooks *hooks)
{
	adm_hooks = hooks;
}

void
adm_exec_commit(const struct conf *conf)
{
	adm_conf = conf;
}

static const struct conf_upstream *
adm_upstream(const char *name)
{
	size_t i;

	for (i = 0; adm_conf != NULL && i < adm_conf->nupstreams; i++)
		if (strcmp(adm_conf->upstreams[i].name, name) == 0)
			return &adm_conf->upstreams[i];
	return NULL;
}

/*
 * The kept record of the server cmd names, with its file entry in *csp:
 * NULL after writing the refusal to out.
 */
static struct keep_srv *
adm_server(const struct adm_cmd *cmd, const struct conf_server **csp,
    struct buf *out)
{
	const struct conf_upstream *cu;
	struct keep_srv *k;
	struct mio_addr a;
	size_t i;

	if ((cu = adm_upstream(cmd->upstream)) == NULL) {
		buf_printf(out, "error: unknown upstream \"%s\"\n",
		    cmd->upstream);
		return NULL;
	}
	if (mio_addr_parse(&a, cmd->address) != 0) {
		buf_printf(out, "error: invalid address \"%s\"\n",
		    cmd->address);
		return NULL;
	}
	for (i = 0; i < cu->nservers; i++)
		if (mio_addr_equal(&cu->servers[i].addr, &a) &&
		    (k = keep_srv_find(cu->name, &cu->servers[i].addr)) !=
		    NULL) {
			*csp = &cu->servers[i];
			return k;
		}
	buf_printf(out, "error: unknown server %s in upstream \"%s\"\n",
	    cmd->address, cmd->upstream);
	return NULL;
}

void
admin_info_write(struct buf *out, const struct admin_info *info)
{
	time_t now = time(NULL), last = (time_t)info->last_reload;
	char when[32] = "never";
	struct tm tm;

	if (last != 0 && gmtime_r(&last, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "ok\nversion %s\nlibmio %s\npid %ld\n"
	    "uptime %lld\nworkers %u\nio %s\nsessions %llu\n"
	    "configuration %s\nreloads %llu\nreloads_failed %llu\n"
	    "last_reload %s\n",
	    PACKAGE_VERSION, mio_version(), (long)getpid(),
	    (long long)(now - (time_t)info->started), info->workers,
	    info->io != NULL ? info->io : "-",
	    (unsigned long long)info->sessions, info->path,
	    (unsigned long long)info->reloads[0],
	    (unsigned long long)info->reloads[1], when);
}

static void
adm_show_info(struct buf *out)
{
	struct admin_info info = {
		.started = keep_proc.started,
		.last_reload = keep_proc.last_reload,
		.workers = 1,
		.io = KEEP_PROC_IO(&keep_proc),
		.sessions = adm_hooks->sessions(),
		.path = adm_conf != NULL ? adm_conf->path : "-",
		.reloads = { keep_proc.reloads[0], keep_proc.reloads[1] },
	};

	admin_info_write(out, &info);
}

static void
adm_show_upstream(const struct conf_upstream *cu, struct buf *out)
{
	char addr[MIO_ADDR_STRLEN];
	struct keep_srv *k;
	size_t i;

	for (i = 0; i < cu->nservers; i++) {
		const struct conf_server *cs = &cu->servers[i];

		if ((k = keep_srv_find(cu->name, &cs->addr)) == NULL)
			continue;
		buf_printf(out, "%s %s %s %lu %llu %llu %llu\n",
		    cu->name, addr_str(&cs->addr, addr, sizeof(addr)),
		    keep_srv_state_name(k),
		    (unsigned long)keep_srv_weight(k, (uint32_t)cs->weight,
		    loop.now, cu->slow_start_ms),
		    (unsigned long long)k->active,
		    (unsigned long long)k->sessions,
		    (unsigned long long)k->connect_failures);
	}
}

static void
adm_show_servers(const char *name, struct buf *out)
{
	const struct conf_upstream *cu = NULL;
	size_t i;

	if (name != NULL && (cu = adm_upstream(name)) == NULL) {
		buf_printf(out, "error: unknown upstream \"%s\"\n", name);
		return;
	}
	buf_printf(out, "ok\n");
	for (i = 0; adm_conf != NULL && i < adm_conf->nupstreams; i++)
		if (cu == NULL || cu == &adm_conf->upstreams[i])
			adm_show_upstream(&adm_conf->upstreams[i], out);
}

struct adm_lstn_find {
	const char	*name;
	struct keep_lstn *found;
};

static void
adm_lstn_match(struct keep_lstn *k, void *arg)
{
	struct adm_lstn_find *f = arg;

	if (strcmp(k->name, f->name) == 0)
		f->found = k;
}

static void
adm_show_listeners(struct buf *out)
{
	char addr[MIO_ADDR_STRLEN];
	size_t i, j;

	buf_printf(out, "ok\n");
	for (i = 0; adm_conf != NULL && i < adm_conf->nlisteners; i++) {
		const struct conf_listener *cl = &adm_conf->listeners[i];
		struct adm_lstn_find f = { cl->name, NULL };

		keep_each_lstn(adm_lstn_match, &f);
		buf_printf(out, "%s %s ", cl->name,
		    cl->protocol == CONF_PROTO_UDP ? "udp" : "tcp");
		for (j = 0; j < cl->bind.n; j++) {
			buf_printf(out, "%s%s", j > 0 ? "," : "",
			    addr_str(&cl->bind.v[j].addr, addr, sizeof(addr)));
		}
		buf_printf(out, " %llu %llu\n",
		    (unsigned long long)(f.found ? f.found->active : 0),
		    (unsigned long long)(f.found ? f.found->accepted : 0));
	}
}

/* set server ... and shutdown sessions server ...: one server acted on. */
static void
adm_on_server(const struct adm_cmd *cmd, struct buf *out)
{
	static const char *const names[] = { "ready", "drain", "maint" };
	const struct conf_server *cs;
	struct keep_srv *k;
	uint64_t n;

	if ((k = adm_server(cmd, &cs, out)) == NULL)
		return;
	switch (cmd->op) {
	case ADM_SET_STATE:
		k->admin = (uint8_t)cmd->state;
		log_info("server %s/%s: state %s set by the operator",
		    cmd->upstream, cmd->address, names[cmd->state]);
		buf_printf(out, "ok\n");
		break;
	case ADM_SET_WEIGHT:
		/* Until a reload changes the file's weight (keep.h). */
		k->weight_set = cmd->weight;
		k->weight_base = (uint32_t)cs->weight;
		log_info("server %s/%s: weight %lu set by the operator",
		    cmd->upstream, cmd->address, (unsigned long)cmd->weight);
		buf_printf(out, "ok\n");
		break;
	default:
		n = adm_hooks->abort_server(k);
		log_info("server %s/%s: %llu sessions shut down by the "
		    "operator", cmd->upstream, cmd->address,
		    (unsigned long long)n);
		buf_printf(out, "ok\nsessions %llu\n",
		    (unsigned long long)n);
		break;
	}
}

void
admin_reload_reply(struct buf *out, int stopping,
    int (*reload)(char *err, size_t len))
{
	char *err;

	if (stopping) {
		buf_printf(out, "error: stopping: no reload now\n");
		return;
	}
	if ((err = calloc(1, ADM_RELOAD_ERRS)) == NULL) {
		buf_printf(out, "error: out of memory\n");
		return;
	}
	if (reload(err, ADM_RELOAD_ERRS) == 0)
		buf_printf(out, "ok\n");
	else
		buf_printf(out, "error: reload failed: the running "
		    "configuration stays\n%s%s", err,
		    err[0] != '\0' && err[strlen(err) - 1] != '\n' ? "\n" : "");
	free(err);
}

static void
adm_help(struct buf *out)
{
	buf_printf(out, "ok\n"
	    "show info\n"
	    "show servers [UPSTREAM]\n"
	    "show listeners\n"
	    "set server UPSTREAM ADDRESS state ready|drain|maint\n"
	    "set server UPSTREAM ADDRESS weight N\n"
	    "shutdown sessions server UPSTREAM ADDRESS\n"
	    "reload\n");
}

void
adm_exec_line(char *line, struct buf *out)
{
	struct adm_cmd cmd;
	char err[256];

	if (adm_parse(line, &cmd, err, sizeof(err)) != 0)
		buf_printf(out, "error: %s\n", err);
	else if (cmd.op == ADM_HELP)
		adm_help(out);
	else if (cmd.op == ADM_SHOW_INFO)
		adm_show_info(out);
	else if (cmd.op == ADM_SHOW_SERVERS)
		adm_show_servers(cmd.upstream, out);
	else if (cmd.op == ADM_SHOW_LISTENERS)
		adm_show_listeners(out);
	else if (cmd.op == ADM_RELOAD)
		admin_reload_reply(out, loop.stopping, adm_hooks->reload);
	else
		adm_on_server(&cmd, out);
	buf_printf(out, "\n");
}
