/*
 * Names that move (issue 15) against the real mioproxy, with dnsmasq on
 * loopback as the only resolver: a name with two addresses is forwarded
 * to both, and a fixed name and -t are asked of the same resolver; a
 * record that changes (the hosts file rewritten, dnsmasq told with
 * SIGHUP) is followed within the refresh while a session on the
 * vanished address finishes intact (a UDP client's session too); a
 * resolver that dies leaves the last good addresses serving (counted in
 * the metrics), and one that comes back is followed again; a drained
 * server whose address stays in a new answer stays drained; a record's
 * TTL brings the next lookup sooner than resolver.refresh, and a TTL of
 * 0 does not make it spin; a reload whose lookups hang never stops an
 * established session from being forwarded; a name that never resolved
 * fails the start at its place in the file.  With process.workers 2:
 * each worker follows the name on its own loop (new sessions through
 * either reach the new address, each one's held session finishes
 * intact); a reload while the resolver hangs keeps both workers
 * forwarding and is taken by both or refused by both (the supervisor's
 * counters, the new listener through each); a dead resolver at a reload
 * leaves each worker the address it followed; a worker stopped while
 * its reload waits for names fails the reload in both.  dnsmasq logs every query
 * it gets: each test ends by reading that log, which must name only the
 * test's own names.
 *
 * The suite runs in a network namespace of its own (unshare -n, then lo
 * up), so that nothing it does can reach past loopback; it is skipped,
 * with the reason, when dnsmasq is missing or unshare is refused.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>

#include "../common.h"
#include "../daemon/proxytest.h"
#include "../stats/statstest.h"

#define RT_DNS_ADDR	"127.0.0.53"
#define RT_REFRESH	"1s"

/* --- dnsmasq ----------------------------------------------------------- */

struct rt_dns {
	pid_t	pid;
	int	port;
	int	ttl;		/* of its answers, seconds */
	char	dir[64];
	char	hosts[160];
	char	log[160];
};

static const char *
rt_dnsmasq(void)
{
	static const char *const where[] = { "/usr/sbin/dnsmasq",
	    "/usr/bin/dnsmasq", "/sbin/dnsmasq", NULL };
	int i;

	for (i = 0; where[i] != NULL; i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* Whether something holds UDP addr:port (dnsmasq is up). */
static int
rt_udp_taken(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	ck_assert_int_ge(fd, 0);
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &a.sin_addr);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc != 0 && errno == EADDRINUSE;
}

/* (Re)starts dnsmasq on RT_DNS_ADDR:d->port, answering from d->hosts. */
static void
rt_dns_spawn(struct rt_dns *d)
{
	char port[32], hosts[200], log[200], ttl[32];
	int64_t end;

	snprintf(port, sizeof(port), "--port=%d", d->port);
	snprintf(ttl, sizeof(ttl), "--local-ttl=%d", d->ttl);
	snprintf(hosts, sizeof(hosts), "--addn-hosts=%s", d->hosts);
	snprintf(log, sizeof(log), "--log-facility=%s", d->log);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(rt_dnsmasq(), "dnsmasq", "--keep-in-foreground",
		    "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		    "--no-poll", "--bind-interfaces",
		    "--listen-address=" RT_DNS_ADDR, port, hosts,
		    ttl, "--log-queries", log, "--user=root",
		    "--pid-file=", (char *)NULL);
		_exit(127);
	}
	end = test_now_ms() + PT_WAIT_MS;
	while (!rt_udp_taken(RT_DNS_ADDR, d->port)) {
		ck_assert_msg(test_now_ms() < end, "dnsmasq did not start");
		ck_assert_int_eq(waitpid(d->pid, NULL, WNOHANG), 0);
		test_sleep_ms(20);
	}
}

static void
rt_dns_spawn(struct rt_dns *d);

static void
rt_dns_start(struct rt_dns *d, const char *hosts)
{
	memset(d, 0, sizeof(*d));
	d->ttl = 1;
	d->port = pt_free_port(SOCK_DGRAM);
	snprintf(d->dir, sizeof(d->dir), "/tmp/mioproxy-dns-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->hosts, sizeof(d->hosts), "%s/hosts", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/dnsmasq.log", d->dir);
	pt_write_file(d->hosts, hosts);
	rt_dns_spawn(d);
}

/* How many times dnsmasq's log says it read its hosts file. */
static int
rt_dns_reads(const struct rt_dns *d)
{
	const char *p = pt_read_file(d->log);
	char what[200];
	int n = 0;

	snprintf(what, sizeof(what), "read %s", d->hosts);
	while ((p = strstr(p, what)) != NULL) {
		n++;
		p++;
	}
	return n;
}

/*
 * The record changes: the hosts file rewritten, dnsmasq told to read it
 * again, and waited for until its log says it did.
 */
static void
rt_dns_change(struct rt_dns *d, const char *hosts)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;
	int reads = rt_dns_reads(d);
	char tmp[200];

	snprintf(tmp, sizeof(tmp), "%s.new", d->hosts);
	pt_write_file(tmp, hosts);
	ck_assert_int_eq(rename(tmp, d->hosts), 0);
	ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
	while (rt_dns_reads(d) == reads) {
		ck_assert_msg(test_now_ms() < end, "dnsmasq did not read %s "
		    "again", d->hosts);
		test_sleep_ms(10);
	}
}

static void
rt_dns_kill(struct rt_dns *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	d->pid = 0;
}

/*
 * Stops dnsmasq, then checks its log: it was asked, and only for the
 * names in `allowed` (space-separated), A or AAAA.
 */
