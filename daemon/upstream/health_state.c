/*
 * The counting of health_state.h.  The runs of passes and failures live
 * in the server's kept record, so that they survive a reload with the
 * state they lead to.
 */
#include "config.h"

#include "upstream/health_state.h"

/* A server comes up: slow start's clock starts (0 means "always up"). */
static void
hc_state_up(struct keep_srv *k, uint64_t now)
{
	k->health = SRV_UP;
	k->up_since = now > 0 ? now : 1;
	k->pf_fails = 0;
	k->ejected_until = 0;
}

enum hc_change
hc_state_check(struct keep_srv *k, const struct conf_health *h, int ok,
    uint64_t now)
{
	k->checks[ok ? 0 : 1]++;
	if (ok) {
		k->hc_ok_run++;
		k->hc_fail_run = 0;
		if (k->health == SRV_DOWN &&
		    k->hc_ok_run >= (uint64_t)h->rise) {
			hc_state_up(k, now);
			return HC_WENT_UP;
		}
		return HC_SAME;
	}
	k->hc_fail_run++;
	k->hc_ok_run = 0;
	if (k->health != SRV_DOWN && k->hc_fail_run >= (uint64_t)h->fall) {
		k->health = SRV_DOWN;
		k->ejected_until = 0;
		return HC_WENT_DOWN;
	}
	return HC_SAME;
}

enum hc_change
hc_state_failure(struct keep_srv *k, const struct conf_passive *p,
    uint64_t now)
{
	if (!p->enabled || k->health != SRV_UP)
		return HC_SAME;
	if (k->pf_fails == 0 || now - k->pf_window_start >=
	    (uint64_t)p->window_ms) {
		k->pf_window_start = now;
		k->pf_fails = 0;
	}
	if (++k->pf_fails < (uint64_t)p->max_fails)
		return HC_SAME;
	k->health = SRV_EJECTED;
	k->ejected_until = now + (uint64_t)p->eject_for_ms;
	k->pf_fails = 0;
	return HC_EJECTED;
}

enum hc_change
hc_state_eject_over(struct keep_srv *k, uint64_t now)
{
	if (k->health != SRV_EJECTED || now < k->ejected_until)
		return HC_SAME;
	hc_state_up(k, now);
	return HC_RESTORED;
}

enum hc_change
hc_state_unchecked(struct keep_srv *k, uint64_t now)
{
	k->hc_ok_run = 0;
	k->hc_fail_run = 0;
	if (k->health != SRV_DOWN)
		return HC_SAME;
	hc_state_up(k, now);
	return HC_WENT_UP;
}
