/*
 * The relay's pool of pipes (pool.h).
 *
 * Pipes.  A flow that has shown bulk data (a read filled a whole buffer)
 * moves the rest through a pipe with splice(2): socket to pipe, pipe to
 * socket, the bytes never copied to user space (how haproxy leads at
 * L4).  Pipes are two descriptors and kernel pages each, so they come
 * from a bounded pool, are held only while bytes are in flight, and go
 * back the moment they drain; without one to spare a flow simply keeps
 * to its buffer.  MIOPROXY_SPLICE=0 in the environment turns splicing
 * off (the buffer path alone), for comparison and for tests; where the
 * system has no splice(2) (configure found none, or was told
 * --disable-linux-extensions) it is always off, and no pipe is made.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <mio.h>

#include "loop.h"
#include "relay/pool.h"


/*
 * The bounds.  Pipes are two descriptors each: in use and idle together
 * they may take at most an eighth of the descriptor limit (and never more
 * than RELAY_PIPES_MAX), so a burst of bulk flows cannot crowd out
 * clients.  At most RELAY_IDLE_KEEP rest in the pool while others are in
 * use, and once none has been in use for RELAY_IDLE_MS the pool closes
 * them all: an idle proxy holds no pipe.  Out of descriptors, the
 * listener asks for the idle ones back before it sheds a client
 * (relay_pipes_release).
 */
#define RELAY_PIPES_MAX		256
#define RELAY_IDLE_KEEP		32
#define RELAY_IDLE_MS		1000

static struct relay_pipe *relay_pipes;	/* idle */
static unsigned relay_nidle;
static unsigned relay_npipes;		/* in use and idle */
static unsigned relay_pipes_max = RELAY_PIPES_MAX;
static struct timer relay_idle_timer;
static int relay_timer_held;

static void relay_idle_fire(struct timer *t, uint64_t now);

int
relay_pool_start(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 16 < RELAY_PIPES_MAX)
		relay_pipes_max = (unsigned)(rl.rlim_cur / 16);
	timer_init(&relay_idle_timer, relay_idle_fire);
	if (timer_hold(&loop.timers) != 0)
		return -ENOMEM;
	relay_timer_held = 1;
	return 0;
}

int
relay_splice_enabled(void)
{
#ifndef HAVE_SPLICE
	return 0;
#else
	static int enabled = -1;

	if (enabled < 0) {
		const char *e = getenv("MIOPROXY_SPLICE");

		enabled = e == NULL || strcmp(e, "0") != 0;
	}
	return enabled;
#endif
}

struct relay_pipe *
relay_pipe_get(void)
{
	struct relay_pipe *p = relay_pipes;

	if (p != NULL) {
		relay_pipes = p->next;
		relay_nidle--;
		return p;
	}
	if (relay_npipes >= relay_pipes_max ||
	    (p = malloc(sizeof(*p))) == NULL)
		return NULL;
	if (mio_pipe(p->fd) != 0) {
		free(p);
		return NULL;
	}
	relay_npipes++;
	return p;
}

static void
relay_pipe_close(struct relay_pipe *p)
{
	mio_close(p->fd[0]);
	mio_close(p->fd[1]);
	free(p);
	relay_npipes--;
}

void
relay_pipe_put(struct relay_pipe *p, int empty)
{
	if (!empty || relay_nidle >= RELAY_IDLE_KEEP) {
		relay_pipe_close(p);
	} else {
		p->next = relay_pipes;
		relay_pipes = p;
		relay_nidle++;
	}
	/*
	 * The last one in use came back, or was closed (it held bytes, or
	 * the pool was full): either way the pool empties unless used.
	 */
	if (relay_nidle > 0 && relay_nidle == relay_npipes &&
	    relay_timer_held)
		(void)timer_set(&loop.timers, &relay_idle_timer,
		    loop.now + RELAY_IDLE_MS);
}

unsigned
relay_pipes_release(void)
{
	unsigned n = relay_nidle;

	while (relay_pipes != NULL) {
		struct relay_pipe *p = relay_pipes;

		relay_pipes = p->next;
		relay_pipe_close(p);
	}
	relay_nidle = 0;
	return n * 2;
}

static void
relay_idle_fire(struct timer *t, uint64_t now)
{
	(void)t;
	(void)now;
	/* In use again since: a later return re-arms the timer. */
	if (relay_nidle == relay_npipes)
		(void)relay_pipes_release();
}

void
relay_pool_fini(void)
{
	(void)relay_pipes_release();
	if (relay_timer_held)
		timer_unhold(&loop.timers, &relay_idle_timer);
	relay_timer_held = 0;
}
