/*
 * Winsock underneath the portable socket sources: the library's own
 * WSAStartup (once, on the first socket or poll), the one table that
 * turns WSA error codes into the negative errno values libmio returns
 * everywhere (libmio(3), WINDOWS), and the BSD-call wrappers that
 * compat/sys/socket.h redirects tcp.c, udp.c and sockopt.c to.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "win/wsa.h"

/* This file is the wrappers' inside: the real Winsock calls. */
#undef setsockopt
#undef getsockopt
#undef bind
#undef listen
#undef connect
#undef shutdown
#undef getsockname
#undef getpeername
#undef sendto
#undef recvfrom
#undef send
#undef recv

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_rc;

static BOOL CALLBACK
wsa_start(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	WSADATA wd;
	int e = WSAStartup(MAKEWORD(2, 2), &wd);

	(void)once; (void)arg; (void)ctx;
	wsa_rc = e == 0 ? 0 : -mio__wsa_errno(e);
	return TRUE;
}

int
mio__wsa_init(void)
{
	InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
	return wsa_rc;
}

/* The table of libmio(3), WINDOWS: keep the two in step. */
int
mio__wsa_errno(int wsa)
{
	switch (wsa) {
	case WSAEWOULDBLOCK:		return EAGAIN;
	case WSAEINPROGRESS:		return EINPROGRESS;
	case WSAEALREADY:		return EALREADY;
	case WSAEINTR:			return EINTR;
	case WSAEBADF:
	case WSA_INVALID_HANDLE:	return EBADF;
	case WSAENOTSOCK:		return ENOTSOCK;
	case WSAEACCES:			return EACCES;
	case WSAEFAULT:			return EFAULT;
	case WSAEINVAL:
	case WSA_INVALID_PARAMETER:	return EINVAL;
	case WSAEMFILE:			return EMFILE;
	case WSAEDESTADDRREQ:		return EDESTADDRREQ;
	case WSAEMSGSIZE:		return EMSGSIZE;
	case WSAEPROTOTYPE:		return EPROTOTYPE;
	case WSAENOPROTOOPT:		return ENOPROTOOPT;
	case WSAEPROTONOSUPPORT:
	case WSAESOCKTNOSUPPORT:	return EPROTONOSUPPORT;
	case WSAEOPNOTSUPP:		return EOPNOTSUPP;
	case WSAEPFNOSUPPORT:
	case WSAEAFNOSUPPORT:		return EAFNOSUPPORT;
	case WSAEADDRINUSE:		return EADDRINUSE;
	case WSAEADDRNOTAVAIL:		return EADDRNOTAVAIL;
	case WSAENETDOWN:		return ENETDOWN;
	case WSAENETUNREACH:		return ENETUNREACH;
	case WSAENETRESET:		return ENETRESET;
	case WSAECONNABORTED:		return ECONNABORTED;
	case WSAECONNRESET:		return ECONNRESET;
	case WSAENOBUFS:
	case WSA_NOT_ENOUGH_MEMORY:	return ENOBUFS;
	case WSAEISCONN:		return EISCONN;
	case WSAENOTCONN:		return ENOTCONN;
	case WSAESHUTDOWN:		return EPIPE;
	case WSAETIMEDOUT:		return ETIMEDOUT;
	case WSAECONNREFUSED:		return ECONNREFUSED;
	case WSAEHOSTDOWN:
	case WSAEHOSTUNREACH:		return EHOSTUNREACH;
	case WSAENAMETOOLONG:		return ENAMETOOLONG;
	case WSANOTINITIALISED:		return ENOTSUP;
	default:			return EIO;
	}
}

int
mio__wsa_fail(void)
{
	errno = mio__wsa_errno(WSAGetLastError());
	return -1;
}

int
mio__wsa_neg(void)
{
	return -mio__wsa_errno(WSAGetLastError());
}

int
mio__win_checked(SOCKET s)
{
	/*
	 * Kernel handles are 32-bit significant (Windows keeps them so for
	 * 32-bit processes), so a SOCKET fits the int the constructors
	 * return; one that did not would be closed, not truncated.
	 */
	if (s > (SOCKET)INT_MAX) {
		closesocket(s);
		return -EMFILE;
	}
	return (int)s;
}

/* SIO_UDP_CONNRESET off: an ICMP error must not fail an unconnected
 * socket's next receive, as it never does on Linux. */
static void
wsa_udp_quiet(SOCKET s)
{
	BOOL off = FALSE;
	DWORD n;

	(void)WSAIoctl(s, 0x9800000Cu, &off, sizeof(off), NULL, 0, &n, NULL,
	    NULL);
}

