/*
 * ops/merge.c alone: the workers' pages summed into the group's.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "../common.h"
#include "ops/merge.h"

static struct buf out;

static const char *
text(void)
{
	buf_add(&out, "", 1);	/* a NUL after the text, not counted */
	ck_assert(!out.nomem);
	out.len--;
	return out.p;
}

static const char m0[] =
    "# HELP mioproxy_build_info Build.\n"
    "# TYPE mioproxy_build_info gauge\n"
    "mioproxy_build_info{version=\"0.1.0\"} 1\n"
    "mioproxy_config_reloads_total{result=\"ok\"} 2\n"
    "mioproxy_listener_connections_total{listener=\"a b\"} 10\n"
    "mioproxy_server_state{upstream=\"u\",server=\"1\",state=\"up\"} 1\n"
    "mioproxy_server_connect_seconds_bucket{upstream=\"u\",le=\"0.001\"} 3\n"
    "process_cpu_seconds_total 0.5\n"
    "process_max_fds 1024\n"
    "process_open_fds 7\n";
static const char m1[] =
    "# HELP mioproxy_build_info Build.\n"
    "# TYPE mioproxy_build_info gauge\n"
    "mioproxy_build_info{version=\"0.1.0\"} 1\n"
    "mioproxy_config_reloads_total{result=\"ok\"} 1\n"
    "mioproxy_listener_connections_total{listener=\"gone\"} 99\n"
    "mioproxy_listener_connections_total{listener=\"a b\"} 5\n"
    "mioproxy_server_state{upstream=\"u\",server=\"1\",state=\"up\"} 1\n"
    "mioproxy_server_connect_seconds_bucket{upstream=\"u\",le=\"0.001\"} 4\n"
    "process_cpu_seconds_total 0.25\n"
    "process_max_fds 1024\n"
    "process_open_fds 9\n";

START_TEST(test_metrics_summed)
{
	struct merge_page pg[2] = { { m0, sizeof(m0) - 1 },
	    { m1, sizeof(m1) - 1 } };
	struct merge_set set[1] = {
		{ "mioproxy_config_reloads_total{result=\"ok\"}", 4 } };

	memset(&out, 0, sizeof(out));
	merge_metrics(&out, pg, 2, set, 1);
	ck_assert_str_eq(text(),
	    "# HELP mioproxy_build_info Build.\n"
	    "# TYPE mioproxy_build_info gauge\n"
	    "mioproxy_build_info{version=\"0.1.0\"} 1\n"
	    "mioproxy_config_reloads_total{result=\"ok\"} 4\n"
	    "mioproxy_listener_connections_total{listener=\"a b\"} 15\n"
	    "mioproxy_server_state{upstream=\"u\",server=\"1\",state=\"up\"} 1\n"
	    "mioproxy_server_connect_seconds_bucket{upstream=\"u\","
	    "le=\"0.001\"} 7\n"
	    "process_cpu_seconds_total 0.75\n"
	    "process_max_fds 1024\n"
	    "process_open_fds 16\n");
	buf_free(&out);
}
END_TEST

START_TEST(test_metrics_one_page)
{
	struct merge_page pg[1] = { { m0, sizeof(m0) - 1 } };

	memset(&out, 0, sizeof(out));
	merge_metrics(&out, pg, 1, NULL, 0);
	ck_assert_str_eq(text(), m0);
	buf_free(&out);
}
END_TEST

static const char json0[] = "{\"version\":\"0.1.0\",\"pid\":10,\"reloads\":"
    "{\"ok\":1,\"failed\":0},\"listeners\":[{\"name\":\"a\",\"connections\":3,"
    "\"bytes\":{\"in\":5,\"out\":6}}],\"servers\":[{\"state\":\"up\","
    "\"up\":1,\"connect_seconds\":{\"sum\":0.5,\"buckets\":{\"0.001\":2}}}],"
    "\"process\":{\"max_fds\":1024,\"open_fds\":7}}";
static const char json1[] = "{\"version\":\"0.1.0\",\"pid\":11,\"reloads\":"
    "{\"ok\":1,\"failed\":0},\"listeners\":[{\"name\":\"a\",\"connections\":4,"
    "\"bytes\":{\"in\":50,\"out\":60}}],\"servers\":[{\"state\":\"up\","
    "\"up\":1,\"connect_seconds\":{\"sum\":0.25,\"buckets\":{\"0.001\":1}}}],"
    "\"process\":{\"max_fds\":1024,\"open_fds\":9}}";
static const char json2[] = "{\"version\":\"0.1.0\",\"pid\":12,\"reloads\":"
    "{\"ok\":1,\"failed\":0},\"listeners\":[],\"servers\":[],"
    "\"process\":{\"max_fds\":1024,\"open_fds\":9}}";

START_TEST(test_json_summed)
{
	struct merge_page pg[2] = { { json0, sizeof(json0) - 1 },
	    { json1, sizeof(json1) - 1 } };
	struct merge_set set[3] = { { "pid", 1 }, { "reloads.ok", 5 },
	    { "reloads.failed", 2 } };

	memset(&out, 0, sizeof(out));
	merge_json(&out, pg, 2, set, 3);
	ck_assert_str_eq(text(), "{\"version\":\"0.1.0\",\"pid\":1,\"reloads\":"
	    "{\"ok\":5,\"failed\":2},\"listeners\":[{\"name\":\"a\","
	    "\"connections\":7,\"bytes\":{\"in\":55,\"out\":66}}],\"servers\":"
	    "[{\"state\":\"up\",\"up\":1,\"connect_seconds\":{\"sum\":0.75,"
	    "\"buckets\":{\"0.001\":3}}}],\"process\":{\"max_fds\":1024,"
	    "\"open_fds\":16}}");
	buf_free(&out);
}
END_TEST

/* Shapes that differ: the first page alone, with the set applied. */
START_TEST(test_json_shapes_differ)
{
	struct merge_page pg[2] = { { json2, sizeof(json2) - 1 },
	    { json1, sizeof(json1) - 1 } };
	struct merge_set set[1] = { { "pid", 1 } };

	memset(&out, 0, sizeof(out));
	merge_json(&out, pg, 2, set, 1);
	ck_assert_str_eq(text(), "{\"version\":\"0.1.0\",\"pid\":1,\"reloads\":"
	    "{\"ok\":1,\"failed\":0},\"listeners\":[],\"servers\":[],"
	    "\"process\":{\"max_fds\":1024,\"open_fds\":9}}");
	buf_free(&out);
}
END_TEST

static Suite *
merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("pages");

	tcase_add_test(tc, test_metrics_summed);
	tcase_add_test(tc, test_metrics_one_page);
	tcase_add_test(tc, test_json_summed);
	tcase_add_test(tc, test_json_shapes_differ);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tap_main(merge_suite());
}
