/*
 * The fault suite's shared helpers, on top of tests/daemon/proxytest.h:
 *
 *  - what the daemon holds, read from /proc: descriptors, resident
 *    memory, CPU time; a baseline taken when it is idle, and the check
 *    that ends every scenario (alive, descriptors back to the baseline,
 *    memory within a tolerance), which also prints the scenario's
 *    figures on stderr (the suite's .log);
 *  - data every byte of which can be checked: a stream defined by a
 *    seed and an offset, and an FNV-1a digest for what a sink received;
 *  - a backend with a behaviour (echo, generate, sink, mute, reset, ...)
 *    in a thread of the test, or in a child process that the test can
 *    kill with SIGKILL mid-transfer;
 *  - client sessions that return an outcome instead of failing the test,
 *    so that threads of load generators may run them.
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <dirent.h>

#include "../common.h"
#include "../daemon/proxytest.h"

/* Sanitizer builds hold freed memory in a quarantine: RSS moves more. */
#if defined(__SANITIZE_ADDRESS__)
#define FT_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_ASAN	1
#endif
#endif
#ifndef FT_ASAN
#define FT_ASAN	0
#endif

#define FT_HEAD								\
	"version: 1\n"							\
	"logging: { level: warn, access: { target: off } }\n"

/*
 * The daemon keeps up to 64 idle relay buffers for reuse
 * (RELAY_BUFS_MAX in daemon/relay/tcp_flow.c), and malloc keeps some
 * freed memory: after a scenario, its RSS may stay that much above the
 * baseline without anything leaking.
 */
#define FT_IDLE_BUFS	64

static inline long
ft_rss_tolerance_kb(long buffer_size)
{
	long kb = FT_IDLE_BUFS * buffer_size / 1024 + 2048;

	return FT_ASAN ? kb + 64 * 1024 : kb;
}

/* --- the daemon, from /proc ------------------------------------------- */

static inline int
ft_fds(pid_t pid)
{
	return pt_fds(pid, INT_MAX);
}

/* utime + stime, in milliseconds. */
static inline long
ft_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)tck);
}

static inline int
ft_alive(const struct pt_proxy *p)
{
	return p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == 0;
}

struct ft_base {
	int	fds;
	long	rss_kb;
};

/* What the idle daemon holds, once the start has settled. */
static inline void
ft_baseline(const struct pt_proxy *p, struct ft_base *b)
{
	test_sleep_ms(200);
	b->fds = ft_fds(p->pid);
	b->rss_kb = pt_rss_kb(p->pid);
	ck_assert_int_gt(b->fds, 0);
	ck_assert_int_gt(b->rss_kb, 0);
}

/*
 * The end of a scenario: the daemon alive, its descriptors back to the
 * baseline within ms, its RSS within tol_kb of it; prints the figures.
 */
static inline void
ft_settled(const struct pt_proxy *p, const struct ft_base *b, int ms,
    long tol_kb, const char *name, unsigned long long bytes)
{
	int64_t end = test_now_ms() + ms;
	int fds;
	long rss;

	while ((fds = ft_fds(p->pid)) != b->fds && test_now_ms() < end)
		test_sleep_ms(50);
	rss = pt_rss_kb(p->pid);
	fprintf(stderr, "faults: %s: fds %d -> %d, rss %ld -> %ld kB "
	    "(tolerance %ld kB), bytes checked %llu\n", name, b->fds, fds,
	    b->rss_kb, rss, tol_kb, bytes);
	ck_assert_msg(ft_alive(p), "%s: the daemon died: %s", name,
	    pt_read_file(p->log));
	ck_assert_msg(fds == b->fds, "%s: %d descriptors, %d at the baseline",
	    name, fds, b->fds);
	ck_assert_msg(rss <= b->rss_kb + tol_kb,
	    "%s: RSS %ld kB, baseline %ld kB, tolerance %ld kB", name, rss,
	    b->rss_kb, tol_kb);
}

/* --- checkable data ----------------------------------------------------- */

