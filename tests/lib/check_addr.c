/*
 * mio_addr_parse() and mio_addr_format(): every text form round-trips
 * exactly, and every kind of bad text gets its documented error; and
 * mio_addr_equal() and mio_addr_cmp().  Pure functions, so the suite
 * runs the same under both backends.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "testutil.h"

/* parse(text) succeeds and format() gives text back, byte for byte. */
static void
round_trip(const char *text)
{
	struct mio_addr a;
	char buf[MIO_ADDR_STRLEN];
	int rc;

	rc = mio_addr_parse(&a, text);
	ck_assert_msg(rc == 0, "parse %s: %s", text, mio_strerror(rc));
	rc = mio_addr_format(&a, buf, sizeof(buf));
	ck_assert_msg(rc == (int)strlen(text), "format %s: %d", text, rc);
	ck_assert_str_eq(buf, text);
}

static void
bad(const char *text, int want)
{
	struct mio_addr a;
	int rc = mio_addr_parse(&a, text);

	ck_assert_msg(rc == want, "parse \"%s\": got %d, want %d", text, rc,
	    want);
}

START_TEST(test_ipv4)
{
	struct mio_addr a;

	round_trip("127.0.0.1:80");
	round_trip("0.0.0.0:0");
	round_trip("255.255.255.255:65535");
	round_trip("10.1.2.3:9000");
	ck_assert_int_eq(mio_addr_parse(&a, "192.0.2.7:443"), 0);
	ck_assert_int_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(a.u.in4.sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(a.u.in4.sin_port), 443);
	ck_assert_uint_eq(ntohl(a.u.in4.sin_addr.s_addr), 0xc0000207u);
	/* Leading zeros in the port are accepted (and not kept). */
	ck_assert_int_eq(mio_addr_parse(&a, "127.0.0.1:00080"), 0);
	ck_assert_uint_eq(ntohs(a.u.in4.sin_port), 80);
}
END_TEST

START_TEST(test_ipv6)
{
	struct mio_addr a;
	char buf[MIO_ADDR_STRLEN], lo[IF_NAMESIZE + 32];
	unsigned idx = if_nametoindex("lo");

	round_trip("[::1]:80");
	round_trip("[::]:0");
	round_trip("[2001:db8::1:2]:65535");
	round_trip("[::ffff:127.0.0.1]:53");
	round_trip("[fe80::1%4000000000]:80");	/* no such interface */
	ck_assert_int_eq(mio_addr_parse(&a, "[::1]:8080"), 0);
	ck_assert_int_eq(a.len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(a.u.in6.sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(a.u.in6.sin6_port), 8080);
	ck_assert_uint_eq(a.u.in6.sin6_scope_id, 0);

	/* Non-canonical text parses; format gives the canonical form. */
	ck_assert_int_eq(mio_addr_parse(&a, "[0:0:0:0:0:0:0:1]:1"), 0);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "[::1]:1");

	/* A scope by name round-trips; a numeric one comes back named. */
#ifdef _WIN32
	(void)idx; (void)lo;
	tu_skip("scope by interface name: Windows has no \"lo\" (its "
	    "loopback is named loopback_N)");
#endif
	ck_assert_uint_gt(idx, 0);
	round_trip("[fe80::1%lo]:80");
	ck_assert_int_eq(mio_addr_parse(&a, "[fe80::1%lo]:80"), 0);
	ck_assert_uint_eq(a.u.in6.sin6_scope_id, idx);
	snprintf(lo, sizeof(lo), "[fe80::1%%%u]:80", idx);
	ck_assert_int_eq(mio_addr_parse(&a, lo), 0);
	ck_assert_uint_eq(a.u.in6.sin6_scope_id, idx);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)),
	    (int)strlen("[fe80::1%lo]:80"));
	ck_assert_str_eq(buf, "[fe80::1%lo]:80");
}
END_TEST

