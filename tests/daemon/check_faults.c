/*
 * Out of memory, everywhere: a test build of the daemon whose Nth
 * allocation fails (tests/daemon/faultinj.c) runs a start, TCP and UDP
 * traffic, two reloads and a stop, for N = 1, 2, ... until a run makes
 * fewer than N allocations.  Each run must end cleanly: a start that
 * fails exits with the start-up status and a message, a reload that fails
 * keeps the old configuration, a connection or datagram that cannot be
 * served is shed; the daemon never crashes, and under the sanitizers
 * nothing is read out of bounds or leaked.
 */
#include "config.h"

#include "../common.h"
#include "proxytest.h"

#define FI_RUNS_MAX	600	/* far above what one run allocates */
#define FI_SANITIZER_EXIT 99

#define FI_YAML								\
	"version: 1\n"							\
	"logging: { level: debug, access: { target: ACCESS_LOG, format: json } }\n" \
	"admin: { socket: ACCESS_LOG.sock }\n"				\
	"listeners:\n"							\
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: %s }\n" \
	"  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: d }\n" \
	"upstreams:\n"							\
	"  t: { servers: [ { address: 127.0.0.1:%d } ] }\n"		\
	"  t2: { balance: least_conn, servers: [ { address: 127.0.0.1:%d }, " \
	"{ address: 127.0.0.1:%d, weight: 2 } ] }\n"			\
	"  d: { balance: consistent_hash, hash: { key: client_ip_port }, " \
	"servers: [ { address: 127.0.0.1:%d } ] }\n"

struct fi_env {
	int	tcp_port, udp_port;
	int	refused_port;		/* nobody listens there */
	struct pt_echo echo;
	struct pt_uecho uecho;
};

static void
fi_spawn(struct pt_proxy *p, const char *yaml, ...)
    __attribute__((format(printf, 2, 3)));

static void
fi_spawn(struct pt_proxy *p, const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_spawn(p, 0, yaml, ap);
	va_end(ap);
}

static void
fi_text(const struct pt_proxy *p, char *text, size_t size,
    const char *yaml, ...) __attribute__((format(printf, 4, 5)));

static void
fi_text(const struct pt_proxy *p, char *text, size_t size,
    const char *yaml, ...)
{
	va_list ap;

	va_start(ap, yaml);
	pt_format(p, text, size, yaml, ap);
	va_end(ap);
}

/* Waits for READY=1 (1) or for the process to end (0, status set). */
static int
fi_wait_ready(struct pt_proxy *p, int *status)
{
	int64_t end = test_now_ms() + PT_WAIT_MS;

	while (test_now_ms() < end) {
		int st;

		if (pt_wait_notify(p, "READY=1", 20))
			return 1;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = 0;
			*status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
			return 0;
		}
	}
	ck_abort_msg("neither ready nor gone: %s", pt_read_file(p->log));
	return 0;
}

/* One echo over TCP, without judging: a shed connection is allowed. */
static void
fi_tcp(int port)
{
	struct pollfd pfd;
	char buf[4];
	int fd = pt_connect(port);

	if (fd < 0)
		return;
	if (send(fd, "ping", 4, MSG_NOSIGNAL) == 4) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) > 0)
			(void)!recv(fd, buf, sizeof(buf), 0);
	}
	close(fd);
}

static void
fi_udp(int port)
{
	char buf[8];
	int fd = pt_udp_socket(AF_INET, 0, NULL);

	pt_udp_send(fd, "127.0.0.1", port, "q", 1);
	(void)pt_udp_recv(fd, buf, sizeof(buf), 200, NULL, NULL);
	close(fd);
}

/* One admin command, without judging: a shed client is allowed. */
static void
fi_admin(const struct pt_proxy *p, const char *cmd)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	char buf[512];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(p->access) + 5, sizeof(un.sun_path));
	memcpy(un.sun_path, p->access, strlen(p->access));
	memcpy(un.sun_path + strlen(p->access), ".sock", 6);
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0 &&
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) > 0) {
		shutdown(fd, SHUT_WR);	/* the daemon closes after replying */
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, 500) > 0 &&
		    recv(fd, buf, sizeof(buf), 0) > 0)
			;
	}
	close(fd);
}

