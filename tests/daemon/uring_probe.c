/*
 * Whether this kernel gives libmio's completion ring: exit 0, or 1 and
 * the reason on standard output, for the -uring.tap scripts to report
 * the engine's runs as skipped rather than pass them on readiness.
 */
#include "config.h"

#include <stdio.h>

#include "mio.h"
#include "mio_ring.h"

int
main(void)
{
	struct mio_poll *p = NULL;
	struct mio_ring *r = NULL;
	int rc;

	if ((rc = mio_poll_new(&p)) != 0) {
		printf("no poll: %s\n", mio_strerror(rc));
		return 1;
	}
	rc = mio_ring_new(p, 1, 8, &r);
	if (rc == 0)
		rc = mio_ring_group_new(r, 0, 1, 64, 1);
	mio_ring_free(r);
	mio_poll_free(p);
	if (rc != 0) {
		printf("no io_uring ring here: %s\n", mio_strerror(rc));
		return 1;
	}
	return 0;
}
