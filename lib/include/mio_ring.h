/*
 * libmio's completion extension: an io_uring ring attached to a
 * mio_poll, so that one loop serves readiness events and completions.
 * See mio_ring(3).
 *
 * The model: the ring's descriptor is registered in the poll with the
 * caller's token.  Operations (accept, connect, receive into a provided
 * buffer group, send, shutdown, close, cancel) are queued with a token
 * of the caller's; mio_ring_submit() hands the queue to the kernel (call
 * it before each mio_poll_wait()); when the wait reports the ring's
 * token, mio_ring_complete() returns the finished operations as
 * records (token, result, flags, buffer id), until it returns fewer
 * than asked.
 *
 * Conventions are libmio's: negative errno, the caller's tokens never
 * interpreted, fixed-size setup and no allocation after it.  One thread
 * only per ring (it is created IORING_SETUP_SINGLE_ISSUER).  The kernel
 * may post completions as the thread leaves a system call: a wait then
 * returns -EINTR; wait again.  Where the
 * system, the build, the kernel or a seccomp profile gives no io_uring,
 * mio_ring_new() returns -ENOTSUP; a build without io_uring returns
 * -ENOTSUP from every call (a NULL ring is -EINVAL elsewhere).  No liburing type appears here.
 *
 * Copyright (c) 2026 the mioproxy authors.  MIT licence.
 */
#ifndef MIO_RING_H
#define MIO_RING_H

#include "mio.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mio_ring;		/* opaque, made by mio_ring_new() */

/* Flags of a completion record. */
#define MIO_RING_MORE	  0x01u	/* a multishot operation stays armed */
#define MIO_RING_BUFFER	  0x02u	/* `buffer` names a provided buffer */
#define MIO_RING_NONEMPTY 0x04u	/* the socket had more data queued */

/* One finished operation, written by mio_ring_complete(). */
struct mio_ring_completion {
	mio_token	token;	/* the operation's token */
	int32_t		result;	/* >= 0 as the system call's, or -errno */
	uint16_t	flags;	/* MIO_RING_* */
	uint16_t	buffer;	/* with MIO_RING_BUFFER: the buffer's id */
};

/* Buffer groups per ring: ids 0 .. MIO_RING_GROUPS - 1. */
#define MIO_RING_GROUPS 8

/* Features mio_ring_features() reports. */
#define MIO_RING_F_COOP_TASKRUN	  0x01u	/* completion work without IPIs */
#define MIO_RING_F_ACCEPT_MULTI	  0x02u	/* multishot accept */
#define MIO_RING_F_RECV_MULTI	  0x04u	/* multishot receive, buffer rings */
#define MIO_RING_F_CANCEL_FD	  0x08u	/* cancel every operation on an fd */

/*
 * Creates a ring of `entries` submission slots (a power of two, 1 to
 * 4096; 0 means 256) and registers its descriptor in p for
 * MIO_READABLE with `token`.  Stores it in *out (NULL on failure).
 * Returns 0, -EINVAL, -ENOTSUP (no io_uring here, refused, or a kernel
 * without an opcode of these calls, multishot accept and receive, or
 * cancel by token, by fd and of any: each flag tried on the new ring),
 * -ENOMEM or another -errno.  Free it with mio_ring_free() before p.
 */
MIO_API int mio_ring_new(struct mio_poll *p, mio_token token,
    unsigned entries, struct mio_ring **out);
/*
 * Cancels every operation still in flight, waits for their last
 * completions (so that no listener or socket is held by the kernel
 * afterwards), deregisters and frees r and its buffer groups (NULL:
 * nothing).  Sockets stay the caller's.
 */
MIO_API void mio_ring_free(struct mio_ring *r);
/* MIO_RING_F_* bits of what the running kernel gave r (0 for NULL). */
MIO_API unsigned mio_ring_features(const struct mio_ring *r);

