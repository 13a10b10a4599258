/*
 * The HTTP server of the operators' endpoints (http.h), on the loop's
 * LOOP_TAG_OPS: the listening socket and each client begin with a
 * struct loop_handler and take their own events.
 *
 * A client is in one of four phases, each with one deadline counted
 * from when the phase began (`since`), checked by one sweep timer per
 * server rather than a timer per client:
 *  - reading a request (from the accept, or from its first byte after a
 *    response): not whole in time, 408 and close;
 *  - writing a response: not taken in time, close;
 *  - idle between requests: close quietly;
 *  - closing after an error page: our side is shut, and what the client
 *    still sends is read and dropped until its end (or the timeout), so
 *    that closing with unread input does not reset the connection and
 *    destroy the page before the client reads it (a lingering close).
 * A client that trickles a byte at a time thus gains nothing.
 *
 * Closed objects keep their memory until http_reap() (after the batch):
 * an event for them may still be in the loop's batch, and must find
 * them marked closed rather than freed.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "loop.h"
#include "ops/http.h"

#define HTTP_ACCEPTS	32	/* per event: then re-arm, let others run */
#define HTTP_ROUNDS	8	/* requests or reads per client event */
#define HTTP_EARLY_MAX	512	/* input parsed at every read up to this */

enum http_phase { HC_READING, HC_WRITING, HC_IDLE, HC_CLOSING };

struct http_client {
	struct loop_handler h;		/* first: the token points here */
	struct http_client *next;	/* the server's, oldest first */
	struct http_client *prev;
	struct http_server *srv;
	mio_sock	 fd;		/* -1: closed, awaiting http_reap() */
	int		 phase;		/* enum http_phase */
	int		 close_after;	/* once the response is out */
	uint64_t	 since;		/* loop ms the phase began */
	size_t		 inlen;
	size_t		 scanned;	/* bytes searched for the end */
	struct buf	 out;
	char		 in[HTTP_REQUEST_MAX];
};

struct http_server {
	struct loop_handler h;		/* first: the token points here */
	mio_sock	 fd;
	struct mio_addr	 addr;
	http_handler_fn	*fn;
	void		*arg;
	const struct conf_acl *acl;
	struct http_client *head, *tail;
	unsigned	 nclients;
	uint64_t	 timeout_ms;
	struct timer	 sweep;
	struct buf	 body;		/* scratch for each response */
	struct http_server *dead_next;
	int		 registered;	/* with the poll: accepting */
};

static struct http_client *http_dead_clients;
static struct http_server *http_dead_servers;

static void http_client_event(struct loop_handler *h, uint32_t flags);
static void http_server_event(struct loop_handler *h, uint32_t flags);

static void
http_client_close(struct http_client *c)
{
	struct http_server *s = c->srv;

	if (c->fd < 0)
		return;
	(void)mio_deregister(loop.poll, c->fd);
	mio_close(c->fd);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	s->nclients--;
	c->next = http_dead_clients;
	http_dead_clients = c;
}

/* Queues a response; the status line says whether the client stays. */
static void
http_respond(struct http_client *c, int status, const char *ctype,
    const struct buf *body, int head_only)
{
	size_t n = body != NULL ? body->len : 0;

	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s%s\r\n",
	    status, http_reason(status), ctype, n,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "",
	    c->close_after ? "Connection: close\r\n" : "");
	if (n > 0 && !head_only)
		buf_add(&c->out, body->p, n);
	c->phase = HC_WRITING;
	c->since = loop.now;
	if (c->out.nomem) {
		/* Half a response is worse than none. */
		buf_reset(&c->out);
		http_client_close(c);
	}
}

/* An error page, and the client goes once it is out. */
static void
http_fail(struct http_client *c, int status)
{
	struct buf body = { NULL, 0, 0, 0, 0 };

	buf_printf(&body, "%d %s\n", status, http_reason(status));
	c->close_after = 1;
	c->inlen = 0;
	http_respond(c, status, "text/plain; charset=utf-8", &body, 0);
	buf_free(&body);
}

/* A whole request of n bytes at the head of the input. */
static void
http_serve(struct http_client *c, const struct http_req *req, size_t n)
{
	struct http_server *s = c->srv;
	const char *ctype = "text/plain; charset=utf-8";
	int status;

	buf_reset(&s->body);
	if (req->method == HTTP_OTHER)
		status = 405;
	else
		status = s->fn(s->arg, req, &s->body, &ctype);
	if (s->body.nomem)
		status = 500;
	c->close_after = !req->keep_alive || status == 500;
	http_respond(c, status, ctype, status == 500 ? NULL : &s->body,
	    req->method == HTTP_HEAD);
	/* Bytes sent ahead stay for the next turn. */
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
	c->scanned = 0;
}

