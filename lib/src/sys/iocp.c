/*
 * The Windows backend: one I/O completion port per poll, and sockets
 * polled through the AFD driver (sys/afd.h), the strategy of wepoll and
 * of mio's src/sys/windows/selector.rs.  Readiness arrives as completed
 * IOCTL_AFD_POLL requests; edges are emulated as the poll(2) backend
 * does: what a completion reported is dropped from the socket's wanted
 * events until libmio's own I/O on it returns -EAGAIN (the Winsock
 * layer calls mio__iocp_rearm()) or the caller reregisters.
 *
 * Traps of the mechanism, and how this file answers them:
 *
 *  - A poll request is one-shot and level-checked: issued on a readable
 *    socket it completes at once.  So each socket has at most one
 *    request in flight, asking only for the events not yet delivered;
 *    after its completion the socket goes back on the update queue and
 *    a new request is issued with what is left (plus LOCAL_CLOSE, so
 *    that a closed handle always ends its request).
 *  - Requests name the socket's base handle (SIO_BASE_HANDLE): a layered
 *    provider's handle is not the driver's.
 *  - Changes (register, reregister, deregister, re-arm) are queued and
 *    flushed just before GetQueuedCompletionStatusEx, so a register and
 *    a deregister with no wait between them never reach the driver.
 *    While a thread waits, a change is flushed at once by the thread
 *    making it, or the waiter would not see it until its next call.
 *  - Asking for more than the request in flight asks needs that request
 *    cancelled (NtCancelIoFileEx) and a new one issued after its
 *    completion comes back.  A cancelled request's completion reports
 *    nothing (whatever fired before the cancel is found again by the
 *    request issued next, since AFD polls are level-checked).
 *  - The request's IO_STATUS_BLOCK and output buffer are the kernel's
 *    until the completion is dequeued: a socket's state is freed (back
 *    to this poll's free list) only then, never at deregister; a
 *    deregistered state is marked delete-pending and its completion is
 *    swallowed.  Deregister removes it from the table at once, so the
 *    same socket can be registered again with a fresh state.
 *  - A socket closed while registered ends its request with LOCAL_CLOSE
 *    (or an error status): the state is dropped silently, as epoll
 *    forgets closed descriptors.  mio_close() deregisters first anyway
 *    (mio__iocp_forget()), because Windows reuses handle values.
 *  - A request the driver refuses (-ENOMEM, -EIO) keeps its state
 *    queued and is the error mio_poll_wait() returns; only an invalid
 *    handle (a socket closed unregistered) drops the state there.  A
 *    cancel that fails leaves the request PENDING: its completion
 *    still comes.
 *  - A completion may report nothing the caller wants (a cancel, a
 *    close): the wait loops until it has an event or its time is up,
 *    so 0 still means the timeout passed.
 *  - Waker packets carry their waker as completion key, its generation
 *    (a per-poll counter) as byte count, and no OVERLAPPED; a flag per
 *    waker coalesces wakes until its packet is dequeued.  A packet of a
 *    waker freed meanwhile is recognised (the key is not in the poll's
 *    list, or a new waker allocated at the same address has another
 *    generation) and dropped; the waker itself is never touched
 *    through it.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sys/afd.h"
#include "sys/backend.h"
#include "sys/iocp.h"
#include "sys/socktab.h"
#include "win/wsa.h"

#ifndef STATUS_CANCELLED
#define STATUS_CANCELLED	((NTSTATUS)0xC0000120L)
#endif

/* AFD completions carry key 0; a waker's carry its struct mio__wake. */
#define KEY_AFD		0
/* A wait's own wake-up: flush again (no pointer is 1). */
#define KEY_FLUSH	1
/* Completions dequeued per system call (each makes at most one event). */
#define IOCP_BATCH	64

#define AFD_READ	(MIO__AFD_POLL_RECEIVE | MIO__AFD_POLL_DISCONNECT | \
			    MIO__AFD_POLL_ACCEPT)
