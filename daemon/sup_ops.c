/*
 * The group's stats endpoint and admin socket (sup_ops.h).
 *
 * The supervisor forwards nothing, so it serves each client in turn,
 * blocking, with a short budget: a request must arrive within
 * SUP_OPS_WAIT_MS (else 408, or the admin connection closes), a reply
 * must leave within it.  A slow client delays the next scrape or a
 * worker's restart by at most that, never a byte of traffic.  The pages
 * come from the workers (hooks.ask) and are summed here: Prometheus and
 * JSON by ops/merge.c, the admin socket's lines by column.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <mio.h>

#include "conf/conf.h"
#include "log.h"
#include "ops/admin.h"
#include "ops/admin_int.h"
#include "ops/merge.h"
#include "sup_ops.h"
#include "wire.h"

#define SUP_OPS_WAIT_MS		2000
#define SUP_OPS_REQ_MAX		8192

static const struct sup_ops_hooks *sup_hooks;
static int sup_stats_fd = -1;
static struct mio_addr sup_stats_addr;
static const struct conf_acl *sup_stats_acl;
static int sup_admin_fd = -1;
static char *sup_admin_path;
static struct stat sup_admin_st;
static struct buf *sup_pages;		/* one per worker */
static unsigned sup_npages;

void
sup_ops_set_hooks(const struct sup_ops_hooks *hooks)
{
	sup_hooks = hooks;
}

/* --- the sockets ----------------------------------------------------- */

static void
sup_admin_close(int unlink_it)
{
	struct stat st;

	if (sup_admin_fd >= 0)
		mio_close(sup_admin_fd);
	sup_admin_fd = -1;
	/* Only the file we made, not one another has put in its place. */
	if (unlink_it && sup_admin_path != NULL &&
	    lstat(sup_admin_path, &st) == 0 &&
	    st.st_ino == sup_admin_st.st_ino &&
	    st.st_dev == sup_admin_st.st_dev)
		(void)unlink(sup_admin_path);
	free(sup_admin_path);
	sup_admin_path = NULL;
}

static int
sup_ops_stats(const struct conf *conf)
{
	const struct conf_addrs *l = &conf->stats.listen;
	char text[MIO_ADDR_STRLEN];
	int fd = -1;

	sup_stats_acl = conf->stats.acl;
	if (sup_stats_fd >= 0 && l->n > 0 &&
	    mio_addr_equal(&sup_stats_addr, &l->v[0].addr))
		return 0;
	if (l->n > 0 && (fd = mio_tcp_listen(&l->v[0].addr, 64)) < 0) {
		if (mio_addr_format(&l->v[0].addr, text, sizeof(text)) < 0)
			strcpy(text, "?");
		log_error("stats: listening on %s: %s", text,
		    mio_strerror(fd));
		return fd;
	}
	if (sup_stats_fd >= 0)
		mio_close(sup_stats_fd);
	sup_stats_fd = -1;
	if (l->n > 0) {
		sup_stats_fd = fd;
		sup_stats_addr = l->v[0].addr;
	}
	return 0;
}

static int
sup_ops_admin(const struct conf *conf)
{
	const char *want = conf->admin.socket;
	struct stat st;
	char *path;
	int fd;

	if (want != NULL && sup_admin_path != NULL &&
	    strcmp(want, sup_admin_path) == 0)
		return 0;
	if (want == NULL) {
		sup_admin_close(1);
		return 0;
	}
	if ((path = strdup(want)) == NULL)
		return -ENOMEM;
	if ((fd = admin_socket_bind(want, &st)) < 0) {
		log_error("admin socket %s: %s", want, mio_strerror(fd));
		free(path);
		return fd;
	}
	sup_admin_close(1);
	sup_admin_fd = fd;
	sup_admin_path = path;
	sup_admin_st = st;
	return 0;
}

int
sup_ops_apply(const struct conf *conf)
{
	int a = sup_ops_stats(conf), b = sup_ops_admin(conf);

	return a != 0 ? a : b;
}

