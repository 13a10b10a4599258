/*
 * The PROXY protocol's parser and writers (daemon/proxyproto/): every
 * form the writers make read back to the same addresses and TLVs, every
 * prefix of a valid header asks for more, each rule of haproxy's
 * doc/proxy-protocol.txt broken once is refused, and the spec's own
 * examples parse.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "../common.h"
#include "proxyproto/pp.h"

#define ANY	(PP_ACCEPT_V1 | PP_ACCEPT_V2)
#define SIG	"\r\n\r\n\0\r\nQUIT\n"

/* The TLVs a caller passes on: ALPN "h2", AUTHORITY, a UNIQUE_ID. */
static const uint8_t some_tlvs[] =
    "\x01\x00\x02h2"
    "\x02\x00\x0b" "example.com"
    "\x05\x00\x04\x01\x02\x03\x04";
#define SOME_TLVS_LEN	(sizeof(some_tlvs) - 1)

static struct mio_addr
addr(const char *text)
{
	struct mio_addr a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mio_addr_parse(&a, text), 0);
	return a;
}

static ssize_t
parse(const void *b, size_t n, struct pp_header *h)
{
	return pp_parse(b, n, ANY, PP_V2_MAX, h);
}

static ssize_t
parse_str(const char *s)
{
	struct pp_header h;

	return parse(s, strlen(s), &h);
}

/* Every proper prefix of b[0..n) asks for more; the whole is n. */
static void
check_prefixes(const uint8_t *b, size_t n)
{
	struct pp_header h;
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(parse(b, i, &h) == 0, "prefix %zu of %zu", i, n);
	ck_assert_int_eq(parse(b, n, &h), (ssize_t)n);
}

static void
check_same(const struct mio_addr *a, const struct mio_addr *b)
{
	char x[MIO_ADDR_STRLEN], y[MIO_ADDR_STRLEN];

	(void)mio_addr_format(a, x, sizeof(x));
	(void)mio_addr_format(b, y, sizeof(y));
	ck_assert_msg(mio_addr_equal(a, b), "%s != %s", x, y);
	ck_assert_str_eq(x, y);
}

START_TEST(test_v1_round_trip)
{
	static const char *pairs[][2] = {
		{ "192.168.0.1:56324", "192.168.0.11:443" },
		{ "0.0.0.0:0", "255.255.255.255:65535" },
		{ "[2001:db8::1]:1234", "[::1]:80" },
		{ "[::ffff:10.0.0.1]:9", "[fe80::1:2:3:4]:65535" },
	};
	struct mio_addr s = addr(pairs[_i][0]), d = addr(pairs[_i][1]);
	struct pp_header h;
	uint8_t b[PP_V1_MAX];
	ssize_t n;

	n = pp_write_v1(b, sizeof(b), &s, &d);
	ck_assert_int_gt(n, 0);
	check_prefixes(b, (size_t)n);
	ck_assert_int_eq(parse(b, (size_t)n, &h), n);
	ck_assert_int_eq(h.version, 1);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(h.socktype, SOCK_STREAM);
	check_same(&h.src, &s);
	check_same(&h.dst, &d);
	/* Too small a buffer: nothing partial. */
	ck_assert_int_eq(pp_write_v1(b, (size_t)n - 1, &s, &d), -ENOSPC);
}
END_TEST

