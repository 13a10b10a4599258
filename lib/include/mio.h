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
 * The declarations are ordered by concept: types, selector, waker,
 * addresses, I/O, pipes and pairs, TCP, UDP, Unix, options, extensions,
 * information.  Each says what it takes, what it returns and who owns
 * what; the man page of each function says the rest.
 *
 * Copyright (c) 2026 the mioproxy authors.  MIT licence.
 */
#ifndef MIO_H
#define MIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#ifdef _WIN32
/* Windows (libmio(3), WINDOWS): Winsock's types stand in for POSIX's. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#else
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#ifdef MIO__BUILDING_DLL
#define MIO_API __declspec(dllexport)
#else
#define MIO_API
#endif
#elif defined(__GNUC__)
#define MIO_API __attribute__((visibility("default")))
#else
#define MIO_API
#endif

#define MIO_VERSION_MAJOR 0
#define MIO_VERSION_MINOR 1
#define MIO_VERSION_PATCH 0

#ifdef _WIN32
typedef SOCKET mio_sock;	/* the OS handle: a Winsock SOCKET */
struct msghdr;		/* none on Windows: mio_sendmsg() is -ENOTSUP */
#ifndef SHUT_RD		/* mio_tcp_shutdown()'s POSIX names */
#define SHUT_RD		SD_RECEIVE
#define SHUT_WR		SD_SEND
#define SHUT_RDWR	SD_BOTH
#endif
/* mio_readv()/mio_writev()'s buffers, laid out as POSIX's. */
struct iovec {
	void	*iov_base;
	size_t	 iov_len;
};
#else
typedef int mio_sock;		/* the OS handle: a descriptor on POSIX */
#endif
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

/* One event, written by mio_poll_wait(): whose, and which MIO_* flags. */
struct mio_event {
	mio_token	token;
	uint32_t	flags;
};

/*
 * Any socket address with its length, owned by the caller: filled by
 * mio_addr_parse(), accept, receive and address calls, read by binds,
 * connects and sends.
 */
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

/* Opaque, owned by the library: made by the _new calls, freed by _free. */
struct mio_poll;
struct mio_waker;

/*
 * Selector.  Readiness is edge-triggered on every backend: after an
 * event, read or write until -EAGAIN (or see mio_poll_short_io_drains()).
 */

/*
 * Creates a poll on the best backend, or the one MIO_BACKEND names, and
 * stores it in *out (NULL on failure).  Returns 0, -EINVAL (out NULL),
 * -ENOTSUP (MIO_BACKEND names no backend here), -ENOMEM or the backend's
 * error.  The caller owns the poll and frees it with mio_poll_free().
 */
MIO_API int mio_poll_new(struct mio_poll **out);
/*
 * Frees p and its backend's descriptors (NULL: nothing).  Registered
 * descriptors stay open and the caller's; free p's wakers first.
 */
MIO_API void mio_poll_free(struct mio_poll *p);
/* The backend's name, "epoll" or "poll": a constant string, not freed. */
MIO_API const char *mio_poll_backend(const struct mio_poll *p);
/*
 * 1 when, on p's backend, a read that returns fewer bytes than asked (or
 * a write that takes fewer) may end a drain: new data or room raises a
 * new event without the caller first seeing -EAGAIN (epoll); 0 when only
 * libmio's -EAGAIN re-arms (poll(2)).  See mio_poll_short_io_drains(3).
 */
MIO_API int mio_poll_short_io_drains(const struct mio_poll *p);
/*
 * Waits up to timeout_ms (-1: forever, 0: not at all) and writes up to
 * capacity events into the caller's array.  Returns how many (0 only
 * when the timeout passed), -EINVAL (capacity 0, events NULL), -EINTR
 * (a signal came) or another -errno.  The rest of a larger ready set
 * comes on the next wait.
 */
MIO_API int mio_poll_wait(struct mio_poll *p, struct mio_event *events,
    size_t capacity, int timeout_ms);
