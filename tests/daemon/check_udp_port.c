/*
 * The UDP source port allocator (daemon/relay/udp_port.c) alone, on the
 * host's ephemeral range, with a clock of the test's own.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common.h"
#include "relay/udp_port.h"

static uint8_t seen[65536];

START_TEST(test_every_port_once_then_rest)
{
	uint32_t n, i;
	int p, first = -1;

	ck_assert_int_eq(udp_port_init(), 0);
	n = udp_port_range_size();
	ck_assert_uint_gt(n, 0);
	memset(seen, 0, sizeof(seen));
	/* Every port of the range, each once: then none is left. */
	for (i = 0; i < n; i++) {
		p = udp_port_take(1000);
		ck_assert_int_gt(p, 0);
		ck_assert_int_le(p, 65535);
		ck_assert_msg(!seen[p], "port %d taken twice", p);
		seen[p] = 1;
		if (first < 0)
			first = p;
	}
	ck_assert_int_eq(udp_port_take(1000), -EAGAIN);
	/* A port given back rests the quarantine, to the millisecond. */
	udp_port_give(first, 5000);
	ck_assert_uint_eq(udp_port_resting(), 1);
	ck_assert_int_eq(udp_port_take(5000), -EAGAIN);
	ck_assert_int_eq(udp_port_take(5000 + UDP_PORT_QUARANTINE_MS - 1),
	    -EAGAIN);
	ck_assert_int_eq(udp_port_take(5000 + UDP_PORT_QUARANTINE_MS), first);
	ck_assert_uint_eq(udp_port_resting(), 0);
	udp_port_fini();
}
END_TEST

START_TEST(test_oldest_rested_first_and_random)
{
	uint32_t n, i, same = 0;
	int p, q;

	ck_assert_int_eq(udp_port_init(), 0);
	n = udp_port_range_size();
	/* Two takes in a row rarely give neighbours: the choice is random. */
	for (i = 0; i < 64; i++) {
		p = udp_port_take(0);
		q = udp_port_take(0);
		same += q == p + 1 || q == p - 1;
		udp_port_give(p, 0);
		udp_port_give(q, 0);
	}
	ck_assert_uint_lt(same, 8);
	/* Ports wake in the order they began to rest. */
	udp_port_fini();
	ck_assert_int_eq(udp_port_init(), 0);
	for (i = 0; i < n; i++)
		(void)udp_port_take(0);
	udp_port_give(40001, 10);
	udp_port_give(40002, 20);
	ck_assert_int_eq(udp_port_take(10 + UDP_PORT_QUARANTINE_MS), 40001);
	ck_assert_int_eq(udp_port_take(10 + UDP_PORT_QUARANTINE_MS), -EAGAIN);
	ck_assert_int_eq(udp_port_take(20 + UDP_PORT_QUARANTINE_MS), 40002);
	udp_port_fini();
}
END_TEST

START_TEST(test_clock_wraps)
{
	uint32_t n, i;
	uint64_t t = (1ULL << 32) - 500;	/* the low 32 bits wrap */

	ck_assert_int_eq(udp_port_init(), 0);
	n = udp_port_range_size();
	for (i = 0; i < n; i++)
		(void)udp_port_take(t);
	udp_port_give(40000, t);
	ck_assert_int_eq(udp_port_take(t + 1000), -EAGAIN);
	ck_assert_int_eq(udp_port_take(t + UDP_PORT_QUARANTINE_MS), 40000);
	udp_port_fini();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("udp_port");
	TCase *tc = tcase_create("udp_port");

	tcase_add_test(tc, test_every_port_once_then_rest);
	tcase_add_test(tc, test_oldest_rested_first_and_random);
	tcase_add_test(tc, test_clock_wraps);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
