/*
 * New connections on the completion engine (process.io: uring, issue
 * 17): listeners accept and servers are connected through the ring, so
 * that a new connection costs no readiness event, no accept(2) that
 * answers -EAGAIN and no registration of the server's socket.
 *
 * Accepting.  A listening socket on the ring has one multishot accept
 * in flight, in place of its registration in the poll, and an accept
 * slot (ls->state) whose address is the accept's token.  The slot
 * follows the descriptor: a reload that keeps the socket moves it to
 * the new generation's lsock and the accept goes on; a listener that
 * closes (a reload without it, a stop) has its accept cancelled by
 * token, and the cancel submitted, before its descriptor is closed,
 * since the accept holds the socket open in the kernel (the port would
 * stay bound, and connections would be taken for nobody).  A released
 * slot lives on until its accept's last record, and closes what that
 * accept still took.  At start the listeners are served before the
 * ring is made (it comes with the tcp module's commit, in the process
 * that relays: each worker its own, the supervisor none): each moves
 * onto the ring at its first readiness event, and a reload's listeners
 * serve onto the ring at once.
 *
 * Errors.  Any failed accept ends the multishot one (the kernel posts
 * the error as its last record), and the connection that failed stays
 * queued: the listener then accepts by the system call until -EAGAIN,
 * exactly as on readiness (tcp_listen.c: EMFILE's reserve descriptor,
 * per-client errors skipped, pauses), and arms a new multishot accept
 * unless it paused; a pause's end arms it again.  But for EMFILE and
 * ENFILE: at the limit Linux's accept fails before it looks at the
 * queue, so a multishot accept armed again would fail at once, for
 * ever (a spin); the socket waits in the poll instead, as on readiness,
 * and its next client's event (accepted or shed) puts it back on the
 * ring.
 *
 * The client's address.  A multishot accept writes none (one address
 * buffer would serve every record, overwritten before it is read), so
 * it is asked with getpeername(2): one system call per connection,
 * where an accept on readiness costs the event's wait, the accept and
 * the accept that answers -EAGAIN.  A Unix client is only its family
 * (sess.h), as a readiness accept gives it, with no call.  A client
 * reset before it is asked (-ENOTCONN) is one accept(2) would have
 * returned on readiness, and whose session would have ended as a
 * reset: it is counted as accepted and logged as end=reset, its
 * address only its family, and closed (no server is connected for it).
 *
 * Connecting.  The server's socket is made as on readiness and its
 * connect(2) queued on the ring: it never enters the poll, and its
 * record leads to tcp.c's connected or failed paths.  A connect timeout
 * cancels it by token before the socket is closed, and the next try
 * waits for the cancelled connect's record, so that a session has one
 * connect in flight at most and a record is never taken for the wrong
 * try; a session that ends meanwhile stays pinned until the record came
 * (sess.h).  A cancel the ring cannot take (a full queue, even after a
 * submit) leaves the try running, and the timer tries again shortly.
 * The socket is closed through the ring too (tcp_close_side()), behind
 * its connect and the cancel: either may still be queued, not yet in
 * the kernel, when the session gives the socket up, and a close(2) then
 * would hand its number to a new socket of the same batch.  The client
 * stays in the poll while its server connects, as on readiness: a first
 * request read then is kept and sent first, and a client's reset or
 * close ends the session as before; once connected,
 * tcp_uring_take() moves both sockets onto the ring (and should the
 * session stay on readiness, tcp.c registers the server then).
 *
 * Its place: below tcp_uring.c, which makes the ring and dispatches the
 * records here, and below the wing (tcp.c, tcp_listen.c), which calls in;
 * what goes back up (an accepted client, the accept loop) goes through
 * the table the wing gave (struct tcp_uring_env, tcp_sess.h).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mio_ring.h>

#include "log.h"
#include "loop.h"
#include "relay/listener.h"
#include "relay/tcp_sess.h"
#include "relay/tcp_uring_conn.h"

#define ACC_PAUSE_MS	100	/* the ring took no accept: try again */

/* A listening socket's multishot accept. */
struct acc_slot {
	/* Aligned for the token's 3 low bits, on 32-bit systems too. */
	_Alignas(8) struct acc_slot *next;	/* every slot, for the end */
	struct acc_slot	*prev;
	struct lsock	*ls;		/* NULL: released, awaiting the end */
	uint8_t		 armed;		/* an accept is in flight */
	uint8_t		 polled;	/* waiting in the poll (EMFILE) */
};
_Static_assert(_Alignof(struct acc_slot) >= 8, "token bits");

/* The ring as tcp_uring.c holds it, and the wing's calls: both given at
 * tcp_uring_conn_configure(). */
static struct mio_ring *const *conn_ringp;
static struct tcp_uring_env conn_env;

static struct acc_slot *acc_slots;
/* The token of an accept's cancel: its own record is not an accept's. */
static struct acc_slot acc_cancel_mark;

