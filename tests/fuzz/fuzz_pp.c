/*
 * Fuzz target: the PROXY protocol's parser and writers (daemon/
 * proxyproto/), with the input as the first bytes of a connection.
 *
 * Beyond "no crash, no overread, no undefined behaviour", for every
 * accept mask and several v2 caps:
 *  - the answer is a length, 0, -EINVAL, -EMSGSIZE or -EPROTO; a length
 *    is within the input and the bound (PP_V1_MAX, the cap), of a
 *    version accepted, with its TLVs inside it; 0 only below the bound;
 *  - the input in two pieces (any prefix first, in a buffer of exactly
 *    its size, then the whole) gives the same answer: a prefix answers
 *    0 or what the whole answers;
 *  - a parsed header written again (v2 with its TLVs but the CRC32C,
 *    which the writer recomputes; v1 when the addresses are TCP's)
 *    parses to the same addresses, transport and TLVs.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto/pp.h"
#include "fuzz.h"

#define PP_SPLITS	160	/* every prefix up to this, then a few */

static const unsigned accepts[] = {
	0, PP_ACCEPT_V1, PP_ACCEPT_V2, PP_ACCEPT_V1 | PP_ACCEPT_V2
};
static const size_t caps[] = {
	0, PP_V2_HDR, 28, 52, 232, 536, PP_V2_MAX, PP_V2_MAX + 100
};

static size_t
bound(size_t cap)
{
	size_t v2 = cap < PP_V2_MAX ? cap : PP_V2_MAX;

	return v2 > PP_V1_MAX ? v2 : PP_V1_MAX;
}

/* The TLVs of h without its CRC32C; *crc set if it had one. */
static size_t
strip_crc(const struct pp_header *h, uint8_t *out, int *crc)
{
	struct pp_tlv_iter it = { h->tlv, h->tlv + h->tlv_len };
	const uint8_t *v;
	uint16_t vn;
	uint8_t t;
	size_t n = 0;
	int r;

	*crc = 0;
	while ((r = pp_tlv_next(&it, &t, &v, &vn)) > 0) {
		if (t == PP2_TYPE_CRC32C) {
			*crc = 1;
			continue;
		}
		memcpy(out + n, v - 3, (size_t)vn + 3);
		n += (size_t)vn + 3;
	}
	FUZZ_ASSERT(r == 0);
	return n;
}

static void
same_addrs(const struct pp_header *a, const struct pp_header *b)
{
	FUZZ_ASSERT(a->src.len == b->src.len && a->dst.len == b->dst.len);
	if (a->src.len > 0)
		FUZZ_ASSERT(mio_addr_equal(&a->src, &b->src));
	if (a->dst.len > 0)
		FUZZ_ASSERT(mio_addr_equal(&a->dst, &b->dst));
}

/* Writes h again (v2, and v1 where it can) and parses the result. */
static void
rewrite(const struct pp_header *h)
{
	static uint8_t buf[PP_V2_MAX + 8], tlv[PP_V2_MAX];
	struct pp_header b;
	size_t tn;
	ssize_t n;
	int crc, f = h->src.len > 0 ? h->src.u.sa.sa_family : AF_UNSPEC;

	if (h->local || h->src.len == 0)
		return;
	if (f == AF_INET || f == AF_INET6) {
		n = pp_write_v1(buf, PP_V1_MAX, &h->src, &h->dst);
		FUZZ_ASSERT(n > 0 && n <= PP_V1_MAX);
		FUZZ_ASSERT(pp_parse(buf, (size_t)n, PP_ACCEPT_V1, 0, &b) == n);
		same_addrs(h, &b);
		FUZZ_ASSERT(b.socktype == SOCK_STREAM);
	}
	if (h->version != 2)
		return;
	tn = strip_crc(h, tlv, &crc);
	n = pp_write_v2(buf, sizeof(buf), h->socktype, &h->src, &h->dst, tlv,
	    tn, crc);
	FUZZ_ASSERT(n > 0 && n <= PP_V2_MAX);
	FUZZ_ASSERT(pp_parse(buf, (size_t)n, PP_ACCEPT_V2, PP_V2_MAX, &b) ==
	    n);
	same_addrs(h, &b);
	FUZZ_ASSERT(b.socktype == h->socktype && !b.local);
	FUZZ_ASSERT(b.tlv_len == tn + (crc ? 7 : 0));
	FUZZ_ASSERT(tn == 0 || memcmp(b.tlv, tlv, tn) == 0);
}

static void
check_one(const uint8_t *data, size_t size, ssize_t r, unsigned accept,
    size_t cap, const struct pp_header *h)
{
	FUZZ_ASSERT(r >= 0 || r == -EINVAL || r == -EMSGSIZE ||
	    r == -EPROTO);
	if (r == 0)
		FUZZ_ASSERT(size < bound(cap) || size < PP_V2_HDR);
	if (r <= 0)
		return;
	FUZZ_ASSERT((size_t)r <= size);
	FUZZ_ASSERT(h->version == 1 || h->version == 2);
	FUZZ_ASSERT(accept & (h->version == 1 ? PP_ACCEPT_V1 : PP_ACCEPT_V2));
	if (h->version == 1) {
		FUZZ_ASSERT(r <= PP_V1_MAX && h->tlv_len == 0);
	} else {
		FUZZ_ASSERT((size_t)r <= cap && r <= PP_V2_MAX);
		FUZZ_ASSERT(h->tlv >= data + PP_V2_HDR &&
		    h->tlv + h->tlv_len == data + r);
	}
	if (h->local)
		FUZZ_ASSERT(h->src.len == 0 && h->dst.len == 0);
	FUZZ_ASSERT(h->src.len <= sizeof(h->src.u));
	FUZZ_ASSERT(h->dst.len <= sizeof(h->dst.u));
}

/* Any prefix first, in a buffer of exactly its size: 0 or the same. */
static void
split(const uint8_t *data, size_t k, unsigned accept, size_t cap,
    ssize_t whole)
{
	struct pp_header h;
	uint8_t *p;
	ssize_t r;

	if ((p = malloc(k + 1)) == NULL)
		return;
	memcpy(p, data, k);
	r = pp_parse(p, k, accept, cap, &h);
	check_one(p, k, r, accept, cap, &h);
	FUZZ_ASSERT(r == 0 || r == whole);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_header h;
	size_t a, c, k;
	ssize_t r;

	for (a = 0; a < sizeof(accepts) / sizeof(accepts[0]); a++)
		for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			r = pp_parse(data, size, accepts[a], caps[c], &h);
			check_one(data, size, r, accepts[a], caps[c], &h);
			if (r > 0 && a == 3 && c == 6)
				rewrite(&h);
			/* The pieces: all for the widest, a few otherwise. */
			for (k = 0; k < size && k <= PP_SPLITS; k++)
				if ((a == 3 && c == 6) || k == 1 ||
				    k == PP_V2_HDR)
					split(data, k, accepts[a], caps[c], r);
			split(data, size / 2, accepts[a], caps[c], r);
		}
	return 0;
}
