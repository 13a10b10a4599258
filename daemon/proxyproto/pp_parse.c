/*
 * The PROXY protocol's parser (see pp.h).  Each step looks only at bytes
 * below len, and decides as soon as the bytes there decide: a wrong
 * byte is -EINVAL where it stands, whatever follows, so a header split
 * anywhere gives the same answer as the whole one (or 0 before the end).
 *
 * v1 is one line: "PROXY " TCP4|TCP6 SP src SP dst SP sport SP dport
 * CRLF, or "PROXY UNKNOWN" and anything up to CRLF, at most 107 bytes.
 * v2 is a 16-byte fixed part (signature, version and command, family
 * and transport, length) and that many bytes of addresses and TLVs.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "proxyproto/pp.h"

#define PP_V1_SIG	"PROXY "
#define PP_V1_SIGLEN	6
const uint8_t pp_v2_sig[PP_V2_SIGLEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* The fields of a v1 line after "PROXY ", in order. */
enum pp_field { PP_F_PROTO, PP_F_SRC, PP_F_DST, PP_F_SPORT, PP_F_DPORT };

struct pp_v1 {
	int	 family;	/* AF_INET, AF_INET6, AF_UNSPEC (UNKNOWN), -1 */
	int	 field;		/* the next pp_field */
};

/* Compares the n bytes there are with the front of what they must be. */
static int
pp_prefix(const uint8_t *b, size_t len, const void *want, size_t wlen)
{
	return memcmp(b, want, len < wlen ? len : wlen) == 0;
}

/*
 * A v1 port: 0 to 65535 in decimal, no leading zero.  partial: only the
 * front of the field is there.  Returns the port or -EINVAL.
 */
static long
pp_v1_port(const uint8_t *s, size_t n, int partial)
{
	long v = 0;
	size_t i;

	if (n == 0)
		return partial ? 0 : -EINVAL;
	if (n > 5 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	return v > 65535 ? -EINVAL : v;
}

/*
 * A v1 IPv4 address: exactly four numbers 0..255 in decimal, one dot
 * between each, no leading zero (the spec's guard against octal).
 */
static int
pp_v1_ip4(const uint8_t *s, size_t n, int partial, struct in_addr *out)
{
	unsigned v = 0, dots = 0, digits = 0;
	uint8_t q[4];
	size_t i;

	if (n > 15)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (digits == 0 || ++dots > 3)
				return -EINVAL;
			q[dots - 1] = (uint8_t)v;
			v = digits = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || (digits > 0 && v == 0))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (++digits > 3 || v > 255)
			return -EINVAL;
	}
	if (partial)
		return 0;
	if (dots != 3 || digits == 0)
		return -EINVAL;
	q[3] = (uint8_t)v;
	memcpy(out, q, 4);
	return 0;
}

/*
 * A v1 IPv6 address: hex groups and colons with at most one "::", as
 * inet_pton(3) reads them (an IPv4 tail too, as inet_ntop(3) writes a
 * mapped address), and no scope: a zone means nothing to the next hop.
 */
static int
pp_v1_ip6(const uint8_t *s, size_t n, int partial, struct in6_addr *out)
{
	char text[INET6_ADDRSTRLEN];
	size_t i;

	if (n >= sizeof(text))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF:.", s[i]) == NULL ||
		    s[i] == '\0')
			return -EINVAL;
	if (partial)
		return 0;
	memcpy(text, s, n);
	text[n] = '\0';
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -EINVAL;
}

/* The protocol field: TCP4, TCP6 or UNKNOWN (or the front of one). */
static int
pp_v1_proto(const uint8_t *s, size_t n, int partial, struct pp_v1 *st)
{
	static const struct {
		const char	*name;
		int		 family;
	} protos[] = {
		{ "TCP4", AF_INET }, { "TCP6", AF_INET6 },
		{ "UNKNOWN", AF_UNSPEC },
	};
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (n > strlen(protos[i].name) ||
		    memcmp(s, protos[i].name, n) != 0)
			continue;
		if (n == strlen(protos[i].name)) {
			st->family = protos[i].family;
			return 0;
		}
		if (partial)
			return 0;
	}
	return -EINVAL;
}

static void
pp_v1_port_set(struct mio_addr *a, long port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = htons((uint16_t)port);
	else
		a->u.in6.sin6_port = htons((uint16_t)port);
}

