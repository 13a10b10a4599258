/*
 * The kqueue backend on libkqueue, kqueue emulated in user space on Linux
 * (how the backend is tested here): what the emulation needs that a BSD
 * kernel does not.  Built only with MIO__KQUEUE_EMULATED.
 *
 *  - libkqueue cannot see a close(2), so a closed descriptor's knotes
 *    would stay, and a reused number collide with them.  mio_close()
 *    deletes the descriptor's registration from every live kqueue poll
 *    first (mio__kqueue_forget(), on the list below).
 *  - libkqueue keeps one epoll registration per descriptor for both
 *    filters.  When a wait's event list fills, it drops the write event
 *    of a descriptor ready both ways, and every event after it, whose
 *    edges epoll_wait(2) had already consumed (linux_kevent_copyout()):
 *    lost events, which a BSD kernel never gives.  So here a
 *    descriptor's write filter sits on a twin, a dup(2) of it that the
 *    poll owns: each epoll registration then carries one filter, each
 *    epoll event makes one kernel event, and nothing is dropped.  The
 *    price, on the emulation only: one descriptor more per registration
 *    with MIO_WRITABLE, and a socket closed with a raw close(2) while
 *    registered stays open through its twin until it is deregistered.
 *  - libkqueue loses events when a descriptor is registered from another
 *    thread while a wait is under way (reproduced without libmio: a few
 *    runs in twenty lose most of 134 ready eventfds).  So here a change
 *    never meets a wait: it wakes the waiting thread through a pipe of
 *    the poll's own and applies itself once that thread has left
 *    kevent(), which waits meanwhile (the gate below, as the poll(2)
 *    backend's growth waits for its waiter).  The pipe's events are
 *    swallowed, and a wait they end early goes on for what is left of
 *    its timeout.
 *  - The twin table, by descriptor number, is also how a registration is
 *    known here (the EV_ENABLE probe of kqueue.c is not needed):
 *    0 not registered; TWIN_NONE registered without a twin; t + 1
 *    registered with twin t; -(fd + 1) at a twin's own number, naming the
 *    descriptor it twins.  It grows by doubling in register only
 *    (amortised, as poll(2)'s table does), under twin_lock, which the
 *    wait also takes to name a twin's events by their descriptor.
 */
#include "config.h"

#if defined(HAVE_KQUEUE) && defined(MIO__KQUEUE_EMULATED)

#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rearm.h"
#include "sys/fdflags.h"
#include "sys/kqueue.h"

#define TWIN_NONE	INT_MAX

static pthread_mutex_t kq_live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kq_poll *kq_live;
atomic_int mio__kqueue_users;

/* The gate's pipe, registered for reading on kp's kqueue: 0 or -errno. */
static int
gate_open(struct kq_poll *kp)
{
	struct kevent ch;
	int err, rc;

	if ((rc = mio__fd_pipe(kp->wake)) < 0)
		return rc;
	EV_SET(&ch, (uintptr_t)kp->wake[0], EVFILT_READ,
	    EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, NULL);
	if ((rc = mio__kq_apply(kp->kq, &ch, 1, &err)) == 0)
		rc = -err;
	if (rc != 0) {
		close(kp->wake[0]);
		close(kp->wake[1]);
	}
	return rc;
}

