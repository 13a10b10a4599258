/*
 * Names that move as a module of the loop (resolver.h): the loop's
 * timers and clock handed to upstream/resolve.c, its lookups sent
 * through a c-ares channel of this file's on the loop's poll and timers
 * (as checks.c hands them to the health checks), and a changed answer
 * applied after the batch, outside c-ares' callbacks.
 */
#include "config.h"

#include "log.h"
#include "rchan.h"
#include "resolver.h"
#include "upstream/resolve.h"

static struct rchan rv_chan;
static int rv_lib;		/* ares_library_init() done */
static int rv_reopen;		/* resolver.servers changed */
static int (*rv_apply)(void);

void
resolver_set_apply(int (*apply)(void))
{
	rv_apply = apply;
}

static void
rv_answer(void *arg, int status, const struct mio_addr *addrs, size_t n,
    uint32_t ttl)
{
	resolve_answer(arg, status, addrs, n, ttl);
}

static void
rv_lookup(const char *host, void *token)
{
	struct rchan_env env = {
		.poll = loop.poll,
		.timers = &loop.timers,
		.now = &loop.now,
		.tag = LOOP_TAG_OPS
	};

	if (!rv_chan.open &&
	    rchan_open(&rv_chan, resolve_resolver(), &env) != 0) {
		resolve_answer(token, ARES_ENOMEM, NULL, 0, 0);
		return;
	}
	rchan_lookup(&rv_chan, host, rv_answer, token);
}

static int
rv_prepare(const struct conf *conf)
{
	struct resolve_env env = {
		.timers = &loop.timers,
		.now = &loop.now,
		.lookup = rv_lookup
	};
	int rc;

	(void)conf;
	if (!rv_lib) {
		if ((rc = rchan_library_init()) != 0)
			return rc;
		rv_lib = 1;
	}
	return resolve_setup(&env);
}

static void
rv_commit(const struct conf *conf)
{
	if (resolve_commit(conf))
		rv_reopen = 1;
}

static void
rv_after_batch(void)
{
	int rc;

	if (rv_reopen) {
		rv_reopen = 0;
		rchan_close(&rv_chan);	/* made again when a name is due */
	}
	if (resolve_take_changed() && !loop.stopping && rv_apply != NULL &&
	    (rc = rv_apply()) != 0)
		log_error("resolver: the new addresses could not be applied: "
		    "%s", mio_strerror(rc));
}

static void
rv_stop(void)
{
	rchan_close(&rv_chan);
	resolve_stop();		/* after the answers the close gave */
}

static void
rv_fini(void)
{
	rchan_close(&rv_chan);	/* answers what is in flight first */
	resolve_fini();
	if (rv_lib)
		rchan_library_fini();
	rv_lib = 0;
}

const struct loop_module resolver_module = {
	.name = "resolver",
	.prepare = rv_prepare,
	.commit = rv_commit,
	.after_batch = rv_after_batch,
	.stop = rv_stop,
	.fini = rv_fini
};
