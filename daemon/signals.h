/*
 * The daemon's signals as a descriptor the loop watches: a signalfd
 * where the system has one, a pipe written by a handler elsewhere
 * (signals.c says how).
 */
#ifndef MIOPROXY_SIGNALS_H
#define MIOPROXY_SIGNALS_H

/*
 * Starts catching SIGHUP, SIGTERM, SIGINT and SIGUSR1 (and ignoring
 * SIGPIPE): the descriptor to watch for reading, or -errno.
 */
int	signals_open(void);
/*
 * The next signal caught, or 0 when none is left (the read that said so
 * re-armed the descriptor, as every libmio read).
 */
int	signals_next(int fd);
/* Stops catching (the signals stay blocked) and closes fd. */
void	signals_close(int fd);

#endif /* MIOPROXY_SIGNALS_H */