/* Checks one field [s, s + n); fills *out when it is whole. */
static int
pp_v1_field(const uint8_t *s, size_t n, int partial, struct pp_v1 *st,
    struct pp_header *out)
{
	struct mio_addr *a;
	long port;

	if (st->field == PP_F_PROTO)
		return pp_v1_proto(s, n, partial, st);
	if (st->field == PP_F_SPORT || st->field == PP_F_DPORT) {
		if ((port = pp_v1_port(s, n, partial)) < 0)
			return -EINVAL;
		if (!partial)
			pp_v1_port_set(st->field == PP_F_SPORT ? &out->src :
			    &out->dst, port);
		return 0;
	}
	a = st->field == PP_F_SRC ? &out->src : &out->dst;
	if (st->family == AF_INET) {
		a->len = sizeof(a->u.in4);
		a->u.in4.sin_family = AF_INET;
		return pp_v1_ip4(s, n, partial, &a->u.in4.sin_addr);
	}
	a->len = sizeof(a->u.in6);
	a->u.in6.sin6_family = AF_INET6;
	return pp_v1_ip6(s, n, partial, &a->u.in6.sin6_addr);
}

/*
 * The fields of b[PP_V1_SIGLEN..end): single spaces between them, none
 * empty.  whole: end is the line's CR (else the data ran out there).
 */
static int
pp_v1_fields(const uint8_t *b, size_t end, int whole, struct pp_header *out)
{
	struct pp_v1 st = { -1, PP_F_PROTO };
	size_t i = PP_V1_SIGLEN, s;

	for (;;) {
		if (st.field > PP_F_DPORT)
			return -EINVAL;		/* a sixth field */
		for (s = i; i < end && b[i] != ' '; i++)
			;
		if (pp_v1_field(b + s, i - s, i == end && !whole, &st,
		    out) < 0)
			return -EINVAL;
		st.field++;
		if (st.family == AF_UNSPEC && st.field > PP_F_PROTO)
			return 0;		/* UNKNOWN: the rest is free */
		if (i == end)
			break;
		i++;				/* the space */
		if (i == end && whole)
			return -EINVAL;		/* a space before CR */
	}
	return !whole || st.field > PP_F_DPORT ? 0 : -EINVAL;
}

static ssize_t
pp_v1_parse(const uint8_t *b, size_t len, struct pp_header *out)
{
	size_t n = len < PP_V1_MAX ? len : PP_V1_MAX, end;
	int whole;

	for (end = PP_V1_SIGLEN; end < n; end++)
		if (b[end] == '\r' || b[end] == '\n')
			break;
	if (end < n && b[end] == '\n')
		return -EINVAL;			/* LF without CR */
	/*
	 * Bytes from PP_V1_MAX on are never looked at: were they, a CR at
	 * 106 would be -EMSGSIZE in a short input, -EINVAL in a long one.
	 */
	if (end < n && end + 1 < len && end + 1 < PP_V1_MAX &&
	    b[end + 1] != '\n')
		return -EINVAL;			/* CR without LF */
	/* The CR counts as seen only if its LF fits in PP_V1_MAX. */
	whole = end < n && end + 2 <= PP_V1_MAX;
	memset(out, 0, sizeof(*out));
	out->version = 1;
	if (pp_v1_fields(b, end, whole, out) < 0)
		return -EINVAL;
	if (end + 2 > PP_V1_MAX)
		return n < PP_V1_MAX ? 0 : -EMSGSIZE;
	if (end + 1 >= len)
		return 0;			/* the LF is still to come */
	if (out->src.len == 0)
		out->local = 1;			/* UNKNOWN */
	else
		out->socktype = SOCK_STREAM;
	return (ssize_t)(end + 2);
}

/* The v2 family and transport byte: the spec's list, no other. */
static int
pp_v2_family(uint8_t fam, size_t *block, int *socktype)
{
	switch (fam >> 4) {
	case 0x0:
		*block = 0;
		break;
	case 0x1:
		*block = PP_V2_ADDR_INET;
		break;
	case 0x2:
		*block = PP_V2_ADDR_INET6;
		break;
	case 0x3:
		*block = PP_V2_ADDR_UNIX;
		break;
	default:
		return -EINVAL;
	}
	if ((fam & 0x0f) == 0x1)
		*socktype = SOCK_STREAM;
	else if ((fam & 0x0f) == 0x2)
		*socktype = SOCK_DGRAM;
	else
		*socktype = 0;
	/* UNSPEC goes with UNSPEC only, a family with a transport only. */
	if ((fam >> 4 == 0) != (*socktype == 0))
		return -EINVAL;
	return 0;
}

