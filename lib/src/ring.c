/*
 * The completion extension (mio_ring.h): an io_uring ring driven through
 * its three system calls directly, without liburing.
 *
 * Why not liburing: libmio needs a dozen of its helpers (setup, the
 * mappings, SQE preparation, the CQ walk, buffer rings), all of them a
 * few lines over the kernel's ABI in <linux/io_uring.h>; a dependency
 * would add a package to every build and its version skew (Debian 12
 * ships 2.3) to every feature check, and its types would tempt the
 * public header.  The kernel decides what works at run time here anyway:
 * mio_ring_new() probes the opcodes and setup flags it needs.
 *
 * Memory: the rings and buffer groups are mapped in mio_ring_new() and
 * mio_ring_group_new(); nothing allocates afterwards.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mio.h"
#include "mio_ring.h"

#if defined(HAVE_LINUX_IO_URING_H) && defined(__linux__)

#include <linux/io_uring.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rearm.h"

#if !defined(IORING_SETUP_COOP_TASKRUN) || !defined(IORING_RECV_MULTISHOT)
#error "<linux/io_uring.h> older than Linux 6.1: configure should have said no"
#endif

struct ring_group {
	struct io_uring_buf_ring *br;	/* the ring shared with the kernel */
	size_t		br_len;
	unsigned char	*mem;		/* count * size bytes of buffers */
	size_t		mem_len;
	unsigned	count, size;
	uint16_t	tail;		/* our copy of the ring's tail */
};

struct mio_ring {
	int		fd;
	int		evfd;		/* signalled by the kernel, in the poll */
	int		evfd_drain;	/* the poll is level-based: read it */
	struct mio_poll	*poll;
	unsigned	features;
	unsigned	inflight;	/* requests with a record still due */
	/* Submission ring. */
	void		*sq_map;
	size_t		sq_map_len;
	struct io_uring_sqe *sqes;
	size_t		sqes_len;
	unsigned	*sq_head, *sq_tail, *sq_array, *sq_flags;
	unsigned	sq_mask, sq_entries;
	unsigned	sq_queued;	/* our tail, ahead of the kernel's view */
	unsigned	sq_pending;	/* queued, not yet entered */
	/* Completion ring (in the same mapping: IORING_FEAT_SINGLE_MMAP). */
	unsigned	*cq_head, *cq_tail, cq_mask;
	struct io_uring_cqe *cqes;
	struct ring_group groups[MIO_RING_GROUPS];
};

static int
sys_setup(unsigned entries, struct io_uring_params *p)
{
	long rc = syscall(__NR_io_uring_setup, entries, p);

	return rc < 0 ? -errno : (int)rc;
}

static int
sys_enter(int fd, unsigned submit, unsigned min, unsigned flags)
{
	long rc;

	do
		rc = syscall(__NR_io_uring_enter, fd, submit, min, flags, NULL,
		    (size_t)0);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : (int)rc;
}

static int
sys_register(int fd, unsigned op, void *arg, unsigned n)
{
	long rc = syscall(__NR_io_uring_register, fd, op, arg, n);

	return rc < 0 ? -errno : (int)rc;
}

/*
 * Every opcode the ring's calls use must be supported: a kernel that
 * has io_uring but not these (or a seccomp profile that refuses it,
 * which fails the setup already) gets -ENOTSUP from mio_ring_new().
 */
static int
probe_ops(int fd)
{
	static const uint8_t need[] = {
		IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_RECV,
		IORING_OP_SEND, IORING_OP_SHUTDOWN, IORING_OP_CLOSE,
		IORING_OP_ASYNC_CANCEL,
	};
	union {
		struct io_uring_probe	p;
		unsigned char	raw[sizeof(struct io_uring_probe) +
		    256 * sizeof(struct io_uring_probe_op)];
	} u;
	size_t i;

	memset(&u, 0, sizeof(u));
	if (sys_register(fd, IORING_REGISTER_PROBE, &u.p, 256) < 0)
		return -ENOTSUP;
	for (i = 0; i < sizeof(need); i++)
		if (need[i] > u.p.last_op ||
		    !(u.p.ops[need[i]].flags & IO_URING_OP_SUPPORTED))
			return -ENOTSUP;
	return 0;
}

