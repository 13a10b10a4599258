/*
 * Unix domain stream sockets: listeners and connections.  The same text
 * on POSIX and on Windows (AF_UNIX streams since Windows 10 1803, through
 * lib/src/win/compat); where Windows lacks AF_UNIX the socket call
 * answers -EAFNOSUPPORT.  Datagrams and pairs are unix.c's (POSIX) and
 * win/unix_win.c's (-ENOTSUP).
 */
#include "config.h"

#include <sys/socket.h>

#include "net.h"

/* What mio asks for with listen(fd, -1): SOMAXCONN. */
#define UNIX_BACKLOG	SOMAXCONN

int
mio_unix_listen(const struct mio_addr *addr, int backlog)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return mio__bound(addr, SOCK_STREAM, 0,
	    backlog > 0 ? backlog : UNIX_BACKLOG);
}

int
mio_unix_accept(mio_sock listener, struct mio_addr *peer)
{
	return mio__accept(listener, peer);
}

/*
 * On POSIX a Unix stream connect completes or fails at once; -EAGAIN
 * means the listener's backlog is full, and it leaves no socket behind
 * (there is no descriptor to re-arm: retry later).  On Windows it may
 * still be in progress on return, as a TCP connect: wait for writable.
 */
int
mio_unix_connect(const struct mio_addr *addr)
{
	int e;

	if ((e = mio__check_family(addr, AF_UNIX)) < 0)
		return e;
	return mio__connected(addr, SOCK_STREAM);
}