static inline uint64_t
ft_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte `off` of the stream `seed`: no period a relay bug could hide in. */
static inline unsigned char
ft_byte(uint32_t seed, uint64_t off)
{
	return (unsigned char)(ft_mix((uint64_t)seed << 40 ^ off >> 3) >>
	    (off & 7) * 8);
}

static inline void
ft_fill(uint32_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = ft_byte(seed, off + i);
}

/* Where buf first differs from the stream, or len. */
static inline size_t
ft_check(uint32_t seed, uint64_t off, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != ft_byte(seed, off + i))
			return i;
	return len;
}

#define FT_FNV_INIT	0xcbf29ce484222325ull

static inline uint64_t
ft_fnv(uint64_t h, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

/* --- backends ------------------------------------------------------------ */

enum ft_mode {
	FT_ECHO,	/* echoes; after the client's FIN, flushes and ends */
	FT_GEN,		/* sends stream 0 (len bytes, or without end), ends */
	FT_SINK,	/* reads; at FIN sends 16 bytes: count, FNV-1a; ends */
	FT_MUTE,	/* never reads nor writes */
	FT_RESET,	/* resets each connection as soon as it is accepted */
	FT_HALF		/* reads to FIN, then sends stream 0 (len bytes), ends */
};

#define FT_SRV_MAX	4096
#define FT_CHUNK	65536

struct ft_conn {
	int		fd;
	int		eof;		/* the client's FIN came */
	int		replying;	/* GEN/HALF sending, SINK answering */
	uint64_t	sent, rcvd, fnv;
	size_t		off, len;	/* pending echo bytes in buf */
	unsigned char	buf[FT_CHUNK];
};

struct ft_srv {
	enum ft_mode	 mode;
	size_t		 len;		/* GEN, HALF: bytes to send; 0: no end */
	int		 rst;		/* end with a reset instead of a FIN */
	int		 port;
	int		 lfd;
	int		 stop[2];
	pid_t		 child;		/* the backend as a process */
	pthread_t	 thread;
	volatile int	 accepted;
	volatile int	 conns;		/* open now */
	struct ft_conn	**c;
};

/* Sends from the stream as far as the socket takes it: -1 on error. */
static inline int
ft_conn_gen(struct ft_srv *s, struct ft_conn *c)
{
	for (;;) {
		size_t want = FT_CHUNK;
		ssize_t n;

		if (s->len > 0 && c->sent >= s->len)
			return 1;
		if (s->len > 0 && s->len - c->sent < want)
			want = s->len - c->sent;
		ft_fill(0, c->sent, c->buf, want);
		n = send(c->fd, c->buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += (size_t)n;
	}
}

/* Echo: flushes buf; 1 flushed, 0 blocked, -1 error. */
static inline int
ft_conn_flush(struct ft_conn *c)
{
	return pt_flush(c->fd, c->buf, &c->off, &c->len);
}

/* Reads what is there: 1 read some or nothing yet, 0 FIN, -1 error. */
static inline int
ft_conn_read(struct ft_srv *s, struct ft_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);

		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		c->rcvd += (size_t)n;
		c->fnv = ft_fnv(c->fnv, c->buf, (size_t)n);
		if (s->mode == FT_ECHO) {
			c->off = 0;
			c->len = (size_t)n;
			return 1;
		}
	}
}

