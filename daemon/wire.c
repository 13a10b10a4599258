/*
 * The supervisor's channel (wire.h): sendmsg/recvmsg with SCM_RIGHTS,
 * through libmio's extensions, so that a worker's -EAGAIN re-arms the
 * channel on backends that emulate edges (poll(2)).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wire.h"

#ifndef MSG_CMSG_CLOEXEC		/* macOS: the workers exec nothing */
#define MSG_CMSG_CLOEXEC	0
#endif

#define WIRE_HEAD	offsetof(struct wire_msg, text)
#define WIRE_FULL_MS	5000

void
wire_text(struct wire_msg *m, const char *s)
{
	snprintf(m->text, sizeof(m->text), "%s", s);
	m->len = (uint32_t)strlen(m->text) + 1;
}

int
wire_send(int s, const struct wire_msg *m, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)(uintptr_t)m, WIRE_HEAD + m->len };
	struct pollfd pfd = { s, POLLOUT, 0 };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	if (m->len > WIRE_TEXT_MAX)
		return -EINVAL;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while ((n = mio_sendmsg(s, &mh, 0)) < 0) {
		if (n != -EAGAIN)
			return (int)n;
		if (poll(&pfd, 1, WIRE_FULL_MS) <= 0)
			return -ETIMEDOUT;
	}
	return n == (ssize_t)iov.iov_len ? 0 : -EIO;
}

int
wire_recv(int s, struct wire_msg *m, int *fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	if ((n = mio_recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) < 0)
		return (int)n;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return 0;
	if ((size_t)n < WIRE_HEAD || (mh.msg_flags & MSG_TRUNC) ||
	    m->len > WIRE_TEXT_MAX || (size_t)n != WIRE_HEAD + m->len) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	if (m->len < WIRE_TEXT_MAX)
		m->text[m->len] = '\0';
	return 1;
}