static void
rt_dns_stop(struct rt_dns *d, const char *allowed)
{
	char text[1 << 16], *line, *save, name[256];
	int queries = 0;

	rt_dns_kill(d);
	snprintf(text, sizeof(text), "%s", pt_read_file(d->log));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *q = strstr(line, "query[");

		if (q == NULL)
			continue;
		queries++;
		ck_assert_msg(strncmp(q, "query[A] ", 9) == 0 ||
		    strncmp(q, "query[AAAA] ", 12) == 0,
		    "an unexpected query: %s", line);
		ck_assert_int_eq(sscanf(strchr(q, ']') + 2, "%255s", name), 1);
		ck_assert_msg(strstr(allowed, name) != NULL,
		    "a query for a name the test never wrote: %s", line);
	}
	ck_assert_msg(queries > 0, "dnsmasq was never asked");
	unlink(d->hosts);
	unlink(d->log);
	snprintf(text, sizeof(text), "%s/t.out", d->dir);
	unlink(text);
	rmdir(d->dir);
}

/* --- backends: one process each on 127.0.0.x:port --------------------- */

/*
 * Accepts on addr:port; to each client it first sends `id`, then echoes
 * every byte until the client's FIN.  A child process, killed at the end.
 */
static pid_t
rt_backend(const char *addr, int port, char id)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct pollfd pfd[64];
	int lfd, one = 1, n = 1, i;
	pid_t pid;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &a.sin_addr);
	ck_assert_msg(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0,
	    "bind %s:%d: %s", addr, port, strerror(errno));
	ck_assert_int_eq(listen(lfd, 64), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue;
		if ((pfd[0].revents & POLLIN) && n < 64) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && send(c, &id, 1, MSG_NOSIGNAL) == 1)
				pfd[n++] = (struct pollfd){ c, POLLIN, 0 };
			else if (c >= 0)
				close(c);
		}
		for (i = 1; i < n; i++) {
			char buf[4096];
			ssize_t r;

			if (pfd[i].revents == 0)
				continue;
			r = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (r > 0 && send(pfd[i].fd, buf, (size_t)r,
			    MSG_NOSIGNAL) == r)
				continue;
			close(pfd[i].fd);
			pfd[i--] = pfd[--n];
		}
	}
}

/* The same over UDP: each datagram comes back with `id` in front. */
static pid_t
rt_udp_backend(const char *addr, int port, char id)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_storage from;
	socklen_t flen;
	char buf[2048];
	ssize_t n;
	pid_t pid;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &a.sin_addr);
	ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
	    "bind udp %s:%d: %s", addr, port, strerror(errno));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0) {
		close(fd);
		return pid;
	}
	for (;;) {
		flen = sizeof(from);
		n = recvfrom(fd, buf + 1, sizeof(buf) - 1, 0,
		    (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		buf[0] = id;
		(void)sendto(fd, buf, (size_t)n + 1, 0,
		    (struct sockaddr *)&from, flen);
	}
}

static void
rt_backend_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- the proxy ------------------------------------------------------------ */

#define RT_YAML \
    "version: 1\n" \
    "logging: { level: info }\n" \
    "listeners:\n" \
    "  - name: web\n" \
    "    protocol: tcp\n" \
    "    bind: 127.0.0.1:%d\n" \
    "    upstream: web\n" \
    "upstreams:\n" \
    "  web:\n" \
    "    servers:\n" \
    "      - { address: \"svc.test:%d\", resolve: true }\n" \
    "resolver:\n" \
    "  servers: [ " RT_DNS_ADDR ":%d ]\n" \
    "  refresh: " RT_REFRESH "\n"

static const char rt_yaml[] = RT_YAML;

/* A session through the proxy: the id its server announced, or -1. */
static int
rt_open(int port, int *fdp)
{
	char id;
	int fd = pt_connect(port);

	if (fd < 0 || recv(fd, &id, 1, 0) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*fdp = fd;
	return (unsigned char)id;
}

/* The id of the server a new session reaches, the session closed. */
static int
rt_which(int port)
{
	int fd, id = rt_open(port, &fd);

	if (id >= 0)
		close(fd);
	return id;
}

/* Waits until new sessions reach server `id`; 1 when they do. */
static int
rt_wait_for(int port, int id, int ms)
{
	int64_t end = test_now_ms() + ms;

	while (test_now_ms() < end) {
		if (rt_which(port) == id)
			return 1;
		test_sleep_ms(100);
	}
	return 0;
}

/* Bytes through an open session come back intact. */
static void
rt_echo(int fd, size_t len)
{
	char out[8192], in[8192];
	size_t i;

	ck_assert_uint_le(len, sizeof(out));
	for (i = 0; i < len; i++)
		out[i] = (char)('a' + (i * 7 + len) % 26);
	pt_send_all(fd, out, len);
	pt_recv_all(fd, in, len);
	ck_assert(memcmp(in, out, len) == 0);
}

/* Waits for `text` in the proxy's log; 1 when it is there. */
static int
rt_wait_log(struct pt_proxy *p, const char *text, int ms)
{
	int64_t end = test_now_ms() + ms;

	while (test_now_ms() < end) {
		if (strstr(pt_read_file(p->log), text) != NULL)
			return 1;
		test_sleep_ms(50);
	}
	return 0;
}

/* Starts the proxy without waiting for READY=1. */
static void
rt_spawn(struct pt_proxy *p, const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_spawn(p, 0, yaml, ap);
	va_end(ap);
}

/* --- the cases -------------------------------------------------------- */

/*
 * A followed name with two addresses is two servers; a fixed name is
 * looked up through the same resolver, at start and at -t.
 */
START_TEST(test_two_addresses)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int seen[256] = { 0 }, i, fd, id;
	pid_t b2, b3, b5;
	char cmd[1024];

	b2 = rt_backend("127.0.0.2", port, 'B');
	b3 = rt_backend("127.0.0.3", port, 'C');
	b5 = rt_backend("127.0.0.5", port, 'E');
	rt_dns_start(&d, "127.0.0.2 svc.test\n127.0.0.3 svc.test\n"
	    "127.0.0.5 plain.test\n");
	pt_start(&p, "version: 1\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: web }\n"
	    "upstreams:\n"
	    "  web:\n"
	    "    servers:\n"
	    "      - { address: \"svc.test:%d\", resolve: true }\n"
	    "      - { address: \"plain.test:%d\", backup: true }\n"
	    "resolver: { servers: [ " RT_DNS_ADDR ":%d ] }\n",
	    lport, port, port, d.port);
	for (i = 0; i < 6; i++) {
		id = rt_open(lport, &fd);
		ck_assert_int_ge(id, 0);
		seen[id]++;
		rt_echo(fd, 3000);
		close(fd);
	}
	ck_assert_int_eq(seen['B'], 3);		/* round robin over both */
	ck_assert_int_eq(seen['C'], 3);
	/* -t asks the same resolver, and says so. */
	snprintf(cmd, sizeof(cmd), "%s -t -c %s >%s/t.out 2>&1", pt_binary(),
	    p.conf, d.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/t.out", d.dir);
	ck_assert_str_eq(pt_read_file(cmd), "configuration ok\n");
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test plain.test");
	rt_backend_stop(b2);
	rt_backend_stop(b3);
	rt_backend_stop(b5);
}
END_TEST

/*
 * The record changes: new sessions go to the new address within the
 * refresh, and a session on the vanished one goes on, intact, until its
 * client closes it.
 */
START_TEST(test_follows_change)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int held;
	pid_t b2, b4;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b4 = rt_backend("127.0.0.4", port, 'D');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	pt_start(&p, rt_yaml, lport, port, d.port);
	ck_assert_int_eq(rt_open(lport, &held), 'B');
	rt_echo(held, 100);
	rt_dns_change(&d, "127.0.0.4 svc.test\n");
	ck_assert_msg(rt_wait_for(lport, 'D', 4 * PT_WAIT_MS),
	    "the proxy did not follow the record: %s", pt_read_file(p.log));
	ck_assert(rt_wait_log(&p, "upstream web now has 1 servers",
	    PT_WAIT_MS));
	/* The vanished address's session: still forwarded, both ways. */
	rt_echo(held, 8000);
	ck_assert_int_eq(shutdown(held, SHUT_WR), 0);
	ck_assert_int_eq(pt_recv_eof(held), 0);
	close(held);
	ck_assert_int_eq(rt_which(lport), 'D');
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b4);
}
END_TEST