/* One step of a connection: 1 to keep it, 0 to end it (FIN), -1 reset. */
static inline int
ft_conn_step(struct ft_srv *s, struct ft_conn *c)
{
	int r;

	switch (s->mode) {
	case FT_ECHO:
		for (;;) {
			if (c->len > 0 && (r = ft_conn_flush(c)) <= 0)
				return r < 0 ? -1 : 1;
			if (c->eof)
				return 0;
			if ((r = ft_conn_read(s, c)) < 0)
				return -1;
			if (r == 0)
				c->eof = 1;
			else if (c->len == 0)
				return 1;
		}
	case FT_GEN:
		r = ft_conn_gen(s, c);
		return r < 0 ? -1 : r == 0 ? 1 : s->rst ? -1 : 0;
	case FT_SINK:
	case FT_HALF:
		if (!c->replying) {
			if ((r = ft_conn_read(s, c)) != 0)
				return r;
			c->replying = 1;
			if (s->mode == FT_SINK) {
				memcpy(c->buf, &c->rcvd, 8);
				memcpy(c->buf + 8, &c->fnv, 8);
				c->len = 16;
			}
		}
		if (s->mode == FT_SINK) {
			r = ft_conn_flush(c);
			return r < 0 ? -1 : r == 0 ? 1 : 0;
		}
		r = ft_conn_gen(s, c);
		return r < 0 ? -1 : r == 0 ? 1 : s->rst ? -1 : 0;
	default:
		return 1;
	}
}

static inline void
ft_srv_accept(struct ft_srv *s)
{
	int fd;

	while (s->conns < FT_SRV_MAX && (fd = accept4(s->lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct ft_conn *c;

		s->accepted++;
		if (s->mode == FT_RESET || (c = calloc(1, sizeof(*c))) ==
		    NULL) {
			(void)pt_close_rst(fd);
			continue;
		}
		c->fd = fd;
		c->fnv = FT_FNV_INIT;
		s->c[s->conns++] = c;
	}
}

static inline short
ft_conn_events(const struct ft_srv *s, const struct ft_conn *c)
{
	if (s->mode == FT_MUTE)
		return 0;
	if (c->len > 0 || s->mode == FT_GEN || c->replying)
		return POLLOUT;
	return POLLIN;
}

static inline void *
ft_srv_main(void *arg)
{
	struct ft_srv *s = arg;
	struct pollfd *pfd = calloc(FT_SRV_MAX + 2, sizeof(*pfd));
	int i, r;

	for (;;) {
		pfd[0] = (struct pollfd){ s->stop[0], POLLIN, 0 };
		pfd[1] = (struct pollfd){ s->lfd, POLLIN, 0 };
		for (i = 0; i < s->conns; i++)
			pfd[2 + i] = (struct pollfd){ s->c[i]->fd,
			    ft_conn_events(s, s->c[i]), 0 };
		if (poll(pfd, (nfds_t)s->conns + 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (i = s->conns - 1; i >= 0; i--) {
			struct ft_conn *c = s->c[i];

			if (pfd[2 + i].revents == 0)
				continue;
			/* A mute backend only notices its peer's reset. */
			r = s->mode == FT_MUTE ? -1 : ft_conn_step(s, c);
			if (r > 0)
				continue;
			if (r < 0)
				(void)pt_close_rst(c->fd);
			else {
				shutdown(c->fd, SHUT_WR);
				close(c->fd);
			}
			free(c);
			s->c[i] = s->c[--s->conns];
		}
		if (pfd[1].revents)
			ft_srv_accept(s);
	}
	for (i = 0; i < s->conns; i++) {
		close(s->c[i]->fd);
		free(s->c[i]);
	}
	s->conns = 0;
	free(pfd);
	return NULL;
}

/*
 * A backend on a fresh port; in a child process when `process`, which
 * ft_srv_kill() can then SIGKILL, the kernel closing its sockets the way
 * a crash does.
 */
static inline void
ft_srv_start(struct ft_srv *s, enum ft_mode mode, size_t len, int process)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->len = len;
	s->port = pt_free_port(SOCK_STREAM);
	s->lfd = pt_listen(s->port, 4096);
	s->c = calloc(FT_SRV_MAX, sizeof(*s->c));
	ck_assert_ptr_nonnull(s->c);
	ck_assert_int_eq(pipe2(s->stop, O_CLOEXEC), 0);
	if (process) {
		s->child = fork();
		ck_assert_int_ge(s->child, 0);
		if (s->child == 0) {
			ft_srv_main(s);
			_exit(0);
		}
		/* The child's alone: once it dies, the port refuses. */
		close(s->lfd);
		s->lfd = -1;
		return;
	}
	ck_assert_int_eq(pthread_create(&s->thread, NULL, ft_srv_main, s), 0);
}

static inline void
ft_srv_kill(struct ft_srv *s)
{
	ck_assert_int_gt(s->child, 0);
	kill(s->child, SIGKILL);
	waitpid(s->child, NULL, 0);
	s->child = -1;
}

static inline void
ft_srv_stop(struct ft_srv *s)
{
	if (s->child == 0) {
		ck_assert_int_eq(write(s->stop[1], "x", 1), 1);
		pthread_join(s->thread, NULL);
	} else if (s->child > 0) {
		ft_srv_kill(s);
	}
	close(s->stop[0]);
	close(s->stop[1]);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->c);
}

/* --- clients ----------------------------------------------------------- */

/* A non-blocking connect to 127.0.0.1:port, under way or done. */
static inline int
ft_connect_nb(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Waits for fd's end (FIN or reset) within ms: 1 if it came, 0 if not. */
static inline int
ft_wait_end(int fd, int ms)
{
	int64_t end = test_now_ms() + ms;
	char buf[65536];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = end - test_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
	}
}

/*
 * Reads what is there (at most 256 KiB: a fast sender never runs dry),
 * checking it against stream `seed` from *off: 1 more may come, 0 the end of
 * stream, -errno.
 */
static inline int
ft_read_checked(int fd, uint32_t seed, uint64_t *off)
{
	unsigned char buf[65536];
	ssize_t n;
	int k = 0;

	while (k++ < 4 && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		ck_assert_msg(ft_check(seed, *off, buf, (size_t)n) == (size_t)n,
		    "a byte differs near offset %llu",
		    (unsigned long long)*off);
		*off += (size_t)n;
	}
	return n > 0 ? 1 : n == 0 ? 0 : errno == EAGAIN ? 1 : -errno;
}

/* Reads and checks until the end (FIN or reset) within ms: 1 if it came. */
static inline int
ft_read_to_end(int fd, uint32_t seed, uint64_t *off, int ms)
{
	int64_t end = test_now_ms() + ms;

	while (test_now_ms() < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, 100) > 0 && ft_read_checked(fd, seed, off) <= 0)
			return 1;
	}
	return 0;
}

