/*
 * The event loop: one mio_poll_wait() drives everything.  Its timeout is
 * the earliest timer (zero while a module has work left over); after
 * each wait come the events, each to the module that owns its token's
 * tag, then due timers, then the modules' after-batch work (queued
 * sessions, burial), then the generations a reload replaced; and just
 * before the next wait, the modules' before-wait hooks send what is
 * still queued (the ring's requests), whichever hook queued it.
 *
 * Signals arrive through a descriptor (a signalfd, or a self-pipe where
 * the system has none: signals.c), read in the loop like any other, so
 * no handler ever runs the daemon's code: SIGHUP reloads, SIGTERM and
 * SIGINT stop gracefully, SIGUSR1 reopens the access log.  SIGPIPE is
 * ignored (sockets never raise it, but a log on a closed pipe could).
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "conf/conf.h"
#include "relay/gen.h"
#include "log.h"
#include "model/keep.h"
#include "loop.h"
#include "upstream/resolve.h"
#include "notify.h"
#include "reload_err.h"
#include "relay/listener.h"
#include "relay/sess.h"
#include "relay/tcp.h"
#include "relay/udp.h"
#include "ops/access.h"
#include "ops/admin.h"
#include "ops/stats.h"
#include "service.h"
#include "signals.h"
#include "reload_names.h"
#include "resolver.h"
#include "worker.h"

#define LOOP_EVENTS	256
#define LOOP_STATUS_MS	5000

struct loop loop;

/* The signal token is the context's address with a tag (loop.h). */
_Static_assert(_Alignof(struct loop) >= 8, "struct loop alignment");

/* The run-time modules, in the order their hooks run. */
static const struct loop_module *const loop_modules[] = {
	&tcp_module,
	&udp_module,
	&checks_module,		/* health checks */
	&stats_module,
	&admin_module,
	&resolver_module,	/* names that move (issue 15) */
	&worker_module,		/* a worker's channel to its supervisor */
	&reload_names_module	/* a reload's host names: ends it, last */
};
#define LOOP_NMODULES	(sizeof(loop_modules) / sizeof(loop_modules[0]))

/* The handler of each protocol's listening sockets. */
static const struct lstn_proto *const loop_protos[] = {
	[CONF_PROTO_TCP] = &tcp_listen_proto,
	[CONF_PROTO_UDP] = &udp_listen_proto
};

/* The module of each token tag; NULL: the loop's own (signals). */
static const struct loop_module *loop_by_tag[LOOP_TAGS];

static struct gen *loop_gen;		/* the current configuration */
static const char *loop_conf_path;
static int loop_log_level_override;	/* -1: the file's */
static int loop_sigfd = -1;
static struct timer loop_stop_timer;
static struct timer loop_status_timer;	/* STATUS= refresh, with systemd */

/*
 * Applies the logging settings of a configuration: 0, or the -errno of
 * an access log file that cannot be opened (the previous one then stays).
 */
static int
loop_logging(const struct conf *conf)
{
	int level = loop_log_level_override >= 0 ?
	    loop_log_level_override : conf->logging.level;
	int rc;

	log_setup(level, conf->logging.target);
	if ((rc = access_open(&conf->logging)) != 0)
		log_error("access log %s: %s", conf->logging.access_path,
		    mio_strerror(rc));
	return rc;
}

/* Every module's prepare hook for conf: 0 or the first -errno. */
static int
loop_prepare(const struct conf *conf)
{
	size_t i;
	int rc;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->prepare != NULL &&
		    (rc = loop_modules[i]->prepare(conf)) != 0)
			return rc;
	return 0;
}

/* Every module's commit hook: conf serves from now on. */
static void
loop_commit(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->commit != NULL)
			loop_modules[i]->commit(conf);
}

/*
 * STATUS= for systemctl status: after start and each reload (force), and
 * every few seconds while it changes (only when a notify socket is there
 * to hear it).
 */
static void
loop_status(int force)
{
	static uint64_t last = UINT64_MAX;

	if (!force && sess_count() == last)
		return;
	last = sess_count();
	notify_send("STATUS=%llu sessions, configuration %s",
	    (unsigned long long)last, loop_conf_path);
}

static void
loop_status_fire(struct timer *t, uint64_t now)
{
	loop_status(0);
	(void)timer_set(&loop.timers, t, now + LOOP_STATUS_MS);
}

/* The file's errors reported (reload_err.h), then what a failed reload
 * keeps. */
static void
loop_reload_errors(struct conf_errors *errs, int rc, char *err, size_t len)
{
	reload_conf_errors(errs, rc, loop_conf_path, err, len);
	log_error("reload failed: keeping the running configuration");
}

