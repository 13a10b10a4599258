/*
 * The relay's pool of pipes for the splice(2) path, kept between
 * sessions so that a steady load makes few.  Bounded by the descriptor
 * limit; an idle session holds none, and an idle proxy none either
 * (pool.c says how).  (The copying path's buffers are the flows' own, in
 * tcp_flow.c, where taking one is a few inlined instructions.)
 */
#ifndef MIOPROXY_RELAY_POOL_H
#define MIOPROXY_RELAY_POOL_H

#include <stdint.h>

struct relay_pipe {
	struct relay_pipe *next;	/* in the pool */
	int		 fd[2];		/* [0] reads, [1] writes */
};

/* Sizes the pool from the descriptor limit, holds its timer: 0/-ENOMEM. */
int	relay_pool_start(void);
/*
 * The flags of the relay's splices: SPLICE_F_MOVE where splice(2) exists
 * (<fcntl.h>); elsewhere nothing is spliced at all.
 */
#ifdef HAVE_SPLICE
#include <fcntl.h>
#define RELAY_SPLICE_FLAGS	SPLICE_F_MOVE
#else
#define RELAY_SPLICE_FLAGS	0
#endif

/* Whether splicing is on (MIOPROXY_SPLICE=0 turns it off; never where
 * the system has no splice). */
int	relay_splice_enabled(void);
/* An empty pipe from the pool, or a new one within the bound; NULL. */
struct relay_pipe *relay_pipe_get(void);
/* Back to the pool when empty; a pipe still holding bytes is closed. */
void	relay_pipe_put(struct relay_pipe *p, int empty);

/* Closes every idle pipe now; how many descriptors that gave back. */
unsigned relay_pipes_release(void);
/* Closes every pooled pipe (the loop's last turn). */
void	relay_pool_fini(void);

#endif /* MIOPROXY_RELAY_POOL_H */