static void
gate_close_pipe(struct kq_poll *kp)
{
	struct kevent ch;
	int err;

	EV_SET(&ch, (uintptr_t)kp->wake[0], EVFILT_READ,
	    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	(void)mio__kq_apply(kp->kq, &ch, 1, &err);
	close(kp->wake[0]);
	close(kp->wake[1]);
}

int
mio__kq_emul_init(struct kq_poll *kp)
{
	int rc;

	if ((rc = gate_open(kp)) != 0)
		return rc;
	if (pthread_mutex_init(&kp->twin_lock, NULL) != 0) {
		gate_close_pipe(kp);
		return -ENOMEM;
	}
	if (pthread_cond_init(&kp->gate, NULL) != 0) {
		pthread_mutex_destroy(&kp->twin_lock);
		gate_close_pipe(kp);
		return -ENOMEM;
	}
	kp->in_wait = 0;
	kp->pending = 0;
	kp->twin = NULL;
	kp->ntwin = 0;
	pthread_mutex_lock(&kq_live_lock);
	kp->next = kq_live;
	kq_live = kp;
	atomic_fetch_add(&mio__kqueue_users, 1);
	pthread_mutex_unlock(&kq_live_lock);
	return 0;
}

/*
 * The gate, with twin_lock held.  A change waits until no thread is
 * inside kevent(), making the one there leave; a wait waits until no
 * change is pending.
 */
static void
gate_change_enter(struct kq_poll *kp)
{
	kp->pending++;
	while (kp->in_wait) {
		if (write(kp->wake[1], "", 1) < 0) {
			/* Full: a wake is pending already. */
		}
		pthread_cond_wait(&kp->gate, &kp->twin_lock);
	}
}

static void
gate_change_leave(struct kq_poll *kp)
{
	if (--kp->pending == 0)
		pthread_cond_broadcast(&kp->gate);
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* kev[0, n) without the gate pipe's events (the pipe drained): the count. */
static int
gate_swallow(struct kq_poll *kp, struct kevent *kev, int n)
{
	char buf[64];
	int i, k;

	for (i = k = 0; i < n; i++) {
		if (kev[i].filter == EVFILT_READ &&
		    kev[i].ident == (uintptr_t)kp->wake[0]) {
			while (read(kp->wake[0], buf, sizeof(buf)) > 0)
				;
			continue;
		}
		kev[k++] = kev[i];
	}
	return k;
}

int
mio__kq_emul_wait(struct kq_poll *kp, struct kevent *kev, int max,
    int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	struct timespec ts;
	int n, e, left = timeout_ms;

	for (;;) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		pthread_mutex_lock(&kp->twin_lock);
		while (kp->pending > 0)
			pthread_cond_wait(&kp->gate, &kp->twin_lock);
		kp->in_wait = 1;
		pthread_mutex_unlock(&kp->twin_lock);
		n = kevent(kp->kq, NULL, 0, kev, max, left < 0 ? NULL : &ts);
		e = errno;
		pthread_mutex_lock(&kp->twin_lock);
		kp->in_wait = 0;
		pthread_cond_broadcast(&kp->gate);
		pthread_mutex_unlock(&kp->twin_lock);
		if (n <= 0)
			return n < 0 ? -e : 0;
		if ((n = gate_swallow(kp, kev, n)) > 0 || timeout_ms == 0)
			return n;
		/* Only the gate's pipe: wait on for what is left. */
		if (timeout_ms > 0 &&
		    (left = (int)(deadline - now_ms())) <= 0)
			return 0;
	}
}

/* Room for descriptor fd in the table: 0 or -ENOMEM. */
static int
twin_room(struct kq_poll *kp, int fd)
{
	int n = kp->ntwin > 0 ? kp->ntwin : 64, *t;

	if (fd < kp->ntwin)
		return 0;
	while (n <= fd)
		n *= 2;
	if ((t = realloc(kp->twin, (size_t)n * sizeof(*t))) == NULL)
		return -ENOMEM;
	memset(t + kp->ntwin, 0, (size_t)(n - kp->ntwin) * sizeof(*t));
	kp->twin = t;
	kp->ntwin = n;
	return 0;
}

static int
twin_entry(const struct kq_poll *kp, int fd)
{
	return fd < kp->ntwin ? kp->twin[fd] : 0;
}

uintptr_t
mio__kq_emul_owner(struct kq_poll *kp, uintptr_t ident)
{
	int e = 0;

	pthread_mutex_lock(&kp->twin_lock);
	if (ident < (uintptr_t)kp->ntwin)
		e = kp->twin[ident];
	pthread_mutex_unlock(&kp->twin_lock);
	return e < 0 ? (uintptr_t)(-e - 1) : ident;
}

/* The errors of n applied changes: ENOENT on a delete and EPIPE on an
 * add are none (kqueue.c says why). */
static int
changes_failed(const struct kevent *ch, const int *err, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (err[i] == 0 ||
		    (err[i] == ENOENT && (ch[i].flags & EV_DELETE)) ||
		    (err[i] == EPIPE && (ch[i].flags & EV_ADD)))
			continue;
		return -err[i];
	}
	return 0;
}

