/*
 * process.io: auto (issue 17), end to end on the default backend: where
 * the ring works (tests/daemon/uring_probe says so) auto relays on the
 * uring engine, and says so in its log and in `show info`; under a
 * seccomp profile that refuses io_uring_setup(2), as Docker's default
 * does, auto relays on readiness and says why at info level, where
 * `io: uring` warns.  Bytes cross intact every time.
 *
 * The other suites name their engine (proxytest.h's pt_engine()): this
 * one alone writes `io: auto`.
 */
#include "config.h"

#include "../common.h"
#include "proxytest.h"
#ifdef __linux__
#include "../deny_uring.h"
#endif

#define CONF								\
	"version: 1\n"							\
	"process: { io: %s }\n"						\
	"logging: { level: info }\n"					\
	"admin: { socket: ACCESS_LOG.sock }\n"				\
	"listeners:\n"							\
	"  - { name: t, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

#define LEN	(1 << 20)

static char out[4096];

/* Whether the ring works here, as the -uring.tap runs decide it. */
static int
ring_works(void)
{
	const char *top = getenv("top_builddir");
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/tests/daemon/uring_probe >/dev/null",
	    top != NULL ? top : ".");
	return system(cmd) == 0;
}

struct sender {
	int		 fd;
	const unsigned char *buf;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;

	pt_send_all(s->fd, s->buf, LEN);
	return NULL;
}

/* LEN bytes of a pattern through the proxy to the echo and back, sent
 * by a thread while this one reads: each byte where it belongs. */
static void
relay_intact(int port)
{
	static unsigned char sent[LEN], got[LEN];
	struct sender s;
	pthread_t th;
	size_t i;

	for (i = 0; i < LEN; i++)
		sent[i] = (unsigned char)(i * 7 + i / 251);
	s.fd = pt_connect(port);
	ck_assert_int_ge(s.fd, 0);
	s.buf = sent;
	ck_assert_int_eq(pthread_create(&th, NULL, sender_main, &s), 0);
	pt_recv_all(s.fd, got, LEN);
	pthread_join(th, NULL);
	ck_assert(memcmp(sent, got, LEN) == 0);
	ck_assert_int_eq(shutdown(s.fd, SHUT_WR), 0);
	ck_assert_int_eq(pt_recv_eof(s.fd), 0);
	close(s.fd);
}

/* `show info`'s io line, in out. */
static const char *
show_io(const struct pt_proxy *p)
{
	const char *at;

	ck_assert_int_eq(pt_ctl('c', p->conf, "show info", out, sizeof(out)),
	    0);
	at = strstr(out, "\nio ");
	ck_assert_msg(at != NULL, "no io in show info: %s", out);
	return at + 1;
}

/* Starts the proxy on `io` before an echo, relays, and stops; show
 * info's io line must start with want_io (NULL: any, kept in shown). */
static char shown[64];

static void
run(const char *io, struct pt_proxy *p, const char *want_io)
{
	struct pt_echo e;
	int port = pt_free_port(SOCK_STREAM);

	pt_echo_start(&e, -1);
	pt_start(p, CONF, io, port, e.port);
	snprintf(shown, sizeof(shown), "%s", show_io(p));
	ck_assert_msg(want_io == NULL ||
	    strncmp(shown, want_io, strlen(want_io)) == 0,
	    "io %s: show info: %s", io, out);
	relay_intact(port);
	ck_assert_int_eq(pt_stop(p), 0);
	pt_echo_stop(&e);
}

START_TEST(test_auto_where_the_ring_works)
{
	struct pt_proxy p;

	if (!ring_works()) {
		/* Then auto is readiness, said at info level. */
		run("auto", &p, "io readiness\n");
		ck_assert_msg(strstr(p.log_text, "info: process.io: auto: "
		    "relaying on readiness: ") != NULL, "%s", p.log_text);
		return;
	}
	run("auto", &p, NULL);
	/* A build made to keep auto on readiness (AUTO_PICKS_URING 0 in
	 * daemon/relay/tcp_uring.c) says so. */
	if (strstr(p.log_text, "relaying on readiness: auto is readiness in "
	    "this build") != NULL) {
		ck_assert_msg(strncmp(shown, "io readiness\n", 13) == 0, "%s",
		    shown);
		return;
	}
	ck_assert_msg(strncmp(shown, "io uring\n", 9) == 0, "%s", shown);
	ck_assert_msg(strstr(p.log_text, "info: relay engine: io_uring "
	    "completions (features ") != NULL, "%s", p.log_text);
	ck_assert_msg(strstr(p.log_text, "process.io: auto)") != NULL, "%s",
	    p.log_text);
	ck_assert_msg(strstr(p.log_text, ", uring engine) serving ") != NULL,
	    "%s", p.log_text);
	ck_assert_ptr_null(strstr(p.log_text, "warn: "));
}
END_TEST

/* io: readiness is readiness, whatever the kernel. */
START_TEST(test_readiness_named)
{
	struct pt_proxy p;

	run("readiness", &p, "io readiness\n");
	ck_assert_ptr_null(strstr(p.log_text, "relay engine: io_uring"));
	ck_assert_msg(strstr(p.log_text, ", readiness engine) serving ") !=
	    NULL, "%s", p.log_text);
}
END_TEST

#ifdef __linux__
static int seccomp_ok = -1;

/* Whether a seccomp filter can be installed here (tried in a child). */
static int
seccomp_works(void)
{
	pid_t pid;
	int status;

	if (seccomp_ok >= 0)
		return seccomp_ok;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(deny_uring_setup() == 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	seccomp_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!seccomp_ok)
		fprintf(stderr, "# skipped: no seccomp filters here\n");
	return seccomp_ok;
}

/* Docker's default: auto falls back to readiness at info level. */
START_TEST(test_auto_refused_by_seccomp)
{
	struct pt_proxy p;

	if (!seccomp_works())
		return;
	pt_child_setup = deny_uring_setup;
	run("auto", &p, "io readiness\n");
	pt_child_setup = NULL;
	ck_assert_msg(strstr(p.log_text, "info: process.io: auto: relaying "
	    "on readiness: ") != NULL, "%s", p.log_text);
	ck_assert_ptr_null(strstr(p.log_text, "warn: "));
	ck_assert_ptr_null(strstr(p.log_text, "relay engine: io_uring"));
	ck_assert_msg(strstr(p.log_text, ", readiness engine) serving ") !=
	    NULL, "%s", p.log_text);
}
END_TEST

/* io: uring that cannot be had is a warning, and relays on readiness. */
START_TEST(test_uring_refused_by_seccomp)
{
	struct pt_proxy p;

	if (!seccomp_works())
		return;
	pt_child_setup = deny_uring_setup;
	run("uring", &p, "io readiness\n");
	pt_child_setup = NULL;
	ck_assert_msg(strstr(p.log_text, "warn: process.io: uring: ") != NULL &&
	    strstr(p.log_text, "; relaying on readiness") != NULL, "%s",
	    p.log_text);
	ck_assert_ptr_null(strstr(p.log_text, "relay engine: io_uring"));
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("io_auto");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_auto_where_the_ring_works);
	tcase_add_test(tc, test_readiness_named);
#ifdef __linux__
	tcase_add_test(tc, test_auto_refused_by_seccomp);
	tcase_add_test(tc, test_uring_refused_by_seccomp);
#endif
	suite_add_tcase(s, tc);
	return tap_main(s);
}