/*
 * The resolver dies: the last good address keeps serving and the
 * failure is logged; it comes back with another record: followed.
 */
START_TEST(test_resolver_dies_and_returns)
{
	static char page[ST_PAGE_MAX];
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int sport = pt_free_port(SOCK_STREAM), i;
	pid_t b2, b3;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b3 = rt_backend("127.0.0.3", port, 'C');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	pt_start(&p, "stats: { listen: 127.0.0.1:%d }\n" RT_YAML, sport,
	    lport, port, d.port);
	ck_assert_int_eq(st_get(sport, "/metrics", page, ST_PAGE_MAX), 200);
	ck_assert_int_eq(st_value(page, "mioproxy_resolver_failures_total"),
	    0);
	ck_assert_int_eq(rt_which(lport), 'B');
	rt_dns_kill(&d);
	ck_assert_msg(rt_wait_log(&p, "keeping its last 1 addresses",
	    4 * PT_WAIT_MS), "no failure logged: %s", pt_read_file(p.log));
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(rt_which(lport), 'B');
	ck_assert_int_eq(st_get(sport, "/metrics", page, ST_PAGE_MAX), 200);
	ck_assert_int_ge(st_value(page, "mioproxy_resolver_failures_total"),
	    1);
	ck_assert_int_eq(st_get(sport, "/stats", page, ST_PAGE_MAX), 200);
	ck_assert_msg(strstr(page, "\"resolver_failures\":0,") == NULL &&
	    strstr(page, "\"resolver_failures\":") != NULL, "%s", page);
	/* Back, with another record, on the same port. */
	pt_write_file(d.hosts, "127.0.0.3 svc.test\n");
	rt_dns_spawn(&d);
	ck_assert_msg(rt_wait_for(lport, 'C', 4 * PT_WAIT_MS),
	    "the proxy did not follow the resolver's return: %s",
	    pt_read_file(p.log));
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b3);
}
END_TEST

/*
 * A reload whose lookups hang (dnsmasq stopped, not dead: its socket
 * takes the queries and answers none) does not stop the loop: an
 * established session is forwarded while the reload waits, and the
 * reload ends within the resolver's bounded timeouts, keeping the
 * followed name's last addresses.
 */
