/*
 * The poll(2) backend: the portable fallback, with edge triggers
 * emulated as mio does (src/sys/unix/selector/poll.rs).
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - poll(2) is level-triggered and keeps no state: every call re-reads
 *    the whole array and reports every ready descriptor again.  Edges
 *    are emulated by disarming what was delivered (clearing its bits
 *    from .events) and arming it again only when an I/O call made through
 *    libmio returns -EAGAIN (mio__pollfd_rearm(), reached from
 *    rearm.h) or on reregister.  Raw I/O outside libmio re-arms
 *    nothing: such callers must call mio_reregister() after -EAGAIN.
 *  - POLLHUP, POLLERR and POLLNVAL are reported whatever .events holds,
 *    so clearing bits cannot silence them and a hung-up descriptor would
 *    spin.  After delivering one of them the slot's descriptor is negated
 *    (poll(2) skips negative descriptors) until a re-arm restores it.
 *  - A descriptor closed without deregistering stays in the array and
 *    poll(2) answers POLLNVAL for it: the slot is negated without an
 *    event (as epoll silently forgets closed descriptors), and
 *    mio_close() drops the registration before closing.
 *  - The kernel writes .revents back into the array it was given when
 *    poll(2) returns.  So while a thread waits the array is never moved
 *    or reordered: deregistration leaves a tombstone that the waiter
 *    compacts before its next poll(2), new slots are appended beyond the
 *    count the kernel was given, and only growth (realloc) waits for the
 *    waiter to leave poll(2).
 *  - Changes from other threads must take effect in the wait under way:
 *    a waker of the backend's mechanism (an eventfd, or a pipe) at slot 0
 *    is woken to interrupt poll(2), which then runs again with the new
 *    array and what remains of the timeout.
 *  - I/O functions see only a descriptor, so a process-wide table indexed
 *    by descriptor maps it to its poll and slot.  It is read only on the
 *    -EAGAIN path and by close; an epoll-only program never touches it.
 *  - Wakers are descriptors like any other: their slot is drained (by
 *    the waker mechanism, sys/waker_*.c) when its event is delivered and
 *    stays armed, so wakes before a wait coalesce and a wake after the
 *    drain raises a new event.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/stat.h>

#include "rearm.h"
#include "sys/backend.h"
#include "sys/readiness.h"
#include "sys/lock.h"

/* Linux's; elsewhere a FIN shows only as a read of 0 bytes. */
#ifndef POLLRDHUP
#define POLLRDHUP	0
#endif

#define PFD_READ_BITS	(POLLIN | POLLRDHUP | POLLPRI)
#define PFD_DEAD_BITS	(POLLHUP | POLLERR | POLLNVAL)

struct pfd_meta {
	mio_token	token;
	int		fd;		/* the real descriptor, even when negated */
	unsigned	interest;	/* MIO_* interest, with MIO__WAKER */
	int		live;		/* 0: a tombstone left by deregister */
};

struct pfd_poll {
	struct mio_poll	 hdr;
	struct mio__lock lock;
	struct mio__wake notify;	/* its rfd is fds[0].fd */
	struct pollfd	*fds;		/* fds[0] is the notify descriptor */
	struct pfd_meta	*meta;		/* parallel to fds */
	nfds_t		 nfds;
	nfds_t		 cap;
	nfds_t		 ntombs;
	nfds_t		 scan;		/* where the next scan starts, for fairness */
	int		 polling;	/* a thread is inside poll(2) on fds */
	unsigned	 growers;	/* threads waiting to realloc the arrays */
};

/*
 * The process-wide table: descriptor -> (poll, slot).  Two levels so that
 * it grows without moving: a reader never sees a chunk freed or moved.
 */
struct pfd_entry {
	_Atomic(struct pfd_poll *) owner;
	nfds_t		slot;		/* read and written under owner's lock */
};

#define PFD_CHUNK_SHIFT	10
#define PFD_CHUNK	(1u << PFD_CHUNK_SHIFT)
#define PFD_NCHUNKS	4096u		/* descriptors up to 4M */

