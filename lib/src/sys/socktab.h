/*
 * The IOCP backend's socket table (sys/socktab.c): which registration a
 * SOCKET has in one poll.  Open addressing with linear probing, grown by
 * doubling (the only allocation a registration may make, amortised),
 * and backward-shift deletion, so that churn leaves no tombstones.
 * Entries are the address of the SOCKET inside the caller's record: the
 * table never owns or frees them.
 */
#ifndef MIO_SYS_SOCKTAB_H
#define MIO_SYS_SOCKTAB_H

#include <stddef.h>
#include <winsock2.h>

struct mio__socktab {
	SOCKET	**slot;		/* NULL: empty */
	size_t	  cap;		/* a power of two, or 0 */
	size_t	  count;
};

/* The slot holding s, or -1. */
long mio__socktab_find(const struct mio__socktab *t, SOCKET s);
/* Adds key (*key not yet in t); 0 or -ENOMEM (t unchanged). */
int mio__socktab_add(struct mio__socktab *t, SOCKET *key);
/* Empties slot i (from find). */
void mio__socktab_remove(struct mio__socktab *t, size_t i);
/* Frees the slots (not the entries). */
void mio__socktab_fini(struct mio__socktab *t);

#endif /* MIO_SYS_SOCKTAB_H */
