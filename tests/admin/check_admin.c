/*
 * The admin socket and `mioproxy ctl` against the real daemon, on
 * loopback (CONFIG.md, "Admin socket" and "Command line"): every
 * command, drain and maint with `shutdown sessions` on live sessions,
 * operator states kept across a reload, `ctl reload` with a broken
 * file, hostile clients (malformed, oversized, idle), the socket's mode,
 * owner and stale files, and another user kept out.
 *
 * The socket lives in the test's own directory: ACCESS_LOG.sock in a
 * configuration becomes <dir>/access.log.sock (proxytest.h).
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>

#include "../daemon/proxytest.h"

#define HEAD								\
	"version: 1\n"							\
	"logging: { level: debug }\n"					\
	"admin: { socket: ACCESS_LOG.sock }\n"

/* Two servers behind one TCP listener, round robin. */
#define TWO								\
	HEAD								\
	"listeners:\n"							\
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d },"			\
	" { address: 127.0.0.1:%d, weight: 2 } ] }\n"

static char out[65536];

static const char *
sock_path(const struct pt_proxy *p)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s.sock", p->access);
	return path;
}

/*
 * Runs `mioproxy -S SOCKET ctl WORDS` (or with -c when sock is NULL) and
 * keeps what it prints (both streams) in out: the exit status.
 */
static int
ctl_at(const char *conf, const char *sock, const char *words)
{
	if (sock != NULL)
		return pt_ctl('S', sock, words, out, sizeof(out));
	return pt_ctl('c', conf, words, out, sizeof(out));
}

static int
ctl(const struct pt_proxy *p, const char *words)
{
	return ctl_at(p->conf, sock_path(p), words);
}

static void
set_path(struct sockaddr_un *un, const char *path)
{
	ck_assert_uint_lt(strlen(path), sizeof(un->sun_path));
	memcpy(un->sun_path, path, strlen(path) + 1);
}

/* A raw client of the admin socket, with 5 s I/O timeouts. */
static int
adm_connect(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct timeval tv = { PT_WAIT_MS / 1000, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	set_path(&un, path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ck_assert_msg(connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0,
	    "connect %s: %s", path, strerror(errno));
	return fd;
}

/* Reads until `replies` replies (each ends with an empty line) or EOF. */
static const char *
adm_read(int fd, int replies)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	int seen = 0;

	buf[0] = '\0';
	while (seen < replies && len < sizeof(buf) - 1) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		for (seen = 0, n = 1; (size_t)n < len; n++)
			if (buf[n] == '\n' && buf[n - 1] == '\n')
				seen++;
	}
	return buf;
}

/* The line of `show servers` for address, copied; "" if none. */
static const char *
server_line(const struct pt_proxy *p, int port)
{
	static char line[256];
	char want[64];
	const char *at, *end;

	snprintf(want, sizeof(want), " 127.0.0.1:%d ", port);
	ck_assert_int_eq(ctl(p, "show servers"), 0);
	line[0] = '\0';
	if ((at = strstr(out, want)) == NULL)
		return line;
	while (at > out && at[-1] != '\n')
		at--;
	end = strchr(at, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(end - at), at);
	return line;
}

