/*
 * UDP batches (udp_msg.h).  Where the system has recvmmsg(2), libmio's
 * mio_recvmmsg() is one system call per batch.  Elsewhere libmio's
 * fallback reads one datagram per call, which its contract allows; but
 * the daemon takes a short batch on an edge-triggered backend for an
 * emptied queue (udp.c, udp_drained()), and would wait for an edge that
 * never comes with datagrams still queued.  So without recvmmsg the
 * daemon loops mio_recvmsg() itself, to n or to -EAGAIN.
 *
 * Sends go through mio_sendmmsg() wherever struct mmsghdr exists (its
 * fallback is a loop already), and through the same loop of
 * mio_sendmsg() where it does not.
 */
#include "config.h"

#include <errno.h>
#include <sys/types.h>

#include <mio.h>

#include "relay/udp_msg.h"

int
udp_msg_recv(int fd, udp_msg *v, unsigned n, int *later)
{
#ifdef HAVE_RECVMMSG
	*later = 0;
	return mio_recvmmsg(fd, v, n, 0);
#else
	unsigned i;
	ssize_t r;

	*later = 0;
	for (i = 0; i < n; i++) {
		if ((r = mio_recvmsg(fd, &v[i].msg_hdr, 0)) < 0) {
			if (i == 0)
				return (int)r;
			/* -EAGAIN re-armed the socket: the queue is empty. */
			if (r != -EAGAIN)
				*later = (int)r;
			break;
		}
		v[i].msg_len = (unsigned)r;
	}
	return (int)i;
#endif
}

int
udp_msg_send(int fd, udp_msg *v, unsigned n)
{
#ifdef HAVE_STRUCT_MMSGHDR
	return mio_sendmmsg(fd, v, n, 0);
#else
	unsigned i;
	ssize_t r;

	/* As sendmmsg(2): a later failure shows again on the next call. */
	for (i = 0; i < n; i++) {
		if ((r = mio_sendmsg(fd, &v[i].msg_hdr, 0)) < 0)
			return i > 0 ? (int)i : (int)r;
		v[i].msg_len = (unsigned)r;
	}
	return (int)i;
#endif
}
