/*
 * The error log: "LEVEL: message" lines on stderr (the journal adds the
 * time and the unit), or syslog with the matching priority; messages
 * above the configured level are dropped before they are formatted.
 *
 * Its place: a foundation, below the configuration.  It owns its levels
 * and their words, so that the loader (conf/) may parse `logging.level`
 * with them and everything may log, while this file knows nothing of the
 * configuration.  The access log, which does, is ops/access.h.
 */
#ifndef MIOPROXY_LOG_H
#define MIOPROXY_LOG_H

#include <stdint.h>

/* Most to least severe: a level writes itself and those before it. */
enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
};

/* Parses a level word (error, warn, info, debug): its level, or -1. */
int	log_level_parse(const char *word);
/* The word of a level, or "?" for anything else. */
const char *log_level_name(int level);

/* Sets the error log's level and target (enum log_level, log_target). */
void	log_setup(int level, int target);
/* True when messages of `level` are written. */
int	log_enabled(int level);
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Opens the connection to syslog once, for whichever log wants it first. */
void	log_syslog_open(void);

/*
 * A line that a flood could repeat (bad clients, bad datagrams): at most
 * one per `every_ms`.  log_every_due() says whether to write it at `now`;
 * when it does, *unsaid is how many were held back since the last one.
 */
struct log_every {
	uint64_t	 last;		/* when the last line went out */
	uint64_t	 unsaid;	/* held back since */
	int		 said;		/* a line went out once */
};
int	log_every_due(struct log_every *e, uint64_t now, uint64_t every_ms,
	    uint64_t *unsaid);

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	do {						\
	if (log_enabled(LOG_LEVEL_DEBUG))				\
		log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);			\
} while (0)

#endif /* MIOPROXY_LOG_H */