START_TEST(test_reload_does_not_block)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int held;
	struct pollfd pfd;
	char buf[256];
	ssize_t n;
	pid_t b2;

	b2 = rt_backend("127.0.0.2", port, 'B');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	pt_start(&p, rt_yaml, lport, port, d.port);
	ck_assert_int_eq(rt_open(lport, &held), 'B');
	ck_assert_int_eq(kill(d.pid, SIGSTOP), 0);
	ck_assert_int_eq(kill(p.pid, SIGHUP), 0);
	ck_assert(pt_wait_notify(&p, "RELOADING=1", PT_WAIT_MS));
	ck_assert(rt_wait_log(&p, "reload: looking up 1 host names",
	    PT_WAIT_MS));
	/* The lookups wait for c-ares' timeouts (seconds): meanwhile... */
	rt_echo(held, 5000);
	rt_echo(held, 5000);
	/* ...and the reload was still waiting when they came back. */
	pfd = (struct pollfd){ p.notify_fd, POLLIN, 0 };
	if (poll(&pfd, 1, 0) == 1) {
		n = recv(p.notify_fd, buf, sizeof(buf) - 1, 0);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strstr(buf, "READY=1") == NULL,
		    "the reload ended before the echo: the lookups did not "
		    "wait");
	}
	ck_assert(pt_wait_notify(&p, "READY=1", 6 * PT_WAIT_MS));
	ck_assert_msg(rt_wait_log(&p, "configuration reloaded", PT_WAIT_MS),
	    "%s", pt_read_file(p.log));
	ck_assert(strstr(pt_read_file(p.log), "keeping its last 1 addresses")
	    != NULL);
	rt_echo(held, 100);
	close(held);
	ck_assert_int_eq(rt_which(lport), 'B');
	kill(d.pid, SIGCONT);
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
}
END_TEST

/* The queries dnsmasq logged so far. */
static int
rt_dns_queries(const struct rt_dns *d)
{
	const char *p = pt_read_file(d->log);
	int n = 0;

	while ((p = strstr(p, "query[")) != NULL) {
		n++;
		p++;
	}
	return n;
}

/*
 * With refresh at an hour, the record's TTL alone brings the next
 * lookup: dnsmasq answers with a TTL of 0, the floor (a second) then
 * spaces the lookups, which neither spin nor wait for the refresh.
 */
START_TEST(test_ttl_sooner_than_refresh)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int before, after;
	pid_t b2, b3;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b3 = rt_backend("127.0.0.3", port, 'C');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	rt_dns_kill(&d);
	d.ttl = 0;
	rt_dns_spawn(&d);
	pt_start(&p, "version: 1\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: web }\n"
	    "upstreams:\n"
	    "  web: { servers: [ { address: \"svc.test:%d\", "
	    "resolve: true } ] }\n"
	    "resolver: { servers: [ " RT_DNS_ADDR ":%d ], refresh: 1h }\n",
	    lport, port, d.port);
	ck_assert_int_eq(rt_which(lport), 'B');
	before = rt_dns_queries(&d);
	test_sleep_ms(3000);
	after = rt_dns_queries(&d);
	/* A and AAAA once a second or so: a few, not thousands, not none. */
	ck_assert_msg(after - before >= 2 && after - before <= 16,
	    "%d queries in 3 s", after - before);
	rt_dns_change(&d, "127.0.0.3 svc.test\n");
	ck_assert_msg(rt_wait_for(lport, 'C', 4 * PT_WAIT_MS),
	    "the TTL did not bring a lookup: %s", pt_read_file(p.log));
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b3);
}
END_TEST

/* One datagram through the proxy from fd: the id that answered, or -1. */
static int
rt_udp_which(int fd, int lport)
{
	char buf[64];
	ssize_t n;

	pt_udp_send(fd, "127.0.0.1", lport, "ping", 4);
	n = pt_udp_recv(fd, buf, sizeof(buf), PT_WAIT_MS, NULL, NULL);
	if (n != 5 || memcmp(buf + 1, "ping", 4) != 0)
		return -1;
	return (unsigned char)buf[0];
}

static int
rt_udp_client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/*
 * Over UDP: a client's session keeps its server after the record moved
 * (its datagrams still go there, its replies still come back), while a
 * new client goes to the new address.
 */
START_TEST(test_udp_session_stays)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_DGRAM), port = pt_free_port(SOCK_DGRAM);
	int old, fresh, i, id = -1;
	int64_t end;
	pid_t b2, b4;

	b2 = rt_udp_backend("127.0.0.2", port, 'B');
	b4 = rt_udp_backend("127.0.0.4", port, 'D');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	pt_start(&p, "version: 1\n"
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, "
	    "upstream: dns, udp: { session_timeout: 1m } }\n"
	    "upstreams:\n"
	    "  dns: { servers: [ { address: \"svc.test:%d\", "
	    "resolve: true } ] }\n"
	    "resolver: { servers: [ " RT_DNS_ADDR ":%d ], refresh: 1s }\n",
	    lport, port, d.port);
	old = rt_udp_client();
	ck_assert_int_eq(rt_udp_which(old, lport), 'B');
	rt_dns_change(&d, "127.0.0.4 svc.test\n");
	end = test_now_ms() + 4 * PT_WAIT_MS;
	while (id != 'D' && test_now_ms() < end) {
		fresh = rt_udp_client();
		id = rt_udp_which(fresh, lport);
		close(fresh);
		if (id != 'D')
			test_sleep_ms(100);
	}
	ck_assert_msg(id == 'D', "the proxy did not follow the record: %s",
	    pt_read_file(p.log));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rt_udp_which(old, lport), 'B');
	close(old);
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b4);
}
END_TEST

/*
 * A reload that fails (a fixed name that does not resolve) after its
 * lookups learned a followed name's new address: the running
 * configuration stays, and follows the new address at once, though
 * neither the TTL (an hour) nor the refresh (an hour) would ask again.
 */