START_TEST(test_unix)
{
	struct mio_addr a;
	char buf[MIO_ADDR_STRLEN], path[200];
	size_t off = offsetof(struct sockaddr_un, sun_path);

	round_trip("unix:/tmp/x.sock");
	round_trip("unix:relative/sock");
	round_trip("unix:@abstract-name");
	round_trip("unix:@");
	ck_assert_int_eq(mio_addr_parse(&a, "unix:/a/b"), 0);
	ck_assert_int_eq(a.u.un.sun_family, AF_UNIX);
	ck_assert_int_eq(a.len, off + strlen("/a/b") + 1);
	ck_assert_str_eq(a.u.un.sun_path, "/a/b");

	/* Abstract: a leading NUL, the name, no trailing NUL. */
	ck_assert_int_eq(mio_addr_parse(&a, "unix:@name"), 0);
	ck_assert_int_eq(a.len, off + 1 + 4);
	ck_assert_int_eq(a.u.un.sun_path[0], '\0');
	ck_assert_int_eq(memcmp(a.u.un.sun_path + 1, "name", 4), 0);

	/* Longest path that fits: 107 bytes and the NUL. */
	memset(path, 0, sizeof(path));
	memcpy(path, "unix:/", 6);
	memset(path + 6, 'p', 106);
	round_trip(path);
	path[6 + 106] = 'p';
	bad(path, -ENAMETOOLONG);
	/* Longest abstract name: 107 bytes after the NUL. */
	memset(path, 0, sizeof(path));
	memcpy(path, "unix:@", 6);
	memset(path + 6, 'a', 107);
	round_trip(path);
	path[6 + 107] = 'a';
	bad(path, -ENAMETOOLONG);

	/* Unnamed: formats as "unix:"; "unix:" alone does not parse. */
	memset(&a, 0, sizeof(a));
	a.u.un.sun_family = AF_UNIX;
	a.len = sizeof(sa_family_t);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "unix:");
	bad("unix:", -EINVAL);

	/* An abstract name with a NUL inside has no text form. */
	ck_assert_int_eq(mio_addr_parse(&a, "unix:@abc"), 0);
	a.u.un.sun_path[2] = '\0';
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), -EINVAL);

	/* A path filling sun_path with no NUL is read within its length. */
	memset(&a, 0, sizeof(a));
	a.u.un.sun_family = AF_UNIX;
	memset(a.u.un.sun_path, 'z', sizeof(a.u.un.sun_path));
	a.len = sizeof(struct sockaddr_un);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)),
	    5 + (int)sizeof(a.u.un.sun_path));
}
END_TEST

START_TEST(test_parse_errors)
{
	struct mio_addr a;

	ck_assert_int_eq(mio_addr_parse(NULL, "127.0.0.1:1"), -EINVAL);
	ck_assert_int_eq(mio_addr_parse(&a, NULL), -EINVAL);
	bad("", -EINVAL);
	bad("127.0.0.1", -EINVAL);		/* no port */
	bad("127.0.0.1:", -EINVAL);
	bad("127.0.0.1:65536", -EINVAL);
	bad("127.0.0.1:99999", -EINVAL);
	bad("127.0.0.1:123456", -EINVAL);
	bad("127.0.0.1:-1", -EINVAL);
	bad("127.0.0.1:+1", -EINVAL);
	bad("127.0.0.1: 1", -EINVAL);
	bad("127.0.0.1:1 ", -EINVAL);
	bad("127.0.0.1:0x10", -EINVAL);
	bad("127.0.0.1:http", -EINVAL);
	bad("localhost:80", -EINVAL);		/* no name lookup */
	bad("256.0.0.1:80", -EINVAL);
	bad("1.2.3:80", -EINVAL);
	bad("1.2.3.4.5:80", -EINVAL);
	bad(" 1.2.3.4:80", -EINVAL);
	bad(":80", -EINVAL);
	bad("::1:80", -EINVAL);			/* IPv6 needs brackets */
	bad("[::1]", -EINVAL);
	bad("[::1]:", -EINVAL);
	bad("[::1]80", -EINVAL);
	bad("[::1:80", -EINVAL);
	bad("[::1]:80x", -EINVAL);
	bad("[::1]:65536", -EINVAL);
	bad("[]:80", -EINVAL);
	bad("[127.0.0.1]:80", -EINVAL);
	bad("[::g]:80", -EINVAL);
	bad("[fe80::1%]:80", -EINVAL);
	bad("[fe80::1%no-such-if0]:80", -EINVAL);
	bad("[fe80::1%99999999999]:80", -EINVAL);
	bad("[fe80::1%lo%lo]:80", -EINVAL);
	bad("unix", -EINVAL);
	bad("tcp:1.2.3.4:5", -EINVAL);
}
END_TEST