/*
 * The flags of the ops, which IORING_REGISTER_PROBE does not report
 * (it lists opcodes only): each is tried live on the new ring, where a
 * kernel that does not know a flag refuses the request with -EINVAL
 * before looking at its descriptor.  The requests aim at the ring's
 * eventfd, which is no socket: an accept or receive that knows its
 * flags ends at once with -ENOTSOCK, a cancel that knows its flags
 * finds nothing (-ENOENT).  Anything but -EINVAL passes.
 */
static struct io_uring_sqe *sqe_get(struct mio_ring *r);
static int sqe_push(struct mio_ring *r, struct io_uring_sqe *e,
    mio_token token);

#define PROBE_UD	((uint64_t)-2)		/* no caller's token yet */
#define PROBE_CANCEL_UD	((uint64_t)-3)

/* A probe request aimed at the eventfd, to fill: its slot, or NULL. */
static struct io_uring_sqe *
probe_sqe(struct mio_ring *r, uint8_t opcode)
{
	struct io_uring_sqe *e;

	if ((e = sqe_get(r)) == NULL)
		return NULL;
	e->opcode = opcode;
	e->fd = r->evfd;
	return e;
}

/*
 * Queues and runs the probe request e, and stores its result in *res.
 * One still armed after the submission (none should be) is cancelled
 * (the cancel's own flags were probed first), so that this never
 * waits for a peer.
 */
static int
probe_result(struct mio_ring *r, struct io_uring_sqe *e, int *res)
{
	unsigned want = 1, head, tail;
	int seen = 0, cancelled = 0, rc;

	sqe_push(r, e, (mio_token)PROBE_UD);
	while (want > 0) {
		rc = sys_enter(r->fd, r->sq_pending, cancelled ? want : 0,
		    IORING_ENTER_GETEVENTS);
		if (rc < 0)
			return rc;
		r->sq_pending = 0;
		head = *r->cq_head;
		tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			const struct io_uring_cqe *c =
			    &r->cqes[head & r->cq_mask];

			if (c->flags & IORING_CQE_F_MORE)
				continue;
			r->inflight--;
			want--;
			if (c->user_data == PROBE_UD) {
				*res = c->res;
				seen = 1;
			}
		}
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
		if (want > 0 && !seen && !cancelled) {
			if ((e = sqe_get(r)) == NULL)
				return -EBUSY;
			e->opcode = IORING_OP_ASYNC_CANCEL;
			e->fd = -1;
			e->addr = PROBE_UD;
			e->cancel_flags = IORING_ASYNC_CANCEL_ALL;
			sqe_push(r, e, (mio_token)PROBE_CANCEL_UD);
			want++;
			cancelled = 1;
		}
	}
	return 0;
}

/* Runs the probe request e; -ENOTSUP where the kernel refuses its flags
 * (-EINVAL), 0 for any other answer. */
static int
probe_try(struct mio_ring *r, struct io_uring_sqe *e)
{
	int res = 0, rc;

	if (e == NULL)
		return -EBUSY;
	if ((rc = probe_result(r, e, &res)) < 0)
		return rc;
	return res == -EINVAL ? -ENOTSUP : 0;
}

static int
probe_flags(struct mio_ring *r)
{
	/* The cancels first: probe_result() leans on the first. */
	static const uint32_t cancels[] = {
		IORING_ASYNC_CANCEL_ALL,			/* by token */
		IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL,
		IORING_ASYNC_CANCEL_ANY,			/* mio_ring_free */
	};
	struct io_uring_sqe *e;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cancels) / sizeof(cancels[0]); i++) {
		if ((e = probe_sqe(r, IORING_OP_ASYNC_CANCEL)) != NULL) {
			e->cancel_flags = cancels[i];
			if (!(cancels[i] & IORING_ASYNC_CANCEL_FD))
				e->fd = -1;
			e->addr = PROBE_CANCEL_UD;
		}
		if ((rc = probe_try(r, e)) != 0)
			return rc;
	}
	/* Multishot accept. */
	if ((e = probe_sqe(r, IORING_OP_ACCEPT)) != NULL) {
		e->ioprio = IORING_ACCEPT_MULTISHOT;
		e->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	}
	if ((rc = probe_try(r, e)) != 0)
		return rc;
	/* Multishot receive into a buffer group. */
	if ((e = probe_sqe(r, IORING_OP_RECV)) != NULL) {
		e->ioprio = IORING_RECV_MULTISHOT;
		e->flags = IOSQE_BUFFER_SELECT;
	}
	if ((rc = probe_try(r, e)) != 0)
		return rc;
	r->features |= MIO_RING_F_ACCEPT_MULTI | MIO_RING_F_RECV_MULTI |
	    MIO_RING_F_CANCEL_FD;
	return 0;
}

