/*
 * Reuseport groups, for workers (CONFIG.md, "Workers"): the supervisor
 * binds one socket per worker on every address with SO_REUSEPORT, in
 * worker order, and keeps them all open for as long as the address is
 * configured, so that the kernel's group never changes its order, not
 * even while a worker restarts (its socket waits, queueing, for the
 * next worker of the same index).
 *
 * A UDP group is steered by a classic BPF program: the client's address
 * and port hash into 65536 slots, and slot modulo N is the index of the
 * socket in the group, i.e. the worker.  So a client's datagrams reach
 * the worker that holds its session for as long as the group lives,
 * whatever the kernel's own hash would do.  TCP keeps the kernel's
 * hash: a connection's worker only matters for its first packet.
 */
#ifndef MIOPROXY_RELAY_RPORT_H
#define MIOPROXY_RELAY_RPORT_H

#include <mio.h>

/*
 * Set by the supervisor while it binds: the listeners' protocols then
 * open their sockets with rport_bind() instead of libmio's (which has no
 * SO_REUSEPORT).
 */
extern int rport_binding;

/*
 * A non-blocking socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to a
 * with SO_REUSEADDR and SO_REUSEPORT (IPv6-only on AF_INET6, as libmio
 * makes them), listening with backlog when >= 0: its descriptor, or
 * -errno.  AF_UNIX gets no SO_REUSEPORT (a path is bound once).
 */
int	rport_bind(const struct mio_addr *a, int type, int backlog);

/*
 * Steers the UDP group of fd (its first socket) to n sockets by client
 * hash: 0, or -errno (-ENOTSUP where the system has no reuseport BPF).
 */
int	rport_steer(int fd, unsigned n);


#endif /* MIOPROXY_RELAY_RPORT_H */
