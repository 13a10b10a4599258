/*
 * The operators' endpoints of a group of workers (CONFIG.md, "Workers"):
 * the stats endpoint and the admin socket, served by the supervisor for
 * the whole group (sup_ops.c).  The workers serve neither: asked over
 * their channels, each renders its own figures and the supervisor sums
 * them (ops/merge.h), so that the forwarding path has no lock, no shared
 * counter and no system call for them.
 */
#ifndef MIOPROXY_SUP_OPS_H
#define MIOPROXY_SUP_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "ops/buf.h"

struct conf;
struct pollfd;

/* What the endpoints need of the supervisor (supervisor.c). */
struct sup_ops_hooks {
	/*
	 * Every ready worker's page of `kind` (wire.h's enum wire_ask;
	 * line: an admin command), into pages[0..n): returns n.
	 */
	unsigned	(*ask)(int kind, const char *line, struct buf *pages);
	/* A reload, as SIGHUP: 0, or -1 with the reasons in err. */
	int		(*reload)(char *err, size_t len);
	/* `show info` of the group, sessions summed by the caller, io
	 * the workers' engine (each chooses its own: "mixed" if they
	 * differ). */
	void		(*info)(struct buf *out, uint64_t sessions,
			    const char *io);
	/* Reloads of the group: [0] ok, [1] failed. */
	void		(*reloads)(uint64_t v[2]);
	int		(*stopping)(void);
};

void	sup_ops_set_hooks(const struct sup_ops_hooks *hooks);
/*
 * Opens or moves the endpoints for conf (start and each reload): 0, or
 * -errno (logged) when one could not be bound (the other still serves).
 */
int	sup_ops_apply(const struct conf *conf);
/* Its listening descriptors, for the supervisor's poll: how many (<= 2). */
unsigned sup_ops_fds(struct pollfd *pfd);
/* One of them is readable: serve who came. */
void	sup_ops_event(int fd);
/* Closes them; unlink: remove the admin socket's file (not in a child). */
void	sup_ops_close(int unlink);

#endif /* MIOPROXY_SUP_OPS_H */
