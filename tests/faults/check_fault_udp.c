/*
 * UDP under attack: a flood of clients past udp.max_sessions (eviction
 * works, nothing leaks, descriptors back to the baseline), and datagrams
 * spoofed to the daemon's session sockets from other addresses and
 * ports, which must never reach a client.
 */
#include "config.h"

#include "faults.h"

#define UDP_YAML FT_HEAD						\
	"listeners:\n"							\
	"  - { name: dns, protocol: udp, bind: 127.0.0.1:%d, upstream: u,\n" \
	"      udp: { max_sessions: %d, session_timeout: %s } }\n"	\
	"upstreams:\n"							\
	"  u: { servers: [ { address: 127.0.0.1:%d } ] }\n"

/*
 * 2000 clients in batches of 200, each sending one datagram that names
 * it, against max_sessions 50: every reply that comes is exactly the
 * client's own (a session evicted before its reply came loses it); the
 * daemon never holds more than max_sessions session sockets; once the sessions time out, its descriptors are back.
 */
START_TEST(test_udp_flood_past_max_sessions)
{
	enum { MAX = 50, BATCH = 200, ROUNDS = 10 };
	struct pt_uecho e;
	struct pt_proxy p;
	struct ft_base b;
	static int fd[ROUNDS][BATCH];
	int port = pt_free_port(SOCK_DGRAM), i, r, peak = 0;
	struct rlimit rl;
	unsigned replies = 0, stray = 0;
	uint64_t checked = 0;

	/* Every client keeps its socket to the end, so that no port is
	 * reused: one address, one client. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4096 && rl.rlim_max > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_msg(rl.rlim_cur >= ROUNDS * BATCH + 100,
	    "RLIMIT_NOFILE %lu: too low", (unsigned long)rl.rlim_cur);
	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_YAML, port, MAX, "1s", e.port);
	ft_baseline(&p, &b);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < BATCH; i++) {
			char msg[32];

			fd[r][i] = pt_udp_socket(AF_INET, 0, NULL);
			snprintf(msg, sizeof(msg), "client %d.%d", r, i);
			pt_udp_send(fd[r][i], "127.0.0.1", port, msg, strlen(msg));
		}
		if (ft_fds(p.pid) > peak)
			peak = ft_fds(p.pid);
		for (i = 0; i < BATCH; i++) {
			char msg[32], got[64], from[64];
			int fport;
			ssize_t n;

			snprintf(msg, sizeof(msg), "client %d.%d", r, i);
			while ((n = pt_udp_recv(fd[r][i], got, sizeof(got),
			    i == 0 ? 300 : 20, from, &fport)) >= 0) {
				/*
				 * The kernel may give a client a port that
				 * one of the daemon's ended sessions had: a
				 * late echo then comes straight from the
				 * server, not through the proxy, which no
				 * proxy can prevent on one host.
				 */
				if (fport != port) {
					stray++;
					continue;
				}
				ck_assert_msg((size_t)n == strlen(msg) &&
				    memcmp(got, msg, (size_t)n) == 0,
				    "%s received a reply not its own", msg);
				replies++;
				checked += (size_t)n;
			}
		}
		if (ft_fds(p.pid) > peak)
			peak = ft_fds(p.pid);
	}
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < BATCH; i++)
			close(fd[r][i]);
	fprintf(stderr, "faults: UDP flood: %d clients, max_sessions %d, "
	    "%u replies (each the client's own), %u straight from the server "
	    "to a reused port, peak %d descriptors\n",
	    BATCH * ROUNDS, MAX, replies, stray, peak);
	/* Sessions evicted before their reply lose it: by design. */
	ck_assert_uint_ge(replies, ROUNDS * 10);
	ck_assert_int_le(peak, b.fds + MAX);
	/* The last sessions time out (1 s): back to the baseline. */
	ft_settled(&p, &b, 5000, ft_rss_tolerance_kb(64 << 10), "UDP flood",
	    checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

/*
 * The local ports of the daemon's UDP sockets connected to 127.0.0.1:
 * server (its session sockets), from /proc/PID/net/udp and the inodes of
 * /proc/PID/fd.
 */
static int
session_ports(pid_t pid, int server, int *ports, int max)
{
	char path[64], link[64], line[512];
	unsigned long inodes[256];
	int ninodes = 0, n = 0, k;
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL && ninodes < 256) {
		char fp[384];
		ssize_t len;

		snprintf(fp, sizeof(fp), "%s/%s", path, de->d_name);
		if ((len = readlink(fp, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &inodes[ninodes]) == 1)
			ninodes++;
	}
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/net/udp", (int)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		unsigned la, lp, ra, rp;
		unsigned long inode;

		if (sscanf(line, " %*d: %x:%x %x:%x %*x %*x:%*x %*x:%*x %*x "
		    "%*u %*u %lu", &la, &lp, &ra, &rp, &inode) != 5)
			continue;
		if ((int)rp != server || ra != htonl(INADDR_LOOPBACK))
			continue;
		for (k = 0; k < ninodes && inodes[k] != inode; k++)
			;
		if (k < ninodes)
			ports[n++] = (int)lp;
	}
	fclose(f);
	return n;
}