/* SIGHUP with `ups` in the file; READY=1 comes, taken or refused. */
static void
fi_reload(struct pt_proxy *p, const struct fi_env *e, const char *ups)
{
	char text[8192], tmp[256];

	fi_text(p, text, sizeof(text), FI_YAML, e->tcp_port, ups,
	    e->udp_port, e->echo.port, e->echo.port, e->refused_port,
	    e->uecho.port);
	snprintf(tmp, sizeof(tmp), "%s/proxy2.yaml", p->dir);
	pt_write_file(tmp, text);
	ck_assert_int_eq(rename(tmp, p->conf), 0);
	ck_assert_int_eq(kill(p->pid, SIGHUP), 0);
	if (!pt_wait_notify(p, "READY=1", PT_WAIT_MS))
		ck_abort_msg("no READY after a reload: %s",
		    pt_read_file(p->log));
}

static int
fi_sanitizer_report(const char *log)
{
	return strstr(log, "AddressSanitizer") != NULL ||
	    strstr(log, "LeakSanitizer") != NULL ||
	    strstr(log, "runtime error") != NULL;
}

/* One run with allocation n failing; returns whether it was reached. */
static int
fi_run(struct fi_env *e, long n)
{
	struct pt_proxy p;
	char num[32];
	int status = 0, ready, rc;

	snprintf(num, sizeof(num), "%ld", n);
	setenv("MIOPROXY_FAIL_ALLOC", num, 1);
	fi_spawn(&p, FI_YAML, e->tcp_port, "t", e->udp_port, e->echo.port,
	    e->echo.port, e->refused_port, e->uecho.port);
	ready = fi_wait_ready(&p, &status);
	if (ready) {
		fi_tcp(e->tcp_port);
		fi_udp(e->udp_port);
		fi_admin(&p, "show servers\nshow info\n");
		fi_reload(&p, e, "t2");
		fi_tcp(e->tcp_port);
		fi_udp(e->udp_port);
		fi_reload(&p, e, "t");
		fi_tcp(e->tcp_port);
		fi_udp(e->udp_port);
	}
	rc = pt_stop(&p);
	if (ready)
		status = rc;
	/* A refused start says why and exits with 1 or 2; a run that got
	 * going stops with 0; never a signal or a sanitizer's report. */
	if (ready ? status != 0 : status != 1 && status != 2)
		ck_abort_msg("allocation %ld: exit status %d (%s): %s", n,
		    status, ready ? "after READY" : "at start", p.log_text);
	if (fi_sanitizer_report(p.log_text))
		ck_abort_msg("allocation %ld: %s", n, p.log_text);
	return strstr(p.log_text, "faultinj: failed allocation") != NULL;
}

START_TEST(test_every_allocation_may_fail)
{
	struct fi_env e;
	char bin[512], opts[512];
	const char *top = getenv("top_builddir"), *old;
	long n;

	snprintf(bin, sizeof(bin), "%s/tests/daemon/mioproxy_fi",
	    top ? top : ".");
	setenv("MIOPROXY_TEST_BINARY", bin, 1);
	/* A sanitizer's finding must not pass for a start-up failure. */
	old = getenv("ASAN_OPTIONS");
	snprintf(opts, sizeof(opts), "%s%sexitcode=%d", old ? old : "",
	    old ? ":" : "", FI_SANITIZER_EXIT);
	setenv("ASAN_OPTIONS", opts, 1);
	old = getenv("UBSAN_OPTIONS");
	snprintf(opts, sizeof(opts), "%s%sexitcode=%d", old ? old : "",
	    old ? ":" : "", FI_SANITIZER_EXIT);
	setenv("UBSAN_OPTIONS", opts, 1);
	e.tcp_port = pt_free_port(SOCK_STREAM);
	e.udp_port = pt_free_port(SOCK_DGRAM);
	do
		e.refused_port = pt_free_port(SOCK_STREAM);
	while (e.refused_port == e.tcp_port);
	pt_echo_start(&e.echo, -1);
	pt_uecho_start(&e.uecho, AF_INET, -1);
	for (n = 1; n <= FI_RUNS_MAX; n++)
		if (!fi_run(&e, n))
			break;
	/* The sweep went past every allocation of a run, and there are
	 * many (configuration, generation, sockets, sessions, buffers). */
	ck_assert_int_le(n, FI_RUNS_MAX);
	ck_assert_int_gt(n, 20);
	fprintf(stderr, "# each of %ld allocations failed in turn\n", n - 1);
	unsetenv("MIOPROXY_FAIL_ALLOC");
	unsetenv("MIOPROXY_TEST_BINARY");
	pt_echo_stop(&e.echo);
	pt_uecho_stop(&e.uecho);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("allocation");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_every_allocation_may_fail);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
