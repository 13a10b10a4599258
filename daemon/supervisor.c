/*
 * The supervisor of `process.workers` above 1 (CONFIG.md, "Workers";
 * supervisor.h): the process systemd sees.  It binds, forks N workers,
 * each running the ordinary event loop (loop.c) on its own sockets, and
 * then only watches: signals, the pid file, systemd's notify protocol,
 * workers that die (restarted, with a back-off, logged), reloads made
 * all or nothing across workers, and the stop.
 *
 * The sockets.  For every (protocol, address) of the configuration the
 * supervisor binds one SO_REUSEPORT socket per worker, in worker order,
 * and keeps all of them open for as long as the address is configured
 * (relay/rport.h).  The kernel's group therefore never changes: a worker
 * that dies leaves its socket in place, where its clients' connections
 * and datagrams queue until the next worker of the same index, forked
 * with that very socket, takes them.  The UDP program maps a client to
 * the socket of one index, so no UDP session moves to another worker,
 * not at a restart and not at a reload (which keeps unchanged addresses'
 * sockets).  A Unix stream address is one socket that every worker
 * accepts on.
 *
 * A reload: the supervisor loads and checks the file (a bad one ends
 * there), binds the new addresses' sockets (a failed bind ends there),
 * hands each worker its new sockets (SCM_RIGHTS), and asks every worker
 * to prepare (load, bind, open logs: loop_reload_prepare).  Only when
 * every one could does it say commit; otherwise abort, and every worker
 * keeps the old configuration.  The channel (wire.h) is blocking: the
 * supervisor forwards nothing, so waiting on a worker costs no traffic.
 *
 * Host names.  The supervisor looks the file's names up itself,
 * blocking (names_load_blocking: at start before any worker, at a
 * reload before any is asked), for its table and for the workers it
 * forks; each worker looks them up again on its own loop when it
 * prepares, and follows `resolve: true` names there (resolver.c), so two
 * workers may serve different addresses of a moving name for up to one
 * refresh.  A reload's messages carry its number: an answer that comes
 * after the supervisor stopped waiting (SUP_REPLY_MS, well above the
 * resolver's bounded timeouts) belongs to no later reload, and a worker
 * that did not answer in time is told to abort like the others.
 *
 * What it does not do: forward, or hold any session.  Its system calls
 * are the process's own business (fork, waitpid, poll on a handful of
 * descriptors), not the readiness layer's, so they are made directly.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "names.h"
#include "notify.h"
#include "ops/admin.h"
#include "reload_err.h"
#include "relay/listener.h"
#include "relay/rport.h"
#include "relay/tcp.h"
#include "relay/udp.h"
#include "service.h"
#include "signals.h"
#include "sup_ops.h"
#include "supervisor.h"
#include "timer.h"
#include "upstream/resolve.h"
#include "wire.h"
#include "worker.h"

#define SUP_BACKOFF_MIN_MS	100
#define SUP_BACKOFF_MAX_MS	10000
#define SUP_STABLE_MS		10000	/* lived this long: back-off reset */
#define SUP_REPLY_MS		30000	/* a worker's answer */
#define SUP_START_MS		60000	/* every worker ready */
#define SUP_KILL_AFTER_MS	5000	/* past the grace, at a stop */

/* The sockets of one (protocol, address): one per worker. */
struct sup_sock {
	int		 proto;
	struct mio_addr	 addr;
	int		*fds;		/* n; a Unix one: fds[0] only */
	int		 shared;	/* Unix stream: one for all */
	int		 fresh;		/* bound by this reload */
};

struct sup_table {
	struct sup_sock	*v;
	size_t		 n;
};

struct sup_worker {
	pid_t		 pid;		/* 0: not running */
	int		 ctl;		/* our end of its channel, -1 */
	int		 ready;
	uint64_t	 started;	/* ms */
	uint64_t	 restart_at;	/* ms; 0: none due */
	uint64_t	 backoff;	/* ms, the last */
};