/* With workers: the supervisor's for all of them (loop_as_worker). */
static int loop_worker;
/* A worker's answer to its supervisor, for a prepare that waited. */
static void (*loop_prepared)(int rc, const char *why);
static struct gen *loop_pending;	/* a reload between its two steps */

void
loop_as_worker(void (*prepared)(int rc, const char *why))
{
	loop_worker = 1;
	loop_prepared = prepared;
}

/*
 * A worker serves no operator endpoint of its own: its supervisor
 * answers for the whole group (CONFIG.md, "Workers").
 */
static void
loop_worker_conf(struct conf *conf)
{
	if (!loop_worker)
		return;
	conf->stats.listen.n = 0;
	free(conf->admin.socket);
	conf->admin.socket = NULL;
}

static void
loop_reload_notify(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000);
}

/* A reload that failed: its errors logged (and in err), READY=1. */
static int
loop_reload_failed(struct conf_errors *errs, int rc, char *err, size_t len)
{
	loop_reload_errors(errs, rc, err, len);
	notify_send("READY=1");
	return -1;
}

/*
 * The step after the file is loaded: conf (taken) made into a
 * generation, its logs opened and what is new bound, waiting in
 * loop_pending for loop_reload_finish().  0, or -1 logged (and in err),
 * with READY=1 sent and the running configuration as it was.
 */
static int
loop_reload_stage(struct conf *conf, char *err, size_t len)
{
	struct gen *g;
	int rc;

	loop_worker_conf(conf);
	service_reload_warnings(loop_gen->conf, conf);
	if ((rc = gen_create(conf, loop_protos, &g)) != 0) {
		reload_error(err, len, "%s", mio_strerror(rc));
		notify_send("READY=1");
		return -1;
	}
	/* The new logs first: the old ones stay if they cannot open. */
	if (loop_logging(g->conf) != 0 || loop_prepare(g->conf) != 0 ||
	    lstn_open_new(g, loop_gen) != 0) {
		reload_error(err, len, "the new configuration could not "
		    "be applied (a log file, or a bind: see the log)");
		log_error("reload failed: keeping the running configuration");
		(void)loop_logging(loop_gen->conf);
		gen_unref(g);
		notify_send("READY=1");
		return -1;
	}
	loop_pending = g;
	return 0;
}

/*
 * Drops a reload that still waits for its names (a newer one, a stop, a
 * supervisor that gave up on it): a worker tells its supervisor.
 */
static void
loop_names_cancel(void)
{
	if (!reload_names_cancel())
		return;
	keep_proc.reloads[1]--;		/* neither applied nor failed */
	log_warn("reload: the one waiting for host names is dropped");
	if (loop_worker)
		loop_prepared(-1, "the reload waiting for host names was "
		    "dropped\n");
}

static reload_names_fn loop_reload_names_done;

/*
 * The first step of a reload: the file read, its host names looked up
 * on the loop (reload_names.h), then read again and staged
 * (loop_pending).  0 when staged; -1 when it failed (logged, in err,
 * READY=1); 1 when lookups are under way, whose end
 * (loop_reload_names_done(), after the batch of the last answer, bounded
 * by the resolver's timeouts) stages it and then commits it, or with
 * workers tells the supervisor (the callback given to loop_as_worker()).
 */
static int
loop_reload_load(char *err, size_t len)
{
	struct conf_errors errs;
	struct conf *conf = NULL;
	int rc;

	loop_names_cancel();
	if (loop_pending != NULL)	/* staged, never committed: stale */
		loop_reload_finish(0);
	loop_reload_notify();
	memset(&errs, 0, sizeof(errs));
	keep_proc.reloads[1]++;		/* until it succeeds */
	if (err != NULL && len > 0)
		err[0] = '\0';
	rc = reload_names_begin(loop_conf_path, loop_reload_names_done, &conf,
	    &errs);
	if (rc < 0)
		return loop_reload_failed(&errs, rc, err, len);
	return rc == 0 ? loop_reload_stage(conf, err, len) : 1;
}

int
loop_reload_prepare(char *err, size_t len)
{
	return loop_reload_load(err, len);
}