START_TEST(test_failed_reload_still_follows)
{
	static const char yaml[] = "version: 1\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: web }\n"
	    "upstreams:\n"
	    "  web: { servers: [ { address: \"svc.test:%d\", "
	    "resolve: true } ] }\n"
	    "%s"
	    "resolver: { servers: [ " RT_DNS_ADDR ":%d ], refresh: 1h }\n";
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	pid_t b2, b4;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b4 = rt_backend("127.0.0.4", port, 'D');
	rt_dns_start(&d, "127.0.0.2 svc.test\n");
	rt_dns_kill(&d);
	d.ttl = 3600;
	rt_dns_spawn(&d);
	pt_start(&p, yaml, lport, port, "", d.port);
	ck_assert_int_eq(rt_which(lport), 'B');
	rt_dns_change(&d, "127.0.0.4 svc.test\n");
	pt_reload(&p, yaml, lport, port,
	    "  other: { servers: [ { address: \"gone.test:80\" } ] }\n",
	    d.port);
	ck_assert_msg(rt_wait_log(&p, "reload failed", PT_WAIT_MS), "%s",
	    pt_read_file(p.log));
	ck_assert(strstr(pt_read_file(p.log), "cannot resolve \"gone.test\"")
	    != NULL);
	ck_assert_msg(rt_wait_for(lport, 'D', PT_WAIT_MS),
	    "the learned address was not followed: %s", pt_read_file(p.log));
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test gone.test");
	rt_backend_stop(b2);
	rt_backend_stop(b4);
}
END_TEST

/* `mioproxy -S sock ctl words`: its whole output in out. */
static void
rt_ctl(const char *sock, const char *words, char *out, size_t size)
{
	(void)pt_ctl('S', sock, words, out, size);
}

/*
 * The operator's state of a server whose address stays in the new
 * answer holds: a drained server stays drained, and new sessions go to
 * the address that came.
 */
START_TEST(test_state_kept)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	char sock[128], words[256], out[4096];
	int i;
	pid_t b2, b3, b4;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b3 = rt_backend("127.0.0.3", port, 'C');
	b4 = rt_backend("127.0.0.4", port, 'D');
	rt_dns_start(&d, "127.0.0.2 svc.test\n127.0.0.3 svc.test\n");
	snprintf(sock, sizeof(sock), "%s/admin.sock", d.dir);
	pt_start(&p, "admin: { socket: %s }\n" RT_YAML, sock, lport, port,
	    d.port);
	snprintf(words, sizeof(words), "set server web 127.0.0.2:%d state "
	    "drain", port);
	rt_ctl(sock, words, out, sizeof(out));
	ck_assert_str_eq(out, "ok\n");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rt_which(lport), 'C');
	/* .3 goes, .4 comes, .2 stays, drained. */
	rt_dns_change(&d, "127.0.0.2 svc.test\n127.0.0.4 svc.test\n");
	ck_assert_msg(rt_wait_for(lport, 'D', 4 * PT_WAIT_MS),
	    "the proxy did not follow the record: %s", pt_read_file(p.log));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(rt_which(lport), 'D');
	rt_ctl(sock, "show servers web", out, sizeof(out));
	snprintf(words, sizeof(words), "\nweb 127.0.0.2:%d drain ", port);
	ck_assert_msg(strstr(out, words) != NULL, "%s", out);
	snprintf(words, sizeof(words), "\nweb 127.0.0.4:%d up ", port);
	ck_assert_msg(strstr(out, words) != NULL, "%s", out);
	snprintf(words, sizeof(words), "127.0.0.3:%d", port);
	ck_assert_msg(strstr(out, words) == NULL, "%s", out);
	ck_assert_int_eq(pt_stop(&p), 0);
	unlink(sock);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b3);
	rt_backend_stop(b4);
}
END_TEST

/* A name that never resolved: the start fails with the file's place. */
START_TEST(test_start_unresolved)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM);

	rt_dns_start(&d, "127.0.0.2 other.test\n");
	rt_spawn(&p, rt_yaml, lport, 9, d.port);
	ck_assert_int_eq(pt_wait_exit(&p, 6 * PT_WAIT_MS), 1);
	ck_assert_msg(strstr(pt_read_file(p.log), ":11:20: upstreams.web."
	    "servers[0].address: bad address \"svc.test:9\": cannot "
	    "resolve \"svc.test\"") != NULL, "%s", pt_read_file(p.log));
	(void)pt_stop(&p);
	rt_dns_stop(&d, "svc.test");
}
END_TEST

/* --- with workers (process.workers: 2) -------------------------------- */

/*
 * Who holds a session is read from /proc: the supervisor's children are
 * the workers, /proc/net/tcp gives the proxy's end of a session by its
 * ports, and /proc/PID/fd which worker holds that socket.
 */

/*
 * The workers of supervisor sup (its children), waited for until two,
 * neither of them `gone` (0: none).
 */
static void
rt_workers_but(pid_t sup, pid_t gone, pid_t w[2])
{
	int64_t end = test_now_ms() + PT_WAIT_MS;
	char path[300], buf[512], *s;
	struct dirent *e;
	long ppid;
	int n = 0;
	FILE *f;
	DIR *d;

	while (n != 2) {
		ck_assert_msg(test_now_ms() < end, "no two workers");
		ck_assert_ptr_nonnull(d = opendir("/proc"));
		for (n = 0; (e = readdir(d)) != NULL;) {
			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			if (!isdigit((unsigned char)e->d_name[0]) ||
			    (f = fopen(path, "r")) == NULL)
				continue;
			s = fgets(buf, sizeof(buf), f);
			fclose(f);
			/* pid (comm) state ppid */
			if (s != NULL && (s = strrchr(buf, ')')) != NULL &&
			    sscanf(s + 2, "%*c %ld", &ppid) == 1 &&
			    ppid == sup && n < 2)
				w[n++] = (pid_t)atol(e->d_name);
		}
		closedir(d);
		if (n == 2 && gone != 0 && (w[0] == gone || w[1] == gone))
			n = 0;
		if (n != 2)
			test_sleep_ms(20);
	}
}

