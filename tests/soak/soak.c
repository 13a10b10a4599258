/*
 * soak: minutes of mixed load on the real mioproxy (make soak, ./dev
 * soak; soak.h tells the whole design).
 *
 *   soak [-t SECONDS] [-c CONNS] [-u UDP] [-m MAX_BYTES] [-r RELOAD_MS]
 *        [-s SEED] [-v] MIOPROXY
 *
 * The run: the backends (a child) and the daemon start; for SECONDS the
 * clients hold CONNS TCP connections and UDP sockets busy while the
 * daemon reloads every RELOAD_MS or so; then the load stops, every
 * session in flight must finish, the daemon's descriptors must come
 * back to where they were, and it must exit cleanly on SIGTERM with
 * nothing from the sanitizers in its stderr.  It prints what it held and
 * exits 0, or 1 on any failure (2: could not run).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "soak.h"

#define SOAK_TICK_MS		10
#define SOAK_DRAIN_MS		120000	/* for the sessions in flight */
#define SOAK_REPORT_MS		10000
#define SOAK_BACKEND_MS		30000

uint64_t soak_ev[EV_COUNT];
struct soak_opt soak_opt = {
	.seconds = 300,
	.conns = 3000,
	.udp = 2000,
	.max_size = 4u << 20,
	.reload_ms = 3000,
};
int soak_epoll = -1;

/* The events that fail the run, and how the report names them. */
static const struct {
	enum soak_ev	 ev;
	const char	*name;
} soak_failures[] = {
	{ EV_TCP_CONNECT_ERR, "tcp: connect failed" },
	{ EV_TCP_CORRUPT, "tcp: echoed bytes differ" },
	{ EV_TCP_EXCESS, "tcp: more echoed than sent" },
	{ EV_TCP_SHORT_EOF, "tcp: stream cut short by a FIN" },
	{ EV_TCP_UNEXPECTED_RESET, "tcp: reset nobody injected" },
	{ EV_TCP_RESET_AS_EOF, "tcp: server's reset became a FIN" },
	{ EV_TCP_STUCK, "tcp: not finished after the drain" },
	{ EV_UDP_MISDELIVERED, "udp: reply reached another socket, "
	    "within the port's rest" },
	{ EV_UDP_CORRUPT, "udp: reply differs from its request" },
	{ EV_UDP_WRONG_SOURCE, "udp: reply from another address" },
	{ EV_UDP_DUPLICATE, "udp: reply nobody sent twice came twice" },
	{ EV_UDP_UNKNOWN_SEQ, "udp: reply to a request never sent" },
	{ EV_B_BAD_HEADER, "backend: stream without our header" },
	{ EV_B_CORRUPT, "backend: received bytes differ" },
	{ EV_B_EXCESS, "backend: more received than sent" },
	{ EV_B_SHORT, "backend: stream cut short by a FIN" },
	{ EV_B_UNEXPECTED_RESET, "backend: reset nobody injected" },
	{ EV_B_RESET_AS_EOF, "backend: client's reset became a FIN" },
	{ EV_B_LEFT_OPEN, "backend: connections the proxy never closed" },
	{ EV_BU_CORRUPT, "backend: datagram differs" },
	{ EV_RELOAD_STUCK, "daemon: reload without READY=1" },
	{ EV_RELOAD_FAILED, "daemon: reload failed" },
	{ EV_DAEMON_DIED, "daemon: died" },
	{ EV_DAEMON_EXIT, "daemon: unclean exit on SIGTERM" },
	{ EV_SANITIZER, "daemon: sanitizer report lines" },
	{ EV_FD_LEAK, "daemon: descriptors not back to baseline" },
};

int64_t
soak_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
soak_watch(int fd, void *tag, uint32_t events, int add)
{
	struct epoll_event ev = { .events = events, .data.ptr = tag };

	if (epoll_ctl(soak_epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd,
	    &ev) < 0)
		soak_fail("epoll_ctl: %s", strerror(errno));
}

void
soak_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "soak: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);	/* the children die with us (PR_SET_PDEATHSIG) */
}

