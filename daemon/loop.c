/*
 * The event loop: one mio_poll_wait() drives everything.  Its timeout is
 * the earliest timer (zero while sessions wait on the run queue); after
 * each wait come the events, then due timers, then the run queue, then
 * the burial of sessions that ended in this turn.
 *
 * Signals arrive through a signalfd, read in the loop like any other
 * descriptor, so no handler ever runs code: SIGHUP reloads, SIGTERM and
 * SIGINT stop gracefully, SIGUSR1 reopens the access log.  SIGPIPE is
 * ignored (sockets never raise it, but a log on a closed pipe could).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "log.h"
#include "ops/access.h"
#include "proxy.h"
#include "service.h"

#define LOOP_EVENTS	256

struct proxy proxy;

/* Tokens carry a 3-bit tag in the low bits of these objects' addresses. */
_Static_assert(_Alignof(struct lsock) >= 8, "struct lsock alignment");
_Static_assert(_Alignof(struct proxy) >= 8, "struct proxy alignment");

static int
loop_signals_open(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

/*
 * Applies the logging settings of a configuration: 0, or the -errno of
 * an access log file that cannot be opened (the previous one then stays).
 */
static int
loop_logging(const struct conf *conf)
{
	int level = proxy.log_level_override >= 0 ?
	    proxy.log_level_override : conf->logging.level;
	int rc;

	log_setup(level, conf->logging.target);
	if ((rc = access_open(&conf->logging)) != 0)
		log_error("access log %s: %s", conf->logging.access_path,
		    mio_strerror(rc));
	return rc;
}

#define LOOP_STATUS_MS	5000

/*
 * STATUS= for systemctl status: after start and each reload (force), and
 * every few seconds while it changes (only when a notify socket is there
 * to hear it).
 */
static void
loop_status(int force)
{
	static uint64_t last = UINT64_MAX;

	if (!force && proxy.nsessions == last)
		return;
	last = proxy.nsessions;
	notify_send("STATUS=%llu sessions, configuration %s",
	    (unsigned long long)proxy.nsessions, proxy.conf_path);
}

static void
loop_status_timer(struct timer *t, uint64_t now)
{
	loop_status(0);
	(void)timer_set(&proxy.timers, t, now + LOOP_STATUS_MS);
}

/*
 * Reload: all or nothing.  An invalid file or a failed bind leaves the
 * running configuration untouched; a valid one serves new sessions at
 * once while established ones finish on the generation they began in.
 */
static void
loop_reload(void)
{
	struct conf_errors errs;
	struct conf *conf = NULL;
	struct gen *g, *old = proxy.gen;
	struct timespec ts;
	size_t i;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000);
	memset(&errs, 0, sizeof(errs));
	rc = conf_load(proxy.conf_path, &conf, &errs);
	if (rc != 0) {
		for (i = 0; i < errs.n; i++) {
			if (errs.v[i].line == 0)
				log_error("reload: %s: %s", errs.v[i].file,
				    errs.v[i].message);
			else
				log_error("reload: %s:%lu:%lu: %s",
				    errs.v[i].file, errs.v[i].line,
				    errs.v[i].column, errs.v[i].message);
		}
		if (errs.n == 0)
			log_error("reload: %s: %s", proxy.conf_path,
			    mio_strerror(rc));
		log_error("reload failed: keeping the running configuration");
		conf_errors_free(&errs);
		notify_send("READY=1");
		return;
	}
	conf_errors_free(&errs);
	service_reload_warnings(old->conf, conf);
	if ((rc = gen_create(conf, &g)) != 0) {
		log_error("reload: %s", mio_strerror(rc));
		notify_send("READY=1");
		return;
	}
	/* The new logs first: the old ones stay if they cannot open. */
	if (loop_logging(g->conf) != 0 ||
	    (rc = udp_prepare(g->conf)) != 0 ||
	    (rc = lstn_bind_all(g, old)) != 0) {
		log_error("reload failed: keeping the running configuration");
		(void)loop_logging(old->conf);
		gen_unref(g);
		notify_send("READY=1");
		return;
	}
	lstn_close_all(old);
	proxy.gen = g;
	gen_retire(old);
	log_info("configuration reloaded from %s", proxy.conf_path);
	notify_send("READY=1");
	loop_status(1);
}

static void
loop_stop_timer(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	log_info("shutdown grace over: closing %llu sessions",
	    (unsigned long long)proxy.nsessions);
	tcp_end_all("shutdown");
	udp_end_all("shutdown");
}

static void
loop_stop(void)
{
	if (proxy.stopping)
		return;
	proxy.stopping = 1;
	/* Listeners first: once STOPPING=1 is out, nobody gets in. */
	lstn_close_all(proxy.gen);
	udp_stop();
	notify_send("STOPPING=1");
	log_info("stopping: %llu sessions to finish",
	    (unsigned long long)proxy.nsessions);
	timer_init(&proxy.stop_timer, loop_stop_timer);
	(void)timer_set(&proxy.timers, &proxy.stop_timer, proxy.now +
	    (uint64_t)proxy.gen->conf->process.shutdown_grace_ms);
}

