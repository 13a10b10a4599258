/*
 * Addresses in messages: libmio's text forms (mio_addr_format), in a
 * buffer of the caller's, never failing.  The comparisons are libmio's
 * too (mio_addr_equal, mio_addr_cmp): the daemon keeps no address code
 * of its own.
 */
#ifndef MIOPROXY_ADDR_H
#define MIOPROXY_ADDR_H

#include <stddef.h>
#include <stdio.h>

#include <mio.h>

#define ADDR_STRLEN	MIO_ADDR_STRLEN

/* a as text in buf (ADDR_STRLEN bytes will do): buf, "?" if a has none. */
static inline const char *
addr_str(const struct mio_addr *a, char *buf, size_t len)
{
	if (mio_addr_format(a, buf, len) < 0)
		(void)snprintf(buf, len, "?");
	return buf;
}

#endif /* MIOPROXY_ADDR_H */