START_TEST(test_v1_unknown)
{
	struct mio_addr s = addr("1.2.3.4:5"), d = addr("[::1]:6");
	struct mio_addr u = addr("unix:/tmp/x");
	struct pp_header h;
	uint8_t b[PP_V1_MAX];
	ssize_t n;

	/* No addresses, different families, Unix: all UNKNOWN. */
	ck_assert_int_eq(pp_write_v1(b, sizeof(b), NULL, NULL), 15);
	ck_assert_int_eq(memcmp(b, "PROXY UNKNOWN\r\n", 15), 0);
	ck_assert_int_eq(pp_write_v1(b, sizeof(b), &s, &d), 15);
	ck_assert_int_eq(pp_write_v1(b, sizeof(b), &u, &u), 15);
	ck_assert_int_eq(pp_write_v1(b, sizeof(b), &s, NULL), 15);
	check_prefixes(b, 15);
	n = parse(b, 15, &h);
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(h.version, 1);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.socktype, 0);
	ck_assert_int_eq(h.src.len, 0);
	ck_assert_int_eq(h.dst.len, 0);
	ck_assert_int_eq(pp_write_v1(b, 14, NULL, NULL), -ENOSPC);
}
END_TEST

/* The examples doc/proxy-protocol.txt gives (with its "f...f" spelt out). */
START_TEST(test_v1_spec_examples)
{
	static const char *ok[] = {
		"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
	};
	const char *s = ok[_i];

	check_prefixes((const uint8_t *)s, strlen(s));
	if (_i == 2)
		ck_assert_int_eq(strlen(s), PP_V1_MAX);	/* the worst case */
}
END_TEST

START_TEST(test_v1_addresses)
{
	struct pp_header h;
	const char *s = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
	    "GET / HTTP/1.1\r\n";
	char t[MIO_ADDR_STRLEN];

	/* What follows the line is the client's: not the header's. */
	ck_assert_int_eq(parse(s, strlen(s), &h), 47);
	ck_assert_int_gt(mio_addr_format(&h.src, t, sizeof(t)), 0);
	ck_assert_str_eq(t, "192.168.0.1:56324");
	ck_assert_int_gt(mio_addr_format(&h.dst, t, sizeof(t)), 0);
	ck_assert_str_eq(t, "192.168.0.11:443");
	ck_assert_int_eq(parse_str("PROXY UNKNOWN anything \x01\xff goes\r\n"),
	    32);
}
END_TEST

/* Each rule of v1 broken once: -EINVAL, whole or at the byte it shows. */
static const char *v1_bad[] = {
	"GET / HTTP/1.1\r\n",			/* not a proxy */
	"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",	/* case */
	"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",	/* two spaces */
	"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",	/* protocol */
	"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
	"PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
	"PROXY UNKNOWNX\r\n",
	"PROXY \r\n",
	"PROXY TCP4\r\n",			/* fields missing */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",	/* a field too many */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",	/* a space before CR */
	"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
	"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
	"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",	/* leading zero */
	"PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",
	"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",	/* octet range */
	"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",	/* three numbers */
	"PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
	"PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n",
	"PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n",
	"PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n",
	"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",		/* family mismatch */
	"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
	"PROXY TCP6 ::1 ::1::2 1 2\r\n",		/* two "::" */
	"PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n",
	"PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n",	/* a scope */
	"PROXY TCP6 ::1 [::1] 1 2\r\n",
	"PROXY TCP6 ::1 12345::1 1 2\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",	/* port: leading zero */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",	/* port range */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",	/* LF alone */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",	/* CR alone */
	"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
	"PROXY UNKNOWN \n\r\n",
	"PROXY UNKNOWN a\rb\r\n",
};

START_TEST(test_v1_malformed)
{
	const char *s = v1_bad[_i];
	struct pp_header h;
	size_t n = strlen(s), i;
	ssize_t r, first = 0;

	ck_assert_msg(parse_str(s) == -EINVAL, "%zd for \"%s\"",
	    parse_str(s), s);
	/* Prefixes: more wanted, until the byte that breaks it. */
	for (i = 0; i <= n && first == 0; i++) {
		r = parse(s, i, &h);
		ck_assert_msg(r == 0 || r == -EINVAL, "%zd at %zu", r, i);
		first = r;
	}
	ck_assert_int_eq(first, -EINVAL);
}
END_TEST

