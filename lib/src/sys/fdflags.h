/*
 * Descriptors born non-blocking and close-on-exec (API.md), where the
 * system can and where it cannot.
 *
 * Linux and most BSDs create them so in one call: socket(2) and
 * socketpair(2) take SOCK_NONBLOCK | SOCK_CLOEXEC, accept4(2) and
 * pipe2(2) take the same flags.  macOS has none of these, so there the
 * descriptor is made first and fcntl(2) sets the two flags after; a fork
 * and exec by another thread in that window leaks the descriptor into
 * the child, which is the best such a system offers (mio and libuv
 * accept the same).  configure checks each feature by itself
 * (HAVE_ACCEPT4, HAVE_PIPE2, HAVE_DECL_SOCK_CLOEXEC and
 * HAVE_DECL_SOCK_NONBLOCK), and --disable-linux-extensions answers "no"
 * to all of them, so that the fallbacks are compiled and tested on
 * Linux too.  Every function returns a descriptor or -errno; EINTR is
 * the caller's to retry (accept).
 */
#ifndef MIO_SYS_FDFLAGS_H
#define MIO_SYS_FDFLAGS_H

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#if HAVE_DECL_SOCK_CLOEXEC && HAVE_DECL_SOCK_NONBLOCK
#define MIO__SOCK_FLAGS	(SOCK_NONBLOCK | SOCK_CLOEXEC)
#else
#define MIO__SOCK_FLAGS	0
#endif

/* Sets O_NONBLOCK and FD_CLOEXEC on fd: 0, or -errno. */
static inline int
mio__fd_setflags(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Closes fd after a failed fcntl, keeping that failure's errno. */
static inline int
mio__fd_fail(int fd, int err)
{
	close(fd);
	return err;
}

/* socket(2), non-blocking and close-on-exec. */
static inline int
mio__fd_socket(int domain, int type, int protocol)
{
	int s, e;

	if ((s = socket(domain, type | MIO__SOCK_FLAGS, protocol)) < 0)
		return -errno;
	if (MIO__SOCK_FLAGS == 0 && (e = mio__fd_setflags(s)) < 0)
		return mio__fd_fail(s, e);
	return s;
}

/* socketpair(2), both ends non-blocking and close-on-exec: 0 or -errno. */
static inline int
mio__fd_socketpair(int domain, int type, int protocol, int out[2])
{
	int e;

	if (socketpair(domain, type | MIO__SOCK_FLAGS, protocol, out) < 0)
		return -errno;
	if (MIO__SOCK_FLAGS == 0 && ((e = mio__fd_setflags(out[0])) < 0 ||
	    (e = mio__fd_setflags(out[1])) < 0)) {
		close(out[0]);
		close(out[1]);
		return e;
	}
	return 0;
}

/*
 * accept(2), the new socket non-blocking and close-on-exec.  Returns the
 * socket or -errno; -EINTR and -ECONNABORTED are the caller's to retry.
 * BSD's accept(2) makes the new socket inherit O_NONBLOCK from the
 * listener and Linux's does not: the fcntl sets it either way.
 */
static inline int
mio__fd_accept(int listener, struct sockaddr *sa, socklen_t *len)
{
	int s;

#ifdef HAVE_ACCEPT4
	if ((s = accept4(listener, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return -errno;
#else
	int e;

	if ((s = accept(listener, sa, len)) < 0)
		return -errno;
	if ((e = mio__fd_setflags(s)) < 0)
		return mio__fd_fail(s, e);
#endif
	return s;
}

/* pipe(2), both ends non-blocking and close-on-exec: 0 or -errno. */
static inline int
mio__fd_pipe(int out[2])
{
#ifdef HAVE_PIPE2
	if (pipe2(out, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
#else
	int e;

	if (pipe(out) < 0)
		return -errno;
	if ((e = mio__fd_setflags(out[0])) < 0 ||
	    (e = mio__fd_setflags(out[1])) < 0) {
		close(out[0]);
		close(out[1]);
		return e;
	}
#endif
	return 0;
}

#endif /* MIO_SYS_FDFLAGS_H */
