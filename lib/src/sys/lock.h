/*
 * The poll(2) backend's lock: a mutex with a "something changed" event,
 * cheap when uncontended, which is nearly always (one thread waits and
 * re-arms; other threads register now and then).
 *
 * Where the system has futexes (configure found <linux/futex.h> and
 * SYS_futex) it is a futex word with three states (0 free, 1 held, 2 held
 * with sleepers), as in Drepper's "Futexes Are Tricky": taking and
 * releasing a free lock is one atomic instruction each, against some
 * fifty instructions for a pthread mutex pair, and the backend takes it
 * twice per wait and once per re-arm.  The event is a sequence number
 * that sleepers wait on.  Elsewhere (and in the build configured with
 * --disable-linux-extensions, so that this path is tested too) a
 * pthread mutex and condition variable do the same job.
 */
#ifndef MIO_SYS_LOCK_H
#define MIO_SYS_LOCK_H

#if defined(HAVE_LINUX_FUTEX_H) && HAVE_DECL_SYS_FUTEX
#include <limits.h>
#include <stdatomic.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

struct mio__lock {
	atomic_int	state;
	atomic_uint	seq;
};

static inline void
mio__futex(void *word, int op, int val)
{
	(void)syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static inline void
mio__lock_init(struct mio__lock *l)
{
	atomic_init(&l->state, 0);
	atomic_init(&l->seq, 0);
}

static inline void
mio__lock_fini(struct mio__lock *l)
{
	(void)l;
}

__attribute__((noinline)) static void
mio__lock_slow(struct mio__lock *l, int c)
{
	if (c != 2)
		c = atomic_exchange_explicit(&l->state, 2,
		    memory_order_acquire);
	while (c != 0) {
		mio__futex(&l->state, FUTEX_WAIT_PRIVATE, 2);
		c = atomic_exchange_explicit(&l->state, 2,
		    memory_order_acquire);
	}
}

static inline void
mio__lock(struct mio__lock *l)
{
	int c = 0;

	if (!atomic_compare_exchange_strong_explicit(&l->state, &c, 1,
	    memory_order_acquire, memory_order_relaxed))
		mio__lock_slow(l, c);
}

static inline void
mio__unlock(struct mio__lock *l)
{
	if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
		mio__futex(&l->state, FUTEX_WAKE_PRIVATE, 1);
}

/*
 * Called with the lock held: releases it, sleeps until a broadcast (a
 * wake-up may be spurious: callers re-check their condition), and takes
 * it again.  A broadcast made after the sequence is read cannot be
 * missed: the futex wait returns at once when the number moved.
 */
static inline void
mio__lock_wait(struct mio__lock *l)
{
	unsigned s = atomic_load_explicit(&l->seq, memory_order_relaxed);

	mio__unlock(l);
	mio__futex(&l->seq, FUTEX_WAIT_PRIVATE, (int)s);
	mio__lock(l);
}

/* Called with the lock held: wakes every mio__lock_wait(). */
static inline void
mio__lock_broadcast(struct mio__lock *l)
{
	atomic_fetch_add_explicit(&l->seq, 1, memory_order_relaxed);
	mio__futex(&l->seq, FUTEX_WAKE_PRIVATE, INT_MAX);
}

#else /* no futex */
#include <pthread.h>

struct mio__lock {
	pthread_mutex_t	mutex;
	pthread_cond_t	cond;
};

static inline void
mio__lock_init(struct mio__lock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
	pthread_cond_init(&l->cond, NULL);
}

static inline void
mio__lock_fini(struct mio__lock *l)
{
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->mutex);
}

static inline void
mio__lock(struct mio__lock *l)
{
	pthread_mutex_lock(&l->mutex);
}

static inline void
mio__unlock(struct mio__lock *l)
{
	pthread_mutex_unlock(&l->mutex);
}

static inline void
mio__lock_wait(struct mio__lock *l)
{
	pthread_cond_wait(&l->cond, &l->mutex);
}

static inline void
mio__lock_broadcast(struct mio__lock *l)
{
	pthread_cond_broadcast(&l->cond);
}
#endif /* futex */

#endif /* MIO_SYS_LOCK_H */
