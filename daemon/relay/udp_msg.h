/*
 * UDP datagrams in batches: recvmmsg(2)/sendmmsg(2) where the system has
 * them (through libmio), else loops of single recvmsg/sendmsg calls with
 * the same counts, in the daemon's own batch type where the system has
 * no struct mmsghdr (macOS).  udp_msg.c says why the daemon loops itself.
 */
#ifndef MIOPROXY_RELAY_UDP_MSG_H
#define MIOPROXY_RELAY_UDP_MSG_H

#include <sys/socket.h>

#ifdef HAVE_STRUCT_MMSGHDR
typedef struct mmsghdr udp_msg;
#else
typedef struct {
	struct msghdr	 msg_hdr;
	unsigned	 msg_len;	/* bytes received or sent */
} udp_msg;
#endif

/*
 * Receives up to n datagrams into v: how many (>= 1), or -errno
 * (-EAGAIN: none was queued).  A count below n means the queue was
 * emptied, or that an error came after the count: then *later is that
 * -errno (already consumed by the kernel), else 0.
 */
int	udp_msg_recv(int fd, udp_msg *v, unsigned n, int *later);
/*
 * Sends up to n messages of v: how many went, or the first one's -errno
 * when none did (-EAGAIN: nothing was sent).
 */
int	udp_msg_send(int fd, udp_msg *v, unsigned n);

#endif /* MIOPROXY_RELAY_UDP_MSG_H */
