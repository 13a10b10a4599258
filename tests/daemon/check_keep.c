/*
 * Records that outlive generations: found again by key, shared, freed
 * with their last user, and many of them found in linear time.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include <mio.h>

#include "../common.h"
#include "model/keep.h"

static struct mio_addr
addr4(uint32_t host, uint16_t port)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	a.u.in4.sin_family = AF_INET;
	a.u.in4.sin_addr.s_addr = htonl(host);
	a.u.in4.sin_port = htons(port);
	a.len = sizeof(a.u.in4);
	return a;
}

static void
count_srv(struct keep_srv *k, void *arg)
{
	(void)k;
	(*(int *)arg)++;
}

START_TEST(test_server_record_shared_by_key)
{
	struct mio_addr a = addr4(0x7f000001, 8081), b = addr4(0x7f000001,
	    8082);
	struct keep_srv *k1, *k2, *k3, *k4;
	int n = 0;

	k1 = keep_srv_get("web", &a);
	ck_assert_ptr_nonnull(k1);
	ck_assert_str_eq(keep_srv_state_name(k1), "up");
	ck_assert(keep_srv_takes_new(k1));
	k1->admin = SRV_DRAIN;
	k1->sessions = 5;
	/* The next generation names the same server: the same record. */
	k2 = keep_srv_get("web", &a);
	ck_assert_ptr_eq(k1, k2);
	ck_assert_str_eq(keep_srv_state_name(k2), "drain");
	/* Another upstream or port: another record. */
	k3 = keep_srv_get("api", &a);
	k4 = keep_srv_get("web", &b);
	ck_assert_ptr_ne(k3, k1);
	ck_assert_ptr_ne(k4, k1);
	keep_each_srv(count_srv, &n);
	ck_assert_int_eq(n, 3);
	/* The old generation goes: the record stays for the new one. */
	keep_srv_put(k1);
	ck_assert_ptr_eq(keep_srv_find("web", &a), k2);
	ck_assert_uint_eq(k2->sessions, 5);
	keep_srv_put(k2);
	ck_assert_ptr_null(keep_srv_find("web", &a));
	/* A server that comes back starts afresh (a restart of it). */
	k1 = keep_srv_get("web", &a);
	ck_assert_uint_eq(k1->sessions, 0);
	ck_assert_str_eq(keep_srv_state_name(k1), "up");
	keep_srv_put(k1);
	keep_srv_put(k3);
	keep_srv_put(k4);
	n = 0;
	keep_each_srv(count_srv, &n);
	ck_assert_int_eq(n, 0);
	keep_fini();
}
END_TEST

START_TEST(test_many_servers)
{
	static struct keep_srv *k[20000];
	struct mio_addr a;
	uint32_t i;

	for (i = 0; i < 20000; i++) {
		a = addr4(0x0a000000 + i, 80);
		ck_assert_ptr_nonnull(k[i] = keep_srv_get("big", &a));
	}
	for (i = 0; i < 20000; i += 7) {
		a = addr4(0x0a000000 + i, 80);
		ck_assert_ptr_eq(keep_srv_find("big", &a), k[i]);
	}
	for (i = 0; i < 20000; i += 2)
		keep_srv_put(k[i]);
	a = addr4(0x0a000000 + 2, 80);
	ck_assert_ptr_null(keep_srv_find("big", &a));
	a = addr4(0x0a000000 + 3, 80);
	ck_assert_ptr_eq(keep_srv_find("big", &a), k[3]);
	keep_fini();
}
END_TEST

START_TEST(test_states_and_histogram)
{
	struct mio_addr a = addr4(0x7f000001, 53);
	struct keep_srv *k = keep_srv_get("dns", &a);

	k->health = SRV_DOWN;
	ck_assert_str_eq(keep_srv_state_name(k), "down");
	ck_assert(!keep_srv_takes_new(k));
	k->admin = SRV_MAINT;		/* the operator's first */
	ck_assert_str_eq(keep_srv_state_name(k), "maint");
	k->admin = SRV_READY;
	k->health = SRV_EJECTED;
	ck_assert_str_eq(keep_srv_state_name(k), "ejected");
	keep_srv_connected(k, 0);
	keep_srv_connected(k, 300);
	keep_srv_connected(k, 5000000);	/* past the last bound: +Inf */
	ck_assert_uint_eq(k->connect_le[0], 1);
	ck_assert_uint_eq(k->connect_le[2], 1);
	ck_assert_uint_eq(k->connect_count, 3);
	ck_assert_uint_eq(k->sessions, 3);
	ck_assert_uint_eq(k->connect_sum_us, 5000300);
	keep_fini();
}
END_TEST

START_TEST(test_listener_record_by_name)
{
	struct keep_lstn *l1 = keep_lstn_get("web", 0), *l2;

	ck_assert_ptr_nonnull(l1);
	l1->accepted = 9;
	l2 = keep_lstn_get("web", 0);
	ck_assert_ptr_eq(l1, l2);
	keep_lstn_put(l1);
	ck_assert_uint_eq(l2->accepted, 9);
	keep_lstn_put(l2);
	l1 = keep_lstn_get("web", 0);
	ck_assert_uint_eq(l1->accepted, 0);
	keep_lstn_put(l1);
	keep_fini();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("keep");
	TCase *tc = tcase_create("records");

	tcase_add_test(tc, test_server_record_shared_by_key);
	tcase_add_test(tc, test_many_servers);
	tcase_add_test(tc, test_states_and_histogram);
	tcase_add_test(tc, test_listener_record_by_name);
	suite_add_tcase(su, tc);
	return tap_main(su);
}