START_TEST(test_v1_too_long)
{
	char s[200];
	struct pp_header h;

	/* UNKNOWN's free part filled up to exactly 107 bytes: fine. */
	memset(s, 'x', sizeof(s));
	memcpy(s, "PROXY UNKNOWN ", 14);
	memcpy(s + PP_V1_MAX - 2, "\r\n", 2);
	ck_assert_int_eq(parse(s, PP_V1_MAX, &h), PP_V1_MAX);
	ck_assert_int_eq(parse(s, sizeof(s), &h), PP_V1_MAX);
	/* One more byte: the CR at 107 is too late, and so is one at 106. */
	memset(s + PP_V1_MAX - 2, 'x', 2);
	memcpy(s + PP_V1_MAX - 1, "\r\n", 2);
	ck_assert_int_eq(parse(s, PP_V1_MAX - 1, &h), 0);
	ck_assert_int_eq(parse(s, PP_V1_MAX, &h), -EMSGSIZE);
	ck_assert_int_eq(parse(s, PP_V1_MAX + 1, &h), -EMSGSIZE);
	ck_assert_int_eq(parse(s, sizeof(s), &h), -EMSGSIZE);
	/*
	 * A CR at 106 with no LF after it: too long, not malformed, whether
	 * byte 107 is there or not (fuzz_pp's first finding).
	 */
	memset(s + PP_V1_MAX - 2, 'x', 3);
	s[PP_V1_MAX - 1] = '\r';
	ck_assert_int_eq(parse(s, PP_V1_MAX, &h), -EMSGSIZE);
	ck_assert_int_eq(parse(s, PP_V1_MAX + 1, &h), -EMSGSIZE);
	/* No CR at all. */
	memset(s + 14, 'x', sizeof(s) - 14);
	ck_assert_int_eq(parse(s, PP_V1_MAX - 1, &h), 0);
	ck_assert_int_eq(parse(s, PP_V1_MAX, &h), -EMSGSIZE);
	ck_assert_int_eq(parse(s, sizeof(s), &h), -EMSGSIZE);
	/* A TCP4 line can never be that long: wrong before too long. */
	memcpy(s, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2", 30);
	ck_assert_int_eq(parse(s, sizeof(s), &h), -EINVAL);
}
END_TEST

START_TEST(test_versions_not_accepted)
{
	static const uint8_t v2[] = SIG "\x21\x11\x00\x0c"
	    "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02";
	const char *v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
	struct pp_header h;
	uint8_t b[sizeof(v2)];

	ck_assert_int_eq(pp_parse(v2, sizeof(v2) - 1, PP_ACCEPT_V2,
	    PP_V2_MAX, &h), 28);
	ck_assert_int_eq(pp_parse(v2, sizeof(v2) - 1, PP_ACCEPT_V1,
	    PP_V2_MAX, &h), -EPROTO);
	ck_assert_int_eq(pp_parse(v2, 12, PP_ACCEPT_V1, PP_V2_MAX, &h),
	    -EPROTO);
	ck_assert_int_eq(pp_parse(v2, 11, PP_ACCEPT_V1, PP_V2_MAX, &h), 0);
	ck_assert_int_eq(pp_parse((const uint8_t *)v1, strlen(v1),
	    PP_ACCEPT_V1, PP_V2_MAX, &h), (ssize_t)strlen(v1));
	ck_assert_int_eq(pp_parse((const uint8_t *)v1, strlen(v1),
	    PP_ACCEPT_V2, PP_V2_MAX, &h), -EPROTO);
	ck_assert_int_eq(pp_parse((const uint8_t *)v1, 6, 0, PP_V2_MAX, &h),
	    -EPROTO);
	ck_assert_int_eq(pp_parse((const uint8_t *)v1, 5, PP_ACCEPT_V2,
	    PP_V2_MAX, &h), 0);
	/* v2's signature with another version: 1, 3, 15. */
	memcpy(b, v2, sizeof(b));
	b[12] = 0x11;
	ck_assert_int_eq(parse(b, sizeof(b) - 1, &h), -EPROTO);
	b[12] = 0x31;
	ck_assert_int_eq(parse(b, 13, &h), -EPROTO);
	b[12] = 0xf1;
	ck_assert_int_eq(parse(b, sizeof(b) - 1, &h), -EPROTO);
}
END_TEST

/* v2 PROXY for the family of pairs[_i], stream and datagram. */
START_TEST(test_v2_round_trip)
{
	static const char *pairs[][2] = {
		{ "192.0.2.1:56324", "198.51.100.2:443" },
		{ "[2001:db8::1]:1234", "[::1]:53" },
		{ "unix:/run/client.sock", "unix:/run/mioproxy.sock" },
		{ "unix:@abstract-client", "unix:@srv" },
	};
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct mio_addr s = addr(pairs[_i / 2][0]), d = addr(pairs[_i / 2][1]);
	int type = types[_i % 2], crc;
	uint8_t b[1024];
	struct pp_header h;
	ssize_t n;

	for (crc = 0; crc < 2; crc++) {
		n = pp_write_v2(b, sizeof(b), type, &s, &d, some_tlvs,
		    SOME_TLVS_LEN, crc);
		ck_assert_int_gt(n, 0);
		check_prefixes(b, (size_t)n);
		ck_assert_int_eq(parse(b, (size_t)n, &h), n);
		ck_assert_int_eq(h.version, 2);
		ck_assert_int_eq(h.local, 0);
		ck_assert_int_eq(h.socktype, type);
		check_same(&h.src, &s);
		check_same(&h.dst, &d);
		ck_assert_uint_eq(h.tlv_len, SOME_TLVS_LEN + (crc ? 7 : 0));
		ck_assert_int_eq(memcmp(h.tlv, some_tlvs, SOME_TLVS_LEN), 0);
		ck_assert_int_eq(pp_write_v2(b, (size_t)n - 1, type, &s, &d,
		    some_tlvs, SOME_TLVS_LEN, crc), -ENOSPC);
	}
}
END_TEST

START_TEST(test_v2_local)
{
	struct mio_addr s = addr("192.0.2.1:1"), d = addr("[::1]:2");
	uint8_t b[256];
	struct pp_header h;
	ssize_t n;

	/* No addresses, different families, no transport: LOCAL/UNSPEC. */
	ck_assert_int_eq(pp_write_v2(b, sizeof(b), SOCK_STREAM, NULL, NULL,
	    NULL, 0, 0), 16);
	ck_assert_int_eq(memcmp(b, SIG "\x20\x00\x00\x00", 16), 0);
	ck_assert_int_eq(pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d,
	    NULL, 0, 0), 16);
	ck_assert_int_eq(pp_write_v2(b, sizeof(b), 0, &s, &s, NULL, 0, 0),
	    16);
	check_prefixes(b, 16);
	ck_assert_int_eq(parse(b, 16, &h), 16);
	ck_assert_int_eq(h.version, 2);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.socktype, 0);
	ck_assert_int_eq(h.src.len, 0);
	ck_assert_int_eq(h.dst.len, 0);
	ck_assert_uint_eq(h.tlv_len, 0);
	/* LOCAL with TLVs and a CRC. */
	n = pp_write_v2(b, sizeof(b), SOCK_DGRAM, NULL, NULL, some_tlvs,
	    SOME_TLVS_LEN, 1);
	ck_assert_int_eq(n, 16 + SOME_TLVS_LEN + 7);
	check_prefixes(b, (size_t)n);
	ck_assert_int_eq(parse(b, (size_t)n, &h), n);
	ck_assert_int_eq(h.local, 1);
	ck_assert_uint_eq(h.tlv_len, SOME_TLVS_LEN + 7);
	/* LOCAL over an INET block: the block is skipped, not read. */
	memcpy(b, SIG "\x20\x11\x00\x0c" "\x01\x02\x03\x04\x05\x06\x07\x08"
	    "\x00\x01\x00\x02", 28);
	check_prefixes(b, 28);
	ck_assert_int_eq(parse(b, 28, &h), 28);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.src.len, 0);
	ck_assert_int_eq(h.socktype, SOCK_STREAM);
	/*
	 * LOCAL's family "is ignored": one off the list, or a block too
	 * short for its own, is skipped whole (but a PROXY one is not).
	 */
	memcpy(b, SIG "\x20\x41\x00\x03" "abc", 19);
	check_prefixes(b, 19);
	ck_assert_int_eq(parse(b, 19, &h), 19);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.socktype, 0);
	ck_assert_uint_eq(h.tlv_len, 0);
	b[12] = 0x21;
	ck_assert_int_eq(parse(b, 19, &h), -EINVAL);
	memcpy(b, SIG "\x20\x21\x00\x04" "\x01\x02\x03\x04", 20);
	check_prefixes(b, 20);
	ck_assert_int_eq(parse(b, 20, &h), 20);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.socktype, 0);
	ck_assert_uint_eq(h.tlv_len, 0);
	b[12] = 0x21;
	ck_assert_int_eq(parse(b, 20, &h), -EINVAL);
}
END_TEST

