/*
 * The one readiness mapping: what the kernel reports (poll(2)'s revents,
 * epoll(7)'s events: the same six conditions) turned into MIO_* event
 * flags, MIO-NOTES.md section 1.4.  Both backends use it; each names its
 * bits by the prefix they share, K = POLL or EPOLL (POLLIN, EPOLLIN,
 * ...), so that a case is written once and reads the same for both.
 *
 * These are macros rather than inline functions so that they stay
 * constant expressions: epoll builds its lookup table from them at
 * compile time.  `e` is evaluated several times; pass a plain value.
 *
 * A system without RDHUP (POLLRDHUP is Linux's) defines K##RDHUP as 0:
 * the peer's FIN then shows only as a read of 0 bytes, never as
 * MIO_READ_CLOSED, and the predicate below must not mistake plain
 * readability for it.
 */
#ifndef MIO_SYS_READINESS_H
#define MIO_SYS_READINESS_H

#include "mio.h"

/* Data to read, a FIN, or urgent data (counted as readable, as mio does). */
#define MIO__K_CAN_READ(e, K)		(((e) & (K##IN | K##PRI)) != 0)
#define MIO__K_CAN_WRITE(e, K)		(((e) & K##OUT) != 0)
/* TCP urgent data, or an exceptional condition of another file. */
#define MIO__K_URGENT(e, K)		(((e) & K##PRI) != 0)
/* A pending error (SO_ERROR): a reset, a refused connect, ... */
#define MIO__K_FAILED(e, K)		(((e) & K##ERR) != 0)
/* The other end is gone: a socket shut both ways (a reset, FINs), a pipe
 * without writer. */
#define MIO__K_HUNG_UP(e, K)		(((e) & K##HUP) != 0)
/* The peer closed its write side: what is queued, then end of stream. */
#define MIO__K_PEER_SHUT_WRITE(e, K)					\
	(K##RDHUP != 0 &&						\
	    ((e) & (K##IN | K##RDHUP)) == (K##IN | K##RDHUP))
/*
 * We can send no more: an error that came with writability (a write end
 * whose reader is gone, a failed connect), or an error alone.
 */
#define MIO__K_WRITE_FAILED(e, K)					\
	(((e) & (K##OUT | K##ERR)) == (K##OUT | K##ERR) || (e) == K##ERR)

/* The mapping: kernel bits `e` of family K to MIO_* event flags. */
#define MIO__READINESS(e, K)						\
	((MIO__K_CAN_READ(e, K) ? MIO_READABLE : 0u) |			\
	(MIO__K_CAN_WRITE(e, K) ? MIO_WRITABLE : 0u) |			\
	(MIO__K_URGENT(e, K) ? MIO_PRIORITY : 0u) |			\
	(MIO__K_FAILED(e, K) ? MIO_ERROR : 0u) |			\
	((MIO__K_HUNG_UP(e, K) || MIO__K_PEER_SHUT_WRITE(e, K)) ?	\
	    MIO_READ_CLOSED : 0u) |					\
	((MIO__K_HUNG_UP(e, K) || MIO__K_WRITE_FAILED(e, K)) ?		\
	    MIO_WRITE_CLOSED : 0u))

#endif /* MIO_SYS_READINESS_H */