/*
 * The end of the headers in the input: searched in the new bytes only,
 * so that a client sending a byte at a time costs linear work.
 */
static int
http_complete(struct http_client *c)
{
	size_t i = c->scanned > 2 ? c->scanned - 2 : 0;

	for (; i + 1 < c->inlen; i++)
		if (c->in[i] == '\n' && (c->in[i + 1] == '\n' ||
		    (c->in[i + 1] == '\r' && i + 2 < c->inlen &&
		    c->in[i + 2] == '\n')))
			return 1;
	c->scanned = c->inlen;
	return 0;
}

/* Reads and drops input until the client's end: see the top. */
static void
http_linger(struct http_client *c)
{
	char sink[512];
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = mio_read(c->fd, sink, sizeof(sink));
		if (n == -EAGAIN)
			return;
		if (n <= 0)
			break;
	}
	http_client_close(c);
}

/* Sends what is queued: 1 all out, 0 wait for room, -1 closed. */
static int
http_flush(struct http_client *c)
{
	ssize_t n;

	while (c->out.off < c->out.len) {
		n = mio_write(c->fd, c->out.p + c->out.off,
		    c->out.len - c->out.off);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			http_client_close(c);
			return -1;
		}
		c->out.off += (size_t)n;
	}
	buf_reset(&c->out);
	if (c->close_after) {
		(void)mio_tcp_shutdown(c->fd, SHUT_WR);
		c->phase = HC_CLOSING;
		c->since = loop.now;
		http_linger(c);
		return -1;
	}
	/* Bytes of the next request already in: it is being read. */
	c->phase = c->inlen > 0 ? HC_READING : HC_IDLE;
	c->since = loop.now;
	return 1;
}

/* Reads more input: 1 got some, 0 none for now, -1 closed. */
static int
http_read(struct http_client *c)
{
	ssize_t n;

	if (c->inlen == sizeof(c->in)) {
		http_fail(c, 400);	/* over HTTP_REQUEST_MAX */
		return 1;
	}
	n = mio_read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		http_client_close(c);
		return -1;
	}
	if (c->phase == HC_IDLE) {
		c->phase = HC_READING;
		c->since = loop.now;
	}
	c->inlen += (size_t)n;
	return 1;
}

/* Everything a client can do now, within HTTP_ROUNDS. */
static void
http_drive(struct http_client *c)
{
	struct http_req req;
	long n;
	int i, rc;

	for (i = 0; i < HTTP_ROUNDS; i++) {
		if (c->fd < 0)
			return;
		if (c->out.len > 0 && (rc = http_flush(c)) <= 0)
			return;
		/* Short input is parsed early too: noise fails at once. */
		if (http_complete(c) || (c->inlen > 0 &&
		    c->inlen <= HTTP_EARLY_MAX)) {
			n = http_parse(c->in, c->inlen, &req);
			if (n > 0) {
				http_serve(c, &req, (size_t)n);
				continue;
			}
			if (n < 0) {
				http_fail(c, (int)-n);
				continue;
			}
		}
		if ((rc = http_read(c)) <= 0)
			return;
	}
	/* Work is left: have the loop report the client again. */
	if (c->fd >= 0)
		(void)mio_reregister(loop.poll, c->fd,
		    LOOP_TOKEN(c, LOOP_TAG_OPS), MIO_READABLE | MIO_WRITABLE);
}

static void
http_client_event(struct loop_handler *h, uint32_t flags)
{
	struct http_client *c = (struct http_client *)h;

	(void)flags;
	if (c->fd >= 0 && c->phase == HC_CLOSING)
		http_linger(c);
	else if (c->fd >= 0)
		http_drive(c);
}

/* The sweep's period: a fifth of the timeout, so none runs much over. */
static void
http_sweep_arm(struct http_server *s)
{
	uint64_t period = s->timeout_ms / 5 > 0 ? s->timeout_ms / 5 : 1;

	if (!timer_armed(&s->sweep) && s->nclients > 0)
		(void)timer_set(&loop.timers, &s->sweep, loop.now + period);
}

/* A client over its phase's time: see the top of this file. */
static void
http_expire(struct http_client *c)
{
	static const char msg[] = "HTTP/1.1 408 Request Timeout\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 20\r\nConnection: close\r\n\r\n"
	    "408 Request Timeout\n";

	/* One try: a client too slow to read this gets nothing more. */
	if (c->phase != HC_READING) {
		http_client_close(c);
		return;
	}
	(void)mio_write(c->fd, msg, sizeof(msg) - 1);
	(void)mio_tcp_shutdown(c->fd, SHUT_WR);
	c->phase = HC_CLOSING;
	c->since = loop.now;
	http_linger(c);
}