/* A client through the proxy to an echo with an id: which one. */
static int
client_of(int port, int *fdp)
{
	char id;
	int fd = pt_connect(port);

	ck_assert_int_ge(fd, 0);
	pt_recv_all(fd, &id, 1);
	if (fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	return id;
}

START_TEST(test_every_command)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd, id;
	char words[256], pid[32];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	id = client_of(port, &fd);

	ck_assert_int_eq(ctl_at(p.conf, NULL, "show info"), 0);
	ck_assert_msg(strncmp(out, "ok\nversion " PACKAGE_VERSION "\n", 14)
	    == 0, "%s", out);
	snprintf(pid, sizeof(pid), "\npid %d\n", (int)p.pid);
	ck_assert_ptr_nonnull(strstr(out, pid));
	ck_assert_ptr_nonnull(strstr(out, "\nsessions 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nworkers 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nlast_reload never\n"));
	/* The reply's closing empty line is not printed. */
	ck_assert_int_ne(out[strlen(out) - 2], '\n');

	ck_assert_int_eq(ctl(&p, "show servers"), 0);
	ck_assert_ptr_nonnull(strstr(out, "ok\nu 127.0.0.1:"));
	/* upstream address state weight active total failures; the one
	 * client is on either. */
	snprintf(words, sizeof(words), "u 127.0.0.1:%d up 1 %s", a.port,
	    id == 'A' ? "1 1 0" : "0 0 0");
	ck_assert_str_eq(server_line(&p, a.port), words);
	snprintf(words, sizeof(words), "u 127.0.0.1:%d up 2 %s", b.port,
	    id == 'B' ? "1 1 0" : "0 0 0");
	ck_assert_str_eq(server_line(&p, b.port), words);
	ck_assert_int_eq(ctl(&p, "show servers u"), 0);
	ck_assert_int_eq(ctl(&p, "show servers nope"), 1);
	ck_assert_str_eq(out, "error: unknown upstream \"nope\"\n");

	ck_assert_int_eq(ctl(&p, "show listeners"), 0);
	snprintf(words, sizeof(words), "ok\nweb tcp 127.0.0.1:%d 1 1\n",
	    port);
	ck_assert_str_eq(out, words);

	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d weight 7",
	    b.port);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_str_eq(out, "ok\n");
	ck_assert_ptr_nonnull(strstr(server_line(&p, b.port), " up 7 "));

	ck_assert_int_eq(ctl(&p, "help"), 0);
	ck_assert_ptr_nonnull(strstr(out, "shutdown sessions server"));
	ck_assert_int_eq(ctl(&p, "reload"), 0);
	ck_assert_str_eq(out, "ok\n");
	ck_assert_int_eq(ctl(&p, "show info"), 0);
	ck_assert_ptr_null(strstr(out, "last_reload never"));
	ck_assert_ptr_nonnull(strstr(out, "\nreloads 1\n"));
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	ck_assert_ptr_nonnull(strstr(p.log_text, "weight 7 set by the "
	    "operator"));
	/* The daemon removed its socket when it stopped. */
	ck_assert_int_ne(access(sock_path(&p), F_OK), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* Unknown upstreams, servers, words: `error:` and exit 1; no daemon: 2. */
START_TEST(test_refusals)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM);
	char words[256];
	static const char *const bad[] = {
		"set server nope 127.0.0.1:1 state drain",
		"set server u 127.0.0.1:1 state drain",
		"set server u not-an-address state drain",
		"set server nope 127.0.0.1:1 weight 3",
		"set server u 127.0.0.1:1 weight 3",
		"shutdown sessions server nope 127.0.0.1:1",
		"shutdown sessions server u 127.0.0.1:1",
		"show servers nope",
		"set server u 127.0.0.1:1 state sleepy",
		"set server u 127.0.0.1:1 weight 0",
		"frobnicate",
		"show",
	};
	size_t i;

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ctl(&p, bad[i]) == 1, "%s: %s", bad[i], out);
		ck_assert_msg(strncmp(out, "error: ", 7) == 0, "%s", out);
	}
	ck_assert_int_eq(ctl(&p, "set server nope 127.0.0.1:1 state drain"),
	    1);
	ck_assert_str_eq(out, "error: unknown upstream \"nope\"\n");
	ck_assert_int_eq(ctl(&p, "shutdown sessions server u 127.0.0.1:1"),
	    1);
	ck_assert_str_eq(out, "error: unknown server 127.0.0.1:1 in upstream "
	    "\"u\"\n");
	/* Nothing changed. */
	snprintf(words, sizeof(words), "u 127.0.0.1:%d up 1 0 0 0", a.port);
	ck_assert_str_eq(server_line(&p, a.port), words);
	/* No command, and no daemon. */
	ck_assert_int_eq(ctl(&p, ""), 1);
	snprintf(words, sizeof(words), "%s/nothing.sock", p.dir);
	ck_assert_int_eq(ctl_at(p.conf, words, "show info"), 2);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* The file names a socket nobody listens on any more. */
	ck_assert_int_eq(ctl_at("/nonexistent/mioproxy.yaml", NULL,
	    "show info"), 2);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* Drain: the running session goes on and ends normally, no new one. */