static void
loop_signal_event(void)
{
	struct signalfd_siginfo si;
	int rc;

	while (mio_read(proxy.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (!proxy.stopping)
				loop_reload();
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
	void *ptr = TOKEN_PTR(ev->token);

	switch (TOKEN_TAG(ev->token)) {
	case TAG_CLIENT:
	case TAG_SERVER:
		tcp_event(ptr, TOKEN_TAG(ev->token), ev->flags);
		break;
	case TAG_LISTENER:
		lstn_event(ptr, ev->flags);
		break;
	case TAG_UDP_SERVER:
		udp_event(ptr, ev->flags);
		break;
	default:
		loop_signal_event();
		break;
	}
}

/*
 * Serves `conf` until a stop: binds, drops privileges, says READY, and
 * runs the loop.  Takes ownership of conf.  Returns the exit status
 * (0 after a clean stop, 2 when it could not start).
 */
int
proxy_run(struct conf *conf, const char *path, int log_level_override)
{
	struct mio_event events[LOOP_EVENTS];
	int n, i, rc, status = 0;

	memset(&proxy, 0, sizeof(proxy));
	proxy.conf_path = path;
	proxy.log_level_override = log_level_override;
	proxy.sigfd = proxy.reserve_fd = -1;
	timer_heap_init(&proxy.timers);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	/* Notify after logging (its warnings go there), before privileges
	 * go; two slots for the stop and status timers, which must not
	 * fail. */
	if ((rc = loop_logging(conf)) == 0)
		notify_init();
	if (rc != 0 ||
	    (rc = service_limits(conf)) != 0 ||
	    (rc = timer_hold(&proxy.timers)) != 0 ||
	    (rc = timer_hold(&proxy.timers)) != 0 ||
	    (rc = mio_poll_new(&proxy.poll)) != 0) {
		log_error("starting: %s", mio_strerror(rc));
		timer_heap_fini(&proxy.timers);
		conf_free(conf);
		notify_close();
		access_close();
		return 2;
	}
	proxy.now = timer_now_ms();
	proxy.short_io_drains = strcmp(mio_poll_backend(proxy.poll),
	    "epoll") == 0;
	if ((rc = gen_create(conf, &proxy.gen)) != 0 ||
	    (rc = udp_prepare(proxy.gen->conf)) != 0 ||
	    (rc = lstn_bind_all(proxy.gen, NULL)) != 0 ||
	    (rc = proxy.sigfd = loop_signals_open()) < 0 ||
	    (rc = mio_register(proxy.poll, proxy.sigfd, TOKEN(&proxy, TAG_LOOP),
	    MIO_READABLE)) != 0 ||
	    (rc = service_start(proxy.gen->conf)) != 0) {
		log_error("starting: %s", mio_strerror(rc));
		status = 2;
		goto out;
	}
	proxy.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_info("mioproxy %s (libmio %s, %s backend) serving %s",
	    PACKAGE_VERSION, mio_version(), mio_poll_backend(proxy.poll),
	    path);
	notify_send("READY=1");
	loop_status(1);
	if (notify_active()) {
		timer_init(&proxy.status_timer, loop_status_timer);
		(void)timer_set(&proxy.timers, &proxy.status_timer,
		    proxy.now + LOOP_STATUS_MS);
	}

	while (!proxy.stopping || proxy.nsessions > 0) {
		int timeout = proxy.runq != NULL ? 0 :
		    timer_timeout_ms(&proxy.timers, timer_now_ms());

		n = mio_poll_wait(proxy.poll, events, LOOP_EVENTS, timeout);
		proxy.now = timer_now_ms();
		if (n < 0 && n != -EINTR) {
			log_error("wait: %s", mio_strerror(n));
			status = 2;
			break;
		}
		for (i = 0; i < n; i++)
			loop_dispatch(&events[i]);
		timer_run(&proxy.timers, proxy.now);
		tcp_run_queue();
		tcp_bury();
		udp_bury();
		gen_release_retired();
	}
	log_info("stopped");
out:
	tcp_end_all("shutdown");
	udp_end_all("shutdown");
	tcp_bury();
	udp_bury();
	gen_release_retired();
	if (proxy.gen != NULL) {
		lstn_close_all(proxy.gen);
		gen_unref(proxy.gen);
	}
	if (proxy.sigfd >= 0)
		mio_close(proxy.sigfd);
	if (proxy.reserve_fd >= 0)
		close(proxy.reserve_fd);
	relay_pool_trim(0);
	relay_pipes_free();
	udp_fini();
	timer_heap_fini(&proxy.timers);
	mio_poll_free(proxy.poll);
	service_stop();
	notify_close();
	access_close();
	return status;
}