static void
http_sweep(struct timer *t, uint64_t now)
{
	struct http_server *s = (struct http_server *)(void *)((char *)t -
	    offsetof(struct http_server, sweep));
	struct http_client *c, *next;

	for (c = s->head; c != NULL; c = next) {
		next = c->next;
		if (now - c->since >= s->timeout_ms)
			http_expire(c);
	}
	http_sweep_arm(s);
}

/*
 * Room for one more client: at the cap, the oldest idle one goes (a
 * keep-alive connection nobody uses is worth less than a new scrape);
 * 0, or -1 when every client is busy and the new one must be refused.
 */
static int
http_make_room(struct http_server *s)
{
	struct http_client *c;

	if (s->nclients < HTTP_CLIENTS_MAX)
		return 0;
	for (c = s->head; c != NULL; c = c->next)
		if (c->phase == HC_IDLE || c->phase == HC_CLOSING) {
			http_client_close(c);
			return 0;
		}
	return -1;
}

static void
http_accept_one(struct http_server *s, mio_sock fd,
    const struct mio_addr *peer)
{
	struct http_client *c;

	if (!conf_acl_allows(s->acl, &peer->u.sa) || http_make_room(s) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		mio_close(fd);
		return;
	}
	c->h.event = http_client_event;
	c->srv = s;
	c->fd = fd;
	c->phase = HC_READING;
	c->since = loop.now;
	if (mio_register(loop.poll, fd, LOOP_TOKEN(c, LOOP_TAG_OPS),
	    MIO_READABLE | MIO_WRITABLE) != 0) {
		mio_close(fd);
		free(c);
		return;
	}
	c->prev = s->tail;
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	s->nclients++;
	http_sweep_arm(s);
}

static void
http_server_event(struct loop_handler *h, uint32_t flags)
{
	struct http_server *s = (struct http_server *)h;
	struct mio_addr peer;
	int i, fd;

	(void)flags;
	if (s->fd < 0)
		return;
	for (i = 0; i < HTTP_ACCEPTS; i++) {
		fd = mio_tcp_accept(s->fd, &peer);
		if (fd == -EAGAIN)
			return;
		if (fd < 0) {
			/* Out of descriptors: the next scrape retries; the
			 * re-arm below would only spin. */
			if (fd != -EMFILE && fd != -ENFILE)
				continue;
			return;
		}
		http_accept_one(s, fd, &peer);
	}
	(void)mio_reregister(loop.poll, s->fd, LOOP_TOKEN(s, LOOP_TAG_OPS),
	    MIO_READABLE);
}

static uint64_t
http_timeout_ms(void)
{
	const char *e = getenv("MIOPROXY_STATS_TIMEOUT_MS");
	char *end;
	unsigned long v;

	if (e == NULL || *e == '\0')
		return HTTP_TIMEOUT_MS;
	v = strtoul(e, &end, 10);
	return *end == '\0' && v > 0 && v <= 3600000ul ? v : HTTP_TIMEOUT_MS;
}

int
http_server_new(const struct mio_addr *addr, http_handler_fn *fn,
    void *arg, struct http_server **out)
{
	struct http_server *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->h.event = http_server_event;
	s->addr = *addr;
	s->fn = fn;
	s->arg = arg;
	s->timeout_ms = http_timeout_ms();
	timer_init(&s->sweep, http_sweep);
	if ((rc = timer_hold(&loop.timers)) != 0) {
		free(s);
		return rc;
	}
	if ((s->fd = mio_tcp_listen(addr, 64)) < 0) {
		rc = s->fd;
		timer_unhold(&loop.timers, &s->sweep);
		free(s);
		return rc;
	}
	s->registered = 0;
	*out = s;
	return 0;
}

int
http_server_start(struct http_server *s)
{
	int rc;

	if (s->registered)
		return 0;
	if ((rc = mio_register(loop.poll, s->fd, LOOP_TOKEN(s, LOOP_TAG_OPS),
	    MIO_READABLE)) == 0)
		s->registered = 1;
	return rc;
}

void
http_server_set_acl(struct http_server *s, const struct conf_acl *acl)
{
	s->acl = acl;
}

const struct mio_addr *
http_server_addr(const struct http_server *s)
{
	return &s->addr;
}

void
http_server_close(struct http_server *s)
{
	while (s->head != NULL)
		http_client_close(s->head);
	timer_unhold(&loop.timers, &s->sweep);
	if (s->registered)
		(void)mio_deregister(loop.poll, s->fd);
	mio_close(s->fd);
	s->fd = -1;
	s->dead_next = http_dead_servers;
	http_dead_servers = s;
}

void
http_reap(void)
{
	struct http_client *c;
	struct http_server *s;

	while ((c = http_dead_clients) != NULL) {
		http_dead_clients = c->next;
		buf_free(&c->out);
		free(c);
	}
	while ((s = http_dead_servers) != NULL) {
		http_dead_servers = s->dead_next;
		buf_free(&s->body);
		free(s);
	}
}
