/*
 * process.workers (CONFIG.md, "Workers") against the real daemon on
 * loopback: two workers under one supervisor forward TCP and UDP with
 * the bytes intact and both take clients; a reload keeps every
 * connection and UDP session; a reload that one worker cannot apply, or
 * whose bind fails, leaves the old configuration everywhere; kill -9 of
 * one worker loses only its own TCP sessions, moves no UDP session of
 * the other, and the worker comes back, logged; the stats endpoint sums
 * the workers, the admin socket's drain reaches all of them; SIGTERM
 * within the grace, the pid file.
 *
 * Who holds a socket is read from /proc: the supervisor's children are
 * the workers, /proc/net/{tcp,udp} give a socket's inode by its ports,
 * and /proc/PID/fd who holds that inode.
 */
#include "config.h"

#include <ctype.h>
#include <sys/resource.h>

#include "../daemon/proxytest.h"

#define HEAD								\
	"version: 1\n"							\
	"logging: { level: debug }\n"					\
	"process: { workers: 2, shutdown_grace: 2s, pid_file: ACCESS_LOG.pid }\n" \
	"stats: { listen: 127.0.0.1:%d }\n"				\
	"admin: { socket: ACCESS_LOG.sock }\n"

/* TCP and UDP on the same port, each to its own backend (BOTH), and
 * another TCP listener on a port of its own (BOTH_X). */
#define TWO								\
	"listeners:\n"							\
	"  - { name: t, protocol: tcp, bind: 127.0.0.1:%d, upstream: te }\n" \
	"  - { name: u, protocol: udp, bind: 127.0.0.1:%d, upstream: ue }\n"
#define UPS								\
	"upstreams:\n"							\
	"  te: { servers: [ { address: 127.0.0.1:%d } ] }\n"		\
	"  ue: { servers: [ { address: 127.0.0.1:%d } ] }\n"
#define BOTH	HEAD TWO UPS
#define BOTH_X	HEAD TWO						\
	"  - { name: x, protocol: tcp, bind: 127.0.0.1:%d, upstream: te }\n" \
	UPS

#define NCLIENTS	16
#define MAXW		8

static char out[65536];

/* --- the processes and their sockets --------------------------------- */

/* The workers of supervisor sup (its children): how many. */
static int
workers_of(pid_t sup, pid_t *v, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL && n < max) {
		char path[300], buf[512], *p;
		FILE *f;
		long ppid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* pid (comm) state ppid: comm may hold spaces. */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL)
			continue;
		if (sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == sup)
			v[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}

/* Waits until sup has n workers, none of them `gone`: 1, or 0. */
static int
wait_workers(pid_t sup, int n, pid_t gone, pid_t *v)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;
	int k, i, ok;

	while (test_now_ms() < end) {
		k = workers_of(sup, v, MAXW);
		for (i = 0, ok = k == n; i < k; i++)
			ok &= v[i] != gone;
		if (ok)
			return 1;
		test_sleep_ms(20);
	}
	return 0;
}

/* The inode of the socket in /proc/net/TABLE with these ports (rp 0:
 * any), or 0. */
static unsigned long
sock_inode(const char *table, int lp, int rp)
{
	char path[64], line[512];
	unsigned long inode = 0, ino;
	unsigned lport, rport;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", table);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x "
		    "%*u %*d %lu", &lport, &rport, &ino) != 3)
			continue;
		if ((int)lport == lp && (rp == 0 || (int)rport == rp)) {
			inode = ino;
			break;
		}
	}
	fclose(f);
	return inode;
}

/* Which of v[0..n) holds the socket inode: its index, or -1. */
static int
owner(const pid_t *v, int n, unsigned long inode)
{
	char want[64], path[300], link[64];
	struct dirent *e;
	int i;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	for (i = 0; i < n; i++) {
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)v[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			ssize_t k;

			snprintf(path, sizeof(path), "/proc/%ld/fd/%s",
			    (long)v[i], e->d_name);
			k = readlink(path, link, sizeof(link) - 1);
			if (k > 0 && (link[k] = '\0', strcmp(link, want) == 0)) {
				closedir(d);
				return i;
			}
		}
		closedir(d);
	}
	return -1;
}

