/*
 * Health checks at run time (health.h): the set of probes that follows
 * the configuration, the log line of each change of state, and the
 * passive ejections with the one timer that ends them.
 *
 * Probes are records of their own (struct hc_srv), one per checked
 * server, matched across reloads by the server's kept record (one per
 * upstream name and address) and the check's settings.  A record that a
 * reload stops may still be named by an event later in the same batch:
 * its socket is closed at once, its memory freed after the batch.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "upstream/health.h"
#include "upstream/health_state.h"

struct hc_srv {
	struct probe	 probe;		/* first: its address is the token */
	struct keep_srv	*keep;		/* a reference of our own */
	const struct conf_health *next_conf;	/* of the prepared conf */
	struct hc_srv	*dead_next;
	unsigned	 mark;		/* == hc_seq: in the prepared set */
	int		 started;
	int		 stopped;
};

static struct probe_env hc_env;
static int hc_ready;
static struct hc_srv **hc_live, **hc_pend;	/* sorted by keep */
static size_t hc_nlive, hc_npend;
static unsigned hc_seq;
static struct hc_srv *hc_dead;
/* Servers ejected now, each with a reference, and the timer of the
 * earliest ejection's end. */
static struct keep_srv **hc_ejected;
static size_t hc_nejected, hc_ejected_cap;
static struct timer hc_eject_timer;

/* --- the log lines ---------------------------------------------------- */

static const char *
hc_ms(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
	return buf;
}

static void
hc_log(const struct keep_srv *k, enum hc_change c, const char *why,
    long long n)
{
	char a[ADDR_STRLEN];

	addr_str(&k->addr, a, sizeof(a));
	switch (c) {
	case HC_WENT_DOWN:
		log_warn("server %s/%s is down: %s (%lld checks)", k->upstream,
		    a, why, n);
		break;
	case HC_WENT_UP:
		if (n > 0)
			log_info("server %s/%s is up: %s (%lld checks)",
			    k->upstream, a, why, n);
		else
			log_info("server %s/%s is up: %s", k->upstream, a,
			    why);
		break;
	case HC_EJECTED:
		log_warn("server %s/%s is ejected %s", k->upstream, a, why);
		break;
	case HC_RESTORED:
		log_info("server %s/%s is up: ejection over", k->upstream, a);
		break;
	case HC_SAME:
		break;
	}
}

/* --- passive ejection ------------------------------------------------- */

static void
hc_eject_arm(void)
{
	uint64_t first = UINT64_MAX;
	size_t i;

	for (i = 0; i < hc_nejected; i++)
		if (hc_ejected[i]->ejected_until < first)
			first = hc_ejected[i]->ejected_until;
	if (first == UINT64_MAX)
		timer_cancel(hc_env.timers, &hc_eject_timer);
	else
		(void)timer_set(hc_env.timers, &hc_eject_timer, first);
}

static void
hc_eject_fire(struct timer *t, uint64_t now)
{
	struct keep_srv *k;
	size_t i = 0;

	(void)t;
	while (i < hc_nejected) {
		k = hc_ejected[i];
		if (hc_state_eject_over(k, now) == HC_RESTORED)
			hc_log(k, HC_RESTORED, NULL, 0);
		if (k->health == SRV_EJECTED) {
			i++;
			continue;
		}
		hc_ejected[i] = hc_ejected[--hc_nejected];
		keep_srv_put(k);
	}
	hc_eject_arm();
}

