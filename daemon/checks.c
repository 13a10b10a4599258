/*
 * Health checks as a module of the loop: the loop's poll, timers and
 * probe tag handed to upstream/health.c, and its hooks forwarded there.
 * The checks run beside the forwarding on the same loop: a probe is one
 * non-blocking socket and a timer, so none ever delays a session.
 */
#include "config.h"

#include "checks.h"
#include "upstream/health.h"

static int
checks_prepare(const struct conf *conf)
{
	struct probe_env env = {
		.poll = loop.poll,
		.timers = &loop.timers,
		.tag = LOOP_TAG_PROBE
	};
	int rc;

	if ((rc = hc_setup(&env)) != 0)
		return rc;
	return hc_prepare(conf);
}

static void
checks_commit(const struct conf *conf)
{
	hc_commit(conf, loop.now);
}

static void
checks_event(void *obj, unsigned tag, uint32_t flags)
{
	(void)tag;
	hc_event(obj, flags);
}

const struct loop_module checks_module = {
	.name = "checks",
	.tags = LOOP_TAG_BIT(LOOP_TAG_PROBE),
	.event = checks_event,
	.prepare = checks_prepare,
	.commit = checks_commit,
	.after_batch = hc_after_batch,
	.stop = hc_stop,
	.fini = hc_fini
};