static mio_token
tok(const void *p, unsigned op)
{
	return (mio_token)(uintptr_t)p | (mio_token)op;
}

void
tcp_uring_conn_configure(struct mio_ring *const *ring,
    const struct tcp_uring_env *env)
{
	conn_ringp = ring;
	conn_env = *env;
}

/* The ring, made if process.io asks for it; NULL: the process relays on
 * readiness (or before the configure, or after the end).  tcp_uring.c
 * makes it at its configure or gives up for good, so its pointer says
 * all there is. */
static struct mio_ring *
conn_ring(void)
{
	return conn_ringp != NULL ? *conn_ringp : NULL;
}

/* --- accepting --------------------------------------------------------- */

static void
acc_free(struct acc_slot *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		acc_slots = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	free(a);
}

/* Arms a's multishot accept: 0, or -errno (the ring is full). */
static int
acc_arm(struct acc_slot *a)
{
	struct mio_ring *r = conn_ring();
	int rc;

	if (r == NULL)
		return -ENOTSUP;
	rc = mio_ring_accept_multishot(r, a->ls->fd, tok(a, TCP_RING_OP_ACCEPT));
	if (rc == 0)
		a->armed = 1;
	return rc;
}

int
tcp_uring_listen(struct lsock *ls, int registered)
{
	struct acc_slot *a;

	if (conn_ring() == NULL || ls->fd < 0)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return 0;
	a->ls = ls;
	/* A paused socket is armed when its pause ends. */
	if (!lstn_paused(ls) && acc_arm(a) != 0) {
		free(a);
		return 0;
	}
	a->next = acc_slots;
	if (acc_slots != NULL)
		acc_slots->prev = a;
	acc_slots = a;
	ls->state = a;
	/* After the arming: a socket that stays on readiness stays in
	 * the poll. */
	if (registered)
		(void)mio_deregister(loop.poll, ls->fd);
	return 1;
}

/* The token of ls in the poll (tcp_listen.c's). */
static mio_token
acc_poll_token(struct lsock *ls)
{
	return LOOP_TOKEN(ls, LOOP_TAG_TCP_LISTEN);
}

void
tcp_uring_listen_move(struct lsock *ls, struct lsock *prev)
{
	struct acc_slot *a = prev->state;

	prev->state = NULL;
	ls->state = a;
	a->ls = ls;
	/* Waiting in the poll: its events must name ls from now on. */
	if (a->polled && mio_reregister(loop.poll, ls->fd, acc_poll_token(ls),
	    MIO_READABLE) != 0) {
		a->polled = 0;
		(void)mio_deregister(loop.poll, ls->fd);
		lstn_pause(ls, ACC_PAUSE_MS);
	}
}

void
tcp_uring_listen_resume(struct lsock *ls)
{
	struct acc_slot *a = ls->state;

	if (a->armed || ls->fd < 0 || lstn_paused(ls))
		return;
	if (a->polled) {
		/* A client came while at the limit: the ring takes it (or
		 * fails, and sheds it, and the socket waits again). */
		a->polled = 0;
		(void)mio_deregister(loop.poll, ls->fd);
	}
	if (acc_arm(a) != 0)
		lstn_pause(ls, ACC_PAUSE_MS);
}

void
tcp_uring_listen_release(struct lsock *ls)
{
	struct acc_slot *a = ls->state;
	struct mio_ring *r = conn_ring();
	int rc;

	ls->state = NULL;
	a->ls = NULL;
	a->polled = 0;		/* the listener deregisters it */
	if (!a->armed) {
		acc_free(a);
		return;
	}
	/* Submitted now: the kernel lets go of the socket before the
	 * caller closes it. */
	rc = mio_ring_cancel_token(r, tok(a, TCP_RING_OP_ACCEPT),
	    tok(&acc_cancel_mark, TCP_RING_OP_ACCEPT));
	if (rc == 0)
		rc = mio_ring_submit(r);
	if (rc < 0)
		log_error("ring: cancelling an accept: %s", mio_strerror(rc));
}

/* An accepted client: its address, then a session or a refusal. */
static void
acc_client(struct lsock *ls, int fd)
{
	struct mio_addr client;

	memset(&client, 0, sizeof(client));
	if (ls->bind->addr.u.sa.sa_family == AF_UNIX) {
		client.u.sa.sa_family = AF_UNIX;
		client.len = (uint32_t)offsetof(struct sockaddr_un, sun_path);
	} else if (mio_peer_addr(fd, &client) != 0) {
		/* Reset while queued (-ENOTCONN): counted and logged as the
		 * readiness engine's session for it ends, with the family
		 * only for an address. */
		memset(&client, 0, sizeof(client));
		client.u.sa.sa_family = ls->bind->addr.u.sa.sa_family;
		client.len = client.u.sa.sa_family == AF_INET6 ?
		    (uint32_t)sizeof(struct sockaddr_in6) :
		    (uint32_t)sizeof(struct sockaddr_in);
		conn_env.admit_reset(ls->l, fd, &client);
		return;
	}
	conn_env.admit(ls->l, fd, &client);
}