START_TEST(test_drain)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd, i, id, drained;
	char words[256], buf[4];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	id = client_of(port, &fd);
	drained = id == 'A' ? a.port : b.port;
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state drain",
	    drained);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_ptr_nonnull(strstr(server_line(&p, drained), " drain "));
	for (i = 0; i < 6; i++)
		ck_assert_int_ne(client_of(port, NULL), id);
	/* The running one still flows, both ways, and ends cleanly. */
	pt_send_all(fd, "ping", 4);
	pt_recv_all(fd, buf, 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_ptr_nonnull(strstr(server_line(&p, drained), " drain "));
	shutdown(fd, SHUT_WR);
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
	/* Ready again: it takes new sessions. */
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state ready",
	    drained);
	ck_assert_int_eq(ctl(&p, words), 0);
	for (i = 0, id = 0; i < 6; i++)
		id |= client_of(port, NULL) == (drained == a.port ? 'A' : 'B');
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* Maint takes no new sessions; `shutdown sessions` resets the running. */
START_TEST(test_maint_shutdown_sessions)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd[2], i, id, other, maint;
	char words[256], buf[4];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, "version: 1\n"
	    "logging: { level: debug, access: { target: ACCESS_LOG } }\n"
	    "admin: { socket: ACCESS_LOG.sock }\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d, weight: 2 } ] }\n",
	    port, a.port, b.port);
	id = client_of(port, &fd[0]);
	other = client_of(port, &fd[1]);
	ck_assert_int_ne(id, other);
	maint = id == 'A' ? a.port : b.port;
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state maint",
	    maint);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_ptr_nonnull(strstr(server_line(&p, maint), " maint "));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(client_of(port, NULL), other);
	snprintf(words, sizeof(words), "shutdown sessions server u "
	    "127.0.0.1:%d", maint);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_str_eq(out, "ok\nsessions 1\n");
	/* A reset, not a clean end. */
	ck_assert_int_eq(pt_recv_eof(fd[0]), -ECONNRESET);
	close(fd[0]);
	/* The other server's session is untouched. */
	pt_send_all(fd[1], "pong", 4);
	pt_recv_all(fd[1], buf, 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	close(fd[1]);
	snprintf(words, sizeof(words), "u 127.0.0.1:%d maint", maint);
	ck_assert_ptr_nonnull(strstr(server_line(&p, maint), words));
	ck_assert_ptr_nonnull(strstr(server_line(&p, maint), " 0 1 0"));
	ck_assert_int_eq(ctl(&p, words), 1);	/* not a command */
	snprintf(words, sizeof(words), "shutdown sessions server u "
	    "127.0.0.1:%d", maint);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_str_eq(out, "ok\nsessions 0\n");
	ck_assert_int_eq(pt_stop(&p), 0);
	/* The access log says who ended it. */
	ck_assert_msg(strstr(p.access_text, "end=admin_shutdown") != NULL,
	    "%s", p.access_text);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* UDP sessions of a server are forgotten by `shutdown sessions`. */
START_TEST(test_shutdown_udp_sessions)
{
	struct pt_uecho e;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), fd;
	char words[256], buf[64];

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, e.port);
	fd = pt_udp_socket(AF_INET, 0, NULL);
	pt_udp_send(fd, "127.0.0.1", port, "hello", 5);
	ck_assert_int_eq(pt_udp_recv(fd, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 5);
	ck_assert_int_eq(ctl(&p, "show listeners"), 0);
	ck_assert_ptr_nonnull(strstr(out, " udp 127.0.0.1:"));
	snprintf(words, sizeof(words), "shutdown sessions server u "
	    "127.0.0.1:%d", e.port);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_str_eq(out, "ok\nsessions 1\n");
	ck_assert_ptr_nonnull(strstr(server_line(&p, e.port), " up 1 0 1 0"));
	/* The client is simply a new one next time. */
	pt_udp_send(fd, "127.0.0.1", port, "again", 5);
	ck_assert_int_eq(pt_udp_recv(fd, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 5);
	ck_assert_ptr_nonnull(strstr(server_line(&p, e.port), " up 1 1 2 0"));
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

/* The operator's weight is the balancer's: round robin follows it. */
START_TEST(test_weight_balances)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), i, na = 0;
	char words[256];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d } ] }\n",
	    port, a.port, b.port);
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d weight 3",
	    a.port);
	ck_assert_int_eq(ctl(&p, words), 0);
	for (i = 0; i < 8; i++)
		na += client_of(port, NULL) == 'A';
	ck_assert_int_eq(na, 6);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* A reload that names another path moves the socket; none removes it. */