/* As many descriptors as the hard limit allows, for us and the daemon. */
void
soak_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: soak [-t SECONDS] [-c CONNS] [-u UDP] "
	    "[-m MAX_BYTES] [-r RELOAD_MS] [-s SEED] [-v] MIOPROXY\n"
	    "  -t  seconds of load (300)\n"
	    "  -c  TCP connections held at once (3000)\n"
	    "  -u  UDP client sockets (2000)\n"
	    "  -m  the largest TCP stream, in bytes (4194304)\n"
	    "  -r  mean milliseconds between reloads (3000)\n"
	    "  -s  the seed of a run to repeat (printed by each run)\n"
	    "  -v  print the daemon's notify messages\n");
	exit(2);
}

static void
options(int argc, char **argv)
{
	int ch;

	soak_opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((ch = getopt(argc, argv, "t:c:u:m:r:s:vh")) != -1) {
		switch (ch) {
		case 't':
			soak_opt.seconds = atoi(optarg);
			break;
		case 'c':
			soak_opt.conns = atoi(optarg);
			break;
		case 'u':
			soak_opt.udp = atoi(optarg);
			break;
		case 'm':
			soak_opt.max_size = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			soak_opt.reload_ms = atoi(optarg);
			break;
		case 's':
			soak_opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			soak_opt.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || soak_opt.seconds < 1 || soak_opt.conns < 1 ||
	    soak_opt.udp < 1 || soak_opt.max_size < 1 ||
	    soak_opt.reload_ms < 100)
		usage();
	soak_opt.proxy = argv[optind];
}

static void
dispatch(struct epoll_event *ev)
{
	switch (*(int *)ev->data.ptr) {
	case TAG_TCP_CLIENT:
		tcp_event(ev->data.ptr, ev->events);
		break;
	case TAG_UDP_CLIENT:
		udp_event(ev->data.ptr, ev->events);
		break;
	case TAG_NOTIFY:
		proxy_event(ev->events);
		break;
	default:
		break;
	}
}

static void
progress(int64_t t0, int64_t now)
{
	long fds, rss;

	proxy_sample(&fds, &rss);
	printf("soak: %3d s: %d TCP open, %" PRIu64 " done, %.2f GB sent; "
	    "%" PRIu64 " UDP replies; %" PRIu64 " reloads; daemon %ld fds, "
	    "%.1f MB\n", (int)((now - t0) / 1000), tcp_open_count(),
	    soak_ev[EV_TCP_DONE], soak_ev[EV_TCP_BYTES_SENT] / 1e9,
	    soak_ev[EV_UDP_REPLIED], soak_ev[EV_RELOADS], fds, rss / 1024.0);
	fflush(stdout);
}

/* The load for soak_opt.seconds, then the drain. */
static void
run(void)
{
	struct epoll_event evs[512];
	int64_t t0 = soak_now(), now = t0, stop = t0 + soak_opt.seconds *
	    1000ll, drain_end = stop + SOAK_DRAIN_MS, next_tick = t0,
	    next_report = t0 + SOAK_REPORT_MS;
	int i, n;

	while (proxy_alive()) {
		int loading = now < stop;

		n = epoll_wait(soak_epoll, evs, 512, SOAK_TICK_MS);
		for (i = 0; i < n; i++)
			dispatch(&evs[i]);
		now = soak_now();
		if (now >= next_tick) {
			tcp_tick(now, loading);
			udp_tick(now, loading);
			proxy_tick(now, loading);
			next_tick = now + SOAK_TICK_MS;
		}
		if (now >= next_report) {
			progress(t0, now);
			next_report = now + SOAK_REPORT_MS;
		}
		if (!loading && ((tcp_open_count() == 0 &&
		    udp_outstanding() == 0 && proxy_reload_idle()) ||
		    now >= drain_end))
			break;
	}
	progress(t0, now);
}

/* Takes the backend's counters: 0, or -1 if it gave none. */
static int
backend_collect(pid_t pid, int ctl, int report)
{
	uint64_t bev[EV_COUNT];
	struct pollfd pfd = { report, POLLIN, 0 };
	size_t got = 0;
	int i;

	close(ctl);	/* no more load: finish */
	while (got < sizeof(bev) && poll(&pfd, 1, SOAK_BACKEND_MS) > 0) {
		ssize_t n = read(report, (char *)bev + got, sizeof(bev) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(report);
	kill(pid, SIGKILL);	/* if it is stuck; it exits by itself */
	waitpid(pid, NULL, 0);
	if (got != sizeof(bev))
		return -1;
	for (i = EV_B_ACCEPTED; i <= EV_BU_CORRUPT; i++)
		soak_ev[i] = bev[i];
	return 0;
}

static int
report(int backend_ok)
{
	unsigned i, failed = 0;

	printf("\nsoak: %d s, %d TCP connections and %d UDP sockets held, "
	    "streams up to %" PRIu64 " bytes, seed %#" PRIx64 "\n",
	    soak_opt.seconds, soak_opt.conns, soak_opt.udp, soak_opt.max_size,
	    soak_opt.seed);
	tcp_report();
	printf("       bytes: clients sent %" PRIu64 ", got back %" PRIu64
	    "; backends received %" PRIu64 ", sent %" PRIu64 "\n",
	    soak_ev[EV_TCP_BYTES_SENT], soak_ev[EV_TCP_BYTES_RECV],
	    soak_ev[EV_B_BYTES_IN], soak_ev[EV_B_BYTES_OUT]);
	printf("       backends: %" PRIu64 " accepted, %" PRIu64 " ended as "
	    "asked (%" PRIu64 " resets sent, %" PRIu64 " client resets seen "
	    "as resets), closed before their header: %" PRIu64 " by a reset, "
	    "%" PRIu64 " by a FIN\n",
	    soak_ev[EV_B_ACCEPTED], soak_ev[EV_B_DONE],
	    soak_ev[EV_B_RESET_SENT], soak_ev[EV_B_RESET_SEEN],
	    soak_ev[EV_B_EARLY_RESET], soak_ev[EV_B_EARLY_CLOSE]);
	udp_report();
	printf("       backends: %" PRIu64 " datagrams received, %" PRIu64
	    " sent (%" PRIu64 " held back, %" PRIu64 " doubled, %" PRIu64
	    " send errors)\n", soak_ev[EV_BU_RECV], soak_ev[EV_BU_SENT],
	    soak_ev[EV_BU_DELAYED], soak_ev[EV_BU_DOUBLED],
	    soak_ev[EV_BU_SEND_ERR]);
	proxy_report();
	printf("errors:");
	for (i = 0; i < sizeof(soak_failures) / sizeof(soak_failures[0]); i++)
		if (soak_ev[soak_failures[i].ev] != 0) {
			printf("\n       %s: %" PRIu64, soak_failures[i].name,
			    soak_ev[soak_failures[i].ev]);
			failed = 1;
		}
	if (!backend_ok) {
		printf("\n       backend: no report");
		failed = 1;
	}
	printf("%s\nsoak: %s\n", failed ? "" : " none",
	    failed ? "FAILED" : "passed");
	return failed;
}

int
main(int argc, char **argv)
{
	struct backend_socks b;
	struct proxy_ports pp;
	int ctl[2], rep[2], backend_ok, rc;
	pid_t backend;

	options(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	soak_raise_nofile();
	rnd_seed(soak_opt.seed);
	if (backend_socks_open(&b) != 0 || pipe2(ctl, O_CLOEXEC) != 0 ||
	    pipe2(rep, O_CLOEXEC) != 0)
		soak_fail("backend sockets: %s", strerror(errno));
	if ((backend = fork()) < 0)
		soak_fail("fork: %s", strerror(errno));
	if (backend == 0) {
		close(ctl[1]);
		close(rep[0]);
		rnd_seed(soak_opt.seed ^ 0x5bd1e995u);
		backend_run(&b, ctl[0], rep[1]);
	}
	close(ctl[0]);
	close(rep[1]);
	for (rc = 0; rc < 2; rc++) {
		close(b.tcp[rc]);
		close(b.udp[rc]);
	}
	if ((soak_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0)
		soak_fail("epoll: %s", strerror(errno));
	if (proxy_start(&b, &pp) != 0)
		soak_fail("mioproxy did not become ready");
	printf("soak: %d s, seed %#" PRIx64 ": mioproxy on TCP %d, UDP %d "
	    "and %d\n", soak_opt.seconds, soak_opt.seed, pp.tcp, pp.udp,
	    pp.dns);
	tcp_start(&pp);
	udp_start(&pp);
	run();
	tcp_stuck();
	udp_stop();
	backend_ok = backend_collect(backend, ctl[1], rep[0]) == 0;
	(void)proxy_finish();
	rc = report(backend_ok);
	close(soak_epoll);
	return rc;
}
