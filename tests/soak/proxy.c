/*
 * The daemon under test: its two configuration files (equivalent: the
 * same listeners, the same servers in another order behind another
 * balancer, so that each reload builds a new generation that sessions
 * must outlive), its start and readiness through the systemd notify
 * protocol (a datagram socket of ours as NOTIFY_SOCKET), a reload every
 * few seconds, and what it costs: resident memory and descriptors,
 * sampled from /proc/PID/status and /proc/PID/fd.  At the end: its
 * descriptors back to the baseline taken when it became ready, a clean
 * exit on SIGTERM, and no sanitizer report in its stderr.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "soak.h"

#define PROXY_READY_MS		30000	/* ASan starts slowly */
#define PROXY_RELOAD_MS		15000	/* RELOADING=1 to READY=1, at most */
#define PROXY_FDS_MS		20000	/* for descriptors back to baseline */
#define PROXY_STOP_MS		20000
#define PROXY_SAMPLE_MS		250

static pid_t proxy_pid;
static int proxy_notify = -1;
static char proxy_dir[64], proxy_conf[128], proxy_log[128];
static char proxy_text[2][4096];	/* the two configurations */
static int proxy_which;			/* the one in place */
static int proxy_tag = TAG_NOTIFY;
static int proxy_status = -1;		/* its wait status once it ended */

/* Reload state: idle, or waiting for RELOADING=1 then READY=1. */
static int proxy_reload_phase;
static int64_t proxy_reload_at, proxy_reload_sent;

static long proxy_fds_base, proxy_fds_peak, proxy_fds_end;
static long proxy_rss_peak, proxy_rss_base, proxy_hwm;
static long proxy_fds_last, proxy_rss_last;
static int64_t proxy_sample_at;
static int proxy_sanitized;

static const char proxy_yaml[] =
    "# soak test, configuration %c\n"
    "version: 1\n"
    "process: { io: %s, max_fds: %ld, shutdown_grace: 5s }\n"
    "logging: { level: info, access: { target: off } }\n"
    "defaults:\n"
    "  timeouts: { connect: %s, idle: 60s, half_close: 60s }\n"
    "  limits: { max_connections: 20000 }\n"
    "listeners:\n"
    "  - { name: tcp, protocol: tcp, bind: [ 127.0.0.1:%d%s ],"
    " upstream: echo }\n"
    "  - { name: udp, protocol: udp, bind: 127.0.0.1:%d, upstream: uecho,\n"
    "      udp: { session_timeout: 2s, max_sessions: 100000 } }\n"
    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: uecho,\n"
    "      udp: { session_timeout: 2s, max_sessions: 256, responses: 1 } }\n"
    "upstreams:\n"
    "  echo:\n"
    "    balance: %s\n"
    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n"
    "    connect: { timeout: %s, tries: 2 }\n"
    "  uecho:\n"
    "    balance: %s\n"
    "    servers: [ { address: 127.0.0.1:%d }, { address: 127.0.0.1:%d } ]\n";

static int
port_bindable(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* A port below the ephemeral range, free for TCP and UDP (as in
 * tests/daemon/proxytest.h: no connection of anyone's takes it). */
static int
free_port(int avoid)
{
	int i;

	for (i = 0; i < 1000; i++) {
		int port = 20000 + (int)rnd_below(12000);

		if (port != avoid && port_bindable(SOCK_STREAM, port) &&
		    port_bindable(SOCK_DGRAM, port))
			return port;
	}
	soak_fail("no free port below 32000");
	return -1;
}

static int
v6_works(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	a.sin6_addr = in6addr_loopback;
	a.sin6_port = htons((uint16_t)port);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		soak_fail("%s: %s", path, strerror(errno));
}

static void
proxy_configs(const struct backend_socks *b, const struct proxy_ports *pp)
{
	struct rlimit rl;
	char v6[32] = "";
	/* The engine named (MIOPROXY_TEST_IO, else readiness), not what
	 * io: auto would pick on this kernel. */
	const char *io = getenv("MIOPROXY_TEST_IO");
	int i;

	if (io == NULL || *io == '\0')
		io = "readiness";
	getrlimit(RLIMIT_NOFILE, &rl);
	if (pp->v6)
		snprintf(v6, sizeof(v6), ", \"[::1]:%d\"", pp->tcp);
	for (i = 0; i < 2; i++)
		snprintf(proxy_text[i], sizeof(proxy_text[i]), proxy_yaml,
		    'A' + i, io, (long)rl.rlim_cur, i ? "4s" : "3s", pp->tcp, v6,
		    pp->udp, pp->dns, i ? "least_conn" : "round_robin",
		    b->port_tcp[i], b->port_tcp[1 - i], i ? "4s" : "3s",
		    i ? "source_hash" : "round_robin", b->port_udp[i],
		    b->port_udp[1 - i]);
}

static long
proxy_count_fds(void)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)proxy_pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* A field of /proc/PID/status in kB (VmRSS, VmHWM), -1 if none. */
static long
proxy_status_kb(const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)proxy_pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			kb = strtol(line + flen + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* Whether the daemon's process maps a sanitizer runtime. */
static int
proxy_maps_asan(void)
{
	char path[64], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)proxy_pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "libasan") != NULL;
	fclose(f);
	return found;
}