#define ONE								\
	"listeners:\n"							\
	"  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n" \
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

START_TEST(test_socket_moves)
{
	struct pt_echo a;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM);
	char moved[200];

	pt_echo_start(&a, 'A');
	pt_start(&p, HEAD ONE, port, a.port);
	ck_assert_int_eq(ctl(&p, "show info"), 0);
	pt_reload(&p, "version: 1\nadmin: { socket: ACCESS_LOG.moved }\n" ONE,
	    port, a.port);
	snprintf(moved, sizeof(moved), "%s.moved", p.access);
	ck_assert_int_ne(access(sock_path(&p), F_OK), 0);
	ck_assert_int_eq(ctl_at(p.conf, moved, "show info"), 0);
	ck_assert_int_eq(ctl_at(p.conf, NULL, "show info"), 0);
	pt_reload(&p, "version: 1\n" ONE, port, a.port);
	ck_assert_int_ne(access(moved, F_OK), 0);
	ck_assert_int_eq(ctl_at(p.conf, NULL, "show info"), 2);
	ck_assert_int_eq(client_of(port, NULL), 'A');
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
}
END_TEST

/* UDP: the reply's first byte names the server (pt_uecho's id). */
static int
udp_via(int fd, int port)
{
	char buf[64];

	pt_udp_send(fd, "127.0.0.1", port, "q", 1);
	ck_assert_int_eq(pt_udp_recv(fd, buf, sizeof(buf), PT_WAIT_MS, NULL,
	    NULL), 2);
	return buf[0];
}

/*
 * UDP drain: a client's session keeps its server, new clients go to the
 * other; maint and shutdown sessions: the client starts over elsewhere.
 */
START_TEST(test_udp_drain_and_maint)
{
	struct pt_uecho a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_DGRAM), fd, other, id, i, drained;
	char words[256];

	pt_uecho_start(&a, AF_INET, 'A');
	pt_uecho_start(&b, AF_INET, 'B');
	pt_start(&p, HEAD
	    "listeners:\n"
	    "  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d } ] }\n",
	    port, a.port, b.port);
	fd = pt_udp_socket(AF_INET, 0, NULL);
	id = udp_via(fd, port);
	drained = id == 'A' ? a.port : b.port;
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state drain",
	    drained);
	ck_assert_int_eq(ctl(&p, words), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(udp_via(fd, port), id);
		other = pt_udp_socket(AF_INET, 0, NULL);
		ck_assert_int_ne(udp_via(other, port), id);
		close(other);
	}
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state maint",
	    drained);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_int_eq(udp_via(fd, port), id);
	snprintf(words, sizeof(words), "shutdown sessions server u "
	    "127.0.0.1:%d", drained);
	ck_assert_int_eq(ctl(&p, words), 0);
	ck_assert_str_eq(out, "ok\nsessions 1\n");
	ck_assert_int_ne(udp_via(fd, port), id);
	close(fd);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&a);
	pt_uecho_stop(&b);
}
END_TEST

