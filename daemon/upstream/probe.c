/*
 * The cycle of a probe (probe.h): begin on the timer, finish on a
 * result or the timeout, rest until one interval after the check began.
 * Scheduling from the start rather than the end keeps a slow server's
 * checks on the same beat as a quick one's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "upstream/probe.h"

static timer_fn probe_fire;

int
probe_init(struct probe *p, const struct probe_env *env,
    const struct conf_health *conf, const struct mio_addr *addr,
    probe_done_fn *done)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = timer_hold(env->timers)) != 0)
		return rc;
	timer_init(&p->timer, probe_fire);
	p->env = env;
	p->fd = -1;
	p->done = done;
	p->addr = *addr;
	probe_retarget(p, conf);
	return 0;
}

void
probe_retarget(struct probe *p, const struct conf_health *conf)
{
	p->conf = conf;
	p->ops = conf->type == CONF_CHECK_UDP ? &probe_udp_ops :
	    &probe_tcp_ops;
	if (conf->port == 0)
		return;
	if (p->addr.u.sa.sa_family == AF_INET)
		p->addr.u.in4.sin_port = htons((uint16_t)conf->port);
	else if (p->addr.u.sa.sa_family == AF_INET6)
		p->addr.u.in6.sin6_port = htons((uint16_t)conf->port);
}

void
probe_start(struct probe *p, uint64_t when)
{
	(void)timer_set(p->env->timers, &p->timer, when);
}

/* Closes the check's socket, if any. */
static void
probe_close(struct probe *p)
{
	if (p->fd < 0)
		return;
	(void)mio_deregister(p->env->poll, p->fd);
	mio_close(p->fd);
	p->fd = -1;
}

/*
 * A check ended (PROBE_PASS, _FAIL or _SKIP): report the verdict, if
 * any, and rest until the next.
 */
static void
probe_end(struct probe *p, int result, uint64_t now)
{
	uint64_t next = p->began + (uint64_t)p->conf->interval_ms;

	probe_close(p);
	(void)timer_set(p->env->timers, &p->timer, next > now ? next : now + 1);
	p->done(p, result == PROBE_SKIP ? -1 : result == PROBE_PASS, p->why);
}

static void
probe_fire(struct timer *t, uint64_t now)
{
	struct probe *p = (struct probe *)((char *)t -
	    offsetof(struct probe, timer));
	int rc;

	if (p->fd >= 0) {
		snprintf(p->why, sizeof(p->why), "timed out after %lld ms",
		    (long long)p->conf->timeout_ms);
		probe_end(p, PROBE_FAIL, now);
		return;
	}
	p->began = now;
	p->off = 0;
	p->sending = 0;
	p->why[0] = '\0';
	(void)timer_set(p->env->timers, &p->timer,
	    now + (uint64_t)p->conf->timeout_ms);
	if ((rc = p->ops->begin(p)) != PROBE_PENDING)
		probe_end(p, rc, now);
}

void
probe_event(struct probe *p, uint32_t flags)
{
	int rc;

	if (p->fd < 0)
		return;		/* the check ended earlier in this batch */
	if ((rc = p->ops->event(p, flags)) != PROBE_PENDING)
		probe_end(p, rc, timer_now_ms());
}

void
probe_fini(struct probe *p)
{
	probe_close(p);
	timer_unhold(p->env->timers, &p->timer);
}

int
probe_conf_same(const struct conf_health *a, const struct conf_health *b)
{
	return a->type == b->type && a->interval_ms == b->interval_ms &&
	    a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	    a->fall == b->fall && a->port == b->port &&
	    a->expect_any == b->expect_any &&
	    a->send_len == b->send_len && a->expect_len == b->expect_len &&
	    (a->send_len == 0 || memcmp(a->send, b->send, a->send_len) == 0) &&
	    (a->expect_len == 0 ||
	    memcmp(a->expect, b->expect, a->expect_len) == 0);
}

int
probe_register(struct probe *p, unsigned interest)
{
	return mio_register(p->env->poll, p->fd,
	    (mio_token)(uintptr_t)p | p->env->tag, interest);
}

int
probe_fail(struct probe *p, const char *what, int err)
{
	int own = err == -EMFILE || err == -ENFILE || err == -ENOBUFS ||
	    err == -ENOMEM || err == -EADDRNOTAVAIL;

	if (err == -ECONNREFUSED)
		snprintf(p->why, sizeof(p->why), "%s", "connection refused");
	else if (err != 0)
		snprintf(p->why, sizeof(p->why), "%s: %s", what,
		    mio_strerror(err));
	else
		snprintf(p->why, sizeof(p->why), "%s", what);
	return own ? PROBE_SKIP : PROBE_FAIL;
}

int
probe_match(struct probe *p, const uint8_t *got, size_t n)
{
	const struct conf_health *h = p->conf;
	size_t want = h->expect_len - p->off;

	if (n > want)
		n = want;
	if (memcmp(got, h->expect + p->off, n) != 0)
		return probe_fail(p, "unexpected reply", 0);
	p->off += n;
	return p->off == h->expect_len ? PROBE_PASS : PROBE_PENDING;
}
