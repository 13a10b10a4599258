/*
 * Fuzz target: addresses and the scalars of the configuration as text.
 * libmio's mio_addr_parse()/mio_addr_format()/mio_addr_cmp() (API.md,
 * "Addresses") and the daemon's value parsers (daemon/conf/value.c:
 * integers, durations, sizes, CIDRs, addresses, names), each given the
 * input as one C string.
 *
 * Beyond "no crash, no leak, no undefined behaviour":
 *  - what parses formats, within MIO_ADDR_STRLEN, and parses back to an
 *    equal address; a buffer too small gives -ENOSPC and "";
 *  - mio_addr_cmp() is an order: a == a, and cmp(a, b) == -cmp(b, a) on
 *    raw socket addresses made of the input's bytes, formatted too;
 *  - durations and sizes written back by conf_duration_str() and
 *    conf_size_str() parse to the same value;
 *  - a CIDR that parses has no bit set past its prefix;
 *  - every reason (`why`) is a terminated string within its buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf/value.h"
#include "fuzz.h"

#define ADDR_TEXTMAX	4096	/* longer text says nothing new */

static int
sign(int c)
{
	return (c > 0) - (c < 0);
}

static void
why_ok(const char *why)
{
	FUZZ_ASSERT(memchr(why, '\0', CONF_WHYMAX) != NULL);
}

/* mio_addr_parse(), then format and parse again. */
static void
fuzz_mio_addr(const char *text)
{
	struct mio_addr a, b;
	char buf[MIO_ADDR_STRLEN], small[MIO_ADDR_STRLEN];
	size_t size;
	int n, m;

	if (mio_addr_parse(&a, text) != 0)
		return;
	FUZZ_ASSERT(a.len > 0 && a.len <= sizeof(a.u));
	FUZZ_ASSERT(mio_addr_cmp(&a, &a) == 0 && mio_addr_equal(&a, &a));
	n = mio_addr_format(&a, buf, sizeof(buf));
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(buf));
	FUZZ_ASSERT(strlen(buf) == (size_t)n);
	for (size = 0; size <= (size_t)n; size++) {
		memset(small, 'x', sizeof(small));
		m = mio_addr_format(&a, size > 0 ? small : NULL, size);
		FUZZ_ASSERT(m == -ENOSPC);
		FUZZ_ASSERT(size == 0 || small[0] == '\0');
	}
	FUZZ_ASSERT(mio_addr_parse(&b, buf) == 0);
	FUZZ_ASSERT(mio_addr_equal(&a, &b));
}

/* Two socket addresses made of raw bytes: format and compare. */
static void
fuzz_raw_addrs(const uint8_t *data, size_t size)
{
	struct mio_addr a, b;
	char buf[MIO_ADDR_STRLEN];
	int ab, ba, n;

	if (size < 2 * sizeof(a))
		return;
	memcpy(&a, data, sizeof(a));
	memcpy(&b, data + sizeof(a), sizeof(b));
	n = mio_addr_format(&a, buf, sizeof(buf));
	FUZZ_ASSERT(n == -EINVAL || n == -ENOSPC ||
	    (n >= 0 && strlen(buf) == (size_t)n));
	ab = mio_addr_cmp(&a, &b);
	ba = mio_addr_cmp(&b, &a);
	FUZZ_ASSERT(sign(ab) == -sign(ba));
	FUZZ_ASSERT(mio_addr_equal(&a, &b) == (ab == 0));
	FUZZ_ASSERT(mio_addr_cmp(&a, &a) == 0);
	FUZZ_ASSERT(mio_addr_cmp(NULL, &a) < 0 && mio_addr_cmp(&a, NULL) > 0);
}

static void
fuzz_numbers(const char *text)
{
	char why[CONF_WHYMAX], back[32], why2[CONF_WHYMAX];
	int64_t v, w;

	if (conf_parse_int(text, &v) == 0)
		FUZZ_ASSERT(text[0] != '\0');
	memset(why, 0, sizeof(why));
	if (conf_parse_duration(text, &v, why, sizeof(why)) == 0) {
		FUZZ_ASSERT(v >= 0);
		conf_duration_str(v, back, sizeof(back));
		FUZZ_ASSERT(conf_parse_duration(back, &w, why2,
		    sizeof(why2)) == 0 && w == v);
	} else
		why_ok(why);
	memset(why, 0, sizeof(why));
	if (conf_parse_size(text, &v, why, sizeof(why)) == 0) {
		FUZZ_ASSERT(v >= 0);
		conf_size_str(v, back, sizeof(back));
		FUZZ_ASSERT(conf_parse_size(back, &w, why2,
		    sizeof(why2)) == 0 && w == v);
	} else
		why_ok(why);
}

static void
fuzz_cidr(const char *text)
{
	struct conf_cidr c;
	char why[CONF_WHYMAX];
	unsigned bits, i;

	memset(why, 0, sizeof(why));
	if (conf_parse_cidr(text, &c, why, sizeof(why)) != 0) {
		why_ok(why);
		return;
	}
	FUZZ_ASSERT(c.family == AF_INET || c.family == AF_INET6);
	bits = c.family == AF_INET ? 32 : 128;
	FUZZ_ASSERT(c.prefix <= bits);
	for (i = c.prefix; i < bits; i++)
		FUZZ_ASSERT((c.addr[i / 8] & (0x80u >> (i % 8))) == 0);
}

static void
fuzz_conf_addr(const char *text)
{
	struct conf_addr_spec spec;
	struct conf_addrs v = { NULL, 0 };
	struct conf_pos pos = { 1, 1 };
	char why[CONF_WHYMAX];

	memset(why, 0, sizeof(why));
	if (conf_parse_addr(text, &spec, why, sizeof(why)) != 0) {
		why_ok(why);
		return;
	}
	if (spec.host[0] != '\0') {
		/* A name for the resolver: never empty, with a port. */
		FUZZ_ASSERT(strlen(spec.host) < sizeof(spec.host));
		FUZZ_ASSERT(spec.port >= 1);
		return;
	}
	FUZZ_ASSERT(spec.addr.len > 0);
	FUZZ_ASSERT(spec.addr.u.sa.sa_family == AF_INET ||
	    spec.addr.u.sa.sa_family == AF_INET6 ||
	    spec.addr.u.sa.sa_family == AF_UNIX);
	/* Pushed twice at one place: kept once. */
	FUZZ_ASSERT(conf_addrs_push(&v, &spec.addr, pos) == 0);
	FUZZ_ASSERT(conf_addrs_push(&v, &spec.addr, pos) == 0);
	FUZZ_ASSERT(v.n == 1);
	free(v.v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	size_t n = size < ADDR_TEXTMAX ? size : ADDR_TEXTMAX;

	/* Exactly the input's bytes, so that ASan sees any overread. */
	if ((text = malloc(n + 1)) == NULL)
		return 0;
	memcpy(text, data, n);
	text[n] = '\0';
	fuzz_mio_addr(text);
	fuzz_numbers(text);
	fuzz_cidr(text);
	fuzz_conf_addr(text);
	(void)conf_is_name(text);
	free(text);
	fuzz_raw_addrs(data, size);
	return 0;
}
