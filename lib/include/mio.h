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
 * Library information.
 */
MIO_API const char *mio_version(void);
MIO_API const char *mio_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* MIO_H */