/*
 * Registers descriptor s with p: events for it carry token, for the
 * interest given (MIO_READABLE, MIO_WRITABLE, MIO_PRIORITY, MIO_AIO,
 * MIO_LIO; at least one).  Returns 0, -EINVAL (no interest, or bits
 * outside those five), -ENOTSUP (an interest this backend cannot
 * watch), -EEXIST (s is registered already), -EBADF, -EPERM (a regular
 * file or directory) or another -errno (-ENOMEM, ...).  s stays the
 * caller's: deregister it before closing it.  Any thread, even while
 * another waits on p.
 */
MIO_API int mio_register(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest);
/*
 * Replaces the token and interest of s's registration with p, and
 * re-arms it: a readiness that holds now is reported again.  Returns 0,
 * the errors of mio_register() for interest, or -ENOENT (s is not
 * registered with p).  Any thread.
 */
MIO_API int mio_reregister(struct mio_poll *p, mio_sock s, mio_token token,
    unsigned interest);
/*
 * Ends s's registration with p: no later wait reports s.  Returns 0,
 * -ENOENT (not registered) or -EBADF.  s stays open.  Any thread.
 */
MIO_API int mio_deregister(struct mio_poll *p, mio_sock s);

/*
 * Waker: a thread-safe, async-signal-safe way to make a wait return with
 * one MIO_READABLE event carrying the waker's token.
 */

/*
 * Creates a waker on p whose wakes report token, and stores it in *out
 * (NULL on failure).  Returns 0, -EINVAL (p or out NULL), -ENOMEM or
 * the descriptor's or registration's error.  The caller owns the waker
 * and frees it with mio_waker_free() before freeing p.
 */
MIO_API int mio_waker_new(struct mio_poll *p, mio_token token,
    struct mio_waker **out);
/*
 * Makes p report the waker's event; wakes before the next wait coalesce
 * into one.  Returns 0 or -errno.  Any thread, and signal handlers.
 */
MIO_API int mio_waker_wake(struct mio_waker *w);
/* Deregisters and frees w and its descriptors (NULL: nothing). */
MIO_API void mio_waker_free(struct mio_waker *w);

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
 * ignored.  Never fails.
 */
MIO_API int mio_addr_equal(const struct mio_addr *a,
    const struct mio_addr *b);
/*
 * A total order for sorting (qsort(3)): < 0, 0 or > 0 as a sorts before,
 * with or after b.  Ties are exactly mio_addr_equal().  Never fails.
 */
MIO_API int mio_addr_cmp(const struct mio_addr *a, const struct mio_addr *b);

/*
 * I/O on any descriptor (sockets and pipes).  EINTR is retried; a call
 * that returns -EAGAIN re-arms its direction on backends that emulate
 * edges (reads the readable side, writes the writable side).  Sends use
 * MSG_NOSIGNAL, so a vanished peer gives -EPIPE, never SIGPIPE.  Buffers
 * stay the caller's.
 */

/* Reads up to len bytes; returns the count (0: end of stream) or -errno. */
MIO_API ssize_t mio_read(mio_sock s, void *buf, size_t len);
/*
 * Writes up to len bytes; returns the count or -errno.  Sockets get
 * MSG_NOSIGNAL; a pipe whose reader is gone raises SIGPIPE unless the
 * program ignores it (libmio leaves signal dispositions alone).
 */
MIO_API ssize_t mio_write(mio_sock s, const void *buf, size_t len);
/* Scatter read into n buffers (n >= 0); the count or -errno. */
MIO_API ssize_t mio_readv(mio_sock s, const struct iovec *iov, int n);
/* Gather write from n buffers (n >= 0); the count or -errno. */
MIO_API ssize_t mio_writev(mio_sock s, const struct iovec *iov, int n);
/* send(2) on a connected socket, datagrams too; the count or -errno. */
MIO_API ssize_t mio_send(mio_sock s, const void *buf, size_t len);
/*
 * recv(2) on a connected socket; the count or -errno.  A datagram longer
 * than len is cut to len, the rest dropped.
 */