void
loop_reload_finish(int commit)
{
	struct gen *g = loop_pending, *old = loop_gen;

	if (!commit)
		loop_names_cancel();
	if (g == NULL)
		return;
	loop_pending = NULL;
	if (!commit) {
		lstn_close_all(g);
		(void)loop_logging(old->conf);
		gen_unref(g);
		log_error("reload failed: keeping the running configuration");
		notify_send("READY=1");
		return;
	}
	lstn_serve_all(g, old);
	lstn_close_all(old);
	loop_gen = g;
	gen_retire(old);
	loop_commit(g->conf);
	keep_proc.reloads[1]--;
	keep_proc.reloads[0]++;
	keep_proc.last_reload = (int64_t)time(NULL);
	log_info("configuration reloaded from %s", loop_conf_path);
	notify_send("READY=1");
	loop_status(1);
}

/*
 * The end of a reload that looked names up (reload_names.h), after the
 * batch in which its last answer came: the file read again, with rc.
 */
static void
loop_reload_names_done(int rc, struct conf *conf, struct conf_errors *errs)
{
	static char why[1024];

	why[0] = '\0';
	if (rc != 0) {
		rc = loop_reload_failed(errs, rc, why, sizeof(why));
	} else {
		conf_errors_free(errs);
		rc = loop_reload_stage(conf, why, sizeof(why));
	}
	if (loop_worker)
		loop_prepared(rc, why);
	else if (rc == 0)
		loop_reload_finish(1);
}

/*
 * Reload: all or nothing.  An invalid file or a failed bind leaves the
 * running configuration untouched; a valid one serves new sessions at
 * once while established ones finish on the generation they began in.
 * SIGHUP and the admin socket's `reload` both come here; the latter
 * gets the reasons of a failure in err (a line each; NULL: none).
 * Returns 0, or -1 when the running configuration stays.
 *
 * A file that names hosts is read, its names are looked up on the loop
 * (reload_names.h), and it is read again and applied once every answer
 * is in, bounded by the resolver's timeouts: 0 is then returned at once,
 * and the outcome is logged (READY=1 comes with it).
 */
static int
loop_reload_with(char *err, size_t len)
{
	int rc = loop_reload_load(err, len);

	if (rc == 0)
		loop_reload_finish(1);
	return rc < 0 ? -1 : 0;
}

/*
 * Names that move: the running generation again, with each followed
 * name's last addresses (upstream/resolve.h), unless none differs.
 * Sessions keep the generation they began in.  0 or -errno.
 */
static int
loop_follow_names(void)
{
	struct conf *cur = loop_gen->conf;
	struct conf_server **srv;
	struct gen *g, *old = loop_gen;
	size_t i, *ns, any = 0;
	int rc = 0;

	srv = calloc(cur->nupstreams + 1, sizeof(*srv));
	ns = calloc(cur->nupstreams + 1, sizeof(*ns));
	for (i = 0; rc == 0 && srv != NULL && ns != NULL &&
	    i < cur->nupstreams; i++) {
		rc = resolve_servers(&cur->upstreams[i], &srv[i], &ns[i]);
		if (rc == 0 && srv[i] != NULL) {
			any++;
			log_info("resolver: upstream %s now has %zu servers",
			    cur->upstreams[i].name, ns[i]);
		}
	}
	if (srv == NULL || ns == NULL)
		rc = -ENOMEM;
	if (rc == 0 && any > 0) {
		rc = gen_derive(old, loop_protos, srv, ns, &g);
		if (rc == 0 && (loop_prepare(g->conf) != 0 ||
		    lstn_bind_all(g, old) != 0)) {
			gen_unref(g);
			rc = -EAGAIN;
		} else if (rc == 0) {
			lstn_close_all(old);
			loop_gen = g;
			gen_retire(old);
			loop_commit(g->conf);
		}
	}
	for (i = 0; srv != NULL && i < cur->nupstreams; i++)
		free(srv[i]);
	free(srv);
	free(ns);
	return rc;
}

/* `shutdown sessions server`: the admin socket's hook into the relay. */
static uint64_t
loop_abort_server(struct keep_srv *k)
{
	return sess_abort_matching(k, "admin_shutdown");
}

static const struct admin_hooks loop_admin_hooks = {
	.reload = loop_reload_with,
	.abort_server = loop_abort_server,
	.sessions = sess_count
};

static void
loop_stop_fire(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	log_info("shutdown grace over: closing %llu sessions",
	    (unsigned long long)sess_count());
	sess_end_all("shutdown");
}

static void
loop_stop(void)
{
	size_t i;

	if (loop.stopping)
		return;
	loop.stopping = 1;
	/* A worker's reload, looking names up or staged, is dropped (its
	 * supervisor is told; a COMMIT that comes after finds none). */
	loop_reload_finish(0);
	/* Listeners first: once STOPPING=1 is out, nobody gets in. */
	lstn_close_all(loop_gen);
	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->stop != NULL)
			loop_modules[i]->stop();
	notify_send("STOPPING=1");
	log_info("stopping: %llu sessions to finish",
	    (unsigned long long)sess_count());
	timer_init(&loop_stop_timer, loop_stop_fire);
	(void)timer_set(&loop.timers, &loop_stop_timer, loop.now +
	    (uint64_t)loop_gen->conf->process.shutdown_grace_ms);
}

