/*
 * The error log (log.h says what it writes and where it sits): a level
 * and a target in two statics, set at start and at each reload.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_LEVEL_INFO;
static int log_target = LOG_TARGET_STDERR;
static int log_syslog_opened;

/* Indexed by enum log_level: the word, and syslog's priority. */
static const char *const log_words[] = { "error", "warn", "info", "debug" };
static const int log_priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
    LOG_DEBUG };

_Static_assert(sizeof(log_words) / sizeof(log_words[0]) ==
    LOG_LEVEL_DEBUG + 1, "a word per level");
_Static_assert(sizeof(log_priority) / sizeof(log_priority[0]) ==
    LOG_LEVEL_DEBUG + 1, "a priority per level");

int
log_level_parse(const char *word)
{
	int level;

	for (level = LOG_LEVEL_ERROR; level <= LOG_LEVEL_DEBUG; level++)
		if (strcmp(log_words[level], word) == 0)
			return level;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG)
		return "?";
	return log_words[level];
}

void
log_setup(int level, int target)
{
	log_level = level;
	log_target = target;
	if (target == LOG_TARGET_SYSLOG)
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
	if (log_target == LOG_TARGET_SYSLOG) {
		vsyslog(log_priority[level], fmt, ap);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof(line), "%s: ", log_level_name(level));
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: concurrent writers (tests, journal) see whole lines. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

int
log_every_due(struct log_every *e, uint64_t now, uint64_t every_ms,
    uint64_t *unsaid)
{
	if (e->said && now - e->last < every_ms) {
		e->unsaid++;
		return 0;
	}
	*unsaid = e->unsaid;
	e->said = 1;
	e->last = now;
	e->unsaid = 0;
	return 1;
}
