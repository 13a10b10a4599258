/*
 * The soak test (make soak): minutes of mixed load on the real mioproxy.
 *
 * Three processes.  This one is the load (TCP clients in tcpload.c, UDP
 * clients in udpload.c) and the judge of the daemon under test
 * (proxy.c: its configuration, reloads, descriptors and memory, its
 * stderr); a child of it is the backends (backend.c): two TCP servers
 * that check and echo, two UDP servers that check and echo.  Both run
 * one single-threaded epoll loop, level-triggered: readiness costs a
 * system call per turn but no state machine of edges, and this program
 * must be simpler than what it tests.
 *
 * Every byte is checked by content on both sides, without storing it:
 * a stream or a datagram begins with a header that names its seed and
 * its length, and the rest is a pattern computed from (seed, offset).
 * The header also says how the session is to end (the kinds below), so
 * that the backend knows which reset or half-close the client asked for
 * and which one would be the proxy's doing.
 */
#ifndef SOAK_H
#define SOAK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define SOAK_MAGIC	0x4b414f53u	/* "SOAK" */
#define SOAK_HDR	32		/* header bytes of a stream */
#define SOAK_DHDR	40		/* header bytes of a datagram */
#define SOAK_CHUNK	65536		/* bytes per read or write */
#define SOAK_DGRAM_MAX	65507		/* the largest IPv4 UDP payload */

/*
 * How a TCP session ends.  N is the bytes the client sends (header
 * included), K a point before N chosen by the client.
 */
enum soak_kind {
	KIND_FULL,		/* send N, read N back, close */
	KIND_CLIENT_HALF,	/* send N, shutdown(SHUT_WR), read N then EOF */
	KIND_SERVER_HALF,	/* server echoes K, shuts its side, reads all N */
	KIND_CLIENT_RESET,	/* client sends K, reads some, resets */
	KIND_SERVER_RESET,	/* server echoes K, then resets */
	KIND_COUNT
};

/* The first SOAK_HDR bytes of every stream, in host order (one host). */
struct soak_hdr {
	uint32_t	magic;
	uint8_t		kind;
	uint8_t		pad[3];
	uint32_t	id;
	uint32_t	k;
	uint64_t	seed;
	uint64_t	n;
};

/* The first SOAK_DHDR bytes of every datagram.  Both clocks are
 * CLOCK_MONOTONIC's milliseconds: the processes share one host. */
struct soak_dgram {
	uint32_t	magic;
	uint32_t	client;		/* the sending socket's serial */
	uint32_t	seq;
	uint32_t	len;		/* the whole datagram */
	uint16_t	delay_ms;	/* the server answers that late */
	uint8_t		dup;		/* the server answers twice */
	uint8_t		dns;		/* sent to the dns listener */
	uint32_t	sent_ms;	/* the client's clock when sent */
	uint64_t	seed;
	uint32_t	replied_ms;	/* the server's, when it answered */
	uint32_t	pad;
};

/*
 * The daemon's UDP session timeout (both listeners), and the time
 * mioproxy(8) says a session's port rests after its end before another
 * session may have it: a reply that comes later than that may reach the
 * next session on the port, by design.
 */
#define SOAK_UDP_TIMEOUT_MS	2000
#define SOAK_UDP_REST_MS	2000

/*
 * What happened, counted by both processes (the backend sends its array
 * to this one at the end).  Those marked as failures in soak.c's table
 * fail the run.
 */
enum soak_ev {
	/* TCP clients */
	EV_TCP_OPENED,
	EV_TCP_DONE,		/* ended as its kind said, every byte checked */
	EV_TCP_DONE_KIND,	/* + kind: EV_TCP_DONE_KIND .. + KIND_COUNT-1 */
	EV_TCP_RESET_SEEN = EV_TCP_DONE_KIND + KIND_COUNT,
	EV_TCP_BYTES_SENT,
	EV_TCP_BYTES_RECV,
	EV_TCP_CONNECT_ERR,
	EV_TCP_CORRUPT,
	EV_TCP_EXCESS,
	EV_TCP_SHORT_EOF,
	EV_TCP_UNEXPECTED_RESET,
	EV_TCP_RESET_AS_EOF,
	EV_TCP_STUCK,
	/* UDP clients */
	EV_UDP_SOCKETS,
	EV_UDP_SENT,
	EV_UDP_SEND_ERR,
	EV_UDP_REPLIED,
	EV_UDP_BYTES_SENT,
	EV_UDP_BYTES_RECV,
	EV_UDP_LOST,
	EV_UDP_LOST_DNS,
	EV_UDP_LOST_DELAYED,
	EV_UDP_LATE,
	EV_UDP_DUP_EXPECTED,
	EV_UDP_MISDELIVERED,
	EV_UDP_MISDELIVERED_LATE,	/* past the documented rest */
	EV_UDP_CORRUPT,
	EV_UDP_WRONG_SOURCE,
	EV_UDP_DUPLICATE,
	EV_UDP_UNKNOWN_SEQ,
	/* TCP backends */
	EV_B_ACCEPTED,
	EV_B_DONE,
	EV_B_RESET_SENT,
	EV_B_RESET_SEEN,
	EV_B_EARLY_CLOSE,	/* a FIN before the header */
	EV_B_EARLY_RESET,	/* a reset before the header */
	EV_B_BYTES_IN,
	EV_B_BYTES_OUT,
	EV_B_BAD_HEADER,
	EV_B_CORRUPT,
	EV_B_EXCESS,
	EV_B_SHORT,
	EV_B_UNEXPECTED_RESET,
	EV_B_RESET_AS_EOF,
	EV_B_LEFT_OPEN,
	/* UDP backends */
	EV_BU_RECV,
	EV_BU_SENT,
	EV_BU_DELAYED,
	EV_BU_DOUBLED,
	EV_BU_SEND_ERR,
	EV_BU_CORRUPT,
	/* the daemon */
	EV_RELOADS,
	EV_RELOAD_STUCK,
	EV_RELOAD_FAILED,
	EV_DAEMON_DIED,
	EV_DAEMON_EXIT,
	EV_SANITIZER,
	EV_FD_LEAK,
	EV_COUNT
};

