/*
 * The kqueue(2) backend: the BSDs' and Apple's native edge-triggered
 * selector (mio's src/sys/unix/selector/kqueue.rs), and libkqueue's
 * emulation of it on Linux, which is how it is tested here.
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - A registration is one knote per (descriptor, filter): reading and
 *    writing are two filters, EVFILT_READ and EVFILT_WRITE, so one
 *    register, reregister or deregister is a change list of two entries,
 *    built on the stack and applied in one kevent(2) call.
 *  - EV_CLEAR must be on every knote: without it a knote is
 *    level-triggered and an undrained descriptor would spin.  EV_ADD on
 *    an existing knote updates its udata and re-evaluates it, queueing a
 *    new event if the descriptor is ready now: how reregister re-arms.
 *  - A change list stops at the first error unless every entry carries
 *    EV_RECEIPT, which makes each one come back as an EV_ERROR entry with
 *    its own errno in data (0 for success): every receipt is checked.
 *    Old macOS answers EPIPE when adding a write filter to a socket whose
 *    peer is gone: the knote exists and reports EOF, so it is no error
 *    (mio #582).  Deleting a filter that was never added answers ENOENT:
 *    ignored unless no filter at all was there (then -ENOENT, as API.md
 *    wants).  EINTR on a change list means the changes were applied.
 *  - EV_ADD on a descriptor already registered silently modifies it,
 *    where API.md wants -EEXIST, and reregister must not add what was
 *    never registered (-ENOENT).  kqueue keeps the truth, so we ask it:
 *    a change list of EV_ENABLE for both filters fails with ENOENT for a
 *    filter that is not there and is a no-op on an enabled knote (we
 *    never disable one).  One more system call per register and
 *    reregister, against state of our own that a closed descriptor would
 *    leave stale.
 *  - Read and write readiness arrive as separate kernel events, even
 *    when both hold at once, where epoll and poll(2) give one.  mio
 *    passes on two; libmio merges the two of one descriptor within a
 *    wait into one event (mio_poll_wait(3)), so that a caller sees the
 *    same events on every backend: a 128-slot table on the stack, one
 *    hash and a probe or two per kernel event (about 12 instructions),
 *    and nothing at all for a wait that brings one event.
 *  - EV_EOF on the read filter is the peer's FIN or a reset
 *    (MIO_READ_CLOSED); on the write filter, a write side that can send
 *    no more (MIO_WRITE_CLOSED), also after a local shutdown(SHUT_WR),
 *    which epoll does not report.  A socket error comes as EV_EOF with
 *    the errno in fflags: MIO_ERROR.
 *  - There is no priority filter for sockets (EVFILT_EXCEPT is
 *    FreeBSD's and macOS's alone): MIO_PRIORITY is refused (-ENOTSUP), as
 *    mio never reports priority on kqueue.  MIO_AIO and MIO_LIO complete
 *    through an aiocb's sigevent, which needs the kqueue descriptor
 *    itself, so they are not offered either.
 *  - Closing a descriptor removes its knotes in a BSD kernel, whatever
 *    other copies exist (knotes hang on the descriptor number, unlike
 *    epoll's registrations on the open file).
 *  - libkqueue, the emulation on Linux (MIO__KQUEUE_EMULATED), cannot see
 *    a close and drops events when its event list fills: its own file,
 *    sys/kqueue_emul.c, says how the backend answers.
 *  - kqueues are not inherited across fork(2): a child must make its own
 *    poll.  The descriptor is close-on-exec from birth where kqueue1(2)
 *    or kqueuex(2) exists, right after kqueue(2) elsewhere.
 *  - kevent(2) returns EINTR on a signal: passed on as -EINTR.
 *  - The kernel's struct kevent (32 bytes, 64 on FreeBSD 12 and later)
 *    is larger than struct mio_event (16), so the wait reads into a
 *    stack array and translates: at most KQ_BATCH events per wait, the
 *    rest on the next one, as API.md allows.
 */
#include "config.h"

#ifdef HAVE_KQUEUE

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "rearm.h"
#include "sys/backend.h"
#include "sys/kqueue.h"

#ifdef EVFILT_USER
extern const struct mio__waker_ops mio__waker_kqueue_user
    __attribute__((visibility("hidden")));
#endif

