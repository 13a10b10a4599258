/*
 * The admin socket (admin.h): a listening Unix socket and its clients,
 * each a struct loop_handler under LOOP_TAG_OPS.
 *
 * A client's life: bytes arrive into a line buffer of ADM_LINE_MAX; each
 * complete line runs (admin_exec.c) and its reply goes into an output
 * buffer, written as the socket takes it.  While a reply waits, no more
 * lines run (one reply at a time, in order), and reading waits too, so a
 * client that sends without reading holds at most one line and one
 * reply.  A line longer than the buffer gets an error and the close;
 * a client quiet for the idle timeout (60 s; MIOPROXY_ADMIN_IDLE_MS, a
 * test knob) is closed.  Events are edge-triggered: every read and write
 * goes on to -EAGAIN, or stops on purpose with the client's state saying
 * what to resume when the other side's event comes.
 *
 * Stale events: a closed client is marked dead and freed after the
 * batch (after_batch), since a later event of the same batch may name
 * it.
 *
 * The socket file: mode 0600 from birth (umask around bind, chmod after
 * it for systems whose bind ignores the umask), owned by the user the
 * daemon runs as.  It is made with the first configuration, before
 * privileges are dropped (the socket's directory, /run/mioproxy, need
 * not be writable by that user), and given to process.user and
 * process.group when started as root; under systemd's User= it is that
 * user's from birth.  A reload that moves it makes the new one as the
 * user the daemon has become.  A socket file
 * left by a dead daemon (connect refused) is removed; a live one
 * (connect accepted) or a file that is not a socket is left alone and
 * the start fails.  At the end the file is removed if it is still ours.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <mio.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "ops/admin.h"
#include "ops/admin_int.h"
#include "timer.h"

#define ADM_CLIENTS_MAX		32
#define ADM_IDLE_MS		60000
#define ADM_BACKLOG		64

struct adm_client {
	struct loop_handler h;		/* first: the token points here */
	struct adm_client *next;	/* live, then dead */
	struct adm_client *prev;
	int		 fd;
	int		 dead;
	int		 eof;		/* the client sent its FIN */
	int		 closing;	/* close once the reply is out */
	struct timer	 timer;
	uint64_t	 t_last;
	size_t		 inlen;
	struct buf	 out;
	char		 in[ADM_LINE_MAX + 1];
};

static void adm_listen_event(struct loop_handler *h, uint32_t flags);

/* 8-aligned: its address carries a tag in the token (loop.h). */
static _Alignas(8) struct loop_handler adm_listen_h = { adm_listen_event };
static int adm_fd = -1;
static char *adm_path;			/* bound to; NULL: none */
static char *adm_want;			/* the configuration's */
static struct stat adm_st;		/* of the file we made */
static int adm_started;
static uint64_t adm_idle_ms = ADM_IDLE_MS;
static struct adm_client *adm_live, *adm_dead;
static unsigned adm_nclients;

/* --- clients ---------------------------------------------------------- */

static void
adm_client_close(struct adm_client *c)
{
	if (c->dead)
		return;
	timer_unhold(&loop.timers, &c->timer);
	mio_close(c->fd);
	c->fd = -1;
	c->dead = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		adm_live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = adm_dead;
	adm_dead = c;
	adm_nclients--;
}

/* Writes what the reply has left: 1 all out, 0 wait, -1 broken. */
static int
adm_client_flush(struct adm_client *c)
{
	ssize_t n;

	while (c->out.off < c->out.len) {
		n = mio_write(c->fd, c->out.p + c->out.off,
		    c->out.len - c->out.off);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		c->out.off += (size_t)n;
		c->t_last = loop.now;
	}
	buf_reset(&c->out);
	return 1;
}

/* Runs the first complete line of the buffer: 1 if there was one. */
static int
adm_client_line(struct adm_client *c)
{
	char *nl = memchr(c->in, '\n', c->inlen);
	size_t used;

	if (nl == NULL) {
		if (c->inlen < ADM_LINE_MAX && !c->eof)
			return 0;
		if (c->inlen >= ADM_LINE_MAX) {
			buf_printf(&c->out, "error: line too long (at most "
			    "%d bytes)\n\n", ADM_LINE_MAX);
			c->closing = 1;
			return 1;
		}
		if (c->inlen == 0)
			return 0;
		nl = c->in + c->inlen;	/* a last line without newline */
	}
	*nl = '\0';
	used = (size_t)(nl - c->in) + 1;
	if (memchr(c->in, '\0', (size_t)(nl - c->in)) != NULL)
		buf_printf(&c->out, "error: malformed command: NUL "
		    "byte\n\n");
	else
		adm_exec_line(c->in, &c->out);
	/* A cut reply has no end: the close tells the client. */
	if (c->out.nomem)
		c->closing = 1;
	if (used > c->inlen)
		used = c->inlen;
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	return 1;
}

