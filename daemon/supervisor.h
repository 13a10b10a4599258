/*
 * The supervisor of a group of workers (CONFIG.md, "Workers";
 * supervisor.c).  `process.workers: 1` never comes here: one process
 * runs loop.c alone, as it always did.
 */
#ifndef MIOPROXY_SUPERVISOR_H
#define MIOPROXY_SUPERVISOR_H

struct conf;

/* How many workers conf asks for (`auto`: one per online CPU). */
unsigned supervisor_workers(const struct conf *conf);

/*
 * Binds conf's sockets, forks the workers and supervises them until
 * SIGTERM or SIGINT.  Takes ownership of conf.  Returns the exit status
 * (0 after a clean stop, 2 when the group could not start).
 */
int	supervisor_run(struct conf *conf, const char *path,
	    int log_level_override);

#endif /* MIOPROXY_SUPERVISOR_H */
