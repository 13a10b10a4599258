/*
 * The content of every stream and datagram, computed from a seed and an
 * offset (so neither side stores what it sent to check what comes back),
 * and the run's randomness, seeded once so that a run can be repeated.
 */
#include "config.h"

#include <string.h>

#include "soak.h"

/* splitmix64: each 8-byte word of a pattern is one step away from its
 * seed, so any offset is reached in constant time. */
static inline uint64_t
pat_word(uint64_t seed, uint64_t w)
{
	uint64_t z = seed + (w + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
pat_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		uint64_t x = pat_word(seed, off / 8);
		unsigned b = (unsigned)(off % 8);

		if (b == 0 && len >= 8) {
			unsigned char w[8];
			int i;

			for (i = 0; i < 8; i++)
				w[i] = (unsigned char)(x >> (8 * i));
			memcpy(p, w, 8);
			p += 8;
			off += 8;
			len -= 8;
			continue;
		}
		*p++ = (unsigned char)(x >> (8 * b));
		off++;
		len--;
	}
}

/* 0 when buf holds the pattern at off, else 1 + the first bad index. */
int
pat_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	unsigned char want[4096];
	const unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(want) ? len - done : sizeof(want);
		size_t i;

		pat_fill(seed, off + done, want, n);
		if (memcmp(want, p + done, n) != 0) {
			for (i = 0; want[i] == p[done + i]; i++)
				;
			return (int)(done + i + 1);
		}
		done += n;
	}
	return 0;
}

/* A stream: its header, then the pattern of its seed. */
void
stream_fill(const struct soak_hdr *h, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	if (off < SOAK_HDR) {
		size_t n = SOAK_HDR - off < len ? SOAK_HDR - off : len;

		memcpy(p, (const unsigned char *)h + off, n);
		p += n;
		off += n;
		len -= n;
	}
	pat_fill(h->seed, off, p, len);
}

int
stream_check(const struct soak_hdr *h, uint64_t off, const void *buf,
    size_t len)
{
	const unsigned char *p = buf;

	if (off < SOAK_HDR) {
		size_t n = SOAK_HDR - off < len ? SOAK_HDR - off : len;

		if (memcmp(p, (const unsigned char *)h + off, n) != 0)
			return 1;
		p += n;
		off += n;
		len -= n;
	}
	return pat_check(h->seed, off, p, len);
}

/* --- randomness: xorshift64*, one stream per process ----------------- */

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

void
rnd_seed(uint64_t seed)
{
	rnd_state = pat_word(seed, 0) | 1;
}

uint64_t
rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* From lo to hi, every power of two as likely: bytes to megabytes. */
uint64_t
rnd_log(uint64_t lo, uint64_t hi)
{
	int bits_lo = 63 - __builtin_clzll(lo | 1);
	int bits_hi = 63 - __builtin_clzll(hi | 1);
	int e = bits_lo + (int)rnd_below((uint64_t)(bits_hi - bits_lo + 1));
	uint64_t v = (1ull << e) + rnd_below(1ull << e);

	return v < lo ? lo : v > hi ? hi : v;
}

int
rnd_percent(int p)
{
	return (int)rnd_below(100) < p;
}