START_TEST(test_v2_unspec_proxy)
{
	/* PROXY with family UNSPEC: valid, the real addresses stand. */
	static const uint8_t b[] = SIG "\x21\x00\x00\x05" "\x04\x00\x02xy";
	struct pp_header h;

	check_prefixes(b, sizeof(b) - 1);
	ck_assert_int_eq(parse(b, sizeof(b) - 1, &h), 21);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(h.socktype, 0);
	ck_assert_int_eq(h.src.len, 0);
	ck_assert_uint_eq(h.tlv_len, 5);
}
END_TEST

START_TEST(test_v2_tlvs)
{
	struct mio_addr s = addr("192.0.2.1:1"), d = addr("192.0.2.2:2");
	struct pp_tlv_iter it;
	struct pp_header h;
	const uint8_t *v;
	uint8_t b[256], t;
	uint16_t vn;
	ssize_t n;

	n = pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, some_tlvs,
	    SOME_TLVS_LEN, 1);
	ck_assert_int_eq(parse(b, (size_t)n, &h), n);
	it.p = h.tlv;
	it.end = h.tlv + h.tlv_len;
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), 1);
	ck_assert_int_eq(t, PP2_TYPE_ALPN);
	ck_assert_int_eq(vn, 2);
	ck_assert_int_eq(memcmp(v, "h2", 2), 0);
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), 1);
	ck_assert_int_eq(t, PP2_TYPE_AUTHORITY);
	ck_assert_int_eq(vn, 11);
	ck_assert_int_eq(memcmp(v, "example.com", 11), 0);
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), 1);
	ck_assert_int_eq(t, PP2_TYPE_UNIQUE_ID);
	ck_assert_int_eq(vn, 4);
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), 1);
	ck_assert_int_eq(t, PP2_TYPE_CRC32C);
	ck_assert_int_eq(vn, 4);
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), 0);
	/* A walk over a cut TLV stops with -EINVAL. */
	it.p = some_tlvs;
	it.end = some_tlvs + 4;
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), -EINVAL);
	it.p = some_tlvs;
	it.end = some_tlvs + 2;
	ck_assert_int_eq(pp_tlv_next(&it, &t, &v, &vn), -EINVAL);
}
END_TEST

