/*
 * How a failed reload is reported, the same whether one process serves
 * (loop.c) or a supervisor speaks for its workers (supervisor.c): each
 * reason logged, and appended as a line to the admin socket's reply.
 */
#ifndef MIOPROXY_RELOAD_ERR_H
#define MIOPROXY_RELOAD_ERR_H

#include <stddef.h>

struct conf_errors;

/* One reason: logged as "reload: ...", and appended as a line to err
 * (NULL: none), which keeps what fits of len. */
void	reload_error(char *err, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The file at path could not be loaded: each of errs (freed here)
 * reported, or rc's text when the list is empty. */
void	reload_conf_errors(struct conf_errors *errs, int rc, const char *path,
	    char *err, size_t len);

#endif /* MIOPROXY_RELOAD_ERR_H */