int
mio__win_socket(int domain, int type)
{
	u_long on = 1;
	SOCKET s;
	int e;

	if ((e = mio__wsa_init()) < 0)
		return e;
	s = WSASocketW(domain, type, 0, NULL, 0,
	    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	/*
	 * WSA_FLAG_NO_HANDLE_INHERIT is Windows 7 SP1 (KB2533623) and later;
	 * an older Winsock refuses it with WSAEINVAL: the socket is then
	 * made without it and made non-inheritable after (as Rust's std
	 * does), a window in which a CreateProcess elsewhere may inherit it.
	 */
	if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
		s = WSASocketW(domain, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
		if (s != INVALID_SOCKET && !SetHandleInformation((HANDLE)s,
		    HANDLE_FLAG_INHERIT, 0)) {
			closesocket(s);
			return -EIO;
		}
	}
	if (s == INVALID_SOCKET)
		return mio__wsa_neg();
	if (ioctlsocket(s, FIONBIO, &on) != 0) {
		e = mio__wsa_neg();
		closesocket(s);
		return e;
	}
	if (type == SOCK_DGRAM && domain != AF_UNIX)
		wsa_udp_quiet(s);
	return mio__win_checked(s);
}

/* --- the wrappers of compat/sys/socket.h: POSIX's -1 and errno --- */

#define WSA_CALL(expr)	((expr) == SOCKET_ERROR ? mio__wsa_fail() : 0)

int
mio__w_setsockopt(SOCKET s, int level, int name, const void *v,
    socklen_t len)
{
	return WSA_CALL(setsockopt(s, level, name, v, len));
}

int
mio__w_getsockopt(SOCKET s, int level, int name, void *v, socklen_t *len)
{
	if (level == SOL_SOCKET && name == SO_DOMAIN) {
		WSAPROTOCOL_INFOW info;
		int n = sizeof(info);

		if (*len < (socklen_t)sizeof(int))
			return errno = EINVAL, -1;
		if (getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW,
		    (char *)&info, &n) == SOCKET_ERROR)
			return mio__wsa_fail();
		*(int *)v = info.iAddressFamily;
		*len = sizeof(int);
		return 0;
	}
	return WSA_CALL(getsockopt(s, level, name, v, len));
}

int
mio__w_bind(SOCKET s, const struct sockaddr *a, socklen_t len)
{
	return WSA_CALL(bind(s, a, len));
}

int
mio__w_listen(SOCKET s, int backlog)
{
	return WSA_CALL(listen(s, backlog));
}

int
mio__w_connect(SOCKET s, const struct sockaddr *a, socklen_t len)
{
	if (connect(s, a, len) == 0)
		return 0;
	/* A non-blocking connect under way is WSAEWOULDBLOCK here. */
	if (WSAGetLastError() == WSAEWOULDBLOCK) {
		errno = EINPROGRESS;
		return -1;
	}
	return mio__wsa_fail();
}

int
mio__w_shutdown(SOCKET s, int how)
{
	return WSA_CALL(shutdown(s, how));
}

int
mio__w_getsockname(SOCKET s, struct sockaddr *a, socklen_t *len)
{
	return WSA_CALL(getsockname(s, a, len));
}

int
mio__w_getpeername(SOCKET s, struct sockaddr *a, socklen_t *len)
{
	return WSA_CALL(getpeername(s, a, len));
}

static int
wsa_len(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

ssize_t
mio__w_sendto(SOCKET s, const void *buf, size_t len, int flags,
    const struct sockaddr *a, socklen_t alen)
{
	int n = sendto(s, buf, wsa_len(len), flags, a, alen);

	return n == SOCKET_ERROR ? mio__wsa_fail() : n;
}

/* A datagram longer than the buffer fills it and fails with WSAEMSGSIZE
 * on Windows; POSIX returns the cut length, and so does libmio. */
ssize_t
mio__w_recvfrom(SOCKET s, void *buf, size_t len, int flags,
    struct sockaddr *a, socklen_t *alen)
{
	int n = recvfrom(s, buf, wsa_len(len), flags, a, alen);

	if (n != SOCKET_ERROR)
		return n;
	if (WSAGetLastError() == WSAEMSGSIZE)
		return wsa_len(len);
	return mio__wsa_fail();
}

ssize_t
mio__w_send(SOCKET s, const void *buf, size_t len, int flags)
{
	int n = send(s, buf, wsa_len(len), flags);

	return n == SOCKET_ERROR ? mio__wsa_fail() : n;
}

ssize_t
mio__w_recv(SOCKET s, void *buf, size_t len, int flags)
{
	int n = recv(s, buf, wsa_len(len), flags);

	if (n != SOCKET_ERROR)
		return n;
	if (WSAGetLastError() == WSAEMSGSIZE)
		return wsa_len(len);
	return mio__wsa_fail();
}
