/*
 * Internal helpers of the socket layer, shared by tcp.c, udp.c, unix.c,
 * io.c and net.c so that every socket is created, bound, connected and
 * accepted the same way: non-blocking and close-on-exec from birth,
 * IPv6-only for IPv6, EINTR retried, -errno returned.
 */
#ifndef MIO_NET_H
#define MIO_NET_H

#include "mio.h"

/* socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC; IPV6_V6ONLY on AF_INET6. */
int mio__socket(int domain, int type);
/* A new socket of a's family bound to a; with listen(2) if backlog >= 0. */
int mio__bound(const struct mio_addr *a, int type, int reuse, int backlog);
/* A new socket of a's family with a connect to a started. */
int mio__connected(const struct mio_addr *a, int type);
/* connect(2) of an existing socket; EINPROGRESS and EINTR are success. */
int mio__connect(mio_sock s, const struct mio_addr *a);
/* accept4(2), EINTR and ECONNABORTED retried, re-armed on -EAGAIN. */
int mio__accept(mio_sock listener, struct mio_addr *peer);
/* Integer socket options: set one, or read one (>= 0). */
int mio__setopt(mio_sock s, int level, int name, int value);
int mio__getopt(mio_sock s, int level, int name);
/* 0 when a is usable for family `family` (AF_UNSPEC: INET or INET6). */
int mio__check_family(const struct mio_addr *a, int family);

#endif /* MIO_NET_H */