static void
rt_workers(pid_t sup, pid_t w[2])
{
	rt_workers_but(sup, 0, w);
}

/* Whether process pid holds the socket of this inode. */
static int
rt_holds(pid_t pid, unsigned long inode)
{
	char want[64], path[300], link[64];
	struct dirent *e;
	int found = 0;
	ssize_t k;
	DIR *d;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    e->d_name);
		k = readlink(path, link, sizeof(link) - 1);
		found = k > 0 && (link[k] = '\0', strcmp(link, want) == 0);
	}
	closedir(d);
	return found;
}

/* Which of the workers w holds the proxy's end of client fd on lport. */
static int
rt_worker_of(const pid_t w[2], int lport, int fd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	unsigned long inode = 0, ino;
	unsigned lp, rp;
	char line[512];
	FILE *f;

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	ck_assert_ptr_nonnull(f = fopen("/proc/net/tcp", "r"));
	while (inode == 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x "
		    "%*x %*u %*d %lu", &lp, &rp, &ino) == 3 &&
		    (int)lp == lport && rp == ntohs(a.sin_port))
			inode = ino;
	fclose(f);
	ck_assert_msg(inode != 0, "the proxy's end of a session is not "
	    "in /proc/net/tcp");
	return rt_holds(w[0], inode) ? 0 : rt_holds(w[1], inode) ? 1 : -1;
}

/*
 * A session through each worker on lport, held open in held[], each
 * having reached server `id` with its bytes intact.
 */
static void
rt_hold_both(const pid_t w[2], int lport, int id, int held[2])
{
	int i, fd, k;

	held[0] = held[1] = -1;
	for (i = 0; i < 64 && (held[0] < 0 || held[1] < 0); i++) {
		ck_assert_int_eq(rt_open(lport, &fd), id);
		k = rt_worker_of(w, lport, fd);
		ck_assert_int_ge(k, 0);
		if (held[k] < 0) {
			rt_echo(fd, 100);
			held[k] = fd;
		} else {
			close(fd);
		}
	}
	ck_assert_msg(held[0] >= 0 && held[1] >= 0, "64 sessions and one "
	    "worker took them all");
}

/* Waits until new sessions through both workers reach server id. */
static int
rt_wait_both(const pid_t w[2], int lport, int id, int ms)
{
	int64_t end = test_now_ms() + ms;
	int got[2] = { 0, 0 }, fd, k, r;

	while (!(got[0] && got[1]) && test_now_ms() < end) {
		if ((r = rt_open(lport, &fd)) < 0) {
			test_sleep_ms(50);
			continue;
		}
		if ((k = rt_worker_of(w, lport, fd)) >= 0 && r == id)
			got[k] = 1;
		close(fd);
	}
	return got[0] && got[1];
}

/* The end of a held session: more bytes intact, then a clean close. */
static void
rt_finish(int fd)
{
	rt_echo(fd, 8000);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
}

static int
rt_log_count(struct pt_proxy *p, const char *text)
{
	return pt_count(pt_read_file(p->log), text);
}

/* Waits until `text` is in the proxy's log n times; 1 when it is. */
static int
rt_wait_log_n(struct pt_proxy *p, const char *text, int n, int ms)
{
	int64_t end = test_now_ms() + ms;

	while (rt_log_count(p, text) < n) {
		if (test_now_ms() >= end)
			return 0;
		test_sleep_ms(50);
	}
	return 1;
}

/* Two workers, the admin socket, a second listener and upstream (%s). */
static const char rt_wyaml[] = "version: 1\n"
    "logging: { level: info }\n"
    "process: { workers: 2, shutdown_grace: 2s }\n"
    "stats: { listen: 127.0.0.1:%d }\n"
    "admin: { socket: ACCESS_LOG.sock }\n"
    "listeners:\n"
    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: web }\n"
    "%s"
    "upstreams:\n"
    "  web: { servers: [ { address: \"svc.test:%d\", resolve: true } ] }\n"
    "%s"
    "resolver: { servers: [ " RT_DNS_ADDR ":%d ], refresh: " RT_REFRESH
    " }\n";

#define RT_SECOND	"  - { name: x, protocol: tcp, bind: 127.0.0.1:%d, " \
    "upstream: web }\n"

/* The supervisor's reload counters, from `ctl show info` and /metrics. */
static void
rt_reloads(struct pt_proxy *p, int sport, int ok, int failed)
{
	static char page[ST_PAGE_MAX];
	char sock[300], want[128], out[4096];

	snprintf(sock, sizeof(sock), "%s.sock", p->access);
	rt_ctl(sock, "show info", out, sizeof(out));
	snprintf(want, sizeof(want), "\nworkers 2\n");
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "\nreloads %d\nreloads_failed %d\n", ok,
	    failed);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(st_get(sport, "/metrics", page, ST_PAGE_MAX), 200);
	ck_assert_int_eq(st_value(page,
	    "mioproxy_config_reloads_total{result=\"ok\"}"), ok);
	ck_assert_int_eq(st_value(page,
	    "mioproxy_config_reloads_total{result=\"failed\"}"), failed);
}

