/*
 * Integration-test helpers: start the real mioproxy binary on a
 * temporary YAML file, know when it is ready through the systemd notify
 * protocol (a datagram socket of the test's own as NOTIFY_SOCKET), and
 * run small backends in threads of the test: an echo server that can
 * announce its identity, and a listener whose handshakes never complete.
 *
 * Everything is on 127.0.0.1 with ports the kernel picked, and every
 * wait is bounded.
 */
#ifndef PROXYTEST_H
#define PROXYTEST_H

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../common.h"

/*
 * Waits for the daemon scale by MIOPROXY_TEST_SLOW (an integer, default
 * 1): under valgrind it runs 20 to 50 times slower, and the assertions
 * stay the same.
 */
static inline int
pt_slow(void)
{
	const char *s = getenv("MIOPROXY_TEST_SLOW");
	int n = s != NULL ? atoi(s) : 1;

	return n > 0 ? n : 1;
}

#define PT_WAIT_MS	(5000 * pt_slow())

/* A configuration's first lines: debug logging, and the access log as
 * text in the file ACCESS_LOG names (see pt_format()). */
#define PT_CONF_HEAD							\
	"version: 1\n"							\
	"logging: { level: debug, access: { target: ACCESS_LOG, format: text } }\n"

static inline int
pt_port_bindable(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), ok;

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/*
 * A port that is free now, for a configuration file to name.  It comes
 * from below the kernel's ephemeral range (32768 and up here), where
 * nothing else on the machine picks ports by itself: the connections of
 * parallel tests take theirs from that range, and a port picked there
 * could be taken again before mioproxy binds it.
 */
static inline int
pt_free_port(int type)
{
	static unsigned seed;
	static int given[64], ngiven;	/* not bound yet: never twice */
	int i, k, port;

	if (seed == 0)
		seed = (unsigned)getpid() * 2654435761u ^ (unsigned)test_now_ms();
	for (i = 0; i < 1000; i++) {
		seed = seed * 1103515245u + 12345u;
		port = 20000 + (int)((seed >> 8) % 12000);
		for (k = 0; k < 64 && given[k] != port; k++)
			;
		if (k < 64)
			continue;
		if (pt_port_bindable(SOCK_STREAM, port) &&
		    pt_port_bindable(SOCK_DGRAM, port)) {
			given[ngiven++ % 64] = port;
			return port;
		}
	}
	ck_abort_msg("no free port found below 32000 (type %d)", type);
	return -1;
}

/*
 * The descriptors process pid holds numbered below limit (INT_MAX: all),
 * from /proc; -1 when it cannot be read (the process is gone).
 */
static inline int
pt_fds(pid_t pid, int limit)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) < limit)
			n++;
	closedir(d);
	return n;
}

/* The resident set of process pid in kB, from /proc; -1 when it is gone. */
static inline long
pt_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A blocking TCP connection to 127.0.0.1:port with 5 s I/O timeouts. */
static inline int
pt_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { PT_WAIT_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * A client of 127.0.0.1:port with a 4 KiB receive buffer, so that the
 * proxy holds the rest of what it sends; no I/O timeouts.
 */
static inline int
pt_small_window(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), sz = 4096;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* n clients of an echo connected and kept in held[]: how many had their
 * echo. */
static inline int
pt_hold_clients(int port, int *held, int n)
{
	char buf[4];
	int i, served = 0;

	for (i = 0; i < n; i++) {
		held[i] = pt_connect(port);
		ck_assert_int_ge(held[i], 0);
		if (send(held[i], "hold", 4, MSG_NOSIGNAL) == 4 &&
		    recv(held[i], buf, 4, 0) == 4 && memcmp(buf, "hold", 4) == 0)
			served++;
	}
	return served;
}

static inline void
pt_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads exactly len bytes, or fails the test. */
static inline void
pt_recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		ck_assert_msg(n > 0, "recv: %s", n == 0 ? "end of stream" :
		    strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads until end of stream: 0, or -errno (-ECONNRESET, -EAGAIN...). */
static inline int
pt_recv_eof(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	return n == 0 ? 0 : -errno;
}

/*
 * Closes fd with a reset (SO_LINGER 0) rather than a FIN; setsockopt's
 * result, for a caller on the test's thread to assert.
 */
static inline int
pt_close_rst(int fd)
{
	struct linger lg = { 1, 0 };
	int rc = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));

	close(fd);
	return rc;
}

