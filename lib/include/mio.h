/*
 * libmio: a readiness selector and non-blocking socket layer in the design
 * of Rust's mio ("Metal IO").  See libmio(3) for the model and a page per
 * function for each contract.
 *
 * Conventions kept by every function here:
 *  - failures are returned as a negative errno value (-EAGAIN, -EINVAL,
 *    ...), never -1 with errno; errno itself is not part of the contract;
 *  - would-block is always -EAGAIN, and EINTR inside I/O is retried;
 *  - nothing allocates after setup: waits, (de)registrations, wakes and
 *    I/O make no heap allocation;
 *  - every descriptor the library creates is non-blocking and
 *    close-on-exec.
 *
 * Copyright (c) 2026 the mioproxy authors.  MIT licence.
 */
#ifndef MIO_H
#define MIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MIO_API __attribute__((visibility("default")))
#else
#define MIO_API
#endif

#define MIO_VERSION_MAJOR 0
#define MIO_VERSION_MINOR 1
#define MIO_VERSION_PATCH 0

typedef int mio_sock;		/* the OS handle: a descriptor on POSIX */
typedef uintptr_t mio_token;	/* the caller's identifier, never interpreted */

/* One flag namespace: interests use the first five, events use all. */
#define MIO_READABLE	 0x01u
#define MIO_WRITABLE	 0x02u
#define MIO_PRIORITY	 0x04u	/* out-of-band data / EPOLLPRI */
#define MIO_AIO		 0x08u	/* kqueue EVFILT_AIO, where supported */
#define MIO_LIO		 0x10u	/* FreeBSD EVFILT_LIO, where supported */
#define MIO_ERROR	 0x20u	/* event only */
#define MIO_READ_CLOSED	 0x40u	/* event only: the peer will send no more */
#define MIO_WRITE_CLOSED 0x80u	/* event only: we can send no more */

struct mio_event {
	mio_token	token;
	uint32_t	flags;
};

struct mio_addr {
	socklen_t	len;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	in4;
		struct sockaddr_in6	in6;
		struct sockaddr_un	un;
		struct sockaddr_storage	ss;
	} u;
};

struct mio_poll;
struct mio_waker;

/*
 * Selector.
 */

/* Creates a poll on the best backend, or the one MIO_BACKEND names. */
MIO_API int mio_poll_new(struct mio_poll **out);
/* Frees a poll (NULL is fine).  Free its wakers first. */
MIO_API void mio_poll_free(struct mio_poll *p);
/* The backend's name: "epoll" or "poll". */
MIO_API const char *mio_poll_backend(const struct mio_poll *p);
/* Waits for events; returns how many were written, or -errno. */
MIO_API int mio_poll_wait(struct mio_poll *p, struct mio_event *events,
    size_t capacity, int timeout_ms);
/*
 * 1 when, on p's backend, a read that returns fewer bytes than asked (or
 * a write that takes fewer) may end a drain: new data or room raises a
 * new event without the caller first seeing -EAGAIN (epoll); 0 when only
 * libmio's -EAGAIN re-arms (poll(2)).  See mio_poll_short_io_drains(3).
 */
MIO_API int mio_poll_short_io_drains(const struct mio_poll *p);

MIO_API int mio_register(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest);
MIO_API int mio_reregister(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest);
MIO_API int mio_deregister(struct mio_poll *p, mio_sock s);

/*
 * Waker: a thread-safe, async-signal-safe way to make a wait return with
 * one MIO_READABLE event carrying the waker's token.
 */
MIO_API int mio_waker_new(struct mio_poll *p, mio_token token,
    struct mio_waker **out);
MIO_API int mio_waker_wake(struct mio_waker *w);
MIO_API void mio_waker_free(struct mio_waker *w);

/*
 * I/O on any descriptor.  On the poll(2) backend each call that returns
 * -EAGAIN re-arms the descriptor's registration (see libmio(3)).
 */