#define AFD_WRITE	MIO__AFD_POLL_SEND
#define AFD_FAIL	(MIO__AFD_POLL_ABORT | MIO__AFD_POLL_CONNECT_FAIL)
#define AFD_KNOWN	(AFD_READ | AFD_WRITE | AFD_FAIL | \
			    MIO__AFD_POLL_RECEIVE_EXPEDITED)

enum sock_status { SOCK_IDLE, SOCK_PENDING, SOCK_CANCELLED };

struct iocp_sock {
	IO_STATUS_BLOCK		 iosb;	/* first: the port's OVERLAPPED */
	struct mio__afd_poll_info info;
	SOCKET			 sock;
	SOCKET			 base;
	mio_token		 token;
	unsigned		 interest;	/* MIO_* */
	ULONG			 user_evts;	/* wanted, less delivered */
	ULONG			 pending_evts;	/* asked by the request out */
	enum sock_status	 status;
	int			 delete_pending;
	int			 queued;
	struct iocp_sock	*next_update;
	struct iocp_sock	*next_free;
};

struct iocp_poll {
	struct mio_poll		 hdr;
	HANDLE			 port;
	HANDLE			 afd;
	SRWLOCK			 lock;
	struct mio__socktab	 table;		/* registered sockets */
	struct iocp_sock	*updates;
	struct iocp_sock	*free;
	size_t			 inflight;	/* requests out */
	int			 polling;
	struct mio__wake	*wakers;	/* live ones */
	unsigned long		 wake_gen;	/* the last waker's */
	struct iocp_poll	*next_live;
};

atomic_int mio__iocp_users;
static SRWLOCK live_lock = SRWLOCK_INIT;
static struct iocp_poll *live;

static ULONG
interest_afd(unsigned interest)
{
	ULONG e = 0;

	if (interest & MIO_READABLE)
		e |= AFD_READ | AFD_FAIL;
	if (interest & MIO_WRITABLE)
		e |= AFD_WRITE | AFD_FAIL;
	if (interest & MIO_PRIORITY)
		e |= MIO__AFD_POLL_RECEIVE_EXPEDITED;
	return e;
}

/* MIO-NOTES.md section 1.4, the IOCP/AFD column. */
static uint32_t
afd_flags(ULONG e)
{
	uint32_t f = 0;

	if (e & (AFD_READ | AFD_FAIL))
		f |= MIO_READABLE;
	if (e & (AFD_WRITE | AFD_FAIL))
		f |= MIO_WRITABLE;
	if (e & MIO__AFD_POLL_CONNECT_FAIL)
		f |= MIO_ERROR;
	if (e & (MIO__AFD_POLL_DISCONNECT | AFD_FAIL))
		f |= MIO_READ_CLOSED;
	if (e & AFD_FAIL)
		f |= MIO_WRITE_CLOSED;
	if (e & MIO__AFD_POLL_RECEIVE_EXPEDITED)
		f |= MIO_PRIORITY;
	return f;
}

/* The state whose sock member a table entry points at. */
#define SOCK_OF(key)	((struct iocp_sock *)(void *)((char *)(key) - \
			    offsetof(struct iocp_sock, sock)))

/* Drops st from the table if it is the entry for its socket. */
static void
sock_unlist(struct iocp_poll *p, struct iocp_sock *st)
{
	long i = mio__socktab_find(&p->table, st->sock);

	if (i >= 0 && SOCK_OF(p->table.slot[i]) == st)
		mio__socktab_remove(&p->table, (size_t)i);
}

/* --- socket states --- */

static void
sock_queue(struct iocp_poll *p, struct iocp_sock *st)
{
	if (st->queued)
		return;
	st->queued = 1;
	st->next_update = p->updates;
	p->updates = st;
}

static void
sock_release(struct iocp_poll *p, struct iocp_sock *st)
{
	st->next_free = p->free;
	p->free = st;
}

