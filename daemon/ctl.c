/*
 * `mioproxy ctl`: one command to the admin socket, its reply on stdout.
 * The protocol is the socket's (ops/admin.h): one line out; the reply
 * comes back whole, its first line `ok` or `error: ...`, its end an
 * empty line, after which the daemon closes since ctl sent its FIN.
 * Every wait is bounded (CTL_TIMEOUT_MS: a reload that resolves names
 * may take seconds), so a hung daemon does not hang its operator.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <mio.h>

#include "conf/conf.h"
#include "ctl.h"
#include "names.h"
#include "timer.h"

#define CTL_TIMEOUT_MS	30000
#define CTL_OK		0
#define CTL_REFUSED	1
#define CTL_NO_ANSWER	2

struct ctl_buf {
	char	*v;
	size_t	 len;
	size_t	 cap;
};

/* The words joined by blanks, with the newline: NULL if out of memory. */
static char *
ctl_line(int argc, char *argv[], size_t *lenp)
{
	size_t len = 1;
	char *line;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((line = malloc(len + 1)) == NULL)
		return NULL;
	line[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	strcat(line, "\n");
	*lenp = strlen(line);
	return line;
}

/* Waits for `events` on fd until deadline: 1 ready, 0 timed out. */
static int
ctl_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int rc;

	for (;;) {
		if ((now = timer_now_ms()) >= deadline)
			return 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return 0;
	}
}

/* Sends the whole line, then the FIN: 0 or -errno. */
static int
ctl_send(int fd, const char *line, size_t len, uint64_t deadline)
{
	ssize_t n;

	while (len > 0) {
		n = mio_write(fd, line, len);
		if (n == -EAGAIN) {
			if (!ctl_wait(fd, POLLOUT, deadline))
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return (int)n;
		line += n;
		len -= (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
	return 0;
}

/* Whether b holds a whole reply: it ends at its first empty line. */
static char *
ctl_reply_end(const struct ctl_buf *b)
{
	size_t i;

	for (i = 1; i < b->len; i++)
		if (b->v[i] == '\n' && b->v[i - 1] == '\n')
			return b->v + i;
	return NULL;
}

/* Reads until a whole reply, EOF or the deadline: 0 or -errno. */
static int
ctl_receive(int fd, struct ctl_buf *b, uint64_t deadline)
{
	ssize_t n;
	char *v;

	while (ctl_reply_end(b) == NULL) {
		if (b->cap - b->len < 4096) {
			if ((v = realloc(b->v, b->cap + 65536)) == NULL)
				return -ENOMEM;
			b->v = v;
			b->cap += 65536;
		}
		n = mio_read(fd, b->v + b->len, b->cap - b->len - 1);
		if (n == -EAGAIN) {
			if (!ctl_wait(fd, POLLIN, deadline))
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return n == 0 ? -EPIPE : (int)n;
		b->len += (size_t)n;
	}
	return 0;
}

/* The socket's path: sock, or the configuration's admin.socket. */
static char *
ctl_socket(const char *conf_path, const char *sock)
{
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	struct names names;
	char *path = NULL;
	int rc;

	if (sock != NULL)
		return strdup(sock);
	/* Only the socket's path is wanted: host names are not looked up
	 * (names.h's first pass gives each a placeholder). */
	rc = names_collect(&names, conf_path, &conf, &errs);
	names_fini(&names);
	if (rc != 0) {
		conf_errors_print(&errs, stderr);
		conf_errors_free(&errs);
		return NULL;
	}
	conf_errors_free(&errs);
	if (conf->admin.socket == NULL)
		fprintf(stderr, "mioproxy ctl: %s has no admin socket "
		    "(admin.socket); or name one with -S\n", conf_path);
	else
		path = strdup(conf->admin.socket);
	conf_free(conf);
	return path;
}

/*
 * Connected to the daemon at path: the descriptor, or -1 said why.  A
 * full backlog (-EAGAIN) is a busy daemon, not an absent one: tried
 * again until the deadline.
 */
static int
ctl_connect(const char *path, uint64_t deadline)
{
	char text[8 + 108];
	struct mio_addr a;
	int fd;

	snprintf(text, sizeof(text), "unix:%s", path);
	if ((fd = mio_addr_parse(&a, text)) != 0)
		goto fail;
	while ((fd = mio_unix_connect(&a)) == -EAGAIN &&
	    timer_now_ms() < deadline)
		(void)poll(NULL, 0, 10);
	if (fd >= 0)
		return fd;
fail:
	fprintf(stderr, "mioproxy ctl: %s: %s\n", path, mio_strerror(fd));
	return -1;
}

static int
ctl_talk(int fd, char *line, size_t len, const char *path,
    uint64_t deadline)
{
	struct ctl_buf b = { NULL, 0, 0 };
	char *end;
	int rc;

	if ((rc = ctl_send(fd, line, len, deadline)) == 0)
		rc = ctl_receive(fd, &b, deadline);
	if (rc != 0) {
		fprintf(stderr, "mioproxy ctl: %s: no reply: %s\n", path,
		    mio_strerror(rc));
		free(b.v);
		return CTL_NO_ANSWER;
	}
	end = ctl_reply_end(&b);
	/* All but the closing empty line. */
	fwrite(b.v, 1, (size_t)(end - b.v), stdout);
	rc = strncmp(b.v, "ok\n", 3) == 0 ? CTL_OK :
	    strncmp(b.v, "error:", 6) == 0 ? CTL_REFUSED : CTL_NO_ANSWER;
	free(b.v);
	return rc;
}

int
ctl_main(const char *conf_path, const char *sock, int argc, char *argv[])
{
	uint64_t deadline = timer_now_ms() + CTL_TIMEOUT_MS;
	char *path, *line;
	size_t len;
	int fd, rc;

	if (argc == 0) {
		fprintf(stderr, "mioproxy ctl: no command (try: mioproxy ctl "
		    "help)\n");
		return CTL_REFUSED;
	}
	if ((path = ctl_socket(conf_path, sock)) == NULL)
		return CTL_NO_ANSWER;
	if ((fd = ctl_connect(path, deadline)) < 0) {
		free(path);
		return CTL_NO_ANSWER;
	}
	if ((line = ctl_line(argc, argv, &len)) == NULL) {
		rc = CTL_NO_ANSWER;
	} else {
		rc = ctl_talk(fd, line, len, path, deadline);
		free(line);
	}
	mio_close(fd);
	free(path);
	return rc;
}
