/*
 * A worker's side of its supervisor (worker.h).
 *
 * The sockets.  The supervisor binds every worker's socket of every
 * address and keeps them open (relay/rport.h); a worker gets its own at
 * fork, and those of addresses a reload adds through the channel.  It
 * keeps them in a table and gives its listeners a duplicate, so that a
 * listener closing (a reload that drops the address, a UDP socket that
 * drained) never closes the table's; the table's closes when the
 * supervisor says the address is gone, or at the stop, so that a
 * stopping worker's sockets leave the group (no client is queued to a
 * worker that no longer accepts).
 *
 * The channel is read between batches like any operator's endpoint: a
 * reload's steps are loop.c's (loop_reload_prepare/finish); the end of
 * the channel means the supervisor is gone, and the worker stops as on
 * SIGTERM.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "ops/admin_int.h"
#include "ops/buf.h"
#include "ops/metrics.h"
#include "ops/proc.h"
#include "relay/listener.h"
#include "wire.h"
#include "worker.h"

struct worker_sock {
	int		 proto;
	struct mio_addr	 addr;
	int		 fd;
};

static int worker_ctl = -1;
static unsigned worker_index;
static uint32_t worker_seq;		/* the reload being answered */
static struct worker_sock *worker_socks;
static size_t worker_nsocks, worker_cap;
static struct buf worker_page;		/* a page for the supervisor */

static void worker_event(struct loop_handler *h, uint32_t flags);
static _Alignas(8) struct loop_handler worker_h = { worker_event };

static struct worker_sock *
worker_find(int proto, const struct mio_addr *addr)
{
	size_t i;

	for (i = 0; i < worker_nsocks; i++)
		if (worker_socks[i].proto == proto &&
		    mio_addr_equal(&worker_socks[i].addr, addr))
			return &worker_socks[i];
	return NULL;
}