/*
 * A cancel that failed leaves the request PENDING: its completion comes
 * back some day all the same and requeues the state, which then issues
 * what it wants by then (or is released, if deleted meanwhile).
 */
static void
sock_cancel(struct iocp_poll *p, struct iocp_sock *st)
{
	if (mio__afd_cancel(p->afd, &st->iosb) != 0)
		return;
	st->status = SOCK_CANCELLED;
	st->pending_evts = 0;
}

/* 0, or the error of a request the driver refused (st stays queued). */
static int
sock_update(struct iocp_poll *p, struct iocp_sock *st)
{
	int rc;

	if (st->delete_pending) {
		if (st->status == SOCK_PENDING)
			sock_cancel(p, st);
		else if (st->status == SOCK_IDLE)
			sock_release(p, st);
		return 0;
	}
	if (st->status == SOCK_PENDING) {
		if ((st->user_evts & AFD_KNOWN & ~st->pending_evts) != 0)
			sock_cancel(p, st);
		return 0;
	}
	if (st->status == SOCK_CANCELLED)
		return 0;	/* its completion requeues it */
	st->info.timeout.QuadPart = INT64_MAX;
	st->info.number_of_handles = 1;
	st->info.exclusive = 0;
	st->info.handles[0].handle = (HANDLE)st->base;
	st->info.handles[0].events = st->user_evts |
	    MIO__AFD_POLL_LOCAL_CLOSE;
	st->info.handles[0].status = 0;
	if ((rc = mio__afd_poll(p->afd, &st->info, &st->iosb)) != 0) {
		if (rc != -EBADF)
			return rc;	/* -ENOMEM, -EIO: kept, retried */
		/* The socket is gone (closed unregistered): forget it. */
		sock_unlist(p, st);
		sock_release(p, st);
		return 0;
	}
	st->status = SOCK_PENDING;
	st->pending_evts = st->user_evts;
	p->inflight++;
	return 0;
}

/*
 * Issues the queued changes.  One the driver refused stays queued, with
 * those after it, and its error is returned: mio_poll_wait() reports it
 * (as mio's update_sockets_events and wepoll do) and the next call tries
 * again, rather than a registration vanishing in silence.
 */
static int
flush(struct iocp_poll *p)
{
	struct iocp_sock *st;
	int rc;

	while ((st = p->updates) != NULL) {
		p->updates = st->next_update;
		st->queued = 0;
		if ((rc = sock_update(p, st)) != 0) {
			sock_queue(p, st);
			return rc;
		}
	}
	return 0;
}

/*
 * A change made while another thread waits takes effect in that wait.
 * If the driver refuses it, the waiter is woken (a KEY_FLUSH packet) to
 * flush again itself and return the error.
 */
static void
changed(struct iocp_poll *p, struct iocp_sock *st)
{
	sock_queue(p, st);
	if (p->polling && flush(p) != 0)
		(void)PostQueuedCompletionStatus(p->port, 0, KEY_FLUSH, NULL);
}

/* A completed request: the flags to report (0: none). */
static uint32_t
sock_complete(struct iocp_poll *p, struct iocp_sock *st)
{
	ULONG e = 0;

	st->status = SOCK_IDLE;
	st->pending_evts = 0;
	p->inflight--;
	if (st->delete_pending) {
		if (!st->queued)
			sock_release(p, st);
		return 0;
	}
	if (st->iosb.Status == STATUS_CANCELLED)
		e = 0;
	else if (st->iosb.Status < 0)
		e = MIO__AFD_POLL_CONNECT_FAIL;
	else if (st->info.number_of_handles < 1)
		e = 0;
	else if (st->info.handles[0].events & MIO__AFD_POLL_LOCAL_CLOSE) {
		sock_unlist(p, st);
		st->delete_pending = 1;
		if (!st->queued)
			sock_release(p, st);
		return 0;
	} else
		e = st->info.handles[0].events;
	e &= st->user_evts;
	st->user_evts &= ~e;
	sock_queue(p, st);
	return afd_flags(e);
}