unsigned
sup_ops_fds(struct pollfd *pfd)
{
	unsigned n = 0;

	if (sup_stats_fd >= 0) {
		pfd[n].fd = sup_stats_fd;
		pfd[n++].events = POLLIN;
	}
	if (sup_admin_fd >= 0) {
		pfd[n].fd = sup_admin_fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

void
sup_ops_close(int unlink_it)
{
	unsigned i;

	if (sup_stats_fd >= 0)
		mio_close(sup_stats_fd);
	sup_stats_fd = -1;
	sup_admin_close(unlink_it);
	for (i = 0; i < sup_npages; i++)
		buf_free(&sup_pages[i]);
	free(sup_pages);
	sup_pages = NULL;
	sup_npages = 0;
}

/* --- a client, in turn ----------------------------------------------- */

/* Reads what comes within the budget: bytes, 0 at the end, -errno. */
static ssize_t
sup_read(int fd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	for (;;) {
		if ((n = mio_read(fd, buf, len)) != -EAGAIN)
			return n;
		if (poll(&pfd, 1, ms) <= 0)
			return -ETIMEDOUT;
	}
}

/* Writes all of b within the budget: 0 or -errno. */
static int
sup_write(int fd, const char *p, size_t len)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	ssize_t n;

	while (len > 0) {
		if ((n = mio_write(fd, p, len)) == -EAGAIN) {
			if (poll(&pfd, 1, SUP_OPS_WAIT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The workers' pages of kind: how many answered. */
static unsigned
sup_ask(int kind, const char *line)
{
	unsigned n;

	n = sup_hooks->ask(kind, line, sup_pages);
	return n;
}

static int
sup_pages_ready(unsigned nworkers)
{
	struct buf *v;

	if (sup_npages >= nworkers)
		return 0;
	if ((v = calloc(nworkers, sizeof(*v))) == NULL)
		return -ENOMEM;
	free(sup_pages);
	sup_pages = v;
	sup_npages = nworkers;
	return 0;
}

static void
sup_respond(int fd, int status, const char *ctype, const char *body,
    size_t len)
{
	const char *reason = status == 200 ? "OK" : status == 400 ?
	    "Bad Request" : status == 403 ? "Forbidden" : status == 404 ?
	    "Not Found" : status == 408 ? "Request Timeout" : status == 503 ?
	    "Service Unavailable" : "Internal Server Error";
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "%s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    reason, ctype, len);
	if (sup_write(fd, head, (size_t)n) == 0)
		(void)sup_write(fd, body, len);
}

/* A page of the group: the workers' summed. */
static void
sup_page(int fd, int kind)
{
	struct merge_page *pg;
	struct merge_set set[3];
	struct buf out = { 0 };
	uint64_t r[2];
	unsigned i, n;

	sup_hooks->reloads(r);
	n = sup_ask(kind, "");
	if (n == 0 || (pg = calloc(n, sizeof(*pg))) == NULL) {
		sup_respond(fd, 503, "text/plain", "no worker answered\n", 19);
		return;
	}
	for (i = 0; i < n; i++) {
		pg[i].p = sup_pages[i].p;
		pg[i].len = sup_pages[i].len;
	}
	if (kind == WIRE_ASK_METRICS) {
		set[0].key = "mioproxy_config_reloads_total{result=\"ok\"}";
		set[1].key = "mioproxy_config_reloads_total{result=\"failed\"}";
		set[0].value = r[0];
		set[1].value = r[1];
		merge_metrics(&out, pg, n, set, 2);
	} else {
		set[0].key = "reloads.ok";
		set[1].key = "reloads.failed";
		set[2].key = "pid";
		set[0].value = r[0];
		set[1].value = r[1];
		set[2].value = (uint64_t)getpid();
		merge_json(&out, pg, n, set, 3);
	}
	free(pg);
	if (out.nomem)
		sup_respond(fd, 500, "text/plain", "out of memory\n", 14);
	else
		sup_respond(fd, 200, kind == WIRE_ASK_METRICS ?
		    "text/plain; version=0.0.4; charset=utf-8" :
		    "application/json", out.p != NULL ? out.p : "", out.len);
	buf_free(&out);
}

static int
sup_is(const char *path, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(path, want, len) == 0;
}

static void
sup_http(int fd)
{
	char req[SUP_OPS_REQ_MAX + 1];
	size_t len = 0, plen;
	const char *path, *sp;
	ssize_t n;

	while (len < SUP_OPS_REQ_MAX) {
		n = sup_read(fd, req + len, SUP_OPS_REQ_MAX - len,
		    SUP_OPS_WAIT_MS);
		if (n == -ETIMEDOUT) {
			sup_respond(fd, 408, "text/plain", "timeout\n", 8);
			return;
		}
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL ||
		    strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (len >= SUP_OPS_REQ_MAX || strncmp(req, "GET ", 4) != 0 ||
	    (sp = strchr(req + 4, ' ')) == NULL) {
		sup_respond(fd, 400, "text/plain", "bad request\n", 12);
		return;
	}
	path = req + 4;
	plen = (size_t)(sp - path);
	if (sup_is(path, plen, "/metrics"))
		sup_page(fd, WIRE_ASK_METRICS);
	else if (sup_is(path, plen, "/stats"))
		sup_page(fd, WIRE_ASK_STATS);
	else if (sup_is(path, plen, "/healthz"))
		sup_respond(fd, sup_hooks->stopping() ? 503 : 200,
		    "text/plain", sup_hooks->stopping() ? "stopping\n" :
		    "ok\n", sup_hooks->stopping() ? 9 : 3);
	else
		sup_respond(fd, 404, "text/plain", "404 Not Found\n", 14);
}

/* --- the admin socket ------------------------------------------------ */

/* The n-th space-separated word of a line, or NULL. */
static const char *
sup_word(const char *s, const char *end, unsigned k, size_t *len)
{
	unsigned i = 0;

	while (s < end) {
		const char *w = s;

		while (s < end && *s != ' ')
			s++;
		if (i++ == k) {
			*len = (size_t)(s - w);
			return w;
		}
		if (s < end)
			s++;
	}
	return NULL;
}

/* The line of page i that starts at *cur: its end; *cur moves on. */
static const char *
sup_next_line(unsigned i, size_t *cur, const char **start)
{
	const char *s, *e;

	if (sup_pages[i].p == NULL || *cur >= sup_pages[i].len)
		return NULL;
	s = sup_pages[i].p + *cur;
	e = memchr(s, '\n', sup_pages[i].len - *cur);
	e = e != NULL ? e : sup_pages[i].p + sup_pages[i].len;
	*cur = (size_t)(e - sup_pages[i].p) + 1;
	*start = s;
	return e;
}

/*
 * The workers' replies, line by line in step with the first's, with
 * the words whose bit is set in `sum` summed (active sessions, totals,
 * failures); the rest is the first's (names, state, weight).
 */
static void
sup_merge_replies(struct buf *out, unsigned n, unsigned sum)
{
	const char *s, *e, *w, *ps, *pe, *pw;
	size_t *cur, len, pl;
	unsigned i, k;
	uint64_t v;

	if ((cur = calloc(n, sizeof(*cur))) == NULL) {
		buf_add(out, sup_pages[0].p, sup_pages[0].len);
		return;
	}
	while ((e = sup_next_line(0, &cur[0], &s)) != NULL) {
		const char *line[CONF_WORKERS_MAX], *end[CONF_WORKERS_MAX];

		for (i = 1; i < n; i++)
			end[i] = sup_next_line(i, &cur[i], &line[i]);
		for (k = 0; (w = sup_word(s, e, k, &len)) != NULL; k++) {
			if (k > 0)
				buf_str(out, " ");
			if (k >= 32 || !(sum & (1u << k)) || len == 0 ||
			    strspn(w, "0123456789") < len) {
				buf_add(out, w, len);
				continue;
			}
			v = strtoull(w, NULL, 10);
			for (i = 1; i < n; i++) {
				if ((pe = end[i]) == NULL)
					continue;
				ps = line[i];
				if ((pw = sup_word(ps, pe, k, &pl)) != NULL)
					v += strtoull(pw, NULL, 10);
			}
			buf_u64(out, v);
		}
		buf_str(out, "\n");
	}
	free(cur);
}

/* The first reply that is an error, or NULL. */
static const struct buf *
sup_first_error(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (sup_pages[i].len >= 6 && memcmp(sup_pages[i].p, "error:",
		    6) == 0)
			return &sup_pages[i];
	return NULL;
}

/* Where the value of `key` starts on a line "key value" of worker i's
 * reply, its length in *len; NULL when the reply has no such line. */
static const char *
sup_field(unsigned i, const char *key, size_t *len)
{
	const char *p = sup_pages[i].p, *end = p + sup_pages[i].len, *nl;
	size_t kl = strlen(key);

	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) > kl + 1 && memcmp(p, key, kl) == 0 &&
		    p[kl] == ' ') {
			*len = (size_t)((nl != NULL ? nl : end) - (p + kl + 1));
			return p + kl + 1;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}

static uint64_t
sup_sum_field(unsigned n, const char *key)
{
	uint64_t v = 0;
	unsigned i;
	size_t len;
	const char *p;

	for (i = 0; i < n; i++)
		if ((p = sup_field(i, key, &len)) != NULL)
			v += strtoull(p, NULL, 10);
	return v;
}

/* The value of `key` that every reply gives, into out (cut to size), or
 * "mixed" when they differ; "-" when none gives it. */
static void
sup_same_field(unsigned n, const char *key, char *out, size_t size)
{
	const char *p, *first = NULL;
	size_t len, first_len = 0;
	unsigned i;

	snprintf(out, size, "-");
	for (i = 0; i < n; i++) {
		if ((p = sup_field(i, key, &len)) == NULL)
			continue;
		if (first == NULL) {
			first = p;
			first_len = len;
		} else if (len != first_len || memcmp(p, first, len) != 0) {
			snprintf(out, size, "mixed");
			return;
		}
	}
	if (first != NULL)
		snprintf(out, size, "%.*s", (int)first_len, first);
}

static void
sup_admin_line(char *line, struct buf *out)
{
	char copy[ADM_LINE_MAX + 1], err[256], io[16];
	const struct buf *bad;
	struct adm_cmd cmd;
	size_t len;
	unsigned n;

	len = strnlen(line, ADM_LINE_MAX);
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (adm_parse(copy, &cmd, err, sizeof(err)) != 0) {
		buf_printf(out, "error: %s\n\n", err);
		return;
	}
	if (cmd.op == ADM_RELOAD) {
		admin_reload_reply(out, sup_hooks->stopping(),
		    sup_hooks->reload);
		buf_str(out, "\n");
		return;
	}
	if ((n = sup_ask(WIRE_ASK_ADMIN, line)) == 0) {
		buf_str(out, "error: no worker answered\n\n");
		return;
	}
	if ((bad = sup_first_error(n)) != NULL) {
		buf_add(out, bad->p, bad->len);
		return;
	}
	switch (cmd.op) {
	case ADM_SHOW_INFO:
		sup_same_field(n, "io", io, sizeof(io));
		sup_hooks->info(out, sup_sum_field(n, "sessions"), io);
		break;
	case ADM_SHOW_SERVERS:	/* upstream address state weight A T F */
		sup_merge_replies(out, n, 1u << 4 | 1u << 5 | 1u << 6);
		break;
	case ADM_SHOW_LISTENERS:	/* name proto binds active total */
		sup_merge_replies(out, n, 1u << 3 | 1u << 4);
		break;
	case ADM_SHUTDOWN_SESSIONS:
		buf_printf(out, "ok\nsessions %llu\n\n",
		    (unsigned long long)sup_sum_field(n, "sessions"));
		break;
	default:		/* help; set server: the same everywhere */
		buf_add(out, sup_pages[0].p, sup_pages[0].len);
		break;
	}
}

static void
sup_admin(int fd)
{
	char in[ADM_LINE_MAX + 2];
	struct buf out = { 0 };
	size_t len = 0;
	char *nl;
	ssize_t n;

	for (;;) {
		while ((nl = memchr(in, '\n', len)) != NULL) {
			*nl = '\0';
			if (nl > in && nl[-1] == '\r')
				nl[-1] = '\0';
			buf_reset(&out);
			sup_admin_line(in, &out);
			if (out.nomem || sup_write(fd, out.p, out.len) != 0)
				goto out;
			len -= (size_t)(nl + 1 - in);
			memmove(in, nl + 1, len);
		}
		if (len > ADM_LINE_MAX) {
			(void)sup_write(fd, "error: line too long\n\n", 22);
			goto out;
		}
		n = sup_read(fd, in + len, ADM_LINE_MAX + 1 - len,
		    SUP_OPS_WAIT_MS);
		if (n <= 0)
			goto out;
		len += (size_t)n;
	}
out:
	buf_free(&out);
}

void
sup_ops_event(int fd)
{
	struct mio_addr peer;
	int c;

	if (sup_pages_ready(CONF_WORKERS_MAX) != 0)
		return;
	if (fd == sup_stats_fd) {
		while ((c = mio_tcp_accept(fd, &peer)) >= 0) {
			if (conf_acl_allows(sup_stats_acl, &peer.u.sa))
				sup_http(c);
			mio_close(c);
		}
	} else if (fd == sup_admin_fd) {
		while ((c = mio_unix_accept(fd, NULL)) >= 0) {
			sup_admin(c);
			mio_close(c);
		}
	}
}
