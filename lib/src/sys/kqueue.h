/*
 * What sys/kqueue.c shares with sys/kqueue_emul.c, the part of the
 * backend that only libkqueue (kqueue emulated on Linux) needs.
 */
#ifndef MIO_SYS_KQUEUE_H
#define MIO_SYS_KQUEUE_H

#include <errno.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/event.h>

#include "sys/backend.h"

struct kq_poll {
	struct mio_poll	 hdr;
	int		 kq;
#ifdef MIO__KQUEUE_EMULATED
	struct kq_poll	*next;		/* in the live list (kqueue_emul.c) */
	pthread_mutex_t	 twin_lock;	/* guards twin[] and the gate */
	int		*twin;		/* by descriptor: see kqueue_emul.c */
	int		 ntwin;
	pthread_cond_t	 gate;		/* a wait left, or changes are done */
	int		 in_wait;	/* a thread is inside kevent() */
	int		 pending;	/* changes waiting for it to leave */
	int		 wake[2];	/* a pipe that makes it leave */
#endif
};

/*
 * Applies n <= 4 changes, each with EV_RECEIPT, and leaves each one's
 * errno (0 for success) in err[]; receipts come in the order of the
 * changes.  Returns 0, or -errno when the call itself failed; EINTR
 * means the changes were applied (mio).  Inline here so that
 * kqueue_emul.c needs nothing of kqueue.c, which calls it.
 */
static inline int
mio__kq_apply(int kq, struct kevent *ch, int n, int *err)
{
	struct kevent rc[4];
	int k, got;

	for (k = 0; k < n; k++)
		err[k] = 0;
	got = kevent(kq, ch, n, rc, n, NULL);
	if (got < 0)
		return errno == EINTR ? 0 : -errno;
	for (k = 0; k < got && k < n; k++)
		if (rc[k].flags & EV_ERROR)
			err[k] = (int)rc[k].data;
	return 0;
}

#ifdef MIO__KQUEUE_EMULATED
int	mio__kq_emul_init(struct kq_poll *kp)
	    __attribute__((visibility("hidden")));
void	mio__kq_emul_fini(struct kq_poll *kp)
	    __attribute__((visibility("hidden")));
int	mio__kq_emul_ctl(struct kq_poll *kp, enum mio__ctl_op op, mio_sock s,
	    mio_token token, unsigned interest)
	    __attribute__((visibility("hidden")));
uintptr_t mio__kq_emul_owner(struct kq_poll *kp, uintptr_t ident)
	    __attribute__((visibility("hidden")));
int	mio__kq_emul_wait(struct kq_poll *kp, struct kevent *kev, int max,
	    int timeout_ms)
	    __attribute__((visibility("hidden")));
#endif

#endif /* MIO_SYS_KQUEUE_H */