/* What a session through an echo backend came to. */
struct ft_outcome {
	int		 err;	/* 0, -errno, -EPROTO: a byte differed */
	int		 stage;	/* 0 connect, 1 exchange, 2 end of stream */
	uint64_t	 got;	/* bytes received, each checked */
};

static inline int
ft_session_io(int fd, uint32_t seed, size_t len, struct ft_outcome *o,
    size_t *sent, unsigned char *buf)
{
	struct pollfd pfd = { fd, POLLIN | (*sent < len ? POLLOUT : 0), 0 };
	ssize_t n;

	if (poll(&pfd, 1, PT_WAIT_MS) <= 0)
		return -ETIMEDOUT;
	if ((pfd.revents & POLLOUT) && *sent < len) {
		size_t want = len - *sent < FT_CHUNK ? len - *sent : FT_CHUNK;

		ft_fill(seed, *sent, buf, want);
		n = send(fd, buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n > 0)
			*sent += (size_t)n;
		if (*sent == len && shutdown(fd, SHUT_WR) < 0)
			return -errno;
	}
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		n = recv(fd, buf, FT_CHUNK, MSG_DONTWAIT);
		if (n == 0)
			return o->got == len ? 1 : -EPIPE;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (o->got + (size_t)n > len ||
		    ft_check(seed, o->got, buf, (size_t)n) != (size_t)n)
			return -EPROTO;
		o->got += (size_t)n;
	}
	return 0;
}

/*
 * One session through an echo backend: len bytes of stream `seed` sent
 * (then a FIN) while the echo is read and checked byte by byte, then the
 * end of stream.  Never fails the test: threads run it.
 */