/* --- the backend --- */

static int
iocp_init(struct mio_poll **out)
{
	struct iocp_poll *p;
	int rc;

	/* Registering asks Winsock about the socket (SO_TYPE, the base
	 * handle): Winsock is started with the first poll, as libmio(3)
	 * says, not only with the first socket libmio makes. */
	if ((rc = mio__wsa_init()) < 0)
		return rc;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->hdr.ops = &mio__backend_iocp;
	InitializeSRWLock(&p->lock);
	p->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	if (p->port == NULL) {
		free(p);
		return -ENOMEM;
	}
	if ((rc = mio__afd_open(p->port, KEY_AFD, &p->afd)) != 0) {
		CloseHandle(p->port);
		free(p);
		return rc;
	}
	AcquireSRWLockExclusive(&live_lock);
	p->next_live = live;
	live = p;
	atomic_fetch_add(&mio__iocp_users, 1);
	ReleaseSRWLockExclusive(&live_lock);
	*out = &p->hdr;
	return 0;
}

static void
iocp_fini(struct mio_poll *mp)
{
	struct iocp_poll *p = (struct iocp_poll *)mp;
	struct iocp_poll **pp;
	struct iocp_sock *st;
	OVERLAPPED_ENTRY ent[IOCP_BATCH];
	ULONG n, i;
	size_t k;

	AcquireSRWLockExclusive(&live_lock);
	for (pp = &live; *pp != p; pp = &(*pp)->next_live)
		;
	*pp = p->next_live;
	atomic_fetch_sub(&mio__iocp_users, 1);
	ReleaseSRWLockExclusive(&live_lock);

	/*
	 * Every request out owns its state until its completion: they are
	 * cancelled, the AFD handle closed, and each completion comes back
	 * through the port.  One that never came back within a second
	 * (none should) is leaked rather than freed under the kernel.
	 */
	for (k = 0; k < p->table.cap; k++)
		if (p->table.slot[k] != NULL) {
			st = SOCK_OF(p->table.slot[k]);
			st->delete_pending = 1;
			if (st->status == SOCK_IDLE && !st->queued)
				sock_release(p, st);
		}
	for (st = p->updates; st != NULL; st = st->next_update) {
		st->queued = 0;
		if (st->status == SOCK_IDLE)
			sock_release(p, st);
	}
	/* Cancel them all, then close: each completion still comes back
	 * through the port (STATUS_CANCELLED) and is drained below. */
	(void)CancelIoEx(p->afd, NULL);
	CloseHandle(p->afd);
	while (p->inflight > 0 &&
	    GetQueuedCompletionStatusEx(p->port, ent, IOCP_BATCH, &n, 1000,
	    FALSE))
		for (i = 0; i < n; i++)
			if (ent[i].lpCompletionKey == KEY_AFD) {
				st = (struct iocp_sock *)ent[i].lpOverlapped;
				p->inflight--;
				sock_release(p, st);
			}
	if (p->inflight == 0)
		while ((st = p->free) != NULL) {
			p->free = st->next_free;
			free(st);
		}
	CloseHandle(p->port);
	mio__socktab_fini(&p->table);
	free(p);
}

/*
 * The base handle of socket s.  Not every stack refuses a handle that
 * is no socket in SIO_BASE_HANDLE (wine 8 answers it for an event), so
 * SO_TYPE asks first: -EBADF for anything that is no socket.
 */
static int
iocp_socket_base(mio_sock s, SOCKET *base)
{
	int type;
	int len = sizeof(type);

	if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
		return WSAGetLastError() == WSAENOTSOCK ? -EBADF : -EPERM;
	if ((*base = mio__afd_base_socket(s)) == INVALID_SOCKET)
		return -EPERM;
	return 0;
}