/* Reads what came: 1 progress, 0 wait for an event, -1 broken. */
static int
adm_client_read(struct adm_client *c)
{
	ssize_t n;

	n = mio_read(c->fd, c->in + c->inlen, ADM_LINE_MAX - c->inlen);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return -1;
	if (n == 0)
		c->eof = 1;
	c->inlen += (size_t)n;
	c->t_last = loop.now;
	return 1;
}

/* Moves c along as far as it goes without waiting. */
static void
adm_client_run(struct adm_client *c)
{
	int rc;

	while (!c->dead) {
		if (c->out.len > 0) {
			if ((rc = adm_client_flush(c)) < 0)
				adm_client_close(c);
			if (rc <= 0)
				return;
		}
		if (c->closing || (c->eof && c->inlen == 0)) {
			adm_client_close(c);
			return;
		}
		if (adm_client_line(c))
			continue;
		if ((rc = adm_client_read(c)) < 0)
			adm_client_close(c);
		if (rc <= 0)
			return;
	}
}

static void
adm_client_event(struct loop_handler *h, uint32_t flags)
{
	struct adm_client *c = (struct adm_client *)(void *)h;

	(void)flags;
	if (!c->dead)
		adm_client_run(c);
}

/* Idle: nothing read or written for adm_idle_ms. */
static void
adm_client_timer(struct timer *t, uint64_t now)
{
	struct adm_client *c = (struct adm_client *)(void *)((char *)t -
	    offsetof(struct adm_client, timer));

	if (now < c->t_last + adm_idle_ms) {
		(void)timer_set(&loop.timers, t, c->t_last + adm_idle_ms);
		return;
	}
	adm_client_close(c);
}

static void
adm_client_new(int fd)
{
	struct adm_client *c;

	/* A bound, so that a runaway script cannot eat the process. */
	if (adm_nclients >= ADM_CLIENTS_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("admin socket: %s: closing a new client",
		    adm_nclients >= ADM_CLIENTS_MAX ? "too many clients" :
		    "out of memory");
		mio_close(fd);
		return;
	}
	if (timer_hold(&loop.timers) != 0) {
		log_warn("admin socket: no room for a client");
		mio_close(fd);
		free(c);
		return;
	}
	timer_init(&c->timer, adm_client_timer);
	if (mio_register(loop.poll, fd, LOOP_TOKEN(&c->h, LOOP_TAG_OPS),
	    MIO_READABLE | MIO_WRITABLE) != 0) {
		log_warn("admin socket: no room for a client");
		timer_unhold(&loop.timers, &c->timer);
		mio_close(fd);
		free(c);
		return;
	}
	c->h.event = adm_client_event;
	c->fd = fd;
	c->t_last = loop.now;
	(void)timer_set(&loop.timers, &c->timer, loop.now + adm_idle_ms);
	c->next = adm_live;
	if (adm_live != NULL)
		adm_live->prev = c;
	adm_live = c;
	adm_nclients++;
	adm_client_run(c);
}

static void
adm_listen_event(struct loop_handler *h, uint32_t flags)
{
	int fd;

	(void)h;
	(void)flags;
	while (adm_fd >= 0 && (fd = mio_unix_accept(adm_fd, NULL)) != -EAGAIN) {
		/* Out of descriptors: the client waits in the backlog until
		 * the next one's edge, which is fine for an operator. */
		if (fd < 0) {
			log_warn("admin socket: accept: %s", mio_strerror(fd));
			return;
		}
		adm_client_new(fd);
	}
}

/* --- the socket -------------------------------------------------------- */

/*
 * path is taken (-EADDRINUSE): removes it if it is a socket nobody
 * listens on (0); -EADDRINUSE when a daemon answers there, -EEXIST when
 * it is not a socket.
 */
static int
adm_stale(const char *path, const struct mio_addr *a)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return 0;		/* gone since: try again */
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if ((fd = mio_unix_connect(a)) >= 0) {
		mio_close(fd);
		return -EADDRINUSE;
	}
	if (fd != -ECONNREFUSED)
		return fd == -EAGAIN ? -EADDRINUSE : fd;
	log_info("admin socket %s: removing a stale socket file", path);
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/* Binds path, mode 0600: the descriptor or -errno. */
static int
adm_bind(const char *path, struct stat *st)
{
	char text[8 + 108];
	struct mio_addr a;
	mode_t old;
	int fd, rc, tries;

	snprintf(text, sizeof(text), "unix:%s", path);
	if ((rc = mio_addr_parse(&a, text)) != 0)
		return rc;
	for (tries = 0; tries < 2; tries++) {
		old = umask(0177);
		fd = mio_unix_listen(&a, ADM_BACKLOG);
		umask(old);
		if (fd != -EADDRINUSE)
			break;
		if ((rc = adm_stale(path, &a)) != 0)
			return rc;
	}
	if (fd < 0)
		return fd;
	if (chmod(path, 0600) != 0 || lstat(path, st) != 0) {
		rc = -errno;
		mio_close(fd);
		(void)unlink(path);
		return rc;
	}
	return fd;
}