/*
 * The workers' fixture: the resolver on loopback with svc.test at
 * 127.0.0.2, the proxy on rt_wyaml (no second listener or upstream),
 * and its two workers in w.
 */
static void
rt_wstart(struct pt_proxy *p, struct rt_dns *d, int sport, int lport,
    int port, pid_t w[2])
{
	rt_dns_start(d, "127.0.0.2 svc.test\n");
	pt_start(p, rt_wyaml, sport, lport, "", port, "", d->port);
	rt_workers(p->pid, w);
}

/* svc.test moved to 127.0.0.4 ('D'): both workers follow it. */
static void
rt_both_follow(struct pt_proxy *p, struct rt_dns *d, const pid_t w[2],
    int lport)
{
	rt_dns_change(d, "127.0.0.4 svc.test\n");
	ck_assert_msg(rt_wait_both(w, lport, 'D', 4 * PT_WAIT_MS),
	    "the workers did not both follow the record: %s",
	    pt_read_file(p->log));
}

/*
 * The resolver hung (SIGSTOP) and a reload started that adds the second
 * listener on xport (its lines left in second): both workers are
 * looking the name up when this returns.
 */
static void
rt_reload_hung(struct pt_proxy *p, struct rt_dns *d, int sport, int lport,
    int port, int xport, char second[160])
{
	snprintf(second, 160, RT_SECOND, xport);
	ck_assert_int_eq(kill(d->pid, SIGSTOP), 0);
	pt_reload_start(p, rt_wyaml, sport, lport, second, port, "",
	    d->port);
	ck_assert_msg(rt_wait_log_n(p, "reload: looking up 1 host names", 2,
	    4 * PT_WAIT_MS), "%s", pt_read_file(p->log));
}

/*
 * Each worker follows the name on its own loop: the record changes, and
 * new sessions through either worker reach the new address, while a
 * session each worker holds on the old one finishes intact.
 */
START_TEST(test_workers_follow_change)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int sport = pt_free_port(SOCK_STREAM), held[2], i;
	pid_t w[2], b2, b4;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b4 = rt_backend("127.0.0.4", port, 'D');
	rt_wstart(&p, &d, sport, lport, port, w);
	rt_hold_both(w, lport, 'B', held);
	rt_both_follow(&p, &d, w, lport);
	/* Each worker looked the name up and moved on its own. */
	ck_assert_int_ge(rt_log_count(&p, "upstream web now has 1 servers"),
	    2);
	for (i = 0; i < 2; i++)
		rt_finish(held[i]);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(rt_which(lport), 'D');
	rt_reloads(&p, sport, 0, 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b4);
}
END_TEST

/*
 * A reload while the resolver hangs (dnsmasq stopped): the supervisor's
 * lookups, then each worker's on its loop, wait for c-ares' timeouts;
 * meanwhile a session in each worker is forwarded.  The reload is
 * taken by both workers (the new listener answers through each) and
 * counted once; a second one naming a host that cannot be looked up is
 * refused whole, and both workers keep what they serve.
 */
START_TEST(test_workers_reload_resolver_stopped)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int sport = pt_free_port(SOCK_STREAM), xport = pt_free_port(SOCK_STREAM);
	int held[2], more[2], i;
	char second[160];
	struct pollfd pfd;
	char buf[256];
	ssize_t n;
	pid_t w[2], b2;

	b2 = rt_backend("127.0.0.2", port, 'B');
	rt_wstart(&p, &d, sport, lport, port, w);
	rt_hold_both(w, lport, 'B', held);
	/* Both workers are looking the name up (the supervisor did)... */
	rt_reload_hung(&p, &d, sport, lport, port, xport, second);
	/* ...and forward meanwhile. */
	for (i = 0; i < 2; i++) {
		rt_echo(held[i], 5000);
		rt_echo(held[i], 5000);
	}
	pfd = (struct pollfd){ p.notify_fd, POLLIN, 0 };
	if (poll(&pfd, 1, 0) == 1) {
		n = recv(p.notify_fd, buf, sizeof(buf) - 1, 0);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strstr(buf, "READY=1") == NULL,
		    "the reload ended before the echo: the lookups did not "
		    "wait");
	}
	ck_assert(pt_wait_notify(&p, "READY=1", 6 * PT_WAIT_MS));
	ck_assert_msg(strstr(pt_read_file(p.log), "configuration reloaded "
	    "from") != NULL && strstr(pt_read_file(p.log), "(2 workers)") !=
	    NULL, "%s", pt_read_file(p.log));
	/* The supervisor and each worker kept the name's last address. */
	ck_assert_int_ge(rt_log_count(&p, "keeping its last 1 addresses"), 3);
	rt_hold_both(w, xport, 'B', more);	/* all: both took it */
	rt_reloads(&p, sport, 1, 0);
	/* A host that cannot be looked up: nothing, anywhere. */
	pt_reload_start(&p, rt_wyaml, sport, lport, "", port,
	    "  other: { servers: [ { address: \"gone.test:80\" } ] }\n",
	    d.port);
	ck_assert(pt_wait_notify(&p, "READY=1", 6 * PT_WAIT_MS));
	ck_assert_msg(strstr(pt_read_file(p.log), "cannot resolve "
	    "\"gone.test\"") != NULL, "%s", pt_read_file(p.log));
	rt_reloads(&p, sport, 1, 1);
	for (i = 0; i < 2; i++)
		close(more[i]);
	rt_hold_both(w, xport, 'B', more);	/* still served by both */
	for (i = 0; i < 2; i++) {
		rt_finish(more[i]);
		rt_finish(held[i]);
	}
	kill(d.pid, SIGCONT);
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test gone.test");
	rt_backend_stop(b2);
}
END_TEST