MIO_API ssize_t mio_recv(mio_sock s, void *buf, size_t len);
/*
 * As mio_recv() but the data stays queued.  A peek that finds nothing
 * returns -EAGAIN and re-arms; one that returns data changes nothing.
 */
MIO_API ssize_t mio_peek(mio_sock s, void *buf, size_t len);
/*
 * The socket's pending error (SO_ERROR) as -errno, or 0; reading it
 * clears it.  After a connect reports MIO_WRITABLE or MIO_ERROR it says
 * whether the connect failed.  -errno too if s is no socket.
 */
MIO_API int mio_take_error(mio_sock s);
/*
 * Closes s, dropping its poll(2) registration if any (deregister first
 * on epoll).  Returns 0 (EINTR counts as closed) or -errno; s is gone
 * either way.
 */
MIO_API int mio_close(mio_sock s);

/*
 * Pipes and pairs.  Both ends non-blocking and close-on-exec, stored in
 * out[2] (left unchanged on failure); the caller closes each with
 * mio_close().  Returns 0 or -errno (-EINVAL: out NULL, or a bad type).
 */

/* A pipe: out[0] reads, out[1] writes. */
MIO_API int mio_pipe(mio_sock out[2]);
/* Connected Unix sockets of type SOCK_STREAM, SOCK_DGRAM or SEQPACKET. */
MIO_API int mio_unix_pair(int type, mio_sock out[2]);

/*
 * TCP.  Sockets are created non-blocking and close-on-exec; IPv6 ones
 * are IPv6-only.  Functions that create a socket return it (>= 0), the
 * caller's to mio_close(); on failure no socket is left open.
 */

/*
 * Binds to addr (IPv4 or IPv6; SO_REUSEADDR set) and listens; backlog
 * <= 0 means 128.  Returns the socket, -EINVAL / -EAFNOSUPPORT for a bad
 * address, or the bind's error (-EADDRINUSE, -EACCES, ...).
 */
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
/* Sets TCP_NODELAY (on != 0) or clears it; 0 or -errno. */
MIO_API int mio_tcp_set_nodelay(mio_sock s, int on);
/* TCP_NODELAY: 1 or 0, or -errno. */
MIO_API int mio_tcp_nodelay(mio_sock s);
/* Sets SO_KEEPALIVE (on != 0) or clears it; 0 or -errno. */
MIO_API int mio_tcp_set_keepalive(mio_sock s, int on);
/* SO_KEEPALIVE: 1 or 0, or -errno. */
MIO_API int mio_tcp_keepalive(mio_sock s);
/*
 * SO_LINGER: seconds >= 0 lingers that long on close, and 0 makes the
 * close send a reset (RST) and drop unsent data; seconds < 0 restores
 * the orderly close.  0 or -errno.
 */
MIO_API int mio_tcp_set_linger(mio_sock s, int seconds);
/*
 * shutdown(2) with SHUT_RD, SHUT_WR or SHUT_RDWR, on any socket; 0,
 * -EINVAL (another how) or -errno.
 */
MIO_API int mio_tcp_shutdown(mio_sock s, int how);

/*
 * UDP.  The send, receive and peek calls work on any datagram socket,
 * Unix ones included; they retry EINTR and re-arm on -EAGAIN.
 */

/*
 * Creates a datagram socket bound to addr (IPv4 or IPv6); returns it
 * (the caller's) or -errno, as mio_tcp_listen() does.
 */
MIO_API int mio_udp_bind(const struct mio_addr *addr);
/*
 * Sets the socket's default destination and drops datagrams from
 * anyone else; addr NULL dissolves the association (AF_UNSPEC).  0 or
 * -errno.
 */
MIO_API int mio_udp_connect(mio_sock s, const struct mio_addr *addr);
/* One datagram to `to` (not NULL); the bytes sent or -errno. */
MIO_API ssize_t mio_udp_send_to(mio_sock s, const void *buf, size_t len,
    const struct mio_addr *to);
