/*
 * The re-arm hook of edge emulation.  Backends without native edge
 * triggers (poll(2)) disarm a readiness once they deliver it; every I/O
 * call made through libmio that ends in -EAGAIN calls mio__would_block()
 * to arm that direction again, as mio's IoSourceState::do_io does.
 *
 * A program that never creates a poll(2)-backend poll pays one load and
 * one untaken branch here: mio__pollfd_users counts live poll(2) polls.
 */
#ifndef MIO_IO_REARM_H
#define MIO_IO_REARM_H

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "mio.h"

/*
 * The system calls of the hot I/O wrappers (mio_read, mio_write), made
 * without going through libc where that is safe: the kernel returns
 * -errno in the result register, which is exactly libmio's convention,
 * so a call costs the syscall instruction and a compare instead of
 * libc's wrapper (its cancellation check, the PLT jump, errno through
 * __errno_location() and the conversion back).  On a socket ping-pong
 * this is most of what separates libmio from a hand-written loop (see
 * bench/libmio).
 *
 * What is given up is nothing libmio promises: the calls are made on
 * non-blocking descriptors and never block, so losing glibc's
 * cancellation point changes nothing, and errno is not part of the
 * contract (it is left untouched).  The blocking waits (epoll_wait,
 * poll) stay in libc.  Sanitizer builds, whose runtimes intercept
 * read/write to check the buffers, and other systems and architectures
 * use libc.  Defining MIO_LIBC_SYSCALLS when building forces libc.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define MIO__SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MIO__SANITIZED 1
#endif

#if defined(__linux__) && defined(__x86_64__) && defined(__LP64__) && \
    !defined(MIO__SANITIZED) && !defined(MIO_LIBC_SYSCALLS)
#define MIO__RAW_SYSCALLS 1
#include <sys/syscall.h>

static inline long
mio__syscall3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile ("syscall"
	    : "=a" (r)
	    : "0" (nr), "D" (a), "S" (b), "d" (c)
	    : "rcx", "r11", "memory");
	return r;
}

static inline long
mio__syscall4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__ ("r10") = d;
	long r;

	__asm__ volatile ("syscall"
	    : "=a" (r)
	    : "0" (nr), "D" (a), "S" (b), "d" (c), "r" (r10)
	    : "rcx", "r11", "memory");
	return r;
}

static inline long
mio__syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__ ("r10") = d;
	register long r8 __asm__ ("r8") = e;
	register long r9 __asm__ ("r9") = f;
	long r;

	__asm__ volatile ("syscall"
	    : "=a" (r)
	    : "0" (nr), "D" (a), "S" (b), "d" (c), "r" (r10), "r" (r8),
	      "r" (r9)
	    : "rcx", "r11", "memory");
	return r;
}
#endif

/* read(2), returning -errno; EINTR is the caller's to retry. */
static inline ssize_t
mio__sys_read(int fd, void *buf, size_t len)
{
#ifdef MIO__RAW_SYSCALLS
	return mio__syscall3(SYS_read, fd, (long)buf, (long)len);
#else
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
#endif
}

/* write(2), returning -errno. */
static inline ssize_t
mio__sys_write(int fd, const void *buf, size_t len)
{
#ifdef MIO__RAW_SYSCALLS
	return mio__syscall3(SYS_write, fd, (long)buf, (long)len);
#else
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
#endif
}

/* send(2) (sendto with no address), returning -errno. */
static inline ssize_t
mio__sys_send(int fd, const void *buf, size_t len, int flags)
{
#ifdef MIO__RAW_SYSCALLS
	return mio__syscall6(SYS_sendto, fd, (long)buf, (long)len, flags, 0,
	    0);
#else
	ssize_t n = send(fd, buf, len, flags);

	return n < 0 ? -errno : n;
#endif
}

/* Hidden in the declaration too, so that it is loaded without the GOT. */
extern atomic_int mio__pollfd_users __attribute__((visibility("hidden")));

/* Arms `dir` (MIO_READABLE or MIO_WRITABLE) of s's poll(2) registration. */
void mio__pollfd_rearm(mio_sock s, unsigned dir);
/* Drops s's poll(2) registration, if any, before s is closed. */
void mio__pollfd_forget(mio_sock s);
void mio__pollfd_revive(mio_sock s);

static inline void
mio__would_block(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_rearm(s, dir);
}

/* An error was consumed: a slot its event silenced listens again. */
static inline void
mio__error_consumed(mio_sock s)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		mio__pollfd_revive(s);
}

/* mio__pollfd_rearm(), then -EAGAIN: lets the caller tail-jump to it. */
ssize_t mio__pollfd_rearm_eagain(mio_sock s, unsigned dir);

/*
 * The -EAGAIN of a hot wrapper (mio_read, mio_write): with no poll(2)
 * poll alive it is a load and a test; otherwise a tail jump to the
 * re-arm, so the wrapper needs no stack frame on any path it takes per
 * message.
 */
static inline ssize_t
mio__eagain(mio_sock s, unsigned dir)
{
	if (atomic_load_explicit(&mio__pollfd_users, memory_order_relaxed))
		return mio__pollfd_rearm_eagain(s, dir);
	return -EAGAIN;
}

/*
 * The error path of every I/O wrapper: the failed call's errno, negated,
 * with `dir` re-armed when it is EAGAIN.  Callers retry EINTR first.
 */
static inline int
mio__io_error(mio_sock s, unsigned dir)
{
	int e = errno;

	if (e == EAGAIN)
		mio__would_block(s, dir);
	else
		mio__error_consumed(s);
	return -e;
}

#endif /* MIO_IO_REARM_H */