void
tcp_uring_accept_record(const struct mio_ring_completion *c)
{
	struct acc_slot *a = (struct acc_slot *)(uintptr_t)(c->token &
	    ~(mio_token)7u);
	struct lsock *ls = a->ls;

	if (a == &acc_cancel_mark)
		return;
	if (!(c->flags & MIO_RING_MORE))
		a->armed = 0;
	if (c->result >= 0) {
		if (ls != NULL && ls->fd >= 0) {
			acc_client(ls, c->result);
		} else {
			/* Taken as the listener closed: reset (SO_LINGER 0),
			 * as the kernel resets the backlog of a closed
			 * listener on readiness. */
			(void)mio_tcp_set_linger(c->result, 0);
			mio_close(c->result);
		}
	}
	if (a->armed)
		return;
	if (ls == NULL) {
		acc_free(a);
		return;
	}
	if (ls->fd < 0 || lstn_paused(ls))
		return;
	/* The multishot accept ended: on an error, the connection is
	 * still queued, and readiness's way deals with it. */
	if (c->result < 0 && c->result != -ECANCELED) {
		/* At the descriptor limit, closes queued on the ring (of
		 * sessions that ended in this batch) may hold what the
		 * accept lacks: they go to the kernel first, so that the
		 * accept loop takes a client readiness would have served
		 * rather than shed it. */
		if (c->result == -EMFILE || c->result == -ENFILE)
			(void)mio_ring_submit(conn_ring());
		if (!conn_env.accept(ls))
			return;		/* paused */
		if ((c->result == -EMFILE || c->result == -ENFILE) &&
		    mio_register(loop.poll, ls->fd, acc_poll_token(ls),
		    MIO_READABLE) == 0) {
			a->polled = 1;
			return;
		}
	}
	if (acc_arm(a) != 0)
		lstn_pause(ls, ACC_PAUSE_MS);
}

/* --- connecting -------------------------------------------------------- */

int
tcp_uring_connect(struct tcp_sess *t, const struct mio_addr *addr)
{
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
	struct mio_ring *r = conn_ring();
	int fd;

	if (r == NULL)
		return -ENOTSUP;
	/* As mio_tcp_connect() makes it on Linux, where the ring is. */
	fd = socket(addr->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The address is the upstream's, held by the session's generation
	 * (and the kernel copies it as the request is submitted). */
	if (mio_ring_connect(r, fd, addr, tok(t, TCP_RING_OP_CONNECT)) != 0) {
		close(fd);
		return -ENOTSUP;	/* a full ring: on readiness, then */
	}
	t->fd[1] = fd;
	t->srv_ring = 1;
	t->conn_ring = 1;
	t->s.pins++;
	return 0;
#else
	(void)t;
	(void)addr;
	return -ENOTSUP;
#endif
}

int
tcp_uring_connect_cancel(struct tcp_sess *t)
{
	struct mio_ring *r = conn_ring();
	int rc;

	if (!t->conn_ring || r == NULL)
		return 0;
	/* A full queue even after libmio's own submit: once more after
	 * ours, the kernel having taken what it could meanwhile. */
	rc = mio_ring_cancel_token(r, tok(t, TCP_RING_OP_CONNECT),
	    tok(t, TCP_RING_OP_CANCEL));
	if (rc == -EBUSY && mio_ring_submit(r) >= 0)
		rc = mio_ring_cancel_token(r, tok(t, TCP_RING_OP_CONNECT),
		    tok(t, TCP_RING_OP_CANCEL));
	if (rc != 0) {
		/* Still the session's connect, in flight: the caller tries
		 * again later, or ends the session (pinned until its
		 * record, which is then ignored). */
		log_warn("listener %s: ring: cancelling a connect: %s",
		    t->s.l->conf->name, mio_strerror(rc));
		return rc;
	}
	t->s.pins++;
	t->conn_ring = 0;
	/* Only now: the cancel's record is certain to come soon, and the
	 * connect's record ends the wait for the next try. */
	t->conn_stale = 1;
	return 0;
}

/* --- closing ----------------------------------------------------------- */

int
tcp_uring_close(struct tcp_sess *t, int fd)
{
	struct mio_ring *r = conn_ring();
	int rc;

	if (r == NULL)
		return -ENOTSUP;
	/* Its record, like a cancel's, only unpins t. */
	if ((rc = mio_ring_close(r, fd, tok(t, TCP_RING_OP_CANCEL))) == 0)
		t->s.pins++;
	else	/* the caller closes fd: what is queued on it goes first */
		(void)mio_ring_submit(r);
	return rc;
}

void
tcp_uring_conn_fini(void)
{
	/* The ring is gone (tcp_uring_fini()): no record comes any more.
	 * The listeners closed at the stop, or went with their generation:
	 * a slot's lsock is not looked at. */
	while (acc_slots != NULL)
		acc_free(acc_slots);
}
