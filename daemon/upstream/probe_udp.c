/*
 * A udp check: a connected datagram socket of its own sends `send`, and
 * the first reply must begin with `expect` (any reply passes for
 * `expect: any` or without expect).  Silence until the timeout fails,
 * and so does an ICMP refusal: on a connected socket the kernel reports
 * the port unreachable as ECONNREFUSED on the next receive (or send).
 *
 * The socket is bound to the wildcard of the server's family with a port
 * the kernel picks: one per check, closed at its end, so a late reply
 * to an earlier check is never taken for this one's.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "upstream/probe.h"

static int
probe_udp_begin(struct probe *p)
{
	const struct conf_health *h = p->conf;
	struct mio_addr any;
	ssize_t n;
	int fd, rc;

	memset(&any, 0, sizeof(any));
	any.u.sa.sa_family = p->addr.u.sa.sa_family;
	any.len = p->addr.len;
	if ((fd = mio_udp_bind(&any)) < 0)
		return probe_fail(p, "socket", fd);
	p->fd = fd;
	if ((rc = mio_udp_connect(fd, &p->addr)) != 0)
		return probe_fail(p, "connect", rc);
	if ((rc = probe_register(p, MIO_READABLE)) != 0)
		return probe_fail(p, "register", rc);
	n = mio_send(fd, h->send, h->send_len);
	if (n < 0 && n != -EAGAIN)
		return probe_fail(p, "send", (int)n);
	return PROBE_PENDING;
}

static int
probe_udp_event(struct probe *p, uint32_t flags)
{
	const struct conf_health *h = p->conf;
	uint8_t buf[1024];
	ssize_t n;

	n = mio_recv(p->fd, buf, sizeof(buf));
	/*
	 * An error event with nothing to read and no error left: the event
	 * took it (libkqueue reads SO_ERROR to report it), and a connected
	 * socket's error is the server's refusal.
	 */
	if (n == -EAGAIN && (flags & MIO_ERROR))
		n = -ECONNREFUSED;
	if (n == -EAGAIN)
		return PROBE_PENDING;
	if (n == -ECONNREFUSED)
		return probe_fail(p, "refused (ICMP port unreachable)", 0);
	if (n < 0)
		return probe_fail(p, "receive", (int)n);
	if (h->expect_any || h->expect == NULL)
		return PROBE_PASS;
	if ((size_t)n < h->expect_len)
		return probe_fail(p, "unexpected reply", 0);
	return probe_match(p, buf, (size_t)n);
}

const struct probe_ops probe_udp_ops = {
	.begin = probe_udp_begin,
	.event = probe_udp_event
};