static void
loop_signal_event(void)
{
	int sig, rc;

	while ((sig = signals_next(loop_sigfd)) != 0) {
		switch (sig) {
		case SIGHUP:
			/* A worker's reloads come from its supervisor, all
			 * workers together (worker.c). */
			if (loop_worker)
				log_warn("SIGHUP to a worker: ignored (reload "
				    "the supervisor)");
			else if (!loop.stopping)
				(void)loop_reload_with(NULL, 0);
			break;
		case SIGCHLD:
			break;
		case SIGUSR1:
			if ((rc = access_reopen()) != 0)
				log_error("reopening the access log: %s",
				    mio_strerror(rc));
			break;
		default:
			loop_stop();
			break;
		}
	}
}

static void
loop_dispatch(const struct mio_event *ev)
{
	unsigned tag = LOOP_TOKEN_TAG(ev->token);
	const struct loop_module *m = loop_by_tag[tag];

	if (m != NULL) {
		m->event(LOOP_TOKEN_PTR(ev->token), tag, ev->flags);
	} else if (tag == LOOP_TAG_OPS) {
		struct loop_handler *h = LOOP_TOKEN_PTR(ev->token);

		h->event(h, ev->flags);
	} else if (tag == LOOP_TAG_SIGNAL) {
		loop_signal_event();
	}
}

/* Whether a module has work left over: then the wait must not block. */
static int
loop_busy(void)
{
	size_t i;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->busy != NULL && loop_modules[i]->busy())
			return 1;
	return 0;
}

static void
loop_after_batch(void)
{
	size_t i;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->after_batch != NULL)
			loop_modules[i]->after_batch();
	sess_bury();
	gen_release_retired();
}

/*
 * Right before a wait: what the batch left queued goes out.  A module's
 * after_batch may queue work for one that ran before it (reload_names,
 * last, serves a reload's listeners, whose accepts go on the tcp
 * module's ring), and a wait with it unsent would block until some
 * other event.
 */
static void
loop_before_wait(void)
{
	size_t i;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->before_wait != NULL)
			loop_modules[i]->before_wait();
}

/* The loop proper, until a stop has let every session finish. */
static int
loop_serve(void)
{
	struct mio_event events[LOOP_EVENTS];
	int n, i, timeout;

	while (!loop.stopping || sess_count() > 0) {
		loop_before_wait();
		timeout = loop_busy() ? 0 :
		    timer_timeout_ms(&loop.timers, timer_now_ms());
		n = mio_poll_wait(loop.poll, events, LOOP_EVENTS, timeout);
		loop.now = timer_now_ms();
		if (n < 0 && n != -EINTR) {
			log_error("wait: %s", mio_strerror(n));
			return 2;
		}
		for (i = 0; i < n; i++)
			loop_dispatch(&events[i]);
		timer_run(&loop.timers, loop.now);
		loop_after_batch();
	}
	log_info("stopped");
	return 0;
}

/*
 * Whether the backend can watch MIO_PRIORITY (TCP urgent data), asked
 * of it with a pipe: kqueue cannot (-ENOTSUP).  Without it a TCP read
 * that stops short at an urgent mark looks like an emptied socket, so
 * the relay then trusts only -EAGAIN.
 */
static void
loop_tcp_interest(void)
{
	mio_sock fd[2];
	int priority = 1;

	if (mio_pipe(fd) == 0) {
		priority = mio_register(loop.poll, fd[0], 0,
		    MIO_READABLE | MIO_PRIORITY) != -ENOTSUP;
		(void)mio_deregister(loop.poll, fd[0]);
		mio_close(fd[0]);
		mio_close(fd[1]);
	}
	loop.tcp_interest = MIO_READABLE | MIO_WRITABLE |
	    (priority ? MIO_PRIORITY : 0u);
	loop.tcp_short_read_drains = loop.short_io_drains && priority;
}

/*
 * The context, logging, limits and the poll: 0, or -errno after undoing
 * what was done.  Two timer slots for the stop and status timers, which
 * must not fail.
 */