static int
local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

/* --- a UDP backend that says which port each datagram came from ----- */

struct portecho {
	int		 fd, port, stop[2];
	pthread_t	 thread;
};

static void *
portecho_main(void *arg)
{
	struct portecho *e = arg;
	char buf[2048], reply[2100];

	for (;;) {
		struct pollfd pfd[2] = { { e->stop[0], POLLIN, 0 },
		    { e->fd, POLLIN, 0 } };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		int k;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		while ((n = recvfrom(e->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen)) >= 0) {
			buf[n] = '\0';
			k = snprintf(reply, sizeof(reply), "%d %s",
			    ntohs(from.sin_port), buf);
			sendto(e->fd, reply, (size_t)k, 0,
			    (struct sockaddr *)&from, flen);
			flen = sizeof(from);
		}
	}
	return NULL;
}

static void
portecho_start(struct portecho *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = pt_udp_socket(AF_INET, 0, &e->port);
	ck_assert_int_eq(pipe2(e->stop, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&e->thread, NULL, portecho_main, e),
	    0);
}

static void
portecho_stop(struct portecho *e)
{
	ck_assert_int_eq(write(e->stop[1], "x", 1), 1);
	pthread_join(e->thread, NULL);
	close(e->stop[0]);
	close(e->stop[1]);
	close(e->fd);
}

/*
 * One request of UDP client c through the proxy: the upstream port the
 * backend saw (the session's), after checking the bytes came back
 * intact; -1 when no answer came.
 */
static int
udp_ask(int c, int port, int i)
{
	char msg[64], buf[256], want[80];
	ssize_t n;
	int up;

	snprintf(msg, sizeof(msg), "client %d says %ld", i, random());
	pt_udp_send(c, "127.0.0.1", port, msg, strlen(msg));
	if ((n = pt_udp_recv(c, buf, sizeof(buf) - 1, PT_WAIT_MS, NULL,
	    NULL)) < 0)
		return -1;
	buf[n] = '\0';
	ck_assert_int_eq(sscanf(buf, "%d ", &up), 1);
	snprintf(want, sizeof(want), "%d %s", up, msg);
	ck_assert_str_eq(buf, want);
	return up;
}

/*
 * A TCP round trip on c: 1 when the bytes came back intact, 0 when the
 * connection failed (reset, closed, silent for PT_WAIT_MS).
 */
