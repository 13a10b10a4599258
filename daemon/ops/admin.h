/*
 * The admin socket (CONFIG.md, "Admin socket"): a Unix stream socket,
 * mode 0600, on which an operator sends one command per line and gets a
 * reply whose first line is `ok` or `error: MESSAGE` and whose end is an
 * empty line.  `mioproxy ctl` is its client.
 *
 * The module reads and changes the records that outlive generations
 * (model/keep.h: server states, operator weights, counters) and the
 * configuration that serves.  What only the process and the relay can do
 * (reload, end a server's sessions, count sessions) it asks through
 * struct admin_hooks, which the loop fills: ops/ sits below relay/.
 */
#ifndef MIOPROXY_OPS_ADMIN_H
#define MIOPROXY_OPS_ADMIN_H

#include <stddef.h>
#include <stdint.h>

struct keep_srv;

struct admin_hooks {
	/*
	 * Reloads the configuration file as SIGHUP does: 0, or -1 when the
	 * running configuration stays, with the reasons in err (one per
	 * line, no empty line, NUL-terminated, cut to len).
	 */
	int		(*reload)(char *err, size_t len);
	/* Ends every session on server k now (TCP reset, UDP forgotten);
	 * returns how many. */
	uint64_t	(*abort_server)(struct keep_srv *k);
	/* Live sessions, every kind. */
	uint64_t	(*sessions)(void);
};

/*
 * Binds an admin socket at path as the module does (mode 0600, a stale
 * socket file removed): its descriptor with *st the file's, or -errno.
 * For a supervisor, which answers for its workers (supervisor.c).
 */
struct stat;
int	admin_socket_bind(const char *path, struct stat *st);

/*
 * The `show info` reply without its closing empty line, written the
 * same by the one process's module and by a supervisor for its workers.
 */
struct admin_info {
	int64_t		 started;	/* wall clock, seconds */
	int64_t		 last_reload;	/* wall clock, seconds; 0: none */
	unsigned	 workers;
	uint64_t	 sessions;
	const char	*path;			/* the configuration file */
	uint64_t	 reloads[2];		/* ok, failed */
	const char	*io;	/* the relay engine: readiness, uring; a
				 * supervisor's: its workers', "mixed" */
};
struct buf;
void	admin_info_write(struct buf *out, const struct admin_info *info);
/*
 * The `reload` command's reply without its closing empty line: refused
 * while stopping, else reload() called with room for its reasons.
 */
void	admin_reload_reply(struct buf *out, int stopping,
	    int (*reload)(char *err, size_t len));

/* Whom the module asks; call before the loop starts. */
void	admin_set_hooks(const struct admin_hooks *hooks);

/*
 * The loop's module: opens the socket of the configuration's
 * admin.socket once privileges are dropped (so that it belongs to the
 * user the daemon runs as), moves it when a reload names another path,
 * and closes and removes it at the end.
 */
extern const struct loop_module admin_module;

#endif /* MIOPROXY_OPS_ADMIN_H */