/* Deregisters s, whose twin is t (or -1); the table's lock is held. */
static void
emul_del(struct kq_poll *kp, mio_sock s, int t)
{
	struct kevent ch[2];
	int err[2], n = 0;

	EV_SET(&ch[n++], (uintptr_t)s, EVFILT_READ, EV_DELETE | EV_RECEIPT,
	    0, 0, NULL);
	if (t >= 0)
		EV_SET(&ch[n++], (uintptr_t)t, EVFILT_WRITE,
		    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	(void)mio__kq_apply(kp->kq, ch, n, err);
	kp->twin[s] = 0;
	if (t >= 0) {
		kp->twin[t] = 0;
		close(t);
	}
}

/*
 * Adds or modifies s's registration, its twin t (-1: none yet) made here
 * when writing is wanted; the table's lock is held and has room for s.
 */
static int
emul_set(struct kq_poll *kp, enum mio__ctl_op op, mio_sock s, int t,
    mio_token token, unsigned interest)
{
	void *udata = (void *)(uintptr_t)token;
	struct kevent ch[4];
	int err[4], n = 0, made = -1, rc;

	if ((interest & MIO_WRITABLE) && t < 0) {
		if ((t = fcntl(s, F_DUPFD_CLOEXEC, 0)) < 0)
			return -errno;
		if ((rc = twin_room(kp, t)) != 0) {
			close(t);
			return rc;
		}
		made = t;
	}
	/* Deleted and added anew: libkqueue re-arms only a new knote. */
	if (op == MIO__CTL_MOD)
		EV_SET(&ch[n++], (uintptr_t)s, EVFILT_READ,
		    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	if (interest & MIO_READABLE)
		EV_SET(&ch[n++], (uintptr_t)s, EVFILT_READ,
		    EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, udata);
	if (t >= 0 && made < 0)
		EV_SET(&ch[n++], (uintptr_t)t, EVFILT_WRITE,
		    EV_DELETE | EV_RECEIPT, 0, 0, NULL);
	if (interest & MIO_WRITABLE)
		EV_SET(&ch[n++], (uintptr_t)t, EVFILT_WRITE,
		    EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, udata);
	if ((rc = mio__kq_apply(kp->kq, ch, n, err)) == 0)
		rc = changes_failed(ch, err, n);
	if (rc != 0) {
		if (op == MIO__CTL_ADD)
			emul_del(kp, s, made);
		else if (made >= 0)
			close(made);
		return rc;
	}
	if (!(interest & MIO_WRITABLE) && t >= 0) {
		/* Its write knote was deleted above. */
		kp->twin[t] = 0;
		close(t);
		t = -1;
	}
	kp->twin[s] = t >= 0 ? t + 1 : TWIN_NONE;
	if (t >= 0)
		kp->twin[t] = -(s + 1);
	return 0;
}

int
mio__kq_emul_ctl(struct kq_poll *kp, enum mio__ctl_op op, mio_sock s,
    mio_token token, unsigned interest)
{
	int e, t, rc;

	pthread_mutex_lock(&kp->twin_lock);
	gate_change_enter(kp);
	e = twin_entry(kp, s);
	t = e > 0 && e != TWIN_NONE ? e - 1 : -1;
	if (op == MIO__CTL_ADD && e > 0)
		rc = -EEXIST;
	else if (op != MIO__CTL_ADD && e <= 0)
		rc = fcntl(s, F_GETFD) < 0 ? -EBADF : -ENOENT;
	else if (op == MIO__CTL_DEL) {
		emul_del(kp, s, t);
		rc = 0;
	} else if ((rc = twin_room(kp, s)) == 0)
		rc = emul_set(kp, op, s, t, token, interest);
	gate_change_leave(kp);
	pthread_mutex_unlock(&kp->twin_lock);
	return rc;
}

void
mio__kq_emul_fini(struct kq_poll *kp)
{
	struct kq_poll **pp;
	int i;

	pthread_mutex_lock(&kq_live_lock);
	for (pp = &kq_live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == kp) {
			*pp = kp->next;
			break;
		}
	}
	atomic_fetch_sub(&mio__kqueue_users, 1);
	pthread_mutex_unlock(&kq_live_lock);
	/*
	 * Every registration left, and the gate's pipe, out of the kqueue
	 * before it closes: libkqueue frees a knote's descriptor state only
	 * when the knote is deleted.  The twins close with them.
	 */
	for (i = 0; i < kp->ntwin; i++)
		if (kp->twin[i] > 0)
			emul_del(kp, i, kp->twin[i] != TWIN_NONE ?
			    kp->twin[i] - 1 : -1);
	free(kp->twin);
	gate_close_pipe(kp);
	pthread_cond_destroy(&kp->gate);
	pthread_mutex_destroy(&kp->twin_lock);
}

/* Before s is closed: its registration out of every live kqueue poll. */
void
mio__kqueue_forget(mio_sock s)
{
	struct kq_poll *kp;

	pthread_mutex_lock(&kq_live_lock);
	for (kp = kq_live; kp != NULL; kp = kp->next) {
		pthread_mutex_lock(&kp->twin_lock);
		if (twin_entry(kp, s) > 0) {
			int e;

			gate_change_enter(kp);
			e = kp->twin[s];
			emul_del(kp, s, e != TWIN_NONE ? e - 1 : -1);
			gate_change_leave(kp);
		}
		pthread_mutex_unlock(&kp->twin_lock);
	}
	pthread_mutex_unlock(&kq_live_lock);
}

#endif /* HAVE_KQUEUE && MIO__KQUEUE_EMULATED */
