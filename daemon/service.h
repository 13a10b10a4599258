/*
 * Running as a system service: the descriptor limit, the pid file, and
 * dropping privileges after the listeners are bound.
 */
#ifndef MIOPROXY_SERVICE_H
#define MIOPROXY_SERVICE_H

#include "conf/conf.h"

/* Raises RLIMIT_NOFILE to process.max_fds (capped at the hard limit). */
int	service_limits(const struct conf *conf);
/* Writes the pid file, then drops to process.user/group: 0 or -errno. */
int	service_start(const struct conf *conf);
/* Removes the pid file, if this process still can. */
void	service_stop(void);
/* A supervisor's worker: the pid file is the supervisor's to remove. */
void	service_forget(void);
/* Warns about start-only settings that a reload cannot apply. */
void	service_reload_warnings(const struct conf *old, const struct conf *conf);

#endif /* MIOPROXY_SERVICE_H */
