/*
 * The access log (ops/access.h says what it writes): one bounded line per
 * session, formatted on the stack, handed to write(2) or syslog whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "ops/access.h"

static int access_target = CONF_ACCESS_OFF;
static int access_format = CONF_ACCESS_TEXT;
static int access_fd = -1;		/* owned only for a file target */
static char *access_path;

static int
access_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

int
access_open(const struct conf_logging *lg)
{
	char *path = NULL;
	int fd = -1;

	if (lg->access_target == CONF_ACCESS_FILE) {
		if ((path = strdup(lg->access_path)) == NULL)
			return -ENOMEM;
		if ((fd = access_open_file(path)) < 0) {
			free(path);
			return fd;
		}
	}
	access_close();
	access_target = lg->access_target;
	access_format = lg->access_format;
	access_fd = fd;
	access_path = path;
	if (access_target == CONF_ACCESS_SYSLOG)
		log_syslog_open();
	return 0;
}

int
access_reopen(void)
{
	int fd;

	if (access_target != CONF_ACCESS_FILE)
		return 0;
	if ((fd = access_open_file(access_path)) < 0)
		return fd;
	close(access_fd);
	access_fd = fd;
	return 0;
}

void
access_close(void)
{
	if (access_fd >= 0)
		close(access_fd);
	access_fd = -1;
	free(access_path);
	access_path = NULL;
	access_target = CONF_ACCESS_OFF;
}

int
access_enabled(void)
{
	return access_target != CONF_ACCESS_OFF;
}

/* Appends to a bounded line; the line is cut, never overrun. */
struct access_line {
	char	buf[1024];
	size_t	len;
};

static void
access_put(struct access_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
access_put(struct access_line *l, const char *fmt, ...)
{
	/* One byte stays free for the newline that ends the line. */
	size_t room = sizeof(l->buf) - 1 - l->len;
	va_list ap;
	int n;

	if (room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* A JSON string body: quotes, backslashes and controls escaped. */
static void
access_put_json(struct access_line *l, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			access_put(l, "\\%c", c);
		else if (c < 0x20)
			access_put(l, "\\u%04x", c);
		else
			access_put(l, "%c", c);
	}
}

static void
access_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* The line of one session as one JSON object. */
static void
access_json(struct access_line *l, const struct access_rec *r,
    const char *when, const char *client, const char *server)
{
	char peer[ADDR_STRLEN];

	access_put(l, "{\"time\":\"%s\",\"listener\":\"", when);
	access_put_json(l, r->listener);
	access_put(l, "\",\"proto\":\"%s\",\"client\":\"", r->proto);
	access_put_json(l, client);
	if (r->peer != NULL) {
		access_put(l, "\",\"peer\":\"");
		access_put_json(l, addr_str(r->peer, peer, sizeof(peer)));
	}
	access_put(l, "\",\"server\":\"");
	access_put_json(l, server);
	access_put(l, "\",\"connect_ms\":%lld,\"duration_ms\":%lld,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu",
	    (long long)r->connect_ms, (long long)r->duration_ms,
	    (unsigned long long)r->bytes_in,
	    (unsigned long long)r->bytes_out);
	if (strcmp(r->proto, "udp") == 0)
		access_put(l, ",\"datagrams_in\":%llu,\"datagrams_out\":%llu",
		    (unsigned long long)r->datagrams_in,
		    (unsigned long long)r->datagrams_out);
	access_put(l, ",\"end\":\"%s\"}", r->end);
}

/* The line of one session as key=value pairs. */
static void
access_text(struct access_line *l, const struct access_rec *r,
    const char *when, const char *client, const char *server)
{
	char peer[ADDR_STRLEN];

	access_put(l, "time=%s listener=%s proto=%s client=%s ", when,
	    r->listener, r->proto, client);
	if (r->peer != NULL)
		access_put(l, "peer=%s ", addr_str(r->peer, peer,
		    sizeof(peer)));
	access_put(l, "server=%s connect_ms=%lld duration_ms=%lld "
	    "bytes_in=%llu bytes_out=%llu", server,
	    (long long)r->connect_ms, (long long)r->duration_ms,
	    (unsigned long long)r->bytes_in,
	    (unsigned long long)r->bytes_out);
	if (strcmp(r->proto, "udp") == 0)
		access_put(l, " datagrams_in=%llu datagrams_out=%llu",
		    (unsigned long long)r->datagrams_in,
		    (unsigned long long)r->datagrams_out);
	access_put(l, " end=%s", r->end);
}

void
access_write(const struct access_rec *r)
{
	struct access_line l;
	char when[40], client[ADDR_STRLEN], server[ADDR_STRLEN];

	if (access_target == CONF_ACCESS_OFF)
		return;
	access_time(when, sizeof(when));
	addr_str(r->client, client, sizeof(client));
	if (r->server != NULL)
		addr_str(r->server, server, sizeof(server));
	else
		strcpy(server, "-");
	l.len = 0;
	if (access_format == CONF_ACCESS_JSON)
		access_json(&l, r, when, client, server);
	else
		access_text(&l, r, when, client, server);
	if (access_target == CONF_ACCESS_SYSLOG) {
		syslog(LOG_INFO, "%.*s", (int)l.len, l.buf);
		return;
	}
	l.buf[l.len++] = '\n';
	(void)!write(access_target == CONF_ACCESS_FILE ? access_fd :
	    access_target == CONF_ACCESS_STDERR ? STDERR_FILENO :
	    STDOUT_FILENO, l.buf, l.len);
}
