/*
 * A supervisor's worker (CONFIG.md, "Workers"), its side of the channel
 * (wire.h): the sockets its supervisor bound for it, which its listeners
 * take (listener.h's source) instead of binding, and the supervisor's
 * requests, which a loop module answers between batches.
 */
#ifndef MIOPROXY_WORKER_H
#define MIOPROXY_WORKER_H

#include <mio.h>

#include "loop.h"

/*
 * Before loop_run() in a freshly forked worker: the channel (ctl) and
 * this worker's sockets, one per (proto, addr) of the supervisor's
 * table, which it now owns: 0 or -ENOMEM.
 */
int	worker_setup(int ctl, unsigned index);
int	worker_add_sock(int proto, const struct mio_addr *addr, int fd);

/* The loop's row: nothing at all outside a worker. */
extern const struct loop_module worker_module;

#endif /* MIOPROXY_WORKER_H */
