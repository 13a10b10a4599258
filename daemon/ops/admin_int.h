/*
 * Inside the admin module: a command as parsed (admin_parse.c), and the
 * reply being written (admin_exec.c, into an ops/buf.h buffer), shared with the socket side
 * (admin.c).  The parser needs nothing else, so its unit test links it
 * alone.
 */
#ifndef MIOPROXY_OPS_ADMIN_INT_H
#define MIOPROXY_OPS_ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ops/buf.h"

struct conf;

/* The longest command line, newline excluded; longer ones are refused. */
#define ADM_LINE_MAX	1024

enum adm_op {
	ADM_HELP,
	ADM_SHOW_INFO,
	ADM_SHOW_SERVERS,	/* upstream: NULL for all */
	ADM_SHOW_LISTENERS,
	ADM_SET_STATE,		/* upstream, address, state */
	ADM_SET_WEIGHT,		/* upstream, address, weight */
	ADM_SHUTDOWN_SESSIONS,	/* upstream, address */
	ADM_RELOAD
};

/* Weights an operator may set: the file's range (conf/schema.c). */
#define ADM_WEIGHT_MAX	1000

struct adm_cmd {
	enum adm_op	 op;
	const char	*upstream;	/* into the parsed line */
	const char	*address;
	int		 state;		/* enum srv_admin */
	uint32_t	 weight;
};

/*
 * Parses one command line (without its newline), splitting it in place:
 * 0 with *cmd set, or -1 with a one-line reason in err.
 */
int	adm_parse(char *line, struct adm_cmd *cmd, char *err, size_t errlen);

/*
 * Runs one line and appends its whole reply to out: `ok` or `error:
 * ...`, what it shows, and the empty line that ends it.
 */
void	adm_exec_line(char *line, struct buf *out);

/* admin_exec.c: the configuration that serves now (NULL: none). */
void	adm_exec_commit(const struct conf *conf);

#endif /* MIOPROXY_OPS_ADMIN_INT_H */