static int
tcp_echo(int c, const char *msg)
{
	char buf[256];
	size_t len = strlen(msg), got = 0;
	ssize_t n;

	if (send(c, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	while (got < len) {
		struct pollfd pfd = { c, POLLIN, 0 };

		if (poll(&pfd, 1, PT_WAIT_MS) <= 0)
			return 0;
		if ((n = recv(c, buf + got, len - got, 0)) <= 0)
			return 0;
		got += (size_t)n;
	}
	return memcmp(buf, msg, len) == 0;
}

/* --- the operators' endpoints ---------------------------------------- */

/* GET path from the stats endpoint into out. */
static void
http_get(int port, const char *path)
{
	char req[128];
	size_t len = 0;
	ssize_t n;
	int fd = pt_connect(port);

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	pt_send_all(fd, req, strlen(req));
	while (len < sizeof(out) - 1 &&
	    (n = recv(fd, out + len, sizeof(out) - 1 - len, 0)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
}

/* A sample's value in the page in out, or -1. */
static long long
sample(const char *key)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", key);
	if ((p = strstr(out, want)) == NULL)
		return -1;
	return atoll(p + strlen(want));
}

static int
ctl(const struct pt_proxy *p, const char *words)
{
	char sock[300];

	snprintf(sock, sizeof(sock), "%s.sock", p->access);
	return pt_ctl('S', sock, words, out, sizeof(out));
}

/* Counts the lines of the proxy's log that contain s. */
static int
log_count(const struct pt_proxy *p, const char *s)
{
	const char *t = pt_read_file(p->log);
	int n = 0;

	while ((t = strstr(t, s)) != NULL) {
		n++;
		t += strlen(s);
	}
	return n;
}

/* --- the group in one test ------------------------------------------- */

struct group {
	struct pt_proxy	 p;
	struct pt_echo	 te;
	struct portecho	 ue;
	int		 port, stats;
	pid_t		 w[MAXW];
};

/* On the completion engine (MIOPROXY_TEST_IO=uring, the -uring.tap
 * run), how many rings the workers made so far: each makes its own
 * after the fork (an io_uring of SINGLE_ISSUER takes submissions from
 * its maker only).  -1 on the readiness engine. */
static int
rings_made(const struct pt_proxy *p)
{
	const char *io = getenv("MIOPROXY_TEST_IO");

	if (io == NULL || strcmp(io, "uring") != 0)
		return -1;
	return log_count(p, "relay engine: io_uring completions");
}

/* Waits (bounded) until the workers made n rings, on the completion
 * engine; true at once on readiness. */
static int
wait_rings(const struct pt_proxy *p, int n)
{
	int i;

	for (i = 0; i < 1000; i++) {
		int made = rings_made(p);

		if (made < 0 || made == n)
			return 1;
		if (made > n)
			return 0;
		usleep(10000);
	}
	return 0;
}

static void
group_start(struct group *g)
{
	pt_echo_start(&g->te, -1);
	portecho_start(&g->ue);
	g->port = pt_free_port(SOCK_STREAM);
	g->stats = pt_free_port(SOCK_STREAM);
	pt_start(&g->p, BOTH, g->stats, g->port, g->port, g->te.port,
	    g->ue.port);
	ck_assert_msg(wait_workers(g->p.pid, 2, 0, g->w), "two workers");
	ck_assert_msg(wait_rings(&g->p, 2), "a ring per worker: %s",
	    pt_read_file(g->p.log));
}

static void
group_stop(struct group *g)
{
	ck_assert_int_eq(pt_stop(&g->p), 0);
	pt_echo_stop(&g->te);
	portecho_stop(&g->ue);
}

/* --- the tests ------------------------------------------------------- */

START_TEST(test_forward_both_workers)
{
	int c[NCLIENTS], u[NCLIENTS], per[2] = { 0, 0 }, uper[2] = { 0, 0 };
	struct group g;
	char msg[64];
	int i, k, up;

	group_start(&g);
	for (i = 0; i < NCLIENTS; i++) {
		c[i] = pt_connect(g.port);
		snprintf(msg, sizeof(msg), "tcp client %d", i);
		ck_assert(tcp_echo(c[i], msg));
		k = owner(g.w, 2, sock_inode("tcp", g.port, local_port(c[i])));
		ck_assert_int_ge(k, 0);
		per[k]++;
	}
	for (i = 0; i < NCLIENTS; i++) {
		u[i] = pt_udp_socket(AF_INET, 0, NULL);
		ck_assert_int_gt(up = udp_ask(u[i], g.port, i), 0);
		ck_assert_int_eq(udp_ask(u[i], g.port, i), up);
		k = owner(g.w, 2, sock_inode("udp", up, 0));
		ck_assert_int_ge(k, 0);
		uper[k]++;
	}
	/* 16 clients on one worker: one chance in 32768 each. */
	ck_assert_msg(per[0] > 0 && per[1] > 0, "TCP %d/%d", per[0], per[1]);
	ck_assert_msg(uper[0] > 0 && uper[1] > 0, "UDP %d/%d", uper[0],
	    uper[1]);
	for (i = 0; i < NCLIENTS; i++) {
		close(c[i]);
		close(u[i]);
	}
	group_stop(&g);
}
END_TEST

START_TEST(test_kill_worker)
{
	int c[NCLIENTS], u[NCLIENTS], tw[NCLIENTS], uw[NCLIENTS],
	    up[NCLIENTS];
	struct group g;
	pid_t dead, now[MAXW];
	char msg[64];
	int i, n, k, lost = 0;

	group_start(&g);
	for (i = 0; i < NCLIENTS; i++) {
		c[i] = pt_connect(g.port);
		ck_assert(tcp_echo(c[i], "before"));
		tw[i] = owner(g.w, 2, sock_inode("tcp", g.port,
		    local_port(c[i])));
		u[i] = pt_udp_socket(AF_INET, 0, NULL);
		ck_assert_int_gt(up[i] = udp_ask(u[i], g.port, i), 0);
		uw[i] = owner(g.w, 2, sock_inode("udp", up[i], 0));
		ck_assert(tw[i] >= 0 && uw[i] >= 0);
	}
	dead = g.w[0];
	ck_assert_int_eq(kill(dead, SIGKILL), 0);
	/* Worker 1's clients never wait, while worker 0 is away. */
	for (i = 0; i < NCLIENTS; i++) {
		if (uw[i] == 1)
			ck_assert_int_eq(udp_ask(u[i], g.port, i), up[i]);
		if (tw[i] == 1)
			ck_assert(tcp_echo(c[i], "during"));
	}
	ck_assert_msg(wait_workers(g.p.pid, 2, dead, now),
	    "the worker was not restarted: %s", pt_read_file(g.p.log));
	for (i = 0; i < NCLIENTS; i++) {
		snprintf(msg, sizeof(msg), "after %d", i);
		if (tw[i] == 1) {
			ck_assert(tcp_echo(c[i], msg));
		} else {
			/* Its worker is gone, and the connection with it. */
			ck_assert(!tcp_echo(c[i], msg));
			lost++;
		}
		n = udp_ask(u[i], g.port, i);
		ck_assert_int_gt(n, 0);
		if (uw[i] == 1) {
			ck_assert_int_eq(n, up[i]);	/* not moved */
		} else {
			/* A new session, on the new worker 0, not on 1. */
			k = owner(now, 2, sock_inode("udp", n, 0));
			ck_assert_int_ge(k, 0);
			ck_assert_int_ne(now[k], g.w[1]);
		}
	}
	ck_assert_int_gt(lost, 0);
	ck_assert_int_eq(log_count(&g.p, "was killed by signal 9: "
	    "restarting it"), 1);
	/* The new worker 0 made a ring of its own. */
	ck_assert_msg(wait_rings(&g.p, 3), "the new worker's ring: %s",
	    pt_read_file(g.p.log));
	for (i = 0; i < NCLIENTS; i++) {
		close(c[i]);
		close(u[i]);
	}
	group_stop(&g);
}
END_TEST

START_TEST(test_reload_keeps_sessions)
{
	int c[NCLIENTS], u[NCLIENTS], up[NCLIENTS], extra, i, d;
	struct group g;

	group_start(&g);
	for (i = 0; i < NCLIENTS; i++) {
		c[i] = pt_connect(g.port);
		ck_assert(tcp_echo(c[i], "before"));
		u[i] = pt_udp_socket(AF_INET, 0, NULL);
		ck_assert_int_gt(up[i] = udp_ask(u[i], g.port, i), 0);
	}
	extra = pt_free_port(SOCK_STREAM);
	pt_reload(&g.p, BOTH_X, g.stats, g.port, g.port, extra, g.te.port,
	    g.ue.port);
	ck_assert_int_eq(log_count(&g.p, "configuration reloaded"), 3);
	for (i = 0; i < NCLIENTS; i++) {
		ck_assert(tcp_echo(c[i], "after"));
		ck_assert_int_eq(udp_ask(u[i], g.port, i), up[i]);
	}
	/* The new listener, in every worker. */
	for (i = 0; i < NCLIENTS; i++) {
		d = pt_connect(extra);
		ck_assert(tcp_echo(d, "new"));
		close(d);
	}
	http_get(g.stats, "/metrics");
	ck_assert_int_eq(sample("mioproxy_listener_connections_total"
	    "{listener=\"x\"}"), NCLIENTS);
	ck_assert_int_eq(sample("mioproxy_config_reloads_total"
	    "{result=\"ok\"}"), 1);
	for (i = 0; i < NCLIENTS; i++) {
		close(c[i]);
		close(u[i]);
	}
	group_stop(&g);
}
END_TEST

/* A reload whose bind fails (the port is taken) changes nothing. */
START_TEST(test_reload_bind_fails)
{
	struct group g;
	int taken, port, c;

	group_start(&g);
	port = pt_free_port(SOCK_STREAM);
	taken = pt_listen(port, 8);
	pt_reload(&g.p, BOTH_X, g.stats, g.port, g.port, port, g.te.port,
	    g.ue.port);
	ck_assert_int_eq(log_count(&g.p, "reload failed: keeping the running"),
	    1);
	ck_assert_int_eq(log_count(&g.p, "configuration reloaded"), 0);
	c = pt_connect(g.port);
	ck_assert(tcp_echo(c, "still"));
	close(c);
	ck_assert_int_eq(ctl(&g.p, "show info"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\nreloads_failed 1\n"));
	close(taken);
	group_stop(&g);
}
END_TEST

/* The lowest descriptor number free in pid: as a limit, no new one. */
static int
lowest_free_fd(pid_t pid)
{
	char path[64];
	struct dirent *e;
	char used[4096] = { 0 };
	DIR *d;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && (n = atoi(e->d_name)) >= 0 &&
		    n < (int)sizeof(used))
			used[n] = 1;
	closedir(d);
	for (n = 0; n < (int)sizeof(used) && used[n]; n++)
		;
	return n;
}

/* Waits until nobody holds port (the workers close what the supervisor
 * told them to forget after it answered): 1, or 0. */
static int
port_freed(int port)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;

	while (!pt_port_bindable(SOCK_STREAM, port))
		if (test_now_ms() > end)
			return 0;
		else
			test_sleep_ms(10);
	return 1;
}

/*
 * A reload that one worker cannot apply (out of descriptors: it can
 * neither read the file nor take its new socket) is refused by all:
 * the other worker keeps the old configuration too, and the new port
 * answers nobody.  With the limit back, the same reload succeeds.
 */
START_TEST(test_reload_fails_in_one_worker)
{
	struct rlimit old, tight;
	struct group g;
	int port, c, i;

	group_start(&g);
	port = pt_free_port(SOCK_STREAM);
	ck_assert_int_eq(prlimit(g.w[1], RLIMIT_NOFILE, NULL, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)lowest_free_fd(g.w[1]);
	ck_assert_int_eq(prlimit(g.w[1], RLIMIT_NOFILE, &tight, NULL), 0);
	pt_reload(&g.p, BOTH_X, g.stats, g.port, g.port, port, g.te.port,
	    g.ue.port);
	ck_assert_msg(log_count(&g.p, "could not apply it: every worker "
	    "keeps") == 1, "%s", pt_read_file(g.p.log));
	ck_assert_int_eq(log_count(&g.p, "configuration reloaded"), 0);
	/* Nobody serves the new port; the old one still works (once the
	 * starved worker can accept again). */
	ck_assert(port_freed(port));
	ck_assert_int_eq(prlimit(g.w[1], RLIMIT_NOFILE, &old, NULL), 0);
	for (i = 0; i < 8; i++) {
		c = pt_connect(g.port);
		ck_assert(tcp_echo(c, "old"));
		close(c);
	}
	pt_reload(&g.p, BOTH_X, g.stats, g.port, g.port, port, g.te.port,
	    g.ue.port);
	ck_assert_int_eq(log_count(&g.p, "configuration reloaded"), 3);
	c = pt_connect(port);
	ck_assert(tcp_echo(c, "new"));
	close(c);
	http_get(g.stats, "/metrics");
	ck_assert_int_eq(sample("mioproxy_config_reloads_total"
	    "{result=\"failed\"}"), 1);
	ck_assert_int_eq(sample("mioproxy_config_reloads_total"
	    "{result=\"ok\"}"), 1);
	group_stop(&g);
}
END_TEST

/*
 * `reload` on the supervisor's admin socket: a file that does not load
 * is refused with its reasons in the reply (the workers keep serving),
 * and the good file back is taken; each counted once.
 */
START_TEST(test_admin_reload)
{
	static const char refused[] = "error: reload failed: the running "
	    "configuration stays\n";
	static char good[1 << 16];
	struct group g;
	int c;

	group_start(&g);
	snprintf(good, sizeof(good), "%s", pt_read_file(g.p.conf));
	pt_write_file(g.p.conf, "version: 1\nlisteners: [ { name: x, "
	    "bogus: 1 } ]\n");
	ck_assert_int_eq(ctl(&g.p, "reload"), 1);
	ck_assert_msg(strncmp(out, refused, strlen(refused)) == 0, "%s", out);
	ck_assert_msg(strstr(out, g.p.conf) != NULL, "no reason: %s", out);
	c = pt_connect(g.port);
	ck_assert(tcp_echo(c, "still"));
	close(c);
	pt_write_file(g.p.conf, good);
	ck_assert_int_eq(ctl(&g.p, "reload"), 0);
	ck_assert_msg(strncmp(out, "ok\n", 3) == 0, "%s", out);
	ck_assert_int_eq(log_count(&g.p, "configuration reloaded"), 3);
	ck_assert_int_eq(ctl(&g.p, "show info"), 0);
	ck_assert_msg(strstr(out, "\nreloads 1\nreloads_failed 1\n") != NULL,
	    "%s", out);
	group_stop(&g);
}
END_TEST

START_TEST(test_stats_and_admin)
{
	char words[256];
	struct group g;
	int c, i, u;

	group_start(&g);
	for (i = 0; i < 10; i++) {
		c = pt_connect(g.port);
		ck_assert(tcp_echo(c, "0123456789"));
		close(c);
	}
	u = pt_udp_socket(AF_INET, 0, NULL);
	for (i = 0; i < 3; i++)
		ck_assert_int_gt(udp_ask(u, g.port, i), 0);
	http_get(g.stats, "/metrics");
	ck_assert_ptr_nonnull(strstr(out, "200 OK"));
	ck_assert_int_eq(sample("mioproxy_listener_connections_total"
	    "{listener=\"t\"}"), 10);
	ck_assert_int_eq(sample("mioproxy_listener_bytes_total"
	    "{listener=\"t\",direction=\"in\"}"), 100);
	ck_assert_int_eq(sample("mioproxy_listener_datagrams_total"
	    "{listener=\"u\",direction=\"in\"}"), 3);
	ck_assert_int_eq(sample("mioproxy_build_info{version=\""
	    PACKAGE_VERSION "\"}"), 1);
	/* Each worker chose the engine named; the group counts them. */
	snprintf(words, sizeof(words), "mioproxy_io_engine{io=\"%s\"}",
	    pt_engine_name());
	ck_assert_int_eq(sample(words), 2);
	http_get(g.stats, "/stats");
	ck_assert_ptr_nonnull(strstr(out, "\"connections\":10,"));
	ck_assert_ptr_nonnull(strstr(out, strcmp(pt_engine_name(), "uring")
	    == 0 ? "\"io\":{\"readiness\":0,\"uring\":2}" :
	    "\"io\":{\"readiness\":2,\"uring\":0}"));
	http_get(g.stats, "/healthz");
	ck_assert_ptr_nonnull(strstr(out, "200 OK"));
	ck_assert_int_eq(ctl(&g.p, "show info"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\nworkers 2\n"));
	snprintf(words, sizeof(words), "\nio %s\n", pt_engine_name());
	ck_assert_msg(strstr(out, words) != NULL, "%s", out);
	ck_assert_int_eq(ctl(&g.p, "show listeners"), 0);
	snprintf(words, sizeof(words), "t tcp 127.0.0.1:%d 0 10\n", g.port);
	ck_assert_msg(strstr(out, words) != NULL, "%s", out);
	/* A drain reaches every worker: each says so, and none sends. */
	snprintf(words, sizeof(words), "set server te 127.0.0.1:%d state "
	    "drain", g.te.port);
	ck_assert_int_eq(ctl(&g.p, words), 0);
	ck_assert_int_eq(log_count(&g.p, "state drain set by the operator"),
	    2);
	ck_assert_int_eq(ctl(&g.p, "show servers te"), 0);
	ck_assert_ptr_nonnull(strstr(out, " drain "));
	http_get(g.stats, "/metrics");
	snprintf(words, sizeof(words), "mioproxy_server_state{upstream=\"te\","
	    "server=\"127.0.0.1:%d\",state=\"drain\"}", g.te.port);
	ck_assert_int_eq(sample(words), 1);
	for (i = 0; i < 6; i++) {
		c = pt_connect(g.port);
		ck_assert(!tcp_echo(c, "drained"));
		close(c);
	}
	http_get(g.stats, "/metrics");
	ck_assert_int_eq(sample("mioproxy_listener_rejected_total"
	    "{listener=\"t\",reason=\"no_server\"}"), 6);
	close(u);
	group_stop(&g);
}
END_TEST

START_TEST(test_sigterm_and_pid_file)
{
	char path[200];
	struct group g;
	int64_t t0;
	int c, i, status;

	group_start(&g);
	snprintf(path, sizeof(path), "%s.pid", g.p.access);
	ck_assert_int_eq(atol(pt_read_file(path)), g.p.pid);
	c = pt_connect(g.port);		/* held past the grace */
	ck_assert(tcp_echo(c, "held"));
	t0 = test_now_ms();
	ck_assert_int_eq(kill(g.p.pid, SIGTERM), 0);
	/* Stopping, for as long as the held session may finish. */
	ck_assert(pt_wait_notify(&g.p, "STOPPING=1", PT_WAIT_MS));
	http_get(g.stats, "/healthz");
	ck_assert_msg(strstr(out, "503") != NULL, "%s", out);
	status = pt_wait_exit(&g.p, 2000 + PT_WAIT_MS);
	ck_assert_int_eq(status, 0);
	/* The grace (2 s) and not much more. */
	ck_assert_int_lt(test_now_ms() - t0, 2000 + PT_WAIT_MS);
	for (i = 0; i < 2; i++)
		ck_assert(kill(g.w[i], 0) != 0 && errno == ESRCH);
	ck_assert_int_ne(access(path, F_OK), 0);
	close(c);
	ck_assert_int_eq(pt_stop(&g.p), 0);
	ck_assert_ptr_nonnull(strstr(g.p.log_text, "stopping 2 workers"));
	pt_echo_stop(&g.te);
	portecho_stop(&g.ue);
}
END_TEST

static Suite *
workers_suite(void)
{
	Suite *s = suite_create("workers");
	TCase *tc = tcase_create("group");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_forward_both_workers);
	tcase_add_test(tc, test_kill_worker);
	tcase_add_test(tc, test_reload_keeps_sessions);
	tcase_add_test(tc, test_reload_bind_fails);
	tcase_add_test(tc, test_reload_fails_in_one_worker);
	tcase_add_test(tc, test_admin_reload);
	tcase_add_test(tc, test_stats_and_admin);
	tcase_add_test(tc, test_sigterm_and_pid_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	srandom((unsigned)getpid());
	return tap_main(workers_suite());
}
