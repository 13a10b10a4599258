/*
 * What outlives a configuration generation: one record per listener
 * (found again by its name) and one per server (by its upstream's name
 * and its address), holding the server's states and the counters that
 * the metrics, the stats page and the admin socket show.
 *
 * Why records of their own: a reload makes a new generation (gen.h)
 * while sessions of the old one go on, so per-generation records would
 * restart every counter at each reload (a reset in every graph) and
 * forget a server's health and the operator's drain.  Instead each
 * generation's listener and server record points at the kept record of
 * its name, and every generation that names it counts into the same
 * one: a session that started before the reload and one that started
 * after add to the same totals, and `active` is the server's load over
 * every generation (what max_connections and least_conn should see).
 *
 * Records are reference-counted by the generations (and the modules,
 * such as health checks) that use them, looked up only when a
 * generation is made, never on the data path, and freed when the last
 * user lets go: a listener or server that a reload removed disappears
 * from the metrics once its last session ended.  Operator states are
 * lost at a restart, as CONFIG.md says.
 *
 * The data path touches these records through a pointer it already has
 * (the listener's, the server's): one more load per count, no lookup.
 */
#ifndef MIOPROXY_MODEL_KEEP_H
#define MIOPROXY_MODEL_KEEP_H

#include <stdint.h>

#include <mio.h>

/* Why a listener turned a client away (mioproxy_listener_rejected_total). */
enum keep_reject {
	KEEP_REJ_ACL,
	KEEP_REJ_LIMIT,
	KEEP_REJ_NO_SERVER,
	KEEP_REJ_DESCRIPTORS,
	KEEP_REJ_PROXY_PROTOCOL,
	KEEP_REJ_N
};

/* Why a listener dropped a datagram (..._datagrams_dropped_total). */
enum keep_drop {
	KEEP_DROP_TOO_LARGE,	/* truncated on receipt: never forwarded cut */
	KEEP_DROP_NO_SESSION,	/* no server, port or room for a new client */
	KEEP_DROP_SEND,		/* the send towards a peer failed */
	KEEP_DROP_RESPONSES,	/* past udp.responses */
	KEEP_DROP_DRAINING,	/* a new client on a socket being retired */
	KEEP_DROP_N
};

struct keep_lstn {
	struct keep_lstn *next;		/* every record, oldest first */
	struct keep_lstn *prev;
	unsigned	 refs;
	int		 protocol;	/* enum conf_proto, of the newest user */
	char		*name;
	uint64_t	 accepted;	/* connections or new UDP clients */
	uint64_t	 active;	/* sessions now */
	uint64_t	 rejected[KEEP_REJ_N];
	uint64_t	 bytes[2];	/* [0] in: client to server; [1] out */
	uint64_t	 dgrams[2];
	uint64_t	 dropped[KEEP_DROP_N];
	uint64_t	 udp_sessions;
	uint64_t	 udp_evicted;
};

/* What the checks and passive failures say of a server. */
enum srv_health {
	SRV_UP,
	SRV_DOWN,		/* failed `fall` active checks in a row */
	SRV_EJECTED		/* passive: max_fails within window */
};

/* What the operator says (admin socket). */
enum srv_admin {
	SRV_READY,
	SRV_DRAIN,		/* no new sessions; running ones go on */
	SRV_MAINT		/* no new sessions; may be shut down */
};

/*
 * Connect-time histogram bounds, in microseconds (the metric is in
 * seconds): from loopback's tens of microseconds to a slow WAN's
 * seconds.  The last bucket, +Inf, is connect_count.
 */
#define KEEP_CONNECT_BUCKETS	12
extern const uint32_t keep_connect_le_us[KEEP_CONNECT_BUCKETS];

