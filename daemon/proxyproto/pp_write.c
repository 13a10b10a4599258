/*
 * The PROXY protocol's writers (see pp.h): what pp_parse() accepts, in
 * the forms the spec asks of senders (v1: inet_ntop(3)'s text, v2: the
 * family and transport byte from the spec's list, a CRC32C TLV last so
 * a receiver may check it without knowing the others).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "proxyproto/pp.h"

#define PP_CRC_TLV	7	/* type, length, 4 bytes of CRC */

/* The family both addresses share, AF_UNSPEC if none. */
static int
pp_family(const struct mio_addr *src, const struct mio_addr *dst)
{
	int f;

	if (src == NULL || dst == NULL || src->len < sizeof(sa_family_t) ||
	    dst->len < sizeof(sa_family_t) ||
	    src->u.sa.sa_family != dst->u.sa.sa_family)
		return AF_UNSPEC;
	f = src->u.sa.sa_family;
	if (f == AF_INET && src->len >= sizeof(struct sockaddr_in) &&
	    dst->len >= sizeof(struct sockaddr_in))
		return f;
	if (f == AF_INET6 && src->len >= sizeof(struct sockaddr_in6) &&
	    dst->len >= sizeof(struct sockaddr_in6))
		return f;
	if (f == AF_UNIX)
		return f;
	return AF_UNSPEC;
}

ssize_t
pp_write_v1(uint8_t *buf, size_t cap, const struct mio_addr *src,
    const struct mio_addr *dst)
{
	char line[PP_V1_MAX + 1], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int f = pp_family(src, dst), n;

	if (f == AF_INET) {
		inet_ntop(AF_INET, &src->u.in4.sin_addr, s, sizeof(s));
		inet_ntop(AF_INET, &dst->u.in4.sin_addr, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n",
		    s, d, (unsigned)ntohs(src->u.in4.sin_port),
		    (unsigned)ntohs(dst->u.in4.sin_port));
	} else if (f == AF_INET6) {
		inet_ntop(AF_INET6, &src->u.in6.sin6_addr, s, sizeof(s));
		inet_ntop(AF_INET6, &dst->u.in6.sin6_addr, d, sizeof(d));
		n = snprintf(line, sizeof(line), "PROXY TCP6 %s %s %u %u\r\n",
		    s, d, (unsigned)ntohs(src->u.in6.sin6_port),
		    (unsigned)ntohs(dst->u.in6.sin6_port));
	} else
		n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");
	/* The longest (two full IPv6 texts, two 5-digit ports) is 104. */
	if (n < 0 || (size_t)n >= sizeof(line) || (size_t)n > cap)
		return -ENOSPC;
	memcpy(buf, line, (size_t)n);
	return n;
}

/* 108 bytes of sun_path: the address's bytes, then NULs. */
static void
pp_put_unix(uint8_t *p, const struct mio_addr *a)
{
	size_t off = offsetof(struct sockaddr_un, sun_path), n = 0;

	if (a->len > off)
		n = a->len - off;
	if (n > sizeof(a->u.un.sun_path))
		n = sizeof(a->u.un.sun_path);
	if (n > PP_SUN_LEN)
		n = PP_SUN_LEN;
	memset(p, 0, PP_SUN_LEN);
	memcpy(p, a->u.un.sun_path, n);
}

/* The address block of family f at p; returns its length. */
static size_t
pp_put_addrs(uint8_t *p, int f, const struct mio_addr *src,
    const struct mio_addr *dst)
{
	switch (f) {
	case AF_INET:
		memcpy(p, &src->u.in4.sin_addr, 4);
		memcpy(p + 4, &dst->u.in4.sin_addr, 4);
		memcpy(p + 8, &src->u.in4.sin_port, 2);
		memcpy(p + 10, &dst->u.in4.sin_port, 2);
		return PP_V2_ADDR_INET;
	case AF_INET6:
		memcpy(p, &src->u.in6.sin6_addr, 16);
		memcpy(p + 16, &dst->u.in6.sin6_addr, 16);
		memcpy(p + 32, &src->u.in6.sin6_port, 2);
		memcpy(p + 34, &dst->u.in6.sin6_port, 2);
		return PP_V2_ADDR_INET6;
	case AF_UNIX:
		pp_put_unix(p, src);
		pp_put_unix(p + PP_SUN_LEN, dst);
		return PP_V2_ADDR_UNIX;
	default:
		return 0;
	}
}

static size_t
pp_block(int f)
{
	return f == AF_INET ? PP_V2_ADDR_INET : f == AF_INET6 ?
	    PP_V2_ADDR_INET6 : f == AF_UNIX ? PP_V2_ADDR_UNIX : 0;
}

ssize_t
pp_write_v2(uint8_t *buf, size_t cap, int socktype,
    const struct mio_addr *src, const struct mio_addr *dst,
    const uint8_t *tlv, size_t tlv_len, int crc)
{
	int f = pp_family(src, dst);
	size_t body, at;
	uint32_t c;

	/* No transport to name: the addresses cannot be told either. */
	if (socktype != SOCK_STREAM && socktype != SOCK_DGRAM)
		f = AF_UNSPEC;
	body = pp_block(f) + tlv_len + (crc ? PP_CRC_TLV : 0);
	if (tlv_len > PP_V2_MAX || body > PP_V2_MAX - PP_V2_HDR)
		return -EMSGSIZE;
	if (PP_V2_HDR + body > cap)
		return -ENOSPC;
	memcpy(buf, pp_v2_sig, sizeof(pp_v2_sig));
	buf[12] = f == AF_UNSPEC ? 0x20 : 0x21;	/* v2 LOCAL, v2 PROXY */
	buf[13] = f == AF_UNSPEC ? 0x00 : (uint8_t)((f == AF_INET ? 0x10 :
	    f == AF_INET6 ? 0x20 : 0x30) | (socktype == SOCK_STREAM ? 1 : 2));
	buf[14] = (uint8_t)(body >> 8);
	buf[15] = (uint8_t)body;
	at = PP_V2_HDR + pp_put_addrs(buf + PP_V2_HDR, f, src, dst);
	if (tlv_len > 0)
		memcpy(buf + at, tlv, tlv_len);
	at += tlv_len;
	if (crc) {
		buf[at] = PP2_TYPE_CRC32C;
		buf[at + 1] = 0;
		buf[at + 2] = 4;
		memset(buf + at + 3, 0, 4);
		c = pp_crc32c(0, buf, at + PP_CRC_TLV);
		buf[at + 3] = (uint8_t)(c >> 24);
		buf[at + 4] = (uint8_t)(c >> 16);
		buf[at + 5] = (uint8_t)(c >> 8);
		buf[at + 6] = (uint8_t)c;
		at += PP_CRC_TLV;
	}
	return (ssize_t)at;
}
