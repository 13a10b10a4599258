/*
 * Raw system calls: the calls of the hot I/O wrappers (mio_read,
 * mio_write) and of the epoll wait, each returning -errno as libmio
 * does.  Only system calls live here; the poll(2) re-arm hook that I/O
 * calls on -EAGAIN is rearm.h.
 */
#ifndef MIO_SYS_SYSCALL_H
#define MIO_SYS_SYSCALL_H

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

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

#endif /* MIO_SYS_SYSCALL_H */