struct keep_srv {
	struct keep_srv	*next;		/* every record, oldest first */
	struct keep_srv	*prev;
	struct keep_srv	*hnext;		/* lookup chain */
	unsigned	 refs;
	char		*upstream;
	struct mio_addr	 addr;
	/* States. */
	uint8_t		 health;	/* enum srv_health */
	uint8_t		 admin;		/* enum srv_admin */
	uint32_t	 weight_set;	/* the operator's weight; 0: none */
	uint32_t	 weight_base;	/* the file's weight it overrode */
	uint64_t	 up_since;	/* loop ms it came up; 0: always was */
	/* The health module's bookkeeping (upstream/health.c). */
	uint32_t	 hc_ok_run;	/* checks passed in a row */
	uint32_t	 hc_fail_run;	/* checks failed in a row */
	uint32_t	 pf_fails;	/* passive failures in this window */
	uint64_t	 pf_window_start;
	uint64_t	 ejected_until;
	/* Counters. */
	uint64_t	 active;	/* sessions now, every generation */
	uint64_t	 sessions;	/* sessions connected to it */
	uint64_t	 connect_failures;
	uint64_t	 bytes[2];	/* [0] to the server; [1] from it */
	uint64_t	 checks[2];	/* [0] passed; [1] failed */
	uint64_t	 connect_le[KEEP_CONNECT_BUCKETS];	/* per bucket */
	uint64_t	 connect_count;
	uint64_t	 connect_sum_us;
};

/* The process's own figures (show info, mioproxy_config_reloads_total). */
struct keep_proc {
	uint64_t	 reloads[2];	/* [0] applied; [1] failed */
	int64_t		 started;	/* wall clock, seconds */
	int64_t		 last_reload;	/* wall clock, seconds; 0: none */
	uint64_t	 resolve_failures;	/* followed names' lookups */
	int		 io_uring;	/* relaying on io_uring (process.io) */
};

/* The relay engine this process runs, as the operator reads it. */
#define KEEP_PROC_IO(kp)	((kp)->io_uring ? "uring" : "readiness")

extern struct keep_proc keep_proc;

/*
 * The record of the listener `name`, made if new, with a reference for
 * the caller: NULL when out of memory.
 */
struct keep_lstn *keep_lstn_get(const char *name, int protocol);
void	keep_lstn_put(struct keep_lstn *k);

/*
 * The record of a server, made if new (up, ready), with a reference for
 * the caller: NULL when out of memory.
 */
struct keep_srv *keep_srv_get(const char *upstream, const struct mio_addr *a);
void	keep_srv_ref(struct keep_srv *k);
void	keep_srv_put(struct keep_srv *k);
/* The live record of a server, or NULL; no reference is taken. */
struct keep_srv *keep_srv_find(const char *upstream, const struct mio_addr *a);

/* Every live record, oldest first (fn must not free any). */
void	keep_each_lstn(void (*fn)(struct keep_lstn *, void *), void *arg);
void	keep_each_srv(void (*fn)(struct keep_srv *, void *), void *arg);

/* "up", "down", "ejected", "drain" or "maint": the operator's first. */
const char *keep_srv_state_name(const struct keep_srv *k);

/* Whether the server takes new sessions (mioproxy_server_up). */
static inline int
keep_srv_takes_new(const struct keep_srv *k)
{
	return k->health == SRV_UP && k->admin == SRV_READY;
}

/*
 * The server's weight now, for a file weight of `file`: the operator's
 * while the file still says what it said when the operator set it,
 * ramped up from a tenth over slow_start_ms after the server came up.
 */
uint32_t keep_srv_weight(const struct keep_srv *k, uint32_t file,
	    uint64_t now, int64_t slow_start_ms);

/*
 * A session connected to the server in `us` microseconds: the histogram
 * and the session count, together, so that the histogram's _count is
 * the server's sessions (a UDP session counts with 0: its socket is
 * connected before its first datagram leaves).
 */
void	keep_srv_connected(struct keep_srv *k, uint64_t us);

/* Frees every record whatever its references (the process ends). */
void	keep_fini(void);

#endif /* MIOPROXY_MODEL_KEEP_H */