/*
 * Sets up the ring: SINGLE_ISSUER | COOP_TASKRUN where the kernel takes
 * them (completion work runs when the thread next enters or leaves the
 * kernel, without an inter-processor interrupt to make it), else a plain
 * ring.  The flags are tried, never inferred from a version.
 *
 * Not DEFER_TASKRUN, though it saves more where the ring is the loop's
 * own wait: here the wait is the poll's, and a deferred ring can tell a
 * poll of new work only through its eventfd, whose signal for deferred
 * work came late on Linux 6.18 (a 64-byte ping-pong through the relay
 * took 32 ms at the median against 40 us on a COOP_TASKRUN ring).
 */
static int
ring_setup(unsigned entries, struct io_uring_params *p, unsigned *features)
{
	static const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
		    IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_CLAMP,
		IORING_SETUP_CLAMP,
	};
	size_t i;
	int fd = -ENOTSUP;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		memset(p, 0, sizeof(*p));
		p->flags = tries[i];
		p->cq_entries = entries * 4;
		p->flags |= IORING_SETUP_CQSIZE;
		fd = sys_setup(entries, p);
		if (fd >= 0) {
			if (tries[i] & IORING_SETUP_COOP_TASKRUN)
				*features |= MIO_RING_F_COOP_TASKRUN;
			return fd;
		}
		if (fd != -EINVAL)
			break;
	}
	/* ENOSYS (no io_uring), EPERM (seccomp, io_uring_disabled), ... */
	return fd == -ENOMEM || fd == -EMFILE || fd == -ENFILE ? fd : -ENOTSUP;
}

static int
ring_map(struct mio_ring *r, const struct io_uring_params *p)
{
	size_t sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	size_t cq_len = p->cq_off.cqes +
	    p->cq_entries * sizeof(struct io_uring_cqe);
	unsigned char *m;

	if (!(p->features & IORING_FEAT_SINGLE_MMAP) ||
	    !(p->features & IORING_FEAT_NODROP))
		return -ENOTSUP;
	r->sq_map_len = sq_len > cq_len ? sq_len : cq_len;
	m = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (m == MAP_FAILED)
		return -errno;
	r->sq_map = m;
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		return -errno;
	}
	r->sq_head = (unsigned *)(m + p->sq_off.head);
	r->sq_tail = (unsigned *)(m + p->sq_off.tail);
	r->sq_array = (unsigned *)(m + p->sq_off.array);
	r->sq_flags = (unsigned *)(m + p->sq_off.flags);
	r->sq_mask = *(unsigned *)(m + p->sq_off.ring_mask);
	r->sq_entries = p->sq_entries;
	r->sq_queued = *r->sq_tail;
	r->cq_head = (unsigned *)(m + p->cq_off.head);
	r->cq_tail = (unsigned *)(m + p->cq_off.tail);
	r->cq_mask = *(unsigned *)(m + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(m + p->cq_off.cqes);
	return 0;
}

static void
ring_unmap(struct mio_ring *r)
{
	unsigned g;

	for (g = 0; g < MIO_RING_GROUPS; g++) {
		if (r->groups[g].br != NULL)
			munmap(r->groups[g].br, r->groups[g].br_len);
		if (r->groups[g].mem != NULL)
			munmap(r->groups[g].mem, r->groups[g].mem_len);
	}
	if (r->sqes != NULL)
		munmap(r->sqes, r->sqes_len);
	if (r->sq_map != NULL)
		munmap(r->sq_map, r->sq_map_len);
}

