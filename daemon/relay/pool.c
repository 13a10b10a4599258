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
 * off (the buffer path alone), for comparison and for tests.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <mio.h>

#include "relay/pool.h"

#define RELAY_PIPES_MAX		256	/* in use and idle together */

static struct relay_pipe *relay_pipes;	/* idle */
static unsigned relay_npipes;		/* in use and idle */

int
relay_splice_enabled(void)
{
	static int enabled = -1;

	if (enabled < 0) {
		const char *e = getenv("MIOPROXY_SPLICE");

		enabled = e == NULL || strcmp(e, "0") != 0;
	}
	return enabled;
}

struct relay_pipe *
relay_pipe_get(void)
{
	struct relay_pipe *p = relay_pipes;

	if (p != NULL) {
		relay_pipes = p->next;
		return p;
	}
	if (relay_npipes >= RELAY_PIPES_MAX ||
	    (p = malloc(sizeof(*p))) == NULL)
		return NULL;
	if (mio_pipe(p->fd) != 0) {
		free(p);
		return NULL;
	}
	relay_npipes++;
	return p;
}

void
relay_pipe_put(struct relay_pipe *p, int empty)
{
	if (empty) {
		p->next = relay_pipes;
		relay_pipes = p;
		return;
	}
	mio_close(p->fd[0]);
	mio_close(p->fd[1]);
	free(p);
	relay_npipes--;
}

void
relay_pool_fini(void)
{
	while (relay_pipes != NULL) {
		struct relay_pipe *p = relay_pipes;

		relay_pipes = p->next;
		relay_pipe_put(p, 0);
	}
}
