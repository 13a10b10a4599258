/*
 * Signals without running code in a handler (signals.h).
 *
 * signalfd(2), where the system has it (Linux): the signals are blocked
 * and read from the descriptor, so no handler exists at all.
 *
 * Elsewhere (the BSDs, macOS; --disable-linux-extensions on Linux), the
 * classic self-pipe: a handler that only writes the signal's number, one
 * byte, into a non-blocking pipe whose other end the loop reads.  A full
 * pipe drops the byte: thousands of signals are already waiting there.
 * SA_RESTART keeps the daemon's other blocking calls (log writes) from
 * failing with EINTR; the loop's wait wakes on the pipe either way.
 * Closing blocks the signals first, so that no handler can write into a
 * descriptor number that a later open(2) has reused.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SIGNALFD
#include <sys/signalfd.h>
#endif

#include <mio.h>

#include "signals.h"

/* SIGCHLD: a supervisor's workers ended (supervisor.c; others have no
 * children, and the loop ignores it). */
static const int signals_caught[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1,
    SIGCHLD };
#define SIGNALS_N	(sizeof(signals_caught) / sizeof(signals_caught[0]))

static void
signals_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < SIGNALS_N; i++)
		sigaddset(set, signals_caught[i]);
}

#ifdef HAVE_SIGNALFD

int
signals_open(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	signals_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

int
signals_next(int fd)
{
	struct signalfd_siginfo si;

	if (mio_read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

void
signals_close(int fd)
{
	mio_close(fd);
}

#else /* !HAVE_SIGNALFD */

static volatile sig_atomic_t signals_wfd = -1;

static void
signals_handler(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (signals_wfd >= 0)
		(void)write(signals_wfd, &c, 1);
	errno = saved;
}

int
signals_open(void)
{
	struct sigaction sa;
	sigset_t set;
	mio_sock p[2];
	size_t i;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = mio_pipe(p)) != 0)
		return rc;
	signals_wfd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signals_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < SIGNALS_N; i++)
		if (sigaction(signals_caught[i], &sa, NULL) < 0) {
			rc = -errno;
			signals_close(p[0]);
			return rc;
		}
	/* Blocked by whoever started the daemon, they would never come. */
	signals_set(&set);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0) {
		rc = -errno;
		signals_close(p[0]);
		return rc;
	}
	return p[0];
}

int
signals_next(int fd)
{
	unsigned char c;

	if (mio_read(fd, &c, 1) != 1)
		return 0;
	return c;
}

void
signals_close(int fd)
{
	sigset_t set;
	int wfd = signals_wfd;

	signals_set(&set);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	signals_wfd = -1;
	if (wfd >= 0)
		mio_close(wfd);
	mio_close(fd);
}

#endif /* HAVE_SIGNALFD */