int
admin_socket_bind(const char *path, struct stat *st)
{
	return adm_bind(path, st);
}

/* Removes the file we made, unless another has taken its place. */
static void
adm_unlink(void)
{
	struct stat st;

	if (adm_path != NULL && lstat(adm_path, &st) == 0 &&
	    st.st_ino == adm_st.st_ino && st.st_dev == adm_st.st_dev)
		(void)unlink(adm_path);
}

static void
adm_close_socket(void)
{
	if (adm_fd >= 0) {
		mio_close(adm_fd);
		adm_fd = -1;
	}
	adm_unlink();
	free(adm_path);
	adm_path = NULL;
}

/*
 * Started as root to drop privileges later: the file goes to the user
 * and group the daemon will run as (an unknown name is left to
 * service_start(), which refuses it).
 */
static int
adm_chown(const char *path, const struct conf_process *pr)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || (pr->user == NULL && pr->group == NULL))
		return 0;
	if (pr->user != NULL && (pw = getpwnam(pr->user)) == NULL)
		return 0;
	if (pr->group != NULL && (gr = getgrnam(pr->group)) == NULL)
		return 0;
	uid = pw != NULL ? pw->pw_uid : (uid_t)-1;
	gid = gr != NULL ? gr->gr_gid : pw != NULL ? pw->pw_gid : (gid_t)-1;
	return chown(path, uid, gid) == 0 ? 0 : -errno;
}

/* Listens on adm_want in place of the current socket: 0 or -errno. */
static int
adm_open(const struct conf *conf)
{
	struct stat st;
	char *path;
	int fd, rc;

	if (adm_want == NULL) {
		adm_close_socket();
		return 0;
	}
	if ((path = strdup(adm_want)) == NULL)
		return -ENOMEM;
	if ((fd = adm_bind(path, &st)) < 0) {
		log_error("admin socket %s: %s", path, mio_strerror(fd));
		free(path);
		return fd;
	}
	if ((rc = adm_chown(path, &conf->process)) != 0 ||
	    (rc = lstat(path, &st) != 0 ? -errno : 0) != 0 ||
	    (rc = mio_register(loop.poll, fd,
	    LOOP_TOKEN(&adm_listen_h, LOOP_TAG_OPS), MIO_READABLE)) != 0) {
		log_error("admin socket %s: %s", path, mio_strerror(rc));
		mio_close(fd);
		(void)unlink(path);
		free(path);
		return rc;
	}
	adm_close_socket();
	adm_fd = fd;
	adm_path = path;
	adm_st = st;
	log_info("admin socket on %s", path);
	return 0;
}

/* --- the module ------------------------------------------------------- */

/* The first configuration opens the socket, while still privileged. */
static int
adm_prepare(const struct conf *conf)
{
	const char *idle = getenv("MIOPROXY_ADMIN_IDLE_MS");
	char *want = NULL;

	if (conf->admin.socket != NULL &&
	    (want = strdup(conf->admin.socket)) == NULL)
		return -ENOMEM;
	free(adm_want);
	adm_want = want;
	if (adm_started)
		return 0;
	if (idle != NULL && atoi(idle) > 0)
		adm_idle_ms = (uint64_t)atoi(idle);
	adm_started = 1;
	return adm_open(conf);
}

/*
 * A reload that names another path (or none) moves the socket; one that
 * cannot be bound keeps the old one, logged: the reload itself has
 * already succeeded, and the operator still has a way in.
 */
static void
adm_commit(const struct conf *conf)
{
	adm_exec_commit(conf);
	if (!adm_started)
		return;
	if ((adm_want == NULL) != (adm_path == NULL) ||
	    (adm_want != NULL && strcmp(adm_want, adm_path) != 0))
		(void)adm_open(conf);
}

static void
adm_after_batch(void)
{
	struct adm_client *c;

	while ((c = adm_dead) != NULL) {
		adm_dead = c->next;
		buf_free(&c->out);
		free(c);
	}
}

static void
adm_fini(void)
{
	while (adm_live != NULL)
		adm_client_close(adm_live);
	adm_after_batch();
	adm_close_socket();
	free(adm_want);
	adm_want = NULL;
	adm_exec_commit(NULL);
	adm_started = 0;
}

const struct loop_module admin_module = {
	.name = "admin",
	.prepare = adm_prepare,
	.commit = adm_commit,
	.after_batch = adm_after_batch,
	.fini = adm_fini
};