/* Remembers an ejected server until its ejection ends: 0 or -ENOMEM. */
static int
hc_eject_track(struct keep_srv *k)
{
	struct keep_srv **v;
	size_t cap;

	if (hc_nejected == hc_ejected_cap) {
		cap = hc_ejected_cap ? hc_ejected_cap * 2 : 16;
		if ((v = realloc(hc_ejected, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		hc_ejected = v;
		hc_ejected_cap = cap;
	}
	keep_srv_ref(k);
	hc_ejected[hc_nejected++] = k;
	hc_eject_arm();
	return 0;
}

void
hc_failure(struct keep_srv *k, const struct conf_passive *p)
{
	char why[96], w[24], e[24];

	/* The clock only when it counts: this runs on every failed connect. */
	if (!p->enabled || !hc_ready ||
	    hc_state_failure(k, p, timer_now_ms()) != HC_EJECTED)
		return;
	if (hc_eject_track(k) != 0) {
		/* Nothing would end it: better not to eject at all. */
		k->health = SRV_UP;
		return;
	}
	snprintf(why, sizeof(why), "for %s: %lld failures within %s",
	    hc_ms(p->eject_for_ms, e, sizeof(e)), (long long)p->max_fails,
	    hc_ms(p->window_ms, w, sizeof(w)));
	hc_log(k, HC_EJECTED, why, 0);
}

/* --- probes ----------------------------------------------------------- */

static void
hc_done(struct probe *p, int ok, const char *why)
{
	struct hc_srv *s = (struct hc_srv *)p;
	const struct conf_health *h = p->conf;
	enum hc_change c;
	char a[ADDR_STRLEN];

	if (ok < 0) {
		log_debug("server %s/%s: not checked: %s", s->keep->upstream,
		    addr_str(&s->keep->addr, a, sizeof(a)), why);
		return;
	}
	if (!ok)
		log_debug("server %s/%s: check failed: %s", s->keep->upstream,
		    addr_str(&s->keep->addr, a, sizeof(a)), why);
	c = hc_state_check(s->keep, h, ok, timer_now_ms());
	if (c == HC_WENT_DOWN)
		hc_log(s->keep, c, why, (long long)h->fall);
	else if (c == HC_WENT_UP)
		hc_log(s->keep, c, "checks passed", (long long)h->rise);
}

static int
hc_keep_cmp(const void *pa, const void *pb)
{
	const struct hc_srv *a = *(struct hc_srv *const *)pa;
	const struct hc_srv *b = *(struct hc_srv *const *)pb;

	return (a->keep > b->keep) - (a->keep < b->keep);
}

static struct hc_srv *
hc_find(struct hc_srv **v, size_t n, const struct keep_srv *k)
{
	struct hc_srv key, *kp = &key, **found;

	if (n == 0)
		return NULL;		/* v may be NULL: not for bsearch */
	key.keep = (struct keep_srv *)(uintptr_t)k;
	found = bsearch(&kp, v, n, sizeof(*v), hc_keep_cmp);
	return found != NULL ? *found : NULL;
}

/* Stops s: its socket closes now, its memory goes after the batch. */
static void
hc_retire(struct hc_srv *s)
{
	if (!s->stopped)
		probe_fini(&s->probe);
	s->stopped = 1;
	s->dead_next = hc_dead;
	hc_dead = s;
}

static void
hc_free(struct hc_srv *s)
{
	if (!s->stopped)
		probe_fini(&s->probe);
	keep_srv_put(s->keep);
	free(s);
}

static void
hc_discard_pending(void)
{
	size_t i;

	for (i = 0; i < hc_npend; i++)
		if (!hc_pend[i]->started)
			hc_free(hc_pend[i]);
	free(hc_pend);
	hc_pend = NULL;
	hc_npend = 0;
}

/* The record of server cs of upstream cu for the prepared set, or NULL
 * when out of memory. */
static struct hc_srv *
hc_make(const struct conf_upstream *cu, const struct conf_server *cs)
{
	struct hc_srv *s;
	struct keep_srv *k;

	if ((k = keep_srv_get(cu->name, &cs->addr)) == NULL)
		return NULL;
	s = hc_find(hc_live, hc_nlive, k);
	if (s != NULL && s->mark != hc_seq &&
	    probe_conf_same(s->probe.conf, &cu->health)) {
		keep_srv_put(k);
		s->mark = hc_seq;
		s->next_conf = &cu->health;
		return s;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    probe_init(&s->probe, &hc_env, &cu->health, &cs->addr,
	    hc_done) != 0) {
		free(s);
		keep_srv_put(k);
		return NULL;
	}
	s->keep = k;
	s->mark = hc_seq;
	s->next_conf = &cu->health;
	return s;
}

/* Sorts the prepared set and drops repeats (a server named twice). */
static void
hc_pend_unique(void)
{
	size_t i, n = 0;
	struct hc_srv *a, *b;

	qsort(hc_pend, hc_npend, sizeof(*hc_pend), hc_keep_cmp);
	for (i = 0; i < hc_npend; i++) {
		b = hc_pend[i];
		a = n > 0 ? hc_pend[n - 1] : NULL;
		if (a == NULL || a->keep != b->keep) {
			hc_pend[n++] = b;
			continue;
		}
		if (!a->started) {		/* keep the running one */
			hc_pend[n - 1] = b;
			b = a;
		}
		if (!b->started)
			hc_free(b);
	}
	hc_npend = n;
}

int
hc_prepare(const struct conf *conf)
{
	const struct conf_upstream *cu;
	size_t i, j, n = 0;

	hc_discard_pending();
	hc_seq++;
	for (i = 0; i < conf->nupstreams; i++)
		if (conf->upstreams[i].health.enabled)
			n += conf->upstreams[i].nservers;
	if ((hc_pend = calloc(n + 1, sizeof(*hc_pend))) == NULL)
		return -ENOMEM;
	for (i = 0; i < conf->nupstreams; i++) {
		cu = &conf->upstreams[i];
		for (j = 0; cu->health.enabled && j < cu->nservers; j++) {
			hc_pend[hc_npend] = hc_make(cu, &cu->servers[j]);
			if (hc_pend[hc_npend] == NULL) {
				hc_discard_pending();
				return -ENOMEM;
			}
			hc_npend++;
		}
	}
	hc_pend_unique();
	return 0;
}

void
hc_commit(const struct conf *conf, uint64_t now)
{
	struct hc_srv *s;
	size_t i;

	(void)conf;
	for (i = 0; i < hc_nlive; i++) {
		s = hc_live[i];
		if (s->mark == hc_seq)
			continue;
		/* No longer checked at all: the checks' verdict goes. */
		if (hc_find(hc_pend, hc_npend, s->keep) == NULL &&
		    hc_state_unchecked(s->keep, now) == HC_WENT_UP)
			hc_log(s->keep, HC_WENT_UP, "no longer checked", 0);
		hc_retire(s);
	}
	for (i = 0; i < hc_npend; i++) {
		s = hc_pend[i];
		probe_retarget(&s->probe, s->next_conf);
		if (!s->started)
			probe_start(&s->probe, now + 1 + (uint64_t)random() %
			    (uint64_t)s->next_conf->interval_ms);
		s->started = 1;
	}
	free(hc_live);
	hc_live = hc_pend;
	hc_nlive = hc_npend;
	hc_pend = NULL;
	hc_npend = 0;
}

void
hc_event(void *obj, uint32_t flags)
{
	struct hc_srv *s = obj;

	if (!s->stopped)
		probe_event(&s->probe, flags);
}

void
hc_after_batch(void)
{
	struct hc_srv *s;

	while ((s = hc_dead) != NULL) {
		hc_dead = s->dead_next;
		hc_free(s);
	}
}

void
hc_stop(void)
{
	size_t i;

	for (i = 0; i < hc_nlive; i++)
		if (!hc_live[i]->stopped) {
			probe_fini(&hc_live[i]->probe);
			hc_live[i]->stopped = 1;
		}
}

int
hc_setup(const struct probe_env *env)
{
	int rc;

	hc_env = *env;
	if (hc_ready)
		return 0;
	if ((rc = timer_hold(env->timers)) != 0)
		return rc;
	timer_init(&hc_eject_timer, hc_eject_fire);
	hc_ready = 1;
	return 0;
}

void
hc_fini(void)
{
	size_t i;

	hc_discard_pending();
	hc_after_batch();
	for (i = 0; i < hc_nlive; i++)
		hc_free(hc_live[i]);
	free(hc_live);
	hc_live = NULL;
	hc_nlive = 0;
	for (i = 0; i < hc_nejected; i++)
		keep_srv_put(hc_ejected[i]);
	free(hc_ejected);
	hc_ejected = NULL;
	hc_nejected = hc_ejected_cap = 0;
	if (hc_ready)
		timer_unhold(hc_env.timers, &hc_eject_timer);
	hc_ready = 0;
}