static _Atomic(struct pfd_entry *) pfd_table[PFD_NCHUNKS];
static pthread_mutex_t pfd_table_lock = PTHREAD_MUTEX_INITIALIZER;

atomic_int mio__pollfd_users;

static inline struct pfd_entry *
pfd_entry(int fd, int create)
{
	unsigned c = (unsigned)fd >> PFD_CHUNK_SHIFT;
	struct pfd_entry *chunk;

	if (fd < 0 || c >= PFD_NCHUNKS)
		return NULL;
	chunk = atomic_load_explicit(&pfd_table[c], memory_order_acquire);
	if (chunk == NULL && create) {
		pthread_mutex_lock(&pfd_table_lock);
		chunk = atomic_load_explicit(&pfd_table[c],
		    memory_order_relaxed);
		if (chunk == NULL) {
			chunk = calloc(PFD_CHUNK, sizeof(*chunk));
			if (chunk != NULL)
				atomic_store_explicit(&pfd_table[c], chunk,
				    memory_order_release);
		}
		pthread_mutex_unlock(&pfd_table_lock);
	}
	return chunk == NULL ? NULL : &chunk[fd & (PFD_CHUNK - 1)];
}

/* The chunks live as long as the process; give them back at exit. */
__attribute__((destructor)) static void
pfd_table_free(void)
{
	unsigned c;

	for (c = 0; c < PFD_NCHUNKS; c++)
		free(atomic_exchange(&pfd_table[c], NULL));
}

static short
pfd_bits(unsigned interest)
{
	short bits = 0;

	if (interest & MIO_READABLE)
		bits |= POLLIN | POLLRDHUP;
	if (interest & MIO_WRITABLE)
		bits |= POLLOUT;
	if (interest & MIO_PRIORITY)
		bits |= POLLPRI;
	return bits;
}

/* The mapping of sys/readiness.h, for poll(2)'s spelling of the bits. */
static uint32_t
pfd_flags(short re)
{
	return MIO__READINESS(re, POLL);
}

/* The waker mechanism of this backend: the notify descriptor's too. */
#define PFD_WAKER	MIO__WAKER_DEFAULT

/* Interrupts a poll(2) under way so that it sees the changed array. */
static void
pfd_kick(struct pfd_poll *pp)
{
	if (pp->polling)
		(void)PFD_WAKER->wake(&pp->notify);
}

/* Squeezes tombstones out; called with the lock held, nobody in poll(2). */
static void
pfd_compact(struct pfd_poll *pp)
{
	nfds_t i, j;

	for (i = j = 1; i < pp->nfds; i++) {
		if (!pp->meta[i].live)
			continue;
		if (i != j) {
			pp->fds[j] = pp->fds[i];
			pp->meta[j] = pp->meta[i];
			pfd_entry(pp->meta[j].fd, 0)->slot = j;
		}
		j++;
	}
	pp->nfds = j;
	pp->ntombs = 0;
	pp->scan = 0;
}

/* Makes room for one more slot; called with the lock held. */
static int
pfd_reserve(struct pfd_poll *pp)
{
	struct pollfd *fds;
	struct pfd_meta *meta;
	nfds_t cap;
	int rc = 0;

	if (pp->nfds < pp->cap)
		return 0;
	/* The kernel may be writing into fds: wait until it is done. */
	pp->growers++;
	while (pp->polling) {
		pfd_kick(pp);
		mio__lock_wait(&pp->lock);
	}
	/*
	 * Room left by deregistrations first: registering and deregistering
	 * between waits must not grow the arrays with the number of calls.
	 */
	if (pp->nfds == pp->cap && pp->ntombs > 0)
		pfd_compact(pp);
	if (pp->nfds == pp->cap) {
		cap = pp->cap * 2;
		fds = realloc(pp->fds, cap * sizeof(*fds));
		if (fds != NULL)
			pp->fds = fds;
		meta = fds == NULL ? NULL :
		    realloc(pp->meta, cap * sizeof(*meta));
		if (meta != NULL) {
			pp->meta = meta;
			pp->cap = cap;
		} else
			rc = -ENOMEM;
	}
	if (--pp->growers == 0)
		mio__lock_broadcast(&pp->lock);
	return rc;
}

