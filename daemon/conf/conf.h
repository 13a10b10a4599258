/*
 * mioproxy's configuration: the YAML file of CONFIG.md loaded into plain
 * structures, validated as a whole, with every error located in the file.
 *
 * conf_load() keeps no global state: a reload parses a second struct conf
 * while the first one is still serving, and frees whichever loses.
 *
 * Values are resolved at load time, so that the data path never looks
 * anything up:
 *  - durations are milliseconds, sizes are bytes;
 *  - host names are resolved by the lookup the caller gives (the daemon:
 *    c-ares, names.h; conf_load(): getaddrinfo()); a name with several
 *    addresses gives several binds, or several servers that share the
 *    entry's settings, which record the name when it is followed
 *    (resolve: true);
 *  - each listener carries its effective timeouts and limits, and a
 *    pointer to its upstream and ACL.
 *
 * Precedence, most specific first:
 *  - connect timeout: listener timeouts.connect, then the upstream's
 *    connect.timeout, then defaults.timeouts.connect, then 3s;
 *  - UDP session timeout: the listener's udp.session_timeout, then its
 *    timeouts.udp_session, then defaults.timeouts.udp_session, then 30s;
 *  - other timeouts and limits: the listener's, then defaults', then
 *    idle 5m, half_close 30s, max_connections 10000, buffer_size 64k.
 *
 * Defaults where CONFIG.md names none: process.shutdown_grace 30s,
 * process.max_fds 0 (leave RLIMIT_NOFILE alone); logging.level info,
 * logging.target stderr, logging.access.target off (a service should not
 * fill its journal with one line per connection unless asked to),
 * logging.access.format text; balance round_robin; connect.tries 3 (the
 * number of connection attempts in all, counting the first: a client is
 * closed after 3 failed attempts, each on the next server, which may come
 * round again when the upstream has fewer servers); server weight 1,
 * max_connections 0 (no limit), backup false; udp.max_sessions 10000,
 * udp.responses 0 (no limit); slow_start 0 (a server that comes up
 * takes its full weight at once); health_check (conf/schema_health.h)
 * type tcp, interval 5s, timeout 1s (at most the interval), rise 2,
 * fall 3; passive max_fails 3, window 10s, eject_for 30s;
 * proxy_protocol (conf/schema_pp.h) accept off, send off, timeout 3s,
 * max_header 4k.
 *
 * Keys this file adds to CONFIG.md's schema: limits.buffer_size (a size:
 * the bound on unsent data per direction of one session, 1k..16m);
 * a listener's proxy_protocol.max_header (a size: the largest v2 header
 * accepted, 16..65551, the format's own bound).
 *
 * This header is the loader's model and its public entry points: what the
 * rest of the daemon includes, and what every layer of conf/ builds on.
 * The layers, each using only those after it: load.c -> check.c ->
 * schema.c -> walk.c -> doc.c -> resolve.c -> value.c.
 */
#ifndef MIOPROXY_CONF_H
#define MIOPROXY_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mio.h>

/* Built-in values, used when neither a listener nor defaults set one. */
#define CONF_CONNECT_TIMEOUT_MS		3000
#define CONF_IDLE_TIMEOUT_MS		(5 * 60 * 1000)
#define CONF_HALF_CLOSE_TIMEOUT_MS	(30 * 1000)
#define CONF_UDP_SESSION_TIMEOUT_MS	(30 * 1000)
#define CONF_MAX_CONNECTIONS		10000
#define CONF_BUFFER_SIZE		(64 * 1024)
#define CONF_SHUTDOWN_GRACE_MS		(30 * 1000)
#define CONF_CONNECT_TRIES		3
#define CONF_UDP_MAX_SESSIONS		10000

/* Marks an optional number that the file did not set. */
#define CONF_UNSET	(-1)

/* A place in the file, 1-based; 0 when there is none. */
struct conf_pos {
	unsigned long	line;
	unsigned long	column;
};

enum conf_proto {
	CONF_PROTO_TCP,
	CONF_PROTO_UDP,
};