/*
 * The record moved and both workers followed; then the resolver dies and
 * a reload comes: it is taken, and each worker keeps the address it
 * followed, not the older one the supervisor last looked up.
 */
START_TEST(test_workers_dead_resolver_keeps_last)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int sport = pt_free_port(SOCK_STREAM), xport = pt_free_port(SOCK_STREAM);
	char second[160];
	pid_t w[2], b2, b4;

	b2 = rt_backend("127.0.0.2", port, 'B');
	b4 = rt_backend("127.0.0.4", port, 'D');
	rt_wstart(&p, &d, sport, lport, port, w);
	rt_both_follow(&p, &d, w, lport);
	rt_dns_kill(&d);
	snprintf(second, sizeof(second), RT_SECOND, xport);
	pt_reload_start(&p, rt_wyaml, sport, lport, second, port, "",
	    d.port);
	ck_assert(pt_wait_notify(&p, "READY=1", 6 * PT_WAIT_MS));
	rt_reloads(&p, sport, 1, 0);
	ck_assert_msg(rt_wait_both(w, xport, 'D', PT_WAIT_MS),
	    "a worker lost the followed address: %s", pt_read_file(p.log));
	ck_assert_msg(rt_wait_both(w, lport, 'D', PT_WAIT_MS),
	    "a worker lost the followed address: %s", pt_read_file(p.log));
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
	rt_backend_stop(b4);
}
END_TEST

/*
 * A worker stopped (SIGTERM) while its reload waits for the hanging
 * resolver: it drops the reload and says so, the supervisor aborts it in
 * the other worker too (the new listener is nowhere), the worker comes
 * back on the running configuration, and the next reload, with the
 * resolver back, is taken by both.
 */
START_TEST(test_workers_stop_while_looking_up)
{
	struct pt_proxy p;
	struct rt_dns d;
	int lport = pt_free_port(SOCK_STREAM), port = pt_free_port(SOCK_STREAM);
	int sport = pt_free_port(SOCK_STREAM), xport = pt_free_port(SOCK_STREAM);
	int held[2], more[2], i;
	char second[160];
	pid_t w[2], b2;

	b2 = rt_backend("127.0.0.2", port, 'B');
	rt_wstart(&p, &d, sport, lport, port, w);
	rt_hold_both(w, lport, 'B', held);
	rt_reload_hung(&p, &d, sport, lport, port, xport, second);
	ck_assert_int_eq(kill(w[0], SIGTERM), 0);
	ck_assert(pt_wait_notify(&p, "READY=1", 6 * PT_WAIT_MS));
	ck_assert_msg(strstr(pt_read_file(p.log), "could not apply it: every "
	    "worker keeps the running configuration") != NULL, "%s",
	    pt_read_file(p.log));
	rt_reloads(&p, sport, 0, 1);
	ck_assert_int_eq(pt_connect(xport), -ECONNREFUSED);
	rt_finish(held[1]);		/* the other worker's, intact */
	close(held[0]);
	kill(d.pid, SIGCONT);
	rt_workers_but(p.pid, w[0], w);	/* it came back */
	rt_hold_both(w, lport, 'B', held);
	pt_reload(&p, rt_wyaml, sport, lport, second, port, "", d.port);
	rt_reloads(&p, sport, 1, 1);
	rt_hold_both(w, xport, 'B', more);
	for (i = 0; i < 2; i++) {
		rt_finish(more[i]);
		rt_finish(held[i]);
	}
	ck_assert_int_eq(pt_stop(&p), 0);
	rt_dns_stop(&d, "svc.test");
	rt_backend_stop(b2);
}
END_TEST

/* Runs the suite in a network namespace of its own; 0 once inside. */
static int
rt_netns(char **argv)
{
	if (getenv("MIOPROXY_RT_NETNS") != NULL)
		return system("ip link set lo up") == 0 ? 0 : -1;
	if (system("unshare -n true >/dev/null 2>&1") != 0)
		return -1;
	setenv("MIOPROXY_RT_NETNS", "1", 1);
	execvp("unshare", (char *[]){ "unshare", "-n", "--", argv[0], NULL });
	return -1;
}

int
main(int argc, char **argv)
{
	Suite *s = suite_create("resolver");
	TCase *tc = tcase_create("resolver");

	(void)argc;
	if (rt_dnsmasq() == NULL) {
		printf("1..0 # SKIP dnsmasq is not installed (apt-get install "
		    "dnsmasq-base, or ./dev deps)\n");
		return 0;
	}
	if (rt_netns(argv) != 0) {
		printf("1..0 # SKIP unshare -n (a network namespace of the "
		    "test's own) is refused here\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60 * pt_slow());
	tcase_add_test(tc, test_two_addresses);
	tcase_add_test(tc, test_follows_change);
	tcase_add_test(tc, test_resolver_dies_and_returns);
	tcase_add_test(tc, test_reload_does_not_block);
	tcase_add_test(tc, test_state_kept);
	tcase_add_test(tc, test_udp_session_stays);
	tcase_add_test(tc, test_failed_reload_still_follows);
	tcase_add_test(tc, test_ttl_sooner_than_refresh);
	tcase_add_test(tc, test_start_unresolved);
	tcase_add_test(tc, test_workers_follow_change);
	tcase_add_test(tc, test_workers_reload_resolver_stopped);
	tcase_add_test(tc, test_workers_dead_resolver_keeps_last);
	tcase_add_test(tc, test_workers_stop_while_looking_up);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
