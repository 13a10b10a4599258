/*
 * Every suite reports in TAP on standard output, for automake's TAP
 * driver: one line per test case, failures with their message.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <check.h>

/* Runs a suite; failures are in the TAP stream, so the status is 0. */
static inline int
tap_main(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	srunner_free(sr);
	return 0;
}

#endif /* TESTS_TAP_H */
