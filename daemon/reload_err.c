/*
 * Reports of a failed reload (reload_err.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mio.h>

#include "conf/conf.h"
#include "log.h"
#include "reload_err.h"

void
reload_error(char *err, size_t len, const char *fmt, ...)
{
	char line[1024];
	size_t used;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_error("reload: %s", line);
	if (err != NULL && len > 0 && (used = strlen(err)) + 1 < len)
		snprintf(err + used, len - used, "%s\n", line);
}

void
reload_conf_errors(struct conf_errors *errs, int rc, const char *path,
    char *err, size_t len)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line == 0)
			reload_error(err, len, "%s: %s", errs->v[i].file,
			    errs->v[i].message);
		else
			reload_error(err, len, "%s:%lu:%lu: %s",
			    errs->v[i].file, errs->v[i].line,
			    errs->v[i].column, errs->v[i].message);
	}
	if (errs->n == 0)
		reload_error(err, len, "%s: %s", path, mio_strerror(rc));
	conf_errors_free(errs);
}