int
mio_ring_new(struct mio_poll *p, mio_token token, unsigned entries,
    struct mio_ring **out)
{
	struct io_uring_params params;
	struct mio_ring *r;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || out == NULL)
		return -EINVAL;
	if (entries == 0)
		entries = 256;
	if (entries > 4096 || (entries & (entries - 1)) != 0)
		return -EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->poll = p;
	r->evfd = -1;
	r->fd = ring_setup(entries, &params, &r->features);
	if (r->fd < 0) {
		rc = r->fd;
		free(r);
		return rc;
	}
	if ((rc = ring_map(r, &params)) < 0 || (rc = probe_ops(r->fd)) < 0)
		goto fail;
	/*
	 * The poll watches an eventfd the kernel signals as it posts
	 * records, not the ring's own descriptor (whose readiness, on some
	 * setups, follows only records posted in our own enters).  Each
	 * signal is a new edge for epoll; level-based backends read it in
	 * complete.
	 */
	if ((r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The flags of the ops, on the eventfd (so after it is made):
	 * buffer rings are probed by mio_ring_group_new(). */
	if ((rc = probe_flags(r)) < 0)
		goto fail;
	r->evfd_drain = !mio_poll_short_io_drains(p);
	if ((rc = sys_register(r->fd, IORING_REGISTER_EVENTFD, &r->evfd,
	    1)) < 0 ||
	    (rc = mio_register(p, r->evfd, token, MIO_READABLE)) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	if (r->evfd >= 0)
		close(r->evfd);
	ring_unmap(r);
	close(r->fd);
	free(r);
	return rc;
}

unsigned
mio_ring_features(const struct mio_ring *r)
{
	return r == NULL ? 0 : r->features;
}

/* Hands r's queued requests to the kernel (and with `get`, runs the
 * completion work pending for us). */
static int
ring_enter(struct mio_ring *r, int get)
{
	unsigned n = r->sq_pending;
	int rc;

	if (n == 0 && !get)
		return 0;
	rc = sys_enter(r->fd, n, 0, get ? IORING_ENTER_GETEVENTS : 0);
	if (rc < 0)
		return rc;
	r->sq_pending -= (unsigned)rc <= n ? (unsigned)rc : n;
	return rc;
}

/* A free submission slot, zeroed, or NULL when the kernel takes none. */
static struct io_uring_sqe *
sqe_get(struct mio_ring *r)
{
	unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	struct io_uring_sqe *e;

	if (r->sq_queued - head >= r->sq_entries) {
		if (ring_enter(r, 0) < 0)
			return NULL;
		head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
		if (r->sq_queued - head >= r->sq_entries)
			return NULL;
	}
	e = &r->sqes[r->sq_queued & r->sq_mask];
	memset(e, 0, sizeof(*e));
	return e;
}

static int
sqe_push(struct mio_ring *r, struct io_uring_sqe *e, mio_token token)
{
	e->user_data = (uint64_t)token;
	r->sq_array[r->sq_queued & r->sq_mask] = r->sq_queued & r->sq_mask;
	r->sq_queued++;
	__atomic_store_n(r->sq_tail, r->sq_queued, __ATOMIC_RELEASE);
	r->sq_pending++;
	r->inflight++;
	return 0;
}

#define RING_SQE(r, e) do {						\
	if ((r) == NULL)						\
		return -EINVAL;						\
	if (((e) = sqe_get(r)) == NULL)					\
		return -EBUSY;						\
} while (0)

int
mio_ring_accept_multishot(struct mio_ring *r, mio_sock listener,
    mio_token token)
{
	struct io_uring_sqe *e;

	if (listener < 0)
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_ACCEPT;
	e->fd = listener;
	e->ioprio = IORING_ACCEPT_MULTISHOT;
	e->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	return sqe_push(r, e, token);
}

int
mio_ring_connect(struct mio_ring *r, mio_sock s, const struct mio_addr *addr,
    mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0 || addr == NULL || addr->len == 0)
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_CONNECT;
	e->fd = s;
	e->addr = (uint64_t)(uintptr_t)&addr->u.sa;
	e->off = addr->len;
	return sqe_push(r, e, token);
}