START_TEST(test_v2_crc)
{
	struct mio_addr s = addr("[2001:db8::5]:1"), d = addr("[::1]:2");
	struct pp_header h;
	uint8_t b[256];
	ssize_t n, i;

	/* RFC 3720's check value. */
	ck_assert_uint_eq(pp_crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(pp_crc32c(pp_crc32c(0, "1234", 4), "56789", 5),
	    0xe3069283u);
	n = pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, some_tlvs,
	    SOME_TLVS_LEN, 1);
	ck_assert_int_eq(parse(b, (size_t)n, &h), n);
	/*
	 * Any bit changed past the fixed part: a CRC mismatch (but for the
	 * CRC TLV's own type: that makes it a TLV of another type, and the
	 * header one with no CRC, which nothing can tell).
	 */
	for (i = PP_V2_HDR; i < n; i++) {
		if (i == n - 7)
			continue;
		b[i] ^= 0x20;
		ck_assert_msg(parse(b, (size_t)n, &h) == -EINVAL, "byte %zd",
		    i);
		b[i] ^= 0x20;
	}
	ck_assert_int_eq(parse(b, (size_t)n, &h), n);
}
END_TEST

struct v2_bad {
	const char	*why;
	const char	*b;
	size_t		 n;
};
#define BAD(why, s)	{ why, s, sizeof(s) - 1 }
#define IN4		"\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"

