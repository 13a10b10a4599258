/*
 * The daemon's runtime state: one event loop, the configuration
 * generations it serves, their listeners and upstreams, and the sessions.
 *
 * Generations.  Each loaded configuration becomes a `struct gen` holding
 * the parsed file and the runtime objects made from it (listeners,
 * upstreams with their balancers).  The current generation holds one
 * reference; every session holds one more on the generation it started
 * in, so a reload never pulls a listener, upstream or server from under
 * a live session: the old generation is freed when its last session ends.
 *
 * Tokens.  A registration's token is a pointer with a tag in its two low
 * bits (every object here is at least 4-aligned): the client or server
 * side of a TCP session, a listening socket, or the loop's own
 * descriptors.
 *
 * Stale events.  A batch from mio_poll_wait() may hold an event for a
 * session that an earlier event of the same batch ended.  Ending a
 * session closes its descriptors and marks it dead at once, but frees it
 * only after the batch (the graveyard); events for dead sessions are
 * dropped.
 */
#ifndef MIOPROXY_PROXY_H
#define MIOPROXY_PROXY_H

#include <stdint.h>

#include <mio.h>

#include "balance.h"
#include "conf/conf.h"
#include "timer.h"

enum proxy_tag {
	TAG_CLIENT = 0,		/* struct tcp_sess, client side */
	TAG_SERVER = 1,		/* struct tcp_sess, server side */
	TAG_LISTENER = 2,	/* struct lsock */
	TAG_LOOP = 3,		/* the loop's own: signals */
	TAG_UDP_SERVER = 4	/* struct udp_sess, its upstream socket */
};

/* Every tagged object is at least 8-aligned (malloc'd, or in an array
 * of structs holding pointers), which leaves three bits for the tag. */
#define TOKEN_TAGS	7u
#define TOKEN(ptr, tag)	((mio_token)(uintptr_t)(ptr) | (tag))
#define TOKEN_TAG(tok)	((unsigned)((tok) & TOKEN_TAGS))
#define TOKEN_PTR(tok)	((void *)(uintptr_t)((tok) & ~(mio_token)TOKEN_TAGS))

struct udp_sess;

struct gen;
struct lstn;

/* One upstream at runtime: its balancer and per-server state. */
struct ups {
	const struct conf_upstream *conf;
	struct lb_pool	 pool;
	struct lb_server *servers;	/* parallel to conf->servers */
	uint64_t	*connect_failures;	/* per server */
};

/* One bound socket of a listener. */
struct lsock {
	struct lstn	*l;
	const struct conf_addr *bind;
	int		 fd;
	struct timer	 retry;		/* accepting paused (out of memory) */
	/* UDP: the sessions replying through this socket, whatever their
	 * generation (a reload hands them over with the socket), least
	 * recently used last; a socket that a reload removed stays open,
	 * draining, until they end. */
	uint64_t	 udp_sessions;
	struct udp_sess	*lru_head;	/* most recent */
	struct udp_sess	*lru_tail;	/* least recent */
	int		 draining;
	struct lsock	*drain_next;	/* in proxy.draining */
	int		 wildcard;	/* bound to 0.0.0.0 or [::]: pktinfo */
	struct lsock	*successor;	/* took this socket over in a reload */
};

/* One listener at runtime. */
struct lstn {
	const struct conf_listener *conf;
	struct gen	*gen;
	struct ups	*ups;
	struct lsock	*socks;		/* one per bind address */
	size_t		 nsocks;
	uint64_t	 active;	/* sessions now */
	uint64_t	 accepted;
	uint64_t	 rejected_acl;
	uint64_t	 rejected_limit;
	uint64_t	 rejected_fds;	/* shed while out of descriptors */
	uint64_t	 udp_created;
	uint64_t	 udp_evicted;
	uint64_t	 dgrams_in;
	uint64_t	 dgrams_out;
	uint64_t	 dgrams_dropped;	/* too large, or no room */
};

