/*
 * The error log: "LEVEL: message" lines on stderr (the journal adds the
 * time and the unit), or syslog with the matching priority; messages
 * above the configured level are dropped before they are formatted.
 * The access log is ops/access.h.
 */
#ifndef MIOPROXY_LOG_H
#define MIOPROXY_LOG_H

#include "conf/conf.h"

/* Sets the error log's level and target (enum conf_log_*). */
void	log_setup(int level, int target);
/* True when messages of `level` are written. */
int	log_enabled(int level);
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Opens the connection to syslog once, for whichever log wants it first. */
void	log_syslog_open(void);

#define log_error(...)	log_msg(CONF_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(CONF_LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(CONF_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	do {						\
	if (log_enabled(CONF_LOG_DEBUG))				\
		log_msg(CONF_LOG_DEBUG, __VA_ARGS__);			\
} while (0)

#endif /* MIOPROXY_LOG_H */