enum conf_access_target {
	CONF_ACCESS_OFF,
	CONF_ACCESS_STDOUT,
	CONF_ACCESS_STDERR,
	CONF_ACCESS_SYSLOG,
	CONF_ACCESS_FILE,	/* conf_logging.access_path */
};

enum conf_access_format {
	CONF_ACCESS_TEXT,
	CONF_ACCESS_JSON,
};

/*
 * process.io, the relay engine (issue 17): readiness, uring (the engine
 * on libmio's mio_ring, relay/tcp_uring.c), or auto (the default): uring
 * where the kernel's probe gives every feature it needs, as decided by
 * auto_refuses() in relay/tcp_uring.c, else readiness.
 */
enum conf_io {
	CONF_IO_AUTO,
	CONF_IO_READINESS,
	CONF_IO_URING,
};

enum conf_balance {
	CONF_BALANCE_ROUND_ROBIN,
	CONF_BALANCE_LEAST_CONN,
	CONF_BALANCE_SOURCE_HASH,
	CONF_BALANCE_RANDOM_TWO,
	CONF_BALANCE_CONSISTENT_HASH,
};

/* consistent_hash's key (hash.key): what of the client picks its server. */
enum conf_hash_key {
	CONF_HASH_CLIENT_IP,
	CONF_HASH_CLIENT_IP_PORT,	/* UDP sessions of one host spread */
};

/* An upstream's `hash` mapping; only with balance: consistent_hash. */
struct conf_hash {
	bool		 set;		/* given in the file */
	struct conf_pos	 pos;		/* of the mapping, for check.c */
	int		 key;		/* enum conf_hash_key */
};

/* One socket address and where the file wrote it. */
struct conf_addr {
	struct mio_addr	addr;
	struct conf_pos	pos;
};

struct conf_addrs {
	struct conf_addr *v;
	size_t		 n;
};

/* An IPv4 or IPv6 prefix; bits past `prefix` are zero. */
struct conf_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned	prefix;		/* 0..32 or 0..128 */
	uint8_t		addr[16];	/* network order; IPv4 uses 4 bytes */
};

struct conf_cidrs {
	struct conf_cidr *v;
	size_t		 n;
};

/* Durations in milliseconds, CONF_UNSET until resolved. */
struct conf_timeouts {
	int64_t		connect_ms;
	int64_t		idle_ms;
	int64_t		half_close_ms;
	int64_t		udp_session_ms;
};

struct conf_limits {
	int64_t		max_connections;
	int64_t		buffer_size;	/* bytes */
};

struct conf_udp {
	int64_t		session_timeout_ms;	/* effective after load */
	int64_t		max_sessions;
	int64_t		responses;		/* per request; 0: no limit */
};

struct conf_process {
	char		*user;		/* NULL: keep the current user */
	char		*group;
	char		*pid_file;	/* NULL: none */
	int64_t		 max_fds;	/* 0: leave RLIMIT_NOFILE alone */
	int64_t		 shutdown_grace_ms;
	int64_t		 workers;	/* 1: no supervisor; CONF_WORKERS_AUTO */
	int		 io;		/* enum conf_io (issue 17) */
};

/* process.workers: `auto` (one per online CPU), and the most allowed. */
#define CONF_WORKERS_AUTO	0
#define CONF_WORKERS_MAX	256

struct conf_logging {
	int		 level;		/* enum log_level (log.h) */
	int		 target;	/* enum log_target (log.h) */
	int		 access_target;	/* enum conf_access_target */
	char		*access_path;	/* CONF_ACCESS_FILE only */
	int		 access_format;	/* enum conf_access_format */
};

/* The admin socket (CONFIG.md "Admin socket"); NULL: none. */
struct conf_admin {
	char		*socket;	/* an absolute path */
};

struct conf_acl {
	char		*name;
	struct conf_cidrs allow;
	struct conf_cidrs deny;		/* wins over allow; no match: deny */
};

/*
 * stats: the operators' HTTP endpoint (ops/stats.c); listen.n == 0 when
 * the file has no stats section.  The first address of listen is bound.
 */
