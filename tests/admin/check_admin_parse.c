/*
 * The admin socket's command parser (daemon/ops/admin_parse.c): every
 * command and its refusals, without a daemon.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "model/keep.h"
#include "ops/admin_int.h"
#include "../common.h"

static struct adm_cmd cmd;
static char err[256];

/* Parses a copy of text: adm_parse()'s result. */
static int
parse(const char *text)
{
	static char line[ADM_LINE_MAX + 1];

	snprintf(line, sizeof(line), "%s", text);
	err[0] = '\0';
	return adm_parse(line, &cmd, err, sizeof(err));
}

START_TEST(test_show)
{
	ck_assert_int_eq(parse("show info"), 0);
	ck_assert_int_eq(cmd.op, ADM_SHOW_INFO);
	ck_assert_int_eq(parse("  show \t listeners  "), 0);
	ck_assert_int_eq(cmd.op, ADM_SHOW_LISTENERS);
	ck_assert_int_eq(parse("show servers"), 0);
	ck_assert_int_eq(cmd.op, ADM_SHOW_SERVERS);
	ck_assert_ptr_null(cmd.upstream);
	ck_assert_int_eq(parse("show servers web\r"), 0);
	ck_assert_str_eq(cmd.upstream, "web");
	ck_assert_int_eq(parse("show"), -1);
	ck_assert_ptr_nonnull(strstr(err, "usage: show"));
	ck_assert_int_eq(parse("show info now"), -1);
	ck_assert_int_eq(parse("show servers a b"), -1);
}
END_TEST

START_TEST(test_set)
{
	ck_assert_int_eq(parse("set server web 127.0.0.1:80 state drain"), 0);
	ck_assert_int_eq(cmd.op, ADM_SET_STATE);
	ck_assert_str_eq(cmd.upstream, "web");
	ck_assert_str_eq(cmd.address, "127.0.0.1:80");
	ck_assert_int_eq(cmd.state, SRV_DRAIN);
	ck_assert_int_eq(parse("set server web [::1]:80 state maint"), 0);
	ck_assert_int_eq(cmd.state, SRV_MAINT);
	ck_assert_int_eq(parse("set server web [::1]:80 state ready"), 0);
	ck_assert_int_eq(cmd.state, SRV_READY);
	ck_assert_int_eq(parse("set server web a:1 state down"), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown state \"down\""));
	ck_assert_int_eq(parse("set server web a:1 weight 1000"), 0);
	ck_assert_int_eq(cmd.op, ADM_SET_WEIGHT);
	ck_assert_uint_eq(cmd.weight, 1000);
	ck_assert_int_eq(parse("set server web a:1 weight 1"), 0);
	ck_assert_uint_eq(cmd.weight, 1);
	ck_assert_int_eq(parse("set server web a:1 weight 0"), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid weight"));
	ck_assert_int_eq(parse("set server web a:1 weight 1001"), -1);
	ck_assert_int_eq(parse("set server web a:1 weight -3"), -1);
	ck_assert_int_eq(parse("set server web a:1 weight 2x"), -1);
	ck_assert_int_eq(parse("set server web a:1 weight 99999999999"), -1);
	ck_assert_int_eq(parse("set server web a:1 colour red"), -1);
	ck_assert_ptr_nonnull(strstr(err, "usage: set server"));
	ck_assert_int_eq(parse("set server web a:1 state"), -1);
	ck_assert_int_eq(parse("set servers web a:1 state drain"), -1);
}
END_TEST

START_TEST(test_shutdown_reload_help)
{
	ck_assert_int_eq(parse("shutdown sessions server web 10.0.0.1:80"),
	    0);
	ck_assert_int_eq(cmd.op, ADM_SHUTDOWN_SESSIONS);
	ck_assert_str_eq(cmd.upstream, "web");
	ck_assert_str_eq(cmd.address, "10.0.0.1:80");
	ck_assert_int_eq(parse("shutdown sessions web 10.0.0.1:80"), -1);
	ck_assert_ptr_nonnull(strstr(err, "usage: shutdown"));
	ck_assert_int_eq(parse("shutdown"), -1);
	ck_assert_int_eq(parse("reload"), 0);
	ck_assert_int_eq(cmd.op, ADM_RELOAD);
	ck_assert_int_eq(parse("help"), 0);
	ck_assert_int_eq(cmd.op, ADM_HELP);
	ck_assert_int_eq(parse("reload now"), -1);
}
END_TEST

START_TEST(test_malformed)
{
	char line[64];

	ck_assert_int_eq(parse(""), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty command"));
	ck_assert_int_eq(parse(" \t "), -1);
	ck_assert_int_eq(parse("frobnicate all"), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown command \"frobnicate\""));
	ck_assert_int_eq(parse("show\x01info"), -1);
	ck_assert_ptr_nonnull(strstr(err, "control character 0x01"));
	ck_assert_int_eq(parse("show info\x1b[2J"), -1);
	ck_assert_int_eq(parse("show info\x7f"), -1);
	ck_assert_int_eq(parse("a b c d e f g h i"), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 8 words"));
	/* The message quotes at most 64 bytes of an unknown word. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(parse(line), -1);
	ck_assert_uint_lt(strlen(err), 100);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("admin_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_show);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_shutdown_reload_help);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