/*
 * Provided buffers.  A group of `count` buffers (a power of two, 1 to
 * 32768) of `size` bytes each, mapped once here; the first `lent` of
 * them (ids 0 .. lent - 1; 0 < lent <= count) are given to the kernel
 * at once, the others stay the caller's until it gives them with
 * mio_ring_buffer_return() (so that a caller lending a few hot buffers
 * at a time keeps the rest of the mapping untouched).  Multishot
 * receives on the group take a buffer per completion, and the caller
 * gives each back with mio_ring_buffer_return() once it has used the
 * bytes.  An empty group ends every multishot receive on it with
 * -ENOBUFS (arm it again after returning buffers): size the group for
 * the data in flight, and count what the caller holds (records with
 * MIO_RING_BUFFER minus returns) to stop reading before it runs dry.
 * Returns 0, -EINVAL, -EEXIST (group made already), -ENOTSUP (no
 * buffer rings in this kernel) or -ENOMEM.
 */
MIO_API int mio_ring_group_new(struct mio_ring *r, unsigned group,
    unsigned count, unsigned size, unsigned lent);
/* The bytes of buffer `id` of group (NULL for an id out of range). */
MIO_API void *mio_ring_buffer(struct mio_ring *r, unsigned group,
    unsigned id);
/* Gives buffer `id` back to its group; 0 or -EINVAL. */
MIO_API int mio_ring_buffer_return(struct mio_ring *r, unsigned group,
    unsigned id);

/*
 * Operations.  Each queues one request carrying `token` and returns 0,
 * -EINVAL (bad argument), -EBUSY (the submission queue is full even
 * after handing it to the kernel) or -ENOTSUP.  Its result comes as a
 * completion record.  Buffers and addresses stay the caller's and must
 * stay valid until the completion.
 */

/* Multishot accept: one record per connection (result: the new socket,
 * non-blocking and close-on-exec, the caller's), MIO_RING_MORE while
 * armed. */
MIO_API int mio_ring_accept_multishot(struct mio_ring *r, mio_sock listener,
    mio_token token);
/* connect(2) of a socket made by the caller; result 0 or -errno. */
MIO_API int mio_ring_connect(struct mio_ring *r, mio_sock s,
    const struct mio_addr *addr, mio_token token);
/* Multishot receive into group's buffers: result is the byte count with
 * MIO_RING_BUFFER, 0 at end of stream (last record), or -errno. */
MIO_API int mio_ring_recv_multishot(struct mio_ring *r, mio_sock s,
    unsigned group, mio_token token);
/* One receive into one of group's buffers (result as above, one record):
 * at most one buffer per request, where a multishot receive may take
 * dozens in one go while the socket has data (a bound for backpressure). */
MIO_API int mio_ring_recv(struct mio_ring *r, mio_sock s, unsigned group,
    mio_token token);
/* send(2) with MSG_NOSIGNAL: result the bytes sent (may be short). */
MIO_API int mio_ring_send(struct mio_ring *r, mio_sock s, const void *buf,
    size_t len, mio_token token);
/* shutdown(2); the kernel runs it in a worker thread (mio_tcp_shutdown()
 * is cheaper when the result is needed at once). */
MIO_API int mio_ring_shutdown(struct mio_ring *r, mio_sock s, int how,
    mio_token token);
/* close(2) of s (deregister it from any poll first). */
MIO_API int mio_ring_close(struct mio_ring *r, mio_sock s, mio_token token);
/* Cancels every operation on s: each ends with -ECANCELED (or its
 * result); this request's own record gives how many were found. */
MIO_API int mio_ring_cancel(struct mio_ring *r, mio_sock s,
    mio_token token);

/* Cancels the operations queued with token `target` (a multishot one
 * ends with -ECANCELED); this request's record says how many were found
 * (0: none in flight).  Needs no descriptor, so it may be queued
 * before the caller closes the socket. */
MIO_API int mio_ring_cancel_token(struct mio_ring *r, mio_token target,
    mio_token token);

/*
 * Hands the queued requests to the kernel; returns how many went, or
 * -errno.  Call it before each mio_poll_wait().
 */
MIO_API int mio_ring_submit(struct mio_ring *r);
/*
 * Submits what is queued, runs the kernel's pending completion work
 * and writes up to capacity records into out.  Returns how many (0:
 * none), or -errno.  Call it when the poll reports the ring's token,
 * until it returns fewer than capacity.
 */
MIO_API int mio_ring_complete(struct mio_ring *r,
    struct mio_ring_completion *out, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* MIO_RING_H */