/* --- bulk data, generated and checked by the test ------------------- */

/* len bytes of a pseudo-random stream that seed names. */
static inline void
pt_fill_random(unsigned char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

/* A 64-bit FNV-1a over a stream, chunk by chunk from PT_FNV_START. */
#define PT_FNV_START	14695981039346656037ull

static inline uint64_t
pt_fnv_more(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

/*
 * total bytes each way at once through an echo on fd (poll, so neither
 * side's buffers can deadlock the exchange), generated from seed and
 * checked in chunks: the checksum of what came back is that of what
 * went.
 */
static inline void
pt_echo_each_way(int fd, size_t total, unsigned seed)
{
	enum { CHUNK = 65536 };
	static unsigned char out[CHUNK], in[CHUNK];
	uint64_t sum_out = PT_FNV_START, sum_in = PT_FNV_START;
	size_t sent = 0, got = 0, off = CHUNK;

	while (got < total) {
		struct pollfd pfd = { fd, POLLIN |
		    (sent < total ? POLLOUT : 0), 0 };
		ssize_t n;

		ck_assert_int_gt(poll(&pfd, 1, PT_WAIT_MS), 0);
		if ((pfd.revents & POLLOUT) && sent < total) {
			if (off == CHUNK) {
				pt_fill_random(out, CHUNK, seed++);
				off = 0;
			}
			n = send(fd, out + off, total - sent < CHUNK - off ?
			    total - sent : CHUNK - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				sum_out = pt_fnv_more(sum_out, out + off,
				    (size_t)n);
				off += (size_t)n;
				sent += (size_t)n;
			}
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, in, total - got < CHUNK ? total - got :
			    CHUNK, MSG_DONTWAIT);
			ck_assert_msg(n > 0 || (n < 0 && errno == EAGAIN),
			    "recv after %zu bytes: %s", got, n == 0 ?
			    "end of stream" : strerror(errno));
			if (n > 0) {
				sum_in = pt_fnv_more(sum_in, in, (size_t)n);
				got += (size_t)n;
			}
		}
	}
	ck_assert_uint_eq(sent, total);
	ck_assert_msg(sum_in == sum_out, "checksums differ");
}

/* How many times `word` occurs in text (a log, an answer...). */
static inline int
pt_count(const char *text, const char *word)
{
	int n = 0;

	while ((text = strstr(text, word)) != NULL) {
		n++;
		text += strlen(word);
	}
	return n;
}

/* --- the proxy under test -------------------------------------------- */

struct pt_proxy {
	pid_t	pid;
	int	notify_fd;
	char	dir[64];
	char	conf[128];
	char	notify_path[100];	/* fits sun_path */
	char	log[128];		/* its stderr */
	char	access[128];		/* access log file, if the YAML uses it */
	/* What the logs held when pt_stop() removed them. */
	char	access_text[16384];
	char	log_text[16384];
};

/* The daemon under test: MIOPROXY_TEST_BINARY, else the build's. */
static inline const char *
pt_binary(void)
{
	static char path[512];
	const char *top = getenv("top_builddir");
	const char *bin = getenv("MIOPROXY_TEST_BINARY");

	if (bin != NULL)
		return bin;
	snprintf(path, sizeof(path), "%s/daemon/mioproxy", top ? top : ".");
	return path;
}

/*
 * Runs `mioproxy -OPT PATH ctl WORDS` (opt 'S': PATH is the admin socket;
 * 'c': the configuration file naming it) and keeps what it prints (both
 * streams) in out: its exit status, once it is known to have exited.
 */
static inline int
pt_ctl(char opt, const char *path, const char *words, char *out,
    size_t size)
{
	char cmd[1024];
	size_t n;
	FILE *f;
	int status;

	snprintf(cmd, sizeof(cmd), "%s -%c %s ctl %s 2>&1", pt_binary(), opt,
	    path, words);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	status = pclose(f);
	ck_assert_msg(WIFEXITED(status), "ctl %s", words);
	return WEXITSTATUS(status);
}

static inline void
pt_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* Reads a whole small file into a static buffer. */
static inline const char *
pt_read_file(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Waits for a notify datagram containing `want`; returns 1 when seen, 0
 * on timeout.  Other datagrams are skipped.
 */
static inline int
pt_wait_notify(struct pt_proxy *p, const char *want, int ms)
{
	int64_t end = test_now_ms() + ms;
	char buf[1024];

	for (;;) {
		int64_t left = end - test_now_ms();
		struct pollfd pfd = { p->notify_fd, POLLIN, 0 };
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(p->notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, want) != NULL)
			return 1;
	}
}

/*
 * The relay engine under test, always named, so that no run depends on
 * what `io: auto` picks on this kernel: MIOPROXY_TEST_IO (uring in the
 * -uring.tap runs), readiness when it is unset.
 */
static inline const char *
pt_engine_name(void)
{
	const char *io = getenv("MIOPROXY_TEST_IO");

	return io != NULL && *io != '\0' ? io : "readiness";
}

/*
 * Whether a test of the daemon's descriptor limit (RLIMIT_NOFILE) means
 * anything in this run: not with the daemon under valgrind on an engine
 * that may accept through io_uring.  Valgrind keeps the top ten
 * descriptors below the kernel's limit for itself and shows the daemon a
 * limit ten lower; an accept through the ring is installed by the
 * kernel, which takes the free ones of those ten, and valgrind refuses
 * every close(2) of a descriptor past the limit it shows (EBADF, the
 * socket left open).  The client then waits for ever and the socket's
 * registration in the poll outlives its session: a hang and an invalid
 * read that are valgrind's, not the daemon's (tests/valgrind/local.am).
 * Says why on standard error when it is 0, for the test to return.
 */
static inline int
pt_fd_limit_testable(const char *test)
{
	const char *wrap = getenv("MIOPROXY_TEST_WRAPPER");

	if (wrap == NULL || strstr(wrap, "valgrind") == NULL ||
	    strcmp(pt_engine_name(), "readiness") == 0)
		return 1;
	fprintf(stderr, "# %s: skipped: descriptor limits under valgrind "
	    "on io: %s (accepts through io_uring take valgrind's reserved "
	    "descriptors)\n", test, pt_engine_name());
	return 0;
}

/*
 * Adds `io: ENGINE` (pt_engine_name()) to the configuration's process
 * mapping, which the suites write in flow style on one line, or adds
 * the mapping at the end (so that the lines a suite expects in an error
 * keep their numbers).  A configuration that names its engine itself
 * (a suite on io: auto) is left as it is.
 */
static inline void
pt_engine(char *text, size_t size)
{
	const char *io = pt_engine_name();
	char ins[64];
	char *at;
	size_t len = strlen(text), n;

	if (strstr(text, " io: ") != NULL)
		return;
	if ((at = strstr(text, "process: {")) != NULL) {
		at += strlen("process: {");
		snprintf(ins, sizeof(ins), " io: %s,", io);
	} else {
		at = text + len;
		snprintf(ins, sizeof(ins), "%sprocess: { io: %s }\n",
		    len > 0 && text[len - 1] != '\n' ? "\n" : "", io);
	}
	n = strlen(ins);
	ck_assert_msg(len + n < size, "configuration too long for io");
	memmove(at + n, at, len - (size_t)(at - text) + 1);
	memcpy(at, ins, n);
}

/*
 * Formats a configuration; ACCESS_LOG in it names the access log file
 * (and, with a suffix, other files of the test's directory).
 */
static inline void
pt_format(const struct pt_proxy *p, char *text, size_t size, const char *fmt,
    va_list ap)
{
	char *at = text;

	vsnprintf(text, size, fmt, ap);
	pt_engine(text, size);
	while ((at = strstr(at, "ACCESS_LOG")) != NULL) {
		char rest[8192];

		snprintf(rest, sizeof(rest), "%s", at + 10);
		snprintf(at, size - (size_t)(at - text), "%s%s", p->access,
		    rest);
		at += strlen(p->access);
	}
}

/*
 * When set, run in the daemon's child before the exec: a test's change
 * of the system the daemon sees (tests/deny_uring.h).  It returns 0, or
 * the child exits with 127 and its message in the daemon's log.
 */
static int (*pt_child_setup)(void);

/*
 * Starts mioproxy on `yaml` (a printf format, its arguments in ap), with
 * a lower RLIMIT_NOFILE in the child when nofile > 0; does not wait.
 */
static inline void
pt_spawn(struct pt_proxy *p, rlim_t nofile, const char *yaml, va_list ap)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char text[8192];

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/mioproxy-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	snprintf(p->conf, sizeof(p->conf), "%s/proxy.yaml", p->dir);
	snprintf(p->notify_path, sizeof(p->notify_path), "%s/notify",
	    p->dir);
	snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
	snprintf(p->access, sizeof(p->access), "%s/access.log", p->dir);
	pt_format(p, text, sizeof(text), yaml, ap);
	pt_write_file(p->conf, text);
	p->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(p->notify_fd, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", p->notify_path);
	ck_assert_int_eq(bind(p->notify_fd, (struct sockaddr *)&un,
	    sizeof(un)), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		sigset_t none;

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (nofile > 0) {
			struct rlimit rl = { nofile, nofile };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		setenv("NOTIFY_SOCKET", p->notify_path, 1);
		if (pt_child_setup != NULL && pt_child_setup() != 0) {
			fprintf(stderr, "test: the child's setup failed\n");
			_exit(127);
		}
		/*
		 * MIOPROXY_TEST_WRAPPER (a shell command, e.g. valgrind and
		 * its options) runs the daemon, which it gets as "$@".
		 */
		if (getenv("MIOPROXY_TEST_WRAPPER") != NULL)
			execl("/bin/sh", "sh", "-c",
			    "exec $MIOPROXY_TEST_WRAPPER \"$@\"", "sh",
			    pt_binary(), "-c", p->conf, (char *)NULL);
		execl(pt_binary(), "mioproxy", "-c", p->conf, (char *)NULL);
		_exit(127);
	}
}

/*
 * Starts mioproxy on `yaml` (a printf format), with extra setup in the
 * child (e.g. a lower RLIMIT_NOFILE) when nofile > 0.  Waits for
 * READY=1 and fails the test if it does not come.
 */
static inline void
pt_start_limited(struct pt_proxy *p, rlim_t nofile, const char *yaml, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
pt_start_limited(struct pt_proxy *p, rlim_t nofile, const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_spawn(p, nofile, yaml, ap);
	va_end(ap);
	if (!pt_wait_notify(p, "READY=1", PT_WAIT_MS)) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		ck_abort_msg("mioproxy did not become ready: %s",
		    pt_read_file(p->log));
	}
}

#define pt_start(p, ...)	pt_start_limited((p), 0, __VA_ARGS__)

/* Puts `yaml` (expanded with ap) in place of the proxy's file
 * (atomically), sends SIGHUP and waits for RELOADING=1. */
static inline void
pt_vreload_start(struct pt_proxy *p, const char *yaml, va_list ap)
{
	char text[8192], tmp[256];

	pt_format(p, text, sizeof(text), yaml, ap);
	snprintf(tmp, sizeof(tmp), "%s/proxy2.yaml", p->dir);
	pt_write_file(tmp, text);
	ck_assert_int_eq(rename(tmp, p->conf), 0);
	ck_assert_int_eq(kill(p->pid, SIGHUP), 0);
	ck_assert(pt_wait_notify(p, "RELOADING=1", PT_WAIT_MS));
}

/*
 * Replaces the proxy's file with `yaml` (a printf format, ACCESS_LOG
 * expanded), sends SIGHUP and waits for RELOADING=1 then READY=1, which
 * come whether the new file was taken or refused.
 */
static inline void
pt_reload(struct pt_proxy *p, const char *yaml, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
pt_reload(struct pt_proxy *p, const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_vreload_start(p, yaml, ap);
	va_end(ap);
	ck_assert(pt_wait_notify(p, "READY=1", PT_WAIT_MS));
}

/* pt_reload()'s first half: RELOADING=1 waited for, READY=1 not (a
 * reload that is still at work when this returns). */
static inline void
pt_reload_start(struct pt_proxy *p, const char *yaml, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
pt_reload_start(struct pt_proxy *p, const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_vreload_start(p, yaml, ap);
	va_end(ap);
}

/* Waits for the proxy to exit; returns its exit status, -1 on timeout. */
static inline int
pt_wait_exit(struct pt_proxy *p, int ms)
{
	int64_t end = test_now_ms() + ms;
	int status;

	while (test_now_ms() < end) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid) {
			p->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		}
		test_sleep_ms(10);
	}
	return -1;
}

/* SIGTERM, then the exit status (0 expected); cleans the directory. */
static inline int
pt_stop(struct pt_proxy *p)
{
	int status = 0;
	char path[256];

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		status = pt_wait_exit(p, PT_WAIT_MS);
		if (status < 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
	}
	close(p->notify_fd);
	snprintf(p->access_text, sizeof(p->access_text), "%s",
	    pt_read_file(p->access));
	snprintf(p->log_text, sizeof(p->log_text), "%s", pt_read_file(p->log));
	unlink(p->conf);
	unlink(p->notify_path);
	unlink(p->log);
	unlink(p->access);
	snprintf(path, sizeof(path), "%s/proxy2.yaml", p->dir);
	unlink(path);
	rmdir(p->dir);
	return status;
}

/* The access log that pt_stop() kept holds `text`; it is shown if not. */
static inline void
pt_assert_logged(const struct pt_proxy *p, const char *text)
{
	ck_assert_msg(strstr(p->access_text, text) != NULL, "%s: %s", text,
	    p->access_text);
}

/* --- backends -------------------------------------------------------- */

/*
 * An echo server in a thread, on 127.0.0.1:port: it echoes every byte,
 * and after a client's FIN sends what is left and shuts its own side.
 * With `id` set, it first sends that byte to each new client.  It counts
 * the connections it accepted.
 */
#define PT_ECHO_MAX	2200

struct pt_echo {
	int		 port;
	int		 id;		/* < 0: none */
	int		 lfd;
	int		 stop[2];
	pthread_t	 thread;
	volatile int	 accepted;
};

struct pt_conn {
	int	fd;
	int	eof;
	size_t	off, len;
	char	buf[16384];
};

/*
 * Sends buf[*off, *off + *len) without blocking: 1 all sent (*off back to
 * 0), 0 the socket is full, -1 an error.
 */
static inline int
pt_flush(int fd, const void *buf, size_t *off, size_t *len)
{
	while (*len > 0) {
		ssize_t n = send(fd, (const char *)buf + *off, *len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		*off += (size_t)n;
		*len -= (size_t)n;
	}
	*off = 0;
	return 1;
}

static inline int
pt_conn_flush(struct pt_conn *c)
{
	return pt_flush(c->fd, c->buf, &c->off, &c->len);
}

static inline void *
pt_echo_main(void *arg)
{
	struct pt_echo *e = arg;
	static __thread struct pollfd pfd[PT_ECHO_MAX + 2];
	struct pt_conn **conns = calloc(PT_ECHO_MAX, sizeof(*conns));
	int n = 0, i;

	for (;;) {
		pfd[0] = (struct pollfd){ e->stop[0], POLLIN, 0 };
		pfd[1] = (struct pollfd){ e->lfd, POLLIN, 0 };
		for (i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){ conns[i]->fd,
			    conns[i]->len > 0 ? POLLOUT : POLLIN, 0 };
		if (poll(pfd, (nfds_t)n + 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents) {
			int fd;

			while (n < PT_ECHO_MAX && (fd = accept4(e->lfd, NULL,
			    NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				struct pt_conn *c = calloc(1, sizeof(*c));

				c->fd = fd;
				if (e->id >= 0) {
					c->buf[0] = (char)e->id;
					c->len = 1;
					pt_conn_flush(c);
				}
				conns[n++] = c;
				e->accepted++;
			}
		}
		for (i = 0; i < n; i++) {
			struct pt_conn *c = conns[i];
			int done = 0;

			if (pfd[2 + i].revents == 0 || pfd[2 + i].fd != c->fd)
				continue;
			if (c->len > 0) {
				if (pt_conn_flush(c) < 0)
					done = 1;
			} else {
				ssize_t r = recv(c->fd, c->buf,
				    sizeof(c->buf), MSG_DONTWAIT);

				if (r > 0) {
					c->len = (size_t)r;
					c->off = 0;
					if (pt_conn_flush(c) < 0)
						done = 1;
				} else if (r == 0) {
					c->eof = 1;
				} else if (errno != EAGAIN) {
					done = 1;
				}
			}
			if (c->eof && c->len == 0) {
				shutdown(c->fd, SHUT_WR);
				done = 1;
			}
			if (done) {
				close(c->fd);
				free(c);
				conns[i] = conns[--n];
				pfd[2 + i].fd = -1;
				/* Slot i now holds another: its revents are
				 * stale, so skip it until the next poll. */
			}
		}
	}
	for (i = 0; i < n; i++) {
		close(conns[i]->fd);
		free(conns[i]);
	}
	free(conns);
	return NULL;
}

static inline int
pt_listen(int port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0), on = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	    "bind %d: %s", port, strerror(errno));
	ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

static inline void
pt_echo_start(struct pt_echo *e, int id)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->port = pt_free_port(SOCK_STREAM);
	e->lfd = pt_listen(e->port, 1024);
	ck_assert_int_eq(pipe2(e->stop, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&e->thread, NULL, pt_echo_main, e),
	    0);
}

static inline void
pt_echo_stop(struct pt_echo *e)
{
	ck_assert_int_eq(write(e->stop[1], "x", 1), 1);
	pthread_join(e->thread, NULL);
	close(e->stop[0]);
	close(e->stop[1]);
	close(e->lfd);
}

/*
 * A listener whose handshakes never complete: backlog 0 filled by two
 * connections nobody accepts, so the kernel drops further SYNs and a
 * connect to it hangs until the client gives up.
 */
struct pt_blackhole {
	int	port;
	int	lfd;
	int	fill[2];
};

static inline void
pt_blackhole_start(struct pt_blackhole *b)
{
	int i;

	b->port = pt_free_port(SOCK_STREAM);
	b->lfd = pt_listen(b->port, 0);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };

		b->fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)b->port);
		connect(b->fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	test_sleep_ms(50);
}

static inline void
pt_blackhole_stop(struct pt_blackhole *b)
{
	close(b->fill[0]);
	close(b->fill[1]);
	close(b->lfd);
}

/* --- UDP ------------------------------------------------------------ */

/*
 * A UDP echo server in a thread on 127.0.0.1 or [::1]: each datagram
 * goes back to its sender, with the id byte in front when id >= 0.  It
 * counts datagrams and remembers how many distinct senders it saw.
 */
struct pt_uecho {
	int		 port;
	int		 family;
	int		 id;
	int		 fd;
	int		 stop[2];
	pthread_t	 thread;
	volatile int	 datagrams;
};

static inline void *
pt_uecho_main(void *arg)
{
	struct pt_uecho *e = arg;
	static __thread char buf[65536 + 1];

	for (;;) {
		struct pollfd pfd[2] = { { e->stop[0], POLLIN, 0 },
		    { e->fd, POLLIN, 0 } };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		int off = e->id >= 0;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		while ((n = recvfrom(e->fd, buf + off, sizeof(buf) - 1,
		    MSG_DONTWAIT, (struct sockaddr *)&from, &flen)) >= 0) {
			if (off)
				buf[0] = (char)e->id;
			e->datagrams++;
			sendto(e->fd, buf, (size_t)n + (size_t)off, 0,
			    (struct sockaddr *)&from, flen);
			flen = sizeof(from);
		}
	}
	return NULL;
}

/* A UDP socket bound to the loopback of `family` on `port` (0: any). */
static inline int
pt_udp_socket(int family, int port, int *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { PT_WAIT_MS / 1000, 0 };

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof(*a);
	}
	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind: %s",
	    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bound_port != NULL) {
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len),
		    0);
		*bound_port = ntohs(family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
}