extern uint64_t soak_ev[EV_COUNT];

/* What epoll's data.ptr points at: each kind of thing begins with this. */
enum soak_tag {
	TAG_TCP_CLIENT,
	TAG_UDP_CLIENT,
	TAG_NOTIFY,
	TAG_B_LISTEN,
	TAG_B_CONN,
	TAG_B_UDP,
	TAG_B_CTL
};

/* The run's settings (soak.c's command line). */
struct soak_opt {
	int		 seconds;
	int		 conns;		/* TCP connections held at once */
	int		 udp;		/* UDP client sockets */
	uint64_t	 max_size;	/* largest TCP stream */
	int		 reload_ms;	/* mean interval between reloads */
	uint64_t	 seed;
	const char	*proxy;		/* the daemon's binary */
	int		 verbose;
};

extern struct soak_opt soak_opt;
extern int soak_epoll;

/* soak.c */
int64_t	 soak_now(void);
void	 soak_watch(int fd, void *tag, uint32_t events, int add);
void	 soak_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 soak_raise_nofile(void);

/* pattern.c: the content of streams and datagrams, and randomness. */
void	 pat_fill(uint64_t seed, uint64_t off, void *buf, size_t len);
int	 pat_check(uint64_t seed, uint64_t off, const void *buf, size_t len);
void	 stream_fill(const struct soak_hdr *h, uint64_t off, void *buf,
	    size_t len);
int	 stream_check(const struct soak_hdr *h, uint64_t off, const void *buf,
	    size_t len);
void	 rnd_seed(uint64_t seed);
uint64_t rnd(void);
uint64_t rnd_below(uint64_t n);
uint64_t rnd_log(uint64_t lo, uint64_t hi);
int	 rnd_percent(int p);

/* backend.c: the child's whole life; the listeners' sockets are made
 * before the fork so that the configuration can name their ports. */
struct backend_socks {
	int	tcp[2];
	int	udp[2];
	int	port_tcp[2];
	int	port_udp[2];
};
int	 backend_socks_open(struct backend_socks *b);
void	 backend_run(struct backend_socks *b, int ctl, int report)
	    __attribute__((noreturn));

/* proxy.c: the daemon under test. */
struct proxy_ports {
	int	tcp;		/* TCP listener (127.0.0.1 and ::1 if any) */
	int	udp;		/* UDP listener, sessions by timeout */
	int	dns;		/* UDP listener, one reply per request */
	int	v6;		/* ::1 works here */
};
int	 proxy_start(const struct backend_socks *b, struct proxy_ports *pp);
void	 proxy_event(uint32_t events);
void	 proxy_tick(int64_t now, int reloading);
int	 proxy_reload_idle(void);
int	 proxy_alive(void);
int	 proxy_finish(void);
void	 proxy_report(void);
void	 proxy_sample(long *fds, long *rss_kb);

/* tcpload.c */
void	 tcp_start(const struct proxy_ports *pp);
void	 tcp_event(void *tag, uint32_t events);
void	 tcp_tick(int64_t now, int opening);
int	 tcp_open_count(void);
void	 tcp_stuck(void);
void	 tcp_report(void);

/* udpload.c */
void	 udp_start(const struct proxy_ports *pp);
void	 udp_event(void *tag, uint32_t events);
void	 udp_tick(int64_t now, int sending);
int	 udp_outstanding(void);
void	 udp_stop(void);
void	 udp_report(void);

#endif /* SOAK_H */