/* listener.h's source: a duplicate of the table's socket. */
static int
worker_source(int proto, const struct mio_addr *addr)
{
	struct worker_sock *ws = worker_find(proto, addr);
	int fd;

	if (ws == NULL)
		return -EADDRNOTAVAIL;
	if ((fd = fcntl(ws->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	return fd;
}

int
worker_add_sock(int proto, const struct mio_addr *addr, int fd)
{
	struct worker_sock *ws, *v;

	if ((ws = worker_find(proto, addr)) != NULL) {
		mio_close(ws->fd);	/* a newer one of the same address */
		ws->fd = fd;
		return 0;
	}
	if (worker_nsocks == worker_cap) {
		size_t cap = worker_cap ? worker_cap * 2 : 16;

		if ((v = realloc(worker_socks, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		worker_socks = v;
		worker_cap = cap;
	}
	ws = &worker_socks[worker_nsocks++];
	ws->proto = proto;
	ws->addr = *addr;
	ws->fd = fd;
	return 0;
}

static void
worker_forget(int proto, const struct mio_addr *addr)
{
	struct worker_sock *ws = worker_find(proto, addr);

	if (ws == NULL)
		return;
	mio_close(ws->fd);
	*ws = worker_socks[--worker_nsocks];
}

static void
worker_close_socks(void)
{
	while (worker_nsocks > 0)
		mio_close(worker_socks[--worker_nsocks].fd);
}

static void worker_prepared(int rc, const char *why);

int
worker_setup(int ctl, unsigned index)
{
	worker_ctl = ctl;
	worker_index = index;
	lstn_set_source(worker_source);
	loop_as_worker(worker_prepared);
	return 0;
}

static void
worker_reply(enum wire_type type, int rc, const char *text)
{
	static struct wire_msg m;	/* its text is large */

	memset(&m, 0, offsetof(struct wire_msg, text));
	m.type = type;
	m.rc = rc;
	m.seq = worker_seq;
	if (text != NULL)
		wire_text(&m, text);
	if ((rc = wire_send(worker_ctl, &m, -1)) != 0)
		log_error("worker %u: to the supervisor: %s", worker_index,
		    mio_strerror(rc));
}

/*
 * The outcome of a reload's first step that waited for host names
 * (loop.c), as the answer to the supervisor's WIRE_PREPARE.
 */
static void
worker_prepared(int rc, const char *why)
{
	if (worker_ctl >= 0)
		worker_reply(WIRE_PREPARED, rc, why);
}

/*
 * A page of this worker's figures for the supervisor, which sums the
 * group's (ops/merge.h): rendered here between batches, as the single
 * process renders its own, and sent in pieces.
 */
static void
worker_answer(const struct wire_msg *ask)
{
	static struct wire_msg m;
	struct buf *page = &worker_page;
	struct proc_info pi;
	char line[ADM_LINE_MAX + 1];
	size_t off, n;
	int rc = 0;

	buf_reset(page);
	if (ask->rc == WIRE_ASK_METRICS || ask->rc == WIRE_ASK_STATS) {
		proc_read(&pi);
		if (ask->rc == WIRE_ASK_METRICS)
			metrics_render(page, &pi);
		else
			stats_json_render(page, &pi);
	} else if (ask->rc == WIRE_ASK_ADMIN) {
		n = strnlen(ask->text, ADM_LINE_MAX);
		memcpy(line, ask->text, n);
		line[n] = '\0';
		adm_exec_line(line, page);
	}
	memset(&m, 0, offsetof(struct wire_msg, text));
	m.type = WIRE_PART;
	for (off = 0; off < page->len && rc == 0; off += n) {
		n = page->len - off < WIRE_TEXT_MAX ? page->len - off :
		    WIRE_TEXT_MAX;
		memcpy(m.text, page->p + off, n);
		m.len = (uint32_t)n;
		rc = wire_send(worker_ctl, &m, -1);
	}
	m.type = WIRE_END;
	m.len = 0;
	m.rc = page->nomem ? -ENOMEM : 0;
	if (rc != 0 || (rc = wire_send(worker_ctl, &m, -1)) != 0)
		log_error("worker %u: to the supervisor: %s", worker_index,
		    mio_strerror(rc));
}

static void
worker_message(struct wire_msg *m, int fd)
{
	static struct wire_msg reply;	/* its text is large */
	int rc;

	switch (m->type) {
	case WIRE_SOCK:
		if (fd < 0 || (rc = worker_add_sock(m->proto, &m->addr,
		    fd)) != 0) {
			if (fd >= 0)
				mio_close(fd);
			log_error("worker %u: a socket from the supervisor "
			    "was lost", worker_index);
		}
		return;
	case WIRE_FORGET:
		worker_forget(m->proto, &m->addr);
		break;
	case WIRE_PREPARE:
		reply.text[0] = '\0';
		/* An earlier reload still waiting for its names is
		 * dropped here, answered with its own number. */
		rc = loop.stopping ? -1 :
		    loop_reload_prepare(reply.text, sizeof(reply.text));
		worker_seq = m->seq;
		/* 1: host names are looked up on the loop first, and
		 * worker_prepared() answers once they are in. */
		if (rc != 1)
			worker_reply(WIRE_PREPARED, rc, reply.text);
		break;
	case WIRE_ASK:
		worker_answer(m);
		break;
	case WIRE_COMMIT:
	case WIRE_ABORT:
		loop_reload_finish(m->type == WIRE_COMMIT);
		worker_reply(WIRE_DONE, 0, NULL);
		break;
	default:
		break;
	}
	if (fd >= 0)
		mio_close(fd);
}

static void
worker_event(struct loop_handler *h, uint32_t flags)
{
	static struct wire_msg m;
	int rc, fd;

	(void)h;
	(void)flags;
	while ((rc = wire_recv(worker_ctl, &m, &fd)) > 0)
		worker_message(&m, fd);
	if (rc == -EAGAIN)
		return;
	/* The supervisor is gone: stop as it would have asked. */
	(void)mio_deregister(loop.poll, worker_ctl);
	if (!loop.stopping) {
		log_error("worker %u: the supervisor is gone: stopping",
		    worker_index);
		(void)kill(getpid(), SIGTERM);
	}
}

static int
worker_start(void)
{
	int rc;

	if (worker_ctl < 0)
		return 0;
	if ((rc = mio_set_nonblocking(worker_ctl, 1)) != 0 ||
	    (rc = mio_register(loop.poll, worker_ctl,
	    LOOP_TOKEN(&worker_h, LOOP_TAG_OPS), MIO_READABLE)) != 0)
		return rc;
	worker_reply(WIRE_READY, 0, NULL);
	return 0;
}

static void
worker_stop(void)
{
	worker_close_socks();
}

static void
worker_fini(void)
{
	worker_close_socks();
	free(worker_socks);
	worker_socks = NULL;
	buf_free(&worker_page);
	worker_cap = 0;
	if (worker_ctl >= 0) {
		(void)mio_deregister(loop.poll, worker_ctl);
		mio_close(worker_ctl);
	}
	worker_ctl = -1;
}

const struct loop_module worker_module = {
	.name = "worker",
	.tags = 0,			/* LOOP_TAG_OPS: loop_handler */
	.start = worker_start,
	.stop = worker_stop,
	.fini = worker_fini,
};
