/*
 * Windows build only (-I lib/src/win/compat): <sys/socket.h> for the
 * portable socket sources (tcp.c, udp.c, sockopt.c, addr.c) compiled
 * against Winsock.  The BSD calls they make are redirected to wrappers
 * (win/wsa.c) that keep POSIX's contract: -1 with errno set, the errno
 * being the mapping of WSAGetLastError() that libmio(3) tabulates.  So
 * those sources stay one text for every system, with no #ifdef.
 */
#ifndef MIO_WIN_COMPAT_SYS_SOCKET_H
#define MIO_WIN_COMPAT_SYS_SOCKET_H

#include <errno.h>
#include <sys/types.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>

/* POSIX names Winsock lacks. */
typedef ADDRESS_FAMILY sa_family_t;

#ifndef SHUT_RD
#define SHUT_RD		SD_RECEIVE
#define SHUT_WR		SD_SEND
#define SHUT_RDWR	SD_BOTH
#endif
/* Linux's socket family option: answered from SO_PROTOCOL_INFOW's
 * iAddressFamily by the getsockopt() wrapper. */
#define SO_DOMAIN	0x7ff1
#ifndef IPV6_RECVPKTINFO
#define IPV6_RECVPKTINFO IPV6_PKTINFO
#endif
#ifndef SOCK_SEQPACKET
#define SOCK_SEQPACKET	5
#endif

/* Sets errno from WSAGetLastError() and returns -1. */
int mio__wsa_fail(void);
/* WSA error code to errno value (positive). */
int mio__wsa_errno(int wsa);

int mio__w_setsockopt(SOCKET s, int level, int name, const void *v,
    socklen_t len);
int mio__w_getsockopt(SOCKET s, int level, int name, void *v,
    socklen_t *len);
int mio__w_bind(SOCKET s, const struct sockaddr *a, socklen_t len);
int mio__w_listen(SOCKET s, int backlog);
int mio__w_connect(SOCKET s, const struct sockaddr *a, socklen_t len);
int mio__w_shutdown(SOCKET s, int how);
int mio__w_getsockname(SOCKET s, struct sockaddr *a, socklen_t *len);
int mio__w_getpeername(SOCKET s, struct sockaddr *a, socklen_t *len);
ssize_t mio__w_sendto(SOCKET s, const void *buf, size_t len, int flags,
    const struct sockaddr *a, socklen_t alen);
ssize_t mio__w_recvfrom(SOCKET s, void *buf, size_t len, int flags,
    struct sockaddr *a, socklen_t *alen);
ssize_t mio__w_send(SOCKET s, const void *buf, size_t len, int flags);
ssize_t mio__w_recv(SOCKET s, void *buf, size_t len, int flags);

#define setsockopt	mio__w_setsockopt
#define getsockopt	mio__w_getsockopt
#define bind		mio__w_bind
#define listen		mio__w_listen
#define connect		mio__w_connect
#define shutdown	mio__w_shutdown
#define getsockname	mio__w_getsockname
#define getpeername	mio__w_getpeername
#define sendto		mio__w_sendto
#define recvfrom	mio__w_recvfrom
#define send		mio__w_send
#define recv		mio__w_recv

#endif /* MIO_WIN_COMPAT_SYS_SOCKET_H */
