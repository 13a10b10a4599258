/*
 * The stats module (stats.h).  A reload that keeps stats.listen keeps
 * the socket and its clients (a scrape in flight is not cut); one that
 * moves it binds the new address in `prepare`, so that a failed bind
 * fails the reload as a listener's would, and closes the old socket at
 * `commit`.  During a graceful stop the endpoint goes on answering, with
 * /healthz at 503, until the process ends.
 */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "ops/http.h"
#include "ops/metrics.h"
#include "ops/proc.h"
#include "ops/stats.h"

static struct http_server *stats_srv;	/* serving, or NULL */
static struct http_server *stats_next;	/* bound by prepare, not yet */

static int
stats_is(const struct http_req *req, const char *path)
{
	return req->pathlen == strlen(path) &&
	    memcmp(req->path, path, req->pathlen) == 0;
}

static int
stats_handle(void *arg, const struct http_req *req, struct buf *body,
    const char **ctype)
{
	struct proc_info pi;

	(void)arg;
	if (stats_is(req, "/metrics")) {
		proc_read(&pi);
		metrics_render(body, &pi);
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return 200;
	}
	if (stats_is(req, "/stats")) {
		proc_read(&pi);
		stats_json_render(body, &pi);
		*ctype = "application/json";
		return 200;
	}
	if (stats_is(req, "/healthz")) {
		buf_str(body, loop.stopping ? "stopping\n" : "ok\n");
		return loop.stopping ? 503 : 200;
	}
	buf_str(body, "404 Not Found\n");
	return 404;
}

static int
stats_prepare(const struct conf *conf)
{
	const struct conf_addrs *l = &conf->stats.listen;
	char text[MIO_ADDR_STRLEN];
	int rc;

	/* One a failed reload bound and never used. */
	if (stats_next != NULL) {
		http_server_close(stats_next);
		stats_next = NULL;
	}
	if (l->n == 0 || (stats_srv != NULL &&
	    mio_addr_equal(http_server_addr(stats_srv), &l->v[0].addr)))
		return 0;
	if ((rc = http_server_new(&l->v[0].addr, stats_handle, NULL,
	    &stats_next)) != 0) {
		if (mio_addr_format(&l->v[0].addr, text, sizeof(text)) < 0)
			strcpy(text, "?");
		log_error("stats: listening on %s: %s", text,
		    mio_strerror(rc));
		return rc;
	}
	return 0;
}

static void
stats_commit(const struct conf *conf)
{
	int rc;

	if (stats_next != NULL || conf->stats.listen.n == 0) {
		if (stats_srv != NULL)
			http_server_close(stats_srv);
		stats_srv = stats_next;
		stats_next = NULL;
	}
	/* The ACL lives in conf, which serves from now on. */
	if (stats_srv == NULL)
		return;
	http_server_set_acl(stats_srv, conf->stats.acl);
	if ((rc = http_server_start(stats_srv)) != 0) {
		log_error("stats: %s", mio_strerror(rc));
		http_server_close(stats_srv);
		stats_srv = NULL;
	}
}

static void
stats_fini(void)
{
	if (stats_next != NULL)
		http_server_close(stats_next);
	if (stats_srv != NULL)
		http_server_close(stats_srv);
	stats_srv = stats_next = NULL;
	http_reap();
}

const struct loop_module stats_module = {
	.name = "stats",
	.tags = 0,			/* LOOP_TAG_OPS: loop_handler */
	.prepare = stats_prepare,
	.commit = stats_commit,
	.after_batch = http_reap,
	.fini = stats_fini,
};