/* A receive into a buffer of `group`, one-shot or multishot (ioprio). */
static int
ring_recv(struct mio_ring *r, mio_sock s, unsigned group, uint16_t ioprio,
    mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0 || group >= MIO_RING_GROUPS ||
	    (r != NULL && r->groups[group].br == NULL))
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_RECV;
	e->fd = s;
	e->ioprio = ioprio;
	e->flags = IOSQE_BUFFER_SELECT;
	e->buf_group = (uint16_t)group;
	return sqe_push(r, e, token);
}

int
mio_ring_recv_multishot(struct mio_ring *r, mio_sock s, unsigned group,
    mio_token token)
{
	return ring_recv(r, s, group, IORING_RECV_MULTISHOT, token);
}

int
mio_ring_recv(struct mio_ring *r, mio_sock s, unsigned group, mio_token token)
{
	return ring_recv(r, s, group, 0, token);
}

int
mio_ring_send(struct mio_ring *r, mio_sock s, const void *buf, size_t len,
    mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0 || (buf == NULL && len > 0) || len > UINT32_MAX)
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_SEND;
	e->fd = s;
	e->addr = (uint64_t)(uintptr_t)buf;
	e->len = (uint32_t)len;
	e->msg_flags = MSG_NOSIGNAL;
	return sqe_push(r, e, token);
}

int
mio_ring_shutdown(struct mio_ring *r, mio_sock s, int how, mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0 || (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR))
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_SHUTDOWN;
	e->fd = s;
	e->len = (uint32_t)how;
	return sqe_push(r, e, token);
}

int
mio_ring_close(struct mio_ring *r, mio_sock s, mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0)
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_CLOSE;
	e->fd = s;
	return sqe_push(r, e, token);
}

int
mio_ring_cancel(struct mio_ring *r, mio_sock s, mio_token token)
{
	struct io_uring_sqe *e;

	if (s < 0)
		return -EINVAL;
	RING_SQE(r, e);
	e->opcode = IORING_OP_ASYNC_CANCEL;
	e->fd = s;
	e->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
	return sqe_push(r, e, token);
}

int
mio_ring_cancel_token(struct mio_ring *r, mio_token target, mio_token token)
{
	struct io_uring_sqe *e;

	RING_SQE(r, e);
	e->opcode = IORING_OP_ASYNC_CANCEL;
	e->fd = -1;
	e->addr = (uint64_t)target;
	e->cancel_flags = IORING_ASYNC_CANCEL_ALL;
	return sqe_push(r, e, token);
}

int
mio_ring_submit(struct mio_ring *r)
{
	if (r == NULL)
		return -EINVAL;
	return ring_enter(r, 0);
}