static struct conf *sup_conf;		/* the configuration that serves */
static const char *sup_path;
static int sup_level;			/* -1: the file's */
static unsigned sup_n;
static struct sup_worker *sup_workers;
static struct sup_table sup_socks;
static int sup_sigfd = -1;
static pid_t sup_pid;
static int sup_stopping;

static uint64_t sup_reloads[2];		/* ok, failed */
static uint32_t sup_seq;		/* the last reload's number (wire.h) */
static time_t sup_started, sup_last_reload;

static const struct lstn_proto *
sup_proto(int proto)
{
	return proto == CONF_PROTO_UDP ? &udp_listen_proto :
	    &tcp_listen_proto;
}

static const char *
sup_addr_text(const struct mio_addr *a, char *buf, size_t len)
{
	if (mio_addr_format(a, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

static void
sup_sock_close(struct sup_sock *s)
{
	unsigned i;

	if (s->fds == NULL)
		return;
	for (i = 0; i < (s->shared ? 1 : sup_n); i++)
		if (s->fds[i] >= 0)
			mio_close(s->fds[i]);
	if (s->shared && s->addr.u.un.sun_path[0] != '\0')
		(void)unlink(s->addr.u.un.sun_path);
	free(s->fds);
	s->fds = NULL;
}

static void
sup_table_free(struct sup_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		sup_sock_close(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static struct sup_sock *
sup_table_find(struct sup_table *t, int proto, const struct mio_addr *a)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].fds != NULL && t->v[i].proto == proto &&
		    mio_addr_equal(&t->v[i].addr, a))
			return &t->v[i];
	return NULL;
}

/* Binds the n sockets of s for listener cl: 0 or -errno (logged). */
static int
sup_bind(struct sup_sock *s, const struct conf_listener *cl)
{
	const struct lstn_proto *p = sup_proto(s->proto);
	char text[MIO_ADDR_STRLEN];
	unsigned i, k;
	int rc = 0;

	s->shared = s->addr.u.sa.sa_family == AF_UNIX;
	k = s->shared ? 1 : sup_n;
	if ((s->fds = malloc(k * sizeof(*s->fds))) == NULL)
		return -ENOMEM;
	for (i = 0; i < k; i++)
		s->fds[i] = -1;
	rport_binding = 1;
	for (i = 0; i < k && rc >= 0; i++)
		if ((rc = p->open(cl, &s->addr)) >= 0)
			s->fds[i] = rc;
	rport_binding = 0;
	if (rc >= 0 && s->proto == CONF_PROTO_UDP &&
	    (rc = rport_steer(s->fds[0], sup_n)) != 0)
		/* The group still never changes, so the kernel's own hash
		 * keeps each client on one worker too. */
		log_warn("listener %s: %s: steering by client: %s", cl->name,
		    sup_addr_text(&s->addr, text, sizeof(text)),
		    mio_strerror(rc));
	if (rc < 0) {
		log_error("listener %s: bind %s: %s", cl->name,
		    sup_addr_text(&s->addr, text, sizeof(text)),
		    mio_strerror(rc));
		sup_sock_close(s);
		return rc;
	}
	return 0;
}

/* Returns the sockets of s, taken from old by sup_table_make(). */
static void
sup_give_back(struct sup_table *old, struct sup_sock *s)
{
	size_t j;

	for (j = 0; j < old->n; j++)
		if (old->v[j].fds == NULL && old->v[j].proto == s->proto &&
		    mio_addr_equal(&old->v[j].addr, &s->addr)) {
			old->v[j].fds = s->fds;
			s->fds = NULL;
			return;
		}
}

/*
 * The table of conf: old's sockets for the addresses that stay (moved
 * out of old), new ones bound for the others (fresh): 0, or -errno with
 * old as it was and nothing new left open.
 */
static int
sup_table_make(const struct conf *conf, struct sup_table *old,
    struct sup_table *t)
{
	struct sup_sock *s, *prev;
	size_t i, j, total = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < conf->nlisteners; i++)
		total += conf->listeners[i].bind.n;
	if (total > 0 && (t->v = calloc(total, sizeof(*t->v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < conf->nlisteners; i++) {
		const struct conf_listener *cl = &conf->listeners[i];

		for (j = 0; j < cl->bind.n; j++) {
			const struct mio_addr *a = &cl->bind.v[j].addr;

			if (sup_table_find(t, cl->protocol, a) != NULL)
				continue;
			s = &t->v[t->n];
			s->proto = cl->protocol;
			s->addr = *a;
			if (old != NULL &&
			    (prev = sup_table_find(old, cl->protocol, a)) !=
			    NULL) {
				*s = *prev;
				s->fresh = 0;
				prev->fds = NULL;
			} else if ((rc = sup_bind(s, cl)) != 0) {
				goto fail;
			} else {
				s->fresh = 1;
			}
			t->n++;
		}
	}
	return 0;
fail:
	/* Give old its sockets back; close the fresh ones. */
	for (i = 0; i < t->n; i++)
		if (!t->v[i].fresh && old != NULL)
			sup_give_back(old, &t->v[i]);
	sup_table_free(t);
	return rc;
}

static int
sup_sock_fd(const struct sup_sock *s, unsigned i)
{
	return s->fds[s->shared ? 0 : i];
}

/* The child's side of a fork: becomes worker i, never returns. */
static void __attribute__((noreturn))
sup_child(unsigned i, int ctl)
{
	struct conf *conf = sup_conf;
	unsigned j;
	size_t k;
	int status;

#ifdef __linux__
	/* A supervisor killed outright must not leave workers behind. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != sup_pid)
		_exit(0);
	signals_close(sup_sigfd);
	sup_ops_close(0);
	for (j = 0; j < sup_n; j++)
		if (sup_workers[j].ctl >= 0)
			mio_close(sup_workers[j].ctl);
	for (k = 0; k < sup_socks.n; k++) {
		struct sup_sock *s = &sup_socks.v[k];

		/* Only its own (a Unix one is everybody's). */
		for (j = 0; j < sup_n && !s->shared; j++)
			if (j != i)
				mio_close(s->fds[j]);
		if (worker_add_sock(s->proto, &s->addr, sup_sock_fd(s, i)) !=
		    0)
			_exit(2);
		free(s->fds);
		s->fds = NULL;
	}
	free(sup_socks.v);
	sup_socks.v = NULL;
	sup_socks.n = 0;
	free(sup_workers);
	sup_workers = NULL;
	sup_conf = NULL;
	notify_disable();
	service_forget();
	(void)worker_setup(ctl, i);
	status = loop_run(conf, sup_path, sup_level);
	exit(status);
}

/* Forks worker i: 0 or -errno (logged; it is then retried later). */
static int
sup_spawn(unsigned i)
{
	struct sup_worker *w = &sup_workers[i];
	int sv[2], rc;
	pid_t pid;

	/* Message boundaries kept, descriptors carried (no exec: no
	 * close-on-exec needed). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		rc = -errno;
		log_error("worker %u: channel: %s", i, mio_strerror(rc));
		return rc;
	}
	if ((pid = fork()) < 0) {
		rc = -errno;
		log_error("worker %u: fork: %s", i, mio_strerror(rc));
		mio_close(sv[0]);
		mio_close(sv[1]);
		return rc;
	}
	if (pid == 0) {
		mio_close(sv[0]);
		sup_child(i, sv[1]);
	}
	mio_close(sv[1]);
	w->pid = pid;
	w->ctl = sv[0];
	w->ready = 0;
	w->started = timer_now_ms();
	w->restart_at = 0;
	log_info("worker %u started: pid %ld", i, (long)pid);
	return 0;
}

static void
sup_describe_exit(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

/* Workers that ended: restarts due after a back-off (none at a stop). */
static void
sup_reap(void)
{
	char how[64];
	uint64_t now;
	unsigned i;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < sup_n && sup_workers[i].pid != pid; i++)
			;
		if (i == sup_n)
			continue;
		struct sup_worker *w = &sup_workers[i];

		now = timer_now_ms();
		w->pid = 0;
		w->ready = 0;
		if (w->ctl >= 0)
			mio_close(w->ctl);
		w->ctl = -1;
		sup_describe_exit(st, how, sizeof(how));
		if (sup_stopping) {
			log_info("worker %u (pid %ld) %s", i, (long)pid, how);
			continue;
		}
		/* One that keeps dying waits longer each time. */
		if (now - w->started >= SUP_STABLE_MS || w->backoff == 0)
			w->backoff = SUP_BACKOFF_MIN_MS;
		else if ((w->backoff *= 2) > SUP_BACKOFF_MAX_MS)
			w->backoff = SUP_BACKOFF_MAX_MS;
		w->restart_at = now + w->backoff;
		log_warn("worker %u (pid %ld) %s: restarting it in %llu ms",
		    i, (long)pid, how, (unsigned long long)w->backoff);
	}
}

static void
sup_restart_due(void)
{
	uint64_t now = timer_now_ms();
	unsigned i;

	for (i = 0; i < sup_n; i++) {
		struct sup_worker *w = &sup_workers[i];

		if (w->pid != 0 || w->restart_at == 0 || w->restart_at > now)
			continue;
		if (sup_spawn(i) != 0)
			w->restart_at = now + SUP_BACKOFF_MAX_MS;
	}
}

/* The poll timeout until the next restart: ms, -1 for none. */
static int
sup_timeout(void)
{
	uint64_t now = timer_now_ms(), next = UINT64_MAX;
	unsigned i;

	for (i = 0; i < sup_n; i++)
		if (sup_workers[i].pid == 0 && sup_workers[i].restart_at != 0 &&
		    sup_workers[i].restart_at < next)
			next = sup_workers[i].restart_at;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static int
sup_all_ready(void)
{
	unsigned i;

	for (i = 0; i < sup_n; i++)
		if (!sup_workers[i].ready)
			return 0;
	return 1;
}

/*
 * One message from worker i, if it has one: its type (WIRE_READY marks
 * it ready), 0 when it has none, -1 when its channel ended.
 */
static int
sup_read(unsigned i, struct wire_msg *m)
{
	struct sup_worker *w = &sup_workers[i];
	int rc, fd;

	if (w->ctl < 0)
		return -1;
	rc = wire_recv(w->ctl, m, &fd);
	if (fd >= 0)
		mio_close(fd);
	if (rc == -EAGAIN)
		return 0;
	if (rc <= 0) {
		mio_close(w->ctl);	/* its exit is reaped after */
		w->ctl = -1;
		return -1;
	}
	if (m->type == WIRE_READY && !w->ready) {
		w->ready = 1;
		log_info("worker %u (pid %ld) ready", i, (long)w->pid);
	}
	return (int)m->type;
}

/*
 * Waits until every worker marked in want[] has sent `type` (of reload
 * sup_seq, but WIRE_READY), or ended, or the time is up: rc[i] is its
 * message's rc, or -1.  Signals wait.
 */
static void
sup_collect(int type, int *want, int *rc, uint64_t ms, char *err,
    size_t len)
{
	uint64_t end = timer_now_ms() + ms, now;
	struct pollfd *pfd;
	struct wire_msg *m;
	unsigned i, n, *idx;

	pfd = calloc(sup_n, sizeof(*pfd));
	idx = calloc(sup_n, sizeof(*idx));
	m = malloc(sizeof(*m));
	for (i = 0; i < sup_n; i++)
		if (want[i])
			rc[i] = -1;
	if (pfd == NULL || idx == NULL || m == NULL)
		goto out;
	for (;;) {
		for (i = n = 0; i < sup_n; i++)
			if (want[i] && sup_workers[i].ctl >= 0) {
				pfd[n].fd = sup_workers[i].ctl;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		now = timer_now_ms();
		if (n == 0 || now >= end)
			break;
		if (poll(pfd, n, (int)(end - now)) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			int t;

			if (pfd[i].revents == 0)
				continue;
			t = sup_read(idx[i], m);
			if (t == type && (type == WIRE_READY ||
			    m->seq == sup_seq)) {
				rc[idx[i]] = m->rc;
				want[idx[i]] = 0;
				if (m->rc != 0 && m->len > 0 &&
				    m->text[0] != '\0')
					reload_error(err, len,
					    "worker %u: %s", idx[i], m->text);
			} else if (t < 0) {
				want[idx[i]] = 0;
			}
		}
	}
out:
	for (i = 0; i < sup_n; i++) {
		if (want[i] && sup_workers[i].ctl >= 0 &&
		    type != WIRE_READY)
			reload_error(err, len, "worker %u did not answer "
			    "within %llu ms", i, (unsigned long long)ms);
		want[i] = 0;
	}
	free(pfd);
	free(idx);
	free(m);
}

static void
sup_send_all(int type, const int *to, int *sent)
{
	struct wire_msg m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = (uint32_t)type;
	m.seq = sup_seq;
	for (i = 0; i < sup_n; i++) {
		sent[i] = 0;
		if (to[i] && sup_workers[i].ctl >= 0 &&
		    wire_send(sup_workers[i].ctl, &m, -1) == 0)
			sent[i] = 1;
	}
}

/*
 * Tells every running worker that s is new (give: its socket rides
 * along) or gone (it closes its own).
 */
static void
sup_tell(const struct sup_sock *s, int give)
{
	struct wire_msg m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = give ? WIRE_SOCK : WIRE_FORGET;
	m.proto = s->proto;
	m.addr = s->addr;
	for (i = 0; i < sup_n; i++)
		if (sup_workers[i].pid != 0 && sup_workers[i].ctl >= 0)
			(void)wire_send(sup_workers[i].ctl, &m,
			    give ? sup_sock_fd(s, i) : -1);
}

/* Asks every running worker to prepare, then to commit or abort:
 * whether all could. */
static int
sup_reload_workers(char *err, size_t len)
{
	int *want, *rc, *sent, ok = 1;
	unsigned i;

	want = calloc(sup_n, sizeof(*want));
	rc = calloc(sup_n, sizeof(*rc));
	sent = calloc(sup_n, sizeof(*sent));
	if (want == NULL || rc == NULL || sent == NULL) {
		ok = 0;
		goto out;
	}
	/* One still starting would miss the reload: wait for it first. */
	for (i = 0; i < sup_n; i++)
		want[i] = sup_workers[i].pid != 0 && !sup_workers[i].ready;
	sup_collect(WIRE_READY, want, rc, SUP_START_MS, NULL, 0);
	for (i = 0; i < sup_n; i++)
		want[i] = sup_workers[i].pid != 0 && sup_workers[i].ready;
	sup_seq++;
	sup_send_all(WIRE_PREPARE, want, sent);
	memcpy(want, sent, sup_n * sizeof(*want));
	sup_collect(WIRE_PREPARED, want, rc, SUP_REPLY_MS, err, len);
	for (i = 0; i < sup_n; i++)
		if (sent[i] && rc[i] != 0) {
			reload_error(err, len, "worker %u could not apply "
			    "it: every worker keeps the running configuration",
			    i);
			ok = 0;
		}
	/*
	 * Commit, or abort everyone asked: one that did not answer in time
	 * (its lookups, say) drops its reload too, instead of keeping it
	 * staged or still looking up for nothing.
	 */
	memcpy(want, sent, sup_n * sizeof(*want));
	sup_send_all(ok ? WIRE_COMMIT : WIRE_ABORT, want, sent);
	memcpy(want, sent, sup_n * sizeof(*want));
	sup_collect(WIRE_DONE, want, rc, SUP_REPLY_MS, NULL, 0);
out:
	free(want);
	free(rc);
	free(sent);
	return ok;
}

/*
 * A reload (SIGHUP, the admin socket's `reload`): all or nothing across
 * workers.  0, or -1 with the reasons in err (a line each; NULL: none).
 */
static int
sup_reload(char *err, size_t len)
{
	struct conf_errors errs;
	struct conf *conf = NULL;
	struct sup_table t;
	struct timespec ts;
	size_t k;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000);
	memset(&errs, 0, sizeof(errs));
	if (err != NULL && len > 0)
		err[0] = '\0';
	/*
	 * Host names asked of the file's resolver, blocking: the supervisor
	 * forwards nothing (its workers go on serving; each looks the names
	 * up again on its own loop when it prepares), and the lookups are
	 * bounded by the resolver's timeouts.
	 */
	if ((rc = names_load_blocking(sup_path, &conf, &errs)) != 0) {
		reload_conf_errors(&errs, rc, sup_path, err, len);
		goto failed;
	}
	conf_errors_free(&errs);
	if (conf->process.workers != sup_conf->process.workers)
		log_warn("reload: process.workers applies at the next start");
	if ((rc = sup_table_make(conf, &sup_socks, &t)) != 0) {
		reload_error(err, len, "the new configuration could not "
		    "be applied (a bind: see the log)");
		conf_free(conf);
		goto failed;
	}
	for (k = 0; k < t.n; k++)
		if (t.v[k].fresh)
			sup_tell(&t.v[k], 1);
	if (!sup_reload_workers(err, len)) {
		/* Everything as it was: the fresh sockets go, everywhere. */
		for (k = 0; k < t.n; k++) {
			if (t.v[k].fresh) {
				sup_tell(&t.v[k], 0);
				sup_sock_close(&t.v[k]);
			} else {
				sup_give_back(&sup_socks, &t.v[k]);
			}
		}
		sup_table_free(&t);
		conf_free(conf);
		goto failed;
	}
	/* What the old table still holds are the addresses now gone. */
	for (k = 0; k < sup_socks.n; k++)
		if (sup_socks.v[k].fds != NULL) {
			sup_tell(&sup_socks.v[k], 0);
			sup_sock_close(&sup_socks.v[k]);
		}
	sup_table_free(&sup_socks);
	for (k = 0; k < t.n; k++)
		t.v[k].fresh = 0;
	sup_socks = t;
	conf_free(sup_conf);
	sup_conf = conf;
	log_setup(sup_level >= 0 ? sup_level : conf->logging.level,
	    conf->logging.target);
	(void)sup_ops_apply(conf);
	sup_reloads[0]++;
	sup_last_reload = time(NULL);
	log_info("configuration reloaded from %s (%u workers)", sup_path,
	    sup_n);
	notify_send("READY=1");
	return 0;
failed:
	sup_reloads[1]++;
	log_error("reload failed: keeping the running configuration");
	notify_send("READY=1");
	return -1;
}

/* --- what the group's endpoints ask (sup_ops.h) ---------------------- */

/*
 * Reads worker i's page up to its WIRE_END into page: 0, or -1 when it
 * ended or did not answer within the time.
 */
static int
sup_read_page(unsigned i, struct buf *page, uint64_t end)
{
	static struct wire_msg m;
	struct pollfd pfd;
	uint64_t now;
	int t;

	for (;;) {
		if (sup_workers[i].ctl < 0 || (now = timer_now_ms()) >= end)
			return -1;
		pfd.fd = sup_workers[i].ctl;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		if ((t = sup_read(i, &m)) < 0)
			return -1;
		if (t == WIRE_PART)
			buf_add(page, m.text, m.len);
		else if (t == WIRE_END)
			return m.rc == 0 && !page->nomem ? 0 : -1;
	}
}

static unsigned
sup_ask(int kind, const char *line, struct buf *pages)
{
	static struct wire_msg m;
	uint64_t end = timer_now_ms() + SUP_REPLY_MS;
	unsigned i, n = 0;
	int *asked;

	if ((asked = calloc(sup_n, sizeof(*asked))) == NULL)
		return 0;
	memset(&m, 0, offsetof(struct wire_msg, text));
	m.type = WIRE_ASK;
	m.rc = kind;
	wire_text(&m, line);
	for (i = 0; i < sup_n; i++)
		asked[i] = sup_workers[i].ready && sup_workers[i].ctl >= 0 &&
		    wire_send(sup_workers[i].ctl, &m, -1) == 0;
	for (i = 0; i < sup_n; i++) {
		if (!asked[i])
			continue;
		buf_reset(&pages[n]);
		if (sup_read_page(i, &pages[n], end) == 0)
			n++;
	}
	free(asked);
	return n;
}

static void
sup_info(struct buf *out, uint64_t sessions, const char *io)
{
	struct admin_info info = {
		.started = (int64_t)sup_started,
		.last_reload = (int64_t)sup_last_reload,
		.workers = sup_n,
		.io = io,
		.sessions = sessions,
		.path = sup_path,
		.reloads = { sup_reloads[0], sup_reloads[1] },
	};

	admin_info_write(out, &info);
	buf_str(out, "\n");
}

static void
sup_reload_counts(uint64_t v[2])
{
	v[0] = sup_reloads[0];
	v[1] = sup_reloads[1];
}

static int
sup_is_stopping(void)
{
	return sup_stopping;
}

static const struct sup_ops_hooks sup_hooks = {
	.ask = sup_ask,
	.reload = sup_reload,
	.info = sup_info,
	.reloads = sup_reload_counts,
	.stopping = sup_is_stopping,
};

static void
sup_signal_all(int sig)
{
	unsigned i;

	for (i = 0; i < sup_n; i++)
		if (sup_workers[i].pid != 0)
			(void)kill(sup_workers[i].pid, sig);
}

static int
sup_running(void)
{
	unsigned i, n = 0;

	for (i = 0; i < sup_n; i++)
		n += sup_workers[i].pid != 0;
	return (int)n;
}

/*
 * The stop: the group's sockets close first (the supervisor's copies
 * now, each worker's with its listeners), so that no client queues for
 * a worker that no longer accepts; the workers get SIGTERM and the grace
 * to finish; whoever is still there after it and a few seconds more is
 * killed.
 */
static void
sup_stop(void)
{
	struct pollfd pfd[3];
	uint64_t end;
	unsigned i, n;
	int sig, killed = 0;

	sup_stopping = 1;
	notify_send("STOPPING=1");
	log_info("stopping %d workers", sup_running());
	sup_table_free(&sup_socks);
	sup_signal_all(SIGTERM);
	end = timer_now_ms() + (uint64_t)sup_conf->process.shutdown_grace_ms +
	    SUP_KILL_AFTER_MS;
	while (sup_running() > 0) {
		uint64_t now = timer_now_ms();

		if (now >= end && !killed) {
			log_warn("%d workers still running after the grace: "
			    "killing them", sup_running());
			sup_signal_all(SIGKILL);
			killed = 1;
		}
		/* The endpoints go on answering: /healthz says 503. */
		pfd[0].fd = sup_sigfd;
		pfd[0].events = POLLIN;
		n = 1 + sup_ops_fds(&pfd[1]);
		(void)poll(pfd, n, killed ? 1000 : (int)(end - now));
		for (i = 1; i < n; i++)
			if (pfd[i].revents != 0)
				sup_ops_event(pfd[i].fd);
		while ((sig = signals_next(sup_sigfd)) != 0)
			;
		sup_reap();
	}
}

/* The supervisor's loop, until SIGTERM or SIGINT. */
static void
sup_serve(void)
{
	struct pollfd *pfd;
	static struct wire_msg m;
	unsigned i, n, ops, *idx;
	int sig;

	pfd = calloc(sup_n + 3, sizeof(*pfd));
	idx = calloc(sup_n + 3, sizeof(*idx));
	if (pfd == NULL || idx == NULL) {
		log_error("supervisor: out of memory");
		goto out;
	}
	for (;;) {
		pfd[0].fd = sup_sigfd;
		pfd[0].events = POLLIN;
		for (i = 0, n = 1; i < sup_n; i++)
			if (sup_workers[i].ctl >= 0) {
				pfd[n].fd = sup_workers[i].ctl;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		ops = n;
		n += sup_ops_fds(&pfd[n]);
		if (poll(pfd, n, sup_timeout()) < 0 && errno != EINTR) {
			log_error("supervisor: poll: %s", mio_strerror(-errno));
			goto out;
		}
		for (i = 1; i < ops; i++)
			if (pfd[i].revents != 0)
				(void)sup_read(idx[i], &m);
		for (i = ops; i < n; i++)
			if (pfd[i].revents != 0)
				sup_ops_event(pfd[i].fd);
		while ((sig = signals_next(sup_sigfd)) != 0) {
			switch (sig) {
			case SIGCHLD:
				sup_reap();
				break;
			case SIGHUP:
				(void)sup_reload(NULL, 0);
				break;
			case SIGUSR1:
				sup_signal_all(SIGUSR1);
				break;
			default:
				goto out;
			}
		}
		sup_restart_due();
	}
out:
	free(pfd);
	free(idx);
}

/*
 * Waits until every worker is ready: 0, or -1 when one ended first (it
 * could not start: the group cannot either) or the time ran out.
 */
static int
sup_wait_ready(void)
{
	int *want, *rc, ok = 0;
	unsigned i;

	want = calloc(sup_n, sizeof(*want));
	rc = calloc(sup_n, sizeof(*rc));
	if (want != NULL && rc != NULL) {
		for (i = 0; i < sup_n; i++)
			want[i] = 1;
		sup_collect(WIRE_READY, want, rc, SUP_START_MS, NULL, 0);
		ok = sup_all_ready();
	}
	free(want);
	free(rc);
	return ok ? 0 : -1;
}

/* Workers for `auto`: one per online CPU. */
static unsigned
sup_count(const struct conf *conf)
{
	long n;

	if (conf->process.workers != CONF_WORKERS_AUTO)
		return (unsigned)conf->process.workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX :
	    (unsigned)n;
}

unsigned
supervisor_workers(const struct conf *conf)
{
	return sup_count(conf);
}

int
supervisor_run(struct conf *conf, const char *path, int log_level_override)
{
	int rc, status = 2;
	unsigned i;

	sup_conf = conf;
	sup_path = path;
	sup_level = log_level_override;
	sup_n = sup_count(conf);
	sup_pid = getpid();
	sup_started = time(NULL);
	sup_ops_set_hooks(&sup_hooks);
	log_setup(sup_level >= 0 ? sup_level : conf->logging.level,
	    conf->logging.target);
	notify_init();
	if ((sup_workers = calloc(sup_n, sizeof(*sup_workers))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < sup_n; i++)
		sup_workers[i].ctl = -1;
	if ((rc = service_limits(conf)) != 0 ||
	    (rc = sup_table_make(conf, NULL, &sup_socks)) != 0 ||
	    (rc = sup_sigfd = signals_open()) < 0 ||
	    (rc = service_start(conf)) != 0)
		goto fail;
	for (i = 0; i < sup_socks.n; i++)
		sup_socks.v[i].fresh = 0;
	/* After the drop, so that the admin socket is the user's. */
	if ((rc = sup_ops_apply(conf)) != 0)
		goto fail;
	log_info("mioproxy %s (libmio %s) supervising %u workers, serving "
	    "%s", PACKAGE_VERSION, mio_version(), sup_n, path);
	for (i = 0; i < sup_n; i++)
		if ((rc = sup_spawn(i)) != 0)
			break;
	if (rc != 0 || sup_wait_ready() != 0) {
		log_error("starting: a worker could not start");
		sup_stop();
		goto out;
	}
	log_info("%u workers ready", sup_n);
	notify_send("READY=1");
	sup_serve();
	sup_stop();
	log_info("stopped");
	status = 0;
	goto out;
fail:
	log_error("starting: %s", mio_strerror(rc));
out:
	sup_ops_close(1);
	sup_table_free(&sup_socks);
	if (sup_sigfd >= 0)
		signals_close(sup_sigfd);
	sup_sigfd = -1;
	free(sup_workers);
	sup_workers = NULL;
	service_stop();
	notify_close();
	resolve_fini();		/* what its own lookups learned */
	conf_free(sup_conf);
	sup_conf = NULL;
	return status;
}