static int
pfd_init(struct mio_poll **out)
{
	struct pfd_poll *pp;
	int rc = -ENOMEM;

	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return -ENOMEM;
	pp->hdr.ops = &mio__backend_poll;
	pp->cap = 64;
	pp->fds = malloc(pp->cap * sizeof(*pp->fds));
	pp->meta = malloc(pp->cap * sizeof(*pp->meta));
	if (pp->fds == NULL || pp->meta == NULL)
		goto fail;
	if ((rc = PFD_WAKER->open(&pp->hdr, &pp->notify)) != 0)
		goto fail;
	pp->fds[0] = (struct pollfd){ .fd = pp->notify.rfd, .events = POLLIN };
	pp->meta[0] = (struct pfd_meta){ .fd = pp->notify.rfd, .live = 1 };
	pp->nfds = 1;
	mio__lock_init(&pp->lock);
	atomic_fetch_add(&mio__pollfd_users, 1);
	*out = &pp->hdr;
	return 0;
fail:
	free(pp->fds);
	free(pp->meta);
	free(pp);
	return rc;
}

static void
pfd_fini(struct mio_poll *p)
{
	struct pfd_poll *pp = (struct pfd_poll *)p;
	nfds_t i;

	for (i = 1; i < pp->nfds; i++) {
		struct pfd_entry *e = pfd_entry(pp->meta[i].fd, 0);

		if (pp->meta[i].live && e != NULL)
			atomic_store(&e->owner, NULL);
	}
	atomic_fetch_sub(&mio__pollfd_users, 1);
	PFD_WAKER->close(&pp->notify);
	mio__lock_fini(&pp->lock);
	free(pp->fds);
	free(pp->meta);
	free(pp);
}

static int
pfd_add(struct pfd_poll *pp, struct pfd_entry *e, int fd, mio_token token,
    unsigned interest)
{
	struct pfd_poll *none = NULL;
	nfds_t slot;
	int rc;

	/* Refused before anything grows; the CAS below settles races. */
	if (atomic_load(&e->owner) != NULL)
		return -EEXIST;
	if ((rc = pfd_reserve(pp)) != 0)
		return rc;
	if (!atomic_compare_exchange_strong(&e->owner, &none, pp))
		return -EEXIST;
	/* Appended beyond the count a running poll(2) was given: safe. */
	slot = pp->nfds++;
	pp->fds[slot] = (struct pollfd){ .fd = fd,
	    .events = pfd_bits(interest) };
	pp->meta[slot] = (struct pfd_meta){ .token = token, .fd = fd,
	    .interest = interest, .live = 1 };
	e->slot = slot;
	pfd_kick(pp);
	return 0;
}

static void
pfd_remove(struct pfd_poll *pp, struct pfd_entry *e)
{
	nfds_t slot = e->slot;

	/* A tombstone: the slot does not move while poll(2) may run. */
	pp->meta[slot].live = 0;
	pp->fds[slot].fd = -1;
	pp->fds[slot].events = 0;
	pp->ntombs++;
	atomic_store(&e->owner, NULL);
}

/*
 * Modify or delete of a descriptor this poll does not have: -ENOENT, or
 * -EBADF when it is no open descriptor at all, as epoll_ctl(2) says.
 */
static int
pfd_not_found(mio_sock s)
{
	return fcntl(s, F_GETFD) < 0 && errno == EBADF ? -EBADF : -ENOENT;
}