static int
iocp_ctl(struct mio_poll *mp, enum mio__ctl_op op, mio_sock s,
    mio_token token, unsigned interest)
{
	struct iocp_poll *p = (struct iocp_poll *)mp;
	struct iocp_sock *st;
	SOCKET base = INVALID_SOCKET;
	long i;
	int rc = 0;

	if (interest & MIO__WAKER)
		return 0;	/* open() listed it (waker_iocp.c) */
	if (op == MIO__CTL_ADD && (rc = iocp_socket_base(s, &base)) != 0)
		return rc;
	AcquireSRWLockExclusive(&p->lock);
	i = mio__socktab_find(&p->table, s);
	switch (op) {
	case MIO__CTL_ADD:
		if (i >= 0) {
			rc = -EEXIST;
			break;
		}
		if ((st = p->free) != NULL)
			p->free = st->next_free;
		else if ((st = malloc(sizeof(*st))) == NULL) {
			rc = -ENOMEM;
			break;
		}
		*st = (struct iocp_sock){ .sock = s, .base = base };
		st->token = token;
		st->interest = interest;
		st->user_evts = interest_afd(interest);
		if ((rc = mio__socktab_add(&p->table, &st->sock)) != 0) {
			sock_release(p, st);
			break;
		}
		changed(p, st);
		break;
	case MIO__CTL_MOD:
		if (i < 0) {
			rc = -ENOENT;
			break;
		}
		st = SOCK_OF(p->table.slot[i]);
		st->token = token;
		st->interest = interest;
		st->user_evts = interest_afd(interest);
		changed(p, st);
		break;
	case MIO__CTL_DEL:
		if (i < 0) {
			rc = -ENOENT;
			break;
		}
		st = SOCK_OF(p->table.slot[i]);
		mio__socktab_remove(&p->table, (size_t)i);
		st->delete_pending = 1;
		changed(p, st);
		break;
	}
	ReleaseSRWLockExclusive(&p->lock);
	return rc;
}

static int
iocp_collect(struct iocp_poll *p, const OVERLAPPED_ENTRY *ent, ULONG n,
    struct mio_event *events)
{
	int count = 0;
	ULONG i;

	for (i = 0; i < n; i++) {
		uint32_t f;

		if (ent[i].lpCompletionKey == KEY_FLUSH)
			continue;
		if (ent[i].lpCompletionKey != KEY_AFD) {
			struct mio__wake *w;

			/*
			 * A waker freed since its wake: not in the list, or
			 * a new one at its address, whose generation the
			 * packet does not carry.
			 */
			for (w = p->wakers; w != NULL; w = w->next)
				if ((ULONG_PTR)w == ent[i].lpCompletionKey &&
				    (DWORD)w->gen ==
				    ent[i].dwNumberOfBytesTransferred)
					break;
			if (w == NULL)
				continue;
			InterlockedExchange(&w->pending, 0);
			events[count].token = w->token;
			events[count++].flags = MIO_READABLE;
			continue;
		}
		f = sock_complete(p,
		    (struct iocp_sock *)ent[i].lpOverlapped);
		if (f != 0) {
			struct iocp_sock *st =
			    (struct iocp_sock *)ent[i].lpOverlapped;

			events[count].token = st->token;
			events[count++].flags = f;
		}
	}
	return count;
}

static int
iocp_wait(struct mio_poll *mp, struct mio_event *events, int max,
    int timeout_ms)
{
	struct iocp_poll *p = (struct iocp_poll *)mp;
	OVERLAPPED_ENTRY ent[IOCP_BATCH];
	ULONGLONG deadline = 0;
	DWORD left = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
	ULONG n;
	BOOL ok;
	int count;

	if (timeout_ms > 0)
		deadline = GetTickCount64() + (ULONGLONG)timeout_ms;
	for (;;) {
		int rc;

		AcquireSRWLockExclusive(&p->lock);
		if ((rc = flush(p)) != 0) {
			ReleaseSRWLockExclusive(&p->lock);
			return rc;
		}
		p->polling = 1;
		ReleaseSRWLockExclusive(&p->lock);
		ok = GetQueuedCompletionStatusEx(p->port, ent,
		    max < IOCP_BATCH ? (ULONG)max : IOCP_BATCH, &n, left, FALSE);
		AcquireSRWLockExclusive(&p->lock);
		p->polling = 0;
		count = ok ? iocp_collect(p, ent, n, events) : 0;
		ReleaseSRWLockExclusive(&p->lock);
		if (!ok) {
			DWORD err = GetLastError();

			if (err == WAIT_TIMEOUT)
				return 0;
			return err == WAIT_IO_COMPLETION ? -EINTR : -EIO;
		}
		if (count > 0 || timeout_ms == 0)
			return count;
		if (timeout_ms > 0) {
			ULONGLONG now = GetTickCount64();

			if (now >= deadline)
				return 0;
			left = (DWORD)(deadline - now);
		}
	}
}