/*
 * Spoofed datagrams sent to the session sockets from other loopback
 * addresses and ports never reach the clients: each client receives
 * exactly its own echoes, nothing else.
 */
START_TEST(test_udp_spoofed_to_session_sockets)
{
	enum { N = 8 };
	static const char *from[] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
	struct pt_uecho e;
	struct pt_proxy p;
	struct ft_base b;
	int port = pt_free_port(SOCK_DGRAM), cfd[N], sp[N * 2], ns, i, k, j;
	char msg[32], got[64];
	uint64_t checked = 0;
	unsigned spoofed = 0;

	pt_uecho_start(&e, AF_INET, -1);
	pt_start(&p, UDP_YAML, port, 100, "2s", e.port);
	ft_baseline(&p, &b);
	for (i = 0; i < N; i++) {
		cfd[i] = pt_udp_socket(AF_INET, 0, NULL);
		snprintf(msg, sizeof(msg), "first %d", i);
		pt_udp_send(cfd[i], "127.0.0.1", port, msg, strlen(msg));
		ck_assert_int_eq(pt_udp_recv(cfd[i], got, sizeof(got), 2000,
		    NULL, NULL), (ssize_t)strlen(msg));
		ck_assert_int_eq(memcmp(got, msg, strlen(msg)), 0);
		checked += strlen(msg);
	}
	ns = session_ports(p.pid, e.port, sp, N * 2);
	ck_assert_int_eq(ns, N);
	/* From three addresses, each from a fresh port, to every session. */
	for (j = 0; j < 3; j++)
		for (k = 0; k < 20; k++) {
			struct sockaddr_in a = { .sin_family = AF_INET };
			int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

			ck_assert_int_ge(s, 0);
			inet_pton(AF_INET, from[j], &a.sin_addr);
			ck_assert_int_eq(bind(s, (struct sockaddr *)&a,
			    sizeof(a)), 0);
			for (i = 0; i < ns; i++) {
				pt_udp_send(s, "127.0.0.1", sp[i], "SPOOF", 5);
				spoofed++;
			}
			close(s);
		}
	/* Each client: its own echo, and nothing else, ever. */
	for (i = 0; i < N; i++) {
		ssize_t n;

		snprintf(msg, sizeof(msg), "second %d", i);
		pt_udp_send(cfd[i], "127.0.0.1", port, msg, strlen(msg));
		n = pt_udp_recv(cfd[i], got, sizeof(got), 2000, NULL, NULL);
		ck_assert_int_eq(n, (ssize_t)strlen(msg));
		ck_assert_int_eq(memcmp(got, msg, (size_t)n), 0);
		checked += (size_t)n;
	}
	for (i = 0; i < N; i++) {
		ck_assert_msg(pt_udp_recv(cfd[i], got, sizeof(got),
		    i == 0 ? 300 : 10, NULL, NULL) < 0,
		    "client %d received a datagram not its own", i);
		close(cfd[i]);
	}
	fprintf(stderr, "faults: UDP spoofing: %u datagrams to %d session "
	    "sockets from 3 addresses x 20 ports, none delivered\n", spoofed,
	    ns);
	/* The sessions time out (2 s): back to the baseline. */
	ft_settled(&p, &b, 6000, ft_rss_tolerance_kb(64 << 10),
	    "UDP spoofing", checked);
	ck_assert_int_eq(pt_stop(&p), 0);
	pt_uecho_stop(&e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults-udp");
	TCase *tc = tcase_create("udp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_udp_flood_past_max_sessions);
	tcase_add_test(tc, test_udp_spoofed_to_session_sockets);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