/*
 * EVFILT_USER where the kernel has it.  Not on libkqueue: its kevent()
 * takes a mutex, so a wake from a signal handler that interrupts the
 * thread inside kevent() would deadlock, and wakes must be
 * async-signal-safe.  There, and where EVFILT_USER is missing, a pipe:
 * EV_CLEAR raises an edge per write, and a full pipe is emptied by the
 * wake itself (sys/waker_pipe.c), so it needs no drain either.
 */
#if defined(EVFILT_USER) && !defined(MIO__KQUEUE_EMULATED)
#define KQ_WAKER	(&mio__waker_kqueue_user)
#else
#define KQ_WAKER	(&mio__waker_pipe)
#endif

#define KQ_BATCH	64	/* kernel events read per wait */

static int
kq_open(void)
{
	int kq;

#if defined(HAVE_KQUEUEX) && defined(KQUEUE_CLOEXEC)
	kq = kqueuex(KQUEUE_CLOEXEC);
#elif defined(HAVE_KQUEUE1) && defined(O_CLOEXEC)
	kq = kqueue1(O_CLOEXEC);
#else
	kq = kqueue();
	if (kq >= 0 && fcntl(kq, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;

		close(kq);
		errno = e;
		return -1;
	}
#endif
	return kq;
}

static int
kq_init(struct mio_poll **out)
{
	struct kq_poll *kp;
	int rc;

	if ((kp = malloc(sizeof(*kp))) == NULL)
		return -ENOMEM;
	kp->hdr.ops = &mio__backend_kqueue;
	if ((kp->kq = kq_open()) < 0) {
		rc = -errno;
		free(kp);
		return rc;
	}
#ifdef MIO__KQUEUE_EMULATED
	if ((rc = mio__kq_emul_init(kp)) != 0) {
		close(kp->kq);
		free(kp);
		return rc;
	}
#endif
	*out = &kp->hdr;
	return 0;
}

static void
kq_fini(struct mio_poll *p)
{
	struct kq_poll *kp = (struct kq_poll *)p;

#ifdef MIO__KQUEUE_EMULATED
	mio__kq_emul_fini(kp);
#endif
	close(kp->kq);
	free(kp);
}


#ifndef MIO__KQUEUE_EMULATED
/*
 * Whether s has a knote in kp: 1, 0, or -errno (-EBADF for no open
 * descriptor).  EV_ENABLE changes nothing on an enabled knote.
 */
static int
kq_registered(struct kq_poll *kp, mio_sock s)
{
	struct kevent ch[2];
	int err[2], rc, i, any = 0;

	EV_SET(&ch[0], (uintptr_t)s, EVFILT_READ, EV_ENABLE | EV_RECEIPT,
	    0, 0, NULL);
	EV_SET(&ch[1], (uintptr_t)s, EVFILT_WRITE, EV_ENABLE | EV_RECEIPT,
	    0, 0, NULL);
	if ((rc = mio__kq_apply(kp->kq, ch, 2, err)) != 0)
		return rc;
	for (i = 0; i < 2; i++) {
		if (err[i] == 0)
			any = 1;
		else if (err[i] != ENOENT)
			return -err[i];
	}
	return any;
}

/*
 * The change list of a registration: each filter added (with the token)
 * when wanted, deleted when not (on MOD and DEL; ADD has nothing to
 * delete).  On MOD a wanted filter is deleted first and added anew: a
 * BSD kernel re-evaluates a knote on EV_ADD anyway, but libkqueue
 * re-arms only a new one, and a reregister must queue an event for a
 * descriptor ready now.  Returns the count, at most 4.
 */
static int
kq_changes(struct kevent *ch, enum mio__ctl_op op, mio_sock s,
    mio_token token, unsigned interest)
{
	static const struct {
		short		filter;
		unsigned	interest;
	} f[2] = { { EVFILT_READ, MIO_READABLE }, { EVFILT_WRITE, MIO_WRITABLE } };
	void *udata = (void *)(uintptr_t)token;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		int want = op != MIO__CTL_DEL && (interest & f[i].interest);

		if (op != MIO__CTL_ADD)
			EV_SET(&ch[n++], (uintptr_t)s, f[i].filter,
			    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
		if (want)
			EV_SET(&ch[n++], (uintptr_t)s, f[i].filter,
			    EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, udata);
	}
	return n;
}

/* Registers, reregisters or deregisters s: kernel calls only. */
static int
kq_ctl_native(struct kq_poll *kp, enum mio__ctl_op op, mio_sock s,
    mio_token token, unsigned interest)
{
	struct kevent ch[4];
	int err[4], n, i, rc, deletes = 0, missing = 0;

	if (op != MIO__CTL_DEL) {
		if ((rc = kq_registered(kp, s)) < 0)
			return rc;
		if (op == MIO__CTL_ADD && rc)
			return -EEXIST;
		if (op == MIO__CTL_MOD && !rc)
			return fcntl(s, F_GETFD) < 0 ? -EBADF : -ENOENT;
	}
	n = kq_changes(ch, op, s, token, interest);
	if ((rc = mio__kq_apply(kp->kq, ch, n, err)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (ch[i].flags & EV_DELETE)
			deletes++;
		if (err[i] == 0 || (err[i] == EPIPE && (ch[i].flags & EV_ADD)))
			continue;
		if (err[i] == ENOENT && (ch[i].flags & EV_DELETE)) {
			missing++;
			continue;
		}
		return -err[i];
	}
	/*
	 * Deregistering what had no filter at all: -ENOENT, or -EBADF for
	 * no open descriptor (a BSD kernel says EBADF itself).
	 */
	if (op == MIO__CTL_DEL && missing == deletes)
		return fcntl(s, F_GETFD) < 0 ? -EBADF : -ENOENT;
	return 0;
}
#endif /* !MIO__KQUEUE_EMULATED */

#ifdef EVFILT_USER
/* A waker of this backend: an EVFILT_USER knote, ident w->rfd. */
static int
kq_user_ctl(struct kq_poll *kp, enum mio__ctl_op op, mio_sock ident,
    mio_token token)
{
	struct kevent ch;
	int err, rc;

	if (op == MIO__CTL_DEL)
		EV_SET(&ch, (uintptr_t)ident, EVFILT_USER,
		    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	else
		EV_SET(&ch, (uintptr_t)ident, EVFILT_USER,
		    EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0,
		    (void *)(uintptr_t)token);
	if ((rc = mio__kq_apply(kp->kq, &ch, 1, &err)) != 0)
		return rc;
	return -err;
}
#endif

static int
kq_ctl(struct mio_poll *p, enum mio__ctl_op op, mio_sock s, mio_token token,
    unsigned interest)
{
	struct kq_poll *kp = (struct kq_poll *)p;
	struct stat st;

#ifdef EVFILT_USER
	if ((interest & MIO__WAKER) && KQ_WAKER == &mio__waker_kqueue_user)
		return kq_user_ctl(kp, op, s, token);
#endif
	if (op == MIO__CTL_ADD) {
		/* Refused as epoll and poll(2) refuse them: always ready. */
		if (fstat(s, &st) < 0)
			return -errno;
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			return -EPERM;
	}
#ifdef MIO__KQUEUE_EMULATED
	return mio__kq_emul_ctl(kp, op, s, token, interest);
#else
	return kq_ctl_native(kp, op, s, token, interest);
#endif
}

/* One kernel event as libmio's flags. */
static inline uint32_t
kq_flags(const struct kevent *k)
{
	uint32_t f = 0;

	if (k->flags & EV_ERROR)
		return MIO_ERROR;
	switch (k->filter) {
	case EVFILT_READ:
		f = MIO_READABLE;
		if (k->flags & EV_EOF)
			f |= MIO_READ_CLOSED;
		break;
	case EVFILT_WRITE:
		f = MIO_WRITABLE;
		if (k->flags & EV_EOF)
			f |= MIO_WRITE_CLOSED;
		break;
#ifdef EVFILT_USER
	case EVFILT_USER:
		return MIO_READABLE;
#endif
	default:
		break;
	}
	/* A socket error comes as EOF with its errno in fflags. */
	if ((k->flags & EV_EOF) && k->fflags != 0)
		f |= MIO_ERROR;
	return f;
}

/*
 * Moves n kernel events into events[], one per descriptor: a read and a
 * write event of the same descriptor become one with both flags (a
 * waker's EVFILT_USER is never merged).  Returns the count.
 */
#define KQ_SLOTS	(2 * KQ_BATCH)	/* a power of two, half full at most */
static int
kq_merge(struct kq_poll *kp, const struct kevent *kev, int n,
    struct mio_event *events)
{
	signed char slot[KQ_SLOTS];
	uintptr_t ident[KQ_BATCH], id;
	unsigned h;
	int i, out = 0;

	(void)kp;
	if (n == 1) {
		/* The usual single event: nothing to merge, no table. */
		events[0].token = (mio_token)(uintptr_t)kev[0].udata;
		events[0].flags = kq_flags(&kev[0]);
		return 1;
	}
	memset(slot, -1, sizeof(slot));
	for (i = 0; i < n; i++) {
		uint32_t f = kq_flags(&kev[i]);

		if (kev[i].filter == EVFILT_READ ||
		    kev[i].filter == EVFILT_WRITE) {
			id = kev[i].ident;
#ifdef MIO__KQUEUE_EMULATED
			/* A write filter sits on a twin (kqueue_emul.c). */
			if (kev[i].filter == EVFILT_WRITE)
				id = mio__kq_emul_owner(kp, id);
#endif
			h = (unsigned)(id * 0x9e3779b1u) & (KQ_SLOTS - 1);
			while (slot[h] >= 0 && ident[slot[h]] != id)
				h = (h + 1) & (KQ_SLOTS - 1);
			if (slot[h] >= 0) {
				events[slot[h]].flags |= f;
				continue;
			}
			slot[h] = (signed char)out;
			ident[out] = id;
		}
		events[out].token = (mio_token)(uintptr_t)kev[i].udata;
		events[out].flags = f;
		out++;
	}
	return out;
}

static int
kq_wait(struct mio_poll *p, struct mio_event *events, int max,
    int timeout_ms)
{
	struct kq_poll *kp = (struct kq_poll *)p;
	struct kevent kev[KQ_BATCH];
	struct timespec ts, *tsp = NULL;
	int n;

	if (max > KQ_BATCH)
		max = KQ_BATCH;
#ifdef MIO__KQUEUE_EMULATED
	(void)ts;
	(void)tsp;
	n = mio__kq_emul_wait(kp, kev, max, timeout_ms);
	if (n <= 0)
		return n;
#else
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	n = kevent(kp->kq, NULL, 0, kev, max, tsp);
#endif
	if (n <= 0)
		return n < 0 ? -errno : 0;
	return kq_merge(kp, kev, n, events);
}


#ifdef EVFILT_USER
/*
 * The waker mechanism: an EVFILT_USER knote with EV_CLEAR, triggered by
 * NOTE_TRIGGER.  Triggers before a wait coalesce into one event and the
 * clear re-arms it, so nothing is ever drained.  rfd is the knote's
 * ident, unique in the process; wfd is the poll's kqueue, borrowed.
 */
static atomic_int kq_next_ident;

static int
kq_waker_open(struct mio_poll *p, struct mio__wake *w)
{
	w->rfd = atomic_fetch_add(&kq_next_ident, 1);
	w->wfd = ((struct kq_poll *)p)->kq;
	return 0;
}

static int
kq_waker_wake(const struct mio__wake *w)
{
	struct kevent ch;

	/* Every change sets the knote's udata, this one too. */
	EV_SET(&ch, (uintptr_t)w->rfd, EVFILT_USER, 0, NOTE_TRIGGER, 0,
	    (void *)(uintptr_t)w->token);
	while (kevent(w->wfd, &ch, 1, NULL, 0, NULL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static void
kq_waker_drain(int rfd)
{
	(void)rfd;
}

static void
kq_waker_close(struct mio__wake *w)
{
	(void)w;
}

const struct mio__waker_ops mio__waker_kqueue_user
    __attribute__((visibility("hidden"))) = {
	.open = kq_waker_open,
	.wake = kq_waker_wake,
	.drain = kq_waker_drain,
	.close = kq_waker_close,
};
#endif


const struct mio__backend mio__backend_kqueue = {
	.name = "kqueue",
	.interests = MIO_READABLE | MIO_WRITABLE,
	.short_io_drains = 1,
	.init = kq_init,
	.fini = kq_fini,
	.ctl = kq_ctl,
	.wait = kq_wait,
	.waker = KQ_WAKER,
};

#endif /* HAVE_KQUEUE */