struct conf_stats {
	struct conf_addrs listen;
	char		*acl_name;	/* NULL: anyone who reaches it */
	struct conf_pos	 acl_pos;
	struct conf_acl	*acl;		/* into conf.acls, or NULL */
};

struct conf_server {
	struct mio_addr	addr;
	struct conf_pos	pos;		/* of the address in the file */
	int64_t		weight;
	int64_t		max_connections;	/* 0: no limit */
	bool		backup;
	/* resolve: true (names that move): the host name followed, its port
	 * addr's; the entry's servers are those next to each other with
	 * the same name and pos.  NULL: a fixed address. */
	char		*name;
};

/* --- health checks (issue 13) ---------------------------------------- */
enum conf_check_type {
	CONF_CHECK_TCP,
	CONF_CHECK_UDP,
};

/*
 * An upstream's active check (CONFIG.md "Health"): every server probed
 * each interval_ms; `fall` failures in a row take it down, `rise`
 * passes in a row bring it back.  send/expect are raw bytes (text or
 * "hex:..." in the file); expect_any: any reply passes (udp).
 */
struct conf_health {
	bool		 enabled;	/* the upstream has a health_check */
	int		 type;		/* enum conf_check_type */
	int64_t		 interval_ms;
	int64_t		 timeout_ms;
	int64_t		 rise;
	int64_t		 fall;
	int64_t		 port;		/* 0: the server's own */
	uint8_t		*send;		/* NULL: nothing sent */
	size_t		 send_len;
	uint8_t		*expect;	/* NULL: nothing awaited */
	size_t		 expect_len;
	bool		 expect_any;
};

/* Passive ejection: max_fails failures within window_ms eject a server
 * for eject_for_ms. */
struct conf_passive {
	bool		 enabled;
	int64_t		 max_fails;
	int64_t		 window_ms;
	int64_t		 eject_for_ms;
};

/*
 * Servers per upstream, at most: a session remembers the servers that
 * failed it in 16 bits each, so more would be told apart wrongly.
 */
#define CONF_SERVERS_MAX	65535

/* --- PROXY protocol (issue 14) --------------------------------------- */
enum conf_pp {
	CONF_PP_OFF,
	CONF_PP_V1,
	CONF_PP_V2,
	CONF_PP_ANY,		/* accept only: v1 or v2, told by the signature */
};

#define CONF_PP_TIMEOUT_MS	3000
#define CONF_PP_MAX_HEADER	4096
#define CONF_PP_MAX_HEADER_MAX	(16 + 65535)	/* the format's own bound */

/*
 * A listener's proxy_protocol: with `accept` set, a header comes first
 * from every peer, and only peers in `trusted` may send one (others are
 * refused).  max_header bounds a v2 header (v1 is 107 bytes at most).
 */
struct conf_pp_accept {
	int		 accept;	/* enum conf_pp */
	struct conf_cidrs trusted;
	int64_t		 timeout_ms;
	int64_t		 max_header;	/* bytes */
};

/* An upstream's proxy_protocol: the header written to each server. */
struct conf_pp_send {
	int		 send;		/* enum conf_pp, never ANY */
};

struct conf_upstream {
	char		*name;
	int		 balance;	/* enum conf_balance */
	struct conf_server *servers;
	size_t		 nservers;
	int64_t		 connect_timeout_ms;	/* own, else defaults' */
	int64_t		 connect_tries;		/* attempts in all */
	int64_t		 slow_start_ms;		/* 0: none */
	struct conf_health health;		/* issue 13 */
	struct conf_passive passive;
	struct conf_pp_send pp;			/* issue 14 */
	struct conf_hash hash;			/* issue 15: consistent_hash */
};

