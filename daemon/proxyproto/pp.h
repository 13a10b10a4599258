/*
 * The PROXY protocol (haproxy's doc/proxy-protocol.txt), versions 1 and
 * 2: a header a proxy puts before a connection's data (or, v2 only,
 * before each datagram) to tell the next hop who the client was.
 *
 * The parser is incremental, bounded and strict: a header may arrive in
 * pieces (a valid prefix asks for more bytes, so a caller reads again
 * and parses the whole buffer again), it never needs more than
 * PP_V1_MAX or the caller's v2 cap, and it refuses anything the
 * specification does not allow, at the first byte that shows it: a
 * client that is no proxy at all is refused by its first bytes, not at
 * a timeout.  It keeps nothing between calls and allocates nothing; the
 * TLVs it returns point into the caller's buffer.
 *
 * The writers make what the parser accepts (the unit tests and the
 * fuzzer check the round trip).
 *
 * Foundation layer: this folder includes only its own headers, addr.h
 * and <mio.h>.
 */
#ifndef MIOPROXY_PP_H
#define MIOPROXY_PP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <mio.h>

#define PP_V1_MAX	107		/* a whole v1 line, CRLF included */
#define PP_V2_HDR	16		/* v2 fixed part */
#define PP_V2_MAX	(16 + 65535)
#define PP_ACCEPT_V1	0x1u
#define PP_ACCEPT_V2	0x2u

/* v2 address block sizes (after the fixed part), by family. */
#define PP_V2_ADDR_INET		12	/* 2 x 4 bytes, 2 x 2 ports */
#define PP_V2_ADDR_INET6	36	/* 2 x 16 bytes, 2 x 2 ports */
#define PP_V2_ADDR_UNIX		216	/* 2 x 108 bytes of sun_path */
#define PP_SUN_LEN		108	/* one Unix address in v2, whatever the OS's */

/* v2's signature, the first 12 bytes of every header (pp_parse.c). */
#define PP_V2_SIGLEN	12
extern const uint8_t pp_v2_sig[PP_V2_SIGLEN];

/* v2 TLV types the daemon knows by name. */
#define PP2_TYPE_ALPN		0x01
#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_CRC32C		0x03
#define PP2_TYPE_NOOP		0x04
#define PP2_TYPE_UNIQUE_ID	0x05
#define PP2_TYPE_SSL		0x20
#define PP2_TYPE_NETNS		0x30

#define PP2_UNIQUE_ID_MAX	128	/* the spec's bound on UNIQUE_ID */

struct pp_header {
	int		 version;	/* 1 or 2 */
	/* v2 LOCAL, or v1 UNKNOWN: keep the real addresses */
	int		 local;
	/* SOCK_STREAM, SOCK_DGRAM, or 0 (UNSPEC / v1 UNKNOWN) */
	int		 socktype;
	/* len 0 when local or family UNSPEC */
	struct mio_addr	 src, dst;
	/* v2: the TLV area, inside the caller's buffer */
	const uint8_t	*tlv;
	size_t		 tlv_len;
};

/*
 * Parses the front of buf[0..len).  Returns the header's length (> 0)
 * with *out filled; 0 if more bytes are needed (what is there is a
 * valid prefix, and len < the maximum); -EINVAL malformed (any rule of
 * the spec broken, including a CRC32c TLV that does not match);
 * -EMSGSIZE a v2 header longer than v2_cap (v2_cap <= PP_V2_MAX) or a
 * v1 line past PP_V1_MAX; -EPROTO a valid signature of a version not
 * in `accept`.  Never reads past len.
 *
 * v2's family and transport byte must be one of the spec's list
 * (UNSPEC 0x00; TCP and UDP over IPv4 0x11, 0x12, over IPv6 0x21, 0x22;
 * Unix stream and datagram 0x31, 0x32) and the length must hold its
 * addresses, but for LOCAL, whose family the spec says is ignored: a
 * LOCAL block of another family, or too short for its own, is taken
 * whole as opaque (no TLVs, socktype 0).  A header whose family is
 * UNSPEC, or whose command is LOCAL, comes back with src and dst of
 * len 0 (and local set for LOCAL): the connection's own addresses
 * stand.  Its TLVs, after the family's address block, are checked all
 * the same.  Unix addresses are the 108 bytes of sun_path
 * the header carries: a path up to its NUL, an abstract name (a
 * leading NUL) up to its last non-NUL byte, all NULs the unnamed
 * socket.
 */
ssize_t	pp_parse(const uint8_t *buf, size_t len, unsigned accept,
	    size_t v2_cap, struct pp_header *out);

/*
 * TLV walk over a pp_header's tlv/tlv_len (it = { tlv, tlv + tlv_len }):
 * 1 with *type, *val and *vlen set, 0 at the end, -EINVAL malformed (a TLV
 * that runs past the end; pp_parse() has refused those already).
 */
struct pp_tlv_iter {
	const uint8_t	*p, *end;
};
int	pp_tlv_next(struct pp_tlv_iter *it, uint8_t *type,
	    const uint8_t **val, uint16_t *vlen);

/*
 * Writers: the header's length, or -ENOSPC.  src/dst NULL or of
 * different families -> v1 "PROXY UNKNOWN", v2 LOCAL/UNSPEC.  tlv: TLVs
 * to pass on, copied as given (the writer skips none; the caller
 * chooses which: ALPN 0x01, AUTHORITY 0x02, UNIQUE_ID 0x05, never a
 * CRC32C 0x03, which pp_write_v2 recomputes when asked by crc != 0).
 *
 * v1 carries TCP only: the line says TCP4 or TCP6 whatever the caller's
 * socket type, and UNKNOWN for Unix addresses.  v2 writes socktype
 * SOCK_STREAM or SOCK_DGRAM as such; any other socktype has no value in
 * the spec's list with a family, so it is written as LOCAL/UNSPEC too.
 * The longest v1 line is 104 bytes, the longest v2 header PP_V2_MAX: a
 * v2 header whose TLVs would make it longer is -EMSGSIZE.
 */
ssize_t	pp_write_v1(uint8_t *buf, size_t cap, const struct mio_addr *src,
	    const struct mio_addr *dst);
ssize_t	pp_write_v2(uint8_t *buf, size_t cap, int socktype,
	    const struct mio_addr *src, const struct mio_addr *dst,
	    const uint8_t *tlv, size_t tlv_len, int crc);

/* CRC32c (Castagnoli) of n bytes, continuing from crc (0 to start). */
uint32_t pp_crc32c(uint32_t crc, const void *p, size_t n);

#endif /* MIOPROXY_PP_H */
