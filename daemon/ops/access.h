/*
 * The access log: one line per finished session, as text key=value pairs
 * or one JSON object per line (CONFIG.md, "Logs"), written with one
 * write(2) each so that lines never interleave or sit in a buffer.
 * SIGUSR1 reopens a file target, for logrotate.
 *
 * Its place: ops, what operators see.  It reads the configuration's
 * logging section (conf/conf.h) and shares syslog with the error log
 * (log.h); the relays below the loop only fill in a struct access_rec.
 */
#ifndef MIOPROXY_OPS_ACCESS_H
#define MIOPROXY_OPS_ACCESS_H

#include <stdint.h>

#include "conf/conf.h"

/* One finished session, as the access log reports it. */
struct access_rec {
	const char	*listener;
	const char	*proto;		/* "tcp" or "udp" */
	const struct mio_addr *client;
	/* The proxy that sent a PROXY protocol header carrying `client`
	 * (issue 14); NULL: the client connected itself. */
	const struct mio_addr *peer;
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
/* Writes the line of one session; nothing when the log is off. */
void	access_write(const struct access_rec *r);

#endif /* MIOPROXY_OPS_ACCESS_H */
