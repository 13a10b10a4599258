/*
 * The platform extensions on Windows: Winsock has WSASendMsg/WSARecvMsg
 * but not struct msghdr, and no mmsg batches or splice, so all of them
 * return -ENOTSUP after the argument checks (libmio(3), WINDOWS).
 */
#include "config.h"

#include "mio.h"

ssize_t
mio_sendmsg(mio_sock s, const struct msghdr *msg, int flags)
{
	(void)s; (void)flags;
	return msg == NULL ? -EINVAL : -ENOTSUP;
}

ssize_t
mio_recvmsg(mio_sock s, struct msghdr *msg, int flags)
{
	(void)s; (void)flags;
	return msg == NULL ? -EINVAL : -ENOTSUP;
}

int
mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	(void)s; (void)vec; (void)n; (void)flags;
	return -ENOTSUP;
}

int
mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n, int flags)
{
	(void)s; (void)vec; (void)n; (void)flags;
	return -ENOTSUP;
}

ssize_t
mio_splice(mio_sock in, mio_sock out, size_t len, unsigned flags)
{
	(void)in; (void)out; (void)len; (void)flags;
	return -ENOTSUP;
}
