/*
 * I/O helpers of the libmio suites that read the same on POSIX and on
 * Windows: included by testutil.h and by tests/win/wintest.h, after
 * mio.h and the runner's check.h.
 */
#ifndef TU_IO_H
#define TU_IO_H

#include <stddef.h>

/* Reads until -EAGAIN (which re-arms the readable edge); the bytes read. */
static inline size_t
tu_drain(mio_sock s)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = mio_read(s, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	ck_assert_int_eq(n, -EAGAIN);
	return total;
}

#endif /* TU_IO_H */