static inline void
pt_uecho_start(struct pt_uecho *e, int family, int id)
{
	memset(e, 0, sizeof(*e));
	e->family = family;
	e->id = id;
	e->fd = pt_udp_socket(family, 0, &e->port);
	/* Bursts of hundreds of clients: past rmem_max when root may. */
	{
		int size = 4 << 20;

		if (setsockopt(e->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size)) < 0)
			setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &size,
			    sizeof(size));
	}
	ck_assert_int_eq(pipe2(e->stop, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&e->thread, NULL, pt_uecho_main, e),
	    0);
}

static inline void
pt_uecho_stop(struct pt_uecho *e)
{
	ck_assert_int_eq(write(e->stop[1], "x", 1), 1);
	pthread_join(e->thread, NULL);
	close(e->stop[0]);
	close(e->stop[1]);
	close(e->fd);
}

/* Sends one datagram to host:port (IPv4 text or IPv6 text). */
static inline void
pt_udp_send(int fd, const char *host, int port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':') == NULL) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, host, &a->sin_addr);
		a->sin_port = htons((uint16_t)port);
		slen = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, host, &a->sin6_addr);
		a->sin6_port = htons((uint16_t)port);
		slen = sizeof(*a);
	}
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, slen),
	    (ssize_t)len);
}

/*
 * Receives one datagram within ms; returns its length (-1 on timeout)
 * and the sender's address text and port.
 */
static inline ssize_t
pt_udp_recv(int fd, void *buf, size_t len, int ms, char *from, int *port)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, &slen);
	if (n >= 0 && from != NULL) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET,
			    &((struct sockaddr_in *)&ss)->sin_addr, from, 64);
			*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else {
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, from, 64);
			*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	return n;
}

#endif /* PROXYTEST_H */
