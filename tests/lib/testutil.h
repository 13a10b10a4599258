/*
 * Helpers shared by the libmio suites: a poll on the backend the test
 * run asks for (MIO_BACKEND), clocks, and a main() that reports in TAP
 * for automake's driver.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#ifdef _WIN32
/* The Windows build compiles the portable suites with its own runner. */
#include "../win/wintest.h"
#define tu_main(s)	tap_main(s)
#else

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "mio.h"
#include "../common.h"
#include "tu_io.h"

static inline struct mio_poll *
tu_poll(void)
{
	struct mio_poll *p = NULL;
	const char *want = getenv("MIO_BACKEND");
	int rc = mio_poll_new(&p);

	ck_assert_msg(rc == 0, "mio_poll_new: %s", mio_strerror(rc));
	if (want != NULL && *want != '\0')
		ck_assert_str_eq(mio_poll_backend(p), want);
	return p;
}

/* Raises the soft descriptor limit to at least `want`, if allowed. */
static inline void
tu_nofile(rlim_t want)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= want)
		return;
	ck_assert_msg(rl.rlim_max >= want, "hard descriptor limit %lu < %lu",
	    (unsigned long)rl.rlim_max, (unsigned long)want);
	rl.rlim_cur = want;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* Runs a suite, reporting each case in TAP on standard output. */
#define tu_main(s)	tap_main(s)

#endif /* !_WIN32 */

#endif /* TESTUTIL_H */
