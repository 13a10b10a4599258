/*
 * A reload's host names, looked up on the loop: the name step of
 * loop.c's reload, as a module of the loop.  The file is read once with
 * placeholders (names.h), its names are asked of its `resolver` on the
 * loop's poll and timers, and once every answer is in (after the batch
 * of the last one, never inside c-ares) it is read again and handed to
 * the callback that reload_names_begin() was given.
 *
 * Its place: the process, a loop module (the loop's context handed to
 * names.h, as checks.c hands it to the health checks); loop.c calls it,
 * and it calls loop.c back only through that callback.
 */
#ifndef MIOPROXY_RELOAD_NAMES_H
#define MIOPROXY_RELOAD_NAMES_H

#include "conf/conf.h"
#include "loop.h"

extern const struct loop_module reload_names_module;

/*
 * The end of a reload whose names were looked up: names_load()'s rc,
 * and with 0 the configuration (the callee's), or else the file's errors
 * in errs (the callee's to report and free).
 */
typedef void reload_names_fn(int rc, struct conf *conf,
    struct conf_errors *errs);

/*
 * Reads `path` (kept until the end) once: 0 with *out (the caller's)
 * when it names no host, so that it can serve at once; 1 when its names
 * are being looked up, `done` to be called after the batch of the last
 * answer; or conf_load()'s failure, or the -errno of a channel that
 * could not open (logged), with the file's errors in errs.  None may be
 * under way (reload_names_cancel() first).
 */
int	reload_names_begin(const char *path, reload_names_fn *done,
	    struct conf **out, struct conf_errors *errs);
/* Drops a reload that is looking its names up, silently: 1 if there was
 * one (its callback is never called), else 0. */
int	reload_names_cancel(void);

#endif /* MIOPROXY_RELOAD_NAMES_H */
