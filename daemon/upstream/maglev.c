/*
 * Maglev's lookup table: maglev.h says what it promises and fixes the
 * hashes.  Built once per upstream and configuration generation (never
 * while picking), so the cost of filling, about M ln M steps, is paid at
 * a reload and not per client.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/un.h>

#include "conf/conf.h"
#include "fnv.h"
#include "upstream/maglev.h"

#define MAGLEV_GOLDEN	0x9e3779b97f4a7c15ull
/* The longest canonical form: a tag, a unix path and a port. */
#define MAGLEV_CANON_MAX (1 + sizeof(((struct sockaddr_un *)0)->sun_path) + 2)

_Static_assert(MAGLEV_NONE == 65535, "16-bit entries, 65535 for none");

/* Server i's permutation of the slots, and its place in it. */
struct maglev_perm {
	uint64_t	 h1, h2;	/* the filling order */
	uint32_t	 next;		/* its next preferred slot */
	uint32_t	 skip;		/* in 1..M-1: M prime, so all slots */
	uint32_t	 weight;
	uint16_t	 server;
};

static int
maglev_prime(uint32_t m)
{
	uint32_t d;

	if (m < 2)
		return 0;
	for (d = 2; (uint64_t)d * d <= m; d++)
		if (m % d == 0)
			return 0;
	return 1;
}

uint32_t
maglev_size(uint32_t n)
{
	uint64_t m = (uint64_t)n * MAGLEV_PER_SERVER;

	if (m < MAGLEV_MIN_SIZE)
		m = MAGLEV_MIN_SIZE;
	while (!maglev_prime((uint32_t)m))
		m++;
	return (uint32_t)m;
}

/* The k-th output of splitmix64 seeded with f (maglev.h). */
static uint64_t
maglev_mix(uint64_t f, uint64_t k)
{
	uint64_t x = f + k * MAGLEV_GOLDEN;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static const uint8_t maglev_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* An address's canonical bytes (maglev.h) into out: their count. */
static size_t
maglev_canon(const struct sockaddr *sa, int with_port, uint8_t *out)
{
	const struct sockaddr_in *in4 = (const void *)sa;
	const struct sockaddr_in6 *in6 = (const void *)sa;
	const struct sockaddr_un *un = (const void *)sa;
	const uint8_t *port = NULL;
	size_t len, max = sizeof(un->sun_path);

	switch (sa != NULL ? sa->sa_family : AF_UNSPEC) {
	case AF_INET:
		out[0] = 0x04;
		memcpy(out + 1, &in4->sin_addr, 4);
		len = 5;
		port = (const uint8_t *)&in4->sin_port;
		break;
	case AF_INET6:
		if (memcmp(&in6->sin6_addr, maglev_v4mapped, 12) == 0) {
			out[0] = 0x04;
			memcpy(out + 1, (const uint8_t *)&in6->sin6_addr + 12,
			    4);
			len = 5;
		} else {
			out[0] = 0x06;
			memcpy(out + 1, &in6->sin6_addr, 16);
			len = 17;
		}
		port = (const uint8_t *)&in6->sin6_port;
		break;
	case AF_UNIX:
		/* A path ends at its NUL; an abstract name after its first. */
		out[0] = 0x01;
		len = un->sun_path[0] != '\0' ? strnlen(un->sun_path, max) :
		    1 + strnlen(un->sun_path + 1, max - 1);
		memcpy(out + 1, un->sun_path, len);
		return 1 + len;
	default:
		out[0] = 0x00;
		return 1;
	}
	if (with_port) {
		memcpy(out + len, port, 2);
		len += 2;
	}
	return len;
}

static uint64_t
maglev_fnv(const struct sockaddr *sa, int with_port)
{
	uint8_t canon[MAGLEV_CANON_MAX];

	return fnv1a(FNV_OFFSET, canon, maglev_canon(sa, with_port, canon));
}

uint64_t
maglev_hash(const struct sockaddr *sa, int with_port)
{
	return maglev_mix(maglev_fnv(sa, with_port), 1);
}

void
maglev_walk_start(struct maglev_walk *w, const struct maglev *m,
    const struct sockaddr *client, int with_port)
{
	w->f = maglev_fnv(client, with_port);
	w->slot = (uint32_t)(maglev_mix(w->f, 1) % m->size);
	w->stride = 0;
}

void
maglev_walk_next(struct maglev_walk *w, const struct maglev *m)
{
	if (m->size < 2)
		return;
	if (w->stride == 0)
		w->stride = (uint32_t)(maglev_mix(w->f, 2) % (m->size - 1)) + 1;
	w->slot += w->stride;
	if (w->slot >= m->size)
		w->slot -= m->size;
}

static int
maglev_perm_cmp(const void *pa, const void *pb)
{
	const struct maglev_perm *a = pa, *b = pb;

	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	if (a->h2 != b->h2)
		return a->h2 < b->h2 ? -1 : 1;
	/* The same address twice: the file's order, the only one left. */
	return (a->server > b->server) - (a->server < b->server);
}

/* The permutations of the tier's servers, in filling order; *np of them. */
static struct maglev_perm *
maglev_perms(const struct ups_server *servers, uint32_t n, int backup,
    uint32_t *np)
{
	struct maglev_perm *v;
	uint64_t f;
	uint32_t i, k = 0;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((servers[i].backup != 0) != (backup != 0))
			continue;
		f = maglev_fnv(&servers[i].conf->addr.u.sa, 1);
		v[k].h1 = maglev_mix(f, 1);
		v[k].h2 = maglev_mix(f, 2);
		v[k].weight = servers[i].weight > 0 ? servers[i].weight : 1;
		v[k].server = (uint16_t)i;
		k++;
	}
	qsort(v, k, sizeof(*v), maglev_perm_cmp);
	*np = k;
	return v;
}

/* Server p takes the next empty slot of its permutation. */
static void
maglev_take(struct maglev *m, struct maglev_perm *p)
{
	while (m->slots[p->next] != MAGLEV_NONE) {
		p->next += p->skip;
		if (p->next >= m->size)
			p->next -= m->size;
	}
	m->slots[p->next] = p->server;
}

int
maglev_build(struct maglev *m, const struct ups_server *servers, uint32_t n,
    int backup)
{
	struct maglev_perm *v;
	uint32_t k, i, t, filled = 0;

	m->slots = NULL;
	m->size = 0;
	if ((v = maglev_perms(servers, n, backup, &k)) == NULL)
		return -ENOMEM;
	if (k == 0) {
		free(v);
		return 0;
	}
	m->size = maglev_size(k);
	if ((m->slots = malloc(m->size * sizeof(*m->slots))) == NULL) {
		free(v);
		m->size = 0;
		return -ENOMEM;
	}
	memset(m->slots, 0xff, m->size * sizeof(*m->slots));
	for (i = 0; i < k; i++) {
		v[i].next = (uint32_t)(v[i].h1 % m->size);
		v[i].skip = (uint32_t)(v[i].h2 % (m->size - 1)) + 1;
	}
	while (filled < m->size)
		for (i = 0; i < k && filled < m->size; i++)
			for (t = 0; t < v[i].weight && filled < m->size; t++) {
				maglev_take(m, &v[i]);
				filled++;
			}
	free(v);
	return 0;
}

void
maglev_free(struct maglev *m)
{
	free(m->slots);
	m->slots = NULL;
	m->size = 0;
}
