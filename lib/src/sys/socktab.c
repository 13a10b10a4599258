/*
 * The socket table of sys/socktab.h.  Handle values are multiples of 4
 * and mostly small, so they are shifted and multiplied (Fibonacci
 * hashing) before the mask; the load stays at most one half.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sys/socktab.h"

static size_t
socktab_home(const struct mio__socktab *t, SOCKET s)
{
	return (size_t)(((uint64_t)(s >> 2) * 0x9E3779B97F4A7C15ull) >> 32) &
	    (t->cap - 1);
}

long
mio__socktab_find(const struct mio__socktab *t, SOCKET s)
{
	size_t i;

	if (t->cap == 0)
		return -1;
	for (i = socktab_home(t, s); t->slot[i] != NULL;
	    i = (i + 1) & (t->cap - 1))
		if (*t->slot[i] == s)
			return (long)i;
	return -1;
}

static void
socktab_place(struct mio__socktab *t, SOCKET *key)
{
	size_t i = socktab_home(t, *key);

	while (t->slot[i] != NULL)
		i = (i + 1) & (t->cap - 1);
	t->slot[i] = key;
}

int
mio__socktab_add(struct mio__socktab *t, SOCKET *key)
{
	if ((t->count + 1) * 2 > t->cap) {
		SOCKET **old = t->slot;
		size_t oldcap = t->cap, cap = oldcap ? oldcap : 16, i;

		while ((t->count + 1) * 2 > cap)
			cap *= 2;
		if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL) {
			t->slot = old;
			return -ENOMEM;
		}
		t->cap = cap;
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				socktab_place(t, old[i]);
		free(old);
	}
	socktab_place(t, key);
	t->count++;
	return 0;
}

void
mio__socktab_remove(struct mio__socktab *t, size_t i)
{
	size_t j = i, home;

	t->slot[i] = NULL;
	for (;;) {
		j = (j + 1) & (t->cap - 1);
		if (t->slot[j] == NULL)
			break;
		home = socktab_home(t, *t->slot[j]);
		/* j moves back into the hole unless its home lies in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->slot[i] = t->slot[j];
			t->slot[j] = NULL;
			i = j;
		}
	}
	t->count--;
}

void
mio__socktab_fini(struct mio__socktab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->count = 0;
}
