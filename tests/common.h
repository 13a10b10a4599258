/*
 * What every suite shares: its main() reports in TAP on standard output,
 * for automake's TAP driver (one line per test case, failures with their
 * message), and the monotonic clock that bounds its waits.
 */
#ifndef TESTS_COMMON_H
#define TESTS_COMMON_H

#include <check.h>
#include <stdint.h>
#include <time.h>

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

static inline int64_t
test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
test_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

#endif /* TESTS_COMMON_H */