struct gen {
	struct conf	*conf;
	unsigned	 refs;
	struct gen	*retired_next;	/* in proxy.retired, until the batch ends */
	struct lstn	*listeners;	/* parallel to conf->listeners */
	struct ups	*upstreams;	/* parallel to conf->upstreams */
	size_t		 timers_held;	/* listener retry timers, in order */
};

struct tcp_sess;

struct proxy {
	struct mio_poll	*poll;
	struct timer_heap timers;
	uint64_t	 now;		/* ms, refreshed after each wait */
	struct gen	*gen;		/* the current configuration */
	const char	*conf_path;
	int		 log_level_override;	/* -1: the file's */
	int		 sigfd;
	int		 reserve_fd;	/* spent to shed a connection on EMFILE */
	int		 stopping;
	int		 short_io_drains;	/* epoll: a short read drains */
	struct timer	 stop_timer;
	struct timer	 status_timer;	/* STATUS= refresh, with systemd */
	/* Sessions: all live ones, the dead awaiting the batch's end, and
	 * those with work left over after their turn. */
	struct tcp_sess	*sessions;
	struct tcp_sess	*graveyard;
	struct tcp_sess	*runq;
	/* Generations a reload replaced, released after the batch: a later
	 * event of the same batch may still name their listeners. */
	struct gen	*retired;
	/* UDP sockets a reload removed, open while their sessions last: a
	 * later reload that names the address again takes them back. */
	struct lsock	*draining;
	uint64_t	 nsessions;	/* TCP and UDP */
	/* UDP sessions by (listening socket, client address). */
	struct udp_sess	**udp_table;
	uint32_t	 udp_buckets;	/* a power of two */
	uint64_t	 udp_count;
	struct udp_sess	*udp_graveyard;
	struct udp_batch *udp_batch;	/* receive buffers, made on first use */
	/* Relay buffers not in use, kept for the next session. */
	struct relay_buf *buf_pool;
	unsigned	 buf_pool_len;
	/* Pipes for splice(2) not in use, and how many exist in all. */
	struct relay_pipe *pipe_pool;
	unsigned	 pipes;
	uint32_t	 buf_size;
};

extern struct proxy proxy;

/* gen.c: gen_create() owns conf from then on, even when it fails. */
int	gen_create(struct conf *conf, struct gen **out);
void	gen_ref(struct gen *g);
void	gen_unref(struct gen *g);
/* Drops the current generation's reference once the batch is over. */
void	gen_retire(struct gen *g);
void	gen_release_retired(void);

/* listener.c */
int	lstn_bind_all(struct gen *g, struct gen *old);
void	lstn_close_all(struct gen *g);
/* Closes a draining UDP socket whose last session ended. */
void	lstn_drained(struct lsock *ls);
void	lstn_event(struct lsock *ls, uint32_t flags);
/* Whether a listener's ACL admits this IP client (others: yes). */
int	lstn_acl_allows(const struct conf_acl *acl, const struct sockaddr *sa);

/* tcp_relay.c */
void	tcp_start(struct lstn *l, int fd, const struct mio_addr *client);
void	tcp_event(struct tcp_sess *s, unsigned side, uint32_t flags);
void	tcp_run_queue(void);
void	tcp_bury(void);
void	tcp_end_all(const char *reason);
void	tcp_refuse(struct lstn *l, int fd, const struct mio_addr *client,
	    const char *reason);
void	relay_pool_trim(unsigned keep);
void	relay_pipes_free(void);

/* udp_relay.c */
void	udp_listener_event(struct lsock *ls);
void	udp_event(struct udp_sess *u, uint32_t flags);
void	udp_bury(void);
void	udp_end_all(const char *reason);
void	udp_stop(void);
void	udp_fini(void);
int	udp_prepare(const struct conf *conf);

/* notify.c: the systemd notify protocol; a no-op without NOTIFY_SOCKET. */
void	notify_init(void);
void	notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	notify_close(void);
/* Whether a notify socket is in use. */
int	notify_active(void);

/* loop.c: serves conf (owned from then on) until stopped; exit status. */
int	proxy_run(struct conf *conf, const char *path, int log_level_override);

#endif /* MIOPROXY_PROXY_H */