struct conf_listener {
	char		*name;
	struct conf_pos	 pos;		/* of the listener's mapping */
	int		 protocol;	/* enum conf_proto */
	struct conf_addrs bind;
	char		*upstream_name;
	struct conf_upstream *upstream;	/* into conf.upstreams */
	char		*acl_name;	/* NULL: no ACL, everyone may connect */
	struct conf_acl	*acl;		/* into conf.acls, or NULL */
	struct conf_timeouts timeouts;	/* effective */
	struct conf_limits limits;	/* effective */
	struct conf_udp	 udp;		/* effective; UDP listeners only */
	struct conf_pp_accept pp;	/* issue 14 */
};

/* --- names that move (issue 15) ------------------------------------- */
#define CONF_RESOLVER_REFRESH_MS	(30 * 1000)
#define CONF_RESOLVER_SERVERS_MAX	8

/*
 * `resolver`: the DNS servers asked for every host name (IP:port only;
 * none: those of /etc/resolv.conf), and the longest time a name marked
 * resolve: true keeps an answer before it is asked again.
 */
struct conf_resolver {
	struct conf_addrs servers;
	int64_t		 refresh_ms;
};

/*
 * How the loader turns a host name into addresses.  `fn` appends each
 * address of `host`, with `port`, at `pos` to *v: 0; -1 with the reason
 * in `why`; or -ENOMEM.  conf_load() uses getaddrinfo(3) (conf/resolve.c);
 * the daemon passes its own, so that its lookups go to `resolver` and
 * never block the event loop (names.h).
 */
struct conf_names {
	int		(*fn)(void *arg, const char *host, uint16_t port,
			    struct conf_pos pos, struct conf_addrs *v,
			    char *why, size_t len);
	void		*arg;
};

struct conf {
	char		*path;		/* the file it came from */
	int		 version;
	struct conf_process process;
	struct conf_logging logging;
	struct conf_admin admin;
	struct conf_stats stats;
	struct conf_timeouts defaults_timeouts;	/* resolved to built-ins */
	struct conf_limits defaults_limits;
	struct conf_acl	*acls;
	size_t		 nacls;
	struct conf_upstream *upstreams;
	size_t		 nupstreams;
	struct conf_listener *listeners;
	size_t		 nlisteners;
	struct conf_resolver resolver;		/* issue 15 */
};

/* One message about the file; file is NULL only when out of memory. */
struct conf_error {
	char		*file;
	unsigned long	 line;		/* 1-based; 0: about the whole file */
	unsigned long	 column;
	char		*message;
};

/*
 * A list of errors.  A zeroed struct is an empty list; conf_errors_free()
 * empties it again.  `nomem` says that some errors could not be recorded.
 */
struct conf_errors {
	struct conf_error *v;
	size_t		 n;
	size_t		 cap;
	bool		 nomem;
};

/*
 * Loads and validates the file at `path`.  On success stores a new
 * configuration in *out (free it with conf_free()) and returns 0.  On
 * failure stores NULL, appends every error to `errs` sorted by position
 * (a YAML syntax error stops the parse, so it comes alone), and returns
 * -EINVAL for an invalid file, -ENOMEM, or the -errno of opening or
 * reading the file.
 *
 * Host names in addresses are resolved here, by a step of its own
 * (conf/resolve.c, getaddrinfo(3)), so this blocks for as long as the
 * resolver takes.  The daemon itself calls conf_load_with() with lookups
 * made beforehand, on the event loop at a reload (names.h), so that no
 * lookup ever blocks the loop; the tests and tools use this one.
 */
int	conf_load(const char *path, struct conf **out,
	    struct conf_errors *errs);

/* conf_load() with `names` for host names (NULL: getaddrinfo(3)). */
int	conf_load_with(const char *path, const struct conf_names *names,
	    struct conf **out, struct conf_errors *errs);

/* Frees a configuration; NULL is fine. */
void	conf_free(struct conf *conf);

/* Frees the messages of a list and leaves it empty. */
void	conf_errors_free(struct conf_errors *errs);

/*
 * Writes one error per line to `fp`: "FILE:LINE:COLUMN: message", or
 * "FILE: message" for an error about the whole file.
 */
void	conf_errors_print(const struct conf_errors *errs, FILE *fp);

#include "conf/acl.h"

#endif /* MIOPROXY_CONF_H */
