/*
 * FNV-1a, 64 bits: the daemon's one hash of bytes (session tables, the
 * source_hash balancer).  Fast on the few bytes of an address, and good
 * enough where the keys are not chosen to collide on purpose (clients
 * do not pick their session's bucket: the table grows with its load).
 */
#ifndef MIOPROXY_FNV_H
#define MIOPROXY_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

/* h folded with len bytes at p. */
static inline uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

#endif /* MIOPROXY_FNV_H */