static const struct v2_bad v2_bad[] = {
	BAD("signature", "\r\n\r\n\0\r\nQUIT\r"),
	BAD("signature", "\r\r"),
	BAD("command 2", SIG "\x22\x11\x00\x0c" IN4),
	BAD("command 15", SIG "\x2f\x11\x00\x0c" IN4),
	BAD("family 4", SIG "\x21\x41\x00\x0c" IN4),
	BAD("transport 3", SIG "\x21\x13\x00\x0c" IN4),
	BAD("INET, no transport", SIG "\x21\x10\x00\x0c" IN4),
	BAD("UNSPEC with STREAM", SIG "\x21\x01\x00\x00"),
	BAD("short INET", SIG "\x21\x11\x00\x0b" IN4),
	BAD("short INET6", SIG "\x21\x21\x00\x0c" IN4),
	BAD("short UNIX", SIG "\x21\x31\x00\x0c" IN4),
	BAD("cut TLV", SIG "\x21\x11\x00\x0e" IN4 "\x01\x00"),
	BAD("TLV past length", SIG "\x21\x11\x00\x10" IN4 "\x01\x00\x02h"),
	BAD("CRC length 3", SIG "\x21\x11\x00\x12" IN4 "\x03\x00\x03xyz"),
	BAD("CRC wrong", SIG "\x21\x11\x00\x13" IN4 "\x03\x00\x04wxyz"),
	BAD("UNIQUE_ID 129", SIG "\x21\x00\x00\x84" "\x05\x00\x81"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "x"),
	BAD("SSL short", SIG "\x21\x00\x00\x07" "\x20\x00\x04\x01\x00\x00\x00"),
	BAD("SSL cut sub-TLV", SIG "\x21\x00\x00\x0a"
	    "\x20\x00\x07\x01\x00\x00\x00\x00\x21\x00"),
};

START_TEST(test_v2_malformed)
{
	const struct v2_bad *t = &v2_bad[_i];
	struct pp_header h;
	size_t i;
	ssize_t r = 0;

	ck_assert_msg(parse(t->b, t->n, &h) == -EINVAL, "%s: %zd", t->why,
	    parse(t->b, t->n, &h));
	for (i = 0; i <= t->n && r == 0; i++)
		r = parse(t->b, i, &h);
	ck_assert_msg(r == -EINVAL, "%s: %zd", t->why, r);
}
END_TEST

