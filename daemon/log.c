/*
 * The error log (log.h says what it writes).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int log_level = CONF_LOG_INFO;
static int log_target = CONF_LOG_STDERR;
static int log_syslog_opened;

static const int log_priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
    LOG_DEBUG };

void
log_setup(int level, int target)
{
	log_level = level;
	log_target = target;
	if (target == CONF_LOG_SYSLOG)
		log_syslog_open();
}

void
log_syslog_open(void)
{
	if (!log_syslog_opened) {
		openlog("mioproxy", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog_opened = 1;
	}
}

int
log_enabled(int level)
{
	return level <= log_level;
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (log_target == CONF_LOG_SYSLOG) {
		vsyslog(log_priority[level], fmt, ap);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof(line), "%s: ", conf_log_level_name(level));
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: concurrent writers (tests, the journal) see whole lines. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
