/*
 * Configuration generations: the run-time objects made from one loaded
 * file (listeners, upstreams with their servers), reference-counted so
 * that a reload never pulls a listener, upstream or server from under a
 * live session.  The current generation holds one reference and every
 * session one more on the generation it started in: an old generation
 * is freed when its last session ends.
 */
#ifndef MIOPROXY_RELAY_GEN_H
#define MIOPROXY_RELAY_GEN_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct conf_server;
struct gen_file;
struct lstn;
struct lstn_proto;
struct upstream;

struct gen {
	struct conf	*conf;
	unsigned	 refs;
	struct gen	*retired_next;	/* until the batch ends */
	struct lstn	*listeners;	/* parallel to conf->listeners */
	struct upstream	*upstreams;	/* parallel to conf->upstreams */
	/* Names that move (issue 15): the loaded file, shared with the
	 * generations derived from it; own[i]: conf->upstreams[i].servers
	 * is this generation's (NULL: conf is the file's own). */
	struct gen_file	*file;
	bool		*own;
};

/*
 * Makes the generation of conf, which it owns from then on, even when
 * it fails: 0, or -ENOMEM.  protos[p] handles the sockets of listeners
 * of protocol p (enum conf_proto): the handler of a listener is
 * chosen here, once, by the process that knows the protocol modules.
 */
int	gen_create(struct conf *conf, const struct lstn_proto *const protos[],
	    struct gen **out);
/*
 * Makes a generation of the same file as `from` in which upstream i has
 * the servers servers[i][0..nservers[i]) (NULL: from's), for names that
 * moved: its configuration is a copy of from's whose upstreams and
 * listeners are its own and everything else the file's, kept by a
 * reference.  Takes the non-NULL arrays even when it fails: 0, or
 * -ENOMEM.
 */
int	gen_derive(struct gen *from, const struct lstn_proto *const protos[],
	    struct conf_server **servers, const size_t *nservers,
	    struct gen **out);
void	gen_ref(struct gen *g);
void	gen_unref(struct gen *g);
/* Drops a replaced generation's reference once the batch is over: a
 * later event of the same batch may still name its listeners. */
void	gen_retire(struct gen *g);
void	gen_release_retired(void);

#endif /* MIOPROXY_RELAY_GEN_H */