MIO_API int mio_pipe(mio_sock out[2]);
MIO_API int mio_unix_pair(int type, mio_sock out[2]);
MIO_API ssize_t mio_read(mio_sock s, void *buf, size_t len);
MIO_API ssize_t mio_write(mio_sock s, const void *buf, size_t len);
MIO_API int mio_close(mio_sock s);

/*
 * Addresses.  Text forms: "127.0.0.1:80", "[::1]:80", "[fe80::1%eth0]:80"
 * (or a numeric scope, "%2"), "unix:/path", "unix:@abstract" (Linux) and,
 * for formatting only, "unix:" for an unnamed Unix address.  Numeric
 * only: no name lookup, ever.
 */
#define MIO_ADDR_STRLEN 120	/* any formatted address, NUL included */

/*
 * Parses `text` into *out.  Returns 0, -EINVAL for text that is no
 * address (a port outside 0..65535, an unknown scope interface, "unix:"
 * alone, ...), or -ENAMETOOLONG for a Unix path or abstract name that
 * does not fit sun_path.  *out is unspecified after a failure.
 */
MIO_API int mio_addr_parse(struct mio_addr *out, const char *text);
/*
 * Writes a's text form and a NUL into buf.  Returns the length without
 * the NUL, -ENOSPC if size cannot hold it (MIO_ADDR_STRLEN always can),
 * or -EINVAL for an address of another family, a length too short for
 * its family, or an abstract name holding a NUL byte.
 */
MIO_API int mio_addr_format(const struct mio_addr *a, char *buf,
    size_t size);
/*
 * 1 when a and b name the same socket address, else 0: the same family
 * and, for IPv4, address and port; for IPv6, address, port and scope id
 * (the flow label ignored); for Unix, the same path, the same abstract
 * name, or both unnamed.  The length beyond the meaningful part is
 * ignored.
 */
MIO_API int mio_addr_equal(const struct mio_addr *a,
    const struct mio_addr *b);
/*
 * A total order for sorting (qsort(3)): < 0, 0 or > 0 as a sorts before,
 * with or after b.  Ties are exactly mio_addr_equal().
 */
MIO_API int mio_addr_cmp(const struct mio_addr *a, const struct mio_addr *b);

/*
 * TCP.  Sockets are created non-blocking and close-on-exec; IPv6 ones
 * are IPv6-only.  Functions that create a socket return it (>= 0).
 */

/* Binds and listens (SO_REUSEADDR set); backlog <= 0 means 128. */
MIO_API int mio_tcp_listen(const struct mio_addr *addr, int backlog);
/*
 * Accepts one connection, non-blocking and close-on-exec; fills *peer
 * unless it is NULL.  -EAGAIN when no connection is pending (and the
 * listener is re-armed): accept until -EAGAIN after each event.
 */
MIO_API int mio_tcp_accept(mio_sock listener, struct mio_addr *peer);
/*
 * Starts a non-blocking connect and returns the socket at once.  Wait
 * for MIO_WRITABLE (or MIO_ERROR), then mio_take_error() says whether
 * the connect failed.  Errors found at once (-ENETUNREACH, ...) are
 * returned and no socket is left open.
 */
MIO_API int mio_tcp_connect(const struct mio_addr *addr);
/* Sets TCP_NODELAY (on != 0) or clears it; mio_tcp_nodelay() reads it. */
MIO_API int mio_tcp_set_nodelay(mio_sock s, int on);
MIO_API int mio_tcp_nodelay(mio_sock s);
/* Sets SO_KEEPALIVE (on != 0) or clears it; mio_tcp_keepalive() reads it. */
MIO_API int mio_tcp_set_keepalive(mio_sock s, int on);
MIO_API int mio_tcp_keepalive(mio_sock s);
/*
 * SO_LINGER: seconds >= 0 lingers that long on close, and 0 makes the
 * close send a reset (RST) and drop unsent data; seconds < 0 restores
 * the orderly close.
 */
MIO_API int mio_tcp_set_linger(mio_sock s, int seconds);
/* shutdown(2) with SHUT_RD, SHUT_WR or SHUT_RDWR, on any socket. */
MIO_API int mio_tcp_shutdown(mio_sock s, int how);