static int
loop_open(struct conf *conf)
{
	size_t i, t;
	int rc;

	timer_heap_init(&loop.timers);
	for (i = 0; i < LOOP_NMODULES; i++)
		for (t = 0; t < LOOP_TAGS; t++)
			if (loop_modules[i]->tags & LOOP_TAG_BIT(t)) {
				/* One owner per tag, and never the loop's own
				 * (signals, operators' handlers). */
				assert(loop_by_tag[t] == NULL &&
				    t != LOOP_TAG_SIGNAL && t != LOOP_TAG_OPS);
				loop_by_tag[t] = loop_modules[i];
			}
	/* Notify after logging (its warnings go there), before privileges
	 * go. */
	if ((rc = loop_logging(conf)) == 0)
		notify_init();
	if (rc != 0 ||
	    (rc = service_limits(conf)) != 0 ||
	    (rc = timer_hold(&loop.timers)) != 0 ||
	    (rc = timer_hold(&loop.timers)) != 0 ||
	    (rc = mio_poll_new(&loop.poll)) != 0) {
		timer_heap_fini(&loop.timers);
		notify_close();
		access_close();
		return rc;
	}
	loop.now = timer_now_ms();
	loop.short_io_drains = mio_poll_short_io_drains(loop.poll);
	loop_tcp_interest();
	return 0;
}

/* Every module's start hook: 0 or the first -errno. */
static int
loop_start_modules(void)
{
	size_t i;
	int rc;

	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->start != NULL &&
		    (rc = loop_modules[i]->start()) != 0)
			return rc;
	return 0;
}

/* Binds the first generation and starts serving: 0 or -errno. */
static int
loop_start(struct conf *conf)
{
	int rc;

	if ((rc = gen_create(conf, loop_protos, &loop_gen)) != 0 ||
	    (rc = loop_prepare(loop_gen->conf)) != 0 ||
	    (rc = lstn_bind_all(loop_gen, NULL)) != 0 ||
	    (rc = loop_sigfd = signals_open()) < 0 ||
	    (rc = mio_register(loop.poll, loop_sigfd,
	    LOOP_TOKEN(&loop, LOOP_TAG_SIGNAL), MIO_READABLE)) != 0 ||
	    (!loop_worker && (rc = service_start(loop_gen->conf)) != 0) ||
	    (rc = loop_start_modules()) != 0)
		return rc;
	loop_commit(loop_gen->conf);
	log_info("mioproxy %s (libmio %s, %s backend, %s engine) serving %s",
	    PACKAGE_VERSION, mio_version(), mio_poll_backend(loop.poll),
	    KEEP_PROC_IO(&keep_proc), loop_conf_path);
	notify_send("READY=1");
	loop_status(1);
	if (notify_active()) {
		timer_init(&loop_status_timer, loop_status_fire);
		(void)timer_set(&loop.timers, &loop_status_timer,
		    loop.now + LOOP_STATUS_MS);
	}
	return 0;
}

static void
loop_close(void)
{
	size_t i;

	sess_end_all("shutdown");
	sess_bury();
	gen_release_retired();
	/* A reload's lookups, silently: their channel before the resolver's
	 * fini ends c-ares. */
	(void)reload_names_cancel();
	if (loop_gen != NULL) {
		lstn_close_all(loop_gen);
		gen_unref(loop_gen);
		loop_gen = NULL;
	}
	if (loop_sigfd >= 0)
		signals_close(loop_sigfd);
	loop_sigfd = -1;
	for (i = 0; i < LOOP_NMODULES; i++)
		if (loop_modules[i]->fini != NULL)
			loop_modules[i]->fini();
	keep_fini();
	timer_heap_fini(&loop.timers);
	mio_poll_free(loop.poll);
	service_stop();
	notify_close();
	access_close();
}

/*
 * Serves `conf` until a stop: binds, drops privileges, says READY, and
 * runs the loop.  Takes ownership of conf.  Returns the exit status
 * (0 after a clean stop, 2 when it could not start).
 */
int
loop_run(struct conf *conf, const char *path, int log_level_override)
{
	int rc, status;

	memset(&loop, 0, sizeof(loop));
	keep_proc.started = (int64_t)time(NULL);
	loop_worker_conf(conf);
	loop_conf_path = path;
	loop_log_level_override = log_level_override;
	admin_set_hooks(&loop_admin_hooks);
	resolver_set_apply(loop_follow_names);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if ((rc = loop_open(conf)) != 0) {
		log_error("starting: %s", mio_strerror(rc));
		conf_free(conf);
		return 2;
	}
	if ((rc = loop_start(conf)) != 0) {
		log_error("starting: %s", mio_strerror(rc));
		status = 2;
	} else {
		status = loop_serve();
	}
	loop_close();
	return status;
}
