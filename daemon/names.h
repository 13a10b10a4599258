/*
 * The loader's host names, looked up without getaddrinfo(3): a load in
 * two passes around c-ares lookups (rchan.h), so that every name is
 * asked of `resolver.servers` and a reload never blocks the event loop.
 *
 *  1. names_collect(): the file is loaded with every host name answered
 *     by a placeholder address of its own (in 100::/64, the discard
 *     prefix), and the names recorded.  Its errors are the file's (the
 *     placeholders never fail); its `resolver` section says where to ask.
 *  2. names_start(): each name is looked up, on the loop the caller
 *     gives (a reload: reload_names.h) or driven by names_wait() (start
 *     and -t, before the loop exists).
 *  3. names_load(): the file is loaded again, each name answered from the
 *     lookups: the configuration that serves.  A name that did not
 *     resolve is an error at its place in the file, unless it is followed
 *     (resolve: true) and the running process knows its last addresses
 *     (resolve.h), which it then keeps, with a warning.
 *
 * Reading the file twice lets pass 1 say where to ask before anything is
 * asked; a file changed between the passes names a host that pass 1 did
 * not look up, which pass 3 reports as an error.
 *
 * Its place: the process (main.c, supervisor.c, ctl.c and reload_names.c
 * call it), on rchan.h, knowing no loop but the one it is given; it tells
 * upstream/resolve.h what it learned.
 */
#ifndef MIOPROXY_NAMES_H
#define MIOPROXY_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "rchan.h"

struct names;

struct names_entry {
	struct names	*owner;
	char		*host;
	int		 status;	/* ARES_*; -1: not answered yet */
	struct mio_addr	*addrs;		/* port 0 */
	size_t		 n;
	uint32_t	 ttl;		/* seconds */
};

struct names {
	struct names_entry *v;
	size_t		 n;
	size_t		 cap;
	unsigned	 waiting;	/* lookups not answered */
	int		 nomem;
	struct rchan	 chan;
};

/* Pass 1: 0 with *out (free it) and the names recorded, or conf_load()'s
 * failure with the file's errors in errs. */
int	names_collect(struct names *t, const char *path, struct conf **out,
	    struct conf_errors *errs);
/* Pass 2: looks every name up with the resolver r, on the loop env
 * (rchan_open()'s; NULL: driven by names_wait()): 0 or -errno. */
int	names_start(struct names *t, const struct conf_resolver *r,
	    const struct rchan_env *env);
/* Whether every lookup is answered. */
int	names_done(const struct names *t);
/* Drives the lookups until all are answered (not on the loop). */
void	names_wait(struct names *t);
/* Pass 3: conf_load()'s contract, every name answered from the lookups. */
int	names_load(struct names *t, const char *path, struct conf **out,
	    struct conf_errors *errs);
/* Frees the table and closes its channel: never inside an answer. */
void	names_fini(struct names *t);

/*
 * The whole of it, blocking: what start and -t do.  conf_load()'s
 * contract.
 */
int	names_load_blocking(const char *path, struct conf **out,
	    struct conf_errors *errs);

#endif /* MIOPROXY_NAMES_H */