START_TEST(test_v2_sizes)
{
	static uint8_t b[PP_V2_MAX + 16], tlv[PP_V2_MAX];
	struct mio_addr s = addr("192.0.2.1:1"), d = addr("192.0.2.2:2");
	struct pp_header h;
	size_t tn = 65535 - 12 - 7;
	ssize_t n;

	/* The largest header there is: one NOOP TLV filling the length. */
	tlv[0] = PP2_TYPE_NOOP;
	tlv[1] = (uint8_t)((tn - 3) >> 8);
	tlv[2] = (uint8_t)(tn - 3);
	n = pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, tlv, tn, 1);
	ck_assert_int_eq(n, PP_V2_MAX);
	ck_assert_int_eq(pp_parse(b, sizeof(b), ANY, PP_V2_MAX, &h),
	    PP_V2_MAX);
	ck_assert_int_eq(pp_parse(b, sizeof(b), ANY, PP_V2_MAX * 2, &h),
	    PP_V2_MAX);
	ck_assert_int_eq(pp_parse(b, PP_V2_MAX - 1, ANY, PP_V2_MAX, &h), 0);
	/* Over the caller's cap: known once the length is. */
	ck_assert_int_eq(pp_parse(b, sizeof(b), ANY, 1024, &h), -EMSGSIZE);
	ck_assert_int_eq(pp_parse(b, 15, ANY, 1024, &h), 0);
	ck_assert_int_eq(pp_parse(b, 16, ANY, 1024, &h), -EMSGSIZE);
	ck_assert_int_eq(pp_parse(b, 16, ANY, PP_V2_MAX - 1, &h),
	    -EMSGSIZE);
	/* The writer will not make more than the spec's length holds. */
	ck_assert_int_eq(pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, tlv,
	    tn + 1, 1), -EMSGSIZE);
	ck_assert_int_eq(pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, tlv,
	    tn, 0), PP_V2_MAX - 7);
	/* A cap at the exact size is enough. */
	n = pp_write_v2(b, sizeof(b), SOCK_STREAM, &s, &d, NULL, 0, 0);
	ck_assert_int_eq(pp_parse(b, (size_t)n, ANY, (size_t)n, &h), n);
	ck_assert_int_eq(pp_parse(b, (size_t)n, ANY, (size_t)n - 1, &h),
	    -EMSGSIZE);
}
END_TEST

START_TEST(test_v2_unix_forms)
{
	uint8_t b[300];
	struct pp_header h;
	size_t off = offsetof(struct sockaddr_un, sun_path);

	/* A path filling all 108 bytes, an unnamed socket. */
	memcpy(b, SIG "\x21\x31\x00\xd8", 16);
	memset(b + 16, 'p', 108);
	memset(b + 16 + 108, 0, 108);
	ck_assert_int_eq(parse(b, 16 + 216, &h), 16 + 216);
	if (sizeof(h.src.u.un.sun_path) >= 108)
		ck_assert_uint_eq(h.src.len, off + 108);
	ck_assert_uint_eq(h.dst.len, off);
	/* Bytes after a path's NUL are padding, whatever they are. */
	memcpy(b + 16, "/a\0zzz", 6);
	ck_assert_int_eq(parse(b, 16 + 216, &h), 16 + 216);
	ck_assert_uint_eq(h.src.len, off + 3);
	ck_assert_str_eq(h.src.u.un.sun_path, "/a");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pp");
	TCase *tc = tcase_create("pp");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_v1_round_trip, 0, 4);
	tcase_add_test(tc, test_v1_unknown);
	tcase_add_loop_test(tc, test_v1_spec_examples, 0, 5);
	tcase_add_test(tc, test_v1_addresses);
	tcase_add_loop_test(tc, test_v1_malformed, 0,
	    sizeof(v1_bad) / sizeof(v1_bad[0]));
	tcase_add_test(tc, test_v1_too_long);
	tcase_add_test(tc, test_versions_not_accepted);
	tcase_add_loop_test(tc, test_v2_round_trip, 0, 8);
	tcase_add_test(tc, test_v2_local);
	tcase_add_test(tc, test_v2_unspec_proxy);
	tcase_add_test(tc, test_v2_tlvs);
	tcase_add_test(tc, test_v2_crc);
	tcase_add_loop_test(tc, test_v2_malformed, 0,
	    sizeof(v2_bad) / sizeof(v2_bad[0]));
	tcase_add_test(tc, test_v2_sizes);
	tcase_add_test(tc, test_v2_unix_forms);
	suite_add_tcase(s, tc);
	return tap_main(s);
}
