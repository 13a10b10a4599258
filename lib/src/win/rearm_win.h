/*
 * Windows build only: what lib/src/rearm.h is there (it includes this
 * file and nothing else).  The same hooks, reaching the IOCP backend's
 * re-arm instead of the poll(2) backend's: every libmio I/O call that ends in -EAGAIN
 * arms that direction again (sys/iocp.c).
 */
#ifndef MIO_REARM_WIN_H
#define MIO_REARM_WIN_H

#include <errno.h>

#include "mio.h"
#include "sys/iocp.h"

static inline void
mio__would_block(mio_sock s, unsigned dir)
{
	mio__win_would_block(s, dir);
}

static inline void
mio__error_consumed(mio_sock s)
{
	(void)s;	/* AFD reports an error once; nothing is silenced */
}

static inline ssize_t
mio__eagain(mio_sock s, unsigned dir)
{
	mio__win_would_block(s, dir);
	return -EAGAIN;
}

#endif /* MIO_REARM_WIN_H */