/* Operator states and weights outlive a reload for unchanged servers. */
START_TEST(test_state_kept_across_reload)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM);
	char words[256];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d state "
	    "maint", a.port);
	ck_assert_int_eq(ctl(&p, words), 0);
	snprintf(words, sizeof(words), "set server u 127.0.0.1:%d weight 9",
	    b.port);
	ck_assert_int_eq(ctl(&p, words), 0);
	/* Another file, the same servers and weights: all kept. */
	pt_reload(&p, TWO "defaults: { timeouts: { idle: 1h } }\n", port,
	    a.port, b.port);
	ck_assert_ptr_nonnull(strstr(server_line(&p, a.port), " maint 1 "));
	ck_assert_ptr_nonnull(strstr(server_line(&p, b.port), " up 9 "));
	ck_assert_int_eq(client_of(port, NULL), 'B');
	/* The file changes b's weight: the file's wins from then on. */
	pt_reload(&p, HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d },"
	    " { address: 127.0.0.1:%d, weight: 3 } ] }\n",
	    port, a.port, b.port);
	ck_assert_ptr_nonnull(strstr(server_line(&p, a.port), " maint "));
	ck_assert_ptr_nonnull(strstr(server_line(&p, b.port), " up 3 "));
	/* Out of the file, then back: a new server, ready. */
	pt_reload(&p, HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, b.port);
	ck_assert_str_eq(server_line(&p, a.port), "");
	pt_reload(&p, TWO, port, a.port, b.port);
	ck_assert_ptr_nonnull(strstr(server_line(&p, a.port), " up 1 "));
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* `ctl reload` of a broken file: its errors, exit 1, the old one serves. */
START_TEST(test_reload_errors)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM);
	char words[256], text[2048];

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	snprintf(text, sizeof(text), HEAD
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: v,"
	    " colour: red }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, a.port);
	pt_write_file(p.conf, text);
	/* The file's own socket path is not expanded: name it with -S. */
	ck_assert_int_eq(ctl(&p, "reload"), 1);
	ck_assert_msg(strncmp(out, "error: reload failed", 20) == 0, "%s",
	    out);
	snprintf(words, sizeof(words), "%s:5:", p.conf);
	ck_assert_msg(strstr(out, words) != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "colour"));
	ck_assert_ptr_nonnull(strstr(out, "\"v\""));
	/* The old configuration serves: both servers. */
	ck_assert_int_eq(client_of(port, NULL) + client_of(port, NULL) +
	    client_of(port, NULL), 'A' + 'B' + 'B');
	ck_assert_int_eq(ctl(&p, "show info"), 0);
	ck_assert_ptr_nonnull(strstr(out, "\nreloads_failed 1\n"));
	/* A syntax error, too. */
	pt_write_file(p.conf, "version: 1\nlisteners: [\n");
	ck_assert_int_eq(ctl(&p, "reload"), 1);
	ck_assert_ptr_nonnull(strstr(out, "syntax error"));
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* Hostile clients: control bytes, NUL, huge lines, pipelining. */
START_TEST(test_malformed_and_oversized)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd, status;
	static char big[8192];
	const char *r;

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	fd = adm_connect(sock_path(&p));
	pt_send_all(fd, "show\x01info\n", 10);
	r = adm_read(fd, 1);
	ck_assert_msg(strcmp(r, "error: malformed command: control "
	    "character 0x01\n\n") == 0, "%s", r);
	pt_send_all(fd, "show\0info\n", 10);
	ck_assert_str_eq(adm_read(fd, 1), "error: malformed command: NUL "
	    "byte\n\n");
	pt_send_all(fd, "\n", 1);
	ck_assert_str_eq(adm_read(fd, 1), "error: empty command (try "
	    "help)\n\n");
	/* Two commands at once, CRLF: two replies, in order. */
	pt_send_all(fd, "show listeners\r\nhelp\n", 21);
	r = adm_read(fd, 2);
	ck_assert_ptr_nonnull(strstr(r, "ok\nweb tcp "));
	ck_assert_ptr_nonnull(strstr(r, "\n\nok\nshow info\n"));
	/* Still usable after all that. */
	pt_send_all(fd, "show info\n", 10);
	ck_assert_ptr_nonnull(strstr(adm_read(fd, 1), "ok\nversion "));
	/* A line over the limit: an error, then the close. */
	memset(big, 'x', sizeof(big));
	pt_send_all(fd, big, sizeof(big));
	ck_assert_str_eq(adm_read(fd, 1), "error: line too long (at most "
	    "1024 bytes)\n\n");
	/* The rest of the line was never read: an end or a reset. */
	status = pt_recv_eof(fd);
	ck_assert(status == 0 || status == -ECONNRESET);
	close(fd);
	/* A last line without its newline still gets its answer. */
	fd = adm_connect(sock_path(&p));
	pt_send_all(fd, "show info", 9);
	shutdown(fd, SHUT_WR);
	ck_assert_ptr_nonnull(strstr(adm_read(fd, 1), "ok\nversion "));
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	close(fd);
	/* The proxy forwards through all of it. */
	ck_assert_int_ne(client_of(port, NULL), 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/*
 * Crowds and bad readers: past 32 clients the next ones are closed at
 * once; a client that sends without reading stalls only itself; the
 * daemon survives them all and keeps forwarding.
 */
START_TEST(test_crowd_and_bad_readers)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd[40], greedy, i, closed = 0;
	static char flood[64 * 1024];
	struct pollfd pfd;
	ssize_t n;
	size_t sent = 0;

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	pt_start(&p, TWO, port, a.port, b.port);
	for (i = 0; i < 40; i++)
		fd[i] = adm_connect(sock_path(&p));
	for (i = 0; i < 40; i++) {
		pfd = (struct pollfd){ fd[i], POLLIN, 0 };
		if (poll(&pfd, 1, i < 32 ? 0 : PT_WAIT_MS) == 1 &&
		    pt_recv_eof(fd[i]) == 0)
			closed++;
	}
	ck_assert_int_eq(closed, 8);
	for (i = 0; i < 40; i++)
		close(fd[i]);
	/* Commands without end, never reading a reply. */
	for (i = 0; i < (int)sizeof(flood); i += 5)
		memcpy(flood + i, "help\n", 5 < sizeof(flood) - (size_t)i ?
		    5 : sizeof(flood) - (size_t)i);
	greedy = adm_connect(sock_path(&p));
	for (;;) {
		n = send(greedy, flood, sizeof(flood), MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	ck_assert_uint_gt(sent, 0);
	ck_assert_msg(ctl(&p, "show info") == 0, "%s", out);
	ck_assert_int_ne(client_of(port, NULL), 0);
	close(greedy);
	/* Half a command, then gone. */
	greedy = adm_connect(sock_path(&p));
	pt_send_all(greedy, "show ser", 8);
	close(greedy);
	ck_assert_msg(ctl(&p, "show info") == 0, "%s", out);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* A client that says nothing is closed after the idle timeout. */
START_TEST(test_idle_client_closed)
{
	struct pt_echo a, b;
	struct pt_proxy p;
	int port = pt_free_port(SOCK_STREAM), fd, busy;
	int64_t t0;

	pt_echo_start(&a, 'A');
	pt_echo_start(&b, 'B');
	setenv("MIOPROXY_ADMIN_IDLE_MS", "300", 1);
	pt_start(&p, TWO, port, a.port, b.port);
	unsetenv("MIOPROXY_ADMIN_IDLE_MS");
	fd = adm_connect(sock_path(&p));
	busy = adm_connect(sock_path(&p));
	t0 = test_now_ms();
	/* The busy one keeps talking, more slowly than the timeout. */
	while (test_now_ms() - t0 < 600) {
		pt_send_all(busy, "show info\n", 10);
		ck_assert_ptr_nonnull(strstr(adm_read(busy, 1), "ok\n"));
		test_sleep_ms(100);
	}
	ck_assert_int_eq(pt_recv_eof(fd), 0);
	ck_assert_int_lt(test_now_ms() - t0, 300 + PT_WAIT_MS);
	pt_send_all(busy, "show info\n", 10);
	ck_assert_ptr_nonnull(strstr(adm_read(busy, 1), "ok\n"));
	close(fd);
	close(busy);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_echo_stop(&a);
	pt_echo_stop(&b);
}
END_TEST

/* Mode 0600, our owner; a stale file is replaced, a live one refused. */
START_TEST(test_socket_file)
{
	struct pt_echo a;
	struct pt_proxy p, q;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int port = pt_free_port(SOCK_STREAM), fd, status;
	char cmd[1024], path[160], yaml[2048], dir[64], conf[128];
	struct stat st;

	pt_echo_start(&a, 'A');
	pt_start(&p, TWO, port, a.port, a.port);
	ck_assert_int_eq(lstat(sock_path(&p), &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	/* A second daemon on the same socket does not start (exit 2). */
	snprintf(cmd, sizeof(cmd), "%s -c %s 2>/dev/null", pt_binary(),
	    p.conf);
	status = system(cmd);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 2);
	/* The first one still serves. */
	ck_assert_int_eq(ctl(&p, "show info"), 0);
	snprintf(path, sizeof(path), "%s", sock_path(&p));
	kill(p.pid, SIGKILL);
	ck_assert_int_ge(pt_wait_exit(&p, PT_WAIT_MS), 0);
	/* It died without removing it: a stale file, which the next one
	 * replaces. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	set_path(&un, path);
	ck_assert_int_ne(connect(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(fd);
	snprintf(yaml, sizeof(yaml), "version: 1\nadmin: { socket: %s }\n"
	    "listeners: [ { name: w, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: u } ]\nupstreams: { u: { servers: [ { address: "
	    "127.0.0.1:%d } ] } }\n", path, port, a.port);
	pt_start(&q, "%s", yaml);
	ck_assert_int_eq(ctl_at(q.conf, path, "show info"), 0);
	ck_assert_int_eq(ctl_at(q.conf, NULL, "show info"), 0);
	ck_assert_int_eq(pt_stop(&q), 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	pt_stop(&p);
	/* Not a socket: left alone, and the start refused. */
	snprintf(dir, sizeof(dir), "/tmp/mioproxy-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.sock", dir);
	snprintf(conf, sizeof(conf), "%s/x.yaml", dir);
	pt_write_file(path, "precious\n");
	snprintf(yaml, sizeof(yaml), "version: 1\nadmin: { socket: %s }\n"
	    "listeners: [ { name: w, protocol: tcp, bind: 127.0.0.1:%d, "
	    "upstream: u } ]\nupstreams: { u: { servers: [ { address: "
	    "127.0.0.1:%d } ] } }\n", path, port, a.port);
	pt_write_file(conf, yaml);
	snprintf(cmd, sizeof(cmd), "%s -c %s 2>/dev/null", pt_binary(), conf);
	status = system(cmd);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 2);
	ck_assert_str_eq(pt_read_file(path), "precious\n");
	unlink(path);
	unlink(conf);
	rmdir(dir);
	pt_echo_stop(&a);
}
END_TEST

/* Whether uid/gid may connect to path: 0, or the errno of connect. */
static int
connect_as(uid_t uid, gid_t gid, const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	pid_t pid = fork();
	int status, fd;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0)
			_exit(255);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		set_path(&un, path);
		_exit(connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0 ?
		    0 : errno);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 255);
	return WEXITSTATUS(status);
}

/*
 * Another user cannot connect, by the socket's mode alone (its directory
 * opened to all for the test); started as root with process.user, the
 * socket belongs to that user.  Needs root to be another user.
 */
START_TEST(test_other_user_refused)
{
	struct pt_echo a;
	struct pt_proxy p;
	struct passwd *pw = getpwnam("nobody");
	int port = pt_free_port(SOCK_STREAM);
	struct stat st;

	if (geteuid() != 0 || pw == NULL) {
		printf("# skip test_other_user_refused: needs root and a "
		    "user nobody\n");
		return;
	}
	pt_echo_start(&a, 'A');
	pt_start(&p, TWO, port, a.port, a.port);
	ck_assert_int_eq(chmod(p.dir, 0755), 0);
	ck_assert_int_eq(connect_as(pw->pw_uid, pw->pw_gid, sock_path(&p)),
	    EACCES);
	ck_assert_int_eq(connect_as(0, 0, sock_path(&p)), 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	/* Dropping to nobody: the socket is nobody's, and still 0600. */
	pt_start(&p, HEAD "process: { user: nobody }\n"
	    "listeners:\n"
	    "  - { name: web, protocol: tcp, bind: 127.0.0.1:%d, upstream: u }\n"
	    "upstreams:\n"
	    "  u: { servers: [ { address: 127.0.0.1:%d } ] }\n",
	    port, a.port);
	ck_assert_int_eq(lstat(sock_path(&p), &st), 0);
	ck_assert_uint_eq(st.st_uid, pw->pw_uid);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(ctl(&p, "show info"), 0);
	/* nobody reads the file again: let it into the directory. */
	ck_assert_int_eq(chmod(p.dir, 0755), 0);
	ck_assert_msg(ctl(&p, "reload") == 0, "%s", out);
	/* It cannot remove its socket from root's directory: we do. */
	ck_assert_int_eq(chmod(p.dir, 0700), 0);
	ck_assert_int_eq(pt_stop(&p), 0);
	(void)unlink(sock_path(&p));
	(void)rmdir(p.dir);
	pt_echo_stop(&a);
}
END_TEST

/* `mioproxy -t` checks the admin section, with the file's positions. */
START_TEST(test_conf_errors)
{
	static const struct {
		const char *admin, *want;
	} bad[] = {
		{ "admin: { socket: relative.sock }", ":2:18: admin.socket: "
		    "expected an absolute path" },
		{ "admin: {}", ":2:8: " },
		{ "admin: { socket: /tmp/a, mode: 0666 }", ":2:26: " },
		{ "admin: { socket: [ /a ] }", ":2:18: " },
		{ "admin: /run/a.sock", ":2:8: " },
		{ "admin: { socket: /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaa.sock }", "at most 107 bytes" },
	};
	char dir[64], conf[128], cmd[1024], yaml[1024];
	size_t i;
	int status;

	snprintf(dir, sizeof(dir), "/tmp/mioproxy-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/t.yaml", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), "version: 1\n%s\nlisteners: [ { "
		    "name: w, protocol: tcp, bind: 127.0.0.1:1, upstream: u "
		    "} ]\nupstreams: { u: { servers: [ 127.0.0.1:2 ] } }\n",
		    bad[i].admin);
		pt_write_file(conf, yaml);
		snprintf(cmd, sizeof(cmd), "%s -t -c %s 2>&1", pt_binary(),
		    conf);
		{
			FILE *f = popen(cmd, "r");
			size_t n = fread(out, 1, sizeof(out) - 1, f);

			out[n] = '\0';
			status = pclose(f);
		}
		ck_assert_int_eq(WEXITSTATUS(status), 1);
		ck_assert_msg(strstr(out, bad[i].want) != NULL, "%s: %s",
		    bad[i].admin, out);
	}
	unlink(conf);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_set_timeout(tc, 60 * pt_slow());
	tcase_add_test(tc, test_every_command);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_drain);
	tcase_add_test(tc, test_maint_shutdown_sessions);
	tcase_add_test(tc, test_shutdown_udp_sessions);
	tcase_add_test(tc, test_udp_drain_and_maint);
	tcase_add_test(tc, test_weight_balances);
	tcase_add_test(tc, test_socket_moves);
	tcase_add_test(tc, test_state_kept_across_reload);
	tcase_add_test(tc, test_reload_errors);
	tcase_add_test(tc, test_malformed_and_oversized);
	tcase_add_test(tc, test_crowd_and_bad_readers);
	tcase_add_test(tc, test_idle_client_closed);
	tcase_add_test(tc, test_socket_file);
	tcase_add_test(tc, test_other_user_refused);
	tcase_add_test(tc, test_conf_errors);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