/*
 * UDP.  The send, receive and peek calls work on any datagram socket,
 * Unix ones included.
 */

/* Creates a datagram socket bound to addr (IPv4 or IPv6). */
MIO_API int mio_udp_bind(const struct mio_addr *addr);
/*
 * Sets the socket's default destination and drops datagrams from
 * anyone else; addr NULL dissolves the association (AF_UNSPEC).
 */
MIO_API int mio_udp_connect(mio_sock s, const struct mio_addr *addr);
/* One datagram to `to`; returns the bytes sent or -errno. */
MIO_API ssize_t mio_udp_send_to(mio_sock s, const void *buf, size_t len,
    const struct mio_addr *to);
/*
 * One datagram into buf; returns its length up to len (the rest of a
 * longer datagram is dropped) and fills *from unless it is NULL.
 */
MIO_API ssize_t mio_udp_recv_from(mio_sock s, void *buf, size_t len,
    struct mio_addr *from);
/* As mio_udp_recv_from() but the datagram stays queued. */
MIO_API ssize_t mio_udp_peek_from(mio_sock s, void *buf, size_t len,
    struct mio_addr *from);
/*
 * Asks for each datagram's destination address as control data of
 * mio_recvmsg()/mio_recvmmsg(): IP_PKTINFO on IPv4 sockets,
 * IPV6_RECVPKTINFO on IPv6 ones.  Sending IP_PKTINFO / IPV6_PKTINFO back
 * with mio_sendmsg() picks the source of a reply on a wildcard bind.
 */
MIO_API int mio_udp_set_pktinfo(mio_sock s, int on);
/* SO_BROADCAST. */
MIO_API int mio_udp_set_broadcast(mio_sock s, int on);
MIO_API int mio_udp_broadcast(mio_sock s);
/*
 * IPv4 multicast: join or leave `group` on the interface whose address
 * is *iface (NULL: INADDR_ANY, the kernel picks by route); loopback of
 * own datagrams (IP_MULTICAST_LOOP) and their TTL (IP_MULTICAST_TTL).
 */
MIO_API int mio_udp_join_multicast_v4(mio_sock s, const struct in_addr *group,
    const struct in_addr *iface);
MIO_API int mio_udp_leave_multicast_v4(mio_sock s,
    const struct in_addr *group, const struct in_addr *iface);
MIO_API int mio_udp_set_multicast_loop_v4(mio_sock s, int on);
MIO_API int mio_udp_multicast_loop_v4(mio_sock s);
MIO_API int mio_udp_set_multicast_ttl_v4(mio_sock s, int ttl);
MIO_API int mio_udp_multicast_ttl_v4(mio_sock s);
/*
 * IPv6 multicast: join or leave `group` on interface index ifindex (0:
 * the kernel picks), loopback (IPV6_MULTICAST_LOOP) and hop limit
 * (IPV6_MULTICAST_HOPS).
 */
MIO_API int mio_udp_join_multicast_v6(mio_sock s,
    const struct in6_addr *group, unsigned ifindex);
MIO_API int mio_udp_leave_multicast_v6(mio_sock s,
    const struct in6_addr *group, unsigned ifindex);
MIO_API int mio_udp_set_multicast_loop_v6(mio_sock s, int on);
MIO_API int mio_udp_multicast_loop_v6(mio_sock s);
MIO_API int mio_udp_set_multicast_hops_v6(mio_sock s, int hops);
MIO_API int mio_udp_multicast_hops_v6(mio_sock s);

/*
 * Options of any IP socket.  The TTL is IP_TTL on IPv4 sockets and
 * IPV6_UNICAST_HOPS on IPv6 ones; getters return the value (>= 0).
 */
MIO_API int mio_set_ttl(mio_sock s, int ttl);
/*
 * SO_RCVBUF / SO_SNDBUF of any socket.  Linux doubles the size asked for
 * and caps it at net.core.rmem_max / wmem_max; the getters return the
 * size in effect.
 */