static inline struct ft_outcome
ft_echo_session(int port, uint32_t seed, size_t len)
{
	struct ft_outcome o = { 0, 0, 0 };
	unsigned char *buf = malloc(FT_CHUNK);
	size_t sent = 0;
	int fd = ft_connect_nb(port), r = 0;

	if (fd < 0 || buf == NULL) {
		o.err = fd < 0 ? fd : -ENOMEM;
		free(buf);
		return o;
	}
	o.stage = 1;
	if (len == 0)
		shutdown(fd, SHUT_WR);
	while ((r = ft_session_io(fd, seed, len, &o, &sent, buf)) == 0)
		;
	if (r < 0)
		o.err = r;
	else
		o.stage = 2;
	close(fd);
	free(buf);
	return o;
}

/* --- load ------------------------------------------------------------- */

/*
 * Threads running echo sessions of random sizes (up to max bytes) back
 * to back until told to stop, or until a connect is refused when
 * stop_at_refusal (the listener closed).
 */
#define FT_LOAD_MAX	16

struct ft_load {
	int		 port;
	int		 nthreads;
	size_t		 max;
	int		 stop_at_refusal;
	volatile int	 stop;
	pthread_t	 threads[FT_LOAD_MAX];
	pthread_mutex_t	 mu;
	/* Totals, under mu. */
	unsigned	 done;		/* complete and intact */
	unsigned	 refused;	/* never served: not a failure */
	unsigned	 failed;
	unsigned	 corrupt;
	uint64_t	 bytes;		/* received and checked */
	char		 first_error[128];
};

static inline void
ft_load_count(struct ft_load *l, const struct ft_outcome *o, unsigned k)
{
	pthread_mutex_lock(&l->mu);
	l->bytes += o->got;
	if (o->err == 0)
		l->done++;
	else if (o->err == -EPROTO)
		l->corrupt++;
	/*
	 * Never served: refused, or queued on the listener when it closed
	 * and reset there (seen as ECONNRESET, EPIPE, or ENOTCONN when the
	 * reset came before the first send).
	 */
	else if (l->stop_at_refusal && o->got == 0 &&
	    (o->err == -ECONNREFUSED || o->err == -ECONNRESET ||
	    o->err == -EPIPE || o->err == -ENOTCONN))
		l->refused++;
	else
		l->failed++;
	if (o->err != 0 && o->err != -ECONNREFUSED &&
	    l->first_error[0] == '\0')
		snprintf(l->first_error, sizeof(l->first_error),
		    "session %u: %s at stage %d after %llu bytes", k,
		    strerror(-o->err), o->stage, (unsigned long long)o->got);
	pthread_mutex_unlock(&l->mu);
}

static inline void *
ft_load_main(void *arg)
{
	struct ft_load *l = arg;
	static volatile unsigned next;
	unsigned k;

	while (!l->stop) {
		struct ft_outcome o;
		size_t len;

		k = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
		len = (size_t)(ft_mix(k) % l->max) + 1;
		o = ft_echo_session(l->port, k, len);
		ft_load_count(l, &o, k);
		if (l->stop_at_refusal && o.err != 0 && o.got == 0)
			break;
	}
	return NULL;
}

static inline void
ft_load_start(struct ft_load *l, int port, int nthreads, size_t max,
    int stop_at_refusal)
{
	int i;

	memset(l, 0, sizeof(*l));
	l->port = port;
	l->nthreads = nthreads;
	l->max = max;
	l->stop_at_refusal = stop_at_refusal;
	pthread_mutex_init(&l->mu, NULL);
	for (i = 0; i < nthreads; i++)
		ck_assert_int_eq(pthread_create(&l->threads[i], NULL,
		    ft_load_main, l), 0);
}

static inline void
ft_load_join(struct ft_load *l)
{
	int i;

	l->stop = 1;
	for (i = 0; i < l->nthreads; i++)
		pthread_join(l->threads[i], NULL);
	pthread_mutex_destroy(&l->mu);
}

#endif /* FAULTS_H */