static void
proxy_spawn(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char notify_path[100];

	snprintf(notify_path, sizeof(notify_path), "%s/notify", proxy_dir);
	proxy_notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", notify_path);
	if (proxy_notify < 0 || bind(proxy_notify, (struct sockaddr *)&un,
	    sizeof(un)) < 0)
		soak_fail("notify socket: %s", strerror(errno));
	if ((proxy_pid = fork()) < 0)
		soak_fail("fork: %s", strerror(errno));
	if (proxy_pid == 0) {
		int fd = open(proxy_log, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		/* Never outlive the test, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		execl(soak_opt.proxy, "mioproxy", "-c", proxy_conf,
		    (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", soak_opt.proxy,
		    strerror(errno));
		_exit(127);
	}
}

/* Reads what the notify socket holds; 1 if it said `want`. */
static int
proxy_heard(const char *want)
{
	char buf[1024];
	ssize_t n;
	int seen = 0;

	while ((n = recv(proxy_notify, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if (soak_opt.verbose)
			fprintf(stderr, "soak: notify: %s\n", buf);
		if (want != NULL && strstr(buf, want) != NULL)
			seen = 1;
		if (proxy_reload_phase == 1 && strstr(buf, "RELOADING=1"))
			proxy_reload_phase = 2;
		if (proxy_reload_phase == 2 && strstr(buf, "READY=1")) {
			proxy_reload_phase = 0;
			soak_ev[EV_RELOADS]++;
		}
	}
	return seen;
}

int
proxy_start(const struct backend_socks *b, struct proxy_ports *pp)
{
	int64_t end;

	pp->tcp = free_port(0);
	pp->udp = free_port(pp->tcp);
	do
		pp->dns = free_port(pp->tcp);
	while (pp->dns == pp->udp);
	pp->v6 = v6_works(pp->tcp);
	snprintf(proxy_dir, sizeof(proxy_dir), "/tmp/mioproxy-soak-XXXXXX");
	if (mkdtemp(proxy_dir) == NULL)
		soak_fail("mkdtemp: %s", strerror(errno));
	snprintf(proxy_conf, sizeof(proxy_conf), "%s/mioproxy.yaml",
	    proxy_dir);
	snprintf(proxy_log, sizeof(proxy_log), "%s/stderr.log", proxy_dir);
	proxy_configs(b, pp);
	write_file(proxy_conf, proxy_text[0]);
	proxy_spawn();
	end = soak_now() + PROXY_READY_MS;
	while (!proxy_heard("READY=1")) {
		if (soak_now() > end || !proxy_alive())
			return -1;
		usleep(10000);
	}
	usleep(500000);		/* whatever it opens after READY=1 */
	proxy_fds_base = proxy_fds_peak = proxy_count_fds();
	proxy_rss_base = proxy_rss_peak = proxy_status_kb("VmRSS");
	proxy_sanitized = proxy_maps_asan();
	soak_watch(proxy_notify, &proxy_tag, EPOLLIN, 1);
	proxy_reload_at = soak_now() + soak_opt.reload_ms;
	return 0;
}

void
proxy_event(uint32_t events)
{
	(void)events;
	(void)proxy_heard(NULL);
}

/* Replaces the file by the other one, atomically, and sends SIGHUP. */
static void
proxy_reload(int64_t now)
{
	char tmp[160];

	proxy_which = 1 - proxy_which;
	snprintf(tmp, sizeof(tmp), "%s/next.yaml", proxy_dir);
	write_file(tmp, proxy_text[proxy_which]);
	if (rename(tmp, proxy_conf) != 0)
		soak_fail("rename: %s", strerror(errno));
	proxy_reload_phase = 1;
	proxy_reload_sent = now;
	kill(proxy_pid, SIGHUP);
}

/* Whether the daemon still runs; if not, why, once. */
int
proxy_alive(void)
{
	int status;

	if (proxy_status >= 0)
		return 0;
	if (waitpid(proxy_pid, &status, WNOHANG) != proxy_pid)
		return 1;
	proxy_status = status;
	soak_ev[EV_DAEMON_DIED]++;
	fprintf(stderr, "soak: the daemon died: %s %d (its stderr: %s)\n",
	    WIFSIGNALED(status) ? "signal" : "exit status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	    proxy_log);
	return 0;
}

/* Reloads when due (while `reloading`), and samples the daemon. */
void
proxy_tick(int64_t now, int reloading)
{
	if (!proxy_alive())
		return;
	if (proxy_reload_phase != 0 &&
	    now - proxy_reload_sent > PROXY_RELOAD_MS) {
		fprintf(stderr, "soak: reload not done after %d ms\n",
		    PROXY_RELOAD_MS);
		soak_ev[EV_RELOAD_STUCK]++;
		proxy_reload_phase = 0;
	}
	if (reloading && proxy_reload_phase == 0 && now >= proxy_reload_at) {
		proxy_reload(now);
		proxy_reload_at = now + soak_opt.reload_ms / 2 +
		    (int64_t)rnd_below((uint64_t)soak_opt.reload_ms);
	}
	if (now >= proxy_sample_at) {
		long fds = proxy_count_fds(), rss = proxy_status_kb("VmRSS");

		proxy_sample_at = now + PROXY_SAMPLE_MS;
		proxy_fds_last = fds;
		proxy_rss_last = rss;
		if (fds > proxy_fds_peak)
			proxy_fds_peak = fds;
		if (rss > proxy_rss_peak)
			proxy_rss_peak = rss;
	}
}

void
proxy_sample(long *fds, long *rss_kb)
{
	*fds = proxy_fds_last;
	*rss_kb = proxy_rss_last;
}

int
proxy_reload_idle(void)
{
	return proxy_reload_phase == 0;
}

/* Counts the sanitizer reports and failed reloads in its stderr. */
static void
proxy_scan_log(void)
{
	static const char *const marks[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
		"WARNING: AddressSanitizer"
	};
	char line[1024];
	unsigned shown = 0, i;
	FILE *f = fopen(proxy_log, "re");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		int bad = 0;

		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (strstr(line, marks[i]) != NULL) {
				soak_ev[EV_SANITIZER]++;
				bad = 1;
			}
		if (strstr(line, "reload failed") != NULL) {
			soak_ev[EV_RELOAD_FAILED]++;
			bad = 1;
		}
		if ((bad || strncmp(line, "error:", 6) == 0 ||
		    strncmp(line, "warn", 4) == 0) && shown++ < 20)
			fprintf(stderr, "soak: daemon: %s", line);
	}
	fclose(f);
}

/*
 * The end: descriptors back to the baseline (waiting for the UDP
 * sessions to time out and the pipe pool to empty), then SIGTERM and a
 * clean exit, then its stderr.  0 if all went well.
 */
int
proxy_finish(void)
{
	int64_t end = soak_now() + PROXY_FDS_MS;
	int status;

	while (proxy_alive() && (proxy_fds_end = proxy_count_fds()) !=
	    proxy_fds_base && soak_now() < end)
		usleep(100000);
	if (proxy_alive()) {
		if (proxy_fds_end != proxy_fds_base) {
			fprintf(stderr, "soak: the daemon holds %ld "
			    "descriptors, %ld at the start\n", proxy_fds_end,
			    proxy_fds_base);
			soak_ev[EV_FD_LEAK]++;
		}
		proxy_hwm = proxy_status_kb("VmHWM");
		kill(proxy_pid, SIGTERM);
		end = soak_now() + PROXY_STOP_MS;
		while (waitpid(proxy_pid, &status, WNOHANG) != proxy_pid) {
			if (soak_now() > end) {
				kill(proxy_pid, SIGKILL);
				waitpid(proxy_pid, &status, 0);
				break;
			}
			usleep(20000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "soak: the daemon's exit on SIGTERM: "
			    "%s %d\n", WIFSIGNALED(status) ? "signal" :
			    "status", WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			soak_ev[EV_DAEMON_EXIT]++;
		}
	}
	close(proxy_notify);
	proxy_scan_log();
	return soak_ev[EV_DAEMON_DIED] + soak_ev[EV_DAEMON_EXIT] +
	    soak_ev[EV_SANITIZER] + soak_ev[EV_FD_LEAK] +
	    soak_ev[EV_RELOAD_FAILED] + soak_ev[EV_RELOAD_STUCK] != 0;
}

/* Removes the temporary files, unless the log is evidence. */
static void
proxy_clean(int keep)
{
	char path[160];

	if (keep) {
		printf("       the daemon's files are kept in %s\n", proxy_dir);
		return;
	}
	unlink(proxy_conf);
	unlink(proxy_log);
	snprintf(path, sizeof(path), "%s/notify", proxy_dir);
	unlink(path);
	rmdir(proxy_dir);
}

void
proxy_report(void)
{
	printf("daemon: %s, %llu reloads (%llu failed, %llu stuck)\n",
	    proxy_sanitized ? "ASan+UBSan build" : "NOT a sanitized build",
	    (unsigned long long)soak_ev[EV_RELOADS],
	    (unsigned long long)soak_ev[EV_RELOAD_FAILED],
	    (unsigned long long)soak_ev[EV_RELOAD_STUCK]);
	printf("       peak RSS %.1f MB (VmHWM %.1f MB; %.1f MB when ready), "
	    "peak descriptors %ld (%ld when ready, %ld at the end)\n",
	    proxy_rss_peak / 1024.0, proxy_hwm / 1024.0,
	    proxy_rss_base / 1024.0, proxy_fds_peak, proxy_fds_base,
	    proxy_fds_end);
	if (proxy_sanitized)
		printf("       (RSS counts ASan's quarantine of freed memory, "
		    "up to 256 MB; ASAN_OPTIONS=quarantine_size_mb=1 for the "
		    "daemon's own)\n");
	proxy_clean(soak_ev[EV_DAEMON_DIED] + soak_ev[EV_SANITIZER] +
	    soak_ev[EV_DAEMON_EXIT] + soak_ev[EV_FD_LEAK] != 0);
}