/*
 * One datagram into buf; returns its length up to len (the rest of a
 * longer datagram is dropped) and fills *from unless it is NULL (a
 * source with no address is the unnamed Unix address).  -errno.
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
 * Where the system has no IP_PKTINFO (FreeBSD, OpenBSD), IPv4 uses its
 * IP_RECVDSTADDR (a struct in_addr; IP_SENDSRCADDR sends one back).
 * 0, -EAFNOSUPPORT (not an IP socket), -ENOPROTOOPT or -errno.
 */
MIO_API int mio_udp_set_pktinfo(mio_sock s, int on);
/* Sets SO_BROADCAST (on != 0) or clears it; 0 or -errno. */
MIO_API int mio_udp_set_broadcast(mio_sock s, int on);
/* SO_BROADCAST: 1 or 0, or -errno. */
MIO_API int mio_udp_broadcast(mio_sock s);
/*
 * IPv4 multicast: join or leave `group` (not NULL) on the interface
 * whose address is *iface (NULL: INADDR_ANY, the kernel picks by route).
 * 0, -EINVAL or -errno.
 */
MIO_API int mio_udp_join_multicast_v4(mio_sock s, const struct in_addr *group,
    const struct in_addr *iface);
MIO_API int mio_udp_leave_multicast_v4(mio_sock s,
    const struct in_addr *group, const struct in_addr *iface);
/* IP_MULTICAST_LOOP (own datagrams looped back): set 0 / -errno, get 1 or 0. */
MIO_API int mio_udp_set_multicast_loop_v4(mio_sock s, int on);
MIO_API int mio_udp_multicast_loop_v4(mio_sock s);
/* IP_MULTICAST_TTL: set 0 / -errno, get the value or -errno. */
MIO_API int mio_udp_set_multicast_ttl_v4(mio_sock s, int ttl);
MIO_API int mio_udp_multicast_ttl_v4(mio_sock s);
/*
 * IPv6 multicast: join or leave `group` (not NULL) on interface index
 * ifindex (0: the kernel picks).  0, -EINVAL or -errno.
 */
MIO_API int mio_udp_join_multicast_v6(mio_sock s,
    const struct in6_addr *group, unsigned ifindex);
MIO_API int mio_udp_leave_multicast_v6(mio_sock s,
    const struct in6_addr *group, unsigned ifindex);
/* IPV6_MULTICAST_LOOP: set 0 / -errno, get 1 or 0. */
MIO_API int mio_udp_set_multicast_loop_v6(mio_sock s, int on);
MIO_API int mio_udp_multicast_loop_v6(mio_sock s);
/* IPV6_MULTICAST_HOPS: set 0 / -errno, get the value or -errno. */
MIO_API int mio_udp_set_multicast_hops_v6(mio_sock s, int hops);
MIO_API int mio_udp_multicast_hops_v6(mio_sock s);

/*
 * Unix domain sockets.  addr must be AF_UNIX (mio_addr_parse() of
 * "unix:/path" or "unix:@name"), else -EAFNOSUPPORT.  A path already
 * bound gives -EADDRINUSE: the caller removes stale socket files.
 * Created sockets are returned (>= 0), the caller's to mio_close().
 */

/* Binds and listens; a backlog <= 0 means SOMAXCONN, as mio's -1 does. */
MIO_API int mio_unix_listen(const struct mio_addr *addr, int backlog);
/* As mio_tcp_accept(): one connection, *peer filled unless NULL. */
MIO_API int mio_unix_accept(mio_sock listener, struct mio_addr *peer);
/*
 * Connects a stream socket; completes or fails at once.  -EAGAIN means
 * the listener's backlog is full (no socket is left).
 */
MIO_API int mio_unix_connect(const struct mio_addr *addr);
/* A datagram socket bound to addr. */
MIO_API int mio_unix_dgram_bind(const struct mio_addr *addr);
/* A datagram socket bound to nothing: its peers see "unix:". */
MIO_API int mio_unix_dgram_unbound(void);
/* Sets a datagram socket's default destination; 0 or -errno. */
MIO_API int mio_unix_dgram_connect(mio_sock s, const struct mio_addr *addr);