/*
 * A Unix address: 108 bytes of sun_path.  A path ends at its NUL (or
 * fills all 108); an abstract name (a leading NUL) ends at its last
 * non-NUL byte, as the sender's padding is no part of it; all NULs is
 * the unnamed socket.
 */
static int
pp_v2_unix(const uint8_t *p, struct mio_addr *a)
{
	size_t n;

	if (p[0] != 0) {
		n = strnlen((const char *)p, PP_SUN_LEN);
		if (n < PP_SUN_LEN)
			n++;			/* the NUL */
	} else
		for (n = PP_SUN_LEN; n > 0 && p[n - 1] == 0; n--)
			;
	if (n > sizeof(a->u.un.sun_path))
		return -EINVAL;			/* more than this OS holds */
	a->u.un.sun_family = AF_UNIX;
	memcpy(a->u.un.sun_path, p, n);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

static int
pp_v2_addrs(const uint8_t *p, uint8_t fam, struct pp_header *out)
{
	struct mio_addr *s = &out->src, *d = &out->dst;

	switch (fam >> 4) {
	case 0x1:
		s->len = d->len = sizeof(s->u.in4);
		s->u.in4.sin_family = d->u.in4.sin_family = AF_INET;
		memcpy(&s->u.in4.sin_addr, p, 4);
		memcpy(&d->u.in4.sin_addr, p + 4, 4);
		memcpy(&s->u.in4.sin_port, p + 8, 2);
		memcpy(&d->u.in4.sin_port, p + 10, 2);
		return 0;
	case 0x2:
		s->len = d->len = sizeof(s->u.in6);
		s->u.in6.sin6_family = d->u.in6.sin6_family = AF_INET6;
		memcpy(&s->u.in6.sin6_addr, p, 16);
		memcpy(&d->u.in6.sin6_addr, p + 16, 16);
		memcpy(&s->u.in6.sin6_port, p + 32, 2);
		memcpy(&d->u.in6.sin6_port, p + 34, 2);
		return 0;
	case 0x3:
		if (pp_v2_unix(p, s) < 0 || pp_v2_unix(p + PP_SUN_LEN, d) < 0)
			return -EINVAL;
		return 0;
	default:
		return 0;			/* UNSPEC: no addresses */
	}
}

int
pp_tlv_next(struct pp_tlv_iter *it, uint8_t *type, const uint8_t **val,
    uint16_t *vlen)
{
	size_t left = (size_t)(it->end - it->p), n;

	if (left == 0)
		return 0;
	if (left < 3)
		return -EINVAL;
	n = (size_t)it->p[1] << 8 | it->p[2];
	if (n > left - 3)
		return -EINVAL;
	*type = it->p[0];
	*val = it->p + 3;
	*vlen = (uint16_t)n;
	it->p += 3 + n;
	return 1;
}

/* The SSL TLV: client bits, verify result, then sub-TLVs, whole. */
static int
pp_v2_ssl(const uint8_t *v, uint16_t n)
{
	struct pp_tlv_iter it;
	const uint8_t *sv;
	uint16_t sn;
	uint8_t st;
	int r;

	if (n < 5)
		return -EINVAL;
	it.p = v + 5;
	it.end = v + n;
	while ((r = pp_tlv_next(&it, &st, &sv, &sn)) > 0)
		;
	return r;
}

/*
 * The TLVs of a whole header h[0..hlen): each inside the length, the
 * spec's bounds kept (one CRC32C of 4 bytes, a UNIQUE_ID of 128 at
 * most, an SSL TLV's own sub-TLVs), and the CRC32C, if any, matching
 * the header computed with its value as zeros.
 */
static int
pp_v2_tlvs(const uint8_t *h, size_t hlen, const uint8_t *tlv, size_t n)
{
	static const uint8_t zero[4];
	struct pp_tlv_iter it = { tlv, tlv + n };
	const uint8_t *v, *crcv = NULL;
	uint32_t crc;
	uint16_t vn;
	uint8_t t;
	int r;

	while ((r = pp_tlv_next(&it, &t, &v, &vn)) > 0) {
		if (t == PP2_TYPE_CRC32C && (vn != 4 || crcv != NULL))
			return -EINVAL;
		if (t == PP2_TYPE_CRC32C)
			crcv = v;
		if (t == PP2_TYPE_UNIQUE_ID && vn > PP2_UNIQUE_ID_MAX)
			return -EINVAL;
		if (t == PP2_TYPE_SSL && pp_v2_ssl(v, vn) < 0)
			return -EINVAL;
	}
	if (r < 0 || crcv == NULL)
		return r;
	crc = pp_crc32c(0, h, (size_t)(crcv - h));
	crc = pp_crc32c(crc, zero, 4);
	crc = pp_crc32c(crc, crcv + 4, hlen - (size_t)(crcv - h) - 4);
	if (crc != ((uint32_t)crcv[0] << 24 | (uint32_t)crcv[1] << 16 |
	    (uint32_t)crcv[2] << 8 | crcv[3]))
		return -EINVAL;
	return 0;
}

/* The fixed part, as far as len goes: 0 if it is all there and valid. */
static ssize_t
pp_v2_fixed(const uint8_t *b, size_t len, unsigned accept, size_t cap,
    size_t *block, int *socktype)
{
	size_t hlen;
	int local, fam;

	*block = 0;
	*socktype = 0;
	if (!pp_prefix(b, len, pp_v2_sig, PP_V2_SIGLEN))
		return -EINVAL;
	if (len < PP_V2_SIGLEN)
		return 1;
	if (!(accept & PP_ACCEPT_V2))
		return -EPROTO;
	if (len < PP_V2_SIGLEN + 1)
		return 1;
	if (b[12] >> 4 != 2)
		return -EPROTO;
	if ((b[12] & 0x0f) > 1)
		return -EINVAL;			/* neither LOCAL nor PROXY */
	if (len < PP_V2_SIGLEN + 2)
		return 1;
	local = (b[12] & 0x0f) == 0;
	fam = pp_v2_family(b[13], block, socktype) == 0;
	if (!fam && !local)
		return -EINVAL;
	if (len < PP_V2_HDR)
		return 1;
	hlen = PP_V2_HDR + ((size_t)b[14] << 8 | b[15]);
	if (!fam || hlen < PP_V2_HDR + *block) {
		if (!local)
			return -EINVAL;		/* too short for the family */
		/*
		 * LOCAL: "the receiver must accept this connection as valid
		 * and ... discard the protocol block including the family
		 * which is ignored".  A family of the list, with room for
		 * its addresses, still has its TLVs checked; any other
		 * block is opaque, ignored whole.
		 */
		*block = hlen - PP_V2_HDR;
		*socktype = 0;
	}
	if (hlen > (cap < PP_V2_MAX ? cap : PP_V2_MAX))
		return -EMSGSIZE;
	return len < hlen ? 1 : 0;
}

static ssize_t
pp_v2_parse(const uint8_t *b, size_t len, unsigned accept, size_t cap,
    struct pp_header *out)
{
	size_t block = 0, hlen;
	int socktype = 0;
	ssize_t r;

	if ((r = pp_v2_fixed(b, len, accept, cap, &block, &socktype)) != 0)
		return r > 0 ? 0 : r;
	hlen = PP_V2_HDR + ((size_t)b[14] << 8 | b[15]);
	if (pp_v2_tlvs(b, hlen, b + PP_V2_HDR + block,
	    hlen - PP_V2_HDR - block) < 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->local = (b[12] & 0x0f) == 0;
	out->socktype = socktype;
	out->tlv = b + PP_V2_HDR + block;
	out->tlv_len = hlen - PP_V2_HDR - block;
	/* LOCAL: the block is checked, but the real addresses stand. */
	if (!out->local && pp_v2_addrs(b + PP_V2_HDR, b[13], out) < 0)
		return -EINVAL;
	return (ssize_t)hlen;
}

ssize_t
pp_parse(const uint8_t *buf, size_t len, unsigned accept, size_t v2_cap,
    struct pp_header *out)
{
	if (len == 0)
		return 0;
	if (buf[0] == pp_v2_sig[0])
		return pp_v2_parse(buf, len, accept, v2_cap, out);
	if (!pp_prefix(buf, len, PP_V1_SIG, PP_V1_SIGLEN))
		return -EINVAL;
	if (len < PP_V1_SIGLEN)
		return 0;
	if (!(accept & PP_ACCEPT_V1))
		return -EPROTO;
	return pp_v1_parse(buf, len, out);
}
