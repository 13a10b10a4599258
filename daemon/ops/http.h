/*
 * A minimal HTTP/1.1 server for the operators' endpoints, on libmio and
 * the daemon's loop: GET and HEAD, keep-alive, one request at a time per
 * client (requests sent ahead wait their turn in the input buffer).
 *
 * Hostile clients cost little and never hold the loop: a request must
 * fit HTTP_REQUEST_MAX bytes (else 400), arrive whole within the timeout
 * (else 408), and be well formed (else 400); each of those closes the
 * client.  At most HTTP_CLIENTS_MAX clients are served: a new one then
 * closes the oldest idle one, or is refused when none is idle.  Each
 * event does a bounded amount of work and re-arms for the rest.
 *
 * The parser (http_parse.c) is apart from the sockets so that tests can
 * feed it any bytes.
 */
#ifndef MIOPROXY_OPS_HTTP_H
#define MIOPROXY_OPS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <mio.h>

#include "ops/buf.h"

#define HTTP_REQUEST_MAX	8192	/* request line and headers */
#define HTTP_CLIENTS_MAX	64
/* The environment's MIOPROXY_STATS_TIMEOUT_MS overrides this (tests). */
#define HTTP_TIMEOUT_MS		5000

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER		/* a valid token we do not serve: 405 */
};

struct http_req {
	int		 method;	/* enum http_method */
	const char	*path;		/* into the input; no query */
	size_t		 pathlen;
	int		 minor;		/* HTTP/1.minor */
	int		 keep_alive;
};

/*
 * Parses the request at the head of buf: its length (the request line
 * and headers, through the empty line) when whole and valid; 0 when more
 * bytes are needed; or -STATUS (-400, -505) when it can never be valid.
 */
long	http_parse(const char *buf, size_t len, struct http_req *req);

/*
 * What a server answers: fills body and its content type, returns the
 * status (200, 404, 503...).
 */
typedef int http_handler_fn(void *arg, const struct http_req *req,
    struct buf *body, const char **ctype);

struct http_server;
struct conf_acl;

/*
 * Listens on addr: 0 and *out, or -errno.  Connections wait in the
 * backlog until http_server_start() (0 or -errno): nobody is served
 * before the server knows its ACL.
 */
int	http_server_new(const struct mio_addr *addr, http_handler_fn *fn,
	    void *arg, struct http_server **out);
int	http_server_start(struct http_server *s);
/* Who may ask, from now on (NULL: anyone); the ACL must outlive its use. */
void	http_server_set_acl(struct http_server *s, const struct conf_acl *acl);
const struct mio_addr *http_server_addr(const struct http_server *s);
/* Closes the socket and every client; memory goes at http_reap(). */
void	http_server_close(struct http_server *s);
/* Frees what was closed in this batch (the loop's after_batch). */
void	http_reap(void);
/* The status line's words. */
const char *http_reason(int status);

#endif /* MIOPROXY_OPS_HTTP_H */