/*
 * Options and state of any socket or descriptor.  Setters return 0 or
 * -errno; getters the value (>= 0) or -errno.
 */

/*
 * getsockname(2) / getpeername(2) into *out (not NULL; out->len set);
 * *out is untouched on failure.  0 or -errno (-ENOTCONN: no peer).
 */
MIO_API int mio_local_addr(mio_sock s, struct mio_addr *out);
MIO_API int mio_peer_addr(mio_sock s, struct mio_addr *out);
/*
 * Sets or clears O_NONBLOCK on a descriptor made outside libmio (libmio
 * never changes such descriptors by itself).  0 or -errno.
 */
MIO_API int mio_set_nonblocking(mio_sock s, int on);
/*
 * The TTL of an IP socket: IP_TTL on IPv4 sockets, IPV6_UNICAST_HOPS on
 * IPv6 ones (-EAFNOSUPPORT on others).
 */
MIO_API int mio_set_ttl(mio_sock s, int ttl);
MIO_API int mio_ttl(mio_sock s);
/* IPV6_V6ONLY: 1 or 0; -ENOPROTOOPT on a socket that is not IPv6. */
MIO_API int mio_only_v6(mio_sock s);
/*
 * SO_RCVBUF / SO_SNDBUF of any socket.  Linux doubles the size asked for
 * and caps it at net.core.rmem_max / wmem_max; the getters return the
 * size in effect.
 */
MIO_API int mio_set_recv_buffer_size(mio_sock s, int bytes);
MIO_API int mio_recv_buffer_size(mio_sock s);
MIO_API int mio_set_send_buffer_size(mio_sock s, int bytes);
MIO_API int mio_send_buffer_size(mio_sock s);

/*
 * Platform extensions.  Same rules as all I/O: -errno, EINTR retried,
 * re-arm on -EAGAIN, MSG_NOSIGNAL on every send.  Where the system lacks
 * a call: batches fall back to single messages, others return -ENOTSUP.
 */
struct mmsghdr;		/* <sys/socket.h> with _GNU_SOURCE defines it */

/*
 * sendmsg(2)/recvmsg(2) with control data; flags are MSG_* bits; msg is
 * the caller's (not NULL).  The bytes sent or received, or -errno.
 */
MIO_API ssize_t mio_sendmsg(mio_sock s, const struct msghdr *msg, int flags);
MIO_API ssize_t mio_recvmsg(mio_sock s, struct msghdr *msg, int flags);
/*
 * sendmmsg(2): sends up to n messages of vec, setting each one's
 * msg_len.  Returns how many went, or the first message's -errno when
 * none did (-EAGAIN and a re-arm).  Without sendmmsg(2): a loop of
 * sendmsg(2) until one fails, with the same result.
 */
MIO_API int mio_sendmmsg(mio_sock s, struct mmsghdr *vec, unsigned n,
    int flags);
/*
 * recvmmsg(2): receives up to n datagrams into vec, setting each one's
 * msg_len.  Returns how many (>= 1), or -errno (-EAGAIN: none queued).
 * Without recvmmsg(2): one recvmsg(2), so 1 or -errno.
 */
MIO_API int mio_recvmmsg(mio_sock s, struct mmsghdr *vec, unsigned n,
    int flags);
/*
 * splice(2) of up to len bytes from in to out, one of which is a pipe;
 * returns the bytes moved, 0 at end of input.  -EAGAIN cannot say which
 * end was not ready, so it re-arms the readable side of `in` and the
 * writable side of `out`.  flags are SPLICE_F_* bits; SPLICE_F_NONBLOCK
 * is always added.  -ENOTSUP where the system has no splice(2).
 */
MIO_API ssize_t mio_splice(mio_sock in, mio_sock out, size_t len,
    unsigned flags);

/*
 * Library information.
 */

/* "MAJOR.MINOR.PATCH" of the library: a constant string. */
MIO_API const char *mio_version(void);
/*
 * The text of err (negative, as returned; a positive errno is taken as
 * its negation): a constant string, never NULL.
 */
MIO_API const char *mio_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* MIO_H */