/* Writes up to capacity records from the completion queue into out. */
static size_t
ring_harvest(struct mio_ring *r, struct mio_ring_completion *out,
    size_t capacity)
{
	unsigned head = *r->cq_head;
	unsigned tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	size_t n = 0;

	while (head != tail && n < capacity) {
		const struct io_uring_cqe *c = &r->cqes[head & r->cq_mask];
		struct mio_ring_completion *o = &out[n++];

		o->token = (mio_token)c->user_data;
		o->result = c->res;
		o->flags = 0;
		o->buffer = 0;
		if (c->flags & IORING_CQE_F_MORE)
			o->flags |= MIO_RING_MORE;
		else
			r->inflight--;
		if (c->flags & IORING_CQE_F_SOCK_NONEMPTY)
			o->flags |= MIO_RING_NONEMPTY;
		if (c->flags & IORING_CQE_F_BUFFER) {
			o->flags |= MIO_RING_BUFFER;
			o->buffer = (uint16_t)(c->flags >> IORING_CQE_BUFFER_SHIFT);
		}
		head++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return n;
}

/* Completion work the kernel holds for our next enter (flagged with
 * IORING_SETUP_TASKRUN_FLAG), or records it kept aside when the
 * completion queue was full: either needs an enter to be posted. */
static int
ring_work_left(const struct mio_ring *r)
{
	return (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) &
	    (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
}

int
mio_ring_complete(struct mio_ring *r, struct mio_ring_completion *out,
    size_t capacity)
{
	size_t n = 0;
	int rc;

	if (r == NULL || out == NULL || capacity == 0)
		return -EINVAL;
	if (r->evfd_drain) {
		uint64_t v;

		if (read(r->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
	}
	rc = ring_enter(r, ring_work_left(r));
	if (rc < 0 && rc != -EBUSY)
		return rc;
	for (;;) {
		n += ring_harvest(r, out + n, capacity - n);
		if (n == capacity || !ring_work_left(r))
			break;
		if ((rc = ring_enter(r, 1)) < 0 && rc != -EBUSY)
			return n > 0 ? (int)n : rc;
	}
	if (n < capacity)
		mio__would_block(r->evfd, MIO_READABLE);
	return (int)n;
}

int
mio_ring_group_new(struct mio_ring *r, unsigned group, unsigned count,
    unsigned size, unsigned lent)
{
	struct io_uring_buf_reg reg;
	struct ring_group *g;
	unsigned i;
	int rc;

	if (r == NULL || group >= MIO_RING_GROUPS || count == 0 ||
	    count > 32768 || (count & (count - 1)) != 0 || size == 0 ||
	    lent == 0 || lent > count)
		return -EINVAL;
	g = &r->groups[group];
	if (g->br != NULL)
		return -EEXIST;
	g->br_len = count * sizeof(struct io_uring_buf);
	g->br = mmap(NULL, g->br_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->br == MAP_FAILED) {
		g->br = NULL;
		return -ENOMEM;
	}
	g->mem_len = (size_t)count * size;
	g->mem = mmap(NULL, g->mem_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)g->br;
	reg.ring_entries = count;
	reg.bgid = (uint16_t)group;
	if ((rc = sys_register(r->fd, IORING_REGISTER_PBUF_RING, &reg, 1)) < 0) {
		if (rc == -EINVAL)
			rc = -ENOTSUP;
		goto fail;
	}
	g->count = count;
	g->size = size;
	g->tail = 0;
	for (i = 0; i < lent; i++) {
		struct io_uring_buf *b = &g->br->bufs[i];

		b->addr = (uint64_t)(uintptr_t)(g->mem + (size_t)i * size);
		b->len = size;
		b->bid = (uint16_t)i;
	}
	g->tail = (uint16_t)lent;
	__atomic_store_n(&g->br->tail, g->tail, __ATOMIC_RELEASE);
	return 0;
fail:
	if (g->mem != NULL)
		munmap(g->mem, g->mem_len);
	munmap(g->br, g->br_len);
	g->mem = NULL;
	g->br = NULL;
	return rc;
}

void *
mio_ring_buffer(struct mio_ring *r, unsigned group, unsigned id)
{
	struct ring_group *g;

	if (r == NULL || group >= MIO_RING_GROUPS)
		return NULL;
	g = &r->groups[group];
	if (g->br == NULL || id >= g->count)
		return NULL;
	return g->mem + (size_t)id * g->size;
}

int
mio_ring_buffer_return(struct mio_ring *r, unsigned group, unsigned id)
{
	struct ring_group *g;
	struct io_uring_buf *b;
	unsigned mask;

	if (r == NULL || group >= MIO_RING_GROUPS)
		return -EINVAL;
	g = &r->groups[group];
	if (g->br == NULL || id >= g->count)
		return -EINVAL;
	mask = g->count - 1;
	b = &g->br->bufs[g->tail & mask];
	b->addr = (uint64_t)(uintptr_t)(g->mem + (size_t)id * g->size);
	b->len = g->size;
	b->bid = (uint16_t)id;
	g->tail++;
	__atomic_store_n(&g->br->tail, g->tail, __ATOMIC_RELEASE);
	return 0;
}

void
mio_ring_free(struct mio_ring *r)
{
	struct io_uring_sqe *e;
	unsigned head, tail;

	if (r == NULL)
		return;
	mio_deregister(r->poll, r->evfd);
	/* Cancel everything and wait for each last record: the kernel
	 * tears a ring down asynchronously, and a listener whose accept
	 * is still armed would stay bound after we return. */
	if (r->inflight > 0 && (e = sqe_get(r)) != NULL) {
		e->opcode = IORING_OP_ASYNC_CANCEL;
		e->cancel_flags = IORING_ASYNC_CANCEL_ANY;
		sqe_push(r, e, 0);
	}
	while (r->inflight > 0) {
		unsigned n = r->sq_pending;

		if (sys_enter(r->fd, n, 1, IORING_ENTER_GETEVENTS) < 0)
			break;
		r->sq_pending = 0;
		head = *r->cq_head;
		tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++)
			if (!(r->cqes[head & r->cq_mask].flags &
			    IORING_CQE_F_MORE))
				r->inflight--;
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	}
	ring_unmap(r);
	close(r->fd);
	close(r->evfd);
	free(r);
}

#else /* no io_uring in this build */

int
mio_ring_new(struct mio_poll *p, mio_token token, unsigned entries,
    struct mio_ring **out)
{
	(void)token;
	(void)entries;
	if (out != NULL)
		*out = NULL;
	return p == NULL || out == NULL ? -EINVAL : -ENOTSUP;
}

void
mio_ring_free(struct mio_ring *r)
{
	(void)r;
}

unsigned
mio_ring_features(const struct mio_ring *r)
{
	(void)r;
	return 0;
}

int
mio_ring_group_new(struct mio_ring *r, unsigned group, unsigned count,
    unsigned size, unsigned lent)
{
	(void)r, (void)group, (void)count, (void)size, (void)lent;
	return -ENOTSUP;
}

void *
mio_ring_buffer(struct mio_ring *r, unsigned group, unsigned id)
{
	(void)r, (void)group, (void)id;
	return NULL;
}

int
mio_ring_buffer_return(struct mio_ring *r, unsigned group, unsigned id)
{
	(void)r, (void)group, (void)id;
	return -ENOTSUP;
}

int
mio_ring_accept_multishot(struct mio_ring *r, mio_sock l, mio_token t)
{
	(void)r, (void)l, (void)t;
	return -ENOTSUP;
}

int
mio_ring_connect(struct mio_ring *r, mio_sock s, const struct mio_addr *a,
    mio_token t)
{
	(void)r, (void)s, (void)a, (void)t;
	return -ENOTSUP;
}

int
mio_ring_recv_multishot(struct mio_ring *r, mio_sock s, unsigned g,
    mio_token t)
{
	(void)r, (void)s, (void)g, (void)t;
	return -ENOTSUP;
}

int
mio_ring_recv(struct mio_ring *r, mio_sock s, unsigned g, mio_token t)
{
	(void)r, (void)s, (void)g, (void)t;
	return -ENOTSUP;
}

int
mio_ring_send(struct mio_ring *r, mio_sock s, const void *b, size_t n,
    mio_token t)
{
	(void)r, (void)s, (void)b, (void)n, (void)t;
	return -ENOTSUP;
}

int
mio_ring_shutdown(struct mio_ring *r, mio_sock s, int how, mio_token t)
{
	(void)r, (void)s, (void)how, (void)t;
	return -ENOTSUP;
}

int
mio_ring_close(struct mio_ring *r, mio_sock s, mio_token t)
{
	(void)r, (void)s, (void)t;
	return -ENOTSUP;
}

int
mio_ring_cancel(struct mio_ring *r, mio_sock s, mio_token t)
{
	(void)r, (void)s, (void)t;
	return -ENOTSUP;
}

int
mio_ring_cancel_token(struct mio_ring *r, mio_token target, mio_token t)
{
	(void)r, (void)target, (void)t;
	return -ENOTSUP;
}

int
mio_ring_submit(struct mio_ring *r)
{
	(void)r;
	return -ENOTSUP;
}

int
mio_ring_complete(struct mio_ring *r, struct mio_ring_completion *out,
    size_t capacity)
{
	(void)r, (void)out, (void)capacity;
	return -ENOTSUP;
}

#endif
