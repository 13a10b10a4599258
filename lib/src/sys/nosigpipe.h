/*
 * Sends that never raise SIGPIPE (API.md: a vanished peer is -EPIPE and
 * the library leaves signal dispositions alone).
 *
 * Linux and the BSDs take MSG_NOSIGNAL on each send.  macOS lacks it
 * and has instead a socket option, SO_NOSIGPIPE, set once when the
 * socket is made (mio does the same).  configure checks for both
 * declarations; where MSG_NOSIGNAL exists the option is not needed and
 * mio__nosigpipe() compiles to nothing.  A system with neither leaves
 * sockets as pipes are: the program ignores SIGPIPE itself.
 */
#ifndef MIO_SYS_NOSIGPIPE_H
#define MIO_SYS_NOSIGPIPE_H

#include <errno.h>
#include <sys/socket.h>

#if HAVE_DECL_MSG_NOSIGNAL
#define MIO__MSG_NOSIGNAL	MSG_NOSIGNAL
#else
#define MIO__MSG_NOSIGNAL	0
#endif

/* Called on every socket libmio makes or accepts: 0, or -errno. */
static inline int
mio__nosigpipe(int s)
{
#if !HAVE_DECL_MSG_NOSIGNAL && HAVE_DECL_SO_NOSIGPIPE
	int on = 1;

	if (setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on)) < 0)
		return -errno;
#endif
	(void)s;
	return 0;
}

#endif /* MIO_SYS_NOSIGPIPE_H */
