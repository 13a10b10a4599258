/*
 * The TCP wing's top: its listening sockets (TCP and Unix streams):
 * opening them, accepting until -EAGAIN, the ACL, the connection limit,
 * running out of descriptors; and the wing's row in the loop's table.
 * The calls go one way, down: tcp_listen.c -> tcp.c (a session's life)
 * -> tcp_flow.c (its data path) -> pool.c (pipes).
 *
 * Descriptor exhaustion.  accept(2) failing with EMFILE or ENFILE leaves
 * the connection in the backlog; with edge triggers no new event comes
 * for it, so the listener would stall until the next client.  The wing
 * keeps one reserve descriptor: on EMFILE it is closed, the pending
 * connection accepted and closed at once (the client learns quickly,
 * and it is counted), the reserve reopened, and accepting goes on until
 * -EAGAIN.  Load is shed, nothing spins, and accepting resumes by itself
 * as descriptors free up.  Linux's accept says EMFILE before it looks at
 * the queue, so an empty queue shows only when the reserve accepts: then
 * accepting is simply done, with no warning and no pause.  Out of memory (ENOMEM, ENOBUFS) pauses the
 * socket for a moment on a timer instead.
 *
 * The completion engine.  With process.io: uring a listening socket
 * accepts through the ring instead (tcp_uring_conn.c: one multishot
 * accept in place of its poll registration, from its first event at
 * start, at once when a reload serves it); every accepted client still
 * goes through tcp_admit(), and a failed accept falls back on
 * tcp_listen_accept(), this file's accept loop with all of the above,
 * both handed to the engine at its configure (tcp_uring_calls), as the
 * engine is below this file and names nothing of it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "relay/listener.h"
#include "relay/pool.h"
#include "relay/rport.h"
#include "relay/tcp.h"
#include "relay/tcp_sess.h"
#include "relay/tcp_uring_conn.h"

/*
 * The accept queue: deep enough for a burst of max_connections clients
 * (the kernel caps it at net.core.somaxconn), so that none is dropped
 * and left to retransmit its SYN a second later.
 */
#define TCP_BACKLOG_MIN		511
#define TCP_BACKLOG_MAX		65535
#define TCP_PAUSE_MS		100

static int tcp_reserve_fd = -1;	/* spent to shed a connection on EMFILE */

static int
tcp_listen_open(const struct conf_listener *cl, const struct mio_addr *addr)
{
	int fd, backlog;

	backlog = cl->limits.max_connections < TCP_BACKLOG_MIN ?
	    TCP_BACKLOG_MIN : cl->limits.max_connections > TCP_BACKLOG_MAX ?
	    TCP_BACKLOG_MAX : (int)cl->limits.max_connections;
	if (addr->u.sa.sa_family == AF_UNIX)
		return mio_unix_listen(addr, backlog);
	/* The supervisor binds a worker's socket: SO_REUSEPORT (rport.h). */
	fd = rport_binding ? rport_bind(addr, SOCK_STREAM, backlog) :
	    mio_tcp_listen(addr, backlog);
	if (fd >= 0)
		/* Accepted sockets inherit it: no call per connection. */
		(void)mio_tcp_set_nodelay(fd, 1);
	return fd;
}

static int
tcp_listen_serve(struct lsock *ls, struct lsock *prev)
{
	mio_token token = LOOP_TOKEN(ls, LOOP_TAG_TCP_LISTEN);

	/* On the completion engine the accept follows the descriptor, or
	 * starts on the ring (tcp_uring_conn.c). */
	if (prev != NULL && prev->state != NULL) {
		tcp_uring_listen_move(ls, prev);
		return 0;
	}
	if (tcp_uring_listen(ls, prev != NULL))
		return 0;
	if (prev != NULL)
		return mio_reregister(loop.poll, ls->fd, token, MIO_READABLE);
	return mio_register(loop.poll, ls->fd, token, MIO_READABLE);
}


/* Sheds one pending connection with the reserve descriptor. */
static int
tcp_shed(struct lsock *ls)
{
	int fd;

	if (tcp_reserve_fd < 0)
		tcp_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (tcp_reserve_fd < 0)
		return -EMFILE;
	close(tcp_reserve_fd);
	tcp_reserve_fd = -1;
	fd = mio_tcp_accept(ls->fd, NULL);
	if (fd >= 0) {
		mio_close(fd);
		ls->l->keep->rejected[KEEP_REJ_DESCRIPTORS]++;
	}
	tcp_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? 0 : fd;
}

