/*
 * A reload's host names, looked up on the loop (reload_names.h): one
 * reload at a time, its table of names and its channel here.
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "reload_names.h"

static struct names rn_names;
static int rn_busy;			/* rn_names is looking up */
static const char *rn_path;
static reload_names_fn *rn_done;

int
reload_names_begin(const char *path, reload_names_fn *done,
    struct conf **out, struct conf_errors *errs)
{
	struct rchan_env env = {
		.poll = loop.poll,
		.timers = &loop.timers,
		.now = &loop.now,
		.tag = LOOP_TAG_OPS
	};
	struct conf *conf = NULL;
	int rc;

	assert(!rn_busy);
	*out = NULL;
	if ((rc = names_collect(&rn_names, path, &conf, errs)) != 0) {
		names_fini(&rn_names);
		return rc;
	}
	conf_errors_free(errs);
	if (rn_names.n == 0) {
		names_fini(&rn_names);
		*out = conf;
		return 0;
	}
	rc = names_start(&rn_names, &conf->resolver, &env);
	conf_free(conf);
	if (rc != 0) {
		names_fini(&rn_names);
		return rc;
	}
	rn_busy = 1;
	rn_path = path;
	rn_done = done;
	log_info("reload: looking up %zu host names", rn_names.n);
	return 1;
}

int
reload_names_cancel(void)
{
	if (!rn_busy)
		return 0;
	names_fini(&rn_names);
	rn_busy = 0;
	return 1;
}

/*
 * After the batch in which the last answer came (never inside c-ares,
 * whose channel closes here): the file read again, for the callback.
 */
static void
rn_after_batch(void)
{
	struct conf_errors errs;
	struct conf *conf = NULL;
	int rc;

	if (!rn_busy || !names_done(&rn_names))
		return;
	memset(&errs, 0, sizeof(errs));
	rc = names_load(&rn_names, rn_path, &conf, &errs);
	names_fini(&rn_names);
	rn_busy = 0;
	rn_done(rc, conf, &errs);
}

/*
 * Last in the loop's table, so that a reload's end comes after every
 * other module's work of the batch; its channel is closed by
 * reload_names_cancel() before the modules' fini (the resolver's ends
 * c-ares).
 */
const struct loop_module reload_names_module = {
	.name = "reload_names",
	.after_batch = rn_after_batch
};
