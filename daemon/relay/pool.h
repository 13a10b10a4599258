/*
 * The relay's pools: buffers for the copying path and pipes for the
 * splice(2) path, kept between sessions so that a steady load allocates
 * nothing.  Both are bounded; an idle session holds neither.
 */
#ifndef MIOPROXY_RELAY_POOL_H
#define MIOPROXY_RELAY_POOL_H

#include <stdint.h>

struct relay_buf {
	struct relay_buf *next;		/* in the pool */
	uint32_t	 cap;
	uint32_t	 off;
	uint32_t	 len;
	char		 data[];
};

struct relay_pipe {
	struct relay_pipe *next;	/* in the pool */
	int		 fd[2];		/* [0] reads, [1] writes */
};

/* A buffer of cap bytes, empty: from the pool, else malloc'd; NULL. */
struct relay_buf *relay_buf_get(uint32_t cap);
/* Back to the pool (or freed when the pool is full). */
void	relay_buf_put(struct relay_buf *b);

/* Whether splicing is on (MIOPROXY_SPLICE=0 turns it off). */
int	relay_splice_enabled(void);
/* An empty pipe from the pool, or a new one within the bound; NULL. */
struct relay_pipe *relay_pipe_get(void);
/* Back to the pool when empty; a pipe still holding bytes is closed. */
void	relay_pipe_put(struct relay_pipe *p, int empty);

/* Frees every pooled buffer and pipe (the loop's last turn). */
void	relay_pool_fini(void);

#endif /* MIOPROXY_RELAY_POOL_H */
