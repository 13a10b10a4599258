/*
 * A tcp check: a non-blocking connect; with `send`, the bytes written;
 * with `expect`, the reply must begin with those bytes (a server that
 * greets first, such as SMTP's, may be checked with expect alone).
 *
 * Traps: a connect that fails is reported writable (or as an error),
 * and SO_ERROR tells (mio_take_error), except where the backend read it
 * to report the event (libkqueue): an error or closed event without
 * writability is then the refusal; readiness is edge-triggered,
 * so every read and write goes on until -EAGAIN, through libmio so that
 * the poll(2) backend re-arms.  The check's socket is closed with a
 * reset (SO_LINGER 0): a probe every few seconds per server would
 * otherwise leave a TIME_WAIT on the proxy's side for each.
 */
#include "config.h"

#include <errno.h>

#include "upstream/probe.h"

static int
probe_tcp_begin(struct probe *p)
{
	int inet = p->addr.u.sa.sa_family != AF_UNIX;
	int fd, rc;

	fd = inet ? mio_tcp_connect(&p->addr) : mio_unix_connect(&p->addr);
	if (fd < 0)
		return probe_fail(p, "connect", fd);
	p->fd = fd;
	if (inet)
		(void)mio_tcp_set_linger(fd, 0);
	if ((rc = probe_register(p, MIO_READABLE | MIO_WRITABLE)) != 0)
		return probe_fail(p, "register", rc);
	p->sending = -1;	/* connecting */
	return PROBE_PENDING;
}

/* Writes what is left of `send`: PROBE_PENDING until all is out. */
static int
probe_tcp_send(struct probe *p)
{
	const struct conf_health *h = p->conf;
	ssize_t n;

	while (p->off < h->send_len) {
		n = mio_send(p->fd, h->send + p->off, h->send_len - p->off);
		if (n == -EAGAIN)
			return PROBE_PENDING;
		if (n < 0)
			return probe_fail(p, "send", (int)n);
		p->off += (size_t)n;
	}
	p->sending = 0;
	p->off = 0;
	return h->expect == NULL ? PROBE_PASS : PROBE_PENDING;
}

/* Reads the reply as far as it must match `expect`. */
static int
probe_tcp_read(struct probe *p)
{
	uint8_t buf[256];
	ssize_t n;
	int rc;

	for (;;) {
		n = mio_recv(p->fd, buf, sizeof(buf));
		if (n == -EAGAIN)
			return PROBE_PENDING;
		if (n < 0)
			return probe_fail(p, "reading the reply", (int)n);
		if (n == 0)
			return probe_fail(p, "closed before the expected reply",
			    0);
		if ((rc = probe_match(p, buf, (size_t)n)) != PROBE_PENDING)
			return rc;
	}
}

static int
probe_tcp_event(struct probe *p, uint32_t flags)
{
	const struct conf_health *h = p->conf;
	int rc;

	if (p->sending < 0) {
		if (!(flags & (MIO_WRITABLE | MIO_ERROR | MIO_READ_CLOSED |
		    MIO_WRITE_CLOSED)))
			return PROBE_PENDING;
		if ((rc = mio_take_error(p->fd)) != 0)
			return probe_fail(p, "connect", rc);
		/* No error left: kqueue's event may have taken it. */
		if ((flags & MIO_ERROR) || !(flags & MIO_WRITABLE))
			return probe_fail(p, "connect", -ECONNREFUSED);
		if (h->send == NULL && h->expect == NULL)
			return PROBE_PASS;
		p->sending = h->send != NULL;
	}
	if (p->sending > 0 && (rc = probe_tcp_send(p)) != PROBE_PENDING)
		return rc;
	if (p->sending > 0)
		return PROBE_PENDING;
	return probe_tcp_read(p);
}

const struct probe_ops probe_tcp_ops = {
	.begin = probe_tcp_begin,
	.event = probe_tcp_event
};