START_TEST(test_format_errors)
{
	struct mio_addr a;
	char buf[MIO_ADDR_STRLEN];

	ck_assert_int_eq(mio_addr_parse(&a, "127.0.0.1:80"), 0);
	/* Exactly enough, then one byte short. */
	ck_assert_int_eq(mio_addr_format(&a, buf, 13), 12);
	ck_assert_str_eq(buf, "127.0.0.1:80");
	ck_assert_int_eq(mio_addr_format(&a, buf, 12), -ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(mio_addr_format(&a, NULL, 0), -ENOSPC);
	ck_assert_int_eq(mio_addr_format(NULL, buf, sizeof(buf)), -EINVAL);
	a.len = 4;			/* too short for an IPv4 address */
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.u.sa.sa_family = AF_PACKET;
	a.len = sizeof(a.u.ss);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), -EINVAL);
	a.len = 0;
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(mio_addr_parse(&a, "[::1]:1"), 0);
	ck_assert_int_eq(mio_addr_format(&a, buf, 7), -ENOSPC);
}
END_TEST

/* The longest texts of each family fit MIO_ADDR_STRLEN. */
START_TEST(test_strlen_enough)
{
	struct mio_addr a;
	char buf[MIO_ADDR_STRLEN], path[200];
	int rc;

	ck_assert_int_eq(mio_addr_parse(&a,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535"), 0);
	a.u.in6.sin6_scope_id = 4000000000u;
	rc = mio_addr_format(&a, buf, sizeof(buf));
	ck_assert_int_gt(rc, 0);
	ck_assert_int_lt(rc, MIO_ADDR_STRLEN);
	memset(path, 0, sizeof(path));
	memcpy(path, "unix:@", 6);
	memset(path + 6, 'a', 107);
	ck_assert_int_eq(mio_addr_parse(&a, path), 0);
	ck_assert_int_eq(mio_addr_format(&a, buf, sizeof(buf)), 113);
}
END_TEST

static struct mio_addr
addr(const char *text)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_msg(mio_addr_parse(&a, text) == 0, "parse %s", text);
	return a;
}

/* equal(a, b) == want, and cmp agrees both ways. */
static void
same(const struct mio_addr *a, const struct mio_addr *b, int want)
{
	int ab = mio_addr_cmp(a, b), ba = mio_addr_cmp(b, a);

	ck_assert_int_eq(mio_addr_equal(a, b), want);
	ck_assert_int_eq(mio_addr_equal(b, a), want);
	ck_assert_int_eq(ab == 0, want);
	ck_assert_int_eq((ab > 0) - (ab < 0), -((ba > 0) - (ba < 0)));
}

START_TEST(test_equal)
{
	struct mio_addr a, b;

	a = addr("10.0.0.1:80");
	b = addr("10.0.0.1:80");
	b.len = sizeof(b.u);		/* beyond the name: ignored */
	same(&a, &b, 1);
	b = addr("10.0.0.1:81");
	same(&a, &b, 0);
	b = addr("10.0.0.2:80");
	same(&a, &b, 0);
	b = addr("[::ffff:10.0.0.1]:80");
	same(&a, &b, 0);		/* another family */

	a = addr("[fe80::1%1]:80");
	b = addr("[fe80::1%1]:80");
	b.u.in6.sin6_flowinfo = htonl(12345);	/* the flow label: ignored */
	same(&a, &b, 1);
	b = addr("[fe80::1%2]:80");
	same(&a, &b, 0);		/* the scope names another link */
	b = addr("[fe80::1]:80");
	same(&a, &b, 0);
	b = addr("[fe80::2%1]:80");
	same(&a, &b, 0);

	a = addr("unix:/tmp/a.sock");
	b = addr("unix:/tmp/a.sock");
	same(&a, &b, 1);
	b.len--;			/* without its NUL: same path */
	same(&a, &b, 1);
	b = addr("unix:/tmp/b.sock");
	same(&a, &b, 0);
	b = addr("unix:@/tmp/a.sock");
	same(&a, &b, 0);		/* abstract is never a path */
	a = addr("unix:@name");
	b = addr("unix:@name");
	same(&a, &b, 1);
	b = addr("unix:@nam");
	same(&a, &b, 0);
	b = addr("unix:@");
	same(&a, &b, 0);
	memset(&a, 0, sizeof(a));	/* unnamed, as getpeername(2) gives */
	a.u.sa.sa_family = AF_UNIX;
	a.len = sizeof(sa_family_t);
	b = a;
	b.u.un.sun_path[0] = 'x';	/* beyond the length: ignored */
	same(&a, &b, 1);
	b = addr("unix:@");
	same(&a, &b, 0);		/* the empty abstract name is a name */
	same(NULL, NULL, 1);
	same(&a, NULL, 0);
}
END_TEST

static int
cmp_qsort(const void *a, const void *b)
{
	return mio_addr_cmp(a, b);
}

/* A total order: sorting groups ties, and every triple is transitive. */
START_TEST(test_cmp_order)
{
	static const char *const texts[] = {
		"10.0.0.2:80", "unix:/b", "[::1]:80", "10.0.0.1:443",
		"unix:@b", "[fe80::1%2]:80", "10.0.0.1:80", "unix:/a",
		"[::1]:79", "10.0.0.1:80", "[fe80::1%1]:80", "unix:@a",
		"9.255.255.255:65535", "unix:/b"
	};
	enum { N = sizeof(texts) / sizeof(texts[0]) };
	struct mio_addr v[N];
	size_t i, j, k;

	for (i = 0; i < N; i++)
		v[i] = addr(texts[i]);
	qsort(v, N, sizeof(v[0]), cmp_qsort);
	for (i = 0; i + 1 < N; i++)
		ck_assert_int_le(mio_addr_cmp(&v[i], &v[i + 1]), 0);
	/* IPv4 sorts numerically, address before port. */
	for (i = 0; v[i].u.sa.sa_family != AF_INET; i++)
		;
	ck_assert_int_eq(mio_addr_cmp(&v[i], &v[i + 1]) < 0, 1);
	ck_assert_uint_eq(ntohl(v[i].u.in4.sin_addr.s_addr), 0x09ffffffu);
	ck_assert_uint_eq(ntohs(v[i + 1].u.in4.sin_port), 80);
	ck_assert_uint_eq(ntohs(v[i + 3].u.in4.sin_port), 443);
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++)
			for (k = 0; k < N; k++)
				if (mio_addr_cmp(&v[i], &v[j]) <= 0 &&
				    mio_addr_cmp(&v[j], &v[k]) <= 0)
					ck_assert_int_le(
					    mio_addr_cmp(&v[i], &v[k]), 0);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ipv4);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_unix);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_format_errors);
	tcase_add_test(tc, test_strlen_enough);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_cmp_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(addr_suite());
}
