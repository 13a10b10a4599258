/*
 * Shared by the ping-pong programs of bench/libmio: every contender does
 * the same work, in the same syscall pattern, so that the instructions it
 * spends in user space per round trip measure its event loop and I/O
 * wrappers and nothing else.
 *
 * The work: the two ends of one socketpair(AF_UNIX, SOCK_STREAM), both
 * non-blocking and both registered for reading in ONE event loop of ONE
 * thread.  End 0 sends a MSG_SIZE-byte message; whichever end is readable
 * reads it and writes it back out of the same end, so it bounces between
 * them.  A round trip is end 0 -> end 1 -> end 0.
 *
 * The syscall pattern, identical for every contender (check it with
 * `strace -c -f`), per HALF round trip:
 *
 *     epoll_wait (or poll)   one wait that reports the readable end
 *     read  -> 64            the message
 *     write -> 64            echoed out of the same end
 *     read  -> EAGAIN        the end is drained
 *
 * The read until EAGAIN is what an edge-triggered contract requires
 * (libmio's on every backend: its poll(2) backend re-arms a descriptor
 * only when a read through libmio returns -EAGAIN; the raw epoll loop is
 * held to the same rule so that the two are compared on equal terms).
 * The level-triggered libraries do not need it, but are made to do it
 * all the same, so that no contender makes fewer syscalls: libev's and
 * libevent's callbacks read until EAGAIN, and libuv, given a MSG_SIZE
 * buffer by its alloc callback, reads again after a full buffer and gets
 * EAGAIN by itself.  Every read asks for MSG_SIZE bytes.
 *
 * Usage: pingpong_X [N]   (N round trips, default 20000; N = 0 is valid)
 * Prints one line: "<name> rt=<N> ns=<total> ns_per_rt=<x>".
 */
#ifndef PINGPONG_H
#define PINGPONG_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define MSG_SIZE	64
#define DEFAULT_RT	20000L

static inline long
pp_rounds(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_RT;

	if (n < 0) {
		fprintf(stderr, "round trips must be >= 0\n");
		exit(2);
	}
	return n;
}

static inline void
pp_die(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Both ends non-blocking and close-on-exec, as every contender needs. */
static inline void
pp_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) < 0)
		pp_die("socketpair", errno);
}

/* The first message, from end 0; with N = 0 nothing is sent. */
static inline void
pp_serve(int fd, long rounds)
{
	static const char msg[MSG_SIZE] = "ping";

	if (rounds > 0 && write(fd, msg, MSG_SIZE) != MSG_SIZE)
		pp_die("first write", errno);
}

static inline long long
pp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void
pp_report(const char *name, long rounds, long long ns)
{
	printf("%s rt=%ld ns=%lld ns_per_rt=%.1f\n", name, rounds, ns,
	    rounds > 0 ? (double)ns / (double)rounds : 0.0);
}

/*
 * Round-trip accounting, shared so that every contender decides the same
 * way.  `got` counts the bytes end 0 received; when it has seen `rounds`
 * whole messages the ping-pong is over and end 0 does not echo.
 */
struct pp_state {
	long	rounds;
	long	done;		/* round trips completed */
	size_t	got0;		/* bytes received by end 0, modulo MSG_SIZE */
	int	over;
};

/* Returns 1 if the bytes just read by `end` should be echoed. */
static inline int
pp_account(struct pp_state *st, int end, size_t n)
{
	if (end != 0)
		return 1;
	st->got0 += n;
	while (st->got0 >= MSG_SIZE) {
		st->got0 -= MSG_SIZE;
		st->done++;
	}
	if (st->done >= st->rounds) {
		st->over = 1;
		return 0;
	}
	return 1;
}

#endif /* PINGPONG_H */
