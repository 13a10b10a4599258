/*
 * Listeners, protocol-neutral: binding a generation's sockets, taking
 * over the sockets of unchanged binds across a reload, pausing, closing.
 * What happens on a socket (accepting, datagrams) belongs to its
 * protocol's module, chosen once per listener by its protocol: the
 * listener calls it only through `struct lstn_proto`.
 */
#ifndef MIOPROXY_RELAY_LISTENER_H
#define MIOPROXY_RELAY_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include <mio.h>

#include "conf/conf.h"
#include "model/keep.h"
#include "timer.h"

struct conf_acl;
struct conf_addr;
struct conf_listener;
struct gen;
struct lstn;
struct upstream;

/* One bound socket of a listener. */
struct lsock {
	struct lstn	*l;
	const struct conf_addr *bind;
	int		 fd;		/* -1: not open, or handed on */
	struct timer	 retry;		/* accepting paused */
	void		*state;		/* its protocol module's, if any */
};

/*
 * What a protocol does with its listening sockets.  NULL hooks do
 * nothing.
 *
 *  open     a socket bound to addr for cl, with the protocol's options:
 *           its descriptor, or -errno
 *  attach   ls was just bound (not taken over): make the module's state
 *           for it; 0 or -errno (the bind then fails, all or nothing)
 *  serve    ls is ready: make sure it is registered; prev is the socket
 *           of an older generation it was taken over from, whose state
 *           moves to ls (NULL: attached or reclaimed); 0 or -errno
 *           (logged, the socket idles)
 *  release  ls closes: 1 when the module took the descriptor (to keep
 *           it open while it has work on it, or to close it itself), 0
 *           to have the listener close it
 *  kept     whether the module still keeps a socket released earlier
 *           and bound to addr
 *  reclaim  takes that socket back into ls (fd and state)
 *  resume   accept what queued while paused or handed over
 */
struct lstn_proto {
	int	(*open)(const struct conf_listener *cl,
		    const struct mio_addr *addr);
	int	(*attach)(struct lsock *ls);
	int	(*serve)(struct lsock *ls, struct lsock *prev);
	int	(*release)(struct lsock *ls);
	int	(*kept)(const struct mio_addr *addr);
	void	(*reclaim)(struct lsock *ls);
	void	(*resume)(struct lsock *ls);
};

/*
 * One listener in one generation.  Its counters are in its kept record
 * (model/keep.h), shared with the other generations that have a listener
 * of the same name, so that they run on across reloads.
 */
struct lstn {
	const struct conf_listener *conf;
	const struct lstn_proto *proto;
	struct gen	*gen;
	struct upstream	*ups;
	struct lsock	*socks;		/* one per bind address */
	size_t		 nsocks;
	size_t		 timers_held;	/* socks[0..timers_held) hold one */
	struct keep_lstn *keep;		/* counters, every generation's */
};

/*
 * Prepares l for cl in generation g (its sockets not yet open), holding
 * a timer slot per socket so that a pause can always end: 0 or -ENOMEM
 * (lstn_fini() then undoes what was made).
 */
int	lstn_init(struct lstn *l, const struct conf_listener *cl,
	    const struct lstn_proto *proto, struct gen *g,
	    struct upstream *ups);
void	lstn_fini(struct lstn *l);

/*
 * Binds every socket of g's listeners, taking over the sockets of `old`
 * (or kept by a protocol) whose (protocol, address) did not change.  All
 * or nothing: on a failure the sockets bound here are closed, `old`
 * keeps all of its own, and the -errno is returned.  On success old's
 * unmatched sockets stay open until lstn_close_all(old).
 */
int	lstn_bind_all(struct gen *g, struct gen *old);
/*
 * lstn_bind_all() in its two steps, for a reload that must wait for
 * others (workers) between them: lstn_open_new() binds what is new (all
 * or nothing, old untouched: lstn_close_all(g) undoes it), and
 * lstn_serve_all() then serves every socket, taking over old's.
 */
int	lstn_open_new(struct gen *g, struct gen *old);
void	lstn_serve_all(struct gen *g, struct gen *old);
/*
 * A worker's listeners do not bind: their supervisor did, and fn gives
 * a descriptor of its own (a duplicate) for (protocol, addr), or -errno.
 * Set once, before the first bind; its Unix socket files are then left
 * for the supervisor to remove.
 */
typedef int lstn_source_fn(int protocol, const struct mio_addr *addr);
void	lstn_set_source(lstn_source_fn *fn);
/* Closes (or lets its protocol keep) every socket still open in g. */
void	lstn_close_all(struct gen *g);
/* Pauses accepting on ls for ms; the protocol's resume runs after. */
void	lstn_pause(struct lsock *ls, uint64_t ms);
/* Whether accepting on ls is paused. */
int	lstn_paused(const struct lsock *ls);
/* Whether a listener's ACL admits this IP client (others: yes). */
static inline int
lstn_acl_allows(const struct conf_acl *acl, const struct sockaddr *sa)
{
	return conf_acl_allows(acl, sa);
}

#endif /* MIOPROXY_RELAY_LISTENER_H */
