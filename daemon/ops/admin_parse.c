/*
 * The admin socket's commands (CONFIG.md, "Admin socket"), read from one
 * line of words separated by blanks.  Nothing here acts: a command that
 * parses may still name an upstream or server that does not exist,
 * which admin_exec.c says.  The messages are the operator's only help,
 * so each refusal names what was expected.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keep.h"
#include "ops/admin_int.h"

#define ADM_WORDS_MAX	8

static const char adm_usage_set[] =
    "usage: set server UPSTREAM ADDRESS state ready|drain|maint, "
    "or set server UPSTREAM ADDRESS weight N";
static const char adm_usage_shutdown[] =
    "usage: shutdown sessions server UPSTREAM ADDRESS";

/*
 * Splits line into at most ADM_WORDS_MAX words: their number, or -1
 * (too many, or a control character: nothing a terminal sends on
 * purpose, and nothing to echo back into a reply).
 */
static int
adm_split(char *line, char *w[], char *err, size_t errlen)
{
	size_t len = strlen(line);
	char *p;
	int n = 0;

	if (len > 0 && line[len - 1] == '\r')	/* telnet, socat crlf */
		line[--len] = '\0';
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			snprintf(err, errlen, "malformed command: control "
			    "character 0x%02x", (unsigned char)*p);
			return -1;
		} else if ((unsigned char)*p == 0x7f) {
			snprintf(err, errlen, "malformed command: control "
			    "character 0x7f");
			return -1;
		}
	for (p = strtok(line, " \t"); p != NULL; p = strtok(NULL, " \t")) {
		if (n == ADM_WORDS_MAX) {
			snprintf(err, errlen, "malformed command: more than "
			    "%d words", ADM_WORDS_MAX);
			return -1;
		}
		w[n++] = p;
	}
	return n;
}

/* A decimal weight in 1..ADM_WEIGHT_MAX: 0, or -1. */
static int
adm_weight(const char *s, uint32_t *out)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 4)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > ADM_WEIGHT_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
adm_parse_show(char *w[], int n, struct adm_cmd *cmd, char *err,
    size_t errlen)
{
	if (n == 2 && strcmp(w[1], "info") == 0)
		cmd->op = ADM_SHOW_INFO;
	else if (n == 2 && strcmp(w[1], "listeners") == 0)
		cmd->op = ADM_SHOW_LISTENERS;
	else if ((n == 2 || n == 3) && strcmp(w[1], "servers") == 0) {
		cmd->op = ADM_SHOW_SERVERS;
		cmd->upstream = n == 3 ? w[2] : NULL;
	} else {
		snprintf(err, errlen, "usage: show info, show servers "
		    "[UPSTREAM], or show listeners");
		return -1;
	}
	return 0;
}

static int
adm_parse_set(char *w[], int n, struct adm_cmd *cmd, char *err,
    size_t errlen)
{
	if (n != 6 || strcmp(w[1], "server") != 0) {
		snprintf(err, errlen, "%s", adm_usage_set);
		return -1;
	}
	cmd->upstream = w[2];
	cmd->address = w[3];
	if (strcmp(w[4], "state") == 0) {
		cmd->op = ADM_SET_STATE;
		if (strcmp(w[5], "ready") == 0)
			cmd->state = SRV_READY;
		else if (strcmp(w[5], "drain") == 0)
			cmd->state = SRV_DRAIN;
		else if (strcmp(w[5], "maint") == 0)
			cmd->state = SRV_MAINT;
		else {
			snprintf(err, errlen, "unknown state \"%s\" (ready, "
			    "drain or maint)", w[5]);
			return -1;
		}
	} else if (strcmp(w[4], "weight") == 0) {
		cmd->op = ADM_SET_WEIGHT;
		if (adm_weight(w[5], &cmd->weight) != 0) {
			snprintf(err, errlen, "invalid weight \"%s\" (an "
			    "integer from 1 to %d)", w[5], ADM_WEIGHT_MAX);
			return -1;
		}
	} else {
		snprintf(err, errlen, "%s", adm_usage_set);
		return -1;
	}
	return 0;
}

int
adm_parse(char *line, struct adm_cmd *cmd, char *err, size_t errlen)
{
	char *w[ADM_WORDS_MAX];
	int n;

	memset(cmd, 0, sizeof(*cmd));
	if ((n = adm_split(line, w, err, errlen)) < 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "empty command (try help)");
		return -1;
	}
	if (strcmp(w[0], "show") == 0)
		return adm_parse_show(w, n, cmd, err, errlen);
	if (strcmp(w[0], "set") == 0)
		return adm_parse_set(w, n, cmd, err, errlen);
	if (strcmp(w[0], "shutdown") == 0) {
		if (n != 5 || strcmp(w[1], "sessions") != 0 ||
		    strcmp(w[2], "server") != 0) {
			snprintf(err, errlen, "%s", adm_usage_shutdown);
			return -1;
		}
		cmd->op = ADM_SHUTDOWN_SESSIONS;
		cmd->upstream = w[3];
		cmd->address = w[4];
		return 0;
	}
	if ((strcmp(w[0], "reload") == 0 || strcmp(w[0], "help") == 0) &&
	    n == 1) {
		cmd->op = w[0][0] == 'r' ? ADM_RELOAD : ADM_HELP;
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%.64s\" (try help)", w[0]);
	return -1;
}