static int
pfd_ctl(struct mio_poll *p, enum mio__ctl_op op, mio_sock s, mio_token token,
    unsigned interest)
{
	struct pfd_poll *pp = (struct pfd_poll *)p;
	struct pfd_entry *e;
	struct stat st;
	int rc = 0;

	if (op == MIO__CTL_ADD) {
		/* The errors epoll_ctl() would give, for the same calls. */
		if (fstat(s, &st) < 0)
			return -errno;
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			return -EPERM;
	}
	if ((unsigned)s >> PFD_CHUNK_SHIFT >= PFD_NCHUNKS)
		return op == MIO__CTL_ADD ? -EMFILE : pfd_not_found(s);
	if ((e = pfd_entry(s, op == MIO__CTL_ADD)) == NULL)
		return op == MIO__CTL_ADD ? -ENOMEM : pfd_not_found(s);
	mio__lock(&pp->lock);
	if (op == MIO__CTL_ADD) {
		rc = pfd_add(pp, e, s, token, interest);
	} else if (atomic_load(&e->owner) != pp) {
		rc = pfd_not_found(s);
	} else if (op == MIO__CTL_DEL) {
		pfd_remove(pp, e);
	} else {
		struct pfd_meta *m = &pp->meta[e->slot];

		m->token = token;
		m->interest = interest | (m->interest & MIO__WAKER);
		pp->fds[e->slot].fd = s;
		pp->fds[e->slot].events = pfd_bits(interest);
		pfd_kick(pp);
	}
	mio__unlock(&pp->lock);
	return rc;
}

/*
 * The poll that s is registered with, locked and still owning s; NULL
 * (nothing locked) when s is registered nowhere.  The unlocked load is
 * the cheap common answer for descriptors no poll(2) poll watches.
 */
static inline __attribute__((always_inline)) struct pfd_poll *
pfd_lock_owner(mio_sock s, struct pfd_entry **ep)
{
	struct pfd_entry *e = pfd_entry(s, 0);
	struct pfd_poll *pp;

	if (e == NULL ||
	    (pp = atomic_load_explicit(&e->owner, memory_order_acquire)) ==
	    NULL)
		return NULL;
	mio__lock(&pp->lock);
	if (atomic_load(&e->owner) != pp) {
		mio__unlock(&pp->lock);
		return NULL;
	}
	*ep = e;
	return pp;
}

void
mio__pollfd_rearm(mio_sock s, unsigned dir)
{
	struct pfd_entry *e;
	struct pfd_poll *pp;
	struct pollfd *pfd;
	short bits;

	if ((pp = pfd_lock_owner(s, &e)) == NULL)
		return;
	pfd = &pp->fds[e->slot];
	bits = pfd_bits(pp->meta[e->slot].interest & dir);
	if (dir & MIO_READABLE)
		bits |= pfd_bits(pp->meta[e->slot].interest & MIO_PRIORITY);
	/* A direction the caller does not watch re-arms nothing. */
	if (bits != 0 && (pfd->fd < 0 || (pfd->events & bits) != bits)) {
		pfd->fd = s;
		pfd->events |= bits;
		pfd_kick(pp);
	}
	mio__unlock(&pp->lock);
}

/*
 * An error was consumed (mio_take_error(), or an I/O call that returned
 * it): the slot that the error event silenced listens again, for the
 * directions still armed, as epoll's next edge would come.
 */
void
mio__pollfd_revive(mio_sock s)
{
	struct pfd_entry *e;
	struct pfd_poll *pp;
	struct pollfd *pfd;

	if ((pp = pfd_lock_owner(s, &e)) == NULL)
		return;
	pfd = &pp->fds[e->slot];
	if (pfd->fd < 0 && pfd->events != 0) {
		pfd->fd = s;
		pfd_kick(pp);
	}
	mio__unlock(&pp->lock);
}

ssize_t
mio__pollfd_rearm_eagain(mio_sock s, unsigned dir)
{
	mio__pollfd_rearm(s, dir);
	return -EAGAIN;
}

void
mio__pollfd_forget(mio_sock s)
{
	struct pfd_entry *e;
	struct pfd_poll *pp;

	if ((pp = pfd_lock_owner(s, &e)) == NULL)
		return;
	pfd_remove(pp, e);
	mio__unlock(&pp->lock);
}