void
mio__iocp_waker_add(struct mio_poll *mp, struct mio__wake *w)
{
	struct iocp_poll *p = (struct iocp_poll *)mp;

	w->poll = mp;
	w->pending = 0;
	AcquireSRWLockExclusive(&p->lock);
	w->gen = ++p->wake_gen;
	w->next = p->wakers;
	p->wakers = w;
	ReleaseSRWLockExclusive(&p->lock);
}

void
mio__iocp_waker_remove(struct mio_poll *mp, struct mio__wake *w)
{
	struct iocp_poll *p = (struct iocp_poll *)mp;
	struct mio__wake **wp;

	AcquireSRWLockExclusive(&p->lock);
	for (wp = &p->wakers; *wp != NULL; wp = &(*wp)->next)
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	ReleaseSRWLockExclusive(&p->lock);
}

int
mio__iocp_wake(struct mio__wake *w)
{
	struct iocp_poll *p = (struct iocp_poll *)w->poll;

	if (InterlockedExchange(&w->pending, 1) != 0)
		return 0;	/* coalesced into the packet already queued */
	if (!PostQueuedCompletionStatus(p->port, (DWORD)w->gen, (ULONG_PTR)w,
	    NULL)) {
		InterlockedExchange(&w->pending, 0);
		return -ENOMEM;
	}
	return 0;
}

void
mio__iocp_rearm(mio_sock s, unsigned dir)
{
	struct iocp_poll *p;
	long i;

	AcquireSRWLockShared(&live_lock);
	for (p = live; p != NULL; p = p->next_live) {
		AcquireSRWLockExclusive(&p->lock);
		if ((i = mio__socktab_find(&p->table, s)) >= 0) {
			struct iocp_sock *st = SOCK_OF(p->table.slot[i]);
			unsigned d = dir;
			ULONG want;

			/* Urgent data is read by the reads: a read's
			 * -EAGAIN re-arms MIO_PRIORITY too, as poll.c
			 * re-arms POLLPRI with POLLIN. */
			if (d & MIO_READABLE)
				d |= MIO_PRIORITY;
			want = interest_afd(st->interest & d);

			if ((want & ~st->user_evts) != 0) {
				st->user_evts |= want;
				changed(p, st);
			}
		}
		ReleaseSRWLockExclusive(&p->lock);
	}
	ReleaseSRWLockShared(&live_lock);
}

void
mio__iocp_forget(mio_sock s)
{
	struct iocp_poll *p;

	AcquireSRWLockShared(&live_lock);
	for (p = live; p != NULL; p = p->next_live)
		if (iocp_ctl(&p->hdr, MIO__CTL_DEL, s, 0, 0) != 0)
			continue;
	ReleaseSRWLockShared(&live_lock);
}

const struct mio__backend mio__backend_iocp = {
	.name = "iocp",
	.interests = MIO_READABLE | MIO_WRITABLE | MIO_PRIORITY,
	.short_io_drains = 0,
	.init = iocp_init,
	.fini = iocp_fini,
	.ctl = iocp_ctl,
	.wait = iocp_wait,
	.waker = &mio__waker_iocp,
};
