/*
 * The daemon's two logs.
 *
 * The error log: "LEVEL: message" lines on stderr (the journal adds the
 * time and the unit), or syslog with the matching priority; messages
 * above the configured level are dropped before they are formatted.
 *
 * The access log: one line per finished session, as text key=value pairs
 * or one JSON object per line (CONFIG.md, "Logs"), written with one
 * write(2) each so that lines never interleave or sit in a buffer.
 * SIGUSR1 reopens a file target, for logrotate.
 */
#ifndef MIOPROXY_LOG_H
#define MIOPROXY_LOG_H

#include <stdint.h>

#include "conf/conf.h"

/* Sets the error log's level and target (enum conf_log_*). */
void	log_setup(int level, int target);
/* True when messages of `level` are written. */
int	log_enabled(int level);
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(CONF_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(CONF_LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(CONF_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	do {						\
	if (log_enabled(CONF_LOG_DEBUG))				\
		log_msg(CONF_LOG_DEBUG, __VA_ARGS__);			\
} while (0)

/* One finished session, as the access log reports it. */
struct access_rec {
	const char	*listener;
	const char	*proto;		/* "tcp" or "udp" */
	const struct mio_addr *client;
	const struct mio_addr *server;	/* NULL: none was reached */
	int64_t		 connect_ms;	/* -1: no connection made */
	int64_t		 duration_ms;
	uint64_t	 bytes_in;	/* client to server */
	uint64_t	 bytes_out;	/* server to client */
	uint64_t	 datagrams_in;	/* UDP only */
	uint64_t	 datagrams_out;
	const char	*end;		/* the end reason */
};

/*
 * Opens the access log of a configuration: 0, or -errno when its file
 * cannot be opened (the previous target then stays).  May be called
 * again on reload; the old file is closed once the new one is open.
 */
int	access_open(const struct conf_logging *lg);
/* Reopens a file target under the same path (SIGUSR1). */
int	access_reopen(void);
void	access_close(void);
/* True when an access log is written at all. */
int	access_enabled(void);
void	access_write(const struct access_rec *r);

#endif /* MIOPROXY_LOG_H */
