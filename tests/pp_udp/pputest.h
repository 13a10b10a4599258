/*
 * Helpers of the PROXY-over-UDP suite: v2 headers written by hand (not
 * by the daemon's writer, so that the two are checked against each
 * other), a DNS query builder, and the peers of Debian's packages.
 */
#ifndef PPUTEST_H
#define PPUTEST_H

#include "../stats/statstest.h"

#define PPU_CMD_LOCAL	0x0
#define PPU_CMD_PROXY	0x1
#define PPU_STREAM	0x1
#define PPU_DGRAM	0x2

static const uint8_t ppu_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/*
 * A v2 header into buf: cmd, transport, from src:sport to dst:dport
 * (IPv4 or IPv6 text, told by a colon; NULL src: family UNSPEC), then
 * extra bytes of TLV area (zeros) when tlv > 0.  Its length.
 */
static inline size_t
ppu_header(uint8_t *buf, int cmd, int transport, const char *src, int sport,
    const char *dst, int dport, size_t tlv)
{
	size_t alen = 0, off = 16;

	memcpy(buf, ppu_sig, 12);
	buf[12] = (uint8_t)(0x20 | cmd);
	if (src == NULL) {
		buf[13] = 0;
	} else if (strchr(src, ':') == NULL) {
		buf[13] = (uint8_t)(0x10 | transport);
		inet_pton(AF_INET, src, buf + 16);
		inet_pton(AF_INET, dst, buf + 20);
		buf[24] = (uint8_t)(sport >> 8), buf[25] = (uint8_t)sport;
		buf[26] = (uint8_t)(dport >> 8), buf[27] = (uint8_t)dport;
		alen = 12;
	} else {
		buf[13] = (uint8_t)(0x20 | transport);
		inet_pton(AF_INET6, src, buf + 16);
		inet_pton(AF_INET6, dst, buf + 32);
		buf[48] = (uint8_t)(sport >> 8), buf[49] = (uint8_t)sport;
		buf[50] = (uint8_t)(dport >> 8), buf[51] = (uint8_t)dport;
		alen = 36;
	}
	off += alen;
	if (tlv > 0) {
		/* NOOP TLVs (type 4), as padding. */
		size_t left = tlv;

		while (left >= 3) {
			size_t v = left - 3 > 1000 ? 1000 : left - 3;

			buf[off] = 0x04;
			buf[off + 1] = (uint8_t)(v >> 8);
			buf[off + 2] = (uint8_t)v;
			memset(buf + off + 3, 0, v);
			off += 3 + v;
			left -= 3 + v;
		}
	}
	buf[14] = (uint8_t)((off - 16) >> 8);
	buf[15] = (uint8_t)(off - 16);
	return off;
}

/* A UDP socket bound to addr (IPv4 or IPv6 text) on an ephemeral port. */
static inline int
ppu_socket_at(const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s: %s",
	    addr, strerror(errno));
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (port != NULL)
		*port = ntohs(family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* --- DNS ------------------------------------------------------------- */

/* A query for name (dots between labels), type A, RD set: its length. */
static inline size_t
ppu_dns_query(uint8_t *buf, uint16_t id, const char *name)
{
	size_t off = 12;
	const char *p = name;

	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8), buf[1] = (uint8_t)id;
	buf[2] = 0x01;			/* RD */
	buf[5] = 1;			/* QDCOUNT */
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		buf[off++] = (uint8_t)l;
		memcpy(buf + off, p, l);
		off += l;
		p += l + (dot != NULL);
	}
	buf[off++] = 0;
	buf[off++] = 0, buf[off++] = 1;	/* A */
	buf[off++] = 0, buf[off++] = 1;	/* IN */
	return off;
}

/* The RCODE of an answer, and its ANCOUNT in *an. */
static inline int
ppu_dns_rcode(const uint8_t *buf, ssize_t n, int *an)
{
	ck_assert_int_ge(n, 12);
	*an = buf[6] << 8 | buf[7];
	return buf[3] & 0x0f;
}

/* Whether a program is installed (in PATH or /usr/sbin). */
static inline int
ppu_have(const char *prog, char *path, size_t size)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin",
	    "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, size, "%s/%s", dirs[i], prog);
		if (access(path, X_OK) == 0)
			return 1;
	}
	return 0;
}

#endif /* PPUTEST_H */