MIO_API int mio_set_recv_buffer_size(mio_sock s, int bytes);
MIO_API int mio_recv_buffer_size(mio_sock s);
MIO_API int mio_set_send_buffer_size(mio_sock s, int bytes);
MIO_API int mio_send_buffer_size(mio_sock s);
MIO_API int mio_ttl(mio_sock s);
/* IPV6_V6ONLY: 1 or 0; -ENOPROTOOPT on a socket that is not IPv6. */
MIO_API int mio_only_v6(mio_sock s);

/*
 * Unix domain sockets.  addr must be AF_UNIX (mio_addr_parse() of
 * "unix:/path" or "unix:@name").  A path already bound gives
 * -EADDRINUSE: the caller removes stale socket files.  A listen backlog
 * <= 0 means SOMAXCONN, as mio's -1 does.
 */
MIO_API int mio_unix_listen(const struct mio_addr *addr, int backlog);
MIO_API int mio_unix_accept(mio_sock listener, struct mio_addr *peer);
/* -EAGAIN means the listener's backlog is full (no socket is left). */
MIO_API int mio_unix_connect(const struct mio_addr *addr);
MIO_API int mio_unix_dgram_bind(const struct mio_addr *addr);
/* A datagram socket bound to nothing: its peers see "unix:". */
MIO_API int mio_unix_dgram_unbound(void);
MIO_API int mio_unix_dgram_connect(mio_sock s, const struct mio_addr *addr);

/*
 * Any connected socket (mio_readv/mio_writev: any descriptor).  Reads
 * re-arm the readable side on -EAGAIN, writes the writable side; sends
 * use MSG_NOSIGNAL, so a vanished peer gives -EPIPE, never SIGPIPE.
 */
MIO_API ssize_t mio_readv(mio_sock s, const struct iovec *iov, int n);
MIO_API ssize_t mio_writev(mio_sock s, const struct iovec *iov, int n);
MIO_API ssize_t mio_send(mio_sock s, const void *buf, size_t len);
MIO_API ssize_t mio_recv(mio_sock s, void *buf, size_t len);
/* As mio_recv() but the data stays queued. */
MIO_API ssize_t mio_peek(mio_sock s, void *buf, size_t len);
/* The pending SO_ERROR as -errno, or 0; reading it clears it. */
MIO_API int mio_take_error(mio_sock s);
/* getsockname(2) / getpeername(2) into *out (out->len set). */
MIO_API int mio_local_addr(mio_sock s, struct mio_addr *out);
MIO_API int mio_peer_addr(mio_sock s, struct mio_addr *out);
/*
 * Sets or clears O_NONBLOCK on a descriptor made outside libmio (libmio
 * never changes such descriptors by itself).
 */
MIO_API int mio_set_nonblocking(mio_sock s, int on);

/*
 * Platform extensions (Linux; -ENOTSUP elsewhere).  Same rules: -errno,
 * EINTR retried, re-arm on -EAGAIN, MSG_NOSIGNAL on every send.
 */
struct mmsghdr;		/* <sys/socket.h> with _GNU_SOURCE defines it */

/* sendmsg(2)/recvmsg(2) with control data; flags are MSG_* bits. */
MIO_API ssize_t mio_sendmsg(mio_sock s, const struct msghdr *msg, int flags);
MIO_API ssize_t mio_recvmsg(mio_sock s, struct msghdr *msg, int flags);
/*
 * sendmmsg(2)/recvmmsg(2): returns how many messages went (each one's
 * msg_len is set); -EAGAIN only when none did.
 */
MIO_API int mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n,
    int flags);
MIO_API int mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n,
    int flags);
/*
 * splice(2) of up to len bytes from in to out, one of which is a pipe;
 * returns the bytes moved, 0 at end of input.  -EAGAIN cannot say which
 * end was not ready, so it re-arms the readable side of `in` and the
 * writable side of `out`.  flags are SPLICE_F_* bits; SPLICE_F_NONBLOCK
 * is always added.
 */
MIO_API ssize_t mio_splice(mio_sock in, mio_sock out, size_t len,
    unsigned flags);

/*
 * Library information.
 */
MIO_API const char *mio_version(void);
MIO_API const char *mio_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* MIO_H */