/*
 * Turns the array's .revents into events, disarming what it delivers.
 * Scans from where the previous full batch stopped, so that a capacity
 * smaller than the ready set cannot starve the last slots.
 */
static int
pfd_collect(struct pfd_poll *pp, nfds_t polled, struct mio_event *events,
    size_t capacity)
{
	nfds_t k, i, n = polled - 1;
	size_t count = 0;

	/* i walks 1..n from 1 + scan, wrapping: no division per slot. */
	i = 1 + pp->scan % n;
	for (k = 0; k < n && count < capacity; k++, i = i == n ? 1 : i + 1) {
		struct pollfd *pfd = &pp->fds[i];
		struct pfd_meta *m;
		short re = pfd->revents;

		if (re == 0)
			continue;
		m = &pp->meta[i];
		if (!m->live)
			continue;
		pfd->revents = 0;
		if (m->interest & MIO__WAKER) {
			PFD_WAKER->drain(m->fd);
			events[count].token = m->token;
			events[count++].flags = MIO_READABLE;
			continue;
		}
		if (pfd->fd < 0)
			continue;
		/* Bits reregistered away during the wait are not reported. */
		re &= pfd->events | PFD_DEAD_BITS;
		if (re & PFD_DEAD_BITS) {
			pfd->fd = ~m->fd;
			if (re & POLLNVAL)
				continue;	/* closed behind our back */
		} else {
			if (re & PFD_READ_BITS)
				pfd->events &= ~PFD_READ_BITS;
			if (re & POLLOUT)
				pfd->events &= ~POLLOUT;
		}
		if (re == 0)
			continue;
		events[count].token = m->token;
		events[count++].flags = pfd_flags(re);
	}
	pp->scan = count == capacity ? (pp->scan + k) % n : 0;
	return (int)count;
}

static int64_t
pfd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
pfd_wait(struct mio_poll *p, struct mio_event *events, int max,
    int timeout_ms)
{
	struct pfd_poll *pp = (struct pfd_poll *)p;
	int64_t deadline = 0;
	nfds_t polled;
	int rc, count = 0, left = timeout_ms < 0 ? -1 : timeout_ms;

	if (timeout_ms > 0)
		deadline = pfd_now_ns() + (int64_t)timeout_ms * 1000000;
	mio__lock(&pp->lock);
	for (;;) {
		while (pp->growers > 0)
			mio__lock_wait(&pp->lock);
		if (pp->ntombs > 0)
			pfd_compact(pp);
		polled = pp->nfds;
		pp->polling = 1;
		mio__unlock(&pp->lock);

		rc = poll(pp->fds, polled, left);
		if (rc < 0)
			rc = -errno;

		mio__lock(&pp->lock);
		pp->polling = 0;
		if (pp->growers > 0)
			mio__lock_broadcast(&pp->lock);
		if (rc < 0)
			break;
		if (pp->fds[0].revents != 0) {
			pp->fds[0].revents = 0;
			PFD_WAKER->drain(pp->notify.rfd);
		}
		if (rc > 0 && polled > 1)
			count = pfd_collect(pp, polled, events,
			    (size_t)max);
		if (count > 0 || left == 0)
			break;
		/*
		 * Only internal wake-ups: poll again for what is left, rounded
		 * up to whole milliseconds so that the wait never ends early.
		 */
		if (left > 0) {
			int64_t rest = deadline - pfd_now_ns();

			if (rest <= 0)
				break;
			rest = (rest + 999999) / 1000000;
			left = rest > INT_MAX ? INT_MAX : (int)rest;
		}
	}
	mio__unlock(&pp->lock);
	return rc < 0 ? rc : count;
}

const struct mio__backend mio__backend_poll = {
	.name = "poll",
	.interests = MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY,
	.short_io_drains = 0,
	.init = pfd_init,
	.fini = pfd_fini,
	.ctl = pfd_ctl,
	.wait = pfd_wait,
	.waker = PFD_WAKER,
};
