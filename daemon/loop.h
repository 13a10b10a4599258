/*
 * The event loop's shared context and its table of modules.
 *
 * The context is what every module of the run time needs and nothing
 * more: the poll, the timers, the clock of this turn, and whether the
 * process is stopping.  Everything else (sessions, listening sockets,
 * pools, generations) is `static` in the module that owns it.
 *
 * Tokens.  A registration's token is a pointer with a tag in its three
 * low bits (every tagged object is at least 8-aligned: malloc'd, or in
 * an array of structs holding pointers).  The tag names the kind of
 * object, and so the module whose `event` hook gets it; a module may own
 * several tags (TCP: a listening socket, a client side, a server side).
 *
 * Modules.  The loop calls the run-time modules only through the hooks
 * of `struct loop_module`, in the order of its table (loop.c): a new kind
 * of object in the loop (a health probe, a stats client) is a new module
 * and one row there.
 *
 * Stale events.  A batch from mio_poll_wait() may hold an event for an
 * object that an earlier event of the same batch ended: descriptors close
 * at once, memory only after the batch (sessions in sess_bury(), closed
 * UDP sockets in the UDP module's after_batch, generations in
 * gen_release_retired()), and events for what is marked dead are
 * dropped.
 */
#ifndef MIOPROXY_LOOP_H
#define MIOPROXY_LOOP_H

#include <stdint.h>

#include <mio.h>

#include "loop_handler.h"
#include "timer.h"

struct conf;

struct loop {
	struct mio_poll	*poll;
	struct timer_heap timers;
	uint64_t	 now;		/* ms, refreshed after each wait */
	int		 stopping;	/* a stop began: take no new work */
	/* The backend raises a new edge for new data or room even when the
	 * last read or write came back short (mio_poll_short_io_drains). */
	int		 short_io_drains;
	/* What a TCP socket is registered for: MIO_PRIORITY too where the
	 * backend can watch it (not kqueue), so as to see urgent data. */
	unsigned	 tcp_interest;
	/* A short TCP read emptied the socket: short_io_drains, and urgent
	 * data (where a read stops short at its mark) would be seen. */
	int		 tcp_short_read_drains;
};

extern struct loop loop;

enum loop_tag {
	LOOP_TAG_TCP_CLIENT = 0,	/* struct tcp_sess, client side */
	LOOP_TAG_TCP_SERVER = 1,	/* struct tcp_sess, server side */
	LOOP_TAG_TCP_LISTEN = 2,	/* struct lsock, a TCP or Unix one */
	LOOP_TAG_SIGNAL = 3,		/* the loop's signal descriptor */
	LOOP_TAG_UDP_LISTEN = 4,	/* struct udp_sock */
	LOOP_TAG_UDP_SERVER = 5,	/* struct udp_sess, its upstream side */
	LOOP_TAG_PROBE = 6,		/* an active health check's probe */
	LOOP_TAG_OPS = 7		/* a struct loop_handler */
};

/* An object under LOOP_TAG_OPS begins with a struct loop_handler
 * (loop_handler.h). */

#define LOOP_TAGS	8u
#define LOOP_TOKEN(ptr, tag)	((mio_token)(uintptr_t)(ptr) | (tag))
#define LOOP_TOKEN_TAG(tok)	((unsigned)((tok) & (LOOP_TAGS - 1)))
#define LOOP_TOKEN_PTR(tok)	\
	((void *)(uintptr_t)((tok) & ~(mio_token)(LOOP_TAGS - 1)))

/*
 * A run-time module, as the loop sees it.  Every hook may be NULL.
 *
 *  tags         the token tags whose events go to `event` (a bit each)
 *  event        one readiness event for an object of the module
 *  start        once, after the first generation is bound and privileges
 *               are dropped, before the first wait: 0 or -errno
 *  prepare      before a configuration serves (start or reload): make
 *               what it needs now, so that no event finds it missing;
 *               0 or -errno (the configuration is then not used)
 *  commit       a configuration now serves (start, or a reload that
 *               succeeded): drop what only the previous one needed
 *  busy         work is left over from this turn: wait with timeout 0
 *  after_batch  after events and timers: queued work, then burial
 *  before_wait  the last call before each wait, after every module's
 *               after_batch (and before the first wait): hand out what
 *               is still queued (the ring's requests), since a later
 *               module's after_batch may queue work in an earlier one's
 *               (a reload's listeners); it must queue nothing new
 *  stop         a graceful stop began (listeners are already closed)
 *  fini         the last call: free everything the module holds
 */
struct loop_module {
	const char	*name;		/* for messages about the module */
	unsigned	 tags;
	void		(*event)(void *obj, unsigned tag, uint32_t flags);
	int		(*start)(void);
	int		(*prepare)(const struct conf *conf);
	void		(*commit)(const struct conf *conf);
	int		(*busy)(void);
	void		(*after_batch)(void);
	void		(*before_wait)(void);
	void		(*stop)(void);
	void		(*fini)(void);
};

#define LOOP_TAG_BIT(tag)	(1u << (tag))

/* loop.c: serves conf (owned from then on) until stopped; exit status. */
int	loop_run(struct conf *conf, const char *path, int log_level_override);

/*
 * Workers (worker.c, supervisor.c).  loop_as_worker(), before loop_run():
 * this process is one of a supervisor's workers (no pid file, no stats
 * or admin endpoint, SIGHUP ignored).  A reload in two steps, so that a
 * supervisor can make it all or nothing across workers:
 * loop_reload_prepare() loads the file and binds what is new (0, or -1
 * with the running configuration untouched and the reasons in err; 1
 * when its host names are looked up on the loop first, and `prepared`,
 * given to loop_as_worker(), gets the outcome later), then
 * loop_reload_finish() serves it (commit) or drops it.
 */
void	loop_as_worker(void (*prepared)(int rc, const char *why));
int	loop_reload_prepare(char *err, size_t len);
void	loop_reload_finish(int commit);

#endif /* MIOPROXY_LOOP_H */