/* Errors that concern one client only: the next may be fine. */
static int
tcp_accept_client_error(int err)
{
	switch (-err) {
	case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN:
	case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
	case EOPNOTSUPP: case ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

/* A failed accept: 1 to go on accepting, 0 to stop for now. */
static int
tcp_accept_failed(struct lsock *ls, int err)
{
	const char *name = ls->l->conf->name;

	if (err == -EAGAIN)
		return 0;
	if (err == -EMFILE || err == -ENFILE) {
		/* Idle pipes go back before any client is shed. */
		if (relay_pipes_release() > 0)
			return 1;
		/* At the limit Linux says EMFILE before it looks at the
		 * queue: the reserve finding it empty means done. */
		if ((err = tcp_shed(ls)) == 0)
			return 1;
		if (err == -EAGAIN)
			return 0;
		log_warn("listener %s: out of descriptors, pausing accept",
		    name);
	} else if (err == -ENOMEM || err == -ENOBUFS) {
		log_warn("listener %s: accept: %s", name, mio_strerror(err));
	} else if (tcp_accept_client_error(err)) {
		return 1;
	} else {
		log_error("listener %s: accept: %s", name, mio_strerror(err));
	}
	lstn_pause(ls, TCP_PAUSE_MS);
	return 0;
}

/* An accepted client: a session, or refused by the ACL or the limit. */
static void
tcp_admit(struct lstn *l, int fd, const struct mio_addr *client)
{
	l->keep->accepted++;
	if (loop.stopping) {
		mio_close(fd);
	} else if (tcp_pp_untrusted(l, client)) {
		l->keep->rejected[KEEP_REJ_PROXY_PROTOCOL]++;
		tcp_refuse(l, fd, client, "proxy_protocol_untrusted");
	} else if (l->conf->pp.accept == CONF_PP_OFF &&
	    !lstn_acl_allows(l->conf->acl, &client->u.sa)) {
		/* Behind a PROXY header the ACL waits for the client's
		 * address (tcp_pp.c). */
		l->keep->rejected[KEEP_REJ_ACL]++;
		tcp_refuse(l, fd, client, "acl_denied");
	} else if (l->keep->active >=
	    (uint64_t)l->conf->limits.max_connections) {
		l->keep->rejected[KEEP_REJ_LIMIT]++;
		tcp_refuse(l, fd, client, "limit");
	} else {
		tcp_start(l, fd, client);
	}
}

/* An accepted client found reset before its session began: counted,
 * logged as end=reset, closed. */
static void
tcp_admit_reset(struct lstn *l, int fd, const struct mio_addr *client)
{
	l->keep->accepted++;
	if (loop.stopping)
		mio_close(fd);
	else
		tcp_refuse(l, fd, client, "reset");
}

/* Accepts by the system call until -EAGAIN (EMFILE's shedding, pauses):
 * 1 when the queue is empty, 0 when paused. */
static int
tcp_listen_accept(struct lsock *ls)
{
	int unix_sock = ls->bind->addr.u.sa.sa_family == AF_UNIX;
	struct mio_addr client;
	int fd;

	for (;;) {
		memset(&client, 0, sizeof(client));
		fd = unix_sock ? mio_unix_accept(ls->fd, &client) :
		    mio_tcp_accept(ls->fd, &client);
		if (fd >= 0)
			tcp_admit(ls->l, fd, &client);
		else if (!tcp_accept_failed(ls, fd))
			return !lstn_paused(ls);
	}
}

static void
tcp_listen_event(struct lsock *ls)
{
	/* Closed, or handed over, earlier in this batch; or paused. */
	if (ls->fd < 0 || lstn_paused(ls))
		return;
	/* On the ring: a pause is over, or a late event of the poll. */
	if (ls->state != NULL) {
		tcp_uring_listen_resume(ls);
		return;
	}
	/* Served before the ring was made (at start): onto it now; its
	 * multishot accept takes what is queued. */
	if (tcp_uring_listen(ls, 1))
		return;
	(void)tcp_listen_accept(ls);
}

/* ls closes: an accept on the ring ends first. */
static int
tcp_listen_release(struct lsock *ls)
{
	if (ls->state != NULL)
		tcp_uring_listen_release(ls);
	return 0;
}

const struct lstn_proto tcp_listen_proto = {
	.open = tcp_listen_open,
	.serve = tcp_listen_serve,
	.release = tcp_listen_release,
	.resume = tcp_listen_event
};

/* --- the loop's module ------------------------------------------------ */

static void
tcp_event(void *obj, unsigned tag, uint32_t flags)
{
	if (tag == LOOP_TAG_TCP_LISTEN)
		tcp_listen_event(obj);
	else
		tcp_sess_event(obj, tag == LOOP_TAG_TCP_SERVER, flags);
}

static int
tcp_module_start(void)
{
	int rc;

	if ((rc = relay_pool_start()) != 0)
		return rc;
	tcp_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

/*
 * The completion engine's calls back into the wing (tcp_sess.h's struct
 * tcp_uring_env says why a table): wired here, at the wing's top, which
 * knows both tcp.c and its own accepting.
 */
static const struct tcp_uring_env tcp_uring_calls = {
	.end = tcp_end,
	.connect_record = tcp_connect_record,
	.resume_readiness = tcp_resume_readiness,
	.admit = tcp_admit,
	.admit_reset = tcp_admit_reset,
	.accept = tcp_listen_accept
};

/* process.io applies at start (service.c warns when a reload changes
 * it): the first configuration decides. */
static void
tcp_module_commit(const struct conf *conf)
{
	static int configured;

	if (!configured)
		tcp_uring_configure(conf->process.io, &tcp_uring_calls);
	configured = 1;
}

/*
 * The ring's records first: a session they hand back to readiness (a
 * bulk one, tcp_resume_readiness()) joins the run queue and is moved in
 * this batch.  So nothing joins the queue after it ran, and every
 * session on it is alive or was seen dead by the run before the burial
 * that frees it (sess_bury(), after every module's after_batch).
 */
static void
tcp_after_batch(void)
{
	tcp_uring_after_batch();
	tcp_run_queue();
}

static void
tcp_module_fini(void)
{
	tcp_uring_fini();
	tcp_uring_conn_fini();
	if (tcp_reserve_fd >= 0)
		close(tcp_reserve_fd);
	tcp_reserve_fd = -1;
	flow_fini();
	relay_pool_fini();
}

const struct loop_module tcp_module = {
	.name = "tcp",
	.tags = LOOP_TAG_BIT(LOOP_TAG_TCP_CLIENT) |
	    LOOP_TAG_BIT(LOOP_TAG_TCP_SERVER) |
	    LOOP_TAG_BIT(LOOP_TAG_TCP_LISTEN),
	.event = tcp_event,
	.start = tcp_module_start,
	.commit = tcp_module_commit,
	.busy = tcp_queued,
	.after_batch = tcp_after_batch,
	.before_wait = tcp_uring_before_wait,
	.fini = tcp_module_fini
};
